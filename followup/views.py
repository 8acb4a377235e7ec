"""
Views of the tertial follow-up: periods, "Att rapportera", the report (written in sections that save as you go with
htmx, and as plain forms without JavaScript), its workflow, comments and the politicians' dashboard. Views stay thin:
reads from followup.selectors, writes through followup.services, every object fetched through styrning.permissions
(outside the municipality: 404; read-only: 403).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from goals.choices import GoalLevel
from goals.models import Indicator, Outcome
from goals.services import outcome_save
from styrning.forms import apply_validation_error
from styrning.permissions import ADMIN, APPROVE, CHANGE, REPORT, VIEW, can, require, restrict, takes_part
from styrning.views import errors_to_messages, municipality_for, redirect_after_write, safe_next_url

from . import selectors, services
from .choices import OUTCOME_PERIOD, PeriodKind
from .forms import (
    ActionForm,
    ApproveForm,
    AssessmentForm,
    AssignmentItemForm,
    CommentForm,
    ControlResultForm,
    EconomyForm,
    PeriodForm,
    PeriodOutcomeForm,
    ReopenForm,
    ReportSummaryForm,
    ReturnForm,
)
from .models import ActionPlan, AssignmentFollowUp, ControlResult, FollowUpReport, GoalAssessment, ReportingPeriod

REPORT_RELATED = ("period", "period__municipality", "organisation", "organisation__municipality", "decided_by")


# --- Periods --------------------------------------------------------------------------------------------------------


def period_list(request, municipality):
    """The municipality's follow-up periods, newest first; administrators add a year's periods."""
    municipality = municipality_for(request, municipality)
    periods = selectors.period_list(municipality=municipality, user=request.user)
    years = {}
    for period in periods:
        years.setdefault(period.year, []).append(period)
    context = {
        "municipality": municipality,
        "years": sorted(years.items(), reverse=True),
        "can_add": can(request.user, ReportingPeriod(municipality=municipality), CHANGE),
        "this_year": timezone.localdate().year,
    }
    return render(request, "followup/period_list.html", context)


def period_create(request, municipality):
    municipality = municipality_for(request, municipality)
    period = ReportingPeriod(municipality=municipality, year=timezone.localdate().year, kind=PeriodKind.T1)
    require(request.user, period, CHANGE)
    form = PeriodForm(data=request.POST or None, instance=period, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            period = services.period_create(
                municipality=municipality,
                year=form.cleaned_data["year"],
                kind=form.cleaned_data["kind"],
                deadlines=form.deadlines(),
                thresholds={name: form.cleaned_data[name] for name in services.THRESHOLD_FIELDS},
                user=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("%(period)s har skapats.") % {"period": period.title})
            return redirect(period.get_absolute_url())
    return render(
        request,
        "followup/period_form.html",
        {"form": form, "municipality": municipality, "period": None, "title": _("Ny uppföljningsperiod")},
    )


def _period(request, pk):
    queryset = ReportingPeriod.objects.select_related("municipality").prefetch_related("deadlines")
    return get_object_or_404(restrict(queryset, request.user, VIEW), pk=pk)


def period_edit(request, pk):
    period = _period(request, pk)
    require(request.user, period, CHANGE)
    form = PeriodForm(data=request.POST or None, instance=period, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.period_save(
                    form.instance, user=request.user, expected_version=form.cleaned_data.get("expected_version")
                )
                for deadline in period.deadlines.all():
                    date = form.deadlines().get(deadline.level)
                    if date and date != deadline.date:
                        deadline.date = date
                        services.deadline_save(deadline, user=request.user)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("%(period)s har sparats.") % {"period": period.title})
            return redirect(period.get_absolute_url())
    return render(
        request,
        "followup/period_form.html",
        {"form": form, "municipality": period.municipality, "period": period, "title": period.title},
    )


def period_detail(request, pk):
    """A period: deadlines per level and every organisation's report with its status, lateness and link."""
    period = _period(request, pk)
    context = selectors.period_page(period=period, user=request.user)
    context.update(municipality=period.municipality, can_change=can(request.user, period, CHANGE))
    return render(request, "followup/period.html", context)


@require_POST
def period_open(request, pk):
    period = _period(request, pk)
    require(request.user, period, CHANGE)
    try:
        services.period_open(period, user=request.user)
    except ValidationError as error:
        errors_to_messages(request, error=error)
    else:
        messages.success(request, _("%(period)s är öppen för rapportering.") % {"period": period.title})
    return redirect(period.get_absolute_url())


@require_POST
def period_close(request, pk):
    period = _period(request, pk)
    require(request.user, period, CHANGE)
    try:
        services.period_close(period, user=request.user)
    except ValidationError as error:
        errors_to_messages(request, error=error)
    else:
        messages.success(request, _("%(period)s är stängd för rapportering.") % {"period": period.title})
    return redirect(period.get_absolute_url())


def dashboard(request, pk):
    """The politicians' overview of a period."""
    period = _period(request, pk)
    context = selectors.dashboard(period=period, user=request.user)
    return render(request, "followup/dashboard.html", context)


def to_report(request):
    """ "Att rapportera": the user's reports in open periods, what is missing in each, and the deadline."""
    rows = selectors.to_report(user=request.user)
    approvals = selectors.approvable_reports(user=request.user)
    return render(request, "followup/to_report.html", {"rows": rows, "approvals": approvals})


# --- The report -----------------------------------------------------------------------------------------------------


def _report(request, pk, *, lock=False):
    queryset = FollowUpReport.objects.select_related(*REPORT_RELATED)
    return get_object_or_404(restrict(queryset, request.user, VIEW), pk=pk)


def report_detail(request, pk):
    report = _report(request, pk)
    if can(request.user, report, CHANGE):
        services.reports_fill([report], user=request.user)
    context = selectors.report_page(report=report, user=request.user)
    _attach_forms(context, request.user)
    context["return_form"] = ReturnForm(auto_id="id_return_%s")
    context["approve_form"] = ApproveForm(report=report, auto_id="id_approve_%s")
    context["reopen_form"] = ReopenForm(auto_id="id_reopen_%s")
    context["comment_form"] = CommentForm()
    return render(request, "followup/report.html", context)


def _attach_forms(context, user):
    """Every item gets its form when the report is writable (the page shows text otherwise)."""
    if not context["writable"]:
        return
    report = context["report"]
    context["summary_form"] = ReportSummaryForm(instance=report, user=user)
    context["economy_form"] = EconomyForm(instance=report, user=user)
    for item in context["assessments"]:
        suggestion = item.suggestion if context["is_board"] and item.goal.level == GoalLevel.MUNICIPAL else None
        item.form = AssessmentForm(instance=item, user=user, suggestion=suggestion, prefix=f"a{item.pk}")
    for item in context["assignment_items"]:
        item.form = AssignmentItemForm(instance=item, user=user, prefix=f"u{item.pk}")
    for item in context["control_results"]:
        item.form = ControlResultForm(instance=item, user=user, prefix=f"k{item.pk}")
    for row in context["indicator_rows"]:
        outcome = row.outcome or Outcome(indicator=row.indicator)
        row.form = PeriodOutcomeForm(instance=outcome, user=user, prefix=f"i{row.indicator.pk}")


def _render_saved(request, report, template, context, *, saved):
    """The htmx answer to a section's save: the section's status (saved or the errors, inline) and, out of band,
    the report's list of what is missing and the fresh version of the form."""
    if not saved:
        # What is missing follows what is stored, not the refused values.
        report = FollowUpReport.objects.select_related(*REPORT_RELATED).get(pk=report.pk)
    problems, _assignment_items = selectors.submission_problems(report)
    context.update(
        report=report,
        period=report.period,
        saved=saved,
        saved_at=timezone.localtime(),
        problems=problems,
        oob=True,
    )
    return render(request, template, context)


def _save_section(request, *, report, obj, form, save, template, context=None, anchor=""):
    """Validate and save one section of the report; htmx gets the section's status, a plain POST a redirect.
    `context` is the extra context of the htmx answer, or a function that makes it after the save."""
    saved = False
    if form.is_valid():
        try:
            with transaction.atomic():
                obj = save(form)
            saved = True
        except ValidationError as error:
            apply_validation_error(form, error)
    if request.htmx:
        extra = context() if callable(context) else context
        context = {"form": form, "object": obj, **(extra or {})}
        return _render_saved(request, report, template, context, saved=saved)
    if saved:
        messages.success(request, _("Sparat."))
    else:
        errors_to_messages(request, form=form)
    return redirect(report.get_absolute_url() + anchor)


def _require_write(request, report):
    """Writers of the organisation, while the report is a draft: a report sent in or approved is locked for everyone
    (FollowUpReport.lock_path, read by styrning.permissions)."""
    require(request.user, report, CHANGE)


def _save_report_fields(request, pk, form_class, *, template, section, anchor):
    """Save a section of the report's own fields (the summary, the economy) through the service."""
    report = _report(request, pk)
    _require_write(request, report)
    form = form_class(data=request.POST, instance=report, user=request.user)
    return _save_section(
        request,
        report=report,
        obj=report,
        form=form,
        save=lambda f: services.report_save(
            f.instance, user=request.user, expected_version=f.cleaned_data.get("expected_version")
        ),
        template=template,
        context={"section": section},
        anchor=anchor,
    )


@require_POST
def report_summary(request, pk):
    return _save_report_fields(
        request, pk, ReportSummaryForm, template="followup/inc/saved.html", section="summary", anchor="#sammanfattning"
    )


@require_POST
def report_economy(request, pk):
    return _save_report_fields(
        request, pk, EconomyForm, template="followup/inc/economy_saved.html", section="economy", anchor="#ekonomi"
    )


def _item(request, model, pk):
    queryset = model.objects.select_related(*(f"report__{name}" for name in REPORT_RELATED))
    item = get_object_or_404(restrict(queryset, request.user, VIEW), pk=pk)
    _require_write(request, item.report)
    return item


def _save_item(request, item, form, *, prefix, anchor):
    """Save one item of a report (an assessment, an assignment row, a control result) through the service."""
    return _save_section(
        request,
        report=item.report,
        obj=item,
        form=form,
        save=lambda f: services.item_save(
            f.instance, user=request.user, expected_version=f.cleaned_data.get("expected_version")
        ),
        template="followup/inc/saved.html",
        context={"section": f"{prefix}{item.pk}"},
        anchor=anchor,
    )


@require_POST
def assessment_edit(request, pk):
    item = _item(request, GoalAssessment, pk)
    # The justification field is on the page only where KS's assessment is weighed against the roll-up.
    suggestion = True if request.POST.get(f"a{item.pk}-justification") is not None else None
    form = AssessmentForm(
        data=request.POST, instance=item, user=request.user, suggestion=suggestion, prefix=f"a{item.pk}"
    )
    return _save_item(request, item, form, prefix="a", anchor=f"#mal-{item.goal_id}")


@require_POST
def assignment_item_edit(request, pk):
    item = _item(request, AssignmentFollowUp, pk)
    form = AssignmentItemForm(data=request.POST, instance=item, user=request.user, prefix=f"u{item.pk}")
    return _save_item(request, item, form, prefix="u", anchor="#uppdrag")


@require_POST
def control_result_edit(request, pk):
    item = _item(request, ControlResult, pk)
    form = ControlResultForm(data=request.POST, instance=item, user=request.user, prefix=f"k{item.pk}")
    return _save_item(request, item, form, prefix="k", anchor="#intern-kontroll")


@require_POST
def outcome_edit(request, pk, indicator):
    """An indicator's outcome for the report's period, saved on the goal chain (the same Outcome the goal page shows);
    the answer shows the computed traffic light and trend."""
    report = _report(request, pk)
    _require_write(request, report)
    goal_ids = report.assessments.values("goal")
    indicator = get_object_or_404(
        restrict(Indicator.objects.filter(goal__in=goal_ids), request.user, VIEW).select_related("goal"), pk=indicator
    )
    outcome = Outcome.objects.filter(
        indicator=indicator, year=report.period.year, period=OUTCOME_PERIOD[report.period.kind]
    ).first() or Outcome(
        indicator=indicator,
        year=report.period.year,
        period=OUTCOME_PERIOD[report.period.kind],
        is_example=report.is_example,
    )
    require(request.user, outcome, REPORT)
    form = PeriodOutcomeForm(data=request.POST, instance=outcome, user=request.user, prefix=f"i{indicator.pk}")

    def save(f):
        return outcome_save(
            f.instance,
            user=request.user,
            expected_version=f.cleaned_data.get("expected_version"),
            reason=_("Utfall i %(report)s") % {"report": report},
        )

    return _save_section(
        request,
        report=report,
        obj=outcome,
        form=form,
        save=save,
        template="followup/inc/outcome_saved.html",
        context=lambda: {"row": selectors.indicator_row(indicator, report.period), "section": f"i{indicator.pk}"},
        anchor="#indikatorer",
    )


def action_edit(request, pk):
    """Add a measure to the åtgärdsplan (`pk` of the report) or change one (`pk` of the measure)."""
    if request.resolver_match.url_name == "action_add":
        report = _report(request, pk)
        _require_write(request, report)
        action = ActionPlan(report=report, is_example=report.is_example)
    else:
        action = _item(request, ActionPlan, pk)
        report = action.report
    form = ActionForm(data=request.POST or None, instance=action, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.item_save(
                    form.instance,
                    user=request.user,
                    expected_version=form.cleaned_data.get("expected_version"),
                    reason=form.cleaned_data.get("change_reason", ""),
                )
        except ValidationError as error:
            if action.pk is None:
                form.instance.pk = None
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Åtgärden har sparats."))
            return redirect_after_write(request, report.get_absolute_url() + "#atgardsplan")
    return render(
        request,
        "followup/action_form.html",
        {"form": form, "report": report, "action": action, "municipality": report.period.municipality},
    )


@require_POST
def action_delete(request, pk):
    action = _item(request, ActionPlan, pk)
    try:
        services.item_delete(action, user=request.user)
    except ValidationError as error:
        errors_to_messages(request, error=error)
    else:
        messages.success(request, _("Åtgärden har tagits bort."))
    return redirect(action.report.get_absolute_url() + "#atgardsplan")


@require_POST
def report_compile(request, pk):
    report = _report(request, pk)
    _require_write(request, report)
    try:
        changed = services.report_compile(report, user=request.user)
    except ValidationError as error:
        errors_to_messages(request, error=error)
    else:
        if changed:
            messages.success(request, _("Tomma analyser har fyllts i från de underliggande rapporterna."))
        else:
            messages.info(request, _("Det fanns inga texter i de underliggande rapporterna att hämta."))
    return redirect(report.get_absolute_url())


# --- Workflow -------------------------------------------------------------------------------------------------------


@require_POST
def report_submit(request, pk):
    report = _report(request, pk)
    _require_write(request, report)
    try:
        services.report_submit(report, user=request.user)
    except ValidationError as error:
        messages.error(request, _("Rapporten kan inte skickas in ännu. Det här saknas:"))
        errors_to_messages(request, error=error)
    else:
        messages.success(request, _("Rapporten har skickats in för godkännande."))
    return redirect(report.get_absolute_url())


def _require_approver(request, report):
    if not can(request.user, report, APPROVE):
        raise PermissionDenied


@require_POST
def report_return(request, pk):
    report = _report(request, pk)
    _require_approver(request, report)
    form = ReturnForm(data=request.POST)
    if form.is_valid():
        try:
            services.report_return(report, user=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("Rapporten har återremitterats till %(org)s.") % {"org": report.organisation})
    else:
        errors_to_messages(request, form=form)
    return redirect(report.get_absolute_url())


@require_POST
def report_approve(request, pk):
    report = _report(request, pk)
    _require_approver(request, report)
    form = ApproveForm(data=request.POST, report=report)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.report_approve(
                report,
                user=request.user,
                decided_by=data.get("decided_by"),
                decided_on=data.get("decided_on"),
                paragraph=data.get("paragraph", ""),
                registration_number=data.get("registration_number", ""),
                comment=data.get("comment", ""),
            )
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("Rapporten har godkänts."))
    else:
        errors_to_messages(request, form=form)
    return redirect(report.get_absolute_url())


@require_POST
def report_reopen(request, pk):
    report = _report(request, pk)
    if not (can(request.user, report, APPROVE) or can(request.user, report.organisation, ADMIN)):
        raise PermissionDenied
    form = ReopenForm(data=request.POST)
    if form.is_valid():
        try:
            services.report_reopen(report, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("Rapporten är öppnad för ändringar igen."))
    else:
        errors_to_messages(request, form=form)
    return redirect(report.get_absolute_url())


@require_POST
def comment_add(request, pk):
    report = _report(request, pk)
    if not takes_part(request.user, report.organisation):
        raise PermissionDenied
    form = CommentForm(data=request.POST)
    if form.is_valid():
        parent = None
        if form.cleaned_data.get("parent"):
            parent = report.comments.filter(pk=form.cleaned_data["parent"]).first()
            if parent is None:
                raise Http404
        try:
            services.comment_add(report, user=request.user, text=form.cleaned_data["text"], parent=parent)
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("Kommentaren har publicerats."))
    else:
        errors_to_messages(request, form=form)
    return redirect(safe_next_url(request, report.get_absolute_url() + "#kommentarer"))
