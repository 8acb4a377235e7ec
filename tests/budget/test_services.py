"""Writes of the budget: versions copy frames and adjustments, a decided version is locked for everyone, the frame
table is all or nothing, a stale save is refused, the årshjul follows the budget process; every write has history."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from budget import services
from budget.choices import DecisionKind, DecisionStatus, MilestoneKind
from budget.models import Budget, BudgetDecision, Calendar, Frame, FrameAdjustment
from styrning.services import STALE_MESSAGE

from .conftest import MKR, make_adjustment


def test_new_version_copies_frames_and_adjustments_with_history(bw):
    june_frames = {(f.organisation_id, f.year): f.amount for f in bw.june.frames.all()}
    november_frames = {(f.organisation_id, f.year): f.amount for f in bw.november.frames.all()}
    assert november_frames == june_frames and len(november_frames) == 9
    assert bw.november.status == DecisionStatus.DRAFT
    assert (bw.november.number, bw.november.previous) == (2, bw.june)
    copied = FrameAdjustment.objects.get(frame=bw.november_bun, reason="Effektivisering")
    assert copied.amount == -1 * MKR and copied.pk != bw.june_adjustment.pk
    assert copied.history.count() == 1 and bw.november_bun.history.count() == 1
    # The originals are untouched.
    assert FrameAdjustment.objects.filter(frame=bw.june_bun).count() == 1


def test_new_version_keeps_the_assignment_link(bw):
    decided = services.budget_decision_decide(
        bw.november, user=bw.admin, decided_by=bw.kf, decided_on=datetime.date(2026, 11, 16)
    )
    third = services.budget_decision_new_version(decided, kind=DecisionKind.OTHER, user=bw.admin)
    copy = FrameAdjustment.objects.get(frame__decision=third, reason="Fler lärare")
    assert copy.assignment == bw.assignment
    assert copy.history.get().history_user == bw.admin


def test_new_version_only_from_a_decided_version_and_one_draft_at_a_time(bw):
    with pytest.raises(ValidationError, match="Bara ett fattat beslut"):
        services.budget_decision_new_version(bw.november, kind=DecisionKind.OTHER, user=bw.admin)
    with pytest.raises(ValidationError, match="redan ett utkast"):
        services.budget_decision_new_version(bw.june, kind=DecisionKind.OTHER, user=bw.admin)
    with pytest.raises(ValidationError, match="redan ett utkast"):
        services.budget_decision_create(budget=bw.budget, kind=DecisionKind.OTHER, user=bw.admin)


def test_deciding_locks_the_frames_for_administrators_too(bw, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password="x")
    decided = services.budget_decision_decide(
        bw.november, user=bw.admin, decided_by=bw.kf, decided_on=datetime.date(2026, 11, 16), paragraph="132"
    )
    assert decided.status == DecisionStatus.DECIDED
    assert decided.history.first().history_change_reason == "Beslutat"
    frame = Frame.objects.get(pk=bw.november_bun.pk)
    frame.amount += MKR
    with pytest.raises(ValidationError, match="ny version"):
        services.frame_save(frame, user=superuser)
    with pytest.raises(ValidationError, match="ny version"):
        make_adjustment(frame=frame, amount=MKR, user=superuser)
    with pytest.raises(ValidationError, match="ny version"):
        services.adjustment_delete(bw.adjustment, user=superuser)
    with pytest.raises(ValidationError, match="ny version"):
        services.frame_table_save(decided, amounts={(bw.bun, 2027): MKR}, user=superuser)
    with pytest.raises(ValidationError, match="ny version"):
        services.budget_decision_delete(decided, user=superuser)
    with pytest.raises(ValidationError, match="redan fattat"):
        services.budget_decision_decide(decided, user=superuser, decided_by=bw.kf, decided_on=datetime.date.today())
    assert Frame.objects.get(pk=bw.november_bun.pk).amount == bw.november_bun.amount


def test_a_decision_without_frames_cannot_be_decided(bw):
    empty = services.budget_decision_create(budget=bw.empty_budget, kind=DecisionKind.FRAME_BUDGET, user=bw.admin)
    with pytest.raises(ValidationError, match="inga ramar"):
        services.budget_decision_decide(empty, user=bw.admin, decided_by=bw.kf, decided_on=datetime.date(2028, 6, 1))


def test_frame_table_saves_all_or_nothing_naming_organisation_and_year(bw):
    before = {f.pk: (f.amount, f.version) for f in bw.november.frames.all()}
    with pytest.raises(ValidationError) as exc:
        services.frame_table_save(
            bw.november,
            amounts={
                (bw.ks, 2027): 111 * MKR,  # fine on its own
                (bw.bun, 2027): None,  # has adjustments: cannot be removed
                (bw.bun_admin, 2028): 5 * MKR,  # a förvaltning gets no frame
            },
            user=bw.admin,
        )
    messages = exc.value.messages
    assert any(m.startswith("BUN 2027: Ramen har justeringar") for m in messages), messages
    assert any(m.startswith("Barn- och utbildningsförvaltningen 2028: Ramar ges till") for m in messages), messages
    assert {f.pk: (f.amount, f.version) for f in bw.november.frames.all()} == before


def test_frame_table_creates_changes_and_removes_frames_with_history(bw):
    ks_2029 = Frame.objects.get(decision=bw.november, organisation=bw.ks, year=2029)
    changed = services.frame_table_save(
        bw.november,
        amounts={(bw.ks, 2027): 111 * MKR, (bw.ks, 2029): None, (bw.kf, 2027): 9 * MKR, (bw.sn, 2027): 300 * MKR},
        user=bw.admin,
        reason="Nya ramar",
    )
    assert changed == 3
    ks = Frame.objects.get(decision=bw.november, organisation=bw.ks, year=2027)
    assert ks.amount == 111 * MKR and ks.history.first().history_change_reason == "Nya ramar"
    assert Frame.objects.get(decision=bw.november, organisation=bw.kf, year=2027).history.get().history_type == "+"
    assert not Frame.objects.filter(pk=ks_2029.pk).exists()
    assert Frame.history.filter(id=ks_2029.pk, history_type="-").exists()


def test_stale_frame_save_is_refused(bw):
    mine = Frame.objects.get(pk=bw.november_bun.pk)
    theirs = Frame.objects.get(pk=bw.november_bun.pk)
    theirs.amount = 405 * MKR
    services.frame_save(theirs, user=bw.admin, expected_version=theirs.version)
    mine.amount = 406 * MKR
    with pytest.raises(ValidationError) as exc:
        services.frame_save(mine, user=bw.admin, expected_version=mine.version)
    assert exc.value.messages == [str(STALE_MESSAGE)]
    assert Frame.objects.get(pk=mine.pk).amount == 405 * MKR
    with pytest.raises(ValidationError) as exc:
        services.frame_table_save(
            bw.november,
            amounts={(bw.bun, 2027): 407 * MKR},
            versions={(bw.bun.pk, 2027): mine.version},
            user=bw.admin,
        )
    assert exc.value.messages == [f"BUN 2027: {STALE_MESSAGE}"]


def test_budget_create_starts_an_empty_draft_rambudget(world):
    budget = services.budget_create(Budget(municipality=world.municipality, year=2030), user=world.admin)
    decision = BudgetDecision.objects.get(budget=budget)
    assert (decision.number, decision.kind, decision.status) == (1, DecisionKind.FRAME_BUDGET, DecisionStatus.DRAFT)
    assert budget.history.get().history_user == world.admin and decision.history.count() == 1


@pytest.mark.parametrize(("year", "complementary"), [(2026, True), (2027, False), (2030, True)])
def test_standard_calendar_has_the_complementary_decision_in_election_years(world, year, complementary):
    calendar = services.calendar_create(
        Calendar(municipality=world.municipality, year=year), user=world.admin, standard=True
    )
    kinds = list(calendar.milestones.values_list("kind", flat=True))
    assert (MilestoneKind.COMPLEMENTARY in kinds) is complementary
    for kind in (
        MilestoneKind.PREREQUISITES,
        MilestoneKind.PREPARATION,
        MilestoneKind.FRAME_BUDGET,
        MilestoneKind.DETAILED_BUDGET,
        MilestoneKind.FOLLOW_UP_T1,
        MilestoneKind.FOLLOW_UP_T2,
        MilestoneKind.ANNUAL_REPORT,
    ):
        assert kind in kinds
    june = calendar.milestones.get(kind=MilestoneKind.FRAME_BUDGET)
    assert june.date == datetime.date(year, 6, 1) and june.month_only and june.responsible == world.kf
    assert f"rambudget {year + 1}" in june.description
    assert calendar.history.get().history_user == world.admin


def test_milestone_status_update_keeps_the_comment_in_history(bw):
    services.milestone_status_update(bw.bun_milestone, status="done", user=bw.official, reason="Klart i nämnden")
    bw.bun_milestone.refresh_from_db()
    assert bw.bun_milestone.status == "done"
    record = bw.bun_milestone.history.first()
    assert (record.history_user, record.history_change_reason) == (bw.official, "Klart i nämnden")
    with pytest.raises(ValidationError):
        services.milestone_status_update(bw.bun_milestone, status="nonsense", user=bw.official)
