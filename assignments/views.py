"""Views of the assignments: lists, the overview per nämnd, an assignment's page with its decisions and status
reports, giving an assignment, later decisions, status reports and an organisation's assignments for a year."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from styrning.forms import apply_validation_error
from styrning.models import Organisation
from styrning.permissions import CHANGE, REPORT, VIEW, can, editable_organisations, require, restrict
from styrning.views import ObjectDeleteView, ObjectEditView, ObjectView, errors_to_messages, municipality_for

from . import selectors, services
from .forms import AmountEditForm, AmountFormSet, AssignmentFilterForm, AssignmentForm, DecisionForm, StatusReportForm
from .models import GIVING_KINDS, Assignment, AssignmentAmount, AssignmentStatusUpdate


def _year(request, default):
    try:
        return int(request.GET.get("ar", default))
    except (TypeError, ValueError):
        return default


def assignment_list(request, municipality):
    """Every assignment of the municipality, filterable by giver, receiver, year, status, overdue and goal."""
    municipality = municipality_for(request, municipality)
    data = request.GET.copy() if request.GET else None
    form = AssignmentFilterForm(data, municipality=municipality)
    filters = form.cleaned_data if form.is_valid() else {}
    assignments = selectors.assignment_list(municipality=municipality, user=request.user, filters=filters)
    page = Paginator(assignments, 50).get_page(request.GET.get("page"))
    orgs = Organisation.objects.filter(municipality=municipality, kind__in=GIVING_KINDS)
    can_give = editable_organisations(request.user, orgs).exists()
    return render(
        request,
        "assignments/assignment_list.html",
        {"municipality": municipality, "filter_form": form, "page": page, "can_give": can_give},
    )


def assignment_overview(request, municipality):
    """Per nämnd: how many assignments in each status, how many are overdue, how much money comes with them."""
    municipality = municipality_for(request, municipality)
    year = _year(request, timezone.localdate().year)
    rows = selectors.overview(municipality=municipality, user=request.user, year=year)
    return render(
        request,
        "assignments/overview.html",
        {"municipality": municipality, "rows": rows, "year": year, "statuses": selectors.STATUS_CHOICES},
    )


class AssignmentView(ObjectView):
    queryset = Assignment.objects.select_related("municipality", "given_by", "lead")
    template_name = "assignments/assignment.html"

    def get_object(self, **kwargs):
        qs = selectors.with_money(selectors.with_overdue(restrict(self.queryset.all(), self.request.user, VIEW)))
        return get_object_or_404(qs, pk=kwargs["pk"])

    def get_extra_context(self, obj):
        user = self.request.user
        context = selectors.assignment_detail(assignment=obj, user=user)
        report_form = StatusReportForm(assignment=obj, user=user, prefix="status")
        context.update(
            municipality=obj.municipality,
            report_form=report_form if report_form.fields["organisation"].queryset.exists() else None,
            decision_form=DecisionForm(assignment=obj, prefix="beslut")
            if can(user, obj, CHANGE) and obj.status != "ended"
            else None,
        )
        return context


def assignment_give(request, municipality):
    """Give an assignment (for those who may write for KF, KS or a nämnd): in a decision, with money."""
    municipality = municipality_for(request, municipality)
    givers = Organisation.objects.filter(municipality=municipality, kind__in=GIVING_KINDS)
    if not editable_organisations(request.user, givers).exists():
        raise PermissionDenied
    assignment = Assignment(municipality=municipality)
    form = AssignmentForm(request.POST or None, instance=assignment, user=request.user, municipality=municipality)
    amounts = AmountFormSet(request.POST or None, prefix="belopp", form_kwargs={"municipality": municipality})
    if request.method == "POST" and form.is_valid() and amounts.is_valid():
        rows = [
            (a["organisation"], a["year"], a["amount"], a.get("comment", ""))
            for a in amounts.cleaned_data
            if a.get("amount") is not None
        ]
        try:
            with transaction.atomic():
                created = services.assignment_give(
                    assignment=form.instance,
                    receivers=form.cleaned_data["receivers"],
                    amounts=rows,
                    goals=form.cleaned_data["goals"],
                    decision=form.decision(),
                    user=request.user,
                    reason=form.cleaned_data.get("change_reason", ""),
                )
                if not can(request.user, created, CHANGE):
                    raise PermissionDenied
        except ValidationError as error:
            form.instance.pk = None
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Uppdraget %(name)s har sparats.") % {"name": created})
            return redirect(created.get_absolute_url())
    return render(
        request,
        "assignments/assignment_form.html",
        {"municipality": municipality, "form": form, "amounts": amounts},
    )


def _assignment(request, pk):
    qs = Assignment.objects.select_related("municipality", "given_by", "lead")
    return get_object_or_404(restrict(qs, request.user, VIEW), pk=pk)


@require_POST
def assignment_report(request, pk):
    """A receiver reports status with a comment."""
    assignment = _assignment(request, pk)
    form = StatusReportForm(request.POST, assignment=assignment, user=request.user, prefix="status")
    if not form.fields["organisation"].queryset.exists():
        raise PermissionDenied
    if form.is_valid():
        update = AssignmentStatusUpdate(assignment=assignment, organisation=form.cleaned_data["organisation"])
        require(request.user, update, REPORT)
        try:
            services.assignment_report_status(
                assignment,
                organisation=form.cleaned_data["organisation"],
                status=form.cleaned_data["status"],
                comment=form.cleaned_data["comment"],
                user=request.user,
            )
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("Statusen har rapporterats."))
    else:
        errors_to_messages(request, form=form)
    return redirect(assignment.get_absolute_url())


@require_POST
def assignment_decide(request, pk):
    """Record a later decision (changed, extended, ended); what it changes is kept in the event."""
    assignment = _assignment(request, pk)
    require(request.user, assignment, CHANGE)
    form = DecisionForm(request.POST, assignment=assignment, prefix="beslut")
    if form.is_valid():
        try:
            services.assignment_decide(
                assignment,
                kind=form.cleaned_data["kind"],
                decision=form.decision(),
                budget_year=form.cleaned_data["budget_year"],
                changes=form.changes(),
                comment=form.cleaned_data["comment"],
                user=request.user,
            )
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("Beslutet har registrerats."))
    else:
        errors_to_messages(request, form=form)
    return redirect(assignment.get_absolute_url())


class AmountEditView(ObjectEditView):
    queryset = AssignmentAmount.objects.select_related("assignment", "assignment__given_by", "organisation")
    form_class = AmountEditForm

    def new_object(self, **kwargs):
        return AssignmentAmount(assignment=_assignment(self.request, kwargs["assignment"]))

    def get_cancel_url(self, obj):
        return obj.assignment.get_absolute_url()

    def get_extra_context(self, obj):
        return {"municipality": obj.assignment.municipality}

    def save(self, form, *, expected_version, reason):
        return services.amount_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class AmountDeleteView(ObjectDeleteView):
    queryset = AssignmentAmount.objects.select_related("assignment", "assignment__given_by", "organisation")

    def get_success_url(self, obj):
        return obj.assignment.get_absolute_url()


def organisation_assignments(request, pk, year):
    """An organisation's assignments for a year, laid out like seed 000: its mission, then the assignments."""
    organisation = get_object_or_404(
        restrict(Organisation.objects.select_related("municipality"), request.user, VIEW), pk=pk
    )
    assignments = selectors.organisation_assignments(organisation=organisation, user=request.user, year=year)
    return render(
        request,
        "assignments/organisation_assignments.html",
        {
            "organisation": organisation,
            "municipality": organisation.municipality,
            "year": year,
            "assignments": assignments,
            "years": range(year - 2, year + 2),
        },
    )
