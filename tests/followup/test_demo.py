"""
The follow-up section of the demo (issue 4): Vaggeryd's last year with all three periods reported and approved up the
chain, this year's T1 in progress with Barn- och utbildningsnämnden's own report left for `tjansteperson` to finish,
the internal control plans of both years adopted, everything example data, and a loader that adds nothing when it
runs again. The years follow the machine's date, as the rest of the demo does.
"""

import datetime

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from followup.choices import DECIDING_LEVELS, ControlOutcome, EventKind, PlanStatus, ReportStatus
from followup.demo import load_municipality
from followup.models import (
    ActionPlan,
    Control,
    ControlResult,
    FollowUpReport,
    GoalAssessment,
    InternalControlPlan,
    ReportComment,
    ReportEvent,
    ReportingPeriod,
    Risk,
)
from followup.selectors import report_items, report_problems
from styrning.models import Municipality, Organisation
from tests import factories as f

THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Vaggeryd's demo, loaded once for the module through the same command as `make run` and rolled back after it
    (each test runs in a savepoint inside)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", "vaggeryd", verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def vaggeryd(demo, db):
    return Municipality.objects.get(slug="vaggeryd")


def reports(municipality, **filters):
    return FollowUpReport.objects.filter(period__municipality=municipality, **filters).select_related(
        "period", "organisation"
    )


def problems(report):
    assessments, assignment_items, control_results, actions = report_items(report)
    return report_problems(
        report,
        assessments=assessments,
        assignment_items=assignment_items,
        control_results=control_results,
        actions=actions,
    )


def test_last_year_is_reported_and_approved_up_the_chain(vaggeryd):
    periods = ReportingPeriod.objects.filter(municipality=vaggeryd, year=LAST_YEAR)
    assert sorted(periods.values_list("kind", "is_open")) == [("t1", False), ("t2", False), ("t3", False)]
    organisations = Organisation.objects.filter(municipality=vaggeryd).count()
    last = reports(vaggeryd, period__year=LAST_YEAR)
    assert last.count() == 3 * organisations
    assert set(last.values_list("status", flat=True)) == {ReportStatus.APPROVED}

    approved_event = dict(
        ReportEvent.objects.filter(report__in=last, kind=EventKind.APPROVED).values_list("report_id", "pk")
    )
    by_org = {(r.period_id, r.organisation_id): r for r in last}
    for report in last:
        assert [e.kind for e in report.events.all()] == [EventKind.SUBMITTED, EventKind.APPROVED]
        # Bottom-up: each report was approved after the reports of the organisations below it.
        parent = by_org.get((report.period_id, report.organisation.parent_id))
        if parent is not None:
            assert approved_event[parent.pk] > approved_event[report.pk], (parent, report)
        if report.level in DECIDING_LEVELS:
            # At nämnd, bolag, KS and KF level approval is the body's decision, taken on the level's deadline.
            deadline = report.period.deadlines.get(level=report.level).date
            assert report.decided_by == report.organisation and report.decided_on == deadline
            assert report.paragraph and report.registration_number.startswith("Dnr ")
        else:
            assert report.decided_by is None

    # KS assessed fullmäktige's goals each tertial, with forecasts at T1 and T2.
    board = last.filter(organisation__kind="executive_board")
    assessments = GoalAssessment.objects.filter(report__in=board)
    assert assessments.count() >= 3 * 4
    assert not assessments.filter(assessment="").exists()
    assert not assessments.filter(report__period__kind__in=("t1", "t2"), forecast="").exists()
    assert assessments.filter(assessment__in=("partly", "not_met")).exclude(analysis="").exists()


def test_approved_and_submitted_reports_have_nothing_missing(vaggeryd):
    sent_in = reports(vaggeryd, status__in=(ReportStatus.APPROVED, ReportStatus.SUBMITTED))
    assert sent_in.count() > 3 * 20
    assert {report.organisation.code: problems(report) for report in sent_in if problems(report)} == {}
    # The content is the demo file's, not the loader's plain answers for what the file does not cover.
    assert not GoalAssessment.objects.filter(
        report__in=sent_in, analysis__startswith="Aktiviteterna genomförs enligt plan"
    ).exists()
    assert not FollowUpReport.objects.filter(pk__in=sent_in, summary__startswith="Verksamheten har bedrivits").exists()


def test_a_deficit_beyond_delegation_has_an_action_plan(vaggeryd):
    needing = [r for r in reports(vaggeryd) if r.needs_action_plan()]
    assert needing
    assert all(r.actions.exists() for r in needing)
    bun = reports(vaggeryd, period__year=LAST_YEAR, period__kind="t2").get(organisation__code="BUN")
    assert bun.needs_action_plan() and bun.deviation < 0 and bun.within_delegation is False
    assert bun.actions.count() >= 3 and bun.deviation_analysis
    assert bun.status == ReportStatus.APPROVED and bun.decided_by == bun.organisation
    # Money in kronor throughout, the year's budget from the file or the decided frame.
    assert all(isinstance(value, int) for value in (bun.budget, bun.outcome_to_date, bun.forecast))


def test_internal_control_plans_and_a_deviation_followed_up(vaggeryd):
    plans = InternalControlPlan.objects.filter(organisation__municipality=vaggeryd)
    assert sorted(plans.values_list("organisation__code", "year")) == [
        ("BUN", LAST_YEAR),
        ("BUN", THIS_YEAR),
        ("KS", LAST_YEAR),
        ("KS", THIS_YEAR),
    ]
    for plan in plans:
        assert plan.status == PlanStatus.ADOPTED and plan.decided_on < datetime.date(plan.year, 1, 1)
        assert 4 <= plan.risks.count() <= 6
        assert not plan.risks.filter(in_plan=True, controls__isnull=True).exists()
    # BUN's T1 control found a deviation; the T2 report follows it up.
    deviation = ControlResult.objects.get(
        report__period__year=LAST_YEAR,
        report__period__kind="t1",
        report__organisation__code="BUN",
        outcome=ControlOutcome.DONE_DEVIATION,
    )
    assert deviation.findings and deviation.measures
    follow_up = deviation.followed_up_by.get()
    assert follow_up.report.period.kind == "t2" and follow_up.control == deviation.control and follow_up.findings


def test_this_years_t1_is_in_progress(vaggeryd):
    periods = ReportingPeriod.objects.filter(municipality=vaggeryd, year=THIS_YEAR)
    assert sorted(periods.values_list("kind", "is_open")) == [("t1", True), ("t2", False), ("t3", False)]
    t1 = reports(vaggeryd, period__year=THIS_YEAR, period__kind="t1")
    statuses = list(t1.values_list("status", flat=True))
    assert ReportStatus.APPROVED in statuses and ReportStatus.SUBMITTED in statuses
    assert reports(vaggeryd, period__year=THIS_YEAR, status=ReportStatus.SUBMITTED, organisation__kind="unit").exists()

    # The demo nämnd's own report is a draft the official can finish: some goals assessed, some not.
    bun = t1.get(organisation__code="BUN")
    assert bun.status == ReportStatus.DRAFT and bun.summary and bun.forecast is not None
    assert bun.assessments.filter(assessment="").count() >= 2
    assert bun.assessments.exclude(assessment="").exists()
    missing = problems(bun)
    assert missing and all("saknas" in message for message in missing)
    assert bun.history.filter(history_user__username="tjansteperson").exists()

    # A politician's comment thread on a report of the open period.
    thread = ReportComment.objects.filter(report=bun)
    root = thread.get(parent=None)
    assert root.author.username == "politiker"
    assert {c.author.username for c in root.replies.all()} >= {"tjansteperson"}


def test_everything_is_example_data(vaggeryd):
    in_vaggeryd = {
        ReportingPeriod: {"municipality": vaggeryd},
        FollowUpReport: {"period__municipality": vaggeryd},
        GoalAssessment: {"report__period__municipality": vaggeryd},
        ControlResult: {"report__period__municipality": vaggeryd},
        ActionPlan: {"report__period__municipality": vaggeryd},
        InternalControlPlan: {"organisation__municipality": vaggeryd},
        Risk: {"plan__organisation__municipality": vaggeryd},
        Control: {"risk__plan__organisation__municipality": vaggeryd},
    }
    for model, lookup in in_vaggeryd.items():
        assert model.objects.filter(**lookup).exists(), model
        assert not model.objects.filter(is_example=False, **lookup).exists(), model


def test_loading_again_adds_nothing(vaggeryd):
    models = (ReportingPeriod, FollowUpReport, GoalAssessment, ActionPlan, ReportComment, InternalControlPlan)
    counts = [model.objects.count() for model in models] + [FollowUpReport.history.count()]
    call_command("load_demo", "vaggeryd", verbosity=0)
    assert [model.objects.count() for model in models] + [FollowUpReport.history.count()] == counts


def test_a_municipality_without_a_file_gets_this_years_t1_open(db):
    municipality = f.make_municipality(name="Testkommun", slug="testkommun")
    f.make_org(parent=f.root_of(municipality), name="Kultur- och fritidsnämnden", code="KFN")
    admin = f.make_user("testadmin")
    counts = load_municipality(municipality, {}, user=admin, today=datetime.date(2030, 3, 2))
    assert counts == {"uppföljningsperioder": 3, "uppföljningsrapporter": 2, "interna kontrollplaner": 0}
    periods = ReportingPeriod.objects.filter(municipality=municipality)
    assert sorted(periods.values_list("year", "kind", "is_open")) == [
        (2030, "t1", True),
        (2030, "t2", False),
        (2030, "t3", False),
    ]
    t1 = periods.get(kind="t1")
    assert t1.deadlines.get(level="committee").date == datetime.date(2030, 5, 27)
    assert set(FollowUpReport.objects.filter(period=t1).values_list("status", "is_example")) == {
        (ReportStatus.DRAFT, True)
    }
    # Loading again adds nothing.
    assert load_municipality(municipality, {}, user=admin) == counts
    assert ReportingPeriod.objects.filter(municipality=municipality).count() == 3
