"""
The demo: the seed municipalities (Vaggeryd, Säter, Vimmerby, Skara) with their organisations, vision, värdegrund,
styrdokument, plans, goal chain, indicators, targets and outcomes, plus three demo users.

Each municipality has two files, and nothing is written in both:
- `fixtures/<slug>.xlsx`, an import workbook: everything the spreadsheet import moves (the sheets Organisationer,
  Planer, Mål, Indikatorer and Utfall of the goal chain, and the sheets of the apps above it: Uppdrag,
  Uppdragsbelopp, Ramar, Ramjusteringar). It is loaded through the import itself (goals.importing, the service behind
  the import page), so the demo proves the import: rows are validated and written as an upload's are, with history
  rows that give the reason "Import av <slug>.xlsx". A workbook with an error stops the demo with the import's own
  messages ("Blad Mål, rad 14, kolumn Överordnad kod: …").
- `fixtures/demo/<slug>.json`: what the import does not move, loaded through the services around the import.

The JSON file's format (every key optional unless marked *):

    municipality*    {"name"*, "slug"*, "code", "council_name", "example"}
    mandate_periods  [2019, 2023]                 first years of the four-year periods the plans name
    values           [{"name"*, "description", "example"}]                   the värdegrund
    documents        [{"key"*, "title"*, "kind"*, "org"*, "decided_by", "decided_on", "paragraph", "dnr",
                       "valid_from", "revision_due", "summary", "url", "example", "goals": [goal codes]}]
    memberships      [{"user"*, "org"*, "role"*}]
    (the apps above goals read their own sections, e.g. "assignments" and "budget")

"example" is true unless the file says false: only content taken from a seed document says "example": false. In the
workbook every row has its own Exempeldata column.

The order follows what refers to what: the municipality (with kommunfullmäktige, whose row in the workbook gives its
mission) and its mandate periods, then the goal chain's sheets of the workbook, then the värdegrund and the
styrdokument linked to the imported goals. The apps' loaders (`load_municipality`, see load_demo) import their own
sheets of the workbook afterwards with `import_workbook_sheets` and add what their JSON sections hold around them.

Loading is idempotent: a municipality whose slug already exists is skipped, users are fetched or created, and
memberships are granted only when missing. Each municipality loads in its own transaction, so a bad file leaves
nothing half-saved.
"""

import datetime
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from styrning import spreadsheets
from styrning.models import MandatePeriod, Membership, Municipality, Organisation, SteeringDocument
from styrning.services import document_save, membership_grant, municipality_create, object_save

from . import importing
from .choices import GoalKind
from .models import Goal, Indicator, Outcome, Plan, Target, Value
from .services import goal_set_relations, value_save

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
DEMO_DIR = FIXTURES_DIR / "demo"
REASON = "Demodata"
DEMO_PASSWORD = "demo"
MAX_LISTED_PROBLEMS = 20  # a broken workbook lists its first problems, then how many more there are

# The demo users (DESIGN "Who uses it"): an administrator of every demo municipality, an official and a politician.
# Their memberships in a particular municipality are declared in that municipality's file.
DEMO_USERS = (
    {"username": "admin", "first_name": "Anna", "last_name": "Administratör", "is_staff": True, "is_superuser": True},
    {"username": "tjansteperson", "first_name": "Tove", "last_name": "Tjänsteperson"},
    {"username": "politiker", "first_name": "Per", "last_name": "Politiker"},
)
ADMIN_USERNAME = "admin"


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


# --- The workbooks -----------------------------------------------------------------------------------------------


def workbook_path(slug):
    """The import workbook of the demo municipality `slug`."""
    return FIXTURES_DIR / f"{slug}.xlsx"


@functools.lru_cache(maxsize=8)
def _read_workbook(path, _modified):
    """The workbook at `path`, read once per version of the file (the apps import it a few sheets at a time)."""
    try:
        return spreadsheets.read_file(Path(path).read_bytes(), Path(path).name)
    except spreadsheets.SpreadsheetError as error:
        raise DemoDataError(f"{Path(path).name}: {error.message}") from None


def read_workbook(slug):
    """The demo workbook of `slug` as read by the import (a spreadsheets.Workbook); DemoDataError if it is missing."""
    path = workbook_path(slug)
    if not path.exists():
        raise DemoDataError(f"{path.name}: importfilen saknas i {path.parent}")
    return _read_workbook(str(path), path.stat().st_mtime_ns)


def workbook_part(workbook, *, sheets, rows=None):
    """The sheets of `workbook` named in `sheets` (those the workbook has), with only the rows for which
    `rows(sheet_name, {header: cell})` is true when `rows` is given. Row numbers stay those of the file, so the
    import's messages point at the workbook's own rows."""
    wanted = {name.casefold() for name in sheets}
    part = []
    for sheet in workbook.sheets:
        if sheet.name.casefold() not in wanted:
            continue
        kept = sheet.rows
        if rows is not None:
            kept = [(n, c) for n, c in sheet.rows if rows(sheet.name, dict(zip(sheet.headers, c, strict=True)))]
        part.append(spreadsheets.Sheet(name=sheet.name, headers=sheet.headers, rows=kept, header_row=sheet.header_row))
    return spreadsheets.Workbook(format=workbook.format, sheets=part)


def import_workbook_sheets(municipality, *, user, sheets, rows=None):
    """Import the sheets `sheets` of the municipality's demo workbook (only the rows `rows` keeps, see
    `workbook_part`) through the import service the import page uses, as `user`, with the history reason
    "Import av <slug>.xlsx".

    The import runs as an upload's confirmation does: the rows are checked and written in one transaction that is
    kept only when no row has an error. An error raises DemoDataError with the import's messages, naming sheet, row
    and column. Returns the ImportReport, or None when the workbook has no such rows. The workbooks are Swedish, so
    they are read with Swedish column names whatever language is active.
    """
    part = workbook_part(read_workbook(municipality.slug), sheets=sheets, rows=rows)
    if not any(sheet.rows for sheet in part.sheets):
        return None
    filename = workbook_path(municipality.slug).name
    with translation.override("sv"):
        report = importing.import_workbook(
            workbook=part, filename=filename, municipality=municipality, user=user, commit=True
        )
        problems = [str(problem) for problem in report.all_errors]
    if problems:
        listed = problems[:MAX_LISTED_PROBLEMS]
        if len(problems) > len(listed):
            listed.append(f"… och {len(problems) - len(listed)} fel till")
        raise DemoDataError(f"{filename} kan inte läsas in:\n" + "\n".join(listed))
    return report


def goal_chain_sheets():
    """The sheets of the goal chain (Organisationer, Planer, Mål, Indikatorer, Utfall): the resources of this app."""
    return [cls.sheet_name for cls in importing.sheet_resources() if cls.__module__ == f"{__package__}.resources"]


# --- Users -------------------------------------------------------------------------------------------------------


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


# --- Loading -----------------------------------------------------------------------------------------------------


def load_demo(*, slugs=None, directory=DEMO_DIR, extensions=()):
    """Load every demo municipality (or those in `slugs`) that does not exist yet. Returns (results, users).

    `extensions` are the demo loaders of the apps above goals (`load_municipality(municipality, data, user=...)`,
    returning counts): each runs in the municipality's transaction and loads its own section of the files (its
    sheets of the workbook, its section of the JSON file) if the municipality does not have it yet, so a demo loaded
    before an app existed gains that app's content.
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
                    raise DemoDataError(f"{path.name}: {'; '.join(exc.messages)}") from exc
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


def _example(spec, default=True):
    return bool(spec.get("example", default))


class MunicipalityLoader:
    """Creates one municipality: the municipality and its mandate periods from its JSON file, the goal chain from its
    workbook through the import, then the värdegrund and the styrdokument (linked to the imported goals)."""

    def __init__(self, data, *, user, source=""):
        self.data = data
        self.user = user
        self.source = source
        self.municipality = None
        self.organisations = {}

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

    @transaction.atomic
    def load(self):
        self.create()
        self.import_goal_chain()
        self.organisations = {o.code: o for o in Organisation.objects.filter(municipality=self.municipality)}
        self._values()
        self._documents()
        return self.municipality

    def create(self):
        """The municipality (with kommunfullmäktige, the root the workbook's organisations hang under) and the mandate
        periods that the workbook's plans name."""
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
        for start in self.data.get("mandate_periods", []):
            period = MandatePeriod(
                municipality=self.municipality, start_year=start, end_year=start + 3, is_example=False
            )
            try:
                object_save(period, user=self.user, reason=REASON)
            except ValidationError as exc:
                self._fail(f"mandatperiod {start}", exc)
        return self.municipality

    def import_goal_chain(self):
        """Import the goal chain's sheets of the workbook (see `import_workbook_sheets`); returns the report."""
        return import_workbook_sheets(self.municipality, user=self.user, sheets=goal_chain_sheets())

    def _values(self):
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

    def _documents(self):
        goals = {g.code: g for g in Goal.objects.filter(municipality=self.municipality)}
        linked = {}  # goal code -> its documents
        for spec in self.data.get("documents", []):
            document = self._document(spec)
            for code in spec.get("goals", []):
                if code not in goals:
                    raise DemoDataError(f"{self.source}: styrdokumentet {spec['key']}: okänt mål {code!r}")
                linked.setdefault(code, []).append(document)
        for code, documents in linked.items():
            try:
                goal_set_relations(goals[code], documents=documents)
            except ValidationError as exc:
                self._fail(f"målet {code}", exc)

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
            return document_save(document, user=self.user, reason=REASON)
        except ValidationError as exc:
            self._fail(where, exc)
