"""
Follow-up fixtures on top of the shared `world` (tests/conftest.py): the 2025 budget decided by KF with frames for KS,
BUN and SN; an assignment BUN leads and one SN leads; BUN's adopted internal control plan for 2025 (a control
reported in every tertial, one only at T3, and a risk left out of the plan); and the 2025 T1 period with a deadline
per level, opened so that every organisation has its report. Users have e-mail addresses for the reminders.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model

from followup import services
from followup.choices import Assessment, ControlOutcome, DeadlineLevel, PeriodKind
from followup.models import Control, FollowUpReport, Risk
from tests.budget.conftest import MKR, make_assignment, make_budget, make_decision

DEADLINES = {
    DeadlineLevel.UNIT: datetime.date(2025, 5, 12),
    DeadlineLevel.ADMINISTRATION: datetime.date(2025, 5, 19),
    DeadlineLevel.COMMITTEE: datetime.date(2025, 5, 28),
    DeadlineLevel.EXECUTIVE_BOARD: datetime.date(2025, 6, 10),
    DeadlineLevel.COUNCIL: datetime.date(2025, 6, 24),
}
FRAMES = {"ks": 100 * MKR, "bun": 400 * MKR, "sn": 300 * MKR}


def give_emails(*users):
    """Reminders go only to users with an e-mail address: give each one (in the database and on the object)."""
    for user in users:
        user.email = f"{user.username}@vaggeryd.se"
        get_user_model().objects.filter(pk=user.pk).update(email=user.email)


def open_period(world, *, year=2025, kind=PeriodKind.T1, deadlines=None, user=None):
    """Create the period with the given deadlines (default: DEADLINES) and open it: every organisation gets its
    report."""
    period = services.period_create(
        municipality=world.municipality,
        year=year,
        kind=kind,
        user=user or world.admin,
        deadlines=deadlines or DEADLINES,
    )
    return services.period_open(period, user=user or world.admin)


def report_of(period, organisation):
    return FollowUpReport.objects.select_related("period", "organisation").get(period=period, organisation=organisation)


def make_control_plan(*, organisation, year, user=None, adopt_by=None):
    """A plan with a risk reported every tertial, a risk reported only at T3 and a risk not chosen for the plan."""
    plan = services.control_plan_create(organisation=organisation, year=year, user=user)
    every = services.risk_save(
        Risk(plan=plan, process="Inköp", description="Inköp görs utanför avtal", probability=3, consequence=3),
        user=user,
    )
    yearly = services.risk_save(
        Risk(
            plan=plan, process="Attest", description="Fakturor attesteras av fel person", probability=2, consequence=2
        ),
        user=user,
    )
    services.risk_save(
        Risk(
            plan=plan, process="Kassa", description="Kontanter försvinner", probability=1, consequence=2, in_plan=False
        ),
        user=user,
    )
    services.control_save(Control(risk=every, method="Stickprov på tio inköp", responsible="Ekonomichef"), user=user)
    services.control_save(
        Control(
            risk=yearly, method="Genomgång av attestlistan", responsible="Controller", report_t1=False, report_t2=False
        ),
        user=user,
    )
    if adopt_by is not None:
        plan = services.control_plan_adopt(
            plan, user=user, decided_by=adopt_by, decided_on=datetime.date(year - 1, 12, 10), paragraph="101"
        )
    return plan


def fill(report, *, user, assessment=Assessment.MET, budget=None, outcome=None, forecast=None, analysis="Analys."):
    """Fill everything the report asks for, so it may be sent in: each goal assessed (with forecast, analysis and
    justification), each assignment's status with a comment, the economy on budget and each control carried out."""
    for item in report.assessments.select_related("goal"):
        item.assessment = assessment
        item.forecast = assessment if report.period.has_forecast else ""
        item.analysis = analysis
        services.item_save(item, user=user)
    for item in report.assignment_items.all():
        item.status = "ongoing"
        item.comment = "Arbetet pågår enligt plan."
        services.item_save(item, user=user)
    for item in report.control_results.all():
        item.outcome = ControlOutcome.DONE_OK
        services.item_save(item, user=user)
    report.refresh_from_db()
    if budget is not None or report.budget is None:
        report.budget = budget if budget is not None else 10 * MKR
    report.outcome_to_date = outcome if outcome is not None else report.budget // 3
    report.forecast = forecast if forecast is not None else report.budget
    return services.report_save(report, user=user)


@pytest.fixture
def fw(world):
    """The world with the 2025 budget, assignments, BUN's control plan and the 2025 T1 period opened."""
    w = world
    give_emails(w.official, w.colleague, w.politician, w.outsider, w.foreigner, w.admin)
    w.budget = make_budget(municipality=w.municipality, year=2025)
    frames = {}
    for year in w.budget.years:
        frames[(w.ks, year)] = FRAMES["ks"]
        frames[(w.bun, year)] = FRAMES["bun"]
        frames[(w.sn, year)] = FRAMES["sn"]
    w.decision = make_decision(budget=w.budget, frames=frames, decided_by=w.kf)
    w.bun_assignment = make_assignment(
        municipality=w.municipality,
        given_by=w.kf,
        lead=w.bun,
        code="KF-2025-1",
        start_year=2025,
        title="Utred fler förskoleplatser",
    )
    w.sn_assignment = make_assignment(
        municipality=w.municipality, given_by=w.kf, lead=w.sn, code="KF-2025-2", start_year=2025
    )
    w.control_plan = make_control_plan(organisation=w.bun, year=2025, adopt_by=w.bun)
    w.every_control = Control.objects.get(risk__plan=w.control_plan, report_t1=True)
    w.t3_control = Control.objects.get(risk__plan=w.control_plan, report_t1=False)
    w.t1 = open_period(w)
    w.bun_report = report_of(w.t1, w.bun)
    w.buf_report = report_of(w.t1, w.bun_admin)
    w.ks_report = report_of(w.t1, w.ks)
    return w


@pytest.fixture(autouse=True)
def _no_pdf_approval_copies():
    """Approving a report asks the PDF reports for the decided copy (tests/reports prove it); here it would only
    render PDFs in-process for every approval."""
    from followup.signals import report_approved
    from reports.receivers import archive_approved_report

    uid = "reports.archive_approved_report"
    report_approved.disconnect(archive_approved_report, dispatch_uid=uid)
    yield
    report_approved.connect(archive_approved_report, dispatch_uid=uid)
