"""
The goal chain's sheets for spreadsheet import and export (see goals.importing for the engine): organisations, plans,
goals with activities, indicators with their targets per year, and outcomes.

Each resource lists its columns explicitly as django-import-export fields with Swedish headers. Rows are matched by a
human key within the municipality: organisations and goals by code, plans by organisation and period, indicators by
goal code and name, outcomes by goal, indicator, year and period. References are codes too (the parent, the
organisation, "Bidrar även till"), resolved against the municipality and the rows above them in the same file.
Validation is the model's (full_clean, as object_save runs it); the resources only turn cells into values and
references. Organisations, goals, indicators and outcomes are written in bulk (`bulk = True`, see
goals.importing.BulkWriter); plans, a few per organisation, through their service one at a time.
"""

import datetime
import re
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from import_export.fields import Field

from styrning import spreadsheets
from styrning.choices import OrganisationKind
from styrning.models import MandatePeriod, Organisation
from styrning.spreadsheets import (
    BooleanWidget,
    DateWidget,
    IntegerWidget,
    NumberWidget,
    TextWidget,
    display,
)

from . import services
from .choices import ActivityStatus, Direction, GoalKind, GoalLevel, OutcomePeriod, Perspective, PlanStatus
from .importing import BULK_BATCH_SIZE, CodeListWidget, CodeWidget, SheetResource, register
from .models import Goal, Indicator, Outcome, Plan, SdgGoal, SdgTarget, Target


class ChoiceWidget(spreadsheets.ChoiceWidget):
    """The shared ChoiceWidget with its lookup table and labels kept per language: the base class translates every
    label of the choices for every cell, a tenth of the time of a 50,000-row import."""

    def lookup(self):
        tables = self.__dict__.setdefault("_tables", {})
        language = get_language()
        if language not in tables:
            tables[language] = super().lookup()
        return tables[language]

    def label(self, value):
        labels = self.__dict__.setdefault("_labels", {})
        key = (get_language(), value)
        if key not in labels:
            labels[key] = super().label(value)
        return labels[key]


# --- Shared lookups (one query each, reloaded after a sheet has written) -------------------------------------------


def organisations(ctx):
    """{code: Organisation} of the municipality."""
    return ctx.cached(
        "organisations",
        lambda c: {
            o.code: o for o in Organisation.objects.filter(municipality=c.municipality).select_related("parent")
        },
    )


def goals(ctx):
    """{code: Goal} of the municipality, with what the diff and the tree rules read: each goal's organisation, plan
    and parent are the objects of the lookup indexes (one query for the goals; joining them, or prefetching the
    links, built four more objects per goal and took seconds on 50,000 goals). The links are in `goal_links`."""

    def load(c):
        organisation_field, plan_field, parent_field = (
            Goal._meta.get_field(n) for n in ("organisation", "plan", "parent")
        )
        by_organisation = {o.pk: o for o in organisations(c).values()}
        by_plan = {p.pk: p for p in plans(c).values()}
        loaded = list(Goal.objects.filter(municipality=c.municipality))
        by_id = {g.pk: g for g in loaded}
        for goal in loaded:
            for field, targets, target_id in (
                (organisation_field, by_organisation, goal.organisation_id),
                (plan_field, by_plan, goal.plan_id),
                (parent_field, by_id, goal.parent_id),
            ):
                if target_id is None:
                    field.set_cached_value(goal, None)
                elif target_id in targets:
                    field.set_cached_value(goal, targets[target_id])
        return {g.code: g for g in loaded}

    return ctx.cached("goals", load)


def goal_links(ctx):
    """({goal id: Agenda 2030 codes}, {goal id: codes of the goals it contributes to}) of the municipality's goals."""

    def load(c):
        sdg, contributes = defaultdict(list), defaultdict(list)
        m = c.municipality
        for goal_id, number in Goal.sdg_goals.through.objects.filter(goal__municipality=m).values_list(
            "goal_id", "sdggoal__number"
        ):
            sdg[goal_id].append(str(number))
        for goal_id, code in Goal.sdg_targets.through.objects.filter(goal__municipality=m).values_list(
            "goal_id", "sdgtarget__code"
        ):
            sdg[goal_id].append(code)
        for goal_id, code in Goal.contributes_to.through.objects.filter(from_goal__municipality=m).values_list(
            "from_goal_id", "to_goal__code"
        ):
            contributes[goal_id].append(code)
        return sdg, contributes

    return ctx.cached("goal_links", load)


def plans(ctx):
    """{(organisation code, period label): Plan} of the municipality."""

    def load(c):
        qs = Plan.objects.filter(organisation__municipality=c.municipality).select_related(
            "organisation", "mandate_period", "decided_by"
        )
        return {(p.organisation.code, p.period_label): p for p in qs}

    return ctx.cached("plans", load)


def mandate_periods(ctx):
    return ctx.cached(
        "mandate_periods",
        lambda c: {p.start_year: p for p in MandatePeriod.objects.filter(municipality=c.municipality)},
    )


def indicators(ctx):
    """{(goal code, indicator name): Indicator} of the municipality, with their targets."""

    def load(c):
        qs = (
            Indicator.objects.filter(goal__municipality=c.municipality)
            .select_related("goal", "goal__organisation", "goal__plan")
            .prefetch_related("targets")
            .order_by("pk")
        )
        index = {}
        for indicator in qs:
            index.setdefault((indicator.goal.code, indicator.name), indicator)
        return index

    return ctx.cached("indicators", load)


def outcomes(ctx):
    """{(indicator id, year, period): Outcome} of the municipality."""
    return ctx.cached(
        "outcomes",
        lambda c: {
            (o.indicator_id, o.year, o.period): o
            for o in Outcome.objects.filter(indicator__goal__municipality=c.municipality)
        },
    )


def sdg_index(ctx):
    """{"4": SdgGoal, "4.1": SdgTarget}: Agenda 2030 reference data."""

    def load(c):
        index = {str(g.number): g for g in SdgGoal.objects.all()}
        index.update({t.code: t for t in SdgTarget.objects.all()})
        return index

    return ctx.cached("sdg", load)


def sdg_sort_key(code):
    """Natural order of Agenda 2030 codes: 4, 4.1, 4.a, 11, 11.2."""
    goal, _dot, target = str(code).partition(".")
    goal_number = int(goal) if goal.isdigit() else 999
    if not target:
        return (goal_number, 0, 0, "")
    return (goal_number, 1, 0 if target.isdigit() else 1, target.zfill(3))


def _required_code(values, name):
    code = values.get(name)
    return code or None


# --- Organisations -------------------------------------------------------------------------------------------------


@register
class OrganisationResource(SheetResource):
    """Organisationer: the organisation tree below kommunfullmäktige."""

    sheet_name = "Organisationer"
    sheet_aliases = ("Organisation",)
    order = 10
    reference_kind = "organisation"
    key_fields = ("code",)
    required_columns = ("code", "name", "kind", "parent")
    required_values = ("code", "name", "kind")
    tree_parent_field = "parent"
    bulk = True
    instructions = gettext_lazy(
        "En rad per organisation. Kommunfullmäktige står överst utan överordnad kod; alla andra anger koden för "
        "organisationen de ligger under. Överordnade organisationer kan stå var som helst i bladet."
    )
    column_help = {
        "code": gettext_lazy("Unik inom kommunen, till exempel BUN. Raden matchas på koden."),
        "name": gettext_lazy("Organisationens namn."),
        "short_name": gettext_lazy("Förkortning, till exempel KS."),
        "kind": gettext_lazy("Kommunfullmäktige, Kommunstyrelse, Nämnd, Bolag, Förvaltning, Verksamhet eller Enhet."),
        "parent": gettext_lazy("Koden för organisationen ovanför. Tom endast för kommunfullmäktige."),
        "mission": gettext_lazy("Grunduppdraget enligt reglemente eller ägardirektiv."),
        "is_example": gettext_lazy("Ja om raden är exempeldata och inte kommunens egen."),
    }

    code = Field(attribute="code", column_name=gettext_lazy("Kod"), widget=TextWidget())
    name = Field(attribute="name", column_name=gettext_lazy("Namn"), widget=TextWidget())
    short_name = Field(attribute="short_name", column_name=gettext_lazy("Förkortning"), widget=TextWidget())
    kind = Field(attribute="kind", column_name=gettext_lazy("Typ"), widget=ChoiceWidget(OrganisationKind))
    parent = Field(attribute="parent", column_name=gettext_lazy("Överordnad kod"), widget=CodeWidget())
    mission = Field(attribute="mission", column_name=gettext_lazy("Grunduppdrag"), widget=TextWidget())
    is_example = Field(attribute="is_example", column_name=gettext_lazy("Exempeldata"), widget=BooleanWidget())

    class Meta:
        model = Organisation
        fields = ("code", "name", "short_name", "kind", "parent", "mission", "is_example")
        export_order = fields

    def export_queryset(self, municipality):
        return (
            Organisation.objects.filter(municipality=municipality).select_related("parent").order_by("tree_id", "lft")
        )

    def example_rows(self):
        return [
            {"code": "KF", "name": _("Kommunfullmäktige"), "short_name": "KF", "kind": _("Kommunfullmäktige")},
            {
                "code": "BUN",
                "name": _("Barn- och utbildningsnämnden"),
                "short_name": "BUN",
                "kind": _("Nämnd"),
                "parent": "KF",
                "mission": _("Nämnden fullgör kommunens uppgifter enligt skollagen."),
            },
            {
                "code": "BUF",
                "name": _("Barn- och utbildningsförvaltningen"),
                "short_name": "BUF",
                "kind": _("Förvaltning"),
                "parent": "BUN",
            },
            {"code": "HAGA", "name": _("Hagaskolan"), "kind": _("Enhet"), "parent": "BUF"},
        ]

    def describe(self, key, values):
        return f"{key[0]} {values.get('name', '')}".strip()

    def duplicate_message(self, key, first_row):
        return _("koden %(code)s finns redan på rad %(row)s") % {"code": key[0], "row": first_row}

    def tree_parents(self, ctx):
        by_id = {o.pk: o.code for o in organisations(ctx).values()}
        return {o.code: by_id.get(o.parent_id) for o in organisations(ctx).values()}

    def find(self, ctx, key):
        return organisations(ctx).get(key[0])

    def new_instance(self, ctx, values):
        return Organisation(municipality=ctx.municipality, code=values["code"])

    def apply(self, ctx, org, values):
        self.set_attributes(org, values, ("name", "short_name", "kind", "mission", "is_example"))
        if "parent" not in values:
            return
        code = values["parent"]
        if code:
            parent = organisations(ctx).get(code)
            if parent is None:
                raise ValidationError({"parent": ctx.missing(self.reference_kind, code, model=Organisation)})
            org.parent = parent
            return
        # A new organisation under another new one has no parent id yet: its parent object tells.
        root = next((o for o in organisations(ctx).values() if o.parent_id is None and o.parent is None), None)
        if root is not None and root.pk != org.pk:
            raise ValidationError(
                {
                    "parent": _("ange överordnad kod: %(root)s står redan överst i kommunens organisation")
                    % {"root": root.code}
                }
            )
        org.parent = None

    def owner_label(self, org):
        return _("organisationen %(code)s") % {"code": org.code}

    def may_write(self, ctx, org):
        """A new organisation's right comes from its parent (styrning.permissions.can); under a new parent that is
        not written yet, from the nearest organisation that exists."""
        while org.pk is None and org.parent is not None and org.parent.pk is None:
            org = org.parent
        return super().may_write(ctx, org)

    def tree_nodes(self, ctx):
        return organisations(ctx).values()

    def stage(self, ctx, org, values, *, created, changed, row, writer):
        writer.add(org)
        organisations(ctx)[org.code] = org

    def after_sheet(self, ctx, report):
        ctx.organisations_changed()


# --- Plans ---------------------------------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})\s*(?:[-–—]\s*(\d{4}))?$")


class PeriodWidget(TextWidget):
    """A plan's period: a year ("2026") or a mandate period ("2023–2026")."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = super().clean(value, row, **kwargs)
        if not text:
            return ""
        match = _PERIOD.match(text)
        if not match:
            raise ValueError(
                _("ange ett år (2026) eller en mandatperiod (2023–2026), inte ”%(value)s”") % {"value": text}
            )
        start, end = match.groups()
        return f"{start}–{end}" if end else start

    def render(self, value, obj=None, **kwargs):
        if isinstance(value, Plan):
            return value.period_label
        return value or ""


def _plan_label(plan):
    if plan is None:
        return ""
    return plan.period_label


@register
class PlanResource(SheetResource):
    """Planer: an organisation's plan for a year or a mandate period (goals name their plan by its period)."""

    sheet_name = "Planer"
    sheet_aliases = ("Plan",)
    order = 20
    reference_kind = "plan"
    key_fields = ("organisation", "period")
    required_columns = ("organisation", "period", "title")
    required_values = ("organisation", "period", "title")
    virtual_fields = ("period",)
    instructions = gettext_lazy(
        "En rad per plan: strategisk plan, nämndplan, affärsplan, verksamhetsplan eller enhetsplan. Planens typ "
        "följer organisationen. Raden matchas på organisation och period."
    )
    column_help = {
        "organisation": gettext_lazy("Koden för organisationen planen hör till."),
        "period": gettext_lazy("Ett år (2026) eller en mandatperiod (2023–2026)."),
        "title": gettext_lazy("Planens titel."),
        "status": gettext_lazy("Utkast eller Fastställd. En fastställd plan behöver beslutande organ och datum."),
        "decided_by": gettext_lazy("Koden för organet som fastställde planen, till exempel KF."),
        "decided_on": gettext_lazy("Beslutsdatum."),
        "paragraph": gettext_lazy("Paragraf i protokollet, till exempel 118."),
        "registration_number": gettext_lazy("Diarienummer, till exempel Dnr KS 2022/45."),
        "description": gettext_lazy("Planens inledning."),
        "is_example": gettext_lazy("Ja om raden är exempeldata."),
    }

    organisation = Field(attribute="organisation", column_name=gettext_lazy("Organisation"), widget=CodeWidget())
    period = Field(attribute="period_label", column_name=gettext_lazy("Period"), widget=PeriodWidget())
    title = Field(attribute="title", column_name=gettext_lazy("Titel"), widget=TextWidget())
    status = Field(attribute="status", column_name=gettext_lazy("Status"), widget=ChoiceWidget(PlanStatus))
    decided_by = Field(attribute="decided_by", column_name=gettext_lazy("Beslutande organ"), widget=CodeWidget())
    decided_on = Field(attribute="decided_on", column_name=gettext_lazy("Beslutsdatum"), widget=DateWidget())
    paragraph = Field(attribute="paragraph", column_name=gettext_lazy("Paragraf"), widget=TextWidget())
    registration_number = Field(
        attribute="registration_number", column_name=gettext_lazy("Diarienummer"), widget=TextWidget()
    )
    description = Field(attribute="description", column_name=gettext_lazy("Inledning"), widget=TextWidget())
    is_example = Field(attribute="is_example", column_name=gettext_lazy("Exempeldata"), widget=BooleanWidget())

    class Meta:
        model = Plan
        fields = (
            "organisation",
            "period",
            "title",
            "status",
            "decided_by",
            "decided_on",
            "paragraph",
            "registration_number",
            "description",
            "is_example",
        )
        export_order = fields

    def export_queryset(self, municipality):
        return (
            Plan.objects.filter(organisation__municipality=municipality)
            .select_related("organisation", "mandate_period", "decided_by")
            .order_by("organisation__tree_id", "organisation__lft", "mandate_period__start_year", "year")
        )

    def example_rows(self):
        year = timezone.localdate().year
        return [
            {
                "organisation": "KF",
                "period": "2023–2026",
                "title": _("Strategisk plan 2023–2026"),
                "status": _("Fastställd"),
                "decided_by": "KF",
                "decided_on": datetime.date(2022, 11, 21),
                "paragraph": "118",
                "registration_number": "Dnr KS 2022/45",
            },
            {"organisation": "BUN", "period": year, "title": _("Nämndplan %(year)s") % {"year": year}},
            {"organisation": "BUF", "period": year, "title": _("Verksamhetsplan %(year)s") % {"year": year}},
        ]

    def describe(self, key, values):
        return f"{key[0]} {key[1]} – {values.get('title', '')}"

    def find(self, ctx, key):
        return plans(ctx).get(key)

    def new_instance(self, ctx, values):
        return Plan()

    def current_display(self, ctx, name, plan):
        if name == "period":
            return _plan_label(plan) if plan.pk or plan.year or plan.mandate_period_id else ""
        return super().current_display(ctx, name, plan)

    def apply(self, ctx, plan, values):
        errors = {}
        if plan.pk is None:
            code = values["organisation"]
            organisation = organisations(ctx).get(code)
            if organisation is None:
                errors["organisation"] = ctx.missing("organisation", code, model=Organisation)
            else:
                plan.organisation = organisation
            start, _dash, end = values["period"].partition("–")
            if end:
                period = mandate_periods(ctx).get(int(start))
                if period is None or period.end_year != int(end):
                    errors["period"] = _("mandatperioden %(period)s finns inte i kommunen") % {
                        "period": values["period"]
                    }
                else:
                    plan.mandate_period = period
            else:
                plan.year = int(start)
        if "decided_by" in values:
            code = values["decided_by"]
            if code:
                body = organisations(ctx).get(code)
                if body is None:
                    errors["decided_by"] = ctx.missing("organisation", code, model=Organisation)
                plan.decided_by = body
            else:
                plan.decided_by = None
        if errors:
            raise ValidationError(errors)
        self.set_attributes(
            plan, values, ("title", "status", "decided_on", "paragraph", "registration_number", "description")
        )
        self.set_attributes(plan, values, ("is_example",))

    def owner_label(self, plan):
        return _("organisationen %(code)s") % {"code": plan.organisation.code}

    def save(self, ctx, plan, values, *, created, changed, row):
        services.plan_save(plan, user=ctx.user, reason=ctx.reason)


# --- Goals and activities ------------------------------------------------------------------------------------------


class PlanPeriodWidget(PeriodWidget):
    """A goal's plan, named by its period (the organisation is the goal's own)."""


@register
class GoalResource(SheetResource):
    """Mål: the goal chain from the vision down to the units' goals, with the activities."""

    sheet_name = "Mål"
    sheet_aliases = ("Mal", "Målkedja")
    order = 30
    reference_kind = "goal"
    key_fields = ("code",)
    required_columns = ("code", "kind", "parent", "organisation", "plan", "title")
    required_values = ("code", "kind", "organisation", "title")
    tree_parent_field = "parent"
    bulk = True
    virtual_fields = ("agenda2030", "contributes_to", "plan")
    instructions = gettext_lazy(
        "En rad per mål eller aktivitet, från visionen och fullmäktiges mål ned till enheternas mål. Varje rad "
        "anger koden för målet den bidrar till (överordnad kod); överordnade mål kan stå var som helst i filen. "
        "Nivån följer organisationen. Raden matchas på koden."
    )
    column_help = {
        "code": gettext_lazy(
            "Unik inom kommunen, till exempel KF1 eller BUN1.2: bokstäver, siffror, punkt och bindestreck."
        ),
        "kind": gettext_lazy("Vision, Inriktningsmål, Finansiellt mål, Mål eller Aktivitet."),
        "level": gettext_lazy(
            "Vision, Kommunfullmäktiges mål, Nämnd- och bolagsmål, Verksamhetsmål eller Enhetsmål. Kan lämnas tom: "
            "nivån följer organisationen."
        ),
        "parent": gettext_lazy("Koden för målet ovanför. Tom endast för visionen."),
        "organisation": gettext_lazy("Koden för organisationen som äger målet."),
        "plan": gettext_lazy("Planens period: ett år (2026) eller en mandatperiod (2023–2026). Tom för visionen."),
        "title": gettext_lazy("Målets rubrik."),
        "description": gettext_lazy("Beskrivning."),
        "perspective": gettext_lazy(
            "Ekonomi, Invånare och brukare, Verksamhet och medarbetare eller Utveckling. Krävs för nämnd- och "
            "bolagsmål."
        ),
        "start_year": gettext_lazy("Första året målet gäller. Tom: planens första år."),
        "end_year": gettext_lazy("Sista året målet gäller. Tom: planens sista år."),
        "agenda2030": gettext_lazy("Agenda 2030-mål och delmål, till exempel 4, 4.1, 11.2."),
        "contributes_to": gettext_lazy("Koder för fler mål som målet bidrar till, till exempel KF2, KF3."),
        "child_rights": gettext_lazy("Ja om målet bidrar till barnets rättigheter (Barnkonventionen)."),
        "responsible": gettext_lazy("Aktiviteter: ansvarig."),
        "start_date": gettext_lazy("Aktiviteter: startdatum."),
        "end_date": gettext_lazy("Aktiviteter: slutdatum."),
        "activity_status": gettext_lazy("Aktiviteter: Ej påbörjad, Pågår, Genomförd, Senarelagd eller Avbruten."),
        "is_example": gettext_lazy("Ja om raden är exempeldata."),
    }

    code = Field(attribute="code", column_name=gettext_lazy("Kod"), widget=TextWidget())
    kind = Field(attribute="kind", column_name=gettext_lazy("Typ"), widget=ChoiceWidget(GoalKind))
    level = Field(attribute="level", column_name=gettext_lazy("Nivå"), widget=ChoiceWidget(GoalLevel))
    parent = Field(attribute="parent", column_name=gettext_lazy("Överordnad kod"), widget=CodeWidget())
    organisation = Field(attribute="organisation", column_name=gettext_lazy("Organisation"), widget=CodeWidget())
    plan = Field(attribute="plan", column_name=gettext_lazy("Plan"), widget=PlanPeriodWidget())
    title = Field(attribute="title", column_name=gettext_lazy("Rubrik"), widget=TextWidget())
    description = Field(attribute="description", column_name=gettext_lazy("Beskrivning"), widget=TextWidget())
    perspective = Field(
        attribute="perspective", column_name=gettext_lazy("Perspektiv"), widget=ChoiceWidget(Perspective)
    )
    start_year = Field(attribute="start_year", column_name=gettext_lazy("Från år"), widget=IntegerWidget())
    end_year = Field(attribute="end_year", column_name=gettext_lazy("Till år"), widget=IntegerWidget())
    agenda2030 = Field(
        attribute="sdg_codes", column_name=gettext_lazy("Agenda 2030"), widget=CodeListWidget(sort_key=sdg_sort_key)
    )
    contributes_to = Field(
        attribute="contributes_to", column_name=gettext_lazy("Bidrar även till"), widget=CodeListWidget()
    )
    child_rights = Field(attribute="child_rights", column_name=gettext_lazy("Barnkonventionen"), widget=BooleanWidget())
    responsible = Field(attribute="responsible", column_name=gettext_lazy("Ansvarig"), widget=TextWidget())
    start_date = Field(attribute="start_date", column_name=gettext_lazy("Startdatum"), widget=DateWidget())
    end_date = Field(attribute="end_date", column_name=gettext_lazy("Slutdatum"), widget=DateWidget())
    activity_status = Field(
        attribute="activity_status", column_name=gettext_lazy("Status"), widget=ChoiceWidget(ActivityStatus)
    )
    is_example = Field(attribute="is_example", column_name=gettext_lazy("Exempeldata"), widget=BooleanWidget())

    class Meta:
        model = Goal
        fields = (
            "code",
            "kind",
            "level",
            "parent",
            "organisation",
            "plan",
            "title",
            "description",
            "perspective",
            "start_year",
            "end_year",
            "agenda2030",
            "contributes_to",
            "child_rights",
            "responsible",
            "start_date",
            "end_date",
            "activity_status",
            "is_example",
        )
        export_order = fields

    def export_queryset(self, municipality):
        return (
            Goal.objects.filter(municipality=municipality)
            .select_related("parent", "organisation", "plan", "plan__mandate_period")
            .prefetch_related(
                "sdg_goals", "sdg_targets", Prefetch("contributes_to", queryset=Goal.objects.only("id", "code"))
            )
            .order_by("tree_id", "lft")
        )

    @staticmethod
    def sdg_codes(goal):
        """The goal's Agenda 2030 goals and targets as codes (reads prefetched links)."""
        if goal.pk is None:
            return ()
        return tuple([str(g.number) for g in goal.sdg_goals.all()] + [t.code for t in goal.sdg_targets.all()])

    def dehydrate_agenda2030(self, goal):
        return self.fields["agenda2030"].widget.render(self.sdg_codes(goal))

    def dehydrate_plan(self, goal):
        return _plan_label(goal.plan) if goal.plan_id else None

    def export_value(self, name, f, obj):
        value = super().export_value(name, f, obj)
        if name == "plan" and value and "–" not in value:
            return int(value)
        return value

    def example_rows(self):
        year = timezone.localdate().year
        return [
            {
                "code": "VISION",
                "kind": _("Vision"),
                "level": _("Vision"),
                "organisation": "KF",
                "title": _("Här gör vi plats för att göra skillnad"),
            },
            {
                "code": "KF1",
                "kind": _("Inriktningsmål"),
                "level": _("Kommunfullmäktiges mål"),
                "parent": "VISION",
                "organisation": "KF",
                "plan": "2023–2026",
                "title": _("Alla barn och unga ges goda förutsättningar att lyckas"),
                "agenda2030": "4, 4.1",
            },
            {
                "code": "KF2",
                "kind": _("Finansiellt mål"),
                "level": _("Kommunfullmäktiges mål"),
                "parent": "VISION",
                "organisation": "KF",
                "plan": "2023–2026",
                "title": _("Årets resultat uppgår till minst 2 procent av skatter och statsbidrag"),
            },
            {
                "code": "BUN1.1",
                "kind": _("Mål"),
                "level": _("Nämnd- och bolagsmål"),
                "parent": "KF1",
                "organisation": "BUN",
                "plan": year,
                "title": _("Fler elever är behöriga till gymnasiet"),
                "perspective": _("Invånare och brukare"),
                "contributes_to": "KF2",
                "child_rights": _("Ja"),
            },
            {
                "code": "BUF1.1.1",
                "kind": _("Mål"),
                "level": _("Verksamhetsmål"),
                "parent": "BUN1.1",
                "organisation": "BUF",
                "plan": year,
                "title": _("Läsförståelsen ökar i årskurs 1–3"),
            },
            {
                "code": "BUF1.1.1.A1",
                "kind": _("Aktivitet"),
                "level": _("Verksamhetsmål"),
                "parent": "BUF1.1.1",
                "organisation": "BUF",
                "plan": year,
                "title": _("Införa läsfrämjande arbetssätt"),
                "responsible": _("Förvaltningschef"),
                "start_date": datetime.date(year, 1, 15),
                "end_date": datetime.date(year, 12, 15),
                "activity_status": _("Pågår"),
            },
        ]

    def describe(self, key, values):
        return f"{key[0]} {values.get('title', '')}".strip()

    def duplicate_message(self, key, first_row):
        return _("koden %(code)s finns redan på rad %(row)s") % {"code": key[0], "row": first_row}

    def tree_parents(self, ctx):
        index = goals(ctx)
        by_id = {g.pk: g.code for g in index.values()}
        return {g.code: by_id.get(g.parent_id) for g in index.values()}

    def find(self, ctx, key):
        return goals(ctx).get(key[0])

    def new_instance(self, ctx, values):
        return Goal(municipality=ctx.municipality, code=values["code"])

    def current_display(self, ctx, name, goal):
        if name in ("agenda2030", "contributes_to"):
            sdg, contributes = goal_links(ctx) if goal.pk else ({}, {})
            links = sdg if name == "agenda2030" else contributes
            return self.fields[name].widget.render(links.get(goal.pk, ()))
        if name == "plan":
            return _plan_label(goal.plan) if goal.plan_id else ""
        return super().current_display(ctx, name, goal)

    def new_display(self, ctx, name, goal, values):
        if name in ("agenda2030", "contributes_to"):
            return self.fields[name].widget.render(values[name])
        return self.current_display(ctx, name, goal)

    def apply(self, ctx, goal, values):
        errors = {}
        index = goals(ctx)
        if "organisation" in values:
            code = values["organisation"]
            organisation = organisations(ctx).get(code)
            if organisation is None:
                errors["organisation"] = ctx.missing("organisation", code, model=Organisation)
            else:
                goal.organisation = organisation
        if "parent" in values:
            code = values["parent"]
            parent = index.get(code) if code else None
            if code and parent is None:
                errors["parent"] = ctx.missing(self.reference_kind, code, model=Goal)
            else:
                goal.parent = parent
        if "plan" in values and "organisation" not in errors:
            label = values["plan"]
            if not label:
                goal.plan = None
            elif goal.organisation_id:
                plan = plans(ctx).get((goal.organisation.code, label))
                if plan is None:
                    errors["plan"] = _("%(organisation)s har ingen plan för %(period)s") % {
                        "organisation": goal.organisation.code,
                        "period": label,
                    }
                goal.plan = plan
        if "agenda2030" in values:
            sdg = sdg_index(ctx)
            unknown = [code for code in values["agenda2030"] if code not in sdg]
            if unknown:
                errors["agenda2030"] = _("Agenda 2030-koden %(code)s finns inte") % {"code": ", ".join(unknown)}
        if "contributes_to" in values:
            for code in values["contributes_to"]:
                if code == values.get("code", goal.code):
                    errors["contributes_to"] = _("ett mål kan inte bidra till sig självt")
                elif code not in index and (
                    code not in ctx.file_keys[self.reference_kind] or (self.reference_kind, code) in ctx.failed
                ):
                    errors["contributes_to"] = ctx.missing(self.reference_kind, code, model=Goal)
        self.set_attributes(
            goal,
            values,
            (
                "kind",
                "title",
                "description",
                "perspective",
                "start_year",
                "end_year",
                "child_rights",
                "responsible",
                "start_date",
                "end_date",
                "activity_status",
                "is_example",
            ),
        )
        if goal.kind == GoalKind.VISION and goal.pk is None:
            vision = next((g for g in index.values() if g.kind == GoalKind.VISION), None)
            if vision is not None:
                errors["kind"] = _("kommunen har redan en vision (koden %(code)s)") % {"code": vision.code}
        if errors:
            raise ValidationError(errors)
        services._fill_goal_defaults(goal)  # the same defaults as the goal form
        if values.get("level") is not None:
            goal.level = values["level"]

    def owner_label(self, goal):
        return _("organisationen %(code)s") % {"code": goal.organisation.code}

    def tree_nodes(self, ctx):
        return goals(ctx).values()

    def stage(self, ctx, goal, values, *, created, changed, row, writer):
        writer.add(goal)
        goals(ctx)[goal.code] = goal
        sdg_codes = values["agenda2030"] if "agenda2030" in changed else None
        contribution_codes = values["contributes_to"] if "contributes_to" in changed else None
        if sdg_codes is not None or contribution_codes is not None:
            # Links need the goal's primary key: bulk_saved makes them once the sheet is written.
            self.__dict__.setdefault("_links", {})[row] = (goal, created, sdg_codes, contribution_codes)

    def bulk_saved(self, ctx, rows):
        """Link the written goals to Agenda 2030 now and to the goals they contribute to after every sheet (those may
        stand further down the file). A new goal has no links yet: its links are inserted in bulk; an existing goal's
        links are replaced through the service."""
        links = {row: link for row, link in self.__dict__.pop("_links", {}).items() if row in rows}
        sdg = sdg_index(ctx)
        through_goals, through_targets = Goal.sdg_goals.through, Goal.sdg_targets.through
        new_goal_links, new_target_links = [], []
        contributions = []
        for row, (goal, created, sdg_codes, contribution_codes) in sorted(links.items()):
            if sdg_codes is not None:
                linked = [sdg[code] for code in sdg_codes]
                sdg_goals = [x for x in linked if isinstance(x, SdgGoal)]
                sdg_targets = [x for x in linked if isinstance(x, SdgTarget)]
                if created:
                    new_goal_links += [through_goals(goal_id=goal.pk, sdggoal_id=x.pk) for x in sdg_goals]
                    new_target_links += [through_targets(goal_id=goal.pk, sdgtarget_id=x.pk) for x in sdg_targets]
                else:
                    services.goal_set_relations(goal, sdg_goals=sdg_goals, sdg_targets=sdg_targets)
            if contribution_codes is not None:
                contributions.append((row, goal, created, contribution_codes))
        through_goals.objects.bulk_create(new_goal_links, batch_size=BULK_BATCH_SIZE)
        through_targets.objects.bulk_create(new_target_links, batch_size=BULK_BATCH_SIZE)
        if contributions:
            report = self.report
            ctx.deferred.append(lambda: self._link_contributions(ctx, contributions, report))

    def _link_contributions(self, ctx, contributions, report):
        """After every sheet: link the goals to the goals they contribute to (one query finds them all)."""
        codes = sorted({code for _row, _goal, _created, row_codes in contributions for code in row_codes})
        found = {}
        for start in range(0, len(codes), 1000):
            chunk = codes[start : start + 1000]
            found.update(
                (g.code, g)
                for g in Goal.objects.filter(municipality=ctx.municipality, code__in=chunk).only(
                    "id", "code", "municipality_id"
                )
            )
        through = Goal.contributes_to.through
        new_links = []
        for row, goal, created, row_codes in contributions:
            if any(code not in found for code in row_codes):
                continue  # the missing codes are already reported on their own rows
            targets = [found[code] for code in row_codes]
            if created:
                # What goal_set_relations checks holds by construction: the codes were found in the municipality
                # and apply() refused the goal's own code.
                new_links += [through(from_goal_id=goal.pk, to_goal_id=target.pk) for target in targets]
                continue
            try:
                with transaction.atomic():
                    services.goal_set_relations(goal, contributes_to=targets)
            except ValidationError as error:
                for message in error.messages:
                    report.error(message, row=row, column=self.column_name("contributes_to"))
        through.objects.bulk_create(new_links, batch_size=BULK_BATCH_SIZE)


# --- Indicators and targets ----------------------------------------------------------------------------------------

_TARGET_HEADER = re.compile(r"^\s*målvärde\s+(\d{4})\s*$", re.IGNORECASE)


def _target_field(year):
    return f"target_{year}", Field(
        attribute=None, column_name=_("Målvärde %(year)s") % {"year": year}, widget=NumberWidget()
    )


@register
class IndicatorResource(SheetResource):
    """Indikatorer: each goal's indicators with their target values per year (one column per year)."""

    sheet_name = "Indikatorer"
    sheet_aliases = ("Indikator",)
    order = 40
    reference_kind = "indicator"
    key_fields = ("goal", "name")
    required_columns = ("goal", "name")
    required_values = ("goal", "name")
    bulk = True
    instructions = gettext_lazy(
        "En rad per indikator. Raden matchas på målets kod och indikatorns namn. Målvärden står i en kolumn per år "
        "(Målvärde 2026, Målvärde 2027 …); lägg till kolumner för fler år. En tom målvärdescell ändrar inget."
    )
    column_help = {
        "goal": gettext_lazy("Koden för målet indikatorn mäter."),
        "name": gettext_lazy("Indikatorns namn."),
        "description": gettext_lazy("Beskrivning."),
        "unit": gettext_lazy("Enhet, till exempel %, antal, kr/invånare."),
        "direction": gettext_lazy("Högre är bättre eller Lägre är bättre."),
        "baseline_value": gettext_lazy("Utgångsvärde, till exempel 86,5."),
        "baseline_year": gettext_lazy("Året för utgångsvärdet."),
        "kolada_id": gettext_lazy("Nyckeltalets id i Kolada, till exempel N15428."),
        "source": gettext_lazy("Källa om indikatorn inte kommer från Kolada."),
        "by_sex": gettext_lazy("Ja om utfallen redovisas för kvinnor och män."),
        "tolerance_percent": gettext_lazy("Marginal i procent för gult (nära målvärdet). Tom: 10."),
        "is_example": gettext_lazy("Ja om raden är exempeldata."),
    }

    goal = Field(attribute="goal", column_name=gettext_lazy("Mål"), widget=CodeWidget())
    name = Field(attribute="name", column_name=gettext_lazy("Namn"), widget=TextWidget())
    description = Field(attribute="description", column_name=gettext_lazy("Beskrivning"), widget=TextWidget())
    unit = Field(attribute="unit", column_name=gettext_lazy("Enhet"), widget=TextWidget())
    direction = Field(
        attribute="direction",
        column_name=gettext_lazy("Riktning"),
        widget=ChoiceWidget(Direction, aliases={"högre": Direction.INCREASE, "lägre": Direction.DECREASE}),
    )
    baseline_value = Field(attribute="baseline_value", column_name=gettext_lazy("Utgångsvärde"), widget=NumberWidget())
    baseline_year = Field(attribute="baseline_year", column_name=gettext_lazy("Utgångsår"), widget=IntegerWidget())
    kolada_id = Field(attribute="kolada_id", column_name=gettext_lazy("Kolada-id"), widget=TextWidget())
    source = Field(attribute="source", column_name=gettext_lazy("Källa"), widget=TextWidget())
    by_sex = Field(attribute="by_sex", column_name=gettext_lazy("Uppdelat på kön"), widget=BooleanWidget())
    tolerance_percent = Field(
        attribute="tolerance_percent", column_name=gettext_lazy("Marginal för gult (%)"), widget=NumberWidget()
    )
    is_example = Field(attribute="is_example", column_name=gettext_lazy("Exempeldata"), widget=BooleanWidget())

    class Meta:
        model = Indicator
        fields = (
            "goal",
            "name",
            "description",
            "unit",
            "direction",
            "baseline_value",
            "baseline_year",
            "kolada_id",
            "source",
            "by_sex",
            "tolerance_percent",
            "is_example",
        )
        export_order = fields

    def columns(self):
        columns = [(n, f) for n, f in super().columns() if not n.startswith("target_")]
        targets = sorted(((n, f) for n, f in self.fields.items() if n.startswith("target_")), key=lambda c: c[0])
        # Target columns follow the indicator's own columns, before "Exempeldata".
        return [*columns[:-1], *targets, columns[-1]]

    def dynamic_field(self, header):
        match = _TARGET_HEADER.match(str(header))
        return _target_field(int(match.group(1))) if match else None

    def add_export_fields(self, municipality):
        years = (
            Target.objects.filter(indicator__goal__municipality=municipality)
            .values_list("year", flat=True)
            .distinct()
            .order_by("year")
        )
        for year in years:
            name, f = _target_field(year)
            self.fields[name] = f

    def add_template_fields(self):
        year = timezone.localdate().year
        for y in (year, year + 1):
            name, f = _target_field(y)
            self.fields[name] = f

    def export_queryset(self, municipality):
        return (
            Indicator.objects.filter(goal__municipality=municipality)
            .select_related("goal")
            .prefetch_related("targets")
            .order_by("goal__tree_id", "goal__lft", "name", "pk")
        )

    def export_value(self, name, f, obj):
        if name.startswith("target_"):
            year = int(name.removeprefix("target_"))
            return next((t.value for t in obj.targets.all() if t.year == year), None)
        return super().export_value(name, f, obj)

    def example_rows(self):
        year = timezone.localdate().year
        return [
            {
                "goal": "BUN1.1",
                "name": _("Andel elever i åk 9 som är behöriga till ett yrkesprogram"),
                "unit": "%",
                "direction": _("Högre är bättre"),
                "baseline_value": 86.5,
                "baseline_year": year - 2,
                "kolada_id": "N15428",
                "by_sex": _("Ja"),
                f"target_{year}": 90,
                f"target_{year + 1}": 92,
            }
        ]

    def describe(self, key, values):
        return f"{key[0]} / {key[1]}"

    def duplicate_message(self, key, first_row):
        return _(
            "målet %(goal)s har redan en indikator som heter ”%(name)s” på rad %(row)s; indikatorer matchas på mål och "
            "namn, så de behöver olika namn"
        ) % {"goal": key[0], "name": key[1], "row": first_row}

    def find(self, ctx, key):
        return indicators(ctx).get(key)

    def new_instance(self, ctx, values):
        return Indicator()

    def _target(self, indicator, year):
        if indicator.pk is None:
            return None
        return next((t for t in indicator.targets.all() if t.year == year), None)

    def current_display(self, ctx, name, indicator):
        if name.startswith("target_"):
            target = self._target(indicator, int(name.removeprefix("target_")))
            return display(target.value) if target else ""
        return super().current_display(ctx, name, indicator)

    def new_display(self, ctx, name, indicator, values):
        if name.startswith("target_") and values[name] is not None:
            return display(values[name])
        return self.current_display(ctx, name, indicator)

    def apply(self, ctx, indicator, values):
        if indicator.pk is None:
            code = values["goal"]
            goal = goals(ctx).get(code)
            if goal is None:
                raise ValidationError({"goal": ctx.missing("goal", code, model=Goal)})
            indicator.goal = goal
            indicator.name = values["name"]
        self.set_attributes(
            indicator,
            values,
            (
                "description",
                "unit",
                "direction",
                "baseline_value",
                "baseline_year",
                "kolada_id",
                "source",
                "by_sex",
                "tolerance_percent",
                "is_example",
            ),
        )

    def owner_label(self, indicator):
        return _("organisationen %(code)s") % {"code": indicator.goal.organisation.code}

    def stage(self, ctx, indicator, values, *, created, changed, row, writer):
        own = {name for name in changed if not name.startswith("target_")}
        if created or own:
            writer.add(indicator)
        for name in sorted(changed - own):
            year = int(name.removeprefix("target_"))
            # A new target is example data when its row is (the row's Exempeldata covers its target columns).
            target = self._target(indicator, year) or Target(
                indicator=indicator, year=year, is_example=indicator.is_example
            )
            target.value = values[name]
            writer.add(target, fields=None if target.pk is None else {"value"}, error_field=name)
        indicators(ctx)[(indicator.goal.code, indicator.name)] = indicator


# --- Outcomes ------------------------------------------------------------------------------------------------------

PERIOD_LABELS = {OutcomePeriod.T1: "T1", OutcomePeriod.T2: "T2", OutcomePeriod.YEAR: gettext_lazy("Helår")}


@register
class OutcomeResource(SheetResource):
    """Utfall: indicator outcomes, many periods at once (one row per indicator, year and period)."""

    sheet_name = "Utfall"
    order = 50
    reference_kind = "outcome"
    key_fields = ("goal", "indicator", "year", "period")
    bulk = True
    required_columns = ("goal", "indicator", "year", "value")
    required_values = ("goal", "indicator", "year", "value")
    instructions = gettext_lazy(
        "En rad per utfall: indikator, år och period (T1, T2 eller Helår). Raden matchas på mål, indikator, år "
        "och period, så samma fil kan innehålla många år och perioder."
    )
    column_help = {
        "goal": gettext_lazy("Koden för målet indikatorn hör till."),
        "indicator": gettext_lazy("Indikatorns namn, som på bladet Indikatorer."),
        "year": gettext_lazy("Året utfallet gäller."),
        "period": gettext_lazy("T1 (jan–apr), T2 (jan–aug) eller Helår. Tom: Helår."),
        "value": gettext_lazy("Utfallet, till exempel 87,5."),
        "value_women": gettext_lazy("Utfall för kvinnor, om indikatorn är uppdelad på kön."),
        "value_men": gettext_lazy("Utfall för män, om indikatorn är uppdelad på kön."),
        "comment": gettext_lazy("Kommentar till utfallet."),
        "is_example": gettext_lazy("Ja om raden är exempeldata."),
    }

    goal = Field(attribute="indicator__goal", column_name=gettext_lazy("Mål"), widget=CodeWidget())
    indicator = Field(attribute="indicator__name", column_name=gettext_lazy("Indikator"), widget=TextWidget())
    year = Field(attribute="year", column_name=gettext_lazy("År"), widget=IntegerWidget())
    period = Field(
        attribute="period",
        column_name=gettext_lazy("Period"),
        widget=ChoiceWidget(OutcomePeriod, labels=PERIOD_LABELS, aliases={"år": OutcomePeriod.YEAR}),
    )
    value = Field(attribute="value", column_name=gettext_lazy("Utfall"), widget=NumberWidget())
    value_women = Field(attribute="value_women", column_name=gettext_lazy("Utfall kvinnor"), widget=NumberWidget())
    value_men = Field(attribute="value_men", column_name=gettext_lazy("Utfall män"), widget=NumberWidget())
    comment = Field(attribute="comment", column_name=gettext_lazy("Kommentar"), widget=TextWidget())
    is_example = Field(attribute="is_example", column_name=gettext_lazy("Exempeldata"), widget=BooleanWidget())

    class Meta:
        model = Outcome
        fields = ("goal", "indicator", "year", "period", "value", "value_women", "value_men", "comment", "is_example")
        export_order = fields

    def export_queryset(self, municipality):
        return (
            Outcome.objects.filter(indicator__goal__municipality=municipality)
            .select_related("indicator", "indicator__goal")
            .order_by(
                "indicator__goal__tree_id", "indicator__goal__lft", "indicator__name", "indicator", "year", "period"
            )
        )

    def example_rows(self):
        year = timezone.localdate().year
        name = _("Andel elever i åk 9 som är behöriga till ett yrkesprogram")
        return [
            {"goal": "BUN1.1", "indicator": name, "year": year - 1, "period": _("Helår"), "value": 87.5},
            {"goal": "BUN1.1", "indicator": name, "year": year, "period": "T1", "value": 88, "comment": _("Prognos")},
        ]

    def key_of(self, values):
        return (values["goal"], values["indicator"], values["year"], values.get("period") or OutcomePeriod.YEAR)

    def describe(self, key, values):
        goal, name, year, period = key
        return f"{goal} / {name} / {year} {PERIOD_LABELS[OutcomePeriod(period)]}"

    def find(self, ctx, key):
        goal, name, year, period = key
        indicator = indicators(ctx).get((goal, name))
        if indicator is None or indicator.pk is None:
            return None
        return outcomes(ctx).get((indicator.pk, year, period))

    def new_instance(self, ctx, values):
        return Outcome()

    def apply(self, ctx, outcome, values):
        if outcome.pk is None:
            goal_code, name, year, period = self.key_of(values)
            indicator = indicators(ctx).get((goal_code, name))
            if indicator is None:
                if goal_code not in goals(ctx):
                    raise ValidationError({"goal": ctx.missing("goal", goal_code, model=Goal)})
                where = ctx.failed.get(("indicator", (goal_code, name)))
                message = _("målet %(goal)s har ingen indikator som heter ”%(name)s”") % {
                    "goal": goal_code,
                    "name": name,
                }
                raise ValidationError({"indicator": f"{message} ({where})" if where else message})
            outcome.indicator = indicator
            outcome.year = year
            outcome.period = period
        self.set_attributes(outcome, values, ("value", "value_women", "value_men", "comment", "is_example"))

    def owner_label(self, outcome):
        return _("organisationen %(code)s") % {"code": outcome.indicator.goal.organisation.code}
