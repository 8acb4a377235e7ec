"""Views of Budget med plan and the årshjul. Views stay thin: reads come from budget.selectors, writes go through
budget.services, and every object is fetched through styrning.permissions (outside the scope: 404; read-only: 403).

A decided budget decision is locked for everyone, administrators included: its frames and adjustments are refused
here (403) and in the models' clean(); a change to a decided budget is a new version."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from styrning.forms import apply_validation_error
from styrning.models import Organisation
from styrning.permissions import ADMIN, CHANGE, VIEW, can, editable_organisations, require, restrict
from styrning.views import ObjectDeleteView, ObjectEditView, municipality_for, redirect_after_write, safe_next_url

from . import selectors, services
from .choices import DecisionKind
from .forms import (
    BudgetAssumptionsForm,
    BudgetDecisionDecideForm,
    BudgetDecisionForm,
    BudgetDecisionNewVersionForm,
    BudgetForm,
    CalendarForm,
    FrameAdjustmentForm,
    FrameForm,
    FrameTableForm,
    MilestoneForm,
    MilestoneStatusForm,
)
from .models import (
    Budget,
    BudgetAssumptions,
    BudgetDecision,
    Calendar,
    Frame,
    FrameAdjustment,
    Milestone,
    is_election_year,
)


def _int_param(request, name, default=None):
    try:
        return int(request.GET.get(name, default))
    except (TypeError, ValueError):
        return default


class TitledFormMixin:
    """Edit pages with a proper Swedish heading ("Nytt årshjul", not the generic "Ny årshjul") and a context line."""

    template_name = "budget/object_form.html"
    new_title = ""
    edit_title = ""

    def form_context(self, obj):
        return ""

    def render_form(self, obj, form, status=200):
        title = self.new_title if obj.pk is None else self.edit_title
        self._titles = {"form_title": title % {"object": obj}, "form_context": self.form_context(obj)}
        return super().render_form(obj, form, status=status)

    def get_extra_context(self, obj):
        return {**super().get_extra_context(obj), **getattr(self, "_titles", {})}


# --- The budget -----------------------------------------------------------------------------------------------------


def budget_overview(request, municipality):
    """The budget of a year (?ar=; default this year's, else the latest): frames, result, financial goals."""
    municipality = municipality_for(request, municipality)
    years = selectors.budget_years(municipality=municipality, user=request.user)
    year = _int_param(request, "ar", selectors.default_budget_year(years))
    budget = (
        restrict(Budget.objects.filter(municipality=municipality, year=year), request.user, VIEW)
        .select_related("municipality")
        .first()
    )
    return _render_budget(request, municipality=municipality, budget=budget, years=years, year=year)


def budget(request, pk):
    """One budget, by its id (?version= shows another version, ?jamfor= compares with another)."""
    budget = get_object_or_404(restrict(Budget.objects.select_related("municipality"), request.user, VIEW), pk=pk)
    years = selectors.budget_years(municipality=budget.municipality, user=request.user)
    return _render_budget(request, municipality=budget.municipality, budget=budget, years=years, year=budget.year)


def _render_budget(request, *, municipality, budget, years, year):
    user = request.user
    context = {
        "municipality": municipality,
        "budget": budget,
        "year": year,
        "years": sorted(set(years) | {year}, reverse=True),
        "can_add_budget": can(user, Budget(municipality=municipality), CHANGE),
        "upcoming": selectors.upcoming_milestones(municipality=municipality, user=user),
    }
    if budget is not None:
        context.update(
            selectors.budget_overview(
                budget=budget,
                user=user,
                version=_int_param(request, "version"),
                compare_with=_int_param(request, "jamfor"),
            )
        )
        decision = context["decision"]
        can_change = can(user, budget, CHANGE)
        context.update(
            can_change=can_change,
            can_edit_frames=bool(decision and can_change and not decision.is_decided),
            adjustable=selectors.adjustable_frames(context["rows"], user),
            election_year=is_election_year(budget.year - 1),
        )
        if can_change and decision is not None:
            context["decide_form"] = BudgetDecisionDecideForm(municipality=municipality)
            kind = DecisionKind.COMPLEMENTARY if is_election_year(budget.year - 1) else DecisionKind.OTHER
            context["new_version_form"] = BudgetDecisionNewVersionForm(initial={"kind": kind})
    return render(request, "budget/budget.html", context)


class BudgetEditView(TitledFormMixin, ObjectEditView):
    """Add a budget (with its first, empty draft rambudget) or change its title and introduction."""

    new_title = gettext_lazy("Ny budget")
    edit_title = gettext_lazy("Ändra budget: %(object)s")

    queryset = Budget.objects.select_related("municipality")
    form_class = BudgetForm

    def new_object(self, **kwargs):
        municipality = municipality_for(self.request, kwargs["municipality"])
        return Budget(municipality=municipality)

    def get_form_kwargs(self, obj):
        kwargs = super().get_form_kwargs(obj)
        if obj.pk is None:
            years = selectors.budget_years(municipality=obj.municipality, user=self.request.user)
            kwargs["initial"] = {"year": (max(years) + 1) if years else selectors.default_budget_year([]) + 1}
        return kwargs

    def get_cancel_url(self, obj):
        return obj.get_absolute_url() if obj.pk else reverse("budget:budget_overview", args=[obj.municipality.slug])

    def get_extra_context(self, obj):
        return {**super().get_extra_context(obj), "municipality": obj.municipality}

    def save(self, form, *, expected_version, reason):
        if form.instance.pk is None:
            return services.budget_create(form.instance, user=self.request.user, reason=reason)
        return services.budget_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class BudgetDecisionEditView(TitledFormMixin, ObjectEditView):
    """Add an empty draft decision to a budget, or change a draft's kind, title and comment."""

    new_title = gettext_lazy("Nytt budgetbeslut")
    edit_title = gettext_lazy("Ändra budgetbeslut: %(object)s")

    def form_context(self, obj):
        return obj.budget

    queryset = BudgetDecision.objects.select_related("budget", "budget__municipality")
    form_class = BudgetDecisionForm

    def new_object(self, **kwargs):
        budget = get_object_or_404(
            restrict(Budget.objects.select_related("municipality"), self.request.user, VIEW), pk=kwargs["budget"]
        )
        return BudgetDecision(budget=budget)

    def get_cancel_url(self, obj):
        return obj.get_absolute_url() if obj.pk else obj.budget.get_absolute_url()

    def get_extra_context(self, obj):
        return {**super().get_extra_context(obj), "municipality": obj.budget.municipality}

    def save(self, form, *, expected_version, reason):
        decision = form.instance
        if decision.pk is None:
            return services.budget_decision_create(
                budget=decision.budget,
                kind=decision.kind,
                title=decision.title,
                description=decision.description,
                user=self.request.user,
                reason=reason,
            )
        return services.budget_decision_save(
            decision, user=self.request.user, expected_version=expected_version, reason=reason
        )


class BudgetDecisionDeleteView(ObjectDeleteView):
    """Delete a draft decision with its frames and adjustments."""

    queryset = BudgetDecision.objects.select_related("budget", "budget__municipality")

    def get_success_url(self, obj):
        return obj.budget.get_absolute_url()


def _decision_for_change(request, pk, action=CHANGE):
    decision = get_object_or_404(
        restrict(BudgetDecision.objects.select_related("budget", "budget__municipality"), request.user, VIEW), pk=pk
    )
    require(request.user, decision, action)
    return decision


@require_POST
def decision_decide(request, pk):
    """Register the decision (body, date, §, dnr) that decided a draft version; its frames are then locked."""
    decision = _decision_for_change(request, pk)
    form = BudgetDecisionDecideForm(request.POST, municipality=decision.budget.municipality)
    if form.is_valid():
        try:
            services.budget_decision_decide(decision, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Budgetbeslutet är registrerat. Ramarna kan inte längre ändras."))
    else:
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return redirect(decision.get_absolute_url())


@require_POST
def decision_new_version(request, pk):
    """Start a new draft version of a decided decision, with copies of its frames and adjustments (administrators:
    the decided version itself stays locked)."""
    decision = _decision_for_change(request, pk, action=ADMIN)
    form = BudgetDecisionNewVersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Välj vilken typ av beslut den nya versionen gäller."))
        return redirect(decision.get_absolute_url())
    try:
        new = services.budget_decision_new_version(
            decision, kind=form.cleaned_data["kind"], title=form.cleaned_data["title"], user=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(decision.get_absolute_url())
    messages.success(
        request,
        _("%(decision)s är skapad som utkast med ramarna från %(previous)s.")
        % {
            "decision": new,
            "previous": decision,
        },
    )
    return redirect(new.get_absolute_url())


def frame_table(request, pk):
    """All frames of a draft decision in one form: organisations × years, validated and saved together."""
    decision = _decision_for_change(request, pk)
    if decision.is_decided:
        raise PermissionDenied
    budget = decision.budget
    organisations = selectors.frame_organisations(municipality=budget.municipality, user=request.user)
    frames = list(decision.frames.select_related("organisation"))
    known = {o.pk for o in organisations}
    organisations += [f.organisation for f in frames if f.organisation_id not in known]
    form = FrameTableForm(request.POST or None, organisations=organisations, years=budget.years, frames=frames)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                changed = services.frame_table_save(
                    decision,
                    amounts=form.amounts(),
                    versions=form.versions(),
                    user=request.user,
                    reason=form.cleaned_data["change_reason"],
                )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Ramarna har sparats (%(count)s ändrade).") % {"count": changed})
            return redirect_after_write(request, decision.get_absolute_url())
    return render(
        request,
        "budget/frame_table.html",
        {
            "decision": decision,
            "budget": budget,
            "municipality": budget.municipality,
            "form": form,
            "years": budget.years,
            "cancel_url": decision.get_absolute_url(),
        },
    )


class FrameEditView(TitledFormMixin, ObjectEditView):
    """Change one frame of a draft decision."""

    edit_title = gettext_lazy("Ändra %(object)s")

    def form_context(self, obj):
        return f"{obj.decision.budget} · {obj.decision}"

    queryset = Frame.objects.select_related("decision", "decision__budget", "decision__budget__municipality")
    form_class = FrameForm

    def get_extra_context(self, obj):
        return {**super().get_extra_context(obj), "municipality": obj.decision.budget.municipality}

    def save(self, form, *, expected_version, reason):
        return services.frame_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


_ADJUSTMENT_RELATED = (
    "frame",
    "frame__organisation",
    "frame__organisation__municipality",
    "frame__decision",
    "frame__decision__budget",
)


class FrameAdjustmentEditView(ObjectEditView):
    """Add an adjustment to a frame of a draft decision, or change one (editors of the organisation too)."""

    queryset = FrameAdjustment.objects.select_related(*_ADJUSTMENT_RELATED, "assignment")
    form_class = FrameAdjustmentForm
    template_name = "budget/adjustment_form.html"

    def new_object(self, **kwargs):
        frame = get_object_or_404(
            restrict(
                Frame.objects.select_related(
                    "organisation", "organisation__municipality", "decision", "decision__budget"
                ),
                self.request.user,
                VIEW,
            ),
            pk=kwargs["frame"],
        )
        return FrameAdjustment(frame=frame, is_example=False)

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "municipality": obj.frame.organisation.municipality}

    def get_cancel_url(self, obj):
        return safe_next_url(self.request, obj.frame.get_absolute_url())

    def get_extra_context(self, obj):
        return {
            **super().get_extra_context(obj),
            "municipality": obj.frame.organisation.municipality,
            "frame": obj.frame,
        }

    def save(self, form, *, expected_version, reason):
        return services.adjustment_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class FrameAdjustmentDeleteView(ObjectDeleteView):
    queryset = FrameAdjustment.objects.select_related(*_ADJUSTMENT_RELATED)

    def get_success_url(self, obj):
        return obj.frame.get_absolute_url()


class BudgetAssumptionsEditView(TitledFormMixin, ObjectEditView):
    """The planning prerequisites of one year of a budget (administrators)."""

    new_title = gettext_lazy("Nya planeringsförutsättningar")
    edit_title = gettext_lazy("Ändra %(object)s")

    def form_context(self, obj):
        return obj.budget

    queryset = BudgetAssumptions.objects.select_related("budget", "budget__municipality")
    form_class = BudgetAssumptionsForm

    def new_object(self, **kwargs):
        budget = get_object_or_404(
            restrict(Budget.objects.select_related("municipality"), self.request.user, VIEW), pk=kwargs["budget"]
        )
        return BudgetAssumptions(budget=budget, is_example=False)

    def get_form_kwargs(self, obj):
        kwargs = super().get_form_kwargs(obj)
        if obj.pk is None:
            year = _int_param(self.request, "ar")
            kwargs["initial"] = {"year": year if year in obj.budget.years else obj.budget.year}
        return kwargs

    def get_cancel_url(self, obj):
        return obj.budget.get_absolute_url()

    def get_extra_context(self, obj):
        return {**super().get_extra_context(obj), "municipality": obj.budget.municipality}

    def save(self, form, *, expected_version, reason):
        return services.assumptions_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


def organisation_budget(request, organisation, year):
    """An organisation's frame for a budget year, its adjustments (its own and the assignments' money) and the
    assignments it received that are active that year."""
    organisation = get_object_or_404(
        restrict(Organisation.objects.select_related("municipality"), request.user, VIEW), pk=organisation
    )
    context = selectors.organisation_budget(
        organisation=organisation, year=year, user=request.user, version=_int_param(request, "version")
    )
    decision = context["decision"]
    context.update(
        municipality=organisation.municipality,
        adjustable=selectors.adjustable_frames(context["rows"], request.user),
        can_edit_frames=bool(decision and not decision.is_decided and can(request.user, decision, CHANGE)),
    )
    return render(request, "budget/organisation_budget.html", context)


# --- The årshjul ------------------------------------------------------------------------------------------------------


def calendar(request, municipality, year):
    """The budget process of a year: its steps in date order, with status and what is late."""
    municipality = municipality_for(request, municipality)
    chosen = _int_param(request, "ar")
    if chosen and chosen != year:
        return redirect("budget:calendar", municipality.slug, chosen)
    years = selectors.calendar_years(municipality=municipality, user=request.user)
    context = selectors.calendar_page(municipality=municipality, year=year, user=request.user)
    calendar = context["calendar"]
    context.update(
        municipality=municipality,
        year=year,
        years=sorted(set(years) | {year}, reverse=True),
        election_year=is_election_year(year),
        can_change=can(request.user, calendar, CHANGE) if calendar else False,
        can_add=can(request.user, Calendar(municipality=municipality), CHANGE),
        status_form=MilestoneStatusForm(),
    )
    return render(request, "budget/calendar.html", context)


def calendar_default(request, municipality):
    """The årshjul of the current year."""
    municipality = municipality_for(request, municipality)
    return redirect("budget:calendar", municipality.slug, timezone.localdate().year)


class CalendarEditView(TitledFormMixin, ObjectEditView):
    """Add the årshjul of a year (optionally filled with the budget process's steps) or change its title."""

    new_title = gettext_lazy("Nytt årshjul")
    edit_title = gettext_lazy("Ändra årshjul: %(object)s")

    def form_context(self, obj):
        return gettext_lazy("Årshjul för %(year)s") % {"year": obj.year}

    queryset = Calendar.objects.select_related("municipality")
    form_class = CalendarForm

    def new_object(self, **kwargs):
        municipality = municipality_for(self.request, kwargs["municipality"])
        return Calendar(municipality=municipality, year=kwargs["year"])

    def get_form_kwargs(self, obj):
        kwargs = super().get_form_kwargs(obj)
        if obj.pk is None:
            kwargs["initial"] = {"title": _("Årshjul %(year)s") % {"year": obj.year}}
        return kwargs

    def get_cancel_url(self, obj):
        return obj.get_absolute_url()

    def get_extra_context(self, obj):
        return {**super().get_extra_context(obj), "municipality": obj.municipality}

    def save(self, form, *, expected_version, reason):
        if form.instance.pk is None:
            return services.calendar_create(
                form.instance, user=self.request.user, standard=form.cleaned_data.get("standard"), reason=reason
            )
        return services.calendar_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class MilestoneEditView(TitledFormMixin, ObjectEditView):
    """Add or change a step of the årshjul (administrators)."""

    new_title = gettext_lazy("Nytt moment")
    edit_title = gettext_lazy("Ändra moment")

    def form_context(self, obj):
        return obj.calendar

    queryset = Milestone.objects.select_related("calendar", "calendar__municipality", "responsible")
    form_class = MilestoneForm

    def new_object(self, **kwargs):
        calendar = get_object_or_404(
            restrict(Calendar.objects.select_related("municipality"), self.request.user, VIEW), pk=kwargs["calendar"]
        )
        return Milestone(calendar=calendar, is_example=False)

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "municipality": obj.calendar.municipality}

    def get_cancel_url(self, obj):
        return obj.calendar.get_absolute_url()

    def get_success_url(self, obj):
        return obj.calendar.get_absolute_url()

    def get_extra_context(self, obj):
        return {**super().get_extra_context(obj), "municipality": obj.calendar.municipality}

    def save(self, form, *, expected_version, reason):
        return services.milestone_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class MilestoneDeleteView(ObjectDeleteView):
    queryset = Milestone.objects.select_related("calendar", "calendar__municipality")

    def get_success_url(self, obj):
        return obj.calendar.get_absolute_url()


@require_POST
def milestone_status(request, pk):
    """Report a step's status (administrators, and editors of the organisation responsible for it)."""
    milestone = get_object_or_404(
        restrict(
            Milestone.objects.select_related("calendar", "calendar__municipality", "responsible"), request.user, VIEW
        ),
        pk=pk,
    )
    may_report = can(request.user, milestone, CHANGE) or (
        milestone.responsible_id is not None
        and editable_organisations(request.user, Organisation.objects.filter(pk=milestone.responsible_id)).exists()
    )
    if not may_report:
        raise PermissionDenied
    form = MilestoneStatusForm(request.POST)
    if form.is_valid():
        try:
            services.milestone_status_update(
                milestone, status=form.cleaned_data["status"], user=request.user, reason=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Status för momentet har uppdaterats."))
    else:
        messages.error(request, _("Välj en giltig status."))
    return redirect_after_write(request, f"{milestone.calendar.get_absolute_url()}#moment-{milestone.pk}")
