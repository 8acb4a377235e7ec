"""The assignment's lifecycle: given in a decision, changed/extended/ended by later decisions (kept as events,
nothing overwritten), status reported by its receivers; overdue and carry-over."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from assignments import selectors, services
from assignments.models import Assignment, AssignmentDecision

from .conftest import give


def decision(world, day="2025-11-24"):
    return {
        "decided_by": world.kf,
        "decided_on": datetime.date.fromisoformat(day),
        "paragraph": "§ 130",
        "registration_number": "Dnr KS 2025/201",
    }


def test_giving_records_the_decision_receivers_money_and_history(assigned):
    a = Assignment.objects.get(pk=assigned.assignment.pk)
    assert set(a.receivers.all()) == {assigned.bun, assigned.sn}  # the lead is always a receiver
    assert a.decisions.get().kind == "given"
    assert a.decisions.get().decision_display == "KF 2024-11-28 § 112, Dnr KS 2024/301"
    assert sum(a.amounts.values_list("amount", flat=True)) == 2_400_000
    assert a.history.get().history_user == assigned.admin


def test_extension_is_an_event_and_keeps_the_old_due_date(assigned):
    a = assigned.assignment
    services.assignment_decide(
        a,
        kind="extended",
        decision=decision(assigned),
        budget_year=2026,
        changes={"due_date": datetime.date(2026, 6, 30), "end_year": 2026},
        comment="Förlängs ett halvår.",
        user=assigned.admin,
    )
    a.refresh_from_db()
    assert a.due_date == datetime.date(2026, 6, 30) and a.end_year == 2026
    events = list(a.decisions.order_by("decided_on"))
    assert [e.kind for e in events] == ["given", "extended"]
    extended = events[1]
    assert {
        "field": "due_date",
        "label": "ska vara klart",
        "old": "2025-12-31",
        "new": "2026-06-30",
    } in extended.changes
    assert extended.registration_number == "Dnr KS 2025/201"
    # The giving decision is untouched.
    assert events[0].changes == [] and events[0].decided_on == datetime.date(2024, 11, 28)
    assert a.history.count() == 2


def test_extension_needs_a_later_date(assigned):
    with pytest.raises(ValidationError) as exc:
        services.assignment_decide(
            assigned.assignment,
            kind="extended",
            decision=decision(assigned),
            budget_year=2026,
            changes={"due_date": datetime.date(2025, 6, 30)},
            user=assigned.admin,
        )
    assert "efter det tidigare" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        services.assignment_decide(
            assigned.assignment,
            kind="extended",
            decision=decision(assigned),
            budget_year=2026,
            changes={"title": "Ny rubrik"},
            user=assigned.admin,
        )
    assert AssignmentDecision.objects.filter(assignment=assigned.assignment).count() == 1


def test_change_records_old_and_new_text(assigned):
    services.assignment_decide(
        assigned.assignment,
        kind="changed",
        decision=decision(assigned),
        budget_year=2026,
        changes={
            "title": "Plan för förskoleplatser 2030",
            "description": "Ta fram en plan.",
            "due_date": assigned.assignment.due_date,
            "end_year": None,
        },
        user=assigned.admin,
    )
    event = assigned.assignment.decisions.get(kind="changed")
    assert event.changes == [
        {"field": "title", "label": "rubrik", "old": "Uppdrag BUN-2025-1", "new": "Plan för förskoleplatser 2030"}
    ]


def test_ending_closes_the_assignment_and_stops_reports(assigned):
    a = assigned.assignment
    services.assignment_decide(
        a,
        kind="ended",
        decision=decision(assigned),
        budget_year=2026,
        changes={},
        comment="Behövs inte längre.",
        user=assigned.admin,
    )
    a.refresh_from_db()
    assert a.status == "ended" and a.closed_on == datetime.date(2025, 11, 24) and not a.is_overdue
    with pytest.raises(ValidationError):
        services.assignment_report_status(
            a, organisation=assigned.bun, status="ongoing", comment="x", user=assigned.official
        )
    with pytest.raises(ValidationError):
        services.assignment_decide(
            a, kind="ended", decision=decision(assigned), budget_year=2026, changes={}, user=assigned.admin
        )


def test_status_report_needs_a_comment_a_receiver_and_no_ending(assigned):
    a = assigned.assignment
    with pytest.raises(ValidationError) as exc:
        services.assignment_report_status(
            a, organisation=assigned.bun, status="ongoing", comment=" ", user=assigned.official
        )
    assert "comment" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.assignment_report_status(
            a, organisation=assigned.ks, status="ongoing", comment="Vi hjälper till", user=assigned.admin
        )
    with pytest.raises(ValidationError):
        services.assignment_report_status(
            a, organisation=assigned.bun, status="ended", comment="Klart", user=assigned.official
        )
    services.assignment_report_status(
        a,
        organisation=assigned.bun,
        status="done",
        comment="Planen antagen.",
        user=assigned.official,
        today=datetime.date(2025, 10, 1),
    )
    a.refresh_from_db()
    assert a.status == "done" and a.closed_on == datetime.date(2025, 10, 1)
    assert a.status_updates.get().comment == "Planen antagen."
    assert a.history.first().history_user == assigned.official


def test_overdue_means_past_due_and_not_finished(assigned):
    today = datetime.date(2026, 1, 15)
    qs = selectors.with_overdue(Assignment.objects.filter(municipality=assigned.municipality), today=today)
    assert qs.get(pk=assigned.assignment.pk).overdue is True
    services.assignment_report_status(
        assigned.assignment,
        organisation=assigned.bun,
        status="done",
        comment="Klart",
        user=assigned.official,
        today=datetime.date(2025, 12, 1),
    )
    assert qs.get(pk=assigned.assignment.pk).overdue is False
    not_due = give(assigned, code="SN-2026-1", lead=assigned.sn, start_year=2026, due_date="2026-06-30")
    assert qs.get(pk=not_due.pk).overdue is False


def test_assignments_carry_over_until_finished(assigned):
    base = Assignment.objects.filter(municipality=assigned.municipality)
    codes = lambda year: set(selectors.active_in(base, year).values_list("code", flat=True))  # noqa: E731
    assert codes(2024) == set()
    assert codes(2025) == {"BUN-2025-1", "KS-2025-V"}
    assert codes(2027) == {"BUN-2025-1", "KS-2025-V"}  # not finished: carried over
    services.assignment_report_status(
        assigned.assignment,
        organisation=assigned.bun,
        status="done",
        comment="Klart",
        user=assigned.official,
        today=datetime.date(2026, 3, 1),
    )
    assert "BUN-2025-1" in codes(2026) and "BUN-2025-1" not in codes(2027)


def test_overview_counts_per_committee_with_money(assigned):
    rows = {
        r.organisation.code: r
        for r in selectors.overview(municipality=assigned.municipality, user=assigned.politician, year=2025)
    }
    assert rows["BUN"].total == 1 and rows["BUN"].money == 2_000_000
    assert rows["SN"].total == 1 and rows["SN"].money == 400_000
    assert rows["KS"].count("not_started") == 1
    assert selectors.overview(municipality=assigned.municipality, user=assigned.foreigner, year=2025) == []


def test_money_must_go_to_a_receiver(assigned):
    from assignments.models import AssignmentAmount

    with pytest.raises(ValidationError):
        services.amount_save(
            AssignmentAmount(assignment=assigned.assignment, organisation=assigned.ks, year=2025, amount=1),
            user=assigned.admin,
        )


def test_a_long_status_comment_is_kept_whole_and_cut_in_the_history_reason(assigned):
    """The assignment's history reason quotes the comment: a long one is cut to fit the column, the report keeps it."""
    comment = "Arbetet pågår enligt plan. " * 8
    update = services.assignment_report_status(
        assigned.assignment, organisation=assigned.bun, status="ongoing", comment=comment, user=assigned.official
    )
    assert update.comment == comment.strip()
    reason = assigned.assignment.history.latest().history_change_reason
    assert len(reason) == 100 and reason.startswith("Status rapporterad: Arbetet pågår") and reason.endswith("…")
