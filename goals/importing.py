"""
Spreadsheet import and export of a municipality's data (the services behind the import page).

The engine is generic; each kind of row is a `SheetResource` (a django-import-export ModelResource whose fields name
the Swedish columns) registered under its sheet name. The goal chain registers its kinds in `goals/resources.py`; the
apps above it (assignments, budget …) register theirs in their own `resources.py` with `@register`, and
`sheet_resources()` finds them through Django's module autodiscovery, so this module never imports them.

Import, in two steps that run the same code:
1. Preview (`import_file(..., commit=False)`): read the file, bind each sheet to its kind, parse every row with the
   resource's widgets, match rows by their key (a code, or e.g. goal code + indicator name) within the municipality,
   and write every row through the services inside one transaction that is then rolled back. The report counts new,
   changed, unchanged and erroneous rows per sheet, lists the changed fields old → new and every problem as
   "Blad Mål, rad 14, kolumn Överordnad kod: koden KF9 finns inte". Nothing is kept.
2. Commit (`commit=True`): the same run, kept when there is no error; on any error everything is rolled back. Every
   created or changed object is validated by the model (`full_clean`) and gets a history row with the user and the
   reason "Import av <filnamn>".

Tree sheets (organisations, goals) are written parents first: rows are ordered by their depth in the tree that the
database and the file describe together, and cycles are refused before anything is written.

How rows are written: a resource with `bulk = True` (the goal chain's organisations, goals, indicators with targets and
outcomes) queues its rows on a `BulkWriter`, which numbers the trees in memory, checks every object as `object_save`
would and writes them in bulk with their history when the sheet has been read (50,000 goals in about half a minute
instead of an hour). Other resources (plans, and those of the apps above) save each row through their services. The
messages are the same either way.

Large files (more than IMPORT_ASYNC_ROWS rows) are previewed and imported by a Celery task with the same
`import_file` (see "Large files" at the end; goals.import_jobs queues them): the page shows an ImportJob's progress and
then its report.
"""

import contextlib
import datetime
import functools
import hashlib
import io
import logging
import re
import time
import uuid
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Max
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from import_export import resources
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from styrning import spreadsheets
from styrning.models import Organisation
from styrning.permissions import ADMIN, VIEW, can
from styrning.services import history_reason

from .models import ImportJob

INSTRUCTIONS_SHEET = "Instruktioner"
PROGRESS_SECONDS = 0.5  # how often a running import reports its progress

# --- The registry --------------------------------------------------------------------------------------------------

_REGISTRY = {}
_discovered = False


def register(resource_class):
    """Register a SheetResource under its sheet name (usable as a class decorator in an app's resources.py)."""
    if not resource_class.sheet_name:
        raise ValueError(f"{resource_class.__name__} has no sheet_name")
    existing = _REGISTRY.get(resource_class.sheet_name)
    if existing is not None and _qualified(existing) != _qualified(resource_class):
        raise ValueError(f"The sheet {resource_class.sheet_name!r} is already registered by {existing!r}")
    _REGISTRY[resource_class.sheet_name] = resource_class
    return resource_class


def _qualified(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def sheet_resources():
    """The registered resource classes in import order (organisations before plans before goals …)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("resources")
        _discovered = True
    return sorted(_REGISTRY.values(), key=lambda r: (r.order, r.sheet_name))


def resource_for_slug(slug):
    """The resource class whose sheet has `slug` (e.g. "mal" for Mål), or None."""
    return next((r for r in sheet_resources() if r.slug() == slug), None)


# --- Problems and the report ---------------------------------------------------------------------------------------


@dataclass
class Problem:
    """One error or warning, placed as precisely as known: sheet, spreadsheet row, column."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self):
        if self.sheet and self.row and self.column:
            return _("Blad %(sheet)s, rad %(row)s, kolumn %(column)s: %(message)s") % self.__dict__
        if self.sheet and self.row:
            return _("Blad %(sheet)s, rad %(row)s: %(message)s") % self.__dict__
        if self.sheet:
            return _("Blad %(sheet)s: %(message)s") % self.__dict__
        return self.message


@dataclass
class RowReport:
    """A new or changed row: its number, what it is, and the changed columns as (column, old, new)."""

    row: int
    label: str
    status: str  # "new" or "changed"
    changes: list = field(default_factory=list)


@dataclass
class SheetReport:
    name: str
    total: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    error_rows: set = field(default_factory=set)

    @property
    def erroneous(self):
        """The number of rows with at least one error."""
        return len(self.error_rows)

    @property
    def row_count(self):
        """The number of new and changed rows (the preview lists the first few hundred)."""
        return len(self.rows)

    def error(self, message, row=None, column=None):
        self.errors.append(Problem(message=message, sheet=self.name, row=row, column=column))
        if row:
            self.error_rows.add(row)


class SheetTotals:
    """The counts of all sheets, for a report and for a report read back from a job."""

    def total(self, attr):
        return sum(getattr(s, attr) for s in self.sheets)

    @property
    def new(self):
        return self.total("new")

    @property
    def changed(self):
        return self.total("changed")

    @property
    def unchanged(self):
        return self.total("unchanged")


@dataclass
class ImportReport(SheetTotals):
    """What an import did (or would do): the sheets read, their counts, changes and problems."""

    filename: str
    format: str = ""
    sheets: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    committed: bool = False

    @property
    def has_errors(self):
        return bool(self.errors) or any(s.errors for s in self.sheets)

    @property
    def all_errors(self):
        return [*self.errors, *(e for s in self.sheets for e in s.errors)]

    @property
    def all_warnings(self):
        return [*self.warnings, *(w for s in self.sheets for w in s.warnings)]

    @property
    def erroneous(self):
        return self.total("erroneous")

    @property
    def error_count(self):
        return len(self.errors) + sum(len(s.errors) for s in self.sheets)

    def summary(self, *, max_errors=500, max_rows=300):
        """The report as JSON-able data for a background job's page (ImportSummary reads it back): the counts, the
        first `max_errors` problems and the first `max_rows` new and changed rows of each sheet."""
        return {
            "filename": self.filename,
            "format": self.format,
            "committed": self.committed,
            "errors": [str(e) for e in self.errors],
            "all_errors": [str(e) for e in self.all_errors[:max_errors]],
            "error_count": self.error_count,
            "warnings": [str(w) for w in self.all_warnings],
            "sheets": [
                {
                    "name": str(s.name),
                    "total": s.total,
                    "new": s.new,
                    "changed": s.changed,
                    "unchanged": s.unchanged,
                    "erroneous": s.erroneous,
                    "row_count": s.row_count,
                    "rows": [
                        {
                            "row": r.row,
                            "label": str(r.label),
                            "status": r.status,
                            "changes": [[str(part) for part in change] for change in r.changes],
                        }
                        for r in s.rows[:max_rows]
                    ],
                }
                for s in self.sheets
            ],
        }


class ImportSummary(SheetTotals):
    """An ImportReport read back from `ImportReport.summary()` (a job's result): what the report template reads."""

    def __init__(self, data):
        self.filename = data.get("filename", "")
        self.format = data.get("format", "")
        self.committed = data.get("committed", False)
        self.errors = data.get("errors", [])
        self.all_errors = data.get("all_errors", [])
        self.error_count = data.get("error_count", len(self.all_errors))
        self.all_warnings = data.get("warnings", [])
        self.sheets = []
        for sheet in data.get("sheets", []):
            rows = [SimpleNamespace(**{**r, "changes": [tuple(c) for c in r["changes"]]}) for r in sheet["rows"]]
            self.sheets.append(SimpleNamespace(**{**sheet, "rows": rows}))

    @property
    def has_errors(self):
        return bool(self.error_count)


# --- The context of one import -------------------------------------------------------------------------------------


class ImportContext:
    """
    What the rows of one import share: the municipality, the user, the history reason, lookup indexes (loaded once,
    reloaded after a sheet has written) and the keys of rows that failed, so that a reference to them says so.
    """

    def __init__(self, *, municipality, user, reason, progress=None):
        self.municipality = municipality
        self.user = user
        self.reason = reason
        self._cache = {}
        self.failed = {}  # (kind, key) -> Problem location text
        self.file_keys = defaultdict(set)  # kind -> keys of the rows in the file
        self.deferred = []  # callables run after every sheet (links to rows further down the file)
        # Progress: rows read and checked, rows written (or settled: unchanged, refused), of all the file's rows.
        self.progress = progress
        self.rows_total = 0
        self.rows_checked = 0
        self.rows_saved = 0
        self._reported = 0.0

    def advance(self, *, checked=0, saved=0, force=False):
        """Count rows checked and saved; tell `progress(checked=, saved=, total=)` at most every PROGRESS_SECONDS."""
        self.rows_checked += checked
        self.rows_saved += saved
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self._reported >= PROGRESS_SECONDS:
            self._reported = now
            self.progress(checked=self.rows_checked, saved=self.rows_saved, total=self.rows_total)

    def cached(self, name, loader):
        """The value of `loader(self)` under `name`, computed once until `forget_all`."""
        if name not in self._cache:
            self._cache[name] = loader(self)
        return self._cache[name]

    def forget_all(self):
        """Drop every index (after a sheet has written, so the next sheet sees fresh rows and tree numbers)."""
        self._cache.clear()

    def organisations_changed(self):
        """The organisation tree's numbers moved: the user's cached permission scope (styrning.permissions keeps it on
        the user object for the request) holds stale numbers, so let the next check load it afresh (one query)."""
        self.user.__dict__.pop("_styrning_scope", None)

    def fail(self, kind, key, sheet, row):
        self.failed[(kind, key)] = _("blad %(sheet)s, rad %(row)s") % {"sheet": sheet, "row": row}

    def missing(self, kind, code, *, model=None, what=None):
        """The message for a reference to `code` that is not found: failed in this file, in another municipality the
        user may or may not see, or nowhere."""
        where = self.failed.get((kind, code))
        if where:
            return _("koden %(code)s har fel i filen (%(where)s)") % {"code": code, "where": where}
        if model is not None:
            other = (
                model.objects.filter(code=code)
                .exclude(municipality=self.municipality)
                .select_related("municipality")
                .first()
            )
            if other is not None:
                if can(self.user, other.municipality, VIEW):
                    return _("koden %(code)s hör till en annan kommun (%(municipality)s)") % {
                        "code": code,
                        "municipality": other.municipality.name,
                    }
                return _("koden %(code)s hör till en annan kommun") % {"code": code}
        if what:
            return _("det finns ingen %(what)s med koden %(code)s") % {"what": what, "code": code}
        return _("koden %(code)s finns inte") % {"code": code}


# --- Sheet resources -----------------------------------------------------------------------------------------------


class SheetResource(resources.ModelResource):
    """
    The base of every importable kind: a ModelResource whose declared fields are the sheet's columns (their
    `column_name` is the Swedish header), plus what the engine needs to match, order, validate and save rows.

    Subclasses set the class attributes and implement `export_queryset`, `find`, `new_instance`, `apply` and `save`
    (or, with `bulk = True`, `stage`).
    """

    sheet_name = ""  # the sheet's name in a workbook and in messages, e.g. "Mål"
    order = 100  # import order: lower first (what others refer to comes first)
    # The kind of the rows' keys in references and messages, e.g. "goal". (Not "kind": a column of that name, as
    # the goal and organisation sheets have, would take its place in the class.)
    reference_kind = ""
    key_fields = ()  # field names whose values identify a row within the municipality
    required_columns = ()  # field names whose columns a file must have
    required_values = ()  # field names that must have a value on every row
    tree_parent_field = None  # in a tree sheet: the field holding the parent's key
    virtual_fields = ()  # fields that are not model attributes (links, targets): see current/new_display
    instructions = ""  # a paragraph for the instructions sheet
    column_help = {}  # field name -> what the column holds, for the instructions sheet
    # True: the rows are not saved one at a time; `stage` queues their objects and a BulkWriter validates and writes
    # them when the sheet has been read (tree sheets numbered in memory). Validation and messages are the same.
    bulk = False

    # --- Columns ----------------------------------------------------------------------------------------------------

    @classmethod
    def slug(cls):
        return slugify(cls.sheet_name.replace("å", "a").replace("ä", "a").replace("ö", "o"))

    def columns(self):
        """(field name, Field) in sheet order."""
        names = list(self.get_export_order())
        return [(name, self.fields[name]) for name in names if name in self.fields]

    def column_name(self, name):
        return self.fields[name].column_name

    def dynamic_field(self, header):
        """A field for a header that only some files have (e.g. "Målvärde 2027"), or None."""
        return None

    def add_export_fields(self, municipality):
        """Add the dynamic fields an export of `municipality` needs (e.g. one column per target year)."""

    def add_template_fields(self):
        """Add the dynamic fields the template shows."""

    # --- Export -----------------------------------------------------------------------------------------------------

    def export_queryset(self, municipality):
        raise NotImplementedError

    def export_sheet(self, municipality):
        """The municipality's rows of this kind as an OutputSheet (native values; neutralised by the writer)."""
        self.add_export_fields(municipality)
        columns = self.columns()
        rows = []
        for obj in self.export_queryset(municipality):
            rows.append([self.export_value(name, f, obj) for name, f in columns])
        return spreadsheets.OutputSheet(name=self.sheet_name, headers=[f.column_name for _n, f in columns], rows=rows)

    def export_value(self, name, f, obj):
        method = getattr(self, f"dehydrate_{name}", None)
        value = method(obj) if method else f.export(obj)
        return None if value == "" else value

    def example_rows(self):
        """Example rows for the template: dicts of field name -> value."""
        return []

    def template_sheet(self):
        self.add_template_fields()
        columns = self.columns()
        rows = [[row.get(name) for name, _f in columns] for row in self.example_rows()]
        return spreadsheets.OutputSheet(name=self.sheet_name, headers=[f.column_name for _n, f in columns], rows=rows)

    def instruction_rows(self):
        """(sheet, column, required, description) rows for the instructions sheet."""
        rows = [[self.sheet_name, "", "", self.instructions]]
        for name, f in self.columns():
            required = _("Ja") if name in self.required_columns else ""
            rows.append([self.sheet_name, f.column_name, required, str(self.column_help.get(name, ""))])
        return rows

    # --- Import hooks -----------------------------------------------------------------------------------------------

    def key_of(self, values):
        return tuple(values.get(name) for name in self.key_fields)

    def describe(self, key, values):
        """How a row is named in the preview, e.g. "KF1 Hållbar samhällsutveckling"."""
        return " / ".join(str(k) for k in key)

    def duplicate_message(self, key, first_row):
        names = [str(self.column_name(n)) for n in self.key_fields]
        columns = _("%(first)s och %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}
        return _("raden finns redan på rad %(row)s (samma %(columns)s)") % {"row": first_row, "columns": columns}

    def tree_parents(self, ctx):
        """Tree sheets: {key: parent key} as the database has it."""
        return {}

    def find(self, ctx, key):
        raise NotImplementedError

    def new_instance(self, ctx, values):
        raise NotImplementedError

    def apply(self, ctx, instance, values):
        """Set the row's values on the instance, resolving references; raise ValidationError keyed by field name."""
        raise NotImplementedError

    def save(self, ctx, instance, values, *, created, changed, row):
        """Write the row through the services (validation, history); raise ValidationError to refuse it."""
        raise NotImplementedError

    def stage(self, ctx, instance, values, *, created, changed, row, writer):
        """Bulk resources: queue the row's objects with `writer.add` (written in that order) instead of saving them.

        The default queues the instance. Register a new object in the lookup indexes here, as `save` does, so that
        the rows below can refer to it.
        """
        writer.add(instance)

    def bulk_saved(self, ctx, rows):
        """Bulk resources: called once the sheet's objects are written, with the row numbers whose writes succeeded
        (links that need the new primary keys go here)."""

    def tree_nodes(self, ctx):
        """Bulk tree sheets: the municipality's existing nodes as loaded in the lookup index (numbered in place)."""
        return ()

    def after_sheet(self, ctx, report):
        """Called when every row of the sheet has been handled."""

    def owner_label(self, instance):
        """The organisation a row belongs to, for the permission message."""
        return ""

    def may_write(self, ctx, instance):
        return can(ctx.user, instance, ADMIN)

    def warn(self, message):
        """Warn about the row being imported (from `apply` or `save`): the preview shows it with its sheet and row."""
        report = getattr(self, "report", None)
        if report is not None:
            report.warnings.append(Problem(message=message, sheet=report.name, row=getattr(self, "current_row", None)))

    # --- Values for the diff ----------------------------------------------------------------------------------------

    def current_display(self, ctx, name, instance):
        """The instance's value of a column as text (for the old → new diff)."""
        f = self.fields[name]
        return spreadsheets.display(f.widget.render(f.get_value(instance)))

    def new_display(self, ctx, name, instance, values):
        """The value after the row is applied (virtual fields override this to read `values`)."""
        return self.current_display(ctx, name, instance)

    def set_attributes(self, instance, values, names):
        """Copy plain values onto the instance; an empty cell gives a non-null field its default (or "")."""
        opts = instance._meta
        for name in names:
            if name not in values:
                continue
            attribute = self.fields[name].attribute
            value = values[name]
            if value is None:
                model_field = opts.get_field(attribute)
                if not model_field.null:
                    value = model_field.get_default() if model_field.has_default() else ""
            setattr(instance, attribute, value)


class CodeWidget(spreadsheets.TextWidget):
    """A reference by code (organisation, goal): cleaned to the code text, resolved by the resource in `apply`;
    renders an object as its code."""

    def render(self, value, obj=None, **kwargs):
        if value is None or value == "":
            return ""
        return getattr(value, "code", value)


class CodeListWidget(spreadsheets.TextWidget):
    """A list of codes ("KF1, KF2"), cleaned to a sorted tuple; renders a list or manager of objects as codes."""

    def __init__(self, *, attribute="code", sort_key=None):
        super().__init__()
        self.attribute = attribute
        self.sort_key = sort_key or (lambda code: code)

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        codes = [c for c in re.split(r"[,;\s]+", text) if c]
        return tuple(sorted(set(codes), key=self.sort_key))

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        if hasattr(value, "all"):
            value = value.all()
        codes = [c if isinstance(c, str) else str(getattr(c, self.attribute)) for c in value]
        return ", ".join(sorted(set(codes), key=self.sort_key))


# --- Bulk writing --------------------------------------------------------------------------------------------------

BULK_BATCH_SIZE = 500  # rows per INSERT statement
BULK_UPDATE_BATCH_SIZE = 200  # rows per UPDATE statement (Django writes one CASE per field: keep them short)
BULK_CHUNK_SIZE = 5_000  # objects per bulk_create_with_history call: bounds the history instances held at once


def _concrete_values(obj):
    """{attname: value} of the object's concrete fields: what a changed row is compared with to find what to write."""
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@functools.cache
def _foreign_keys(model):
    return tuple(f for f in model._meta.concrete_fields if f.is_relation and f.many_to_one)


def _cached_target(obj, f):
    """The object a foreign key holds in memory (None if it holds only an id or nothing)."""
    return f.get_cached_value(obj, default=None) if f.is_cached(obj) else None


def _point_at_saved(obj):
    """Set the foreign key ids of objects that were new when assigned and have been saved since."""
    for f in _foreign_keys(type(obj)):
        target = _cached_target(obj, f)
        if target is not None and target.pk is not None and getattr(obj, f.attname) != target.pk:
            setattr(obj, f.name, target)


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(eq=False)
class _Write:
    """One object that a row of a bulk sheet inserts or updates."""

    obj: object
    pending: object  # the _PendingRow it belongs to
    created: bool
    fields: set = field(default_factory=set)  # updates: the attnames that change
    error_field: str | None = None  # report the object's validation errors under this resource field
    needs: list = field(default_factory=list)  # writes of the new objects it points to, saved before it
    depth: int = 0  # an object comes after the new objects of other rows it points to (a new parent)
    step: int = 0  # and after the objects of its own row it points to (an indicator's targets after it)


@dataclass(eq=False)
class _PendingRow:
    """A row of a bulk sheet whose objects wait for the end of the sheet, and its report line if they are written."""

    number: int
    key_ref: object
    line: RowReport
    instance: object
    snapshot: dict | None
    writes: list = field(default_factory=list)
    failed: bool = False

    @property
    def depth(self):
        return max((w.depth for w in self.writes), default=0)


@dataclass(eq=False)
class _TreeNode:
    parent: object  # the handle of the parent: a primary key, or ("new", id(object)) of a new node
    key: str  # the order_insertion_by value
    new: bool
    order: tuple  # ties between equal keys: existing nodes in their current order, then new ones in file order
    obj: object = None
    numbers: tuple = ()  # (tree_id, lft, rght, level) in the database before the import


class BulkWriter:
    """
    The writes of a bulk sheet (a SheetResource with `bulk = True`), carried out once every row has been read, so that
    a file of tens of thousands of rows takes seconds instead of minutes.

    Each row's `stage` queues its objects with `add`. At the end of the sheet `flush`:

    1. Tree sheets (organisations, goals): numbers the whole tree in memory as MPTT would number it after these rows
       (tree_id, lft, rght and level, siblings in `order_insertion_by` order as the database sorts text; a new tree gets
       the next free tree_id), locks the tree's rows, and updates the existing nodes whose numbers change in one pass.
       The numbers carry no history, as with MPTT's own shifts. Inserting the nodes one at a time would renumber the
       tree for every node (about 100 ms each on a large tree, DESIGN.md).
    2. Level by level (a new node after its new parent, because the model's rules read the parent), checks each row
       as `object_save` does: an existing object is locked and its version raised, and every object passes the
       model's `full_clean`. A row stops at its first error, reported in the same words as when a row is saved on its
       own, and a row whose new parent failed says so, as it does when the parent is missing.
    3. Writes the rows that passed with `bulk_create_with_history` and `bulk_update_with_history`: a history row per
       object with the user and the reason "Import av <filnamn>". If the database refuses a batch (a constraint that
       a concurrent change broke), the batch is written again row by row to name the row.

    `full_clean` leaves out two kinds of checks that would cost a query per row and cannot fail here: the existence of
    the objects that foreign keys hold (the import read them from the database in this transaction, or creates them),
    with the unique constraints over those keys (they are the keys the rows are matched on: the engine refuses a
    duplicate in the file and turns an existing key into an update), and the uniqueness of an existing object's own
    primary key. Every field rule, `clean()` and every other constraint runs as it does for the form. The database's
    own constraints stay as the last guard, and the whole import runs in one transaction: all rows or none.
    """

    def __init__(self, resource, ctx, report):
        self.resource = resource
        self.ctx = ctx
        self.report = report
        self.rows = []
        self._new = {}  # id(new object) -> its _Write

    # --- Staging ----------------------------------------------------------------------------------------------------

    def begin(self, *, row, key_ref, line, instance, snapshot):
        """Start the writes of a row (the engine calls this before the resource's `stage`)."""
        self.rows.append(_PendingRow(number=row, key_ref=key_ref, line=line, instance=instance, snapshot=snapshot))

    def add(self, obj, *, fields=None, error_field=None):
        """Queue `obj` for the current row: inserted if it is new, else updated.

        `fields`: the attnames an update changes; by default those of the row's object that differ from the object as
        it was found. `error_field`: the resource field under which the object's validation errors are reported.
        """
        pending = self.rows[-1]
        created = obj.pk is None
        write = _Write(obj=obj, pending=pending, created=created, error_field=error_field)
        if not created:
            if fields is None:
                if obj is not pending.instance or pending.snapshot is None:
                    raise ValueError("An update of another object than the row's own needs its changed fields.")
                fields = {name for name, value in pending.snapshot.items() if getattr(obj, name) != value}
            write.fields = set(fields)
        for f in _foreign_keys(type(obj)):
            need = self._new.get(id(_cached_target(obj, f)))
            if need is not None:
                write.needs.append(need)
        write.depth = max((n.depth + (n.pending is not pending) for n in write.needs), default=0)
        write.step = max((n.step + 1 for n in write.needs if n.pending is pending), default=0)
        if created:
            self._new[id(obj)] = write
        pending.writes.append(write)
        return write

    # --- Flushing ---------------------------------------------------------------------------------------------------

    def flush(self):
        """Number the tree, check and write the rows level by level, and count the rows that were written."""
        if not self.rows:
            return
        if self._new and not connection.features.can_return_rows_from_bulk_insert:
            raise RuntimeError("Bulk import needs a database that returns primary keys from bulk inserts.")
        if self.resource.tree_parent_field:
            self._number_tree()
        by_depth = defaultdict(list)
        for pending in self.rows:
            by_depth[pending.depth].append(pending)
        for depth in sorted(by_depth):
            batch = by_depth[depth]
            self._check(batch)
            self._write([pending for pending in batch if not pending.failed])
            self.ctx.advance(saved=len(batch))
        written = [pending for pending in self.rows if not pending.failed]
        for pending in written:
            _count_row(self.report, pending.line)
        self.resource.bulk_saved(self.ctx, {pending.number for pending in written})

    def _refuse(self, pending):
        pending.failed = True
        self.ctx.fail(self.resource.reference_kind, pending.key_ref, self.report.name, pending.number)

    def _fail(self, pending, error, error_field=None):
        if error_field is not None:
            error = ValidationError({error_field: error.messages})
        _report_validation_error(self.resource, self.report, pending.number, error)
        self._refuse(pending)

    def _failed_need(self, pending):
        """(write, foreign key, need) for an object that points to a new object of a row that failed, or None."""
        for write in pending.writes:
            for need in write.needs:
                if need.pending is not pending and need.pending.failed:
                    f = next(f for f in _foreign_keys(type(write.obj)) if _cached_target(write.obj, f) is need.obj)
                    return write, f, need
        return None

    def _check(self, batch):
        """Check the rows of one level as `object_save` would, without writing."""
        live = []
        for pending in batch:
            failed = self._failed_need(pending)
            if failed is None:
                live.append(pending)
                continue
            _write, f, need = failed
            message = self.ctx.missing(self.resource.reference_kind, need.pending.key_ref)
            self._fail(pending, ValidationError({f.name: message}))
        versions = self._lock([w.obj for pending in live for w in pending.writes if not w.created])
        for pending in live:
            for write in pending.writes:
                obj = write.obj
                if not write.created:
                    if obj.pk not in versions:
                        self._fail(
                            pending,
                            ValidationError(_("Objektet finns inte längre; det kan ha tagits bort av någon annan.")),
                        )
                        break
                    if versions[obj.pk] is not None:
                        obj.version = versions[obj.pk] + 1
                _point_at_saved(obj)
                try:
                    obj.full_clean(exclude=self._known(write))
                except ValidationError as error:
                    self._fail(pending, error, write.error_field)
                    break

    def _known(self, write):
        """The fields whose database checks `full_clean` can leave out (see the class docstring)."""
        obj = write.obj
        exclude = [] if write.created else [obj._meta.pk.name]
        for f in _foreign_keys(type(obj)):
            target = _cached_target(obj, f)
            if target is not None and (target.pk is not None or id(target) in self._new):
                exclude.append(f.name)
            elif not write.created and f.attname not in write.fields and getattr(obj, f.attname) is not None:
                exclude.append(f.name)  # unchanged: read from the database in this transaction
        return exclude

    def _lock(self, objs):
        """{pk: version (None for a model without one)} of the existing objects, locked as object_save locks them."""
        versions = {}
        by_model = defaultdict(list)
        for obj in objs:
            by_model[type(obj)].append(obj.pk)
        for model, pks in by_model.items():
            versioned = any(f.attname == "version" for f in model._meta.concrete_fields)
            for chunk in _chunks(pks, 1000):
                qs = model._base_manager.select_for_update().filter(pk__in=chunk)
                if versioned:
                    versions.update(qs.values_list("pk", "version"))
                else:
                    versions.update((pk, None) for pk in qs.values_list("pk", flat=True))
        return versions

    def _write(self, batch):
        """Write the checked rows of one level; a batch the database refuses is written again row by row."""
        if not batch:
            return
        try:
            with transaction.atomic():
                self._write_steps([w for pending in batch for w in pending.writes])
        except DatabaseError:
            for pending in batch:
                self._unsave(pending.writes)
            for pending in batch:
                try:
                    with transaction.atomic():
                        self._write_steps(pending.writes)
                except DatabaseError as error:
                    self._unsave(pending.writes)
                    self.report.error(_("raden kunde inte sparas (%(error)s)") % {"error": error}, row=pending.number)
                    self._refuse(pending)

    @staticmethod
    def _unsave(writes):
        """Forget the primary keys a rolled-back insert gave."""
        for write in writes:
            if write.created:
                write.obj.pk = None
                write.obj._state.adding = True
                write.obj._state.db = None

    def _history_user(self):
        user = self.ctx.user
        return user if user is not None and user.is_authenticated else None

    def _write_steps(self, writes):
        user = self._history_user()
        for step in sorted({w.step for w in writes}):
            creates = defaultdict(list)
            updates = defaultdict(list)
            for write in writes:
                if write.step != step:
                    continue
                obj = write.obj
                _point_at_saved(obj)
                obj._history_user = user
                obj._change_reason = self.ctx.reason
                (creates if write.created else updates)[type(obj)].append(write)
            for model, group in creates.items():
                for chunk in _chunks([w.obj for w in group], BULK_CHUNK_SIZE):
                    bulk_create_with_history(
                        chunk,
                        model,
                        batch_size=BULK_BATCH_SIZE,
                        default_user=user,
                        default_change_reason=self.ctx.reason,
                    )
            for model, group in updates.items():
                self._update(model, group, user)

    def _update(self, model, group, user):
        names = {f.attname: f.name for f in model._meta.concrete_fields if not f.primary_key}
        attnames = set().union(*(w.fields for w in group)) & set(names)
        now = timezone.now()
        for extra in ("version", "updated"):
            if extra in names:
                attnames.add(extra)
        if "updated" in names:
            for write in group:
                write.obj.updated = now
        fields = sorted(names[a] for a in attnames)
        for chunk in _chunks([w.obj for w in group], BULK_CHUNK_SIZE):
            bulk_update_with_history(
                chunk,
                model,
                fields,
                batch_size=BULK_UPDATE_BATCH_SIZE,
                default_user=user,
                default_change_reason=self.ctx.reason,
            )

    # --- Tree numbering ---------------------------------------------------------------------------------------------

    def _number_tree(self):
        """Number the tree of the sheet's model after the staged rows (see the class docstring)."""
        model = self.resource._meta.model
        opts = model._mptt_meta
        level_attr = opts.level_attr
        key_attr = opts.order_insertion_by[0]
        parent_field = model._meta.get_field(opts.parent_attr)
        writes = [w for pending in self.rows for w in pending.writes if isinstance(w.obj, model)]
        if not any(w.created or parent_field.attname in w.fields or key_attr in w.fields for w in writes):
            return  # nothing moves: the numbers stay
        nodes = {}
        existing = {o.pk: o for o in self.resource.tree_nodes(self.ctx) if o.pk is not None}
        tree_ids = sorted({o.tree_id for o in existing.values()})
        if tree_ids:
            rows = (
                model._base_manager.select_for_update()
                .filter(tree_id__in=tree_ids)
                .order_by()
                .values_list("pk", parent_field.attname, "tree_id", "lft", "rght", level_attr, key_attr)
            )
            for pk, parent_id, tree_id, lft, rght, level, key in rows:
                nodes[pk] = _TreeNode(
                    parent=parent_id,
                    key=key,
                    new=False,
                    order=(tree_id, lft),
                    obj=existing.get(pk),
                    numbers=(tree_id, lft, rght, level),
                )
        staged = {}
        for sequence, write in enumerate(writes):
            obj = write.obj
            parent = _cached_target(obj, parent_field)
            if parent is None:
                parent_handle = getattr(obj, parent_field.attname)
            else:
                parent_handle = parent.pk if parent.pk is not None else ("new", id(parent))
            key = getattr(obj, key_attr)
            if write.created:
                handle = ("new", id(obj))
                nodes[handle] = _TreeNode(parent=parent_handle, key=key, new=True, order=(0, sequence), obj=obj)
            else:
                handle = obj.pk
                node = nodes.get(handle)
                if node is None:  # a node of a tree the index did not hold: number it with the rest
                    node = nodes[handle] = _TreeNode(parent=None, key=key, new=False, order=(0, sequence), obj=obj)
                node.parent, node.key, node.obj = parent_handle, key, obj
            staged[handle] = write

        ranks = _collation_ranks(node.key for node in nodes.values())
        children = defaultdict(list)
        roots = []
        for handle, node in nodes.items():
            (children[node.parent] if node.parent is not None else roots).append(handle)
        for siblings in children.values():
            siblings.sort(key=lambda h: (ranks[nodes[h].key], nodes[h].new, nodes[h].order))
        roots.sort(key=lambda h: (nodes[h].new, nodes[h].order))

        numbers = {}
        used = set()
        next_tree_id = None
        for root in roots:
            node = nodes[root]
            tree_id = node.numbers[0] if not node.new and node.numbers[0] not in used else None
            if tree_id is None:
                if next_tree_id is None:
                    next_tree_id = _next_tree_id(model)
                tree_id, next_tree_id = next_tree_id, next_tree_id + 1
            used.add(tree_id)
            counter = 0
            stack = [(root, 0, False)]
            while stack:
                handle, level, closing = stack.pop()
                counter += 1
                if closing:
                    numbers[handle][2] = counter
                    continue
                numbers[handle] = [tree_id, counter, None, level]
                stack.append((handle, level, True))
                stack.extend((child, level + 1, False) for child in reversed(children[handle]))

        renumbered = []
        for handle, node in nodes.items():
            values = tuple(numbers.get(handle, ()))
            if not values:
                continue  # not reachable from a root: only when a row that moves a node failed (nothing is kept)
            if not node.new and values == node.numbers:
                continue
            if node.obj is not None:
                node.obj.tree_id, node.obj.lft, node.obj.rght = values[:3]
                setattr(node.obj, level_attr, values[3])
            write = staged.get(handle)
            if write is not None:
                if not write.created:
                    write.fields |= {"tree_id", "lft", "rght", level_attr}
                continue
            renumbered.append((handle, *values))
        for new_node in (n for n in nodes.values() if n.new and not numbers.get(("new", id(n.obj)))):
            new_node.obj.tree_id = new_node.obj.lft = new_node.obj.rght = 0
            setattr(new_node.obj, level_attr, 0)
        _write_numbers(model, level_attr, renumbered)


RENUMBER_CHUNK_SIZE = 2_000  # rows per UPDATE … FROM (VALUES …): 10,000 parameters


def _write_numbers(model, level_attr, rows):
    """Write new tree numbers, (pk, tree_id, lft, rght, level) per node, a few thousand nodes per statement.

    One UPDATE joined to a list of VALUES: on a 50,000-node tree Django's bulk_update (a CASE per field and row) took
    half a minute, this takes about a second. PostgreSQL and SQLite 3.33+ know UPDATE … FROM.
    """
    if not rows:
        return
    if connection.vendor == "sqlite" and connection.Database.sqlite_version_info < (3, 33):
        objs = [model(pk=pk, tree_id=t, lft=lft, rght=rght, **{level_attr: level}) for pk, t, lft, rght, level in rows]
        model._base_manager.bulk_update(objs, ["tree_id", "lft", "rght", level_attr], batch_size=BULK_UPDATE_BATCH_SIZE)
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    columns = {"tree_id": "tree_id", "lft": "lft", "rght": "rght", "lvl": model._meta.get_field(level_attr).column}
    assignments = ", ".join(f"{quote(column)} = v.{name}" for name, column in columns.items())
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, RENUMBER_CHUNK_SIZE):
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"WITH v(id, tree_id, lft, rght, lvl) AS (VALUES {values}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.id",
                [value for row in chunk for value in row],
            )


def _collation_ranks(keys):
    """{key: position} in the order in which the database sorts text, which MPTT's `order_insertion_by` follows.

    SQLite compares code points, as Python does. PostgreSQL sorts by the database's collation (in Swedish Å before Ä,
    in Python Ä before Å), so there the database sorts the keys (one query).
    """
    ordered = sorted({key or "" for key in keys})
    if connection.vendor == "postgresql" and ordered:
        with connection.cursor() as cursor:
            cursor.execute("SELECT k FROM unnest(%s::text[]) AS t(k) ORDER BY k", [ordered])
            ordered = [row[0] for row in cursor.fetchall()]
    ranks = {key: position for position, key in enumerate(ordered)}
    ranks.setdefault(None, ranks.get("", -1))
    return ranks


def _next_tree_id(model):
    """The tree_id a new tree gets: one above the highest (two imports at once wait for each other on PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(model._meta.db_table.encode()) & 0x7FFFFFFF])
    return (model._base_manager.aggregate(m=Max("tree_id"))["m"] or 0) + 1


# --- The engine ----------------------------------------------------------------------------------------------------


def _normalise_header(header):
    return re.sub(r"\s+", " ", str(header or "")).strip().rstrip("*").strip().casefold()


def _bind_columns(resource, headers, report):
    """{column index: field name} for a sheet's headers; unknown columns are warned, missing ones are errors."""
    by_header = {_normalise_header(f.column_name): name for name, f in resource.fields.items()}
    bound = {}
    seen = {}
    for index, header in enumerate(headers):
        normal = _normalise_header(header)
        if not normal:
            continue
        name = by_header.get(normal)
        if name is None:
            dynamic = resource.dynamic_field(header)
            if dynamic is not None:
                name, f = dynamic
                resource.fields[name] = f
                by_header[normal] = name
        if name is None:
            report.warnings.append(
                Problem(
                    message=_("kolumnen %(column)s är okänd och hoppas över") % {"column": str(header).strip()},
                    sheet=report.name,
                )
            )
            continue
        if name in seen:
            report.error(_("kolumnen %(column)s finns två gånger") % {"column": resource.column_name(name)})
            continue
        seen[name] = index
        bound[index] = name
    for name in resource.required_columns:
        if name not in seen:
            report.error(_("kolumnen %(column)s saknas") % {"column": resource.column_name(name)})
    return bound


def _error_messages(error):
    """(field or None, message) pairs from a ValidationError."""
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            for e in errors:
                for message in ValidationError(e).messages:
                    yield (None if key == NON_FIELD_ERRORS else key), message
    else:
        for message in error.messages:
            yield None, message


def _column_for(resource, key):
    """The column that shows a model field or resource field, or None."""
    if key is None:
        return None
    if key in resource.fields:
        return resource.fields[key].column_name
    for f in resource.fields.values():
        if f.attribute and f.attribute.split("__")[0] == key:
            return f.column_name
    return None


def _report_validation_error(resource, report, row, error):
    for key, message in _error_messages(error):
        column = _column_for(resource, key)
        if key is not None and column is None:
            verbose = _field_label(resource, key)
            message = f"{verbose}: {message}" if verbose else message
        report.error(message, row=row, column=column)


def _field_label(resource, key):
    try:
        return str(resource._meta.model._meta.get_field(key).verbose_name)
    except Exception:
        return ""


@dataclass
class _Row:
    number: int
    values: dict
    key: tuple = ()
    errors: bool = False


def _clean_cell(f, value, row):
    """What `Field.clean` returns for one cell. (Field.clean finds the cell by the field's lazily translated header,
    a translation lookup per cell: a tenth of the time of a large import.)"""
    value = f.widget.clean(value, row=row)
    if value in f.empty_values and f.default != NOT_PROVIDED:
        return f.default() if callable(f.default) else f.default
    return value


def _parse_rows(resource, sheet, bound, report):
    rows = []
    first_row_of = {}
    columns = [(index, name, resource.fields[name], str(resource.column_name(name))) for index, name in bound.items()]
    required = [name for name in resource.required_values if name in bound.values()]
    for number, cells in sheet.rows:
        values = {}
        unreadable = set()
        cells_by_header = {header: cells[index] for index, _name, _f, header in columns}
        for index, name, f, _header in columns:
            try:
                values[name] = _clean_cell(f, cells[index], cells_by_header)
            except ValueError as exc:
                report.error(str(exc), row=number, column=f.column_name)
                unreadable.add(name)
        for name in required:
            if name in values and values[name] in (None, "", ()):
                report.error(_("värdet saknas"), row=number, column=resource.column_name(name))
                unreadable.add(name)
        row = _Row(number=number, values=values, errors=bool(unreadable))
        # A row whose key cells are read has a key even when another cell fails, so that a row referring to it is
        # told that the row has an error in the file rather than that its code does not exist.
        if not unreadable & set(resource.key_fields):
            row.key = resource.key_of(values)
            if row.key in first_row_of:
                if not row.errors:
                    column = resource.column_name(resource.key_fields[0])
                    report.error(resource.duplicate_message(row.key, first_row_of[row.key]), row=number, column=column)
                    row.errors = True
            else:
                first_row_of[row.key] = number
        rows.append(row)
    return rows


def _tree_order(resource, ctx, rows, report):
    """Order tree rows parents first (by depth in the tree of database and file together) and refuse cycles."""
    parent_field = resource.tree_parent_field
    parents = dict(resource.tree_parents(ctx))
    for row in rows:
        if not row.errors and parent_field in row.values:
            parents[row.key[0]] = row.values[parent_field] or None
    depth = {}
    for row in rows:
        if row.errors:
            continue
        code = row.key[0]
        path = [code]
        node = parents.get(code)
        while node is not None and node not in path and len(path) <= len(parents) + 1:
            path.append(node)
            node = parents.get(node)
        if node is not None and node == code:
            chain = " → ".join([*path, code])
            report.error(
                _("de överordnade koderna bildar en slinga: %(chain)s") % {"chain": chain},
                row=row.number,
                column=resource.column_name(parent_field),
            )
            row.errors = True
            continue
        depth[row.number] = len(path)
    return sorted(rows, key=lambda r: depth.get(r.number, 0))


def _key_ref(key):
    """How other rows and messages refer to a row's key: the code itself, or the tuple of a composite key."""
    return key[0] if len(key) == 1 else key


def _import_sheet(resource, sheet, ctx, report):
    resource.report = report
    bound = _bind_columns(resource, sheet.headers, report)
    if report.errors:
        report.total = len(sheet.rows)
        ctx.advance(checked=len(sheet.rows), saved=len(sheet.rows))
        return
    rows = _parse_rows(resource, sheet, bound, report)
    report.total = len(rows)
    for row in rows:
        if row.key:
            ctx.file_keys[resource.reference_kind].add(_key_ref(row.key))
            if row.errors:  # known before any row refers to it, whatever the order rows are written in
                ctx.fail(resource.reference_kind, _key_ref(row.key), report.name, row.number)
    if resource.tree_parent_field and resource.tree_parent_field in bound.values():
        rows = _tree_order(resource, ctx, rows, report)
    writer = BulkWriter(resource, ctx, report) if resource.bulk else None
    wrote = False
    for row in rows:
        if row.errors:
            if row.key:
                ctx.fail(resource.reference_kind, _key_ref(row.key), report.name, row.number)
            ctx.advance(checked=1, saved=1)
            continue
        if _import_row(resource, ctx, row, report, writer):
            wrote = True
            ctx.advance(checked=1, saved=0 if writer else 1)
            continue
        if row.number in report.error_rows:
            ctx.fail(resource.reference_kind, _key_ref(row.key), report.name, row.number)
        ctx.advance(checked=1, saved=1)
    if writer is not None:
        writer.flush()
    resource.after_sheet(ctx, report)
    report.errors.sort(key=lambda problem: problem.row or 0)  # in the order of the sheet, whatever found them
    if wrote:
        ctx.forget_all()


def _import_row(resource, ctx, row, report, writer=None):
    """Match, apply and diff one row, then save it (or, for a bulk sheet, queue it on `writer`); True if it wrote or
    queued something."""
    values = row.values
    names = list(values)
    resource.current_row = row.number  # for the resource's warnings
    instance = resource.find(ctx, row.key)
    created = instance is None
    if created:
        instance = resource.new_instance(ctx, values)
    snapshot = None if created or writer is None else _concrete_values(instance)
    # A new row is compared with a blank object, so its preview lists what the row fills in, not every default.
    before = {name: resource.current_display(ctx, name, instance) for name in names}
    try:
        resource.apply(ctx, instance, values)
    except ValidationError as error:
        _report_validation_error(resource, report, row.number, error)
        return False
    after = {name: resource.new_display(ctx, name, instance, values) for name in names}
    changed = {name for name in names if before.get(name, "") != after[name]}
    if not created and not changed:
        report.unchanged += 1
        return False
    if not resource.may_write(ctx, instance):
        report.error(
            _("%(organisation)s ligger utanför din behörighet") % {"organisation": resource.owner_label(instance)},
            row=row.number,
        )
        return False
    label = resource.describe(row.key, values)
    changes = [(resource.column_name(name), before[name], after[name]) for name in names if name in changed]
    line = RowReport(row=row.number, label=label, status="new" if created else "changed", changes=changes)
    if writer is not None:
        writer.begin(row=row.number, key_ref=_key_ref(row.key), line=line, instance=instance, snapshot=snapshot)
        resource.stage(ctx, instance, values, created=created, changed=changed, row=row.number, writer=writer)
        return True
    try:
        with transaction.atomic():
            resource.save(ctx, instance, values, created=created, changed=changed, row=row.number)
    except ValidationError as error:
        _report_validation_error(resource, report, row.number, error)
        return False
    except DatabaseError as error:
        report.error(_("raden kunde inte sparas (%(error)s)") % {"error": error}, row=row.number)
        return False
    _count_row(report, line)
    return True


def _count_row(report, line):
    report.rows.append(line)
    if line.status == "new":
        report.new += 1
    else:
        report.changed += 1


def _bind_sheets(workbook, report):
    """Pair each sheet of the file with its resource class: by sheet name, else by its columns."""
    classes = sheet_resources()
    by_name = {}
    for cls in classes:
        for name in (cls.sheet_name, *getattr(cls, "sheet_aliases", ())):
            by_name[_normalise_header(name)] = cls
    bound = []
    used = {}
    for sheet in workbook.sheets:
        normal = _normalise_header(sheet.name)
        if normal == _normalise_header(INSTRUCTIONS_SHEET):
            continue
        cls = by_name.get(normal) if workbook.format != "csv" else None
        if cls is None:
            cls = _detect_by_headers(classes, sheet.headers)
        if cls is None:
            if not sheet.rows and not sheet.headers:
                continue
            if workbook.format == "csv":
                report.errors.append(
                    Problem(
                        _(
                            "Filen har inga kolumner som Styrning känner igen. Ladda ned mallen och se vilka "
                            "kolumner som behövs."
                        )
                    )
                )
            else:
                report.warnings.append(
                    Problem(_("Bladet %(sheet)s känns inte igen och hoppas över.") % {"sheet": sheet.name})
                )
            continue
        if cls in used:
            report.errors.append(
                Problem(
                    _("Filen har två blad med %(kind)s: %(first)s och %(second)s.")
                    % {"kind": cls.sheet_name, "first": used[cls], "second": sheet.name}
                )
            )
            continue
        used[cls] = sheet.name
        bound.append((cls, sheet))
    if not bound and not report.errors:
        names = ", ".join(cls.sheet_name for cls in classes)
        report.errors.append(
            Problem(_("Filen har inget blad som Styrning känner igen (%(names)s).") % {"names": names})
        )
    elif bound and not any(sheet.rows for _cls, sheet in bound):
        report.errors.append(Problem(_("Filen innehåller inga rader att läsa in.")))
    return sorted(bound, key=lambda pair: (pair[0].order, pair[0].sheet_name))


def _detect_by_headers(classes, headers):
    """The resource whose required columns the headers hold, preferring the one that matches most columns."""
    normal = {_normalise_header(h) for h in headers}
    best, best_score = None, 0
    for cls in classes:
        resource = cls()
        columns = {_normalise_header(f.column_name): name for name, f in resource.fields.items()}
        required = {_normalise_header(resource.column_name(n)) for n in resource.required_columns}
        if not required <= normal:
            continue
        score = len(normal & set(columns))
        if score > best_score:
            best, best_score = cls, score
    return best


def import_reason(filename):
    """The history reason of an import: "Import av <filnamn>" (cut to the history's column for a long file name)."""
    return history_reason(_("Import av %(filename)s") % {"filename": filename})


def import_file(*, data, filename, municipality, user, commit, progress=None):
    """Read `data` (the bytes of an uploaded file) and import it into `municipality` as `user`.

    With `commit=False` (the preview) everything is rolled back; with `commit=True` it is kept unless there is an
    error. Returns an ImportReport. The caller checks that the user may import into the municipality (the root's
    administrators); every row is checked again for the organisation it touches. `progress(checked=, saved=,
    total=)`, if given, hears how far the rows have come about twice a second (background jobs show it).
    """
    try:
        workbook = spreadsheets.read_file(data, filename)
    except spreadsheets.SpreadsheetError as error:
        report = ImportReport(filename=filename)
        report.errors.append(Problem(error.message))
        return report
    return import_workbook(
        workbook=workbook, filename=filename, municipality=municipality, user=user, commit=commit, progress=progress
    )


def import_workbook(*, workbook, filename, municipality, user, commit, progress=None):
    """Import a workbook already read by `spreadsheets.read_file` (see `import_file`, which reads the upload and calls
    this): the demo loader imports its workbooks a few sheets at a time through here."""
    report = ImportReport(filename=filename, format=workbook.format)
    bound = _bind_sheets(workbook, report)
    if report.errors:
        return report
    ctx = ImportContext(municipality=municipality, user=user, reason=import_reason(filename), progress=progress)
    ctx.rows_total = sum(len(sheet.rows) for _cls, sheet in bound)
    ctx.advance(force=True)
    with transaction.atomic():
        for cls, sheet in bound:
            sheet_report = SheetReport(name=cls.sheet_name)
            report.sheets.append(sheet_report)
            _import_sheet(cls(), sheet, ctx, sheet_report)
        for deferred in ctx.deferred:
            deferred()
        if commit and not report.has_errors:
            report.committed = True
        else:
            transaction.set_rollback(True)
    ctx.advance(force=True)
    return report


# --- Export and templates ------------------------------------------------------------------------------------------


def _instructions_sheet(classes, *, template):
    rows = [
        [_("Allmänt"), "", "", _("En fil kan ha ett blad per slag (Organisationer, Planer, Mål …) eller bara ett.")],
        [
            _("Allmänt"),
            "",
            "",
            _(
                "Raderna matchas på sin kod inom kommunen: en rad med en kod som finns ändrar det som skiljer sig, "
                "en ny kod skapar en ny rad och det som inte finns i filen lämnas orört."
            ),
        ],
        [
            _("Allmänt"),
            "",
            "",
            _(
                "Tal skrivs som 12,5 eller 1 234, datum som 2025-03-05 eller 5 mars 2025, och ja/nej som Ja eller "
                "Nej. Inget sparas förrän du har sett förhandsgranskningen och bekräftat den."
            ),
        ],
    ]
    if template:
        rows.append(
            [_("Allmänt"), "", "", _("Exempelraderna i mallen visar formatet: ersätt dem med kommunens egna rader.")]
        )
    for cls in classes:
        rows.extend(cls().instruction_rows())
    headers = [_("Blad"), _("Kolumn"), _("Krävs"), _("Beskrivning")]
    return spreadsheets.OutputSheet(name=INSTRUCTIONS_SHEET, headers=headers, rows=rows, widths=[16, 24, 8, 100])


def _file_name(municipality_slug, what, fmt, classes):
    extension = spreadsheets.FORMATS[fmt].extension
    kind = f"-{classes[0].slug()}" if len(classes) == 1 else ""
    return f"styrning-{municipality_slug}-{what}{kind}-{timezone.localdate().isoformat()}.{extension}"


def _classes_for(slug):
    classes = sheet_resources()
    if slug:
        classes = [cls for cls in classes if cls.slug() == slug]
        if not classes:
            raise ValueError(f"Unknown sheet {slug!r}")
    return classes


def export_file(*, municipality, fmt, sheet=None):
    """(file name, bytes) of the municipality's data: every kind in a workbook, or the kind `sheet` (a slug); CSV
    holds one kind. The caller checks the permission."""
    classes = _classes_for(sheet)
    if fmt not in spreadsheets.WORKBOOK_FORMATS and len(classes) != 1:
        raise ValueError("CSV needs one sheet")
    sheets = [cls().export_sheet(municipality) for cls in classes]
    if fmt in spreadsheets.WORKBOOK_FORMATS:
        sheets.insert(0, _instructions_sheet(classes, template=False))
    return _file_name(municipality.slug, "export", fmt, classes), spreadsheets.write(sheets, fmt)


def template_file(*, fmt, sheet=None, municipality_slug="kommun"):
    """(file name, bytes) of the empty template with example rows and, in workbooks, the instructions sheet."""
    classes = _classes_for(sheet)
    if fmt not in spreadsheets.WORKBOOK_FORMATS and len(classes) != 1:
        raise ValueError("CSV needs one sheet")
    sheets = [cls().template_sheet() for cls in classes]
    if fmt in spreadsheets.WORKBOOK_FORMATS:
        sheets.insert(0, _instructions_sheet(classes, template=True))
    return _file_name(municipality_slug, "mall", fmt, classes), spreadsheets.write(sheets, fmt)


# --- Keeping the file between preview and confirmation -------------------------------------------------------------

_STASH_SALT = "goals.importing.stash"
_STASH_DIR = "imports"
STASH_MAX_AGE = 24 * 3600


def stash_upload(*, data, filename, municipality, user):
    """Keep the uploaded file until the user confirms the preview; returns a signed token naming it.

    Files of previews that were never confirmed are removed here once they are older than a day.
    """
    _drop_stale_stashes()
    path = default_storage.save(f"{_STASH_DIR}/{uuid.uuid4().hex}.upload", ContentFile(data))
    payload = {
        "path": path,
        "name": filename,
        "m": municipality.pk,
        "u": user.pk,
        "sha": hashlib.sha256(data).hexdigest(),
    }
    return signing.dumps(payload, salt=_STASH_SALT)


def unstash_upload(*, token, municipality, user):
    """(bytes, file name) of a stashed upload, if the token is valid, recent and the user's own; else None."""
    try:
        payload = signing.loads(token, salt=_STASH_SALT, max_age=STASH_MAX_AGE)
    except signing.BadSignature:
        return None
    if payload.get("m") != municipality.pk or payload.get("u") != user.pk:
        return None
    try:
        with default_storage.open(payload["path"], "rb") as stream:
            data = stream.read()
    except (OSError, ValueError):
        return None
    if hashlib.sha256(data).hexdigest() != payload["sha"]:
        return None
    return data, payload["name"]


def _drop_stale_stashes():
    limit = timezone.now() - datetime.timedelta(seconds=STASH_MAX_AGE)
    try:
        _dirs, files = default_storage.listdir(_STASH_DIR)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    for name in files:
        path = f"{_STASH_DIR}/{name}"
        with contextlib.suppress(OSError, NotImplementedError):
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)


def drop_stash(token):
    """Remove a stashed upload (after the import, or when it is abandoned)."""
    try:
        payload = signing.loads(token, salt=_STASH_SALT)
    except signing.BadSignature:
        return
    with contextlib.suppress(OSError):
        default_storage.delete(payload["path"])


def municipality_root(municipality):
    """The municipality's root organisation (kommunfullmäktige): importing and exporting need ADMIN on it."""
    return Organisation.objects.get(municipality=municipality, parent=None)


def may_import(user, municipality):
    """True if `user` administers the whole municipality (or is a superuser)."""
    root = Organisation.objects.filter(municipality=municipality, parent=None).first()
    return root is not None and can(user, root, ADMIN)


# --- Large files: background jobs ----------------------------------------------------------------------------------

logger = logging.getLogger(__name__)

_XLSX_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')


def count_rows(data):
    """About how many data rows the file holds (headers left out), cheaply: from the sheets' dimensions in an xlsx
    file, the rows of an ods file, the lines of a CSV file. Decides only whether an import runs in the background;
    0 when the file cannot be read (reading it again gives the message)."""
    try:
        if data.startswith(spreadsheets._ZIP_MAGIC):
            return _count_zip_rows(data)
        return max(0, data.count(b"\n") - 1 + (0 if data.endswith(b"\n") else 1))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError, KeyError):
        return 0


def _count_zip_rows(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    if sum(info.file_size for info in infos) > spreadsheets.max_unpacked_bytes():
        return 0
    total = 0
    for info in infos:
        if re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename):
            with archive.open(info) as stream:
                head = stream.read(4096)
                match = _XLSX_DIMENSION.search(head)
                if match and match.group(1):
                    total += max(0, int(match.group(1)) - 1)
                else:  # no dimension: count the rows
                    rows = head.count(b"<row ")
                    while chunk := stream.read(1 << 20):
                        rows += chunk.count(b"<row ")
                    total += max(0, rows - 1)
        elif info.filename == "content.xml":
            rows = tables = 0
            with archive.open(info) as stream:
                while chunk := stream.read(1 << 20):
                    rows += chunk.count(b"<table:table-row")
                    tables += chunk.count(b"<table:table ")
            total += max(0, rows - tables)  # a header row per sheet
    return total


def runs_in_background(data):
    """True if the file has more rows than IMPORT_ASYNC_ROWS: its preview and its import run as a Celery job."""
    return count_rows(data) > settings.IMPORT_ASYNC_ROWS


def import_job_confirmable(job):
    """True if the job is a finished preview without errors that would change something (the page offers to import)."""
    if job.mode != ImportJob.Mode.PREVIEW or job.status != ImportJob.Status.DONE:
        return False
    summary = ImportSummary(job.result)
    return not summary.has_errors and bool(summary.new or summary.changed)


class _JobProgress:
    """Writes a running job's progress on a database connection of its own, so that the page sees it while the
    import's transaction is still open. SQLite lets one connection write at a time: there the page sees the progress
    when the job ends."""

    def __init__(self, job):
        from django.db import DEFAULT_DB_ALIAS, connections

        self.job = job
        self.connection = None
        if connection.vendor != "sqlite":
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, *, checked, saved, total):
        self.job.rows_checked, self.job.rows_saved, self.job.rows_total = checked, saved, total
        if self.connection is None:
            return
        table = self.connection.ops.quote_name(self.job._meta.db_table)
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET rows_checked = %s, rows_saved = %s, rows_total = %s WHERE id = %s",
                    [checked, saved, total, self.job.pk],
                )
        except DatabaseError:  # progress is a courtesy: never let it stop the import
            logger.warning("Could not record the progress of import job %s", self.job.pk, exc_info=True)

    def close(self):
        if self.connection is not None:
            self.connection.close()


TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def import_job_run(*, job_id, final_attempt=True):
    """Run a queued ImportJob: the same `import_file` as the import page, previewed or committed (the body of the
    Celery tasks in goals.tasks).

    The job ends done or failed with the report's summary; a commit that meets errors keeps nothing. A transient
    database error (a lost connection, a deadlock) is raised again so that the task retries, unless this is the
    final attempt: then the job fails. A job that has already ended is left alone (a message delivered twice).
    """
    job = ImportJob.objects.select_related("municipality", "user").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return job
    stashed = unstash_upload(token=job.token, municipality=job.municipality, user=job.user) if job.user else None
    if stashed is None:
        return _job_failed(job, _("Filen finns inte längre kvar (den sparas i ett dygn). Ladda upp den igen."))
    data, filename = stashed
    job.status = ImportJob.Status.RUNNING
    job.started = timezone.now()
    job.error = ""
    job.save(update_fields=["status", "started", "error"])
    progress = _JobProgress(job)
    try:
        report = import_file(
            data=data,
            filename=filename,
            municipality=job.municipality,
            user=job.user,
            commit=job.mode == ImportJob.Mode.COMMIT,
            progress=progress,
        )
    except TRANSIENT_ERRORS:
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
        if not final_attempt:
            job.status = ImportJob.Status.QUEUED
            job.save(update_fields=["status"])
            raise
        logger.exception("Import job %s failed on its last attempt", job.pk)
        message = _(
            "Importen kunde inte slutföras eftersom databasen inte svarade. Inget har sparats. Försök igen om en stund."
        )
        return _job_failed(job, message)
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        message = _(
            "Importen avbröts av ett oväntat fel. Inget har sparats. Kontakta administratören om felet kvarstår."
        )
        return _job_failed(job, message)
    finally:
        progress.close()
    job.result = report.summary()
    job.finished = timezone.now()
    job.rows_checked = job.rows_saved = job.rows_total
    if job.mode == ImportJob.Mode.COMMIT and not report.committed:
        job.status = ImportJob.Status.FAILED
        job.error = ngettext(
            "Filen har ett fel. Inget har sparats.", "Filen har %(n)s fel. Inget har sparats.", report.error_count
        ) % {"n": report.error_count}
    else:
        job.status = ImportJob.Status.DONE
    job.save()
    if report.committed or report.has_errors or not (report.new or report.changed):
        drop_stash(job.token)  # imported, or nothing to confirm; a preview with changes keeps it for the commit
    return job


def _job_failed(job, message):
    job.status = ImportJob.Status.FAILED
    job.error = message
    job.finished = timezone.now()
    job.save(update_fields=["status", "error", "finished"])
    return job
