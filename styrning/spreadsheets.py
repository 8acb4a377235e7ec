"""
Spreadsheet files for import and export, independent of any app: reading and writing xlsx, ods and the two CSV
dialects, Swedish numbers, dates and yes/no, the size and zip-bomb limits, and formula neutralisation.

Reading turns any accepted file into a `Workbook` of `Sheet`s (headers plus rows of plain Python values, each with its
row number in the spreadsheet). Writing takes `OutputSheet`s and returns the bytes of one file. Every problem with the
file itself is a `SpreadsheetError` with a Swedish message that names what is wrong and what to do.

Formats:
- xlsx (Excel) and ods (LibreOffice, OpenOffice): workbooks with one sheet per kind.
- "csv": CSV as Swedish Excel writes it: semicolon, decimal comma, UTF-8 with BOM on export; Windows-1252 is read too.
- "csv-utf8": plain CSV: comma, decimal point, UTF-8.

The widgets at the end are django-import-export widgets that clean cell values as Swedes write them ("12,5",
"1 234", "5 mars 2025", "Ja") and render values back for export (native values; the writer formats them).
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import widgets

# --- Limits --------------------------------------------------------------------------------------------------------


def max_file_bytes():
    """The largest upload accepted (bytes); IMPORT_MAX_FILE_BYTES in settings, 10 MB by default."""
    return getattr(settings, "IMPORT_MAX_FILE_BYTES", 10 * 1024 * 1024)


def max_unpacked_bytes():
    """The largest unpacked size of an xlsx or ods file (they are zip archives): a guard against zip bombs."""
    return getattr(settings, "IMPORT_MAX_UNPACKED_BYTES", 200 * 1024 * 1024)


def max_rows():
    """The most data rows read from one sheet."""
    return getattr(settings, "IMPORT_MAX_ROWS", 200_000)


MAX_COLUMNS = 300
MAX_ZIP_ENTRIES = 10_000


def megabytes(n):
    """A byte count as Swedish megabytes, e.g. "10" or "12,3"."""
    value = round(n / (1024 * 1024), 1)
    return format_decimal(Decimal(str(value)), decimal_separator=",")


class SpreadsheetError(Exception):
    """The file cannot be read as a spreadsheet; the message is Swedish and says what to do."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# --- The read model ------------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """One sheet (or CSV file): its headers and its non-empty rows as (row number in the spreadsheet, values)."""

    name: str
    headers: list
    rows: list = field(default_factory=list)
    header_row: int = 1


@dataclass
class Workbook:
    """The sheets of one uploaded file and the format it was read as ("xlsx", "ods" or "csv")."""

    format: str
    sheets: list


# --- Detecting and reading -----------------------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def _not_a_spreadsheet():
    return SpreadsheetError(
        _("Filen är inte ett kalkylark. Ladda upp en xlsx-fil (Excel), en ods-fil (LibreOffice) eller en csv-fil.")
    )


def _corrupt(kind):
    return SpreadsheetError(
        _("Filen kunde inte läsas som %(kind)s; den verkar vara skadad. Spara om den och försök igen.") % {"kind": kind}
    )


def read_file(data, filename=""):
    """Read an uploaded file (bytes) into a Workbook, whatever its extension says; raises SpreadsheetError."""
    if not data:
        raise SpreadsheetError(_("Filen är tom."))
    if len(data) > max_file_bytes():
        raise SpreadsheetError(
            _("Filen är för stor (%(size)s MB). Den får vara högst %(limit)s MB.")
            % {"size": megabytes(len(data)), "limit": megabytes(max_file_bytes())}
        )
    if data.startswith(_OLE_MAGIC):
        raise SpreadsheetError(
            _(
                "Filen är i Excels gamla format (.xls) eller lösenordsskyddad. Spara den som .xlsx utan lösenord "
                "och försök igen."
            )
        )
    if data.startswith(_ZIP_MAGIC):
        archive = _open_zip(data)
        names = set(archive.namelist())
        if "xl/workbook.xml" in names:
            return Workbook(format="xlsx", sheets=_read_xlsx(data))
        if "content.xml" in names and _zip_member(archive, "mimetype").strip() == _ODS_MIMETYPE:
            return Workbook(format="ods", sheets=_read_ods(archive))
        raise _not_a_spreadsheet()
    return Workbook(format="csv", sheets=[_read_csv(data, filename)])


def _open_zip(data):
    """Open an xlsx/ods archive after checking its unpacked size (a zip bomb unpacks to gigabytes)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise _corrupt(_("kalkylark")) from exc
    if len(infos) > MAX_ZIP_ENTRIES or sum(info.file_size for info in infos) > max_unpacked_bytes():
        raise SpreadsheetError(
            _("Filen packas upp till mer än %(limit)s MB och läses inte in. Dela upp den i mindre filer.")
            % {"limit": megabytes(max_unpacked_bytes())}
        )
    return archive


def _zip_member(archive, name):
    try:
        return archive.read(name)
    except (KeyError, zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
        return b""


def _trim(values):
    """Drop trailing empty cells."""
    end = len(values)
    while end and is_empty(values[end - 1]):
        end -= 1
    return list(values[:end])


def is_empty(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _sheet_from_rows(name, numbered_rows):
    """Build a Sheet from (row number, values): the first non-empty row holds the headers."""
    headers = None
    header_row = 1
    rows = []
    for number, values in numbered_rows:
        values = _trim(values)
        if not values:
            continue
        if headers is None:
            headers = ["" if v is None else str(v).strip() for v in values]
            header_row = number
            if len(headers) > MAX_COLUMNS:
                raise SpreadsheetError(
                    _("Bladet %(sheet)s har fler än %(limit)s kolumner.") % {"sheet": name, "limit": MAX_COLUMNS}
                )
            continue
        if len(rows) >= max_rows():
            raise SpreadsheetError(
                _("Bladet %(sheet)s har fler än %(limit)s rader. Dela upp filen.")
                % {"sheet": name, "limit": format_decimal(Decimal(max_rows()))}
            )
        rows.append((number, values[: len(headers)] + [None] * (len(headers) - len(values))))
    return Sheet(name=name, headers=headers or [], rows=rows, header_row=header_row)


def _read_xlsx(data):
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, XML errors, InvalidFileException …)
        raise _corrupt("xlsx") from exc
    sheets = []
    try:
        for ws in book.worksheets:
            numbered = ((i, list(row)) for i, row in enumerate(ws.iter_rows(values_only=True), 1))
            sheets.append(_sheet_from_rows(ws.title, numbered))
    except SpreadsheetError:
        raise
    except Exception as exc:
        raise _corrupt("xlsx") from exc
    finally:
        book.close()
    return sheets


_ODS_NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


def _q(prefix, name):
    return f"{{{_ODS_NS[prefix]}}}{name}"


def _ods_text(element):
    """The text of an ODS cell: paragraphs joined by newlines, with ODF's encoded spaces, tabs and line breaks."""
    parts = []

    def walk(node):
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag == _q("text", "s"):
                parts.append(" " * int(child.get(_q("text", "c"), "1")))
            elif child.tag == _q("text", "tab"):
                parts.append("\t")
            elif child.tag == _q("text", "line-break"):
                parts.append("\n")
            else:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    paragraphs = []
    for paragraph in element.findall(_q("text", "p")):
        parts = []
        walk(paragraph)
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


def _ods_value(cell):
    value_type = cell.get(_q("office", "value-type"))
    if value_type in ("float", "percentage", "currency"):
        raw = cell.get(_q("office", "value"))
        try:
            return Decimal(raw)
        except (InvalidOperation, TypeError):
            return _ods_text(cell)
    if value_type == "date":
        raw = cell.get(_q("office", "date-value"), "")
        try:
            return datetime.datetime.fromisoformat(raw) if "T" in raw else datetime.date.fromisoformat(raw)
        except ValueError:
            return _ods_text(cell)
    if value_type == "boolean":
        return cell.get(_q("office", "boolean-value")) == "true"
    text = _ods_text(cell)
    return text if text else None


def _read_ods(archive):
    from defusedxml import ElementTree

    content = _zip_member(archive, "content.xml")
    if not content:
        raise _corrupt("ods")
    try:
        root = ElementTree.fromstring(content)
    except Exception as exc:  # ParseError and defusedxml's refusals of entity tricks
        raise _corrupt("ods") from exc
    sheets = []
    for table in root.iter(_q("table", "table")):
        sheets.append(_sheet_from_rows(table.get(_q("table", "name"), ""), _ods_rows(table)))
    return sheets


def _ods_rows(table):
    """(row number, values) of an ODS table, expanding repeated rows and cells but never long runs of empties."""
    number = 0
    for row in table.iter(_q("table", "table-row")):
        repeat = int(row.get(_q("table", "number-rows-repeated"), "1"))
        values = []
        for cell in row:
            if cell.tag not in (_q("table", "table-cell"), _q("table", "covered-table-cell")):
                continue
            cell_repeat = int(cell.get(_q("table", "number-columns-repeated"), "1"))
            value = _ods_value(cell)
            if is_empty(value):
                cell_repeat = min(cell_repeat, MAX_COLUMNS)
            values.extend([value] * min(cell_repeat, MAX_COLUMNS))
            if len(values) > MAX_COLUMNS:
                break
        values = _trim(values)
        if not values:
            number += repeat
            continue
        for _i in range(min(repeat, max_rows() + 1)):
            number += 1
            yield number, values


def _decode_text(data):
    """Decode a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 (Swedish Excel)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:4096]:
        raise _not_a_spreadsheet()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text):
    """The delimiter of a CSV text: the one of ; , and tab that occurs most in the first line outside quotes."""
    first = []
    quoted = False
    for char in text[:10_000]:
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            break
        elif not quoted:
            first.append(char)
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _read_csv(data, filename):
    text = _decode_text(data)
    if _looks_binary(text):
        raise _not_a_spreadsheet()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    name = re.sub(r"\.[^.]*$", "", filename.rsplit("/", 1)[-1]) or "csv"
    try:
        numbered = ((i, row) for i, row in enumerate(reader, 1))
        return _sheet_from_rows(name, numbered)
    except csv.Error as exc:
        raise _corrupt("csv") from exc


def _looks_binary(text):
    sample = text[:4096]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\r\n\t")
    return bool(sample) and (controls > len(sample) * 0.05 or "\ufffd" * 4 in sample)


# --- Swedish values ------------------------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_MONTHS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "feb": 2,
    "mars": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "maj": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "augusti": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_TRUE = {"ja", "j", "x", "sant", "true", "1", "yes", "y"}
_FALSE = {"nej", "n", "falskt", "false", "0", "no"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value):
    """A cell as text: stripped, newlines normalised, the neutralising apostrophe of an exported cell removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, float):
        value = _float_to_decimal(value)
    if isinstance(value, Decimal):
        return format_decimal(value, decimal_separator=",")
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text


def _float_to_decimal(value):
    # Spreadsheets store binary floats: 12.35 may come back as 12.350000000000001. Round away that noise.
    return Decimal(repr(round(value, 9)))


def parse_number(value):
    """A number as Swedes write it ("12,5", "1 234", "−3", "12,5 %") or as a cell holds it; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(_number_error(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _float_to_decimal(value)
    if isinstance(value, Decimal):
        return value
    text = _SPACES.sub("", clean_text(value)).replace("\u2212", "-").rstrip("%")
    if "," in text and "." in text:
        # Both separators: the last one is the decimal separator, the other groups thousands.
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal_sep == "," else ",", "").replace(",", ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif text.count(".") > 1:
        text = text.replace(".", "")
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", text):
        raise ValueError(_number_error(value))
    return Decimal(text)


def _number_error(value):
    return _("ange ett tal, till exempel 12,5 eller 1 234 (”%(value)s” är inget tal)") % {"value": clean_text(value)}


def parse_integer(value):
    """A whole number (a year, a count); raises ValueError."""
    try:
        number = parse_number(value)
    except ValueError:
        raise ValueError(
            _("ange ett heltal, till exempel 2026 (”%(value)s” är inget heltal)") % {"value": clean_text(value)}
        ) from None
    if number != number.to_integral_value():
        raise ValueError(
            _("ange ett heltal, till exempel 2026 (”%(value)s” är inget heltal)") % {"value": clean_text(value)}
        )
    return int(number)


def parse_date(value):
    """A date in ISO form (2025-03-05, 20250305) or Swedish form (5 mars 2025, 5/3 2025, 5/3-2025, 5.3.2025)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = clean_text(value).lower()
    text = re.sub(r"\s+00:00(:00)?$", "", text)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _make_date(year, month, day, value)
    match = re.fullmatch(r"(\d{1,2})\s*[/.]\s*(\d{1,2})\s*(?:[/.\-]|\s)\s*(\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return _make_date(year, month, day, value)
    match = re.fullmatch(r"(\d{1,2})\s+([a-zåäö]+)\.?,?\s+(\d{4})", text)
    if match and match.group(2) in _MONTHS:
        return _make_date(int(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)), value)
    raise ValueError(_date_error(value))


def _make_date(year, month, day, value):
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(_date_error(value)) from None


def _date_error(value):
    return _("ange ett datum, till exempel 2025-03-05 eller 5 mars 2025 (”%(value)s” är inget datum)") % {
        "value": clean_text(value)
    }


def parse_bool(value):
    """Ja/Nej (also J/N, x, Sant/Falskt, 1/0); raises ValueError."""
    if isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE or text == "":
        return False
    raise ValueError(_("ange Ja eller Nej (”%(value)s” är varken eller)") % {"value": clean_text(value)})


def format_decimal(value, *, decimal_separator=","):
    """A Decimal without trailing zeros or exponent, with the given decimal separator and no grouping."""
    text = format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", decimal_separator)


def display(value):
    """A value as the preview shows it to a Swede: decimal comma, ISO dates, Ja/Nej, empty for nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, Decimal | float):
        return format_decimal(Decimal(str(value)), decimal_separator=",")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def neutralise(text):
    """Prefix text that a spreadsheet program would run as a formula (=, +, -, @, tab, CR) with an apostrophe."""
    if isinstance(text, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def is_formula_like(text):
    return isinstance(text, str) and text.startswith(_FORMULA_START)


# --- Writing ---------------------------------------------------------------------------------------------------------


@dataclass
class OutputSheet:
    """A sheet to write: name, headers and rows of native values (str, int, Decimal, date, None)."""

    name: str
    headers: list
    rows: list = field(default_factory=list)
    widths: list = field(default_factory=list)  # optional column widths in characters


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    short_label: str
    extension: str
    content_type: str


FORMATS = {
    "xlsx": Format(
        "xlsx",
        gettext_lazy("Excel (xlsx)"),
        "xlsx",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "ods": Format(
        "ods", gettext_lazy("LibreOffice (ods)"), "ods", "ods", "application/vnd.oasis.opendocument.spreadsheet"
    ),
    "csv": Format(
        "csv",
        gettext_lazy("CSV för svenskt Excel (semikolon, decimalkomma)"),
        gettext_lazy("CSV (Excel)"),
        "csv",
        "text/csv; charset=utf-8",
    ),
    "csv-utf8": Format(
        "csv-utf8",
        gettext_lazy("CSV, UTF-8 (komma, decimalpunkt)"),
        gettext_lazy("CSV (UTF-8)"),
        "csv",
        "text/csv; charset=utf-8",
    ),
}
WORKBOOK_FORMATS = ("xlsx", "ods")


def write(sheets, fmt):
    """The bytes of a file in format `fmt` (a key of FORMATS); CSV takes exactly one sheet."""
    sheets = [_plain(sheet) for sheet in sheets]
    if fmt == "xlsx":
        return _write_xlsx(sheets)
    if fmt == "ods":
        return _write_ods(sheets)
    if fmt in ("csv", "csv-utf8"):
        if len(sheets) != 1:
            raise ValueError("A CSV file holds exactly one sheet.")
        return _write_csv(sheets[0], swedish=fmt == "csv")
    raise ValueError(f"Unknown format {fmt!r}")


def _plain(sheet):
    """The sheet with lazy translations turned into text."""

    def plain(value):
        return str(value) if isinstance(value, Promise) else value

    return OutputSheet(
        name=str(sheet.name),
        headers=[str(h) for h in sheet.headers],
        rows=[[plain(v) for v in row] for row in sheet.rows],
        widths=sheet.widths,
    )


def _width(sheet, index, header):
    if index < len(sheet.widths) and sheet.widths[index]:
        return sheet.widths[index]
    longest = max([len(str(header))] + [len(display(row[index])) for row in sheet.rows[:200] if index < len(row)])
    return max(8, min(60, longest + 2))


def _write_xlsx(sheets):
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for sheet in sheets:
        ws = book.create_sheet(title=sheet.name[:31])
        ws.append([str(h) for h in sheet.headers])
        for cell in ws[1]:
            cell.font = bold
        for row in sheet.rows:
            ws.append([_xlsx_value(v) for v in row])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, datetime.date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, str):
                    # Text is always a string cell, never a formula; text that looks like one gets Excel's own
                    # quote prefix, so it stays text even when someone edits the cell.
                    cell.data_type = "s"
                    if is_formula_like(cell.value):
                        cell.quotePrefix = True
                    if "\n" in cell.value:
                        cell.alignment = wrap
        for index, header in enumerate(sheet.headers):
            ws.column_dimensions[get_column_letter(index + 1)].width = _width(sheet, index, header)
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value):
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _write_ods(sheets):
    from odf import number, style, table, teletype, text
    from odf.opendocument import OpenDocumentSpreadsheet

    doc = OpenDocumentSpreadsheet()
    bold = style.Style(name="header", family="table-cell")
    bold.addElement(style.TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)
    date_format = number.DateStyle(name="isodate")
    date_format.addElement(number.Year(style="long"))
    date_format.addElement(number.Text(text="-"))
    date_format.addElement(number.Month(style="long"))
    date_format.addElement(number.Text(text="-"))
    date_format.addElement(number.Day(style="long"))
    doc.styles.addElement(date_format)
    date_style = style.Style(name="date", family="table-cell", datastylename="isodate")
    doc.automaticstyles.addElement(date_style)
    for sheet_index, sheet in enumerate(sheets):
        ws = table.Table(name=sheet.name)
        for index, header in enumerate(sheet.headers):
            column_style = style.Style(name=f"col{sheet_index}_{index}", family="table-column")
            width = _width(sheet, index, header)
            column_style.addElement(style.TableColumnProperties(columnwidth=f"{width * 0.21:.2f}cm"))
            doc.automaticstyles.addElement(column_style)
            ws.addElement(table.TableColumn(stylename=column_style))
        header_row = table.TableRow()
        for header in sheet.headers:
            cell = table.TableCell(valuetype="string", stylename=bold)
            cell.addElement(text.P(text=str(header)))
            header_row.addElement(cell)
        ws.addElement(header_row)
        for row in sheet.rows:
            odf_row = table.TableRow()
            for value in row:
                odf_row.addElement(_ods_cell(value, table, text, teletype, date_style))
            ws.addElement(odf_row)
        doc.spreadsheet.addElement(ws)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def _ods_cell(value, table, text, teletype, date_style):
    if value is None or value == "":
        return table.TableCell()
    if isinstance(value, bool):
        value = _("Ja") if value else _("Nej")
    if isinstance(value, int | Decimal | float):
        number = format_decimal(Decimal(str(value)), decimal_separator=".")
        cell = table.TableCell(valuetype="float", value=number)
        cell.addElement(text.P(text=format_decimal(Decimal(str(value)), decimal_separator=",")))
        return cell
    if isinstance(value, datetime.date):
        cell = table.TableCell(valuetype="date", datevalue=value.isoformat(), stylename=date_style)
        cell.addElement(text.P(text=value.isoformat()))
        return cell
    # A string cell: spreadsheet programs never run it as a formula.
    cell = table.TableCell(valuetype="string")
    for line in str(value).split("\n"):
        paragraph = text.P()
        teletype.addTextToElement(paragraph, line)
        cell.addElement(paragraph)
    return cell


def _write_csv(sheet, *, swedish):
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";" if swedish else ",", lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in sheet.headers])
    decimal_separator = "," if swedish else "."
    for row in sheet.rows:
        writer.writerow([_csv_value(v, decimal_separator) for v in row])
    text = out.getvalue()
    return ("\ufeff" + text).encode("utf-8") if swedish else text.encode("utf-8")


def _csv_value(value, decimal_separator):
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return format_decimal(Decimal(str(value)), decimal_separator=decimal_separator)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return neutralise(str(value))


# --- import-export widgets -----------------------------------------------------------------------------------------


class TextWidget(widgets.Widget):
    """Text: stripped, newlines normalised; renders the text as is."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        return clean_text(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value).replace("\r\n", "\n").strip()


class NumberWidget(widgets.Widget):
    """A decimal number as Swedes write it; empty is None."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        if is_empty(value):
            return None
        return parse_number(value)

    def render(self, value, obj=None, **kwargs):
        if value is None or value == "":
            return None
        return Decimal(str(value)).normalize() if not isinstance(value, Decimal) else value.normalize()


class IntegerWidget(widgets.Widget):
    """A whole number (years); empty is None."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        if is_empty(value):
            return None
        return parse_integer(value)

    def render(self, value, obj=None, **kwargs):
        return None if value in (None, "") else int(value)


class DateWidget(widgets.Widget):
    """A date in ISO or Swedish form; empty is None."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        if is_empty(value):
            return None
        return parse_date(value)

    def render(self, value, obj=None, **kwargs):
        return value or None


class BooleanWidget(widgets.Widget):
    """Ja/Nej; empty is Nej."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        return parse_bool(value)

    def render(self, value, obj=None, **kwargs):
        return _("Ja") if value else _("Nej")


class ChoiceWidget(widgets.Widget):
    """One of a model's choices, written as its Swedish label; the stored value and `aliases` are accepted too."""

    def __init__(self, choices, *, aliases=None, labels=None):
        super().__init__(coerce_to_string=False)
        self.choices = choices
        self.labels = labels or {}
        self.aliases = aliases or {}

    def label(self, value):
        if value in self.labels:
            return str(self.labels[value])
        return str(dict(self.choices.choices).get(value, value))

    def lookup(self):
        table = {}
        for value, label in self.choices.choices:
            table[str(value).lower()] = value
            table[str(label).lower()] = value
        for value, label in self.labels.items():
            table[str(label).lower()] = value
        for alias, value in self.aliases.items():
            table[alias.lower()] = value
        return table

    def clean(self, value, row=None, **kwargs):
        if is_empty(value):
            return None
        text = clean_text(value)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            text = format_decimal(parse_number(value))
        found = self.lookup().get(text.lower())
        if found is None:
            options = ", ".join(self.label(v) for v, _label in self.choices.choices)
            raise ValueError(
                _("”%(value)s” är inget giltigt värde; välj ett av: %(options)s")
                % {
                    "value": text,
                    "options": options,
                }
            )
        return found

    def render(self, value, obj=None, **kwargs):
        if value in (None, ""):
            return ""
        return self.label(value)
