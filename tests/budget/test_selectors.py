"""The budget's arithmetic: frames in force, result, share of tax revenue, financial goal and balanskrav, in whole
kronor and Decimal (never floats); assignment money counted once; changes between years and between versions."""

from decimal import Decimal

import pytest

from budget import selectors
from budget.models import BudgetAssumptions, Frame, FrameAdjustment
from tests import factories as f

from .conftest import MKR


def result(*, tax_revenue, financial_items=0, net_costs, target="2.0"):
    assumptions = BudgetAssumptions(
        year=2027, tax_revenue=tax_revenue, financial_items=financial_items, result_target_percent=Decimal(target)
    )
    return selectors.YearResult(year=2027, net_costs=net_costs, assumptions=assumptions)


def test_result_is_revenue_plus_financial_items_minus_frames():
    r = result(tax_revenue=900 * MKR, financial_items=-4 * MKR, net_costs=880 * MKR)
    assert r.result == 16 * MKR
    assert isinstance(r.result, int)


def test_share_of_tax_revenue_is_decimal_rounded_half_up_to_one_decimal():
    # 22 500 000 / 900 000 000 = 2.5 % exactly; 20 250 000 / 900 000 000 = 2.25 % → 2.3 (half up, not banker's 2.2).
    assert result(tax_revenue=900 * MKR, net_costs=877_500_000).result_percent == Decimal("2.5")
    share = result(tax_revenue=900 * MKR, net_costs=879_750_000).result_percent
    assert share == Decimal("2.3") and isinstance(share, Decimal)
    # A share that floats would round wrongly: 0.15 % of 1 000 000 000 is 1 500 000 (1.5 ‰ → 0.2 %, not 0.1 %).
    assert selectors.percent(1_500_000, 1_000_000_000) == Decimal("0.2")
    assert selectors.percent(-20_250_000, 900 * MKR) == Decimal("-2.3")
    assert selectors.percent(5, 0) is None


def test_financial_goal_met_on_the_share_shown():
    assert result(tax_revenue=900 * MKR, net_costs=882 * MKR).goal_met is True  # 2.0 %
    # 1.96 % is shown as 2.0 % and meets a 2.0 % target, as the reader sees it.
    assert result(tax_revenue=1000 * MKR, net_costs=980_400_000).result_percent == Decimal("2.0")
    assert result(tax_revenue=1000 * MKR, net_costs=980_400_000).goal_met is True
    assert result(tax_revenue=1000 * MKR, net_costs=980_600_000).goal_met is False  # 1.94 % → 1.9 %
    assert result(tax_revenue=1000 * MKR, net_costs=990 * MKR, target="1.0").goal_met is True


def test_balanskrav_flags_a_deficit_and_a_zero_result():
    deficit = result(tax_revenue=900 * MKR, financial_items=-5 * MKR, net_costs=905_500_000)
    assert deficit.result == -10_500_000
    assert deficit.balanced is False and deficit.deficit == 10_500_000
    assert result(tax_revenue=900 * MKR, net_costs=900 * MKR).balanced is False  # revenue must exceed costs
    assert result(tax_revenue=900 * MKR, net_costs=899 * MKR).balanced is True
    unknown = selectors.YearResult(year=2027, net_costs=5, assumptions=None)
    assert unknown.result is None and unknown.balanced is None and unknown.goal_met is None


def test_frame_in_force_adds_adjustments_and_assignment_money_from_the_subtree(bw):
    overview = selectors.budget_overview(budget=bw.budget, user=bw.admin)
    assert overview["decision"] == bw.june  # the decided version, not the newer draft
    bun = next(row for row in overview["rows"] if row.organisation == bw.bun)
    cell = bun.cell(2027)
    # 400 mkr − 1 mkr (the June adjustment) + 1.5 mkr to Hagaskolan, which lies under BUN.
    assert (cell.base, cell.adjustments, cell.assignment_money) == (400 * MKR, -1 * MKR, 1_500_000)
    assert cell.total == 400_500_000
    labels = [(line.label, line.from_assignment) for line in bun.lines]
    assert labels == [("Effektivisering", False), ("BUN-2027-1 Uppdrag BUN-2027-1", True)]
    assignment_line = bun.lines[1]
    assert assignment_line.amounts == {2027: 1_500_000, 2028: 1_500_000}
    # The assignment money is read, never copied: no budget row holds it.
    assert not FrameAdjustment.objects.filter(amount=1_500_000).exists()
    # KS 100 + BUN 400.5 + SN 300 = 800.5 mkr against 900 + 3 mkr.
    first = overview["results"][0]
    assert first.net_costs == 800_500_000
    assert first.result == 102_500_000
    assert first.result_percent == Decimal("11.4")


def test_change_from_the_year_before_in_kronor_and_percent(bw):
    rows = selectors.budget_overview(budget=bw.budget, user=bw.admin)["rows"]
    sn = next(row for row in rows if row.organisation == bw.sn)
    assert sn.cell(2027).change is None  # no budget for 2026
    assert sn.cell(2028).change == 10 * MKR
    assert sn.cell(2028).change_percent == Decimal("3.3")  # 10 / 300 = 3.33 %


def test_change_for_the_first_year_comes_from_last_years_budget(bw):
    from .conftest import make_budget, make_decision

    previous = make_budget(municipality=bw.municipality, year=2026)
    make_decision(budget=previous, frames={(bw.sn, 2026): 290 * MKR}, decided_by=bw.kf)
    rows = selectors.budget_overview(budget=bw.budget, user=bw.admin)["rows"]
    sn = next(row for row in rows if row.organisation == bw.sn)
    assert sn.cell(2027).previous_total == 290 * MKR
    assert sn.cell(2027).change == 10 * MKR
    assert sn.cell(2027).change_percent == Decimal("3.4")


def test_changes_between_two_versions(bw):
    from budget import services

    frame = Frame.objects.get(decision=bw.november, organisation=bw.sn, year=2028)
    frame.amount = 312 * MKR
    services.frame_save(frame, user=bw.admin)
    overview = selectors.budget_overview(budget=bw.budget, user=bw.admin, version=bw.november.number)
    assert overview["decision"] == bw.november and overview["compared"] == bw.june
    changes = {c["organisation"]: [cell.change for cell in c["cells"]] for c in overview["changes"]}
    assert changes == {bw.bun: [2 * MKR, 0, 0], bw.sn: [0, 2 * MKR, 0]}


def test_frames_chart_has_a_swedish_title(bw):
    overview = selectors.budget_overview(budget=bw.budget, user=bw.admin)
    chart = str(overview["chart"])
    assert "<title" in chart and "Ramar per organisation 2027–2029" in chart
    assert "400,5\u00a0mkr" in chart


def test_organisation_budget_lists_active_assignments(bw):
    import datetime

    from .conftest import make_assignment

    make_assignment(municipality=bw.municipality, given_by=bw.kf, lead=bw.bun, code="BUN-2030", start_year=2030)
    overdue = make_assignment(
        municipality=bw.municipality,
        given_by=bw.kf,
        lead=bw.bun,
        code="BUN-OLD",
        start_year=2025,
        due_date=datetime.date(2025, 12, 31),
    )
    context = selectors.organisation_budget(organisation=bw.bun, year=2027, user=bw.official)
    assert [a.code for a in context["assignments"]] == ["BUN-2027-1", "BUN-OLD"]
    assert overdue in context["assignments"] and context["assignments"][1].is_overdue
    assert context["row"].cell(2027).total == 400_500_000
    school = selectors.organisation_budget(organisation=bw.bun_admin, year=2027, user=bw.official)
    assert school["frame_owner"] == bw.bun and school["rows"][0].cell(2027).assignment_money == 1_500_000
    company = f.make_org(parent=bw.kf, kind="company", name="Stadshus AB", code="STAB")
    outside = selectors.organisation_budget(organisation=company, year=2027, user=bw.official)
    assert outside["outside_frames"] and outside["frame_owner"] is None and outside["rows"] == []


@pytest.mark.parametrize(("today", "late"), [("2026-11-30", False), ("2026-12-01", True)])
def test_calendar_page_marks_late_steps(bw, today, late):
    import datetime

    context = selectors.calendar_page(
        municipality=bw.municipality, year=2026, user=bw.official, today=datetime.date.fromisoformat(today)
    )
    milestones = {m.description: m for m in context["milestones"]}
    assert [m.description for m in context["milestones"]] == [
        "Dialog med medborgare",
        "Detaljbudget BUN",
        "Detaljbudget SN",
    ]
    assert milestones["Dialog med medborgare"].late is True
    assert milestones["Detaljbudget BUN"].late is late  # month only: late once November is over
    assert milestones["Detaljbudget BUN"].can_report and not milestones["Detaljbudget SN"].can_report
