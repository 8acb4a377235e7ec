"""
The tertial report's life (followup.services): a period opened gives every organisation its report with what it must
answer; a report is sent in only when nothing is missing (each missing item named in Swedish); sent in or approved it
is locked; återremitterad it is written again; approval at nämnd level is the body's decision; reopening needs a
reason. Every step leaves a ReportEvent and a history row with the user and the reason. Also: who may approve
(styrning.permissions APPROVE) and the constant query count of creating and filling the reports.
"""

import datetime
import math

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from assignments.models import AssignmentStatusUpdate
from followup import services
from followup.choices import ActionStatus, Assessment, ControlOutcome, EventKind, PeriodKind, ReportStatus
from followup.models import (
    ControlResult,
    FollowUpReport,
    GoalAssessment,
    ReportEvent,
    ReportingDeadline,
)
from followup.selectors import report_page
from styrning.models import Organisation
from styrning.permissions import APPROVE, CHANGE, can, restrict
from styrning.services import membership_grant
from tests import factories as f

from .conftest import DEADLINES, FRAMES, MKR, fill, open_period, report_of

BUN1 = "Målet BUN1 Fler elever klarar skolan"
DECISION = {"decided_on": datetime.date(2025, 5, 20), "paragraph": "45", "registration_number": "Dnr BUN 2025/12"}


def problems_of(report, user):
    """The messages report_submit refuses with (and nothing is sent in)."""
    with pytest.raises(ValidationError) as refused:
        services.report_submit(report, user=user)
    report.refresh_from_db()
    assert report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED)
    return refused.value.messages


def ready(w, report=None, **economy):
    """BUN's report (or `report`) filled so it may be sent in; BUF assesses BUF1 the same way first, so that BUN's
    assessment agrees with the roll-up of its förvaltning."""
    buf1 = w.buf_report.assessments.get(goal=w.buf1)
    buf1.assessment = Assessment.MET
    services.item_save(buf1, user=w.official)
    report = report or w.bun_report
    return fill(report, user=w.official, **economy)


def submit(w, report=None, **economy):
    report = ready(w, report, **economy)
    return services.report_submit(report, user=w.official)


def last_history(obj):
    return obj.history.order_by("-history_id").first()


# --- Opening a period -------------------------------------------------------------------------------------------------


def test_period_create_sets_a_deadline_per_level(world):
    period = services.period_create(
        municipality=world.municipality, year=2025, kind=PeriodKind.T2, user=world.admin, deadlines=DEADLINES
    )
    assert {d.level: d.date for d in period.deadlines.all()} == DEADLINES
    assert not period.is_open and not period.reports.exists()
    assert (last_history(period).history_user, last_history(period).history_change_reason) == (world.admin, "Skapad")
    # Without dates, each level is due a number of days after the period's end (31 August).
    t3 = services.period_create(municipality=world.municipality, year=2025, kind=PeriodKind.T3, user=world.admin)
    dates = dict(ReportingDeadline.objects.filter(period=t3).values_list("level", "date"))
    assert dates["unit"] == datetime.date(2026, 1, 10) and dates["council"] == datetime.date(2026, 2, 25)
    # The thresholds follow from the municipality's latest period (here T3 2025).
    t3.deviation_threshold_percent = 2
    t3.deviation_threshold_amount = 500_000
    services.period_save(t3, user=world.admin)
    t1 = services.period_create(municipality=world.municipality, year=2026, kind=PeriodKind.T1, user=world.admin)
    assert (t1.deviation_threshold_percent, t1.deviation_threshold_amount) == (2, 500_000)


def test_period_open_gives_every_organisation_its_report(fw):
    w = fw
    reports = FollowUpReport.objects.filter(period=w.t1).select_related("organisation")
    organisations = Organisation.objects.filter(municipality=w.municipality)
    assert sorted(r.organisation.code for r in reports) == sorted(o.code for o in organisations)
    assert not FollowUpReport.objects.filter(organisation__municipality=w.other).exists()
    assert all(r.status == ReportStatus.DRAFT for r in reports)
    # An assessment of each goal of the organisation's plan for the year; KS assesses KF's goals for the council.
    goals = {r.organisation.code: sorted(r.assessments.values_list("goal__code", flat=True)) for r in reports}
    assert goals == {"KF": [], "KS": ["KF1", "KF2"], "BUN": ["BUN1"], "BUF": ["BUF1"], "HAGA": [], "SN": ["SN1"]}
    # A row per assignment the organisation leads.
    rows = {r.organisation.code: list(r.assignment_items.values_list("assignment__code", flat=True)) for r in reports}
    assert rows["BUN"] == ["KF-2025-1"] and rows["SN"] == ["KF-2025-2"] and rows["KS"] == []
    # The budget from the frame in force (the decided 2025 budget); none where there is no frame.
    budgets = {r.organisation.code: r.budget for r in reports}
    assert budgets == {
        "KF": None,
        "KS": FRAMES["ks"],
        "BUN": FRAMES["bun"],
        "BUF": None,
        "HAGA": None,
        "SN": FRAMES["sn"],
    }
    # With history: who opened the period and why.
    record = w.bun_report.history.get()
    assert (record.history_user, record.history_change_reason) == (w.admin, "Skapad när perioden öppnades")
    record = w.bun_report.assessments.get().history.get()
    assert (record.history_user, record.history_change_reason) == (w.admin, "Förberedd för rapportering")
    assert last_history(w.t1).history_change_reason == "Öppnad för rapportering"

    with pytest.raises(ValidationError) as refused:
        services.period_open(w.t1, user=w.admin)
    assert refused.value.messages == ["Perioden är redan öppen."]


def test_period_open_lists_the_controls_due_in_the_tertial(fw):
    w = fw
    # T1: the control reported every tertial, not the one reported at T3 only nor the risk left out of the plan.
    assert [r.control for r in w.bun_report.control_results.all()] == [w.every_control]
    assert not ControlResult.objects.filter(report__organisation=w.sn).exists()
    # A deviation at T1 is followed up at T2.
    result = w.bun_report.control_results.get()
    result.outcome = ControlOutcome.DONE_DEVIATION
    result.findings = "Två inköp utanför avtal."
    result.measures = "Utbildning i upphandling."
    services.item_save(result, user=w.official)
    t2 = open_period(w, kind=PeriodKind.T2)
    assert [(r.control, r.follows_up) for r in report_of(t2, w.bun).control_results.all()] == [
        (w.every_control, result)
    ]
    t3 = open_period(w, kind=PeriodKind.T3)
    assert {r.control for r in report_of(t3, w.bun).control_results.all()} == {w.every_control, w.t3_control}


def test_period_close_and_reopen(fw):
    w = fw
    services.period_close(w.t1, user=w.admin)
    assert not w.t1.is_open
    with pytest.raises(ValidationError) as refused:
        services.period_close(w.t1, user=w.admin)
    assert refused.value.messages == ["Perioden är redan stängd."]
    assert last_history(w.t1).history_change_reason == "Stängd för rapportering"
    # Opened again: nothing is created twice.
    count = GoalAssessment.objects.count()
    services.period_open(w.t1, user=w.admin)
    assert FollowUpReport.objects.filter(period=w.t1).count() == 6 and GoalAssessment.objects.count() == count


def test_reports_fill_adds_what_is_new_and_keeps_what_is_written(fw):
    w = fw
    item = w.bun_report.assessments.get()
    item.analysis = "Skriven text."
    services.item_save(item, user=w.official)
    bun2 = f.make_goal(parent=w.kf2, organisation=w.bun, plan=w.bun_plan, code="BUN2", title="Fler i arbete")
    sn2 = f.make_goal(parent=w.kf2, organisation=w.sn, plan=w.sn_plan, code="SN2", title="Fler i egen försörjning")
    sn_report = report_of(w.t1, w.sn)
    sn_report = fill(sn_report, user=w.outsider)
    services.report_submit(sn_report, user=w.outsider)

    services.reports_fill(
        list(FollowUpReport.objects.filter(period=w.t1).select_related("period", "organisation")), user=w.admin
    )

    assert list(w.bun_report.assessments.values_list("goal__code", "analysis")) == [
        ("BUN1", "Skriven text."),
        ("BUN2", ""),
    ]
    assert not GoalAssessment.objects.filter(goal=sn2).exists()  # a report sent in is left as it is
    assert bun2.assessments.get().history.get().history_user == w.admin


# --- What stops a report from being sent in ---------------------------------------------------------------------------


def test_an_empty_report_names_each_missing_item(fw):
    w = fw
    assert problems_of(w.bun_report, w.official) == [
        f"{BUN1}: bedömning saknas.",
        f"{BUN1}: prognos för helåret saknas.",
        "Uppdraget KF-2025-1: status saknas.",
        "Uppdraget KF-2025-1: kommentar saknas.",
        "Ekonomi: utfall hittills saknas.",
        "Ekonomi: prognos för helåret saknas.",
        "Intern kontroll Stickprov på tio inköp: resultat saknas.",
    ]
    assert not ReportEvent.objects.exists()
    # Where no frame was decided the budget is asked for too.
    assert "Ekonomi: budget för året saknas." in problems_of(w.buf_report, w.official)


def test_a_complete_report_may_be_sent_in(fw):
    w = fw
    report = ready(w)
    assert report_page(report=report, user=w.official)["problems"] == []
    services.report_submit(report, user=w.official)
    assert report.status == ReportStatus.SUBMITTED


@pytest.mark.parametrize(
    ("assessment", "needs_analysis"),
    [
        (Assessment.MET, False),
        (Assessment.PARTLY_MET, True),
        (Assessment.NOT_MET, True),
        (Assessment.NOT_ASSESSED, False),
    ],
)
def test_goal_analysis_is_required_when_the_goal_is_not_met(fw, assessment, needs_analysis):
    w = fw
    report = ready(w, analysis="")
    item = report.assessments.get()
    item.assessment = item.forecast = assessment
    item.justification = "BUF:s mål är uppfyllt men nämndens helhet är det inte."
    services.item_save(item, user=w.official)
    expected = [f"{BUN1}: analys saknas (krävs när målet inte är uppfyllt)."] if needs_analysis else []
    assert report_page(report=report, user=w.official)["problems"] == expected


def test_forecast_is_asked_for_at_t1_and_t2_only(fw):
    w = fw
    t3 = open_period(w, kind=PeriodKind.T3)
    report = report_of(t3, w.bun)
    problems = problems_of(report, w.official)
    assert f"{BUN1}: bedömning saknas." in problems
    assert not any("prognos" in p for p in problems)
    # At T3 the year's outcome is the figure: no forecast needed.
    report = fill(report, user=w.official)
    report.forecast = None
    report.outcome_to_date = FRAMES["bun"]
    services.report_save(report, user=w.official)
    buf1 = report_of(t3, w.bun_admin).assessments.get()
    buf1.assessment = Assessment.MET
    services.item_save(buf1, user=w.official)
    services.report_submit(report, user=w.official)
    assert report.status == ReportStatus.SUBMITTED


def test_economy_figures_are_required(fw):
    w = fw
    report = ready(w)
    report.budget = report.outcome_to_date = report.forecast = None
    services.report_save(report, user=w.official)
    assert problems_of(report, w.official) == [
        "Ekonomi: budget för året saknas.",
        "Ekonomi: utfall hittills saknas.",
        "Ekonomi: prognos för helåret saknas.",
    ]


DEVIATION_ANALYSIS = (
    "Ekonomi: avvikelseanalys saknas (avvikelsen är större än gränsen; även en positiv avvikelse ska analyseras)."
)


@pytest.mark.parametrize(
    ("forecast", "required"),
    [
        (400 * MKR, False),  # on budget
        (404 * MKR, False),  # a deficit of exactly 1 % (the threshold) does not pass it
        (404 * MKR + 1, True),  # one krona more does
        (396 * MKR, False),  # a surplus of exactly 1 %
        (396 * MKR - 1, True),  # a positive deviation past the threshold is analysed too (004)
        (350 * MKR, True),
    ],
)
def test_deviation_analysis_is_required_past_the_threshold(fw, forecast, required):
    w = fw
    report = ready(w, forecast=forecast)
    report.within_delegation = True
    services.report_save(report, user=w.official)
    problems = report_page(report=report, user=w.official)["problems"]
    assert (DEVIATION_ANALYSIS in problems) == required
    report.deviation_analysis = "Fler barn i förskolan än budgeterat."
    services.report_save(report, user=w.official)
    assert report_page(report=report, user=w.official)["problems"] == []


def test_deviation_threshold_in_kronor(fw):
    w = fw
    w.t1.deviation_threshold_amount = 1 * MKR
    services.period_save(w.t1, user=w.admin)
    report = ready(w, forecast=398 * MKR)  # a surplus of 0.5 %, but 2 mkr
    assert report_page(report=report, user=w.official)["problems"] == [DEVIATION_ANALYSIS]


def test_action_plan_is_required_when_a_deficit_cannot_be_handled_within_delegation(fw):
    w = fw
    report = ready(w, forecast=412 * MKR)
    report.deviation_analysis = "Fler barn i förskolan än budgeterat."
    services.report_save(report, user=w.official)
    assert problems_of(report, w.official) == ["Ekonomi: ange om underskottet kan hanteras inom delegation."]

    report.within_delegation = True
    services.report_save(report, user=w.official)
    assert report_page(report=report, user=w.official)["problems"] == []

    report.within_delegation = False
    services.report_save(report, user=w.official)
    assert problems_of(report, w.official) == ["Åtgärdsplan saknas: underskottet kan inte hanteras inom delegation."]

    action = services.action_add(
        report,
        user=w.official,
        measure="Vakanta tjänster tillsätts inte under hösten.",
        responsible="Förvaltningschef",
        due_date=datetime.date(2025, 9, 1),
        effect=6 * MKR,
    )
    assert action.status == ActionStatus.PLANNED and action.history.get().history_user == w.official
    services.report_submit(report, user=w.official)
    assert report.status == ReportStatus.SUBMITTED


def test_no_action_plan_for_a_surplus_or_at_t3(fw):
    w = fw
    report = ready(w, forecast=380 * MKR)  # a surplus
    report.deviation_analysis = "Vakanser."
    report.within_delegation = False
    services.report_save(report, user=w.official)
    assert report_page(report=report, user=w.official)["problems"] == []

    t3 = open_period(w, kind=PeriodKind.T3)
    report = fill(report_of(t3, w.bun), user=w.official, forecast=420 * MKR)
    report.deviation_analysis = "Fler barn."
    report.within_delegation = False
    services.report_save(report, user=w.official)
    problems = report_page(report=report, user=w.official)["problems"]
    assert not any("tgärdsplan" in p or "delegation" in p for p in problems)


def test_control_results_are_required(fw):
    w = fw
    report = ready(w)
    result = report.control_results.get()
    name = "Intern kontroll Stickprov på tio inköp"
    for outcome, findings, measures, expected in [
        ("", "", "", [f"{name}: resultat saknas."]),
        (ControlOutcome.DONE_OK, "", "", []),
        (
            ControlOutcome.DONE_DEVIATION,
            "",
            "",
            [f"{name}: iakttagelser saknas.", f"{name}: åtgärder saknas för avvikelsen."],
        ),
        (ControlOutcome.DONE_DEVIATION, "Två inköp utanför avtal.", "Utbildning.", []),
        (ControlOutcome.NOT_DONE, "", "", [f"{name}: iakttagelser saknas."]),
    ]:
        result.outcome, result.findings, result.measures = outcome, findings, measures
        services.item_save(result, user=w.official)
        assert report_page(report=report, user=w.official)["problems"] == expected, outcome


# --- Locked reports ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_a_locked_report_cannot_be_edited(fw, status):
    w = fw
    stale = report_of(w.t1, w.bun)  # loaded before it was sent in
    report = submit(w)
    if status == "approved":
        services.report_approve(report, user=w.colleague, decided_by=w.bun, **DECISION)
    message = f"Rapporten är {'inskickad' if status == 'submitted' else 'godkänd'} och kan inte ändras."
    item = report.assessments.get()
    item.analysis = "Ändrad efteråt."
    action = {"measure": "Något", "responsible": "Någon", "due_date": datetime.date(2025, 9, 1)}
    for write in (
        lambda: services.report_save(report, user=w.official),
        lambda: services.report_save(stale, user=w.official),
        lambda: services.item_save(item, user=w.official),
        lambda: services.item_save(stale.assessments.get(), user=w.admin),
        lambda: services.action_add(report, user=w.official, **action),
        lambda: services.report_compile(report, user=w.official),
    ):
        with pytest.raises(ValidationError) as refused:
            write()
        assert refused.value.messages == [message]
    with pytest.raises(ValidationError):
        services.report_submit(stale, user=w.official)
    report.refresh_from_db()
    assert report.status == status and report.assessments.get().analysis == "Analys."


def test_saving_a_report_never_changes_its_workflow(fw):
    w = fw
    report = ready(w)
    report.status = ReportStatus.APPROVED  # whatever the object says, only the transitions move the status
    report.summary = "En bra start på året."
    services.report_save(report, user=w.official)
    report.refresh_from_db()
    assert (report.status, report.summary) == (ReportStatus.DRAFT, "En bra start på året.")


# --- The transitions --------------------------------------------------------------------------------------------------


def test_submit_return_submit_approve_reopen(fw):
    w = fw
    report = submit(w)
    assert (report.status, report.submitted_by) == (ReportStatus.SUBMITTED, w.official)
    assert report.submitted_at is not None
    record = last_history(report)
    assert (record.status, record.history_user, record.history_change_reason) == ("submitted", w.official, "Inskickad")

    # Sent back: a comment is required.
    for comment in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            services.report_return(report, user=w.colleague, comment=comment)
        assert refused.value.message_dict == {
            "comment": ["Skriv vad som behöver ändras innan rapporten skickas tillbaka."]
        }
    services.report_return(report, user=w.colleague, comment="Utveckla analysen av BUN1.")
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED and report.is_writable
    record = last_history(report)
    assert (record.history_user, record.history_change_reason) == (
        w.colleague,
        "Återremitterad: Utveckla analysen av BUN1.",
    )
    # Writable again.
    item = report.assessments.get()
    item.analysis = "Fler elever når målen i svenska; matematiken släpar."
    services.item_save(item, user=w.official, reason="Efter återremiss")
    assert (last_history(item).history_user, last_history(item).history_change_reason) == (
        w.official,
        "Efter återremiss",
    )

    services.report_submit(report, user=w.official)
    assert report.status == ReportStatus.SUBMITTED

    # At nämnd level approval is the nämnd's decision: organ and date.
    with pytest.raises(ValidationError) as refused:
        services.report_approve(report, user=w.colleague)
    assert refused.value.message_dict == {
        "decided_by": ["Ange vilket organ som beslutade om rapporten."],
        "decided_on": ["Ange beslutsdatum."],
    }
    with pytest.raises(ValidationError) as refused:
        services.report_approve(report, user=w.colleague, decided_by=w.other_kf, **DECISION)
    assert refused.value.message_dict == {"decided_by": ["Det beslutande organet tillhör en annan kommun."]}
    services.report_approve(report, user=w.colleague, decided_by=w.bun, comment="Godkänd utan ändringar.", **DECISION)
    report.refresh_from_db()
    assert (report.status, report.approved_by, report.decided_by) == (ReportStatus.APPROVED, w.colleague, w.bun)
    assert report.approved_at is not None and report.decision_display == "BUN 2025-05-20 § 45, Dnr BUN 2025/12"
    assert (last_history(report).history_user, last_history(report).history_change_reason) == (w.colleague, "Godkänd")
    assert not report.is_writable

    # Reopening needs a reason, which is recorded.
    with pytest.raises(ValidationError) as refused:
        services.report_reopen(report, user=w.colleague, reason=" ")
    assert refused.value.message_dict == {"reason": ["Ange varför den godkända rapporten öppnas igen."]}
    services.report_reopen(report, user=w.colleague, reason="Fel utfall för april.")
    report.refresh_from_db()
    assert (report.status, report.approved_by, report.approved_at) == (ReportStatus.DRAFT, None, None)
    record = last_history(report)
    assert (record.history_user, record.history_change_reason) == (w.colleague, "Öppnad igen: Fel utfall för april.")
    report.forecast = 401 * MKR
    services.report_save(report, user=w.official)

    events = list(report.events.values_list("kind", "user__username", "comment"))
    assert events == [
        (EventKind.SUBMITTED, "official", ""),
        (EventKind.RETURNED, "colleague", "Utveckla analysen av BUN1."),
        (EventKind.SUBMITTED, "official", ""),
        (EventKind.APPROVED, "colleague", "Godkänd utan ändringar."),
        (EventKind.REOPENED, "colleague", "Fel utfall för april."),
    ]


def test_transitions_refused_from_the_wrong_status(fw):
    w = fw
    report = w.bun_report
    for transition, message in [
        (
            lambda: services.report_return(report, user=w.colleague, comment="Nej."),
            "Bara en inskickad rapport kan återremitteras.",
        ),
        (
            lambda: services.report_approve(report, user=w.colleague, decided_by=w.bun, **DECISION),
            "Bara en inskickad rapport kan godkännas.",
        ),
        (
            lambda: services.report_reopen(report, user=w.colleague, reason="Nej."),
            "Bara en godkänd rapport kan öppnas igen.",
        ),
    ]:
        with pytest.raises(ValidationError) as refused:
            transition()
        assert refused.value.messages == [message]
    submit(w, report)
    with pytest.raises(ValidationError) as refused:
        services.report_submit(report, user=w.official)
    assert refused.value.messages == ["Rapporten är inskickad och kan inte ändras."]
    with pytest.raises(ValidationError):
        services.report_reopen(report, user=w.colleague, reason="Nej.")
    # A transition decides on the status in the database, not on a stale object.
    stale = report_of(w.t1, w.bun)
    services.report_return(report, user=w.colleague, comment="Komplettera.")
    with pytest.raises(ValidationError):
        services.report_approve(stale, user=w.colleague, decided_by=w.bun, **DECISION)
    assert stale.status == ReportStatus.RETURNED


def test_approval_below_nämnd_level_needs_no_decision(fw):
    w = fw
    report = fill(w.buf_report, user=w.official)
    services.report_submit(report, user=w.official)
    services.report_approve(report, user=w.official, comment="Bra.")
    assert report.status == ReportStatus.APPROVED and report.decided_by is None


def test_reopen_adds_what_the_plan_gained_meanwhile(fw):
    w = fw
    report = submit(w)
    services.report_approve(report, user=w.colleague, decided_by=w.bun, **DECISION)
    f.make_goal(parent=w.kf2, organisation=w.bun, plan=w.bun_plan, code="BUN2", title="Fler i arbete")
    services.report_reopen(report, user=w.admin, reason="Nytt mål i nämndplanen.")
    assert list(report.assessments.values_list("goal__code", flat=True)) == ["BUN1", "BUN2"]


def test_submitting_reports_the_assignments_status(fw):
    w = fw
    report = submit(w)
    update = AssignmentStatusUpdate.objects.get(assignment=w.bun_assignment)
    assert (update.organisation, update.status, update.comment) == (w.bun, "ongoing", "Arbetet pågår enligt plan.")
    assert update.history.get().history_user == w.official
    w.bun_assignment.refresh_from_db()
    assert w.bun_assignment.status == "ongoing"
    # Sent in again unchanged after a return: not reported twice; with a new comment: reported.
    services.report_return(report, user=w.colleague, comment="Komplettera.")
    services.report_submit(report, user=w.official)
    assert AssignmentStatusUpdate.objects.filter(assignment=w.bun_assignment).count() == 1
    services.report_return(report, user=w.colleague, comment="Komplettera.")
    item = report.assignment_items.get()
    item.comment = "Utredningen är klar i september."
    services.item_save(item, user=w.official)
    services.report_submit(report, user=w.official)
    assert list(
        AssignmentStatusUpdate.objects.filter(assignment=w.bun_assignment)
        .order_by("created", "pk")
        .values_list("comment", flat=True)
    ) == ["Arbetet pågår enligt plan.", "Utredningen är klar i september."]
    # The assignment SN leads is not BUN's to report.
    assert not AssignmentStatusUpdate.objects.filter(assignment=w.sn_assignment).exists()


def test_an_assignment_reported_as_not_started_is_recorded_too(fw):
    w = fw
    report = ready(w)
    item = report.assignment_items.get()
    item.status = "not_started"
    item.comment = "Startar i augusti."
    services.item_save(item, user=w.official)
    services.report_submit(report, user=w.official)
    assert list(AssignmentStatusUpdate.objects.values_list("status", "comment")) == [
        ("not_started", "Startar i augusti.")
    ]


def test_an_assignment_ended_by_decision_does_not_block_the_report(fw):
    w = fw
    report = ready(w)
    w.bun_assignment.status = "ended"
    w.bun_assignment.closed_on = datetime.date(2025, 3, 1)
    w.bun_assignment.save()
    services.report_submit(report, user=w.official)
    assert report.status == ReportStatus.SUBMITTED
    assert not AssignmentStatusUpdate.objects.exists()


# --- Compiling and commenting -----------------------------------------------------------------------------------------


def test_compile_fills_empty_texts_from_the_children(fw):
    w = fw
    buf1 = w.buf_report.assessments.get()
    buf1.assessment = Assessment.PARTLY_MET
    buf1.analysis = "Läsningen har ökat men inte nått målet."
    services.item_save(buf1, user=w.official)
    w.buf_report.summary = "Ett lugnt tertial."
    services.report_save(w.buf_report, user=w.official)

    assert services.report_compile(w.bun_report, user=w.official) == 2
    item = w.bun_report.assessments.get()
    assert (
        item.analysis == "Barn- och utbildningsförvaltningen (delvis uppfyllt): Läsningen har ökat men inte nått målet."
    )
    assert w.bun_report.summary == "Barn- och utbildningsförvaltningen: Ett lugnt tertial."
    assert last_history(item).history_change_reason == "Sammanställd från underliggande rapporter"
    # What the writer wrote is kept.
    item.analysis = "Egen text."
    services.item_save(item, user=w.official)
    assert services.report_compile(w.bun_report, user=w.official) == 0
    assert w.bun_report.assessments.get().analysis == "Egen text."


def test_comments_in_threads(fw):
    w = fw
    with pytest.raises(ValidationError) as refused:
        services.comment_add(w.bun_report, user=w.politician, text="  ")
    assert refused.value.message_dict == {"text": ["Skriv en kommentar."]}
    question = services.comment_add(w.bun_report, user=w.politician, text="Varför ökar kostnaderna?")
    answer = services.comment_add(w.bun_report, user=w.official, text="Fler barn.", parent=question)
    assert answer.parent == question and question.author == w.politician
    with pytest.raises(ValidationError) as refused:
        services.comment_add(w.buf_report, user=w.official, text="Fel tråd.", parent=question)
    assert refused.value.message_dict == {"parent": ["Svaret hör till en annan rapport."]}
    page = report_page(report=w.bun_report, user=w.colleague)
    assert [(c.text, [r.text for r in c.thread_replies]) for c in page["threads"]] == [
        ("Varför ökar kostnaderna?", ["Fler barn."])
    ]
    assert report_page(report=w.bun_report, user=w.outsider)["threads"] == []


# --- Who approves -----------------------------------------------------------------------------------------------------

# persona → the reports (by organisation code) they may approve or return.
APPROVERS = {
    "official": {"BUF", "HAGA"},  # editor of BUN: the levels below, never BUN's own report
    "colleague": {"BUN", "BUF", "HAGA"},  # reviewer of BUN: the nämnd's own report and below
    "politician": {"KF", "KS", "BUN", "BUF", "HAGA", "SN"},  # reviewer of the whole municipality
    "outsider": {"SN"} - {"SN"},  # editor of SN: nothing of BUN, not SN's own report (nothing below SN here)
    "foreigner": set(),
    "admin": {"KS", "BUN", "BUF", "HAGA", "SN"},  # administrator of KF: every level below, not KF's own
}


@pytest.mark.parametrize("persona", list(APPROVERS))
def test_who_may_approve(fw, persona):
    w = fw
    user = getattr(w, persona)
    reports = list(FollowUpReport.objects.filter(period=w.t1).select_related("organisation"))
    by_can = {r.organisation.code for r in reports if can(user, r, APPROVE)}
    by_restrict = set(
        restrict(FollowUpReport.objects.all(), user, APPROVE).values_list("organisation__code", flat=True)
    )
    assert by_can == APPROVERS[persona]
    assert by_restrict == by_can


def test_who_may_approve_spot_checks(fw):
    w = fw
    assert not can(w.official, w.bun_report, APPROVE)
    assert can(w.official, w.buf_report, APPROVE)
    assert can(w.colleague, w.bun_report, APPROVE)
    assert can(w.politician, w.bun_report, APPROVE)
    assert not can(w.outsider, w.bun_report, APPROVE)
    assert not can(w.foreigner, w.bun_report, APPROVE)
    assert can(w.admin, w.bun_report, APPROVE)
    assert not can(w.admin, report_of(w.t1, w.kf), APPROVE)
    # A reviewer of a förvaltning approves it but not the nämnd above it; a superuser approves everything.
    reviewer = f.make_user("buf_reviewer")
    membership_grant(user=reviewer, organisation=w.bun_admin, role="reviewer", granted_by=None)
    assert can(reviewer, w.buf_report, APPROVE) and not can(reviewer, w.bun_report, APPROVE)
    superuser = f.make_user("root", is_superuser=True)
    assert can(superuser, report_of(w.t1, w.kf), APPROVE)
    assert restrict(FollowUpReport.objects.all(), superuser, APPROVE).count() == FollowUpReport.objects.count()


# --- Queries ----------------------------------------------------------------------------------------------------------


def _committee_with_children(world, n):
    """A nämnd with `n` enheter, each with a plan and a goal under the nämnd's goal."""
    committee = f.make_org(parent=world.kf, name=f"Nämnd med {n} enheter", code=f"N{n}")
    plan = f.make_plan(organisation=committee, year=2025, title=f"Nämndplan N{n}")
    goal = f.make_goal(parent=world.kf1, organisation=committee, plan=plan, code=f"N{n}-1", title="Nämndens mål")
    for i in range(n):
        unit = f.make_org(parent=committee, kind="unit", name=f"Enhet {n}-{i:03}", code=f"E{n}-{i}")
        unit_plan = f.make_plan(organisation=unit, year=2025, title=f"Enhetsplan {i}")
        f.make_goal(parent=goal, organisation=unit, plan=unit_plan, code=f"E{n}-{i}-1", title="Enhetens mål")
    return committee


def extra_batches(model, rows):
    """INSERT statements beyond one per bulk insert of `rows`: SQLite takes at most 999 parameters a statement, so
    Django splits a large bulk insert into batches (PostgreSQL takes it in one, and this is 0)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return math.ceil(rows / connection.ops.bulk_batch_size(fields, [None] * rows)) - 1


@pytest.mark.parametrize("n", [10, 100])
def test_reports_create_and_fill_query_count(world, n, django_assert_max_num_queries):
    _committee_with_children(world, n)
    period = services.period_create(municipality=world.municipality, year=2025, kind="t1", user=world.admin)
    organisations = Organisation.objects.filter(municipality=world.municipality).count()
    goals = n + 6  # KF1 and KF2 (in KS's report), BUN1, BUF1, SN1, the nämnd's goal and the units' goals
    batches = sum(
        extra_batches(model, rows)
        for model, rows in (
            (FollowUpReport, organisations),
            (FollowUpReport.history.model, organisations),
            (GoalAssessment, goals),
            (GoalAssessment.history.model, goals),
        )
    )
    # The reports there are, the budgets (none decided: no frames), the organisations, the reports and their history
    # inserted, the reports loaded; then reports_fill: the plans' goals, KF's goals (for KS), the assignments, the
    # controls, the items there are (assessments, assignment rows, control results), the assessments and their
    # history inserted. Nothing per organisation or goal.
    with django_assert_max_num_queries(15 + batches):
        reports = services.reports_create(period, user=world.admin)
    assert len(reports) == organisations
    assert GoalAssessment.objects.filter(report__period=period).count() == goals
    # Filling again finds nothing to add: the seven reads only.
    with django_assert_max_num_queries(7):
        services.reports_fill(reports, user=world.admin)
    assert GoalAssessment.objects.filter(report__period=period).count() == goals


def test_reports_of_an_example_period_are_example_data(world):
    period = services.period_create(
        municipality=world.municipality, year=2025, kind="t1", user=world.admin, is_example=True
    )
    services.period_open(period, user=world.admin)
    assert set(FollowUpReport.objects.filter(period=period).values_list("is_example", flat=True)) == {True}
    assert set(GoalAssessment.objects.filter(report__period=period).values_list("is_example", flat=True)) == {True}


# persona → the reports (by organisation code) they may write while the reports are drafts.
WRITERS = {
    "official": {"BUN", "BUF", "HAGA"},
    "colleague": set(),
    "politician": set(),
    "outsider": {"SN"},
    "foreigner": set(),
    "admin": {"KF", "KS", "BUN", "BUF", "HAGA", "SN"},
}


@pytest.mark.parametrize("persona", list(WRITERS))
def test_who_may_write_and_nobody_once_sent_in(fw, persona):
    w = fw
    user = getattr(w, persona)
    reports = list(FollowUpReport.objects.filter(period=w.t1).select_related("organisation"))
    assert {r.organisation.code for r in reports if can(user, r, CHANGE)} == WRITERS[persona]
    assert (
        set(restrict(FollowUpReport.objects.all(), user, CHANGE).values_list("organisation__code", flat=True))
        == (WRITERS[persona])
    )
    submit(w)
    assert not can(user, report_of(w.t1, w.bun), CHANGE)
    assert not restrict(FollowUpReport.objects.filter(organisation=w.bun), user, CHANGE).exists()
    assert not restrict(GoalAssessment.objects.filter(report__organisation=w.bun), user, CHANGE).exists()
