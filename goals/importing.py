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
   created or changed object is saved with `object_save`, so it is validated by the model and gets a history row
   with the user and the reason "Import av <filnamn>".

Tree sheets (organisations, goals) are written parents first: rows are ordered by their depth in the tree that the
database and the file describe together, and cycles are refused before anything is written. Rows are saved one at a
time (MPTT keeps the numbering); a file of tens of thousands of goals belongs to a background job (see README).
"""

import contextlib
import datetime
import hashlib
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.text import slugify
from django.utils.translation import gettext as _
from import_export import resources

from styrning import spreadsheets
from styrning.models import Organisation
from styrning.permissions import ADMIN, VIEW, can

INSTRUCTIONS_SHEET = "Instruktioner"

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

    def error(self, message, row=None, column=None):
        self.errors.append(Problem(message=message, sheet=self.name, row=row, column=column))
        if row:
            self.error_rows.add(row)


@dataclass
class ImportReport:
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

    @property
    def erroneous(self):
        return self.total("erroneous")


# --- The context of one import -------------------------------------------------------------------------------------


class ImportContext:
    """
    What the rows of one import share: the municipality, the user, the history reason, lookup indexes (loaded once,
    reloaded after a sheet has written) and the keys of rows that failed, so that a reference to them says so.
    """

    def __init__(self, *, municipality, user, reason):
        self.municipality = municipality
        self.user = user
        self.reason = reason
        self._cache = {}
        self.failed = {}  # (kind, key) -> Problem location text
        self.file_keys = defaultdict(set)  # kind -> keys of the rows in the file
        self.deferred = []  # callables run after every sheet (links to rows further down the file)

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

    Subclasses set the class attributes and implement `export_queryset`, `find`, `new_instance`, `apply` and `save`.
    """

    sheet_name = ""  # the sheet's name in a workbook and in messages, e.g. "Mål"
    order = 100  # import order: lower first (what others refer to comes first)
    kind = ""  # the reference kind of the rows' keys, e.g. "goal"
    key_fields = ()  # field names whose values identify a row within the municipality
    required_columns = ()  # field names whose columns a file must have
    required_values = ()  # field names that must have a value on every row
    tree_parent_field = None  # in a tree sheet: the field holding the parent's key
    virtual_fields = ()  # fields that are not model attributes (links, targets): see current/new_display
    instructions = ""  # a paragraph for the instructions sheet
    column_help = {}  # field name -> what the column holds, for the instructions sheet

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

    def after_sheet(self, ctx, report):
        """Called when every row of the sheet has been handled."""

    def owner_label(self, instance):
        """The organisation a row belongs to, for the permission message."""
        return ""

    def may_write(self, ctx, instance):
        return can(ctx.user, instance, ADMIN)

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


def _parse_rows(resource, sheet, bound, report):
    rows = []
    first_row_of = {}
    for number, cells in sheet.rows:
        values = {}
        failed = False
        for index, name in bound.items():
            f = resource.fields[name]
            try:
                values[name] = f.clean({f.column_name: cells[index]})
            except ValueError as exc:
                report.error(str(exc), row=number, column=f.column_name)
                failed = True
        for name in resource.required_values:
            if name in bound.values() and name in values and values[name] in (None, "", ()):
                report.error(_("värdet saknas"), row=number, column=resource.column_name(name))
                failed = True
        row = _Row(number=number, values=values, errors=failed)
        if not failed:
            row.key = resource.key_of(values)
            if row.key in first_row_of:
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


def _import_sheet(resource, sheet, ctx, report):
    resource.report = report
    bound = _bind_columns(resource, sheet.headers, report)
    if report.errors:
        report.total = len(sheet.rows)
        return
    rows = _parse_rows(resource, sheet, bound, report)
    report.total = len(rows)
    for row in rows:
        if row.key:
            ctx.file_keys[resource.kind].add(row.key[0] if len(row.key) == 1 else row.key)
    if resource.tree_parent_field and resource.tree_parent_field in bound.values():
        rows = _tree_order(resource, ctx, rows, report)
    wrote = False
    for row in rows:
        key_ref = row.key[0] if len(row.key) == 1 else row.key
        if row.errors:
            if row.key:
                ctx.fail(resource.kind, key_ref, report.name, row.number)
            continue
        if _import_row(resource, ctx, row, report):
            wrote = True
        elif row.number in report.error_rows:
            ctx.fail(resource.kind, key_ref, report.name, row.number)
    resource.after_sheet(ctx, report)
    report.errors.sort(key=lambda problem: problem.row or 0)  # in the order of the sheet, whatever found them
    if wrote:
        ctx.forget_all()


def _import_row(resource, ctx, row, report):
    """Match, apply, diff and save one row; True if it wrote something."""
    values = row.values
    names = list(values)
    instance = resource.find(ctx, row.key)
    created = instance is None
    if created:
        instance = resource.new_instance(ctx, values)
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
    try:
        with transaction.atomic():
            resource.save(ctx, instance, values, created=created, changed=changed, row=row.number)
    except ValidationError as error:
        _report_validation_error(resource, report, row.number, error)
        return False
    except DatabaseError as error:
        report.error(_("raden kunde inte sparas (%(error)s)") % {"error": error}, row=row.number)
        return False
    label = resource.describe(row.key, values)
    changes = [(resource.column_name(name), before[name], after[name]) for name in names if name in changed]
    report.rows.append(RowReport(row=row.number, label=label, status="new" if created else "changed", changes=changes))
    if created:
        report.new += 1
    else:
        report.changed += 1
    return True


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
    return _("Import av %(filename)s") % {"filename": filename}


def import_file(*, data, filename, municipality, user, commit):
    """Read `data` (the bytes of an uploaded file) and import it into `municipality` as `user`.

    With `commit=False` (the preview) everything is rolled back; with `commit=True` it is kept unless there is an
    error. Returns an ImportReport. The caller checks that the user may import into the municipality (the root's
    administrators); every row is checked again for the organisation it touches.
    """
    report = ImportReport(filename=filename)
    try:
        workbook = spreadsheets.read_file(data, filename)
    except spreadsheets.SpreadsheetError as error:
        report.errors.append(Problem(error.message))
        return report
    report.format = workbook.format
    bound = _bind_sheets(workbook, report)
    if report.errors:
        return report
    ctx = ImportContext(municipality=municipality, user=user, reason=import_reason(filename))
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
