"""
Writes of the follow-up: periods and their reports, the report's items, the workflow (utkast → inskickad → godkänd,
or återremitterad back to the writer; reopening an approved report with a reason), comments, the internal control
plan, and the deadline reminders. Every write goes through `object_save` (history with user and reason).
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from assignments.choices import AssignmentStatus
from assignments.models import AssignmentStatusUpdate
from assignments.services import assignment_report_status
from styrning.choices import Role
from styrning.models import Membership, Organisation
from styrning.services import object_delete, object_save

from .choices import (
    DECIDING_LEVELS,
    DEFAULT_DEADLINE_DAYS,
    WRITABLE_STATUSES,
    DeadlineLevel,
    EventKind,
    PeriodKind,
    PlanStatus,
    ReminderKind,
    ReportStatus,
)
from .models import (
    ActionPlan,
    AssignmentFollowUp,
    ControlResult,
    FollowUpReport,
    GoalAssessment,
    InternalControlPlan,
    ReminderLog,
    ReportComment,
    ReportEvent,
    ReportingDeadline,
    ReportingPeriod,
)
from .selectors import (
    frames_in_force,
    report_assignment_ids,
    report_control_ids,
    report_goal_ids,
    report_page,
    submission_problems,
)
from .signals import report_approved

logger = logging.getLogger(__name__)

# --- Periods ------------------------------------------------------------------------------------------------------


# The deviation thresholds a new period takes over from the municipality's latest one.
THRESHOLD_FIELDS = ("deviation_threshold_percent", "deviation_threshold_amount")


@transaction.atomic
def period_create(*, municipality, year, kind, user, deadlines=None, thresholds=None, reason="", is_example=False):
    """Create a period with a deadline per level (`deadlines` {level: date}, else days after the period's end) and the
    deviation thresholds given (`thresholds` {"deviation_threshold_percent": …, "deviation_threshold_amount": …}),
    else those of the municipality's latest period."""
    period = ReportingPeriod(municipality=municipality, year=year, kind=kind, is_example=is_example)
    if thresholds is None:
        latest = ReportingPeriod.objects.filter(municipality=municipality).order_by("-year", "-kind").first()
        if latest is not None:
            thresholds = {name: getattr(latest, name) for name in THRESHOLD_FIELDS}
    for name, value in (thresholds or {}).items():
        setattr(period, name, value)
    object_save(period, user=user, reason=reason or _("Skapad"))
    deadlines = deadlines or {}
    for level in DeadlineLevel:
        date = deadlines.get(level) or period.end_date + datetime.timedelta(days=DEFAULT_DEADLINE_DAYS[level])
        object_save(
            ReportingDeadline(period=period, level=level, date=date, is_example=is_example), user=user, reason=reason
        )
    return period


def periods_create_year(*, municipality, year, user, reason=""):
    """The year's three periods (those missing), with default deadlines. Returns the created periods."""
    existing = set(ReportingPeriod.objects.filter(municipality=municipality, year=year).values_list("kind", flat=True))
    return [
        period_create(municipality=municipality, year=year, kind=kind, user=user, reason=reason)
        for kind in PeriodKind
        if kind not in existing
    ]


def period_save(period, *, user, expected_version=None, reason=""):
    return object_save(period, user=user, expected_version=expected_version, reason=reason)


def deadline_save(deadline, *, user, expected_version=None, reason=""):
    return object_save(deadline, user=user, expected_version=expected_version, reason=reason)


@transaction.atomic
def period_open(period, *, user, reason=""):
    """Open the period for reporting: every organisation of the municipality gets its report, with its goals,
    assignments and controls listed and the budget filled from the frame in force."""
    if period.is_open:
        raise ValidationError(_("Perioden är redan öppen."))
    period.is_open = True
    object_save(period, user=user, reason=reason or _("Öppnad för rapportering"))
    reports_create(period, user=user, is_example=period.is_example)
    return period


@transaction.atomic
def period_close(period, *, user, reason=""):
    if not period.is_open:
        raise ValidationError(_("Perioden är redan stängd."))
    period.is_open = False
    return object_save(period, user=user, reason=reason or _("Stängd för rapportering"))


def reports_create(period, *, user, is_example=False):
    """Create the missing reports of the period (one per organisation) and fill them. A constant number of queries."""
    organisations = Organisation.objects.filter(municipality=period.municipality_id)
    existing = set(FollowUpReport.objects.filter(period=period).values_list("organisation_id", flat=True))
    frames = frames_in_force(period.municipality_id, period.year)
    new = [
        FollowUpReport(period=period, organisation=org, budget=frames.get(org.pk), is_example=is_example)
        for org in organisations
        if org.pk not in existing
    ]
    bulk_create_with_history(
        new, FollowUpReport, default_user=user, default_change_reason=_("Skapad när perioden öppnades")
    )
    reports = list(FollowUpReport.objects.filter(period=period).select_related("period", "organisation"))
    reports_fill(reports, user=user)
    return reports


def reports_fill(reports, *, user):
    """Add to writable reports the items they lack: an assessment per goal of the plan, a row per assignment the
    organisation leads, a result per control due this tertial (and per deviation to follow up). Existing items are
    kept. A constant number of queries for any number of reports."""
    reports = [r for r in reports if r.status in WRITABLE_STATUSES]
    if not reports:
        return
    ids = [r.pk for r in reports]
    goals = report_goal_ids(reports)
    assignments = report_assignment_ids(reports)
    controls = report_control_ids(reports)
    have_goals = set(GoalAssessment.objects.filter(report__in=ids).values_list("report_id", "goal_id"))
    have_assignments = set(AssignmentFollowUp.objects.filter(report__in=ids).values_list("report_id", "assignment_id"))
    have_controls = set(ControlResult.objects.filter(report__in=ids).values_list("report_id", "control_id"))
    new_assessments, new_items, new_results = [], [], []
    for report in reports:
        example = report.is_example
        for goal_id in goals.get(report.pk, []):
            if (report.pk, goal_id) not in have_goals:
                new_assessments.append(GoalAssessment(report=report, goal_id=goal_id, is_example=example))
        for assignment_id in assignments.get(report.pk, []):
            if (report.pk, assignment_id) not in have_assignments:
                new_items.append(AssignmentFollowUp(report=report, assignment_id=assignment_id, is_example=example))
        for control_id, follows_up in controls.get(report.pk, []):
            if (report.pk, control_id) not in have_controls:
                new_results.append(
                    ControlResult(report=report, control_id=control_id, follows_up_id=follows_up, is_example=example)
                )
    reason = _("Förberedd för rapportering")
    for model, objs in (
        (GoalAssessment, new_assessments),
        (AssignmentFollowUp, new_items),
        (ControlResult, new_results),
    ):
        if objs:
            bulk_create_with_history(objs, model, default_user=user, default_change_reason=reason)


# --- The report and its items ---------------------------------------------------------------------------------------


# The workflow's own fields: only the transitions (submit, return, approve, reopen) write them.
WORKFLOW_FIELDS = ("status", "submitted_at", "submitted_by_id", "approved_at", "approved_by_id")


def _require_writable(report):
    """Refuse unless the report, as it is in the database now, is a draft or returned. Locks the report's row until
    the transaction ends, so an edit and a submission cannot cross, and an object loaded before the report was sent
    in cannot be saved over it. Returns the workflow fields as saved (one query)."""
    current = None
    if report.pk is not None:
        current = FollowUpReport.objects.select_for_update().filter(pk=report.pk).values(*WORKFLOW_FIELDS).first()
    status = current["status"] if current else report.status
    if status not in WRITABLE_STATUSES:
        raise ValidationError(
            _("Rapporten är %(status)s och kan inte ändras.") % {"status": ReportStatus(status).label.lower()}
        )
    return current or {}


@transaction.atomic
def report_save(report, *, user, expected_version=None, reason=""):
    """Save the report's own fields (summary, economy); refused unless it is a draft or returned. The workflow fields
    keep their saved values: they change only through the transitions."""
    for name, value in _require_writable(report).items():
        setattr(report, name, value)
    return object_save(report, user=user, expected_version=expected_version, reason=reason)


@transaction.atomic
def item_save(item, *, user, expected_version=None, reason=""):
    """Save an item of a report (assessment, assignment row, action, control result)."""
    _require_writable(item.report)
    return object_save(item, user=user, expected_version=expected_version, reason=reason)


@transaction.atomic
def item_delete(item, *, user, reason=""):
    _require_writable(item.report)
    return object_delete(item, user=user, reason=reason)


@transaction.atomic
def action_add(report, *, user, **fields):
    _require_writable(report)
    return object_save(ActionPlan(report=report, is_example=report.is_example, **fields), user=user)


@transaction.atomic
def report_compile(report, *, user):
    """Fill the report's empty analyses from the children's reports: each goal's analysis from the analyses of the
    contributing goals, the summary from the children's summaries. What the writer wrote is never replaced."""
    _lock(report)
    _require_writable(report)
    page = report_page(report=report, user=user)
    changed = 0
    for item in page["assessments"]:
        if item.analysis.strip():
            continue
        parts = [
            f"{c.organisation.label} ({c.assessment.get_assessment_display().lower() or _('ej bedömt')}): "
            f"{c.assessment.analysis.strip()}"
            for c in item.contributions
            if c.assessment is not None and c.assessment.analysis.strip()
        ]
        if parts:
            item.analysis = "\n\n".join(parts)
            object_save(item, user=user, reason=_("Sammanställd från underliggande rapporter"))
            changed += 1
    if not report.summary.strip():
        parts = [
            f"{row['organisation'].label}: {row['report'].summary.strip()}"
            for row in page["child_rows"]
            if row["report"] is not None and row["report"].summary.strip()
        ]
        if parts:
            report.summary = "\n\n".join(parts)
            object_save(report, user=user, reason=_("Sammanställd från underliggande rapporter"))
            changed += 1
    return changed


def _event(report, kind, *, user, comment=""):
    return ReportEvent.objects.create(report=report, kind=kind, user=user, comment=comment)


def _lock(report):
    """Reload the report in place from its row, locked until the transaction ends: each transition decides on the
    status as it is now, not as it was when the caller loaded the object."""
    report.refresh_from_db(from_queryset=FollowUpReport.objects.select_for_update())
    return report


def _report_assignment_statuses(report, items, *, user):
    """Record the status and comment of each assignment the organisation leads and receives as a status report on
    the assignment (the assignment takes the status). An unchanged status and comment is not recorded twice (a
    report sent in again after a return), and an assignment ended by decision takes no more reports."""
    items = [item for item in items if item.assignment.status != AssignmentStatus.ENDED]
    if not items:
        return
    assignment_ids = [item.assignment_id for item in items]
    receiving = set(report.organisation.assignments_received.filter(pk__in=assignment_ids).values_list("pk", flat=True))
    latest = {}
    for update in AssignmentStatusUpdate.objects.filter(
        assignment__in=assignment_ids, organisation=report.organisation_id
    ).order_by("created", "pk"):
        latest[update.assignment_id] = (update.status, update.comment)
    for item in items:
        if item.assignment_id not in receiving:
            continue
        if item.assignment.status == item.status and latest.get(item.assignment_id) == (
            item.status,
            item.comment.strip(),
        ):
            continue
        assignment_report_status(
            item.assignment, organisation=report.organisation, status=item.status, comment=item.comment, user=user
        )


@transaction.atomic
def report_submit(report, *, user):
    """Send the report in (inskickad). Refused, naming each missing item, while something required is missing (the
    same list the page shows, with the roll-up's suggestions). The assignments' statuses are reported to the
    assignments with the report's comments."""
    _lock(report)
    _require_writable(report)
    problems, assignment_items = submission_problems(report)
    if problems:
        raise ValidationError(problems)
    _report_assignment_statuses(report, assignment_items, user=user)
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = user
    object_save(report, user=user, reason=_("Inskickad"))
    _event(report, EventKind.SUBMITTED, user=user)
    return report


@transaction.atomic
def report_return(report, *, user, comment):
    """Send the report back to its writers (återremitterad) with a comment saying what to change."""
    _lock(report)
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("Bara en inskickad rapport kan återremitteras."))
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Skriv vad som behöver ändras innan rapporten skickas tillbaka.")})
    report.status = ReportStatus.RETURNED
    object_save(report, user=user, reason=_("Återremitterad: %(comment)s") % {"comment": comment.strip()})
    _event(report, EventKind.RETURNED, user=user, comment=comment.strip())
    return report


@transaction.atomic
def report_approve(
    report, *, user, decided_by=None, decided_on=None, paragraph="", registration_number="", comment="", archive=True
):
    """Approve a report that was sent in. At nämnd, KS and KF level approval is the body's decision (organ, date, §,
    dnr); the report is then locked. With `archive`, the apps above are told (report_approved) so that the decided
    document is archived (the demo loader, which approves ninety example reports, does without)."""
    _lock(report)
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("Bara en inskickad rapport kan godkännas."))
    if report.level in DECIDING_LEVELS:
        errors = {}
        if decided_by is None:
            errors["decided_by"] = _("Ange vilket organ som beslutade om rapporten.")
        if decided_on is None:
            errors["decided_on"] = _("Ange beslutsdatum.")
        if errors:
            raise ValidationError(errors)
    if decided_by is not None and decided_by.municipality_id != report.organisation.municipality_id:
        raise ValidationError({"decided_by": _("Det beslutande organet tillhör en annan kommun.")})
    report.set_decision(
        decided_by=decided_by, decided_on=decided_on, paragraph=paragraph, registration_number=registration_number
    )
    report.status = ReportStatus.APPROVED
    report.approved_at = timezone.now()
    report.approved_by = user
    object_save(report, user=user, reason=_("Godkänd"))
    _event(report, EventKind.APPROVED, user=user, comment=(comment or "").strip())
    if archive:
        transaction.on_commit(lambda: _announce_approval(report, user))
    return report


def _announce_approval(report, user):
    """Tell the apps above (the approval copy of the PDF); the approval stands whatever a receiver does."""
    for receiver, result in report_approved.send_robust(sender=FollowUpReport, report=report, user=user):
        if isinstance(result, Exception):
            logger.error("After approving report %s, %r failed: %r", report.pk, receiver, result)


@transaction.atomic
def report_reopen(report, *, user, reason):
    """Open an approved report for changes again; the reason is required and recorded."""
    _lock(report)
    if report.status != ReportStatus.APPROVED:
        raise ValidationError(_("Bara en godkänd rapport kan öppnas igen."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Ange varför den godkända rapporten öppnas igen.")})
    report.status = ReportStatus.DRAFT
    report.approved_at = None
    report.approved_by = None
    object_save(report, user=user, reason=_("Öppnad igen: %(reason)s") % {"reason": reason.strip()})
    _event(report, EventKind.REOPENED, user=user, comment=reason.strip())
    reports_fill([report], user=user)
    return report


def comment_add(report, *, user, text, parent=None):
    """A comment on the report, or a reply in a thread of it."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Skriv en kommentar.")})
    if parent is not None and parent.report_id != report.pk:
        raise ValidationError({"parent": _("Svaret hör till en annan rapport.")})
    return ReportComment.objects.create(report=report, author=user, text=text, parent=parent)


# --- Internal control ---------------------------------------------------------------------------------------------


def control_plan_save(plan, *, user, expected_version=None, reason=""):
    if plan.pk is not None:
        _require_draft_plan(plan)
    return object_save(plan, user=user, expected_version=expected_version, reason=reason)


def _require_draft_plan(plan):
    if plan.status == PlanStatus.ADOPTED:
        raise ValidationError(_("Den interna kontrollplanen är beslutad. Öppna den igen för att ändra den."))


def risk_save(risk, *, user, expected_version=None, reason=""):
    _require_draft_plan(risk.plan)
    return object_save(risk, user=user, expected_version=expected_version, reason=reason)


def control_save(control, *, user, expected_version=None, reason=""):
    _require_draft_plan(control.risk.plan)
    return object_save(control, user=user, expected_version=expected_version, reason=reason)


def risk_delete(risk, *, user, reason=""):
    _require_draft_plan(risk.plan)
    if ControlResult.objects.filter(control__risk=risk).exists():
        raise ValidationError(_("Risken har rapporterade kontrollresultat och kan inte tas bort."))
    return object_delete(risk, user=user, reason=reason)


def control_delete(control, *, user, reason=""):
    _require_draft_plan(control.risk.plan)
    if control.results.exists():
        raise ValidationError(_("Kontrollen har rapporterade resultat och kan inte tas bort."))
    return object_delete(control, user=user, reason=reason)


@transaction.atomic
def control_plan_adopt(plan, *, user, decided_by, decided_on, paragraph="", registration_number="", reason=""):
    """Record the decision that adopted the plan; every risk chosen for it needs a control."""
    if plan.status == PlanStatus.ADOPTED:
        raise ValidationError(_("Planen är redan beslutad."))
    missing = [
        f"{risk.process} ({Truncator(risk.description).chars(40)})"
        for risk in plan.risks.filter(in_plan=True).prefetch_related("controls")
        if not risk.controls.all()
    ]
    if missing:
        raise ValidationError(
            _("Varje risk som ingår i planen behöver en kontroll. Saknas för: %(risks)s.")
            % {"risks": ", ".join(missing)}
        )
    plan.status = PlanStatus.ADOPTED
    plan.set_decision(
        decided_by=decided_by, decided_on=decided_on, paragraph=paragraph, registration_number=registration_number
    )
    return object_save(plan, user=user, reason=reason or _("Beslutad"))


@transaction.atomic
def control_plan_reopen(plan, *, user, reason):
    if plan.status != PlanStatus.ADOPTED:
        raise ValidationError(_("Planen är inte beslutad."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Ange varför planen öppnas för ändringar igen.")})
    plan.status = PlanStatus.DRAFT
    return object_save(plan, user=user, reason=_("Öppnad igen: %(reason)s") % {"reason": reason.strip()})


def control_plan_create(*, organisation, year, user, description="", is_example=False, reason=""):
    return object_save(
        InternalControlPlan(organisation=organisation, year=year, description=description, is_example=is_example),
        user=user,
        reason=reason or _("Skapad"),
    )


# --- Reminders ------------------------------------------------------------------------------------------------------

DUE_SOON_DAYS = 3


def reminder_recipients(organisations):
    """{organisation id: [users]}: the editors of each organisation; where it has none, those of the nearest
    ancestor that has. Two queries."""
    organisations = list(organisations)
    if not organisations:
        return {}
    tree_ids = {o.tree_id for o in organisations}
    memberships = list(
        Membership.objects.filter(
            role=Role.EDITOR, organisation__tree_id__in=tree_ids, user__is_active=True
        ).select_related("user", "organisation")
    )
    result = {}
    for org in organisations:
        holders = [m for m in memberships if m.organisation.contains(org) and m.user.email]
        if not holders:
            result[org.pk] = []
            continue
        nearest = max(m.organisation.level for m in holders)
        result[org.pk] = sorted({m.user for m in holders if m.organisation.level == nearest}, key=lambda u: u.pk)
    return result


def send_reminders(*, today=None, base_url=""):
    """The daily reminder job: e-mail the editors of every organisation whose report in an open period is still a
    draft (or returned) three days before its level's deadline, and again once it is late. Each reminder goes out
    once per report; an organisation that has sent in gets none. Returns the number of e-mails sent."""
    today = today or timezone.localdate()
    due_soon_date = today + datetime.timedelta(days=DUE_SOON_DAYS)
    deadlines = list(ReportingDeadline.objects.filter(period__is_open=True).select_related("period"))
    due = []  # (reminder kind, deadline)
    for deadline in deadlines:
        # A window, not the exact day: a day the job did not run (or a period opened late) still gets its reminder,
        # and the log keeps it to one.
        if today <= deadline.date <= due_soon_date:
            due.append((ReminderKind.DUE_SOON, deadline))
        elif deadline.date < today:
            due.append((ReminderKind.LATE, deadline))
    if not due:
        return 0
    sent_before = set(ReminderLog.objects.filter(report__period__is_open=True).values_list("report_id", "kind"))
    reports = list(
        FollowUpReport.objects.filter(
            period__in={d.period_id for _k, d in due}, status__in=WRITABLE_STATUSES
        ).select_related("organisation", "period", "period__municipality")
    )
    wanted = []
    for kind, deadline in due:
        for report in reports:
            if report.period_id != deadline.period_id:
                continue
            if report.level != deadline.level:
                continue
            if (report.pk, kind) in sent_before:
                continue
            wanted.append((kind, deadline, report))
    if not wanted:
        return 0
    recipients = reminder_recipients({r.organisation for _k, _d, r in wanted})
    per_user = {}
    logs = []
    for kind, deadline, report in wanted:
        users = recipients.get(report.organisation_id, [])
        if not users:
            continue  # nobody to tell yet: an editor given the organisation later still gets the reminder
        for user in users:
            per_user.setdefault(user, []).append((kind, deadline, report))
        logs.append(ReminderLog(report=report, kind=kind, recipients=", ".join(u.email for u in users)))
    messages = []
    for user, entries in per_user.items():
        late = any(kind == ReminderKind.LATE for kind, _d, _r in entries)
        subject = _("Försenad uppföljningsrapport") if late else _("Påminnelse: uppföljningsrapport ska lämnas in")
        lines = [_("Hej %(name)s,") % {"name": user.get_full_name() or user.username}, ""]
        for kind, deadline, report in entries:
            url = base_url + reverse("followup:report", args=[report.pk])
            if kind == ReminderKind.LATE:
                text = _("%(report)s skulle ha skickats in senast %(date)s och är försenad.")
            else:
                text = _("%(report)s ska skickas in senast %(date)s.")
            lines.append(
                "- " + text % {"report": f"{report.period.title}, {report.organisation.name}", "date": deadline.date}
            )
            lines.append("  " + url)
        lines += ["", _("Rapporten skickas in under Att rapportera i Styrning."), "", _("Hälsningar"), "Styrning"]
        messages.append((subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [user.email]))
    with transaction.atomic():
        ReminderLog.objects.bulk_create(logs, ignore_conflicts=True)
        send_mass_mail(messages, fail_silently=False)
    return len(messages)
