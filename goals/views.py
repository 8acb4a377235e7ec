"""Views of the goal chain: Huset, the chain, goal/indicator/plan pages and their in-place editing, Min sida,
Målanalys and Agenda 2030. Views stay thin: reads come from selectors, writes go through services."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from styrning.forms import apply_validation_error
from styrning.models import Organisation
from styrning.permissions import ADMIN, CHANGE, REPORT, VIEW, can, require, restrict
from styrning.views import (
    ObjectDeleteView,
    ObjectEditView,
    ObjectView,
    errors_to_messages,
    municipality_for,
    redirect_after_write,
)

from . import import_jobs, importing, selectors, services
from .choices import GoalKind
from .forms import (
    ActivityForm,
    ActivityStatusForm,
    GoalFilterForm,
    GoalForm,
    IndicatorForm,
    OutcomeForm,
    PlanAdoptForm,
    PlanForm,
    PlanReopenForm,
    TargetForm,
    ValueForm,
    VisionForm,
)
from .models import Goal, ImportJob, Indicator, Outcome, Plan, SdgGoal, Target, Value

# --- Huset and the chain -------------------------------------------------------------------------------------------


def house(request, municipality):
    """Huset: the whole steering model of the municipality on one page (004)."""
    municipality = municipality_for(request, municipality)
    years = selectors.plan_years(municipality=municipality)
    year = _year_param(request, selectors.default_plan_year(years))
    context = selectors.house(municipality=municipality, user=request.user, year=year)
    vision = context["vision"]
    context.update(
        municipality=municipality,
        year=year,
        years=sorted(set(years) | {year}, reverse=True),
        can_edit_vision=can(request.user, vision, ADMIN)
        if vision
        else can(request.user, Value(municipality=municipality), CHANGE),
        traffic_light_rule=selectors.TRAFFIC_LIGHT_RULE,
        can_import=importing.may_import(request.user, municipality),
    )
    return render(request, "goals/house.html", context)


def _year_param(request, default):
    try:
        return int(request.GET.get("ar", default))
    except (TypeError, ValueError):
        return default


def goal_chain(request, municipality):
    """The goal chain as a collapsible tree from the vision, or a filtered flat list."""
    municipality = municipality_for(request, municipality)
    organisations = selectors.organisations_for_filter(municipality=municipality, user=request.user)
    form = GoalFilterForm(request.GET or None, organisations=organisations)
    context = {"municipality": municipality, "filter_form": form, "traffic_light_rule": selectors.TRAFFIC_LIGHT_RULE}
    if form.is_filtering():
        goals = selectors.goal_search(municipality=municipality, user=request.user, filters=form.cleaned_data)
        page = Paginator(goals, 100).get_page(request.GET.get("page"))
        selectors.attach_summaries(page.object_list)
        context["page"] = page
    else:
        context["nodes"] = selectors.goal_tree(
            municipality=municipality, user=request.user, eager_depth=settings.GOAL_TREE_EAGER_DEPTH
        )
    return render(request, "goals/goal_chain.html", context)


def goal_children(request, pk):
    """The children of a goal as tree nodes (htmx: loaded when a node is opened)."""
    goal = get_object_or_404(restrict(Goal.objects.all(), request.user, VIEW), pk=pk)
    nodes = selectors.goal_children(goal=goal, user=request.user)
    return render(request, "goals/inc/tree_nodes.html", {"nodes": nodes})


class GoalView(ObjectView):
    queryset = Goal.objects.select_related("organisation", "plan", "plan__mandate_period", "municipality", "parent")
    template_name = "goals/goal.html"

    def get_extra_context(self, obj):
        context = selectors.goal_detail(goal=obj, user=self.request.user)
        context["municipality"] = obj.municipality
        context["can_report"] = can(self.request.user, obj, REPORT)
        context["can_admin"] = can(self.request.user, obj, ADMIN)
        context["can_add_child"] = (
            not obj.is_activity and selectors.writable_child_organisations(goal=obj, user=self.request.user).exists()
        )
        if obj.is_activity:
            context["status_form"] = ActivityStatusForm(initial={"activity_status": obj.activity_status})
        return context


class GoalEditView(ObjectEditView):
    """Add a goal under a parent, or edit one (in place with htmx)."""

    queryset = Goal.objects.select_related("organisation", "plan", "municipality", "parent")
    form_class = GoalForm

    def new_object(self, **kwargs):
        parent = get_object_or_404(restrict(Goal.objects.all(), self.request.user, VIEW), pk=kwargs["parent"])
        if parent.is_activity:
            raise PermissionDenied
        self.parent = parent
        organisation = self._default_organisation(parent)
        if organisation is None:
            raise PermissionDenied
        plan = Plan.objects.filter(organisation=organisation, status="draft").order_by("-year").first()
        kind = GoalKind.ACTIVITY if self.form_class is ActivityForm else GoalKind.GOAL
        return Goal(municipality=parent.municipality, parent=parent, organisation=organisation, plan=plan, kind=kind)

    def _default_organisation(self, parent):
        """The first organisation below the parent's where the user may write (the parent's own for activities)."""
        orgs = selectors.writable_child_organisations(
            goal=parent, user=self.request.user, for_activity=self.form_class is ActivityForm
        )
        return orgs.first()

    def get_form_kwargs(self, obj):
        kwargs = super().get_form_kwargs(obj)
        kwargs["municipality"] = obj.municipality
        kwargs["parent"] = getattr(self, "parent", None)
        if obj.pk is None:
            kwargs["initial"] = {"code": services.goal_suggest_code(parent=obj.parent, organisation=obj.organisation)}
        return kwargs

    def get_cancel_url(self, obj):
        return obj.get_absolute_url() if obj.pk else obj.parent.get_absolute_url()

    def get_extra_context(self, obj):
        return {"municipality": obj.municipality}

    def save(self, form, *, expected_version, reason):
        goal = services.goal_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )
        services.goal_set_relations(
            goal,
            contributes_to=form.cleaned_data.get("contributes_to"),
            sdg_goals=form.cleaned_data.get("sdg_goals"),
            sdg_targets=form.cleaned_data.get("sdg_targets"),
            documents=form.cleaned_data.get("documents"),
        )
        return goal


class ActivityEditView(GoalEditView):
    form_class = ActivityForm


class GoalDeleteView(ObjectDeleteView):
    queryset = Goal.objects.select_related("organisation", "plan", "parent", "municipality")

    def get_success_url(self, obj):
        return (
            obj.parent.get_absolute_url()
            if obj.parent_id
            else reverse("goals:goal_chain", args=[obj.municipality.slug])
        )


@require_POST
def activity_status(request, pk):
    """Update an activity's status with a comment (follow-up: allowed after the plan is adopted)."""
    activity = get_object_or_404(restrict(Goal.objects.select_related("organisation"), request.user, VIEW), pk=pk)
    require(request.user, activity, REPORT)
    form = ActivityStatusForm(request.POST)
    if form.is_valid():
        try:
            services.activity_status_update(
                activity,
                status=form.cleaned_data["activity_status"],
                user=request.user,
                reason=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("Aktivitetens status har uppdaterats."))
    else:
        messages.error(request, _("Välj en giltig status."))
    return redirect_after_write(request, activity.get_absolute_url())


# --- Indicators, targets, outcomes ---------------------------------------------------------------------------------


class IndicatorView(ObjectView):
    queryset = Indicator.objects.select_related("goal", "goal__organisation", "goal__plan", "goal__municipality")
    template_name = "goals/indicator.html"

    def get_extra_context(self, obj):
        indicator = Indicator.objects.prefetch_related("outcomes", "targets").get(pk=obj.pk)
        summary = selectors.summarise_indicator(indicator)
        summary.chart = selectors.indicator_chart(summary)
        return {
            "summary": summary,
            "municipality": obj.goal.municipality,
            "can_report": can(self.request.user, obj.goal, REPORT),
            "traffic_light_rule": selectors.TRAFFIC_LIGHT_RULE,
        }


class IndicatorEditView(ObjectEditView):
    queryset = Indicator.objects.select_related("goal", "goal__organisation", "goal__plan", "goal__municipality")
    form_class = IndicatorForm

    def new_object(self, **kwargs):
        goal = get_object_or_404(
            restrict(Goal.objects.select_related("organisation", "plan", "municipality"), self.request.user, VIEW),
            pk=kwargs["goal"],
        )
        return Indicator(goal=goal)

    def get_cancel_url(self, obj):
        return obj.get_absolute_url() if obj.pk else obj.goal.get_absolute_url()

    def get_success_url(self, obj):
        return obj.goal.get_absolute_url() if self.kwargs.get("goal") else obj.get_absolute_url()

    def get_extra_context(self, obj):
        return {"municipality": obj.goal.municipality}

    def save(self, form, *, expected_version, reason):
        return services.indicator_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class IndicatorDeleteView(ObjectDeleteView):
    queryset = Indicator.objects.select_related("goal", "goal__organisation", "goal__plan")

    def get_success_url(self, obj):
        return obj.goal.get_absolute_url()


class _IndicatorChildEditView(ObjectEditView):
    """Targets and outcomes: added from their indicator's page, which they return to."""

    def new_object(self, **kwargs):
        indicator = get_object_or_404(
            restrict(
                Indicator.objects.select_related("goal", "goal__organisation", "goal__plan"), self.request.user, VIEW
            ),
            pk=kwargs["indicator"],
        )
        return self.queryset.model(indicator=indicator)

    def get_success_url(self, obj):
        from styrning.views import safe_next_url

        return safe_next_url(self.request, obj.indicator.get_absolute_url())

    def get_cancel_url(self, obj):
        return obj.indicator.get_absolute_url()

    def get_extra_context(self, obj):
        return {"municipality": obj.indicator.goal.municipality}


class TargetEditView(_IndicatorChildEditView):
    queryset = Target.objects.select_related(
        "indicator", "indicator__goal", "indicator__goal__organisation", "indicator__goal__plan"
    )
    form_class = TargetForm

    def save(self, form, *, expected_version, reason):
        return services.target_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class OutcomeEditView(_IndicatorChildEditView):
    queryset = Outcome.objects.select_related("indicator", "indicator__goal", "indicator__goal__organisation")
    form_class = OutcomeForm
    action = REPORT

    def save(self, form, *, expected_version, reason):
        return services.outcome_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class TargetDeleteView(ObjectDeleteView):
    queryset = Target.objects.select_related(
        "indicator", "indicator__goal", "indicator__goal__organisation", "indicator__goal__plan"
    )

    def get_success_url(self, obj):
        return obj.indicator.get_absolute_url()


class OutcomeDeleteView(ObjectDeleteView):
    queryset = Outcome.objects.select_related("indicator", "indicator__goal", "indicator__goal__organisation")
    action = REPORT

    def get_success_url(self, obj):
        return obj.indicator.get_absolute_url()


class OrganisationView(ObjectView):
    """An organisation: its mission (grunduppdrag), plans, sub-organisations, documents and members."""

    queryset = Organisation.objects.select_related("municipality", "parent")
    template_name = "goals/organisation.html"

    def get_extra_context(self, obj):
        from styrning.selectors import organisation_page

        context = organisation_page(organisation=obj, user=self.request.user)
        context["plans"] = list(
            restrict(obj.plans.select_related("mandate_period"), self.request.user, VIEW).order_by("-year")
        )
        context["can_add_plan"] = can(self.request.user, Plan(organisation=obj), CHANGE)
        context["current_year"] = timezone.localdate().year
        return context


# --- Plans ---------------------------------------------------------------------------------------------------------


def plan_list(request, municipality):
    municipality = municipality_for(request, municipality)
    years = selectors.plan_years(municipality=municipality)
    year = _year_param(request, selectors.default_plan_year(years))
    plans = selectors.plans_for_year(municipality=municipality, user=request.user, year=year)
    return render(
        request,
        "goals/plan_list.html",
        {
            "municipality": municipality,
            "plans": plans,
            "year": year,
            "years": sorted(set(years) | {year}, reverse=True),
        },
    )


class PlanView(ObjectView):
    queryset = Plan.objects.select_related("organisation", "organisation__municipality", "mandate_period", "decided_by")
    template_name = "goals/plan.html"

    def get_extra_context(self, obj):
        goals = list(
            restrict(obj.goals.all(), self.request.user, VIEW)
            .select_related("parent", "organisation")
            .prefetch_related(selectors.indicator_prefetch())
            .order_by("tree_id", "lft")
        )
        selectors.attach_summaries(goals)
        return {
            "goals": goals,
            "municipality": obj.organisation.municipality,
            "can_admin": can(self.request.user, obj, ADMIN),
            "adopt_form": PlanAdoptForm(plan=obj, initial={"decided_by": obj.organisation_id}),
            "reopen_form": PlanReopenForm(),
        }


class PlanEditView(ObjectEditView):
    queryset = Plan.objects.select_related("organisation", "organisation__municipality", "mandate_period")
    form_class = PlanForm

    def new_object(self, **kwargs):
        organisation = get_object_or_404(
            restrict(Organisation.objects.select_related("municipality"), self.request.user, VIEW),
            pk=kwargs["organisation"],
        )
        return Plan(organisation=organisation)

    def get_cancel_url(self, obj):
        return obj.get_absolute_url() if obj.pk else obj.organisation.get_absolute_url()

    def get_extra_context(self, obj):
        return {"municipality": obj.organisation.municipality}

    def save(self, form, *, expected_version, reason):
        return services.plan_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


def _plan_for_admin(request, pk):
    plan = get_object_or_404(
        restrict(Plan.objects.select_related("organisation", "mandate_period"), request.user, VIEW), pk=pk
    )
    require(request.user, plan, ADMIN)
    return plan


@require_POST
def plan_adopt(request, pk):
    """Register the decision that adopted (fastställde) the plan."""
    plan = _plan_for_admin(request, pk)
    form = PlanAdoptForm(request.POST, plan=plan)
    if form.is_valid():
        try:
            services.plan_adopt(plan, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("Planen är fastställd och kan inte längre ändras av redaktörer."))
    else:
        errors_to_messages(request, form=form)
    return redirect(plan.get_absolute_url())


@require_POST
def plan_reopen(request, pk):
    """Return an adopted plan to draft, with a reason kept in the history."""
    plan = _plan_for_admin(request, pk)
    form = PlanReopenForm(request.POST)
    if form.is_valid():
        try:
            services.plan_reopen(plan, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            errors_to_messages(request, error=error)
        else:
            messages.success(request, _("Planen är öppnad för ändringar igen."))
    else:
        messages.error(request, _("Skäl: ange varför planen öppnas igen."))
    return redirect(plan.get_absolute_url())


# --- Vision and värdegrund -------------------------------------------------------------------------------------------


def vision_edit(request, municipality):
    """Edit the municipality's vision (administrators of the municipality)."""
    municipality = municipality_for(request, municipality)
    vision = selectors.vision_of(municipality)
    if vision is not None:
        require(request.user, vision, ADMIN)
    elif not can(request.user, Value(municipality=municipality), CHANGE):
        raise PermissionDenied
    initial = (
        {"statement": vision.title, "description": vision.description, "valid_until": vision.end_year} if vision else {}
    )
    form = VisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.vision_save(
                    municipality=municipality,
                    statement=form.cleaned_data["statement"],
                    description=form.cleaned_data["description"],
                    valid_until=form.cleaned_data["valid_until"],
                    user=request.user,
                )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Visionen har sparats."))
            return redirect(municipality.get_absolute_url())
    return render(
        request,
        "generic/object_edit.html",
        {
            "form": form,
            "municipality": municipality,
            "verbose_name": _("vision"),
            "is_new": vision is None,
            "cancel_url": municipality.get_absolute_url(),
            "object": vision,
        },
    )


class ValueEditView(ObjectEditView):
    queryset = Value.objects.select_related("municipality")
    form_class = ValueForm

    def new_object(self, **kwargs):
        return Value(municipality=municipality_for(self.request, kwargs["municipality"]))

    def get_cancel_url(self, obj):
        return obj.municipality.get_absolute_url()

    def get_success_url(self, obj):
        return obj.municipality.get_absolute_url()

    def get_extra_context(self, obj):
        return {"municipality": obj.municipality}

    def save(self, form, *, expected_version, reason):
        return services.value_save(
            form.instance, user=self.request.user, expected_version=expected_version, reason=reason
        )


class ValueDeleteView(ObjectDeleteView):
    queryset = Value.objects.select_related("municipality")

    def get_success_url(self, obj):
        return obj.municipality.get_absolute_url()


# --- Min sida, Målanalys, Agenda 2030 ---------------------------------------------------------------------------------


def my_page(request):
    context = selectors.my_page(user=request.user)
    return render(request, "goals/my_page.html", context)


def goal_analysis(request, municipality):
    municipality = municipality_for(request, municipality)
    # The analysis is of the goals in force this year unless the user asks for another year or all (an empty year).
    if "ar" not in request.GET:
        year = timezone.localdate().year
    else:
        year = _year_param(request, None) if request.GET["ar"] else None
    context = selectors.goal_analysis(municipality=municipality, user=request.user, year=year)
    context.update(municipality=municipality, year=year)
    return render(request, "goals/goal_analysis.html", context)


def sdg(request, number):
    """An Agenda 2030 goal with its targets and, in the user's municipality, the goals that contribute to it."""
    sdg_goal = get_object_or_404(SdgGoal.objects.prefetch_related("targets"), number=number)
    goals = (
        restrict(Goal.objects.all(), request.user, VIEW)
        .filter(sdg_goals=sdg_goal)
        .select_related("organisation", "municipality")
        .order_by("municipality__name", "tree_id", "lft")
    )
    return render(request, "goals/sdg.html", {"sdg_goal": sdg_goal, "goals": goals[:200]})


def sdg_list(request):
    return render(request, "goals/sdg_list.html", {"sdg_goals": SdgGoal.objects.all()})


# --- Spreadsheet import and export (administrators of the whole municipality) -------------------------------------


def _import_municipality(request, slug):
    """The municipality in the URL, if the user may see it (else 404) and administers all of it (else 403)."""
    municipality = municipality_for(request, slug)
    require(request.user, importing.municipality_root(municipality), ADMIN)
    return municipality


def _import_page_context(municipality):
    from styrning.spreadsheets import FORMATS, WORKBOOK_FORMATS

    return {
        "municipality": municipality,
        "sheets": [{"slug": cls.slug(), "name": cls.sheet_name} for cls in importing.sheet_resources()],
        "workbook_formats": [FORMATS[key] for key in WORKBOOK_FORMATS],
        "formats": list(FORMATS.values()),
    }


def import_page(request, municipality):
    """Upload a spreadsheet and see what it would change (nothing is saved), or download exports and templates."""
    from .forms import ImportForm

    municipality = _import_municipality(request, municipality)
    context = _import_page_context(municipality)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        if importing.runs_in_background(data):
            job = import_jobs.import_job_start(
                municipality=municipality,
                user=request.user,
                filename=upload.name,
                mode=ImportJob.Mode.PREVIEW,
                data=data,
            )
            return redirect(job.get_absolute_url())
        report = importing.import_file(
            data=data, filename=upload.name, municipality=municipality, user=request.user, commit=False
        )
        token = None
        if not report.has_errors and (report.new or report.changed):
            token = importing.stash_upload(
                data=data, filename=upload.name, municipality=municipality, user=request.user
            )
        context.update(report=report, token=token, form=ImportForm())
        return render(request, "goals/import_preview.html", context)
    context["form"] = form
    return render(request, "goals/import.html", context)


@require_POST
def import_confirm(request, municipality):
    """Run the previewed import for real, in one transaction: all rows or none."""
    from .forms import ImportConfirmForm, ImportForm

    municipality = _import_municipality(request, municipality)
    form = ImportConfirmForm(request.POST)
    stashed = None
    if form.is_valid():
        stashed = importing.unstash_upload(
            token=form.cleaned_data["token"], municipality=municipality, user=request.user
        )
    if stashed is None:
        messages.error(request, _("Förhandsgranskningen har gått ut. Ladda upp filen igen."))
        return redirect("goals:import", municipality.slug)
    data, filename = stashed
    if importing.runs_in_background(data):
        job = import_jobs.import_job_start(
            municipality=municipality,
            user=request.user,
            filename=filename,
            mode=ImportJob.Mode.COMMIT,
            data=data,
            token=form.cleaned_data["token"],
        )
        return redirect(job.get_absolute_url())
    report = importing.import_file(
        data=data, filename=filename, municipality=municipality, user=request.user, commit=True
    )
    if not report.committed:
        # The data changed since the preview: show what stands in the way; nothing was saved.
        context = _import_page_context(municipality)
        context.update(report=report, token=None, form=ImportForm())
        return render(request, "goals/import_preview.html", context, status=200)
    importing.drop_stash(form.cleaned_data["token"])
    messages.success(
        request,
        _("%(filename)s är inläst. Nya rader: %(new)s, ändrade: %(changed)s, oförändrade: %(unchanged)s.")
        % {"filename": filename, "new": report.new, "changed": report.changed, "unchanged": report.unchanged},
    )
    return redirect("goals:import", municipality.slug)


def _import_job(request, municipality, pk):
    """The user's own import job in the municipality (anyone else's: 404)."""
    municipality = _import_municipality(request, municipality)
    return get_object_or_404(
        ImportJob.objects.select_related("municipality"), pk=pk, municipality=municipality, user=request.user
    )


def _import_job_context(job):
    return {
        "municipality": job.municipality,
        "job": job,
        "report": importing.ImportSummary(job.result) if job.result else None,
        "confirmable": importing.import_job_confirmable(job),
    }


def import_job(request, municipality, pk):
    """A large file's preview or import running in the background: a progress bar, then the result."""
    job = _import_job(request, municipality, pk)
    context = _import_page_context(job.municipality)
    context.update(_import_job_context(job))
    return render(request, "goals/import_job.html", context)


def import_job_status(request, municipality, pk):
    """The job's status fragment, polled by htmx every second; status 286 tells htmx to stop once the job has ended.

    Rendered without the context processors: the fragment has no menu, and a poll costs six queries.
    """
    from django.http import HttpResponse
    from django.middleware.csrf import get_token
    from django.template.loader import render_to_string

    job = _import_job(request, municipality, pk)
    context = {**_import_job_context(job), "csrf_token": get_token(request)}
    response = HttpResponse(render_to_string("goals/import_job_status.html", context))
    if job.is_finished and request.htmx:
        response.status_code = 286
    return response


@require_POST
def import_job_confirm(request, municipality, pk):
    """Import a previewed large file for real: starts the background import (once) and shows its progress."""
    job = _import_job(request, municipality, pk)
    try:
        started = import_jobs.import_job_confirm(job=job, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(job.get_absolute_url())
    return redirect(started.get_absolute_url())


def _download(filename, data, fmt):
    from django.http import HttpResponse

    from styrning.spreadsheets import FORMATS

    response = HttpResponse(data, content_type=FORMATS[fmt].content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _file_params(request):
    """The format and sheet asked for (404 for unknown ones: the links are ours)."""
    from django.http import Http404

    from styrning.spreadsheets import FORMATS, WORKBOOK_FORMATS

    fmt = request.GET.get("format", "xlsx")
    sheet = request.GET.get("blad") or None
    if fmt not in FORMATS or (sheet and importing.resource_for_slug(sheet) is None):
        raise Http404
    if fmt not in WORKBOOK_FORMATS and not sheet:
        raise Http404
    return fmt, sheet


def export(request, municipality):
    """The municipality's data in the import format: a workbook with every sheet, or one kind (CSV: one kind)."""
    municipality = _import_municipality(request, municipality)
    fmt, sheet = _file_params(request)
    filename, data = importing.export_file(municipality=municipality, fmt=fmt, sheet=sheet)
    return _download(filename, data, fmt)


def import_template(request, municipality):
    """The empty template: Swedish headers, example rows and (in workbooks) an instructions sheet."""
    from .importing import template_file

    municipality = _import_municipality(request, municipality)
    fmt, sheet = _file_params(request)
    filename, data = template_file(fmt=fmt, sheet=sheet, municipality_slug=municipality.slug)
    return _download(filename, data, fmt)
