"""
The budget's sheets for spreadsheet import and export (the engine is goals.importing): Ramar (the frame of an
organisation for one year in one version of a budget) and Ramjusteringar (adjustments of a frame, with their reason
and optionally the assignment they belong to).

A row names its budget by the budget year and its version by the number within the budget. Frames are matched by
budget year, version, organisation and year; adjustments by the same and their reason. Amounts are whole kronor
(what the database holds, so a round trip is exact and no decimal separator can be misread).

A decided version is locked, for administrators too (BudgetDecision.lock_applies_to_admins): every row that would
create or change something in it is refused with a message that says to make a new version; rows that match it
unchanged pass, so an export that holds decided versions imports without changes.

A budget year without a budget: when the file names version 1, the budget is created with its first version, an
empty draft rambudget, exactly as the "Ny budget" page does (budget_create); the preview warns about it. Any other
missing budget or version is an error naming it: later versions are made from a decided one on the budget page
(budget_decision_new_version copies its frames), never implicitly by a file.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field

from assignments.models import Assignment
from assignments.resources import KronorWidget, assignments
from goals.importing import CodeWidget, SheetResource, register
from goals.resources import organisations
from styrning.models import Organisation
from styrning.spreadsheets import BooleanWidget, IntegerWidget, TextWidget

from . import services
from .choices import DecisionKind
from .models import Budget, BudgetDecision, Frame, FrameAdjustment

# --- Lookups (one query each, reloaded after a sheet has written) --------------------------------------------------


def budgets(ctx):
    """{year: Budget} of the municipality."""
    return ctx.cached("budgets", lambda c: {b.year: b for b in Budget.objects.filter(municipality=c.municipality)})


def budget_decisions(ctx):
    """{(budget year, version number): BudgetDecision} of the municipality."""
    return ctx.cached(
        "budget_decisions",
        lambda c: {
            (d.budget.year, d.number): d
            for d in BudgetDecision.objects.filter(budget__municipality=c.municipality).select_related("budget")
        },
    )


def frames(ctx):
    """{(budget year, version number, organisation code, year): Frame} of the municipality."""

    def load(c):
        qs = Frame.objects.filter(decision__budget__municipality=c.municipality).select_related(
            "decision__budget", "organisation"
        )
        return {(f.decision.budget.year, f.decision.number, f.organisation.code, f.year): f for f in qs}

    return ctx.cached("frames", load)


def adjustments(ctx):
    """{(budget year, version number, organisation code, year, reason): FrameAdjustment} of the municipality.

    Two adjustments of one frame with the same reason cannot be told apart by a file: the first is matched.
    """

    def load(c):
        qs = (
            FrameAdjustment.objects.filter(frame__decision__budget__municipality=c.municipality)
            .select_related("frame__decision__budget", "frame__organisation", "assignment")
            .order_by("pk")
        )
        index = {}
        for a in qs:
            index.setdefault(frame_key(a.frame) + (a.reason,), a)
        return index

    return ctx.cached("frame_adjustments", load)


def frame_key(frame):
    """A frame's key in files: (budget year, version number, organisation code, year)."""
    return (frame.decision.budget.year, frame.decision.number, frame.organisation.code, frame.year)


def locked_message(decision):
    return _("version %(number)s av budget %(year)s är beslutad och kan inte ändras; gör en ny version") % {
        "number": decision.number,
        "year": decision.budget.year,
    }


def find_decision(ctx, year, number, errors, *, may_create=False):
    """The version `number` of the budget `year`, or an unsaved first version of a new budget when `may_create`
    allows it (saved by `create_budget` with the first row that is written); else None with the problem in
    `errors` (under "budget_year" or "version")."""
    decision = budget_decisions(ctx).get((year, number))
    if decision is not None:
        return decision
    if year not in budgets(ctx):
        if may_create and number == 1:
            return ctx.cached(
                f"planned_budget_{year}",
                lambda c: BudgetDecision(
                    budget=Budget(municipality=c.municipality, year=year), number=1, kind=DecisionKind.FRAME_BUDGET
                ),
            )
        if may_create:
            errors["version"] = _(
                "budget %(year)s finns inte; en ny budget får version 1 (ett utkast till rambudget), så ange "
                "version 1 eller skapa budgeten först"
            ) % {"year": year}
        else:
            errors["budget_year"] = _("budget %(year)s finns inte") % {"year": year}
        return None
    errors["version"] = _("budget %(year)s har ingen version %(number)s") % {"year": year, "number": number}
    return None


def create_budget(ctx, year):
    """Create the budget `year` with its first version, an empty draft rambudget (as budget_create does, with the
    import's reason on both history rows)."""
    budget = services.budget_save(Budget(municipality=ctx.municipality, year=year), user=ctx.user, reason=ctx.reason)
    return services.budget_decision_create(
        budget=budget, kind=DecisionKind.FRAME_BUDGET, user=ctx.user, reason=ctx.reason
    )


class _BudgetSheet(SheetResource):
    """What the two budget sheets share: the refusal of decided versions and the organisation lookup."""

    def _refuse_decided(self, decision):
        if decision.pk is not None and decision.is_decided:
            raise ValidationError({"version": locked_message(decision)})

    def _organisation(self, ctx, code, errors):
        organisation = organisations(ctx).get(code)
        if organisation is None:
            errors["organisation"] = ctx.missing("organisation", code, model=Organisation)
        return organisation


KEY_HELP = {
    "budget_year": gettext_lazy("Budgetåret, till exempel 2027 för Budget 2027 med plan 2028–2029."),
    "version": gettext_lazy(
        "Budgetbeslutets version inom budgeten: 1 för rambudgeten, 2 för nästa beslut och så vidare. En beslutad "
        "version kan inte ändras; gör en ny version på budgetsidan."
    ),
    "organisation": gettext_lazy("Koden för organisationen: kommunfullmäktige, kommunstyrelsen eller en nämnd."),
    "year": gettext_lazy("Året ramen gäller: budgetåret eller ett av de två planåren."),
}


# --- Frames --------------------------------------------------------------------------------------------------------


@register
class FrameResource(_BudgetSheet):
    """Ramar: each organisation's frame per year in one version of a budget."""

    sheet_name = "Ramar"
    sheet_aliases = ("Ram", "Budgetramar")
    order = 80
    reference_kind = "frame"
    key_fields = ("budget_year", "version", "organisation", "year")
    required_columns = ("budget_year", "version", "organisation", "year", "amount")
    required_values = ("budget_year", "version", "organisation", "year", "amount")
    instructions = gettext_lazy(
        "En rad per organisation och år i en version av en budget: ramen före justeringar, i hela kronor. Raden "
        "matchas på budgetår, version, organisation och år. En beslutad version kan inte ändras. Finns ingen budget "
        "för budgetåret skapas den med version 1, ett utkast till rambudget."
    )
    column_help = {
        **KEY_HELP,
        "amount": gettext_lazy("Ramen före justeringar i hela kronor, till exempel 412 500 000."),
        "comment": gettext_lazy("Kommentar till ramen."),
        "is_example": gettext_lazy("Ja om raden är exempeldata."),
    }

    budget_year = Field(
        attribute="decision__budget__year", column_name=gettext_lazy("Budgetår"), widget=IntegerWidget()
    )
    version = Field(attribute="decision__number", column_name=gettext_lazy("Version"), widget=IntegerWidget())
    organisation = Field(attribute="organisation", column_name=gettext_lazy("Organisation"), widget=CodeWidget())
    year = Field(attribute="year", column_name=gettext_lazy("År"), widget=IntegerWidget())
    amount = Field(attribute="amount", column_name=gettext_lazy("Ram (kr)"), widget=KronorWidget())
    comment = Field(attribute="comment", column_name=gettext_lazy("Kommentar"), widget=TextWidget())
    is_example = Field(attribute="is_example", column_name=gettext_lazy("Exempeldata"), widget=BooleanWidget())

    class Meta:
        model = Frame
        fields = ("budget_year", "version", "organisation", "year", "amount", "comment", "is_example")
        export_order = fields

    def export_queryset(self, municipality):
        return (
            Frame.objects.filter(decision__budget__municipality=municipality)
            .select_related("decision__budget", "organisation")
            .order_by(
                "decision__budget__year", "decision__number", "organisation__tree_id", "organisation__lft", "year"
            )
        )

    def example_rows(self):
        budget_year = timezone.localdate().year + 1
        rows = [
            {"budget_year": budget_year, "version": 1, "organisation": "KF", "year": budget_year, "amount": 12_500_000}
        ]
        for offset, amount in enumerate((412_500_000, 420_000_000, 428_000_000)):
            rows.append(
                {
                    "budget_year": budget_year,
                    "version": 1,
                    "organisation": "BUN",
                    "year": budget_year + offset,
                    "amount": amount,
                    "comment": _("Inklusive volymökning i förskolan") if offset == 0 else "",
                }
            )
        return rows

    def describe(self, key, values):
        budget_year, number, organisation, year = key
        return _("Budget %(budget)s version %(number)s: %(organisation)s %(year)s") % {
            "budget": budget_year,
            "number": number,
            "organisation": organisation,
            "year": year,
        }

    def find(self, ctx, key):
        return frames(ctx).get(key)

    def new_instance(self, ctx, values):
        return Frame()

    def apply(self, ctx, frame, values):
        if frame.pk is None:
            errors = {}
            decision = find_decision(ctx, values["budget_year"], values["version"], errors, may_create=True)
            organisation = self._organisation(ctx, values["organisation"], errors)
            if errors:
                raise ValidationError(errors)
            frame.decision = decision
            frame.organisation = organisation
            frame.year = values["year"]
        self.set_attributes(frame, values, ("amount", "comment", "is_example"))

    def owner_label(self, frame):
        return _("budget %(year)s") % {"year": frame.decision.budget.year}

    def save(self, ctx, frame, values, *, created, changed, row):
        self._refuse_decided(frame.decision)
        created_budget = frame.decision.pk is None
        if created_budget:
            frame.decision = create_budget(ctx, frame.decision.budget.year)
        services.frame_save(frame, user=ctx.user, reason=ctx.reason)
        # Only now that the frame is saved: a refused frame rolls the new budget back with it.
        if created_budget:
            decision = frame.decision
            budgets(ctx)[decision.budget.year] = decision.budget
            budget_decisions(ctx)[(decision.budget.year, decision.number)] = decision
            self.warn(
                _(
                    "budget %(year)s fanns inte och skapas med version 1, ett utkast till rambudget; besluta den på "
                    "budgetsidan"
                )
                % {"year": decision.budget.year}
            )
        frames(ctx)[frame_key(frame)] = frame


# --- Adjustments ---------------------------------------------------------------------------------------------------


@register
class FrameAdjustmentResource(_BudgetSheet):
    """Ramjusteringar: adjustments of the frames, each with its reason and optionally its assignment."""

    sheet_name = "Ramjusteringar"
    sheet_aliases = ("Justeringar",)
    order = 90
    reference_kind = "frame_adjustment"
    key_fields = ("budget_year", "version", "organisation", "year", "reason")
    required_columns = ("budget_year", "version", "organisation", "year", "amount", "reason")
    required_values = ("budget_year", "version", "organisation", "year", "amount", "reason")
    instructions = gettext_lazy(
        "En rad per justering av en ram: belopp i hela kronor (positivt ökar ramen, negativt minskar den) och "
        "skälet. Raden matchas på budgetår, version, organisation, år och skäl, så två justeringar av samma ram "
        "behöver olika skäl. Ramen ska finnas, på bladet Ramar eller sedan tidigare. Pengar som följer med ett "
        "uppdrag anges på bladet Uppdragsbelopp, inte här."
    )
    column_help = {
        **KEY_HELP,
        "amount": gettext_lazy("Justeringen i hela kronor, till exempel 2 000 000 eller −500 000."),
        "reason": gettext_lazy("Skälet till justeringen, till exempel Volymökning förskola."),
        "assignment": gettext_lazy("Koden för uppdraget justeringen hör till, om den hör till ett."),
        "is_example": gettext_lazy("Ja om raden är exempeldata."),
    }

    budget_year = Field(
        attribute="frame__decision__budget__year", column_name=gettext_lazy("Budgetår"), widget=IntegerWidget()
    )
    version = Field(attribute="frame__decision__number", column_name=gettext_lazy("Version"), widget=IntegerWidget())
    organisation = Field(attribute="frame__organisation", column_name=gettext_lazy("Organisation"), widget=CodeWidget())
    year = Field(attribute="frame__year", column_name=gettext_lazy("År"), widget=IntegerWidget())
    amount = Field(attribute="amount", column_name=gettext_lazy("Belopp (kr)"), widget=KronorWidget())
    reason = Field(attribute="reason", column_name=gettext_lazy("Skäl"), widget=TextWidget())
    assignment = Field(attribute="assignment", column_name=gettext_lazy("Uppdragskod"), widget=CodeWidget())
    is_example = Field(attribute="is_example", column_name=gettext_lazy("Exempeldata"), widget=BooleanWidget())

    class Meta:
        model = FrameAdjustment
        fields = ("budget_year", "version", "organisation", "year", "amount", "reason", "assignment", "is_example")
        export_order = fields

    def export_queryset(self, municipality):
        return (
            FrameAdjustment.objects.filter(frame__decision__budget__municipality=municipality)
            .select_related("frame__decision__budget", "frame__organisation", "assignment")
            .order_by(
                "frame__decision__budget__year",
                "frame__decision__number",
                "frame__organisation__tree_id",
                "frame__organisation__lft",
                "frame__year",
                "pk",
            )
        )

    def example_rows(self):
        budget_year = timezone.localdate().year + 1
        key = {"budget_year": budget_year, "version": 1, "organisation": "BUN", "year": budget_year}
        return [
            {**key, "amount": 3_500_000, "reason": _("Volymökning förskola")},
            {**key, "amount": -1_000_000, "reason": _("Effektivisering")},
            {
                **key,
                "amount": 800_000,
                "reason": _("Lokaler för nya förskoleplatser"),
                "assignment": f"KF-{budget_year}-1",
            },
        ]

    def describe(self, key, values):
        budget_year, number, organisation, year, reason = key
        return _("Budget %(budget)s version %(number)s: %(organisation)s %(year)s, %(reason)s") % {
            "budget": budget_year,
            "number": number,
            "organisation": organisation,
            "year": year,
            "reason": reason,
        }

    def find(self, ctx, key):
        return adjustments(ctx).get(key)

    def new_instance(self, ctx, values):
        return FrameAdjustment()

    def _frame(self, ctx, values, errors):
        """The frame the row adjusts, or None with the reason in `errors`."""
        key = (values["budget_year"], values["version"], values["organisation"], values["year"])
        frame = frames(ctx).get(key)
        if frame is not None:
            return frame
        decision = find_decision(ctx, values["budget_year"], values["version"], errors)
        organisation = self._organisation(ctx, values["organisation"], errors)
        if decision is None or organisation is None:
            return None
        where = ctx.failed.get(("frame", key))
        if where:
            errors["organisation"] = _("ramen för %(organisation)s %(year)s har fel i filen (%(where)s)") % {
                "organisation": organisation.code,
                "year": values["year"],
                "where": where,
            }
        else:
            errors["organisation"] = _(
                "version %(number)s av budget %(budget)s har ingen ram för %(organisation)s %(year)s; lägg till den "
                "på bladet Ramar"
            ) % {
                "number": decision.number,
                "budget": decision.budget.year,
                "organisation": organisation.code,
                "year": values["year"],
            }
        return None

    def apply(self, ctx, adjustment, values):
        errors = {}
        if adjustment.pk is None:
            frame = self._frame(ctx, values, errors)
            if frame is not None:
                adjustment.frame = frame
            adjustment.reason = values["reason"]
        if "assignment" in values:
            code = values["assignment"]
            if code:
                assignment = assignments(ctx).get(code)
                if assignment is None:
                    errors["assignment"] = ctx.missing("assignment", code, model=Assignment)
                adjustment.assignment = assignment
            else:
                adjustment.assignment = None
        if errors:
            raise ValidationError(errors)
        self.set_attributes(adjustment, values, ("amount", "is_example"))

    def owner_label(self, adjustment):
        return _("organisationen %(code)s") % {"code": adjustment.frame.organisation.code}

    def save(self, ctx, adjustment, values, *, created, changed, row):
        self._refuse_decided(adjustment.frame.decision)
        services.adjustment_save(adjustment, user=ctx.user, reason=ctx.reason)
        adjustments(ctx)[frame_key(adjustment.frame) + (adjustment.reason,)] = adjustment
