"""The budget section of the demo: Vaggeryd's timetable (seed 001) line by line, budgets that show both a missed
financial goal and a deficit, and a loader that can run again without adding anything."""

import datetime
import shutil

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from budget import selectors
from budget.models import Budget, BudgetDecision, Calendar, Frame, Milestone
from goals import demo as goals_demo
from styrning.models import Municipality


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def results(slug, year=2026):
    budget = Budget.objects.get(municipality__slug=slug, year=year)
    admin = budget.municipality.organisations.get(parent=None).memberships.get(role="admin").user
    return selectors.budget_overview(budget=budget, user=admin)


def test_vaggeryds_timetable_from_seed_001_line_by_line(demo):
    calendar = Calendar.objects.get(municipality__slug="vaggeryd", year=2019)
    assert not calendar.is_example
    lines = [(m.timing, m.description) for m in calendar.milestones.order_by("date", "position")]
    assert lines[0] == ("KSAU 16/1", "Dialog plan och process nya mål mandatperiod")
    assert lines[1] == ("KS 6/2, KF 25/2", "Godkännande av förslag plan och process")
    assert lines[3][1] == "Dialog med medborgare" and lines[3][0].startswith("Mars månad (ex. Digitalt verktyg")
    assert lines[-1] == ("KF 25 november", "Beslut Programbudget inkl. nämndmål 2020")
    assert len(lines) == 10
    march = calendar.milestones.get(description="Dialog med medborgare")
    assert march.month_only and march.date == datetime.date(2019, 3, 1)
    assert not calendar.milestones.filter(is_example=True).exists()


def test_demo_budgets_show_a_missed_goal_and_a_deficit(demo):
    vaggeryd, sater, vimmerby = results("vaggeryd"), results("sater"), results("vimmerby")
    assert vaggeryd["results"][0].goal_met and vaggeryd["results"][0].balanced
    assert sater["results"][0].goal_met is False and sater["results"][0].balanced
    assert vimmerby["results"][0].balanced is False and vimmerby["results"][0].deficit > 0
    # The current version is the November one, compared with June.
    assert vaggeryd["decision"].number == 2 and vaggeryd["compared"].number == 1 and vaggeryd["changes"]
    assert Budget.objects.filter(is_example=False).count() == 0


def test_election_year_budget_has_a_complementary_decision_and_one_draft(demo):
    complementary = BudgetDecision.objects.filter(budget__year=2027, kind="complementary")
    assert complementary.count() == 4
    assert list(complementary.filter(status="draft").values_list("budget__municipality__slug", flat=True)) == [
        "vimmerby"
    ]
    for calendar in Calendar.objects.filter(year=2026):
        assert calendar.milestones.filter(kind="complementary").exists()
    assert not Milestone.objects.filter(calendar__year=2027, kind="complementary").exists()


def test_loading_again_adds_nothing(demo):
    counts = (Budget.objects.count(), BudgetDecision.objects.count(), Milestone.objects.count())
    call_command("load_demo", verbosity=0)
    assert (Budget.objects.count(), BudgetDecision.objects.count(), Milestone.objects.count()) == counts
    assert Municipality.objects.count() == 4


def test_each_version_gets_its_rows_of_the_workbook(demo):
    """The workbook's frames of version 2 change the copy of version 1 that the November decision starts from."""
    june = BudgetDecision.objects.get(budget__municipality__slug="vaggeryd", budget__year=2027, number=1)
    november = june.next_versions.get()
    before = {(f.organisation.code, f.year): f.amount for f in june.frames.select_related("organisation")}
    after = {(f.organisation.code, f.year): f.amount for f in november.frames.select_related("organisation")}
    assert before.keys() == after.keys() and before != after
    changed = Frame.history.filter(id__in=november.frames.values("pk"), history_type="~")
    assert set(changed.values_list("history_change_reason", flat=True)) == {"Import av vaggeryd.xlsx"}


def test_a_workbook_row_of_a_version_the_file_does_not_make_is_refused(db, tmp_path, monkeypatch):
    shutil.copy(goals_demo.workbook_path("vaggeryd"), tmp_path / "vaggeryd.xlsx")
    book = openpyxl.load_workbook(tmp_path / "vaggeryd.xlsx")
    row = next(book["Ramar"].iter_rows(min_row=2))
    row[1].value = 3  # Version
    book.save(tmp_path / "vaggeryd.xlsx")
    monkeypatch.setattr(goals_demo, "FIXTURES_DIR", tmp_path)
    with pytest.raises(CommandError) as raised:
        call_command("load_demo", "vaggeryd", verbosity=0)
    assert str(raised.value) == (
        f"vaggeryd.json: vaggeryd.xlsx, blad Ramar, rad {row[0].row}: budget 2026 får ingen version 3 av besluten i "
        "demofilen, så raden skulle inte läsas in"
    )
