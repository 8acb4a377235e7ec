"""The budget's model rules: election years, what a frame may belong to, the årshjul's dates and late marking."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from budget import services
from budget.choices import DecisionKind, MilestoneKind, MilestoneStatus
from budget.models import (
    BudgetAssumptions,
    BudgetDecision,
    Calendar,
    Frame,
    FrameAdjustment,
    Milestone,
    is_election_year,
)
from tests import factories as f

from .conftest import MKR, make_budget


@pytest.mark.parametrize("year", [1994, 2010, 2018, 2022, 2026, 2030, 1970, 1973, 1991])
def test_election_years(year):
    assert is_election_year(year)


@pytest.mark.parametrize("year", [2019, 2023, 2025, 2027, 2028, 1990, 1972])
def test_not_election_years(year):
    assert not is_election_year(year)


def test_complementary_decision_only_for_the_budget_after_an_election(world):
    after_election = make_budget(municipality=world.municipality, year=2027)
    BudgetDecision(budget=after_election, number=1, kind=DecisionKind.COMPLEMENTARY).full_clean()
    other = make_budget(municipality=world.municipality, year=2026)
    with pytest.raises(ValidationError) as exc:
        BudgetDecision(budget=other, number=1, kind=DecisionKind.COMPLEMENTARY).full_clean()
    assert "2025 är inte ett valår" in str(exc.value.message_dict["kind"])


def test_decided_decision_needs_body_and_date(world):
    budget = make_budget(municipality=world.municipality, year=2027)
    with pytest.raises(ValidationError) as exc:
        BudgetDecision(budget=budget, number=1, kind=DecisionKind.FRAME_BUDGET, status="decided").full_clean()
    assert "beslutande organ och beslutsdatum" in str(exc.value.message_dict["decided_on"])
    with pytest.raises(ValidationError) as exc:
        BudgetDecision(
            budget=budget, number=1, kind="frame_budget", decided_by=world.bun, decided_on=datetime.date(2026, 6, 1)
        ).full_clean()
    assert "kommunfullmäktige eller kommunstyrelsen" in str(exc.value.message_dict["decided_by"])


def test_frames_go_to_kf_ks_and_the_namnder_within_the_budget_years(bw):
    company = f.make_org(parent=bw.kf, kind="company", name="Stadshus AB", code="STAB")
    with pytest.raises(ValidationError) as exc:
        Frame(decision=bw.november, organisation=company, year=2027, amount=MKR).full_clean()
    assert "inte till en bolag" in str(exc.value.message_dict["organisation"])
    with pytest.raises(ValidationError) as exc:
        Frame(decision=bw.november, organisation=bw.bun_admin, year=2030, amount=MKR).full_clean()
    assert set(exc.value.message_dict) == {"year", "organisation"}
    assert "utanför budgeten (2027–2029)" in str(exc.value.message_dict["year"])
    with pytest.raises(ValidationError) as exc:
        Frame(decision=bw.november, organisation=bw.other_committee, year=2027, amount=MKR).full_clean()
    assert "annan kommun" in str(exc.value.message_dict["organisation"])


def test_a_frame_of_a_decided_decision_is_locked(bw):
    bw.june_bun.amount += MKR
    with pytest.raises(ValidationError) as exc:
        bw.june_bun.full_clean()
    assert "ny version" in exc.value.messages[0]


def test_adjustment_amount_is_not_zero(bw):
    with pytest.raises(ValidationError) as exc:
        FrameAdjustment(frame=bw.november_bun, amount=0, reason="Ingenting").full_clean()
    assert "Ange ett belopp skilt från noll." in exc.value.messages


def test_assumptions_year_within_the_budget_and_revenue_not_negative(bw):
    with pytest.raises(ValidationError) as exc:
        BudgetAssumptions(budget=bw.budget, year=2030, tax_revenue=MKR).full_clean()
    assert "utanför budgeten" in str(exc.value.message_dict["year"])
    with pytest.raises(ValidationError) as exc:
        BudgetAssumptions(budget=bw.empty_budget, year=2029, tax_revenue=-1).full_clean()
    assert "kan inte vara negativa" in str(exc.value)


def test_milestone_date_within_the_calendar_year_and_complementary_only_in_election_years(bw):
    with pytest.raises(ValidationError) as exc:
        Milestone(calendar=bw.calendar, date=datetime.date(2027, 1, 10), description="Fel år").full_clean()
    assert "årshjulets år (2026)" in str(exc.value.message_dict["date"])
    Milestone(
        calendar=bw.calendar, kind=MilestoneKind.COMPLEMENTARY, date=datetime.date(2026, 11, 30), description="Valår"
    ).full_clean()
    calendar_2027 = services.calendar_create(Calendar(municipality=bw.municipality, year=2027), user=None)
    with pytest.raises(ValidationError) as exc:
        Milestone(
            calendar=calendar_2027, kind=MilestoneKind.COMPLEMENTARY, date=datetime.date(2027, 11, 1), description="x"
        ).full_clean()
    assert "inte ett valår" in str(exc.value.message_dict["kind"])


def test_month_only_dates_are_kept_as_the_first_of_the_month(bw):
    milestone = Milestone(calendar=bw.calendar, date=datetime.date(2026, 3, 17), month_only=True, description="Mars")
    milestone.full_clean()
    assert milestone.date == datetime.date(2026, 3, 1)
    assert milestone.due_date == datetime.date(2026, 3, 31)


@pytest.mark.parametrize(
    ("date", "month_only", "status", "today", "late"),
    [
        ("2026-06-15", False, MilestoneStatus.PLANNED, "2026-06-15", False),  # due today: not late yet
        ("2026-06-15", False, MilestoneStatus.PLANNED, "2026-06-16", True),
        ("2026-06-15", False, MilestoneStatus.ONGOING, "2026-06-16", True),
        ("2026-06-15", False, MilestoneStatus.DONE, "2027-01-01", False),
        ("2026-02-01", True, MilestoneStatus.PLANNED, "2026-02-28", False),  # the whole month is allowed
        ("2026-02-01", True, MilestoneStatus.PLANNED, "2026-03-01", True),
    ],
)
def test_late_means_date_passed_and_not_done(date, month_only, status, today, late):
    milestone = Milestone(date=datetime.date.fromisoformat(date), month_only=month_only, status=status)
    assert milestone.is_late_on(datetime.date.fromisoformat(today)) is late
