"""
The assignments of the demo municipalities, from `fixtures/demo/assignments/<slug>.json`: Skara's assignments to
kommunstyrelsen verbatim from seed 000 (budget 2023) and example assignments elsewhere, with their money, later
decisions (one extended, one ended) and status reports. Written through the services, so with history.

Each item: {"code", "title", "description", "kind", "given_by", "lead", "receivers": [org codes], "start_year",
"end_year", "due_date", "goals": [goal codes], "amounts": [[org, year, kronor, comment]],
"decision": {"by", "on", "paragraph", "dnr"}, "events": [{"kind", "by", "on", "paragraph", "dnr", "budget_year",
"changes": {field: value}, "comment"}], "status_reports": [{"org", "status", "comment"}], "example"}.
"example" defaults to true; the decisions and status reports around seed text are always example data.
"""

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from goals.models import Goal
from styrning.models import Organisation

from . import services
from .models import Assignment

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo" / "assignments"


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
    path = DEMO_DIR / f"{municipality.slug}.json"
    if not path.exists() or Assignment.objects.filter(municipality=municipality).exists():
        return {"uppdrag": Assignment.objects.filter(municipality=municipality).count()}
    items = json.loads(path.read_text(encoding="utf-8"))["assignments"]
    orgs = {o.code: o for o in Organisation.objects.filter(municipality=municipality)}
    goals = {g.code: g for g in Goal.objects.filter(municipality=municipality)}
    for item in items:
        where = f"{path.name}: uppdraget {item['code']}"
        try:
            _load_item(item, municipality=municipality, orgs=orgs, goals=goals, user=user)
        except KeyError as exc:
            raise ValidationError(f"{where}: okänd kod {exc}") from None
        except ValidationError as exc:
            raise ValidationError(f"{where}: {'; '.join(exc.messages)}") from None
    return {"uppdrag": len(items)}


def _load_item(item, *, municipality, orgs, goals, user):
    example = item.get("example", True)
    assignment = Assignment(
        municipality=municipality,
        code=item["code"],
        title=item["title"],
        description=item.get("description", ""),
        kind=item.get("kind", "assignment"),
        given_by=orgs[item["given_by"]],
        lead=orgs[item["lead"]],
        start_year=item["start_year"],
        end_year=item.get("end_year"),
        due_date=_date(item.get("due_date")),
        is_example=example,
    )
    services.assignment_give(
        assignment=assignment,
        receivers=[orgs[code] for code in item["receivers"]],
        amounts=[(orgs[org], year, kronor, comment) for org, year, kronor, comment in item.get("amounts", [])],
        goals=[goals[code] for code in item.get("goals", [])],
        decision=_decision(item["decision"], orgs),
        user=user,
        reason="Demodata",
        # The seed gives the assignments' text, not the decision's reference: that reference is an example.
        decision_is_example=True,
    )
    for report in item.get("status_reports", []):
        services.assignment_report_status(
            assignment,
            organisation=orgs[report["org"]],
            status=report["status"],
            comment=report["comment"],
            user=user,
            today=datetime.date(item["start_year"], 11, 30),
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
