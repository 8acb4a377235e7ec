"""
The demo: the seed municipalities (Vaggeryd, Säter, Vimmerby, Skara) with their organisations, vision, värdegrund,
styrdokument, plans, goal chain, indicators, targets and outcomes, plus three demo users.

The content lives in `fixtures/demo/<slug>.json`, one declarative file per municipality; this module walks such a
file and writes every object through the services (validation and history included). Loading is idempotent: a
municipality whose slug already exists is skipped, users are fetched or created, and memberships are granted only
when missing. Each municipality loads in its own transaction, so a bad file leaves nothing half-saved.

The file format (every key optional unless marked *):

    municipality*    {"name"*, "slug"*, "code", "council_name"}
    mandate_periods  [2019, 2023]                 first years of the four-year periods used
    organisations    [{"code"*, "name"*, "kind"*, "short_name", "mission", "example", "children": [...]}]
                     the children of kommunfullmäktige (KF, created with the municipality, has code "KF")
    council_mission  KF's own mission text
    vision           {"statement"*, "description", "valid_until", "example"}
    values           [{"name"*, "description", "example"}]
    documents        [{"key"*, "title"*, "kind"*, "org"*, "decided_by", "decided_on", "paragraph", "dnr",
                       "valid_from", "revision_due", "summary", "url", "example"}]
    plans            [{"org"*, "year" | "period", "title", "description", "example",
                       "adopted": {"by"*, "on"*, "paragraph", "dnr"}}]     no "adopted": the plan stays a draft
    goals            [goal, ...] under the vision, each goal:
                     {"title"*, "org", "code", "kind", "year", "start_year", "end_year", "perspective",
                      "description", "contributes_to": [codes], "sdg": [numbers], "sdg_targets": ["4.1"],
                      "child_rights", "documents": [keys], "example",
                      "indicators": [indicator], "activities": [activity], "children": [goal]}
    memberships      [{"user"*, "org"*, "role"*}]

Defaults that keep the files short:
- "example" is true: only content taken from a seed document says "example": false.
- A goal's organisation is its parent's; its plan is the organisation's plan for the goal's "year" (inherited from
  the parent, else the file's "default_year"), or the organisation's mandate-period plan covering that year.
- Codes follow the chain: a nämnd or bolag goal under KF1 is <org code>1.<n> (BUN1.1), deeper goals <parent>.<n>
  (BUN1.1.1), activities <parent>.A<n>. An explicit "code" wins.
- An indicator's baseline is its first full-year outcome unless "baseline": [year, value] (or null) is given.
  Outcomes are {"2024": value, "2025T1": value}; a value is a number, [total, women, men] or
  {"value", "women", "men", "comment"}. Targets are {"2025": value}.
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from styrning.models import MandatePeriod, Membership, Municipality, Organisation, SteeringDocument
from styrning.services import document_save, membership_grant, municipality_create, object_save, organisation_create

from .choices import PLAN_KIND_FOR_ORGANISATION, GoalKind, GoalLevel, OutcomePeriod, PlanKind
from .models import Goal, Indicator, Outcome, Plan, SdgGoal, SdgTarget, Target, Value
from .services import (
    goal_save,
    goal_set_relations,
    indicator_save,
    outcome_save,
    plan_adopt,
    plan_save,
    target_save,
    value_save,
    vision_save,
)

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"
REASON = "Demodata"
DEMO_PASSWORD = "demo"

# The demo users (DESIGN "Who uses it"): an administrator of every demo municipality, an official and a politician.
# Their memberships in a particular municipality are declared in that municipality's file.
DEMO_USERS = (
    {"username": "admin", "first_name": "Anna", "last_name": "Administratör", "is_staff": True, "is_superuser": True},
    {"username": "tjansteperson", "first_name": "Tove", "last_name": "Tjänsteperson"},
    {"username": "politiker", "first_name": "Per", "last_name": "Politiker"},
)
ADMIN_USERNAME = "admin"

_OUTCOME_KEY = re.compile(r"^(\d{4})(T1|T2)?$")


class DemoDataError(Exception):
    """A demo file that does not load, with the place in the file where it failed."""


@dataclass
class LoadResult:
    """What loading one municipality file did."""

    name: str
    slug: str
    created: bool
    counts: dict = field(default_factory=dict)


def demo_files(directory=DEMO_DIR):
    """The municipality files of the demo, in name order."""
    return sorted(Path(directory).glob("*.json"))


def read_demo_file(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def ensure_users():
    """Get or create the demo users; a password is set only when the user is created. Returns {username: (user,
    created)}."""
    User = get_user_model()
    users = {}
    for spec in DEMO_USERS:
        defaults = {k: v for k, v in spec.items() if k != "username"}
        user, created = User.objects.get_or_create(username=spec["username"], defaults=defaults)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[spec["username"]] = (user, created)
    return users


def ensure_memberships(municipality, data, *, users):
    """Grant the memberships the file declares, and an admin membership on KF to the admin user; only missing ones.

    Returns the number of memberships granted.
    """
    admin = users[ADMIN_USERNAME][0]
    wanted = [{"user": ADMIN_USERNAME, "org": "KF", "role": "admin"}, *data.get("memberships", [])]
    granted = 0
    for spec in wanted:
        user = users[spec["user"]][0]
        organisation = Organisation.objects.filter(municipality=municipality, code=spec["org"]).first()
        if organisation is None:
            raise DemoDataError(f"{municipality.slug}: behörighet: okänd organisation {spec['org']!r}")
        if Membership.objects.filter(user=user, organisation=organisation).exists():
            continue
        membership_grant(user=user, organisation=organisation, role=spec["role"], granted_by=admin, reason=REASON)
        granted += 1
    return granted


def municipality_counts(municipality):
    """The numbers the summary reports for a municipality."""
    goals = Goal.objects.filter(municipality=municipality)
    return {
        "organisations": Organisation.objects.filter(municipality=municipality).count(),
        "plans": Plan.objects.filter(organisation__municipality=municipality).count(),
        "goals": goals.exclude(kind__in=(GoalKind.VISION, GoalKind.ACTIVITY)).count(),
        "activities": goals.filter(kind=GoalKind.ACTIVITY).count(),
        "indicators": Indicator.objects.filter(goal__municipality=municipality).count(),
        "targets": Target.objects.filter(indicator__goal__municipality=municipality).count(),
        "outcomes": Outcome.objects.filter(indicator__goal__municipality=municipality).count(),
        "documents": SteeringDocument.objects.filter(municipality=municipality).count(),
    }


def load_demo(*, slugs=None, directory=DEMO_DIR, extensions=()):
    """Load every demo municipality (or those in `slugs`) that does not exist yet. Returns (results, users).

    `extensions` are the demo loaders of the apps above goals (`load_municipality(municipality, data, user=...)`,
    returning counts): each runs in the municipality's transaction and loads its own section of the file if the
    municipality does not have it yet, so a demo loaded before an app existed gains that app's content.
    """
    users = ensure_users()
    admin = users[ADMIN_USERNAME][0]
    results = []
    for path in demo_files(directory):
        data = read_demo_file(path)
        spec = data["municipality"]
        if slugs and spec["slug"] not in slugs:
            continue
        existing = Municipality.objects.filter(slug=spec["slug"]).first()
        extra_counts = {}
        with transaction.atomic():
            if existing is None:
                municipality = MunicipalityLoader(data, user=admin, source=path.name).load()
            else:
                municipality = existing
            ensure_memberships(municipality, data, users=users)
            for extend in extensions:
                try:
                    extra_counts.update(extend(municipality, data, user=admin))
                except ValidationError as exc:
                    raise DemoDataError(f"{path.name}: {exc}") from exc
        results.append(
            LoadResult(
                name=municipality.name,
                slug=municipality.slug,
                created=existing is None,
                counts={**municipality_counts(municipality), **extra_counts},
            )
        )
    return results, users


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _decimal(value):
    return None if value is None else Decimal(str(value))


def _example(spec, default=True):
    return bool(spec.get("example", default))


class MunicipalityLoader:
    """Creates one municipality from its demo file, in the order the model's rules need: organisations, periods,
    vision and values, documents, plans, goals with indicators, the goals' links, and last the plans' adoption."""

    def __init__(self, data, *, user, source=""):
        self.data = data
        self.user = user
        self.source = source
        self.municipality = None
        self.organisations = {}
        self.periods = {}
        self.documents = {}
        self.plans = {}  # (org code, year) or (org code, "MP", start year) -> Plan
        self.goals = {}  # code -> Goal
        self.relations = []  # (goal, spec) for the second pass
        self.default_year = data.get("default_year", 2025)
        self.sdg_goals = {g.number: g for g in SdgGoal.objects.all()}
        self.sdg_targets = {t.code: t for t in SdgTarget.objects.all()}

    # -- helpers -----------------------------------------------------------------------------------------------------

    def _fail(self, where, exc):
        if isinstance(exc, ValidationError):
            message = "; ".join(
                f"{name}: {' '.join(str(m) for m in msgs)}" for name, msgs in getattr(exc, "message_dict", {}).items()
            ) or " ".join(exc.messages)
        else:
            message = str(exc)
        raise DemoDataError(f"{self.source}: {where}: {message}") from exc

    def _org(self, code, where):
        try:
            return self.organisations[code]
        except KeyError:
            raise DemoDataError(f"{self.source}: {where}: okänd organisation {code!r}") from None

    # -- the walk ----------------------------------------------------------------------------------------------------

    @transaction.atomic
    def load(self):
        self._municipality()
        for spec in self.data.get("organisations", []):
            self._organisation(spec, parent=self.organisations["KF"])
        self._periods()
        self._vision_and_values()
        for spec in self.data.get("documents", []):
            self._document(spec)
        for spec in self.data.get("plans", []):
            self._plan(spec)
        vision = self.goals.get("VISION")
        for spec in self.data.get("goals", []):
            self._goal(spec, parent=vision, year=self.default_year)
        for goal, spec in self.relations:
            self._relations(goal, spec)
        for spec in self.data.get("plans", []):
            if spec.get("adopted"):
                self._adopt(spec)
        return self.municipality

    def _municipality(self):
        spec = self.data["municipality"]
        try:
            self.municipality = municipality_create(
                name=spec["name"],
                slug=spec["slug"],
                code=spec.get("code", ""),
                council_name=spec.get("council_name"),
                user=self.user,
                reason=REASON,
                is_example=_example(spec, default=False),
            )
        except ValidationError as exc:
            self._fail("kommunen", exc)
        council = Organisation.objects.get(municipality=self.municipality, parent=None)
        if self.data.get("council_mission"):
            council.mission = self.data["council_mission"]
            object_save(council, user=self.user, reason=REASON)
        self.organisations[council.code] = council

    def _organisation(self, spec, *, parent):
        try:
            org = organisation_create(
                municipality=self.municipality,
                parent=parent,
                user=self.user,
                reason=REASON,
                name=spec["name"],
                short_name=spec.get("short_name", ""),
                kind=spec["kind"],
                code=spec["code"],
                mission=spec.get("mission", ""),
                is_example=_example(spec),
            )
        except ValidationError as exc:
            self._fail(f"organisation {spec.get('code')}", exc)
        self.organisations[org.code] = org
        for child in spec.get("children", []):
            self._organisation(child, parent=org)

    def _periods(self):
        for start in self.data.get("mandate_periods", []):
            period = MandatePeriod(
                municipality=self.municipality, start_year=start, end_year=start + 3, is_example=False
            )
            try:
                self.periods[start] = object_save(period, user=self.user, reason=REASON)
            except ValidationError as exc:
                self._fail(f"mandatperiod {start}", exc)

    def _vision_and_values(self):
        spec = self.data.get("vision")
        if spec:
            try:
                self.goals["VISION"] = vision_save(
                    municipality=self.municipality,
                    statement=spec["statement"],
                    description=spec.get("description", ""),
                    valid_until=spec.get("valid_until"),
                    user=self.user,
                    reason=REASON,
                    is_example=_example(spec),
                )
            except ValidationError as exc:
                self._fail("visionen", exc)
        for position, spec in enumerate(self.data.get("values", []), start=1):
            value = Value(
                municipality=self.municipality,
                name=spec["name"],
                description=spec.get("description", ""),
                position=position,
                is_example=_example(spec),
            )
            try:
                value_save(value, user=self.user, reason=REASON)
            except ValidationError as exc:
                self._fail(f"värdeordet {spec['name']}", exc)

    def _document(self, spec):
        where = f"styrdokumentet {spec.get('key')}"
        document = SteeringDocument(
            municipality=self.municipality,
            organisation=self._org(spec["org"], where),
            title=spec["title"],
            kind=spec["kind"],
            summary=spec.get("summary", ""),
            decided_by=self._org(spec["decided_by"], where) if spec.get("decided_by") else None,
            decided_on=_date(spec.get("decided_on")),
            paragraph=spec.get("paragraph", ""),
            registration_number=spec.get("dnr", ""),
            valid_from=_date(spec.get("valid_from")),
            revision_due=_date(spec.get("revision_due")),
            url=spec.get("url", ""),
            is_example=_example(spec),
        )
        try:
            self.documents[spec["key"]] = document_save(document, user=self.user, reason=REASON)
        except ValidationError as exc:
            self._fail(where, exc)

    def _plan_key(self, spec):
        if spec.get("period"):
            return (spec["org"], "MP", spec["period"])
        return (spec["org"], spec["year"])

    def _plan(self, spec):
        where = f"planen {spec['org']} {spec.get('year') or spec.get('period')}"
        org = self._org(spec["org"], where)
        kind = PlanKind(PLAN_KIND_FOR_ORGANISATION[org.kind])
        period = None
        if spec.get("period"):
            period = self.periods.get(spec["period"])
            if period is None:
                raise DemoDataError(f"{self.source}: {where}: mandatperioden {spec['period']} saknas i filen")
        label = f"{period}" if period else str(spec["year"])
        title = spec.get("title") or f"{kind.label} {label} {org.name}"
        plan = Plan(
            organisation=org,
            kind=kind,
            year=None if period else spec["year"],
            mandate_period=period,
            title=title,
            description=spec.get("description", ""),
            is_example=_example(spec),
        )
        try:
            self.plans[self._plan_key(spec)] = plan_save(plan, user=self.user, reason=REASON)
        except ValidationError as exc:
            self._fail(where, exc)

    def _adopt(self, spec):
        where = f"beslutet om planen {spec['org']} {spec.get('year') or spec.get('period')}"
        decision = spec["adopted"]
        plan = self.plans[self._plan_key(spec)]
        try:
            plan_adopt(
                plan,
                user=self.user,
                decided_by=self._org(decision["by"], where),
                decided_on=_date(decision["on"]),
                paragraph=decision.get("paragraph", ""),
                registration_number=decision.get("dnr", ""),
                reason=REASON,
            )
        except ValidationError as exc:
            self._fail(where, exc)

    def _plan_for(self, org, year, where):
        plan = self.plans.get((org.code, year))
        if plan is None:
            for start, period in self.periods.items():
                if year in period and (org.code, "MP", start) in self.plans:
                    plan = self.plans[(org.code, "MP", start)]
                    break
        if plan is None:
            raise DemoDataError(f"{self.source}: {where}: {org.code} saknar plan för {year}")
        return plan

    def _next_code(self, parent, org, *, activity=False):
        """The code by the chain's numbering (see the module docstring)."""
        if activity:
            prefix = f"{parent.code}.A"
        elif parent.level == GoalLevel.MUNICIPAL:
            number = re.sub(r"^[^\d]*", "", parent.code)
            prefix = f"{org.code}{number}."
        else:
            prefix = f"{parent.code}."
        n = 1
        while f"{prefix}{n}" in self.goals:
            n += 1
        return f"{prefix}{n}"

    def _goal(self, spec, *, parent, year, activity=False):
        year = spec.get("year", year)
        org = (
            self._org(spec["org"], f"målet {spec.get('title', '')[:40]!r}") if spec.get("org") else parent.organisation
        )
        code = spec.get("code") or self._next_code(parent, org, activity=activity)
        where = f"målet {code}"
        if code in self.goals:
            raise DemoDataError(f"{self.source}: {where}: koden används redan")
        if activity:
            kind = GoalKind.ACTIVITY
        elif org.kind == "council":
            kind = spec.get("kind", GoalKind.DIRECTION)
        else:
            kind = GoalKind.GOAL
        goal = Goal(
            municipality=self.municipality,
            parent=parent,
            organisation=org,
            plan=self._plan_for(org, year, where),
            kind=kind,
            code=code,
            title=spec["title"],
            description=spec.get("description", ""),
            perspective=spec.get("perspective", ""),
            start_year=spec.get("start_year"),
            end_year=spec.get("end_year"),
            child_rights=bool(spec.get("child_rights", False)),
            is_example=_example(spec),
        )
        if activity:
            goal.responsible = spec.get("responsible", "")
            goal.start_date = _date(spec.get("start"))
            goal.end_date = _date(spec.get("end"))
            goal.activity_status = spec.get("status", "not_started")
        try:
            goal = goal_save(goal, user=self.user, reason=REASON)
        except ValidationError as exc:
            self._fail(where, exc)
        self.goals[code] = goal
        if any(spec.get(k) for k in ("contributes_to", "sdg", "sdg_targets", "documents")):
            self.relations.append((goal, spec))
        for indicator in spec.get("indicators", []):
            self._indicator(indicator, goal=goal)
        for child in spec.get("children", []):
            self._goal(child, parent=goal, year=year)
        for child in spec.get("activities", []):
            self._goal(child, parent=goal, year=year, activity=True)
        return goal

    def _relations(self, goal, spec):
        where = f"målet {goal.code}"
        try:
            contributes_to = [self.goals[c] for c in spec.get("contributes_to", [])]
            sdg_goals = [self.sdg_goals[n] for n in spec.get("sdg", [])]
            sdg_targets = [self.sdg_targets[c] for c in spec.get("sdg_targets", [])]
            documents = [self.documents[k] for k in spec.get("documents", [])]
        except KeyError as exc:
            raise DemoDataError(f"{self.source}: {where}: okänd referens {exc}") from None
        # A delmål implies its goal, so the goal is listed too (the filters search either).
        for target in sdg_targets:
            if target.goal not in sdg_goals:
                sdg_goals.append(target.goal)
        try:
            goal_set_relations(
                goal, contributes_to=contributes_to, sdg_goals=sdg_goals, sdg_targets=sdg_targets, documents=documents
            )
        except ValidationError as exc:
            self._fail(where, exc)

    def _indicator(self, spec, *, goal):
        where = f"indikatorn {spec.get('name', '')!r} på {goal.code}"
        example = _example(spec)
        outcomes = []
        for key, raw in spec.get("outcomes", {}).items():
            match = _OUTCOME_KEY.match(key)
            if match is None:
                raise DemoDataError(f"{self.source}: {where}: ogiltig utfallsperiod {key!r}")
            outcomes.append((int(match.group(1)), match.group(2) or OutcomePeriod.YEAR, *_outcome_values(raw)))
        baseline = spec.get("baseline", "auto")
        if baseline == "auto":
            yearly = sorted(o for o in outcomes if o[1] == OutcomePeriod.YEAR)
            baseline = [yearly[0][0], yearly[0][2]] if yearly else None
        indicator = Indicator(
            goal=goal,
            name=spec["name"],
            description=spec.get("description", ""),
            unit=spec.get("unit", ""),
            direction=spec.get("direction", "increase"),
            baseline_year=baseline[0] if baseline else None,
            baseline_value=_decimal(baseline[1]) if baseline else None,
            kolada_id=spec.get("kolada", ""),
            source=spec.get("source", "Kolada" if spec.get("kolada") else ""),
            by_sex=bool(spec.get("by_sex", False)),
            tolerance_percent=_decimal(spec.get("tolerance", 10)),
            is_example=example,
        )
        try:
            indicator = indicator_save(indicator, user=self.user, reason=REASON)
            for year, value in spec.get("targets", {}).items():
                target = Target(indicator=indicator, year=int(year), value=_decimal(value), is_example=example)
                target_save(target, user=self.user, reason=REASON)
            for year, period, value, women, men, comment in outcomes:
                outcome = Outcome(
                    indicator=indicator,
                    year=year,
                    period=period,
                    value=_decimal(value),
                    value_women=_decimal(women),
                    value_men=_decimal(men),
                    comment=comment,
                    is_example=example,
                )
                outcome_save(outcome, user=self.user, reason=REASON)
        except ValidationError as exc:
            self._fail(where, exc)


def _outcome_values(raw):
    """(value, women, men, comment) from a number, a [total, women, men] list or a dict."""
    if isinstance(raw, dict):
        return raw["value"], raw.get("women"), raw.get("men"), raw.get("comment", "")
    if isinstance(raw, list):
        return raw[0], raw[1], raw[2], ""
    return raw, None, None, ""
