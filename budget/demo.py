"""
The budgets and budget calendars (årshjul) of the demo municipalities, from the "budget" and "calendar" sections of
`fixtures/demo/<slug>.json`. Written through the services, so with history. Each section loads only if the
municipality has no budget (no årshjul) yet, so a demo loaded before this app existed gains its content.

    budget    [{"year"*, "title", "description", "example",
                "assumptions": {"<year>": {"tax_revenue"*, "financial_items", "population", "result_target"}},
                "decisions": [{"kind"*, "title", "description",
                               "decided": {"by"*, "on"*, "paragraph", "dnr"},    no "decided": the version stays a draft
                               "frames": {"<org>": [mkr per year of the budget]},
                               "adjustments": [{"org"*, "reason"*, "amounts"*: [mkr per year], "assignment"}]}]}]
              The first decision starts empty; each later one is a new version of the one before it (a copy of its
              frames and adjustments), whose "frames" replace the copied ones and whose "adjustments" are added.
              Amounts are in mkr (null: none that year); assumptions' amounts too. The assignments' own money is
              not here: it is entered on the assignments (fixtures/demo/assignments/).
    calendar  [{"year"*, "title", "description", "example",
                "milestones": [{"description"*, "date" | "month", "timing", "body", "org", "kind", "status"}],
                "standard": true, "dates": {"<kind>": "YYYY-MM-DD"}, "late": ["<kind>"]}]
              "standard": the budget process's steps (services.standard_milestones), with exact dates for the kinds
              in "dates" and, as in a live årshjul, steps whose time has passed done except the kinds in "late".

"example" defaults to true for everything except what a seed document says ("example": false).
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from assignments.models import Assignment
from styrning.models import Organisation
from styrning.money import MILLION, to_kronor

from . import services
from .choices import MilestoneStatus
from .models import Budget, BudgetAssumptions, BudgetDecision, Calendar, Frame, FrameAdjustment, Milestone

REASON = "Demodata"


def load_municipality(municipality, data, *, user):
    """Load the municipality's budgets and årshjul unless it has them already. Returns the counts, in Swedish."""
    orgs = None
    if data.get("budget") and not Budget.objects.filter(municipality=municipality).exists():
        orgs = _organisations(municipality)
        assignments = {a.code: a for a in Assignment.objects.filter(municipality=municipality)}
        for spec in data["budget"]:
            _in(f"budget {spec.get('year')}", _budget, spec, municipality, orgs, assignments, user)
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


def _budget(spec, municipality, orgs, assignments, user):
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
        previous = _decision(decision_spec, budget, previous, orgs, assignments, user, example=example)


def _decision(spec, budget, previous, orgs, assignments, user, *, example):
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
    years = budget.years
    if spec.get("frames"):
        amounts = {}
        for code, values in spec["frames"].items():
            for year, mkr in zip(years, values, strict=True):
                amounts[(orgs[code], year)] = _kronor(mkr)
        services.frame_table_save(decision, amounts=amounts, user=user, reason=REASON)
    frames = {(f.organisation.code, f.year): f for f in decision.frames.select_related("organisation", "decision")}
    for adjustment in spec.get("adjustments", []):
        for year, mkr in zip(years, adjustment["amounts"], strict=True):
            if mkr is None:
                continue
            frame = frames.get((adjustment["org"], year))
            if frame is None:
                raise ValidationError(f"{adjustment['org']} saknar ram {year} för justeringen {adjustment['reason']!r}")
            services.adjustment_save(
                FrameAdjustment(
                    frame=frame,
                    amount=_kronor(mkr),
                    reason=adjustment["reason"],
                    assignment=assignments[adjustment["assignment"]] if adjustment.get("assignment") else None,
                    is_example=example,
                ),
                user=user,
                reason=REASON,
            )
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
