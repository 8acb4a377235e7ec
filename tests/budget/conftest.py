"""
Budget fixtures on top of the shared `world` (tests/conftest.py): Vaggeryd's Budget 2027 med plan 2028–2029 with a
decided June rambudget and, 2026 being an election year, a draft complementary decision copied from it; planning
prerequisites; an assignment with money for BUN; an empty budget; and the årshjul 2026 with steps for BUN, SN and
no one.
"""

import datetime

import pytest

from assignments.models import Assignment, AssignmentAmount
from budget import services
from budget.choices import DecisionKind
from budget.models import Budget, BudgetAssumptions, Calendar, Frame, FrameAdjustment, Milestone
from styrning.services import object_save

MKR = 1_000_000


def make_budget(*, municipality, year, user=None, **kwargs):
    return services.budget_save(Budget(municipality=municipality, year=year, **kwargs), user=user)


def make_assumptions(*, budget, year, tax_revenue, financial_items=0, target="2.0", population=None, user=None):
    return services.assumptions_save(
        BudgetAssumptions(
            budget=budget,
            year=year,
            tax_revenue=tax_revenue,
            financial_items=financial_items,
            result_target_percent=target,
            population=population,
        ),
        user=user,
    )


def make_decision(*, budget, frames, kind=DecisionKind.FRAME_BUDGET, decided_by=None, user=None):
    """A decision with `frames` {(organisation, year): kronor}; decided when `decided_by` is given."""
    decision = services.budget_decision_create(budget=budget, kind=kind, user=user)
    services.frame_table_save(decision, amounts=frames, user=user)
    if decided_by is not None:
        decision = decide(decision, decided_by=decided_by, user=user)
    return decision


def decide(decision, *, decided_by, user=None):
    return services.budget_decision_decide(
        decision,
        user=user,
        decided_by=decided_by,
        decided_on=datetime.date(decision.budget.year - 1, 6, 15),
        paragraph="7",
    )


def make_adjustment(*, frame, amount, reason="Volymökning", assignment=None, user=None):
    return services.adjustment_save(
        FrameAdjustment(frame=frame, amount=amount, reason=reason, assignment=assignment), user=user
    )


def make_assignment(*, municipality, given_by, lead, code, receivers=None, amounts=(), start_year=2027, **kwargs):
    """An assignment written with object_save (the assignments app's own services are tested there)."""
    assignment = object_save(
        Assignment(
            municipality=municipality,
            given_by=given_by,
            lead=lead,
            code=code,
            title=kwargs.pop("title", f"Uppdrag {code}"),
            start_year=start_year,
            **kwargs,
        ),
        user=None,
    )
    assignment.receivers.set(receivers or [lead])
    for organisation, year, kronor in amounts:
        object_save(
            AssignmentAmount(assignment=assignment, organisation=organisation, year=year, amount=kronor), user=None
        )
    return assignment


@pytest.fixture
def bw(world):
    w = world
    w.budget = make_budget(municipality=w.municipality, year=2027)
    w.years = w.budget.years
    for offset, year in enumerate(w.years):
        make_assumptions(
            budget=w.budget, year=year, tax_revenue=(900 + 30 * offset) * MKR, financial_items=3 * MKR, population=14000
        )
    amounts = {}
    for offset, year in enumerate(w.years):
        amounts[(w.ks, year)] = (100 + offset) * MKR
        amounts[(w.bun, year)] = (400 + 10 * offset) * MKR
        amounts[(w.sn, year)] = (300 + 10 * offset) * MKR
    w.june = make_decision(budget=w.budget, frames=amounts)
    w.june_bun = Frame.objects.get(decision=w.june, organisation=w.bun, year=2027)
    w.june_adjustment = make_adjustment(frame=w.june_bun, amount=-1 * MKR, reason="Effektivisering")
    w.june = decide(w.june, decided_by=w.kf)
    w.june_bun.refresh_from_db()
    w.assignment = make_assignment(
        municipality=w.municipality,
        given_by=w.kf,
        lead=w.bun,
        code="BUN-2027-1",
        amounts=[(w.school, 2027, 1_500_000), (w.bun, 2028, 1_500_000)],
    )
    w.november = services.budget_decision_new_version(w.june, kind=DecisionKind.COMPLEMENTARY, user=None)
    w.november_bun = Frame.objects.get(decision=w.november, organisation=w.bun, year=2027)
    w.adjustment = make_adjustment(frame=w.november_bun, amount=2 * MKR, reason="Fler lärare", assignment=w.assignment)
    w.empty_budget = make_budget(municipality=w.municipality, year=2029)

    w.calendar = services.calendar_create(Calendar(municipality=w.municipality, year=2026), user=None)
    w.bun_milestone = services.milestone_save(
        Milestone(
            calendar=w.calendar,
            date=datetime.date(2026, 11, 1),
            month_only=True,
            responsible=w.bun,
            description="Detaljbudget BUN",
        ),
        user=None,
    )
    w.sn_milestone = services.milestone_save(
        Milestone(
            calendar=w.calendar, date=datetime.date(2026, 11, 2), responsible=w.sn, description="Detaljbudget SN"
        ),
        user=None,
    )
    w.open_milestone = services.milestone_save(
        Milestone(calendar=w.calendar, date=datetime.date(2026, 3, 1), description="Dialog med medborgare"), user=None
    )
    return w
