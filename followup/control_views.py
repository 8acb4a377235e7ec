"""
Views of the internal control plan (004 "Intern kontrollplan"): the plans of a year with KS's summary, one plan with
its risk matrix, risks, controls and the results reported each tertial, and the forms that write them.

Views stay thin: reads come from followup.selectors, writes go through followup.services, and every object is
fetched through styrning.permissions (outside the municipality: 404; read-only: 403). An adopted plan is locked: for
editors by the models' `lock_path` (403), for administrators by the services, so the forms send them back to the plan
with the reason instead of offering a form that cannot be saved.
"""

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
from styrning.permissions import ADMIN, CHANGE, VIEW, can, editable_organisations, is_locked, require, restrict
from styrning.views import ObjectDeleteView, ObjectEditView, errors_to_messages, municipality_for, safe_next_url

from . import selectors, services
from .control_forms import (
    ControlForm,
    ControlPlanAdoptForm,
    ControlPlanReopenForm,
    InternalControlPlanForm,
    RiskForm,
)
from .models import Control, InternalControlPlan, Risk

LOCKED_MESSAGE = gettext_lazy("Den interna kontrollplanen är beslutad. Öppna den igen för att ändra den.")

PLAN_RELATED = ("organisation", "organisation__municipality", "decided_by")
RISK_RELATED = ("plan", "plan__organisation", "plan__organisation__municipality")
CONTROL_RELATED = ("risk", *(f"risk__{name}" for name in RISK_RELATED))


def _year(request, default):
    try:
        return int(request.GET.get("ar", default))
    except (TypeError, ValueError):
        return default


def _plan(request, pk):
    """The plan if the user may see it (else 404)."""
    queryset = InternalControlPlan.objects.select_related(*PLAN_RELATED)
    return get_object_or_404(restrict(queryset, request.user, VIEW), pk=pk)


# --- Lists and pages ----------------------------------------------------------------------------------------------


def control_plan_list(request, municipality):
    """The year's internal control plans (?ar=, default this year) in tree order, and KS's summary: the
    municipality-wide matrix of the chosen risks and the control deviations reported."""
    municipality = municipality_for(request, municipality)
    current = timezone.localdate().year
    year = _year(request, current)
    years = selectors.control_plan_years(municipality=municipality, user=request.user)
    context = selectors.control_plans(municipality=municipality, user=request.user, year=year)
    context.update(
        municipality=municipality,
        year=year,
        years=sorted(set(years) | {year, current, current + 1}, reverse=True),
        can_add=editable_organisations(request.user, Organisation.objects.filter(municipality=municipality)).exists(),
    )
    return render(request, "followup/control/plan_list.html", context)


def control_plan_detail(request, pk):
    """One plan: its decision, the risk matrix, the risks with their controls and the results of each tertial."""
    plan = _plan(request, pk)
    context = selectors.control_plan_page(plan=plan, user=request.user)
    if context["can_admin"]:
        if plan.is_adopted:
            context["reopen_form"] = ControlPlanReopenForm()
        else:
            context["adopt_form"] = ControlPlanAdoptForm(plan=plan)
    return render(request, "followup/control/plan.html", context)


# --- Forms --------------------------------------------------------------------------------------------------------


def control_plan_create(request, municipality):
    """A new plan for an organisation the user may edit, and a year (?ar= fills it in)."""
    municipality = municipality_for(request, municipality)
    if not editable_organisations(request.user, Organisation.objects.filter(municipality=municipality)).exists():
        raise PermissionDenied
    form = InternalControlPlanForm(
        request.POST or None,
        instance=InternalControlPlan(),
        user=request.user,
        municipality=municipality,
        initial={"year": _year(request, timezone.localdate().year)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                plan = services.control_plan_create(
                    organisation=form.cleaned_data["organisation"],
                    year=form.cleaned_data["year"],
                    description=form.cleaned_data["description"],
                    user=request.user,
                )
                if not can(request.user, plan, CHANGE):
                    raise PermissionDenied
        except ValidationError as error:
            form.instance.pk = None
            apply_validation_error(form, error)
        else:
            messages.success(request, _("%(name)s har skapats.") % {"name": plan})
            return redirect(plan.get_absolute_url())
    cancel_url = reverse("followup:control_plan_list", args=[municipality.slug])
    return render(
        request,
        "followup/control/form.html",
        {
            "municipality": municipality,
            "form": form,
            "form_title": _("Ny intern kontrollplan"),
            "form_context": municipality.name,
            "cancel_url": safe_next_url(request, cancel_url),
        },
    )


class PlanPartFormMixin:
    """Shared by the edit views of a plan and what it holds: the Swedish heading, the plan in the context and the lock.

    An adopted plan cannot be changed (the services refuse it); administrators, who pass the permission check, are
    sent back to the plan with the reason instead of getting a form that cannot be saved.
    """

    template_name = "followup/control/form.html"
    partial_template_name = "followup/control/inc/form.html"
    new_title = ""
    edit_title = ""

    def plan_of(self, obj):
        raise NotImplementedError

    def locked_response(self, obj):
        if not is_locked(obj):
            return None
        messages.error(self.request, str(LOCKED_MESSAGE))
        return redirect(self.plan_of(obj).get_absolute_url())

    def get(self, request, **kwargs):
        obj = self.get_object(**kwargs)
        require(request.user, obj, self.action)
        return self.locked_response(obj) or self.render_form(obj, self.form_class(**self.get_form_kwargs(obj)))

    def post(self, request, **kwargs):
        obj = self.get_object(**kwargs)
        require(request.user, obj, self.action)
        return self.locked_response(obj) or super().post(request, **kwargs)

    def form_context(self, obj):
        return self.plan_of(obj)

    def get_cancel_url(self, obj):
        return safe_next_url(self.request, self.plan_of(obj).get_absolute_url())

    def get_extra_context(self, obj):
        plan = self.plan_of(obj)
        title = self.new_title if obj.pk is None else self.edit_title
        return {
            "municipality": plan.organisation.municipality,
            "plan": plan,
            "form_title": title % {"object": obj},
            "form_context": self.form_context(obj),
        }


class ControlPlanEditView(PlanPartFormMixin, ObjectEditView):
    """Change a draft plan's introduction."""

    queryset = InternalControlPlan.objects.select_related(*PLAN_RELATED)
    form_class = InternalControlPlanForm
    edit_title = gettext_lazy("Ändra %(object)s")

    def plan_of(self, obj):
        return obj

    def form_context(self, obj):
        return obj.get_status_display()

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "municipality": obj.organisation.municipality}

    def save(self, form, *, expected_version, reason):
        return services.control_plan_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class RiskEditView(PlanPartFormMixin, ObjectEditView):
    """Add a risk to a plan (`risk_add`: pk is the plan's) or change one (`risk_edit`: pk is the risk's)."""

    queryset = Risk.objects.select_related(*RISK_RELATED)
    form_class = RiskForm
    new_title = gettext_lazy("Ny risk")
    edit_title = gettext_lazy("Ändra risk")

    def get_object(self, **kwargs):
        if self.request.resolver_match.url_name == "risk_add":
            return Risk(plan=_plan(self.request, kwargs["pk"]))
        return super().get_object(**kwargs)

    def plan_of(self, obj):
        return obj.plan

    def get_success_url(self, obj):
        return safe_next_url(self.request, f"{obj.plan.get_absolute_url()}#risk-{obj.pk}")

    def save(self, form, *, expected_version, reason):
        return services.risk_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class ControlEditView(PlanPartFormMixin, ObjectEditView):
    """Add a control to a risk (`control_add`: pk is the risk's) or change one (`control_edit`: pk is the control's)."""

    queryset = Control.objects.select_related(*CONTROL_RELATED)
    form_class = ControlForm
    new_title = gettext_lazy("Ny kontroll")
    edit_title = gettext_lazy("Ändra kontroll")

    def get_object(self, **kwargs):
        if self.request.resolver_match.url_name == "control_add":
            risk = get_object_or_404(
                restrict(Risk.objects.select_related(*RISK_RELATED), self.request.user, VIEW), pk=kwargs["pk"]
            )
            return Control(risk=risk)
        return super().get_object(**kwargs)

    def plan_of(self, obj):
        return obj.risk.plan

    def form_context(self, obj):
        return _("Risk: %(risk)s") % {"risk": obj.risk}

    def get_success_url(self, obj):
        return safe_next_url(self.request, f"{obj.risk.plan.get_absolute_url()}#risk-{obj.risk_id}")

    def save(self, form, *, expected_version, reason):
        return services.control_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class PlanPartDeleteView(ObjectDeleteView):
    """Confirm and delete a risk or a control of a draft plan through its service (which refuses one with results)."""

    def plan_of(self, obj):
        raise NotImplementedError

    def delete(self, obj, *, reason):
        raise NotImplementedError

    def get_success_url(self, obj):
        return self.plan_of(obj).get_absolute_url()

    def get(self, request, **kwargs):
        obj = self.get_object(**kwargs)
        require(request.user, obj, self.action)
        if is_locked(obj):
            messages.error(request, str(LOCKED_MESSAGE))
            return redirect(self.get_success_url(obj))
        plan = self.plan_of(obj)
        context = {"object": obj, "cancel_url": plan.get_absolute_url(), "municipality": plan.organisation.municipality}
        return render(request, self.template_name, context)

    def post(self, request, **kwargs):
        obj = self.get_object(**kwargs)
        require(request.user, obj, self.action)
        name = str(obj)
        try:
            self.delete(obj, reason=request.POST.get("change_reason", ""))
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("%(name)s har tagits bort.") % {"name": name})
        return redirect(self.get_success_url(obj))


class RiskDeleteView(PlanPartDeleteView):
    queryset = Risk.objects.select_related(*RISK_RELATED)

    def plan_of(self, obj):
        return obj.plan

    def delete(self, obj, *, reason):
        services.risk_delete(obj, user=self.request.user, reason=reason)


class ControlDeleteView(PlanPartDeleteView):
    queryset = Control.objects.select_related(*CONTROL_RELATED)

    def plan_of(self, obj):
        return obj.risk.plan

    def delete(self, obj, *, reason):
        services.control_delete(obj, user=self.request.user, reason=reason)


control_plan_edit = ControlPlanEditView.as_view()
risk_edit = RiskEditView.as_view()
risk_delete = RiskDeleteView.as_view()
control_edit = ControlEditView.as_view()
control_delete = ControlDeleteView.as_view()


# --- The decision -------------------------------------------------------------------------------------------------


def _plan_for_admin(request, pk):
    plan = _plan(request, pk)
    require(request.user, plan, ADMIN)
    return plan


@require_POST
def control_plan_adopt(request, pk):
    """Register the decision that adopted the plan (administrators); refused while a chosen risk lacks a control."""
    plan = _plan_for_admin(request, pk)
    form = ControlPlanAdoptForm(request.POST, plan=plan)
    if form.is_valid():
        try:
            services.control_plan_adopt(plan, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("Den interna kontrollplanen är beslutad och låst för ändringar."))
    else:
        errors_to_messages(request, form=form)
    return redirect(plan.get_absolute_url())


@require_POST
def control_plan_reopen(request, pk):
    """Return an adopted plan to draft (administrators), with the reason kept in the history."""
    plan = _plan_for_admin(request, pk)
    form = ControlPlanReopenForm(request.POST)
    if form.is_valid():
        try:
            services.control_plan_reopen(plan, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("Den interna kontrollplanen är öppnad för ändringar igen."))
    else:
        errors_to_messages(request, form=form)
    return redirect(plan.get_absolute_url())
