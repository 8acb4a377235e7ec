"""
The assignments' sheets for spreadsheet import and export (the engine is goals.importing): Uppdrag (assignments and
constraints, with the decision that gave them) and Uppdragsbelopp (the money that comes with them, per receiver and
year).

Rows are matched within the municipality: assignments by code, amounts by assignment code, organisation and year.
The domain decides what a file may do to an assignment that already exists (DESIGN.md: later decisions are kept as
events, never overwritten):
- a new assignment is given through `services.assignment_give`, its decision taken from the decision columns;
- a changed title, description, due date or last year is a later decision, recorded through
  `services.assignment_decide` as "extended" (the due date or the last year moves later, nothing earlier) or
  "changed", with the row's decision columns as its reference: they must name a decision the assignment does not
  have yet, so an exported row edited without a new decision is refused instead of citing the old one;
- receivers, goals and the example flag are set directly;
- who gave it, who leads it, its kind and budget year are fixed when it is given, and its status is reported by the
  receivers (ending it takes a decision): a file that differs there is refused with a message.
Export writes the current state, with the latest decision in the decision columns, so export → import changes
nothing.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field

from goals.importing import CodeListWidget, CodeWidget, SheetResource, register
from goals.models import Goal
from goals.resources import organisations
from styrning.models import Organisation
from styrning.services import object_save
from styrning.spreadsheets import (
    BooleanWidget,
    ChoiceWidget,
    DateWidget,
    IntegerWidget,
    TextWidget,
    clean_text,
    display,
    is_empty,
    parse_number,
)

from . import services
from .choices import AssignmentKind, AssignmentStatus, DecisionKind
from .models import GIVING_KINDS, Assignment, AssignmentAmount, AssignmentDecision

# --- Widgets and helpers -------------------------------------------------------------------------------------------


class KronorWidget(IntegerWidget):
    """An amount in whole kronor as Swedes write it ("2 000 000", "−500 000"); empty is None."""

    def clean(self, value, row=None, **kwargs):
        if is_empty(value):
            return None
        try:
            number = parse_number(value)
        except ValueError:
            raise ValueError(_kronor_error(value)) from None
        if number != number.to_integral_value():
            raise ValueError(_kronor_error(value))
        return int(number)


def _kronor_error(value):
    return _("ange beloppet i hela kronor, till exempel 2 000 000 (”%(value)s” är inget belopp i kronor)") % {
        "value": clean_text(value)
    }


# --- Lookups (one query each, reloaded after a sheet has written) --------------------------------------------------


def assignments(ctx):
    """{code: Assignment} of the municipality, with what the diff reads (receivers, goals, decisions)."""

    def load(c):
        qs = (
            Assignment.objects.filter(municipality=c.municipality)
            .select_related("given_by", "lead")
            .prefetch_related(
                Prefetch("receivers", queryset=Organisation.objects.only("id", "code")),
                Prefetch("goals", queryset=Goal.objects.only("id", "code")),
                Prefetch("decisions", queryset=AssignmentDecision.objects.select_related("decided_by")),
            )
        )
        return {a.code: a for a in qs}

    return ctx.cached("assignments", load)


def goal_codes(ctx):
    """{code: Goal} of the municipality, only what linking a goal needs."""
    return ctx.cached(
        "goal_codes",
        lambda c: {
            g.code: g for g in Goal.objects.filter(municipality=c.municipality).only("id", "code", "municipality_id")
        },
    )


def amounts(ctx):
    """{(assignment code, organisation code, year): AssignmentAmount} of the municipality."""
    return ctx.cached(
        "assignment_amounts",
        lambda c: {
            (a.assignment.code, a.organisation.code, a.year): a
            for a in AssignmentAmount.objects.filter(assignment__municipality=c.municipality).select_related(
                "assignment__given_by", "organisation"
            )
        },
    )


def latest_decision(assignment):
    """The assignment's latest decision (reads the prefetched decisions), or None."""
    if assignment.pk is None:
        return None
    return max(
        assignment.decisions.all(),
        key=lambda d: (d.decided_on or datetime.date.min, d.created),
        default=None,
    )


# --- Assignments ---------------------------------------------------------------------------------------------------

DECISION_FIELDS = ("decided_by", "decided_on", "paragraph", "registration_number")
# Fixed when the assignment is given: a file that differs is refused.
FIXED_FIELDS = ("given_by", "lead", "assignment_kind", "start_year")


@dataclass
class _Pending:
    """What a row asks of an assignment beyond its plain fields, kept on the instance as `_pending_import` from
    `apply` until `save` (the receivers and goals it names, the decidable changes, the decision columns)."""

    receivers: list | None = None
    goals: list | None = None
    changes: dict = field(default_factory=dict)  # decidable field -> new value
    decision: dict = field(default_factory=dict)


@register
class AssignmentResource(SheetResource):
    """Uppdrag: assignments and constraints with the decision that gave them, their receivers and goals."""

    sheet_name = "Uppdrag"
    order = 60
    reference_kind = "assignment"
    key_fields = ("code",)
    required_columns = ("code", "title", "given_by", "lead", "start_year")
    required_values = ("code", "title", "given_by", "lead", "start_year")
    virtual_fields = ("receivers", "goals", *DECISION_FIELDS)
    instructions = gettext_lazy(
        "En rad per uppdrag eller villkor. Raden matchas på koden. Ett nytt uppdrag ges i beslutet som "
        "beslutskolumnerna anger. Ändras rubrik, beskrivning, slutdatum eller sista år för ett uppdrag som finns är "
        "det ett nytt beslut: fyll då i det nya beslutet i beslutskolumnerna, så sparas det som en händelse "
        "(ändrat, eller förlängt när slutdatum eller sista år flyttas fram) och det tidigare värdet finns kvar. "
        "Givet av, ansvarig, typ och budgetår ändras inte, och status rapporteras av mottagarna."
    )
    column_help = {
        "code": gettext_lazy("Unik inom kommunen, till exempel KF-2026-3. Raden matchas på koden."),
        "title": gettext_lazy("Uppdragets rubrik."),
        "assignment_kind": gettext_lazy(
            "Uppdrag eller Villkor (till exempel ”hyresökningen högst 2,2 %”). Tom: Uppdrag."
        ),
        "description": gettext_lazy("Vad uppdraget går ut på."),
        "given_by": gettext_lazy(
            "Koden för organet som gav uppdraget: kommunfullmäktige, kommunstyrelsen eller en nämnd."
        ),
        "lead": gettext_lazy("Koden för organisationen som leder arbetet. Den räknas alltid som mottagare."),
        "receivers": gettext_lazy("Koder för alla organisationer som får uppdraget, till exempel BUN, SN."),
        "start_year": gettext_lazy("Budgetåret uppdraget ges för."),
        "end_year": gettext_lazy("Sista året för ett flerårigt uppdrag. Tom för ettåriga uppdrag."),
        "due_date": gettext_lazy("Datum då uppdraget ska vara klart."),
        "status": gettext_lazy(
            "Visas i exporten. Status rapporteras av mottagarna på uppdragets sida och ändras inte genom import."
        ),
        "goals": gettext_lazy("Koder för målen uppdraget bidrar till, till exempel KF1, BUN1.2."),
        "decided_by": gettext_lazy(
            "Koden för organet som fattade beslutet: för ett nytt uppdrag beslutet som gav det, för en ändring "
            "beslutet som ändrade det. Exporten visar det senaste beslutet."
        ),
        "decided_on": gettext_lazy("Beslutsdatum."),
        "paragraph": gettext_lazy("Paragraf i protokollet, till exempel 112."),
        "registration_number": gettext_lazy("Diarienummer, till exempel Dnr KS 2025/301."),
        "is_example": gettext_lazy("Ja om raden är exempeldata."),
    }

    code = Field(attribute="code", column_name=gettext_lazy("Kod"), widget=TextWidget())
    title = Field(attribute="title", column_name=gettext_lazy("Rubrik"), widget=TextWidget())
    assignment_kind = Field(attribute="kind", column_name=gettext_lazy("Typ"), widget=ChoiceWidget(AssignmentKind))
    description = Field(attribute="description", column_name=gettext_lazy("Beskrivning"), widget=TextWidget())
    given_by = Field(attribute="given_by", column_name=gettext_lazy("Givet av"), widget=CodeWidget())
    lead = Field(attribute="lead", column_name=gettext_lazy("Ansvarig"), widget=CodeWidget())
    receivers = Field(attribute="receivers", column_name=gettext_lazy("Mottagare"), widget=CodeListWidget())
    start_year = Field(attribute="start_year", column_name=gettext_lazy("Budgetår"), widget=IntegerWidget())
    end_year = Field(attribute="end_year", column_name=gettext_lazy("Sista år"), widget=IntegerWidget())
    due_date = Field(attribute="due_date", column_name=gettext_lazy("Klart senast"), widget=DateWidget())
    status = Field(attribute="status", column_name=gettext_lazy("Status"), widget=ChoiceWidget(AssignmentStatus))
    goals = Field(attribute="goals", column_name=gettext_lazy("Mål"), widget=CodeListWidget())
    decided_by = Field(attribute=None, column_name=gettext_lazy("Beslutande organ"), widget=CodeWidget())
    decided_on = Field(attribute=None, column_name=gettext_lazy("Beslutsdatum"), widget=DateWidget())
    paragraph = Field(attribute=None, column_name=gettext_lazy("Paragraf"), widget=TextWidget())
    registration_number = Field(attribute=None, column_name=gettext_lazy("Diarienummer"), widget=TextWidget())
    is_example = Field(attribute="is_example", column_name=gettext_lazy("Exempeldata"), widget=BooleanWidget())

    class Meta:
        model = Assignment
        fields = (
            "code",
            "title",
            "assignment_kind",
            "description",
            "given_by",
            "lead",
            "receivers",
            "start_year",
            "end_year",
            "due_date",
            "status",
            "goals",
            "decided_by",
            "decided_on",
            "paragraph",
            "registration_number",
            "is_example",
        )
        export_order = fields

    # --- Export -----------------------------------------------------------------------------------------------------

    def export_queryset(self, municipality):
        return (
            Assignment.objects.filter(municipality=municipality)
            .select_related("given_by", "lead")
            .prefetch_related(
                Prefetch("receivers", queryset=Organisation.objects.only("id", "code")),
                Prefetch("goals", queryset=Goal.objects.only("id", "code")),
                Prefetch("decisions", queryset=AssignmentDecision.objects.select_related("decided_by")),
            )
            .order_by("start_year", "code")
        )

    def _decision_value(self, assignment, name):
        decision = latest_decision(assignment)
        if decision is None:
            return None
        if name == "decided_by":
            return decision.decided_by.code if decision.decided_by_id else None
        return getattr(decision, name) or None

    def dehydrate_decided_by(self, assignment):
        return self._decision_value(assignment, "decided_by")

    def dehydrate_decided_on(self, assignment):
        return self._decision_value(assignment, "decided_on")

    def dehydrate_paragraph(self, assignment):
        return self._decision_value(assignment, "paragraph")

    def dehydrate_registration_number(self, assignment):
        return self._decision_value(assignment, "registration_number")

    def example_rows(self):
        year = timezone.localdate().year
        return [
            {
                "code": f"KF-{year + 1}-1",
                "title": _("Ta fram en plan för fler förskoleplatser"),
                "assignment_kind": _("Uppdrag"),
                "description": _("Planen ska visa behovet av platser till och med %(year)s.") % {"year": year + 3},
                "given_by": "KF",
                "lead": "BUN",
                "receivers": "BUN",
                "start_year": year + 1,
                "end_year": year + 2,
                "due_date": datetime.date(year + 2, 6, 30),
                "goals": "BUN1.1",
                "decided_by": "KF",
                "decided_on": datetime.date(year, 6, 16),
                "paragraph": "45",
                "registration_number": f"Dnr KS {year}/112",
            },
            {
                "code": f"KF-{year + 1}-V1",
                "title": _("Hyresökningen får vara högst 2,2 procent"),
                "assignment_kind": _("Villkor"),
                "given_by": "KF",
                "lead": "BUN",
                "start_year": year + 1,
                "decided_by": "KF",
                "decided_on": datetime.date(year, 6, 16),
                "paragraph": "45",
            },
        ]

    # --- Import -----------------------------------------------------------------------------------------------------

    def describe(self, key, values):
        return f"{key[0]} {values.get('title', '')}".strip()

    def duplicate_message(self, key, first_row):
        return _("koden %(code)s finns redan på rad %(row)s") % {"code": key[0], "row": first_row}

    def find(self, ctx, key):
        return assignments(ctx).get(key[0])

    def new_instance(self, ctx, values):
        return Assignment(municipality=ctx.municipality, code=values["code"])

    def _columns(self, names):
        """Column names joined as Swedes list them: "Rubrik", "Rubrik och Beskrivning", "A, B och C"."""
        columns = [str(self.column_name(n)) for n in names]
        if len(columns) == 1:
            return columns[0]
        return _("%(first)s och %(last)s") % {"first": ", ".join(columns[:-1]), "last": columns[-1]}

    def _organisation(self, ctx, values, name, errors):
        code = values.get(name)
        if not code:
            return None
        found = organisations(ctx).get(code)
        if found is None:
            errors[name] = ctx.missing("organisation", code, model=Organisation)
        return found

    def _references(self, ctx, values, errors):
        """The receivers and goals the row names ([] for an empty cell; None when the column is not in the file)."""
        found = {}
        for name, index, kind, model in (
            ("receivers", organisations(ctx), "organisation", Organisation),
            ("goals", goal_codes(ctx), "goal", Goal),
        ):
            if name not in values:
                found[name] = None
                continue
            objects, problems = [], []
            for code in values[name]:
                obj = index.get(code)
                if obj is None:
                    problems.append(ctx.missing(kind, code, model=model))
                else:
                    objects.append(obj)
            if problems:
                errors[name] = problems
            found[name] = objects
        return found["receivers"], found["goals"]

    def _decision(self, ctx, values, errors):
        decision = {
            "decided_by": self._organisation(ctx, values, "decided_by", errors),
            "decided_on": values.get("decided_on"),
            "paragraph": values.get("paragraph") or "",
            "registration_number": values.get("registration_number") or "",
        }
        body = decision["decided_by"]
        if body is not None and body.kind not in GIVING_KINDS:
            errors["decided_by"] = _("beslut om uppdrag fattas av kommunfullmäktige, kommunstyrelsen eller en nämnd")
        return decision

    def _decision_missing(self):
        return {"by": self.column_name("decided_by"), "on": self.column_name("decided_on")}

    def apply(self, ctx, assignment, values):
        errors = {}
        new = assignment.pk is None
        pending = _Pending()
        pending.receivers, pending.goals = self._references(ctx, values, errors)
        pending.decision = self._decision(ctx, values, errors)
        decision_given = bool(pending.decision["decided_by"] and pending.decision["decided_on"])
        if new:
            for name in ("given_by", "lead"):
                organisation = self._organisation(ctx, values, name, errors)
                if organisation is not None:
                    setattr(assignment, name, organisation)
            self.set_attributes(
                assignment,
                values,
                ("assignment_kind", "start_year", "title", "description", "end_year", "due_date"),
            )
            if not decision_given and "decided_by" not in errors:
                errors.setdefault(NON_FIELD_ERRORS, []).append(
                    _("ett nytt uppdrag ges i ett beslut: fyll i kolumnerna %(by)s och %(on)s")
                    % self._decision_missing()
                )
        else:
            self._refuse_fixed_changes(assignment, values, errors)
            pending.changes = self._decidable_changes(assignment, values)
            if pending.changes and "decided_by" not in errors:
                problem = self._decision_problem(assignment, pending, decision_given)
                if problem:
                    errors.setdefault(NON_FIELD_ERRORS, []).append(problem)
        status = values.get("status")
        if status is not None and status != assignment.status:
            errors["status"] = self._status_message(assignment, new)
        self.set_attributes(assignment, values, ("is_example",))
        if errors:
            raise ValidationError(errors)
        if not new and not pending.changes and self._decision_differs(assignment, values):
            self.warn(
                _(
                    "uppdraget %(code)s: beslutskolumnerna skiljer sig från uppdragets senaste beslut, men raden "
                    "ändrar inget som beslutas, så inget beslut sparas (ett registrerat beslut ändras inte genom "
                    "import)"
                )
                % {"code": assignment.code}
            )
        assignment._pending_import = pending

    def _decision_differs(self, assignment, values):
        return any(
            name in values and display(values[name]) != self.current_display(None, name, assignment)
            for name in DECISION_FIELDS
        )

    def _refuse_fixed_changes(self, assignment, values, errors):
        for name in FIXED_FIELDS:
            if name not in values:
                continue
            value = values[name]
            if name == "assignment_kind" and value is None:
                value = AssignmentKind.ASSIGNMENT
            current = getattr(assignment, self.fields[name].attribute)
            if name in ("given_by", "lead"):
                current = current.code
            if value != current:
                errors[name] = _(
                    "%(column)s bestäms när uppdraget ges och ändras inte genom import (nu: %(current)s)"
                ) % {
                    "column": self.column_name(name),
                    "current": self.current_display(None, name, assignment),
                }

    def _decidable_changes(self, assignment, values):
        """{field: new value} of the fields a later decision changes (services.DECIDABLE_FIELDS) that differ."""
        changes = {}
        for name in services.DECIDABLE_FIELDS:
            if name not in values:
                continue
            value = values[name]
            if value is None and name in ("title", "description"):
                value = ""
            if value != getattr(assignment, name):
                changes[name] = value
        return changes

    def _decision_problem(self, assignment, pending, decision_given):
        """Why the row's decision columns cannot record the change, or None."""
        columns = {"columns": self._columns(list(pending.changes)), **self._decision_missing()}
        if not decision_given:
            return (
                _(
                    "ändringen av %(columns)s är ett beslut: fyll i kolumnerna %(by)s och %(on)s med beslutet som "
                    "ändrar uppdraget"
                )
                % columns
            )
        body, day = pending.decision["decided_by"], pending.decision["decided_on"]
        recorded = next(
            (d for d in assignment.decisions.all() if d.decided_by_id == body.pk and d.decided_on == day), None
        )
        if recorded is not None:
            return _(
                "ändringen av %(columns)s är ett nytt beslut, men %(decision)s finns redan för uppdraget; fyll i "
                "kolumnerna %(by)s och %(on)s med beslutet som ändrar uppdraget"
            ) % {**columns, "decision": recorded.decision_display}
        return None

    def _status_message(self, assignment, new):
        if new:
            return _(
                "ett nytt uppdrag får status %(status)s; sedan rapporterar mottagarna status på uppdragets sida"
            ) % {"status": AssignmentStatus.NOT_STARTED.label}
        return _(
            "status ändras inte genom import: mottagarna rapporterar status på uppdragets sida och ett uppdrag "
            "avslutas genom beslut (nu: %(status)s)"
        ) % {"status": assignment.get_status_display()}

    def _receiver_codes(self, assignment, receivers):
        codes = {o.code for o in receivers}
        if assignment.lead_id:
            codes.add(assignment.lead.code)
        return codes

    # --- The diff ---------------------------------------------------------------------------------------------------

    def current_display(self, ctx, name, assignment):
        if name in ("receivers", "goals"):
            return self.fields[name].widget.render(getattr(assignment, name).all() if assignment.pk else ())
        if name in DECISION_FIELDS:
            return display(self._decision_value(assignment, name))
        return super().current_display(ctx, name, assignment)

    def new_display(self, ctx, name, assignment, values):
        pending = getattr(assignment, "_pending_import", None)
        if pending is None:
            return self.current_display(ctx, name, assignment)
        if name == "receivers" and pending.receivers is not None:
            return self.fields[name].widget.render(self._receiver_codes(assignment, pending.receivers))
        if name == "goals" and pending.goals is not None:
            return self.fields[name].widget.render(pending.goals)
        if name in pending.changes:
            return display(self.fields[name].widget.render(pending.changes[name]))
        if name in DECISION_FIELDS and (assignment.pk is None or pending.changes):
            value = pending.decision[name]
            return display(value.code if isinstance(value, Organisation) else value)
        return self.current_display(ctx, name, assignment)

    # --- Writing ----------------------------------------------------------------------------------------------------

    def owner_label(self, assignment):
        return _("organisationen %(code)s") % {"code": assignment.given_by.code}

    def save(self, ctx, assignment, values, *, created, changed, row):
        pending = assignment._pending_import
        if created:
            services.assignment_give(
                assignment=assignment,
                receivers=pending.receivers or [],
                goals=pending.goals or [],
                decision=pending.decision,
                user=ctx.user,
                reason=ctx.reason,
            )
        else:
            receivers = None
            if pending.receivers is not None:
                codes = self._receiver_codes(assignment, pending.receivers)
                if codes != {o.code for o in assignment.receivers.all()}:
                    self._check_money_follows(assignment, codes)
                    receivers = {o.pk: o for o in [assignment.lead, *pending.receivers]}.values()
            if pending.changes:
                self._decide(ctx, assignment, pending)
            else:
                object_save(assignment, user=ctx.user, reason=ctx.reason)
            if receivers is not None:
                assignment.receivers.set(list(receivers))
            if pending.goals is not None and {g.code for g in pending.goals} != {
                g.code for g in assignment.goals.all()
            }:
                assignment.goals.set(pending.goals)
        assignments(ctx)[assignment.code] = assignment

    def _check_money_follows(self, assignment, codes):
        """A receiver that gets money through the assignment cannot be removed from it (the money would be lost)."""
        funded = (
            AssignmentAmount.objects.filter(assignment=assignment)
            .exclude(organisation__code__in=codes)
            .values_list("organisation__code", flat=True)
            .distinct()
        )
        problems = [
            _("%(code)s får pengar genom uppdraget (bladet Uppdragsbelopp) och kan inte tas bort som mottagare")
            % {"code": code}
            for code in sorted(funded)
        ]
        if problems:
            raise ValidationError({"receivers": problems})

    def _decide(self, ctx, assignment, pending):
        """Record the row's changes as a later decision: extended when the due date or the last year moves later
        and nothing moves earlier, else changed. The decision belongs to the budget of the year after it (budget
        decisions are taken the year before the budget year)."""
        later, earlier = False, False
        if "due_date" in pending.changes:
            old, new = assignment.due_date, pending.changes["due_date"]
            if old and new and new > old:
                later = True
            else:
                earlier = True
        if "end_year" in pending.changes:
            old = assignment.end_year or assignment.start_year
            new = pending.changes["end_year"] or assignment.start_year
            if new > old:
                later = True
            elif new < old:
                earlier = True
        kind = DecisionKind.EXTENDED if later and not earlier else DecisionKind.CHANGED
        services.assignment_decide(
            assignment,
            kind=kind,
            decision=pending.decision,
            budget_year=pending.decision["decided_on"].year + 1,
            changes=pending.changes,
            user=ctx.user,
            reason=ctx.reason,
        )


# --- Money ---------------------------------------------------------------------------------------------------------


@register
class AssignmentAmountResource(SheetResource):
    """Uppdragsbelopp: the money that comes with an assignment, per receiver and year ("KS tillförs 2 mkr")."""

    sheet_name = "Uppdragsbelopp"
    order = 70
    reference_kind = "assignment_amount"
    key_fields = ("assignment", "organisation", "year")
    required_columns = ("assignment", "organisation", "year", "amount")
    required_values = ("assignment", "organisation", "year", "amount")
    instructions = gettext_lazy(
        "En rad per uppdrag, mottagare och år. Raden matchas på uppdragskod, organisation och år. Pengarna går till "
        "en av uppdragets mottagare och räknas in i dess ram; belopp anges i hela kronor."
    )
    column_help = {
        "assignment": gettext_lazy("Koden för uppdraget, som på bladet Uppdrag."),
        "organisation": gettext_lazy("Koden för mottagaren som tillförs pengarna."),
        "year": gettext_lazy("Året pengarna gäller."),
        "amount": gettext_lazy("Beloppet i hela kronor, till exempel 2 000 000."),
        "comment": gettext_lazy("Kommentar, till exempel Engångsbelopp."),
        "is_example": gettext_lazy("Ja om raden är exempeldata."),
    }

    assignment = Field(attribute="assignment", column_name=gettext_lazy("Uppdragskod"), widget=CodeWidget())
    organisation = Field(attribute="organisation", column_name=gettext_lazy("Tillförs"), widget=CodeWidget())
    year = Field(attribute="year", column_name=gettext_lazy("År"), widget=IntegerWidget())
    amount = Field(attribute="amount", column_name=gettext_lazy("Belopp (kr)"), widget=KronorWidget())
    comment = Field(attribute="comment", column_name=gettext_lazy("Kommentar"), widget=TextWidget())
    is_example = Field(attribute="is_example", column_name=gettext_lazy("Exempeldata"), widget=BooleanWidget())

    class Meta:
        model = AssignmentAmount
        fields = ("assignment", "organisation", "year", "amount", "comment", "is_example")
        export_order = fields

    def export_queryset(self, municipality):
        return (
            AssignmentAmount.objects.filter(assignment__municipality=municipality)
            .select_related("assignment", "organisation")
            .order_by(
                "assignment__start_year", "assignment__code", "year", "organisation__tree_id", "organisation__lft"
            )
        )

    def example_rows(self):
        year = timezone.localdate().year
        return [
            {
                "assignment": f"KF-{year + 1}-1",
                "organisation": "BUN",
                "year": year + 1,
                "amount": 2_000_000,
                "comment": _("Engångsbelopp"),
            }
        ]

    def describe(self, key, values):
        return f"{key[0]} / {key[1]} / {key[2]}"

    def find(self, ctx, key):
        return amounts(ctx).get(key)

    def new_instance(self, ctx, values):
        return AssignmentAmount()

    def apply(self, ctx, amount, values):
        if amount.pk is None:
            errors = {}
            code = values["assignment"]
            assignment = assignments(ctx).get(code)
            if assignment is None:
                errors["assignment"] = ctx.missing("assignment", code, model=Assignment)
            code = values["organisation"]
            organisation = organisations(ctx).get(code)
            if organisation is None:
                errors["organisation"] = ctx.missing("organisation", code, model=Organisation)
            if errors:
                raise ValidationError(errors)
            amount.assignment = assignment
            amount.organisation = organisation
            amount.year = values["year"]
        self.set_attributes(amount, values, ("amount", "comment", "is_example"))

    def owner_label(self, amount):
        return _("organisationen %(code)s") % {"code": amount.assignment.given_by.code}

    def save(self, ctx, amount, values, *, created, changed, row):
        services.amount_save(amount, user=ctx.user, reason=ctx.reason)
        amounts(ctx)[(amount.assignment.code, amount.organisation.code, amount.year)] = amount
