"""
The budgets and budget calendars (årshjul) of the demo municipalities. The budgets, their planning prerequisites and
their decisions are the "budget" section of `fixtures/demo/<slug>.json`; the frames and adjustments of each version
are rows of the municipality's import workbook (sheets Ramar and Ramjusteringar of `fixtures/<slug>.xlsx`), imported
through the import service (see goals.demo) version by version, between the decisions, as a municipality would: a
decided version is locked and the next one starts as a copy of it. The årshjul is the "calendar" section. Everything
is written through the services, so with history. Each section loads only if the municipality has no budget (no
årshjul) yet, so a demo loaded before this app existed gains its content.

    budget    [{"year"*, "title", "description", "example",
                "assumptions": {"<year>": {"tax_revenue"*, "financial_items", "population", "result_target"}},
                "decisions": [{"kind"*, "title", "description",
                               "decided": {"by"*, "on"*, "paragraph", "dnr"}}]}]   no "decided": stays a draft
              The first decision starts empty; each later one is a new version of the one before it (a copy of its
              frames and adjustments). Each version's frames and adjustments are the workbook's rows with its
              budget year and version number: imported before the version is decided, they fill the first version
              and change the copy in a later one (a copied row that the workbook repeats unchanged changes nothing).
              The assumptions' amounts are in mkr. The assignments' own money is not here: it is on the
              assignments (the workbook's sheet Uppdragsbelopp).
    calendar  [{"year"*, "title", "description", "example",
                "milestones": [{"description"*, "date" | "month", "timing", "body", "org", "kind", "status"}],
                "standard": true, "dates": {"<kind>": "YYYY-MM-DD"}, "late": ["<kind>"]}]
              "standard": the budget process's steps (services.standard_milestones), with exact dates for the kinds
              in "dates" and, as in a live årshjul, steps whose time has passed done except the kinds in "late".

"example" defaults to true for everything except what a seed document says ("example": false); the workbook's rows
have their own Exempeldata column.
"""

import datetime
import functools
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from goals.demo import import_workbook_sheets, read_workbook, workbook_part, workbook_path
from styrning.models import Organisation
from styrning.money import MILLION, to_kronor
from styrning.spreadsheets import parse_integer

from . import services
from .choices import MilestoneStatus
from .models import Budget, BudgetAssumptions, BudgetDecision, Calendar, Frame, FrameAdjustment, Milestone
from .resources import FrameAdjustmentResource, FrameResource

REASON = "Demodata"
SHEETS = (FrameResource.sheet_name, FrameAdjustmentResource.sheet_name)


def load_municipality(municipality, data, *, user):
    """Load the municipality's budgets and årshjul unless it has them already. Returns the counts, in Swedish."""
    orgs = None
    if data.get("budget") and not Budget.objects.filter(municipality=municipality).exists():
        orgs = _organisations(municipality)
        for spec in data["budget"]:
            _in(f"budget {spec.get('year')}", _budget, spec, municipality, orgs, user)
        _check_every_version_loaded(municipality)
    if data.get("calendar") and not Calendar.objects.filter(municipality=municipality).exists():
        orgs = orgs or _organisations(municipality)
        for spec in data["calendar"]:
            _in(f"årshjul {spec.get('year')}", _calendar, spec, municipality, orgs, user)
    return {
        "budgetar": Budget.objects.filter(municipality=municipality).count(),
        "budgetbeslut": BudgetDecision.objects.filter(budget__municipality=municipality).count(),
        "ramar": Frame.objects.filter(decision__budget__municipality=municipality).count(),
        "justeringar": FrameAdjustment.objects.filter(frame__decision__budget__municipality=municipality).count(),
        "årshjul": Calendar.objects.filter(municipality=municipality).count(),
        "moment": Milestone.objects.filter(calendar__municipality=municipality).count(),
    }


def _in(where, loader, *args):
    """Run a loader, naming the place in the file in any error."""
    try:
        loader(*args)
    except KeyError as exc:
        raise ValidationError(f"{where}: okänd kod {exc}") from None
    except ValidationError as exc:
        raise ValidationError(f"{where}: {'; '.join(exc.messages)}") from None


def _organisations(municipality):
    return {o.code: o for o in Organisation.objects.filter(municipality=municipality)}


def _kronor(mkr):
    """Kronor from an amount in mkr as the file writes it (a JSON number goes through its text, never float math)."""
    return None if mkr is None else to_kronor(Decimal(str(mkr)) * MILLION)


def _example(spec):
    return bool(spec.get("example", True))


# --- Budgets ----------------------------------------------------------------------------------------------------------


def _budget(spec, municipality, orgs, user):
    example = _example(spec)
    budget = Budget(
        municipality=municipality,
        year=spec["year"],
        title=spec.get("title", ""),
        description=spec.get("description", ""),
        is_example=example,
    )
    services.budget_save(budget, user=user, reason=REASON)
    for year, values in spec.get("assumptions", {}).items():
        assumptions = BudgetAssumptions(
            budget=budget,
            year=int(year),
            tax_revenue=_kronor(values["tax_revenue"]),
            financial_items=_kronor(values.get("financial_items", 0)),
            population=values.get("population"),
            result_target_percent=Decimal(str(values.get("result_target", 2))),
            is_example=example,
        )
        services.assumptions_save(assumptions, user=user, reason=REASON)
    previous = None
    for decision_spec in spec.get("decisions", []):
        previous = _decision(decision_spec, budget, previous, orgs, user, example=example)


def _decision(spec, budget, previous, orgs, user, *, example):
    if previous is None:
        decision = services.budget_decision_create(
            budget=budget,
            kind=spec["kind"],
            title=spec.get("title", ""),
            description=spec.get("description", ""),
            user=user,
            reason=REASON,
            is_example=example,
        )
    else:
        decision = services.budget_decision_new_version(
            previous,
            kind=spec["kind"],
            title=spec.get("title", ""),
            description=spec.get("description", ""),
            user=user,
            reason=REASON,
        )
    import_workbook_sheets(budget.municipality, user=user, sheets=SHEETS, rows=_version_rows(decision))
    decided = spec.get("decided")
    if decided:
        decision = services.budget_decision_decide(
            decision,
            user=user,
            decided_by=orgs[decided["by"]],
            decided_on=datetime.date.fromisoformat(decided["on"]),
            paragraph=decided.get("paragraph", ""),
            registration_number=decided.get("dnr", ""),
            reason=REASON,
        )
    return decision


@functools.cache
def _version_columns():
    """The headers of the budget year and the version in the budget sheets (the same in both)."""
    resource = FrameResource()
    return str(resource.column_name("budget_year")), str(resource.column_name("version"))


def _row_version(row):
    """(budget year, version number) that a budget row of the workbook names; None if a cell cannot be read."""
    year_column, version_column = _version_columns()
    try:
        return parse_integer(row.get(year_column)), parse_integer(row.get(version_column))
    except ValueError:
        return None


def _version_rows(decision):
    """A filter of the workbook's budget rows: those of the decision's budget year and version, and those whose
    version cannot be read (so that the import names the cell)."""
    wanted = (decision.budget.year, decision.number)
    return lambda _sheet, row: _row_version(row) in (wanted, None)


def _check_every_version_loaded(municipality):
    """Refuse budget rows of the workbook that name a version the file's decisions do not make (never imported)."""
    made = set(BudgetDecision.objects.filter(budget__municipality=municipality).values_list("budget__year", "number"))
    workbook = workbook_part(read_workbook(municipality.slug), sheets=SHEETS)
    for sheet in workbook.sheets:
        for number, cells in sheet.rows:
            version = _row_version(dict(zip(sheet.headers, cells, strict=True)))
            if version is not None and version not in made:
                raise ValidationError(
                    f"{workbook_path(municipality.slug).name}, blad {sheet.name}, rad {number}: budget {version[0]} "
                    f"får ingen version {version[1]} av besluten i demofilen, så raden skulle inte läsas in"
                )


# --- The årshjul ------------------------------------------------------------------------------------------------------


def _calendar(spec, municipality, orgs, user):
    year = spec["year"]
    calendar = Calendar(
        municipality=municipality,
        year=year,
        title=spec.get("title", ""),
        description=spec.get("description", ""),
        is_example=_example(spec),
    )
    if spec.get("standard"):
        services.calendar_create(calendar, user=user, standard=True, reason=REASON)
        _date_standard_milestones(calendar, spec, user)
        return
    services.calendar_create(calendar, user=user, reason=REASON)
    for position, item in enumerate(spec.get("milestones", []), start=1):
        if item.get("date"):
            date, month_only = datetime.date.fromisoformat(item["date"]), False
        else:
            date, month_only = datetime.date(year, item["month"], 1), True
        milestone = Milestone(
            calendar=calendar,
            kind=item.get("kind", "other"),
            date=date,
            month_only=month_only,
            timing=item.get("timing", ""),
            body=item.get("body", ""),
            responsible=orgs[item["org"]] if item.get("org") else None,
            description=item["description"],
            status=item.get("status", MilestoneStatus.PLANNED),
            position=position,
            is_example=_example(item) if "example" in item else calendar.is_example,
        )
        services.milestone_save(milestone, user=user, reason=REASON)


def _date_standard_milestones(calendar, spec, user, today=None):
    """Give the standard steps the file's exact dates and the status a live årshjul would have today."""
    today = today or timezone.localdate()
    dates = {kind: datetime.date.fromisoformat(value) for kind, value in spec.get("dates", {}).items()}
    late = set(spec.get("late", []))
    for milestone in calendar.milestones.all():
        if milestone.kind in dates:
            milestone.date, milestone.month_only = dates[milestone.kind], False
        if milestone.kind in late:
            status = MilestoneStatus.PLANNED
        elif milestone.due_date < today:
            status = MilestoneStatus.DONE
        elif milestone.date <= today:
            status = MilestoneStatus.ONGOING
        else:
            status = MilestoneStatus.PLANNED
        milestone.status = status
        services.milestone_save(milestone, user=user, reason=REASON)
