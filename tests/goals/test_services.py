"""Writes of the goal chain: history on every write, the stale-save refusal, adoption and reopening, revert."""

import pytest
from django.core.exceptions import ValidationError

from goals import services
from goals.models import Goal, Indicator, Outcome, Plan
from styrning.services import StaleObjectError, object_revert

from .. import factories as f


def test_every_write_leaves_a_history_row_with_user_and_reason(world):
    goal = Goal.objects.get(pk=world.bun1.pk)
    before = goal.history.count()
    goal.title = "Fler elever når målen i alla ämnen"
    services.goal_save(goal, user=world.official, expected_version=goal.version, reason="Justerad lydelse")
    latest = goal.history.first()
    assert goal.history.count() == before + 1
    assert latest.history_user == world.official
    assert latest.history_change_reason == "Justerad lydelse"
    assert latest.title == "Fler elever når målen i alla ämnen"

    indicator = f.make_indicator(goal=goal, name="Meritvärde", user=world.official)
    assert indicator.history.get().history_type == "+"
    outcome = f.make_outcome(indicator=indicator, year=2025, value=231, user=world.official)
    assert outcome.history.get().history_user == world.official


def test_second_stale_save_is_refused_and_nothing_is_overwritten(world):
    first = Goal.objects.get(pk=world.bun1.pk)
    second = Goal.objects.get(pk=world.bun1.pk)
    first.title = "Första ändringen"
    services.goal_save(first, user=world.official, expected_version=first.version)
    second.title = "Andra, inaktuella ändringen"
    with pytest.raises(StaleObjectError) as exc:
        services.goal_save(second, user=world.admin, expected_version=second.version)
    assert "Ladda om sidan" in exc.value.messages[0]
    assert Goal.objects.get(pk=world.bun1.pk).title == "Första ändringen"


def test_version_increases_on_every_save(world):
    indicator = Indicator.objects.get(pk=world.indicator.pk)
    version = indicator.version
    services.indicator_save(indicator, user=world.official, expected_version=version)
    assert Indicator.objects.get(pk=indicator.pk).version == version + 1


def test_adopting_records_the_decision_and_reopening_needs_a_reason(world):
    plan = Plan.objects.get(pk=world.bun_plan.pk)
    services.plan_adopt(
        plan,
        user=world.admin,
        decided_by=world.bun,
        decided_on="2025-01-20",
        paragraph="§ 4",
        registration_number="Dnr BUN 2024/88",
    )
    plan.refresh_from_db()
    assert plan.is_adopted
    assert plan.decision_display == "BUN 2025-01-20 § 4, Dnr BUN 2024/88"
    assert plan.history.first().history_change_reason == "Fastställd"
    with pytest.raises(ValidationError) as exc:
        services.plan_reopen(plan, user=world.admin, reason=" ")
    assert "reason" in exc.value.message_dict
    services.plan_reopen(plan, user=world.admin, reason="Ny budget")
    plan.refresh_from_db()
    assert plan.status == "draft"
    assert plan.history.first().history_change_reason == "Öppnad igen: Ny budget"


def test_activity_status_can_be_updated_on_an_adopted_plan(world):
    activity = f.make_goal(
        parent=world.buf1,
        organisation=world.bun_admin,
        plan=world.buf_plan,
        code="AKT9",
        title="Läsvecka",
        kind="activity",
        responsible="Rektor",
        activity_status="not_started",
    )
    services.activity_status_update(activity, status="done", user=world.official, reason="Genomförd i april")
    activity.refresh_from_db()
    assert activity.activity_status == "done"
    assert activity.history.first().history_change_reason == "Genomförd i april"


def test_revert_restores_fields_as_a_new_version(world):
    goal = Goal.objects.get(pk=world.bun1.pk)
    original_title = goal.title
    goal.title = "Ändrad"
    services.goal_save(goal, user=world.official)
    record = goal.history.filter(title=original_title).order_by("history_date").first()
    count = goal.history.count()
    object_revert(goal, record=record, user=world.admin)
    goal.refresh_from_db()
    assert goal.title == original_title
    assert goal.history.count() == count + 1
    assert goal.history.first().history_user == world.admin
    # The tree numbering is untouched.
    Goal.objects.partial_rebuild(goal.tree_id)
    assert Goal.objects.get(pk=goal.pk).lft == goal.lft


def test_contributions_cannot_leave_the_municipality(world):
    other_plan = f.make_plan(organisation=world.other_kf, year=2025, title="Strategisk plan Säter")
    foreign = f.make_goal(parent=world.other_vision, organisation=world.other_kf, plan=other_plan, code="S1")
    with pytest.raises(ValidationError):
        services.goal_set_relations(world.bun1, contributes_to=[foreign])
    services.goal_set_relations(world.bun1, contributes_to=[world.kf2])
    assert list(world.bun1.contributes_to.all()) == [world.kf2]
    assert list(world.kf2.contributors.all()) == [world.bun1]


def test_vision_save_creates_the_root_once(world):
    services.vision_save(municipality=world.municipality, statement="Ny vision", user=world.admin)
    assert Goal.objects.filter(municipality=world.municipality, kind="vision").count() == 1
    assert Goal.objects.get(pk=world.vision.pk).title == "Ny vision"


def test_suggested_codes_follow_the_parent(world):
    assert services.goal_suggest_code(parent=world.kf1, organisation=world.bun) == "KF1.1"
    assert services.goal_suggest_code(parent=world.vision, organisation=world.kf) == "KF3"


def test_outcome_unique_per_period(world):
    with pytest.raises(ValidationError):
        services.outcome_save(Outcome(indicator=world.indicator, year=2024, value=1), user=world.official)
