"""
The assignments of the demo municipalities: Skara's assignments to kommunstyrelsen verbatim from seed 000 (budget
2023) and example assignments elsewhere, with their money, later decisions (one extended, one ended) and status
reports.

The assignments as they were given, with the giving decision and their money, are rows of the municipality's import
workbook (sheets Uppdrag and Uppdragsbelopp of `fixtures/<slug>.xlsx`), imported through the import service (see
goals.demo). What happened to them afterwards is in the "assignments" section of `fixtures/demo/<slug>.json`, written
through the services after the import:

    assignments  [{"code"*, "status_reports": [{"org"*, "status"*, "comment"*}],
                   "events": [{"kind"*, "by"*, "on"*, "paragraph", "dnr", "budget_year"*, "changes": {field: value},
                               "comment"}]}]

The decisions and status reports around seed text are example data: the seed gives an assignment's text, not the
reference of the decision that gave it, so the loader marks the imported giving decisions as example data too (the
workbook's Exempeldata column describes the assignment; the decision columns have no flag of their own).
"""

import datetime

from django.core.exceptions import ValidationError

from goals.demo import import_workbook_sheets
from styrning.models import Organisation
from styrning.services import object_save

from . import services
from .choices import DecisionKind
from .models import Assignment, AssignmentDecision
from .resources import AssignmentAmountResource, AssignmentResource

REASON = "Demodata"
SHEETS = (AssignmentResource.sheet_name, AssignmentAmountResource.sheet_name)


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _decision(spec, orgs):
    return {
        "decided_by": orgs[spec["by"]],
        "decided_on": _date(spec["on"]),
        "paragraph": spec.get("paragraph", ""),
        "registration_number": spec.get("dnr", ""),
    }


def load_municipality(municipality, data, *, user):
    """Load the municipality's demo assignments unless it has assignments already. Returns {"uppdrag": n}."""
    assignments = Assignment.objects.filter(municipality=municipality)
    if assignments.exists():
        return {"uppdrag": assignments.count()}
    if import_workbook_sheets(municipality, user=user, sheets=SHEETS) is None:
        return {"uppdrag": 0}  # the workbook has no assignments
    _mark_giving_decisions_as_examples(municipality, user=user)
    orgs = {o.code: o for o in Organisation.objects.filter(municipality=municipality)}
    by_code = {a.code: a for a in assignments.select_related("given_by", "lead")}
    for item in data.get("assignments", []):
        where = f"uppdraget {item['code']}"
        try:
            _load_later(by_code[item["code"]], item, orgs=orgs, user=user)
        except KeyError as exc:
            raise ValidationError(f"{where}: okänd kod {exc}") from None
        except ValidationError as exc:
            raise ValidationError(f"{where}: {'; '.join(exc.messages)}") from None
    return {"uppdrag": assignments.count()}


def _mark_giving_decisions_as_examples(municipality, *, user):
    """Mark the imported giving decisions as example data (their references are made up; see the module docstring)."""
    decisions = AssignmentDecision.objects.filter(
        assignment__municipality=municipality, kind=DecisionKind.GIVEN, is_example=False
    )
    for decision in decisions:
        decision.is_example = True
        object_save(decision, user=user, reason=REASON)


def _load_later(assignment, item, *, orgs, user):
    """The status reports and later decisions of an imported assignment."""
    for report in item.get("status_reports", []):
        services.assignment_report_status(
            assignment,
            organisation=orgs[report["org"]],
            status=report["status"],
            comment=report["comment"],
            user=user,
            today=datetime.date(assignment.start_year, 11, 30),
            is_example=True,
        )
    for event in item.get("events", []):
        changes = {key: _date(value) if key == "due_date" else value for key, value in event.get("changes", {}).items()}
        services.assignment_decide(
            assignment,
            kind=event["kind"],
            decision=_decision(event, orgs),
            budget_year=event["budget_year"],
            changes=changes,
            comment=event.get("comment", ""),
            user=user,
            is_example=True,
        )
