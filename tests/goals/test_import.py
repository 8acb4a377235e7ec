"""
Spreadsheet import and export (goals.importing, goals.resources, styrning.spreadsheets): every format, the round
trip, each bad input with its exact message, nothing saved on error, history with the import reason, permissions and
formula neutralisation. Files are built in the tests (openpyxl for xlsx, the module's own writer for ods).
"""

import csv
import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from goals import importing
from goals.models import Goal, Indicator, Outcome, Plan, Target
from styrning import spreadsheets
from styrning.models import Organisation
from styrning.services import membership_grant
from tests import factories as f

GOAL_HEADERS = ["Kod", "Typ", "Överordnad kod", "Organisation", "Plan", "Rubrik", "Perspektiv"]
# The goal chain's sheets come first in every workbook; the apps above goals (assignments, budget) add theirs after.
GOAL_CHAIN_SHEETS = ["Organisationer", "Planer", "Mål", "Indikatorer", "Utfall"]


def xlsx(sheets):
    """An xlsx file from {sheet name: [header row, row, …]}."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(rows, *, delimiter=";", encoding="utf-8-sig"):
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def run(world, data, filename="import.xlsx", *, commit=False, user=None, municipality=None):
    return importing.import_file(
        data=data,
        filename=filename,
        municipality=municipality or world.municipality,
        user=user or world.admin,
        commit=commit,
    )


def errors(report):
    return [str(e) for e in report.all_errors]


def goals_file(*rows, headers=GOAL_HEADERS):
    return xlsx({"Mål": [headers, *rows]})


def export_rows(world, fmt="xlsx"):
    """The municipality's export as {sheet: rows} (read back with the importer's reader)."""
    _name, data = importing.export_file(municipality=world.municipality, fmt=fmt)
    workbook = spreadsheets.read_file(data, f"x.{fmt}")
    return {s.name: [s.headers, *[values for _n, values in s.rows]] for s in workbook.sheets}


# --- Formats and the round trip ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_workbook_export_imports_without_changes(world, fmt):
    name, data = importing.export_file(municipality=world.municipality, fmt=fmt)
    assert name.endswith(f".{fmt}")
    report = run(world, data, name, commit=True)
    assert errors(report) == []
    assert [(s.name, s.total, s.new, s.changed, s.unchanged) for s in report.sheets[:5]] == [
        ("Organisationer", 6, 0, 0, 6),
        ("Planer", 4, 0, 0, 4),
        ("Mål", 6, 0, 0, 6),
        ("Indikatorer", 1, 0, 0, 1),
        ("Utfall", 1, 0, 0, 1),
    ]
    assert report.committed


@pytest.mark.parametrize("fmt", ["csv", "csv-utf8"])
@pytest.mark.parametrize("sheet", ["organisationer", "planer", "mal", "indikatorer", "utfall"])
def test_csv_export_per_kind_imports_without_changes(world, fmt, sheet):
    name, data = importing.export_file(municipality=world.municipality, fmt=fmt, sheet=sheet)
    report = run(world, data, name)
    assert errors(report) == []
    assert report.new == report.changed == 0
    assert report.unchanged > 0


def test_round_trip_changes_nothing(world):
    """Export → import → export gives the same file contents, and the import writes no history."""
    f.make_goal(
        parent=world.bun1,
        organisation=world.bun_admin,
        plan=world.buf_plan,
        code="BUF2",
        title="Mål med\nflera rader",
        description="=1+1 är ingen formel",
    )
    world.indicator.baseline_value = Decimal("85.50")
    world.indicator.baseline_year = 2023
    world.indicator.save()
    before = export_rows(world)
    history_before = Goal.history.count() + Indicator.history.count() + Organisation.history.count()
    _name, data = importing.export_file(municipality=world.municipality, fmt="xlsx")
    report = run(world, data, "export.xlsx", commit=True)
    assert report.committed and report.new == report.changed == 0
    assert export_rows(world) == before
    assert Goal.history.count() + Indicator.history.count() + Organisation.history.count() == history_before


def test_export_has_swedish_headers_and_instructions(world):
    rows = export_rows(world)
    assert list(rows)[:6] == ["Instruktioner", *GOAL_CHAIN_SHEETS]
    assert rows["Mål"][0][:6] == ["Kod", "Typ", "Nivå", "Överordnad kod", "Organisation", "Plan"]
    assert "Målvärde 2025" in rows["Indikatorer"][0]
    bun1 = next(r for r in rows["Mål"][1:] if r[0] == "BUN1")
    assert bun1[1:6] == ["Mål", "Nämnd- och bolagsmål", "KF1", "BUN", 2025]
    indicator = rows["Indikatorer"][1]
    assert indicator[rows["Indikatorer"][0].index("Målvärde 2025")] == 90
    assert rows["Utfall"][1][:5] == ["BUN1", "Behöriga till gymnasiet", 2024, "Helår", 86]


def test_new_rows_are_created_parents_first_with_history(world):
    """A workbook that lists children before their parents, across sheets, is written in the right order."""
    data = xlsx(
        {
            "Organisationer": [
                ["Kod", "Namn", "Typ", "Överordnad kod"],
                ["LAS", "Läsenheten", "Enhet", "BUF2"],
                ["BUF2", "Grundskolan", "Verksamhet", "BUF"],
            ],
            "Planer": [["Organisation", "Period", "Titel"], ["LAS", "2025", "Enhetsplan Läsenheten 2025"]],
            "Mål": [
                [*GOAL_HEADERS, "Agenda 2030", "Bidrar även till"],
                ["LAS1", "Mål", "BUF1", "LAS", "2025", "Alla läser varje dag", "", "4, 4.1", "BUF1.2"],
                ["BUF1.2", "Mål", "BUN1", "BUF", 2025, "Fler läser", "", "", ""],
            ],
            "Indikatorer": [
                ["Mål", "Namn", "Enhet", "Riktning", "Utgångsvärde", "Utgångsår", "Målvärde 2025", "Målvärde 2026"],
                ["LAS1", "Lästid per dag", "minuter", "Högre är bättre", "12,5", 2024, "15", "17,5"],
            ],
            "Utfall": [
                ["Mål", "Indikator", "År", "Period", "Utfall"],
                ["LAS1", "Lästid per dag", 2025, "T1", 13],
                ["LAS1", "Lästid per dag", 2025, "T2", "13,5"],
                ["LAS1", "Lästid per dag", 2025, "Helår", 14],
            ],
        }
    )
    report = run(world, data, "nytt.xlsx", commit=True)
    assert errors(report) == []
    assert [(s.name, s.new) for s in report.sheets] == [
        ("Organisationer", 2),
        ("Planer", 1),
        ("Mål", 2),
        ("Indikatorer", 1),
        ("Utfall", 3),
    ]
    unit = Organisation.objects.get(municipality=world.municipality, code="LAS")
    assert unit.parent.code == "BUF2" and unit.parent.parent == world.bun_admin
    goal = Goal.objects.get(municipality=world.municipality, code="LAS1")
    assert goal.parent.code == "BUF1" and goal.plan.title == "Enhetsplan Läsenheten 2025"
    assert goal.level == 4 and goal.start_year == 2025
    assert sorted(str(g.number) for g in goal.sdg_goals.all()) == ["4"]
    assert [t.code for t in goal.sdg_targets.all()] == ["4.1"]
    assert [g.code for g in goal.contributes_to.all()] == ["BUF1.2"]
    indicator = Indicator.objects.get(goal=goal)
    assert indicator.baseline_value == Decimal("12.5") and indicator.direction == "increase"
    assert {t.year: t.value for t in indicator.targets.all()} == {2025: Decimal("15"), 2026: Decimal("17.5")}
    assert sorted(indicator.outcomes.values_list("period", "value")) == [
        ("T1", Decimal("13")),
        ("T2", Decimal("13.5")),
        ("Y", Decimal("14")),
    ]
    # Every created object has a history row with the user and the import's reason.
    for obj in (unit, goal.plan, goal, indicator, indicator.targets.first(), indicator.outcomes.first()):
        record = obj.history.latest()
        assert record.history_change_reason == "Import av nytt.xlsx"
        assert record.history_user == world.admin
    # The trees' numbering is what MPTT would produce.
    from goals.synthetic import verify_municipality

    assert verify_municipality(world.municipality) == []


def test_a_long_file_name_fits_the_history_reason(world):
    name = "Målkedja för Barn- och utbildningsnämnden och dess förvaltning, reviderad efter dialogen i mars.xlsx"
    data = goals_file(["BUN2", "Mål", "KF1", "BUN", "2025", "Goda lärmiljöer", "Utveckling"])
    assert run(world, data, name, commit=True).committed
    reason = Goal.objects.get(municipality=world.municipality, code="BUN2").history.latest().history_change_reason
    assert reason == (
        "Import av Målkedja för Barn- och utbildningsnämnden och dess förvaltning, reviderad efter dialogen…"
    )


def test_changed_rows_show_old_and_new_and_leave_the_rest(world):
    rows = export_rows(world)["Mål"]
    headers = rows[0]
    title = headers.index("Rubrik")
    for row in rows[1:]:
        if row[0] == "BUN1":
            row[title] = "Alla elever klarar skolan"
    preview = run(world, xlsx({"Mål": rows}))
    sheet = preview.sheets[0]
    assert (sheet.new, sheet.changed, sheet.unchanged, sheet.erroneous) == (0, 1, 5, 0)
    assert sheet.rows[0].label == "BUN1 Alla elever klarar skolan"
    assert sheet.rows[0].changes == [("Rubrik", "Fler elever klarar skolan", "Alla elever klarar skolan")]
    world.bun1.refresh_from_db()
    assert world.bun1.title == "Fler elever klarar skolan"  # the preview saved nothing

    report = run(world, xlsx({"Mål": rows}), "mal.xlsx", commit=True)
    assert report.committed
    world.bun1.refresh_from_db()
    assert world.bun1.title == "Alla elever klarar skolan"
    record = world.bun1.history.latest()
    assert (record.history_change_reason, record.history_user) == ("Import av mal.xlsx", world.admin)
    world.kf1.refresh_from_db()
    assert world.kf1.version == 1  # unchanged rows are not saved


def test_a_partial_file_changes_only_its_columns(world):
    data = goals_file(["BUF1", "Mål", "BUN1", "BUF", "2025", "Läsfrämjande insatser", ""])
    report = run(world, data, commit=True)
    assert report.committed and report.changed == 1
    world.buf1.refresh_from_db()
    assert world.buf1.title == "Läsfrämjande insatser"


def test_goal_can_move_to_another_parent(world):
    kf3 = f.make_goal(parent=world.vision, organisation=world.kf, plan=world.strategic_plan, code="KF3", title="Ny")
    data = goals_file(["BUN1", "Mål", "KF3", "BUN", "2025", "Fler elever klarar skolan", "Invånare och brukare"])
    report = run(world, data, commit=True)
    assert report.committed
    world.bun1.refresh_from_db()
    assert world.bun1.parent == kf3
    assert report.sheets[0].rows[0].changes == [("Överordnad kod", "KF1", "KF3")]
    from goals.synthetic import verify_municipality

    assert verify_municipality(world.municipality) == []


def test_swedish_excel_csv_in_windows_1252(world):
    """Semicolons, decimal comma, thousands with a space, Swedish and ISO dates, Windows-1252."""
    indicator_csv = csv_file(
        [
            ["Mål", "Namn", "Enhet", "Utgångsvärde", "Utgångsår", "Målvärde 2026"],
            ["BUN1", "Kostnad per elev", "kr", "1 234,5", "2024", "1 200"],
        ],
        encoding="cp1252",
    )
    report = run(world, indicator_csv, "indikatorer.csv", commit=True)
    assert errors(report) == []
    indicator = Indicator.objects.get(goal=world.bun1, name="Kostnad per elev")
    assert indicator.baseline_value == Decimal("1234.5")
    assert indicator.targets.get().value == Decimal("1200")

    activities = csv_file(
        [
            ["Kod", "Typ", "Överordnad kod", "Organisation", "Plan", "Rubrik", "Ansvarig", "Startdatum", "Slutdatum"],
            [
                "BUF1.A1",
                "Aktivitet",
                "BUF1",
                "BUF",
                "2025",
                "Läsårets bokcirklar",
                "Rektor",
                "5 mars 2025",
                "2025-06-13",
            ],
            ["BUF1.A2", "aktivitet", "BUF1", "BUF", "2025", "Författarbesök", "Rektor", "1/9 2025", "20251120"],
        ],
        encoding="cp1252",
    )
    report = run(world, activities, "aktiviteter.csv", commit=True)
    assert errors(report) == []
    a1 = Goal.objects.get(municipality=world.municipality, code="BUF1.A1")
    assert (a1.kind, a1.start_date, a1.end_date) == ("activity", datetime.date(2025, 3, 5), datetime.date(2025, 6, 13))
    a2 = Goal.objects.get(municipality=world.municipality, code="BUF1.A2")
    assert (a2.start_date, a2.end_date) == (datetime.date(2025, 9, 1), datetime.date(2025, 11, 20))


def test_plain_utf8_comma_csv(world):
    data = csv_file(
        [["Mål", "Indikator", "År", "Period", "Utfall"], ["BUN1", "Behöriga till gymnasiet", "2025", "T1", "87.25"]],
        delimiter=",",
        encoding="utf-8",
    )
    report = run(world, data, "utfall.csv", commit=True)
    assert errors(report) == []
    assert Outcome.objects.get(indicator=world.indicator, year=2025, period="T1").value == Decimal("87.25")


def test_ods_file_with_a_change(world):
    sheet = importing.sheet_resources()[2]().export_sheet(world.municipality)  # Mål
    title = sheet.headers.index("Rubrik")
    for row in sheet.rows:
        if row[0] == "SN1":
            row[title] = "Trygg omsorg för alla"
    data = spreadsheets.write([sheet], "ods")
    report = run(world, data, "mal.ods", commit=True)
    assert errors(report) == [] and report.changed == 1
    world.sn1.refresh_from_db()
    assert world.sn1.title == "Trygg omsorg för alla"


def test_template_imports_into_a_new_municipality(world):
    """The template's example rows are valid: they load into an empty municipality with a mandate period."""
    municipality = f.make_municipality(name="Mallby kommun", slug="mallby")
    f.make_mandate_period(municipality=municipality)
    admin = f.make_user("mallby_admin")
    membership_grant(user=admin, organisation=f.root_of(municipality), role="admin", granted_by=None)
    name, data = importing.template_file(fmt="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[:6] == ["Instruktioner", *GOAL_CHAIN_SHEETS]
    report = run(world, data, name, commit=True, user=admin, municipality=municipality)
    assert errors(report) == []
    new = sum(s.new for s in report.sheets if s.name in GOAL_CHAIN_SHEETS)
    assert report.committed and new == 4 + 3 + 6 + 1 + 2 - 1  # KF already exists: updated, not created
    assert Goal.objects.filter(municipality=municipality).count() == 6


@pytest.mark.parametrize("fmt", ["csv", "csv-utf8", "ods", "xlsx"])
def test_template_per_kind(world, fmt):
    name, data = importing.template_file(fmt=fmt, sheet="utfall")
    workbook = spreadsheets.read_file(data, name)
    sheet = next(s for s in workbook.sheets if s.name != "Instruktioner")
    assert sheet.headers[:5] == ["Mål", "Indikator", "År", "Period", "Utfall"]
    assert len(sheet.rows) == 2


# --- Bad input: a clear message each, nothing saved ----------------------------------------------------------------


def test_not_a_spreadsheet(world):
    report = run(world, b"%PDF-1.7\n\x00\x01\x02binary", "rapport.pdf")
    assert errors(report) == [
        "Filen är inte ett kalkylark. Ladda upp en xlsx-fil (Excel), en ods-fil (LibreOffice) eller en csv-fil."
    ]


def test_zip_that_is_not_a_spreadsheet(world):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert errors(run(world, out.getvalue(), "brev.docx")) == [
        "Filen är inte ett kalkylark. Ladda upp en xlsx-fil (Excel), en ods-fil (LibreOffice) eller en csv-fil."
    ]


def test_corrupt_file(world):
    data = goals_file(["KF9", "Inriktningsmål", "VISION", "KF", "2023–2026", "Titel", ""])
    assert errors(run(world, data[: len(data) // 2])) == [
        "Filen kunde inte läsas som kalkylark; den verkar vara skadad. Spara om den och försök igen."
    ]


def test_old_excel_format(world):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    assert errors(run(world, data, "gammal.xls")) == [
        "Filen är i Excels gamla format (.xls) eller lösenordsskyddad. Spara den som .xlsx utan lösenord och "
        "försök igen."
    ]


def test_empty_file(world):
    assert errors(run(world, b"", "tom.csv")) == ["Filen är tom."]


def test_file_with_headers_only(world):
    assert errors(run(world, goals_file())) == ["Filen innehåller inga rader att läsa in."]


def test_file_over_the_size_limit(world, settings):
    settings.IMPORT_MAX_FILE_BYTES = 1024
    data = csv_file([["Kod", "Namn", "Typ", "Överordnad kod"]] + [["X", "y" * 100, "Enhet", "BUF"]] * 20)
    assert errors(run(world, data, "stor.csv")) == ["Filen är för stor (0 MB). Den får vara högst 0 MB."]
    settings.IMPORT_MAX_FILE_BYTES = 10 * 1024 * 1024
    big = b"x" * (10 * 1024 * 1024 + 1)
    assert errors(run(world, big, "stor.csv")) == ["Filen är för stor (10 MB). Den får vara högst 10 MB."]


def test_zip_bomb(world, settings):
    """An xlsx that unpacks to far more than its size is refused before anything is unpacked."""
    settings.IMPORT_MAX_UNPACKED_BYTES = 5 * 1024 * 1024
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (6 * 1024 * 1024))
    assert len(out.getvalue()) < 100_000
    assert errors(run(world, out.getvalue(), "bomb.xlsx")) == [
        "Filen packas upp till mer än 5 MB och läses inte in. Dela upp den i mindre filer."
    ]


def test_unrecognised_csv(world):
    data = csv_file([["Färg", "Smak"], ["röd", "söt"]])
    assert errors(run(world, data, "frukt.csv")) == [
        "Filen har inga kolumner som Styrning känner igen. Ladda ned mallen och se vilka kolumner som behövs."
    ]


def test_missing_required_column(world):
    data = xlsx(
        {
            "Mål": [
                ["Kod", "Typ", "Överordnad kod", "Organisation", "Plan"],
                ["KF3", "Inriktningsmål", "VISION", "KF", "2023–2026"],
            ]
        }
    )
    assert errors(run(world, data)) == ["Blad Mål: kolumnen Rubrik saknas"]


def test_unknown_column_is_warned_and_ignored(world):
    data = goals_file(
        ["KF3", "Inriktningsmål", "VISION", "KF", "2023–2026", "Trygghet", "", "blå"],
        headers=[*GOAL_HEADERS, "Färg"],
    )
    report = run(world, data, commit=True)
    assert errors(report) == []
    assert [str(w) for w in report.all_warnings] == ["Blad Mål: kolumnen Färg är okänd och hoppas över"]
    assert Goal.objects.filter(municipality=world.municipality, code="KF3").exists()


def test_wrong_types(world):
    data = xlsx(
        {
            "Indikatorer": [
                ["Mål", "Namn", "Utgångsvärde", "Utgångsår", "Uppdelat på kön", "Riktning", "Målvärde 2026"],
                ["BUN1", "A", "tolv", "2024", "Nej", "Högre är bättre", "12,5"],
                ["BUN1", "B", "12,5", "tjugo", "kanske", "uppåt", "1 234"],
            ]
        }
    )
    assert errors(run(world, data)) == [
        "Blad Indikatorer, rad 2, kolumn Utgångsvärde: ange ett tal, till exempel 12,5 eller 1 234 (”tolv” är inget "
        "tal)",
        "Blad Indikatorer, rad 3, kolumn Utgångsår: ange ett heltal, till exempel 2026 (”tjugo” är inget heltal)",
        "Blad Indikatorer, rad 3, kolumn Uppdelat på kön: ange Ja eller Nej (”kanske” är varken eller)",
        "Blad Indikatorer, rad 3, kolumn Riktning: ”uppåt” är inget giltigt värde; välj ett av: Högre är bättre, "
        "Lägre är bättre",
    ]


def test_bad_date(world):
    data = goals_file(
        ["BUF1.A1", "Aktivitet", "BUF1", "BUF", "2025", "Bokcirkel", "", "Rektor", "31 februari 2025"],
        headers=[*GOAL_HEADERS, "Ansvarig", "Startdatum"],
    )
    assert errors(run(world, data)) == [
        "Blad Mål, rad 2, kolumn Startdatum: ange ett datum, till exempel 2025-03-05 eller 5 mars 2025 "
        "(”31 februari 2025” är inget datum)"
    ]


def test_unknown_parent_code(world):
    data = goals_file(
        ["BUN2", "Mål", "KF1", "BUN", "2025", "Goda lärmiljöer", "Utveckling"],
        ["BUN3", "Mål", "KF9", "BUN", "2025", "Trygg skola", "Invånare och brukare"],
    )
    assert errors(run(world, data, commit=True)) == ["Blad Mål, rad 3, kolumn Överordnad kod: koden KF9 finns inte"]
    assert not Goal.objects.filter(code__in=["BUN2", "BUN3"]).exists()  # nothing saved, not even the good row


def test_reference_to_a_failed_row_names_it(world):
    data = goals_file(
        ["BUN2", "Mål", "KF9", "BUN", "2025", "Goda lärmiljöer", "Utveckling"],
        ["BUF2", "Mål", "BUN2", "BUF", "2025", "Fler läser", ""],
    )
    assert errors(run(world, data)) == [
        "Blad Mål, rad 2, kolumn Överordnad kod: koden KF9 finns inte",
        "Blad Mål, rad 3, kolumn Överordnad kod: koden BUN2 har fel i filen (blad Mål, rad 2)",
    ]


def test_reference_to_a_row_whose_cells_cannot_be_read_names_it(world):
    """A row whose own cells cannot be read keeps its code: the rows that refer to it, above or below it and on the
    later sheets, say that it has an error in the file instead of that the code does not exist."""
    data = xlsx(
        {
            "Organisationer": [
                ["Kod", "Namn", "Typ", "Överordnad kod"],
                ["LAS", "Läsenheten", "Enhet", "BUF2"],
                ["BUF2", "Grundskolan", "Avdelning", "BUF"],
            ],
            "Planer": [["Organisation", "Period", "Titel"], ["BUF2", "2025", "Verksamhetsplan Grundskolan 2025"]],
            "Mål": [
                [*GOAL_HEADERS, "Bidrar även till"],
                ["BUN9", "Mål", "KF9", "BUN", "2025", "Tryggare skolor", "Utveckling", ""],
                ["SN9", "Mål", "KF1", "SN", "2025", "Trygg omsorg", "Utveckling", "KF9"],
                ["KF9", "Fantasimål", "VISION", "KF", "2023–2026", "Trygg kommun", "", ""],
            ],
            "Indikatorer": [["Mål", "Namn"], ["KF9", "Andel trygga"]],
        }
    )
    assert errors(run(world, data, commit=True)) == [
        "Blad Organisationer, rad 2, kolumn Överordnad kod: koden BUF2 har fel i filen (blad Organisationer, rad 3)",
        "Blad Organisationer, rad 3, kolumn Typ: ”Avdelning” är inget giltigt värde; välj ett av: Kommunfullmäktige, "
        "Kommunstyrelse, Nämnd, Bolag, Förvaltning, Verksamhet, Enhet",
        "Blad Planer, rad 2, kolumn Organisation: koden BUF2 har fel i filen (blad Organisationer, rad 3)",
        "Blad Mål, rad 2, kolumn Överordnad kod: koden KF9 har fel i filen (blad Mål, rad 4)",
        "Blad Mål, rad 3, kolumn Bidrar även till: koden KF9 har fel i filen (blad Mål, rad 4)",
        "Blad Mål, rad 4, kolumn Typ: ”Fantasimål” är inget giltigt värde; välj ett av: Vision, Inriktningsmål, "
        "Finansiellt mål, Mål, Aktivitet",
        "Blad Indikatorer, rad 2, kolumn Mål: koden KF9 har fel i filen (blad Mål, rad 4)",
    ]
    assert not Organisation.objects.filter(code__in=["LAS", "BUF2"]).exists()


def test_parent_at_the_wrong_level(world):
    data = goals_file(["BUN2", "Mål", "BUF1", "BUN", "2025", "Goda lärmiljöer", "Utveckling"])
    assert errors(run(world, data)) == [
        "Blad Mål, rad 2, kolumn Överordnad kod: Det överordnade målet ska ligga på en högre nivå eller tillhöra en "
        "överordnad organisation (här: verksamhetsmål, Barn- och utbildningsförvaltningen)."
    ]


def test_level_that_does_not_match_the_organisation(world):
    data = goals_file(
        ["BUN2", "Mål", "Verksamhetsmål", "KF1", "BUN", "2025", "Goda lärmiljöer", "Utveckling"],
        headers=["Kod", "Typ", "Nivå", "Överordnad kod", "Organisation", "Plan", "Rubrik", "Perspektiv"],
    )
    assert errors(run(world, data)) == [
        "Blad Mål, rad 2, kolumn Nivå: Mål för en nämnd ligger på nivån nämnd- och bolagsmål."
    ]


def test_cycle(world):
    data = goals_file(
        ["BUN1", "Mål", "BUF1", "BUN", "2025", "Fler elever klarar skolan", "Invånare och brukare"],
    )
    assert errors(run(world, data)) == [
        "Blad Mål, rad 2, kolumn Överordnad kod: de överordnade koderna bildar en slinga: BUN1 → BUF1 → BUN1"
    ]


def test_cycle_within_the_file(world):
    data = xlsx(
        {
            "Organisationer": [
                ["Kod", "Namn", "Typ", "Överordnad kod"],
                ["A", "Enhet A", "Enhet", "B"],
                ["B", "Enhet B", "Enhet", "A"],
            ]
        }
    )
    assert errors(run(world, data)) == [
        "Blad Organisationer, rad 2, kolumn Överordnad kod: de överordnade koderna bildar en slinga: A → B → A",
        "Blad Organisationer, rad 3, kolumn Överordnad kod: de överordnade koderna bildar en slinga: B → A → B",
    ]


def test_duplicate_code_in_the_file(world):
    data = goals_file(
        ["BUN2", "Mål", "KF1", "BUN", "2025", "Goda lärmiljöer", "Utveckling"],
        ["BUN2", "Mål", "KF2", "BUN", "2025", "Trygg skola", "Utveckling"],
    )
    assert errors(run(world, data)) == ["Blad Mål, rad 3, kolumn Kod: koden BUN2 finns redan på rad 2"]


def test_duplicate_indicator_row(world):
    data = xlsx({"Indikatorer": [["Mål", "Namn"], ["BUN1", "Meritvärde"], ["BUN1", "Meritvärde"]]})
    assert errors(run(world, data)) == [
        "Blad Indikatorer, rad 3, kolumn Mål: målet BUN1 har redan en indikator som heter ”Meritvärde” på rad 2; "
        "indikatorer matchas på mål och namn, så de behöver olika namn"
    ]


def test_code_of_another_municipality(world):
    data = goals_file(["KFN1", "Mål", "KF1", "KFN", "2025", "Fler besöker biblioteket", "Utveckling"])
    assert errors(run(world, data)) == ["Blad Mål, rad 2, kolumn Organisation: koden KFN hör till en annan kommun"]
    # A user who may see the other municipality is told which one.
    membership_grant(user=world.admin, organisation=world.other_kf, role="reviewer", granted_by=None)
    world.admin = type(world.admin).objects.get(pk=world.admin.pk)
    assert errors(run(world, data)) == [
        "Blad Mål, rad 2, kolumn Organisation: koden KFN hör till en annan kommun (Säters kommun)"
    ]


def test_organisation_outside_the_importers_scope(world):
    """The service checks every row: an administrator of BUN alone cannot write SN's goals."""
    bun_admin = f.make_user("bun_admin")
    membership_grant(user=bun_admin, organisation=world.bun, role="admin", granted_by=None)
    data = goals_file(
        ["BUN2", "Mål", "KF1", "BUN", "2025", "Goda lärmiljöer", "Utveckling"],
        ["SN2", "Mål", "KF1", "SN", "2025", "Trygg hemtjänst", "Invånare och brukare"],
    )
    report = run(world, data, commit=True, user=bun_admin)
    assert errors(report) == ["Blad Mål, rad 3: organisationen SN ligger utanför din behörighet"]
    assert not Goal.objects.filter(code__in=["BUN2", "SN2"]).exists()


def test_missing_plan_and_value(world):
    data = goals_file(
        ["BUN2", "Mål", "KF1", "BUN", "2031", "Goda lärmiljöer", "Utveckling"],
        ["BUN3", "Mål", "KF1", "BUN", "2025", "", "Utveckling"],
    )
    assert errors(run(world, data)) == [
        "Blad Mål, rad 2, kolumn Plan: BUN har ingen plan för 2031",
        "Blad Mål, rad 3, kolumn Rubrik: värdet saknas",
    ]


def test_second_root_organisation_is_refused(world):
    data = xlsx(
        {"Organisationer": [["Kod", "Namn", "Typ", "Överordnad kod"], ["KF2", "Fullmäktige", "Kommunfullmäktige", ""]]}
    )
    assert errors(run(world, data)) == [
        "Blad Organisationer, rad 2, kolumn Överordnad kod: ange överordnad kod: KF står redan överst i kommunens "
        "organisation"
    ]


def test_unknown_outcome_indicator(world):
    data = xlsx({"Utfall": [["Mål", "Indikator", "År", "Utfall"], ["BUN1", "Meritvärde", 2025, 230]]})
    assert errors(run(world, data)) == [
        "Blad Utfall, rad 2, kolumn Indikator: målet BUN1 har ingen indikator som heter ”Meritvärde”"
    ]


def test_model_validation_reaches_the_row(world):
    """Rules that live on the model (here: a Kolada id's form, a target's decimals) are reported on their cell."""
    data = xlsx(
        {
            "Indikatorer": [
                ["Mål", "Namn", "Kolada-id", "Målvärde 2026"],
                ["BUN1", "Meritvärde", "X123", "12"],
                ["BUN1", "Närvaro", "N15428", "12,345"],
            ]
        }
    )
    assert errors(run(world, data)) == [
        "Blad Indikatorer, rad 2, kolumn Kolada-id: Ett Kolada-id är N eller U följt av fem siffror, t.ex. N00914.",
        "Blad Indikatorer, rad 3, kolumn Målvärde 2026: Säkerställ att det inte är mer än 2 decimaler.",
    ]


def test_nothing_is_saved_when_a_later_sheet_fails(world):
    data = xlsx(
        {
            "Organisationer": [["Kod", "Namn", "Typ", "Överordnad kod"], ["BUF2", "Grundskolan", "Verksamhet", "BUF"]],
            "Utfall": [["Mål", "Indikator", "År", "Utfall"], ["BUN1", "Behöriga till gymnasiet", 2025, "tolv"]],
        }
    )
    report = run(world, data, commit=True)
    assert not report.committed
    assert len(errors(report)) == 1
    assert not Organisation.objects.filter(code="BUF2").exists()
    assert Organisation.history.filter(code="BUF2").count() == 0


def test_duplicate_outcome_row(world):
    data = xlsx(
        {
            "Utfall": [
                ["Mål", "Indikator", "År", "Period", "Utfall"],
                ["BUN1", "Behöriga till gymnasiet", 2025, "T1", 80],
                ["BUN1", "Behöriga till gymnasiet", 2025, "T1 (jan–apr)", 81],
            ]
        }
    )
    assert errors(run(world, data)) == [
        "Blad Utfall, rad 3, kolumn Mål: raden finns redan på rad 2 (samma Mål, Indikator, År och Period)"
    ]


def test_rows_match_within_the_municipality_only(world):
    """A code that another municipality uses is a new row here; the other municipality is not touched."""
    data = xlsx({"Organisationer": [["Kod", "Namn", "Typ", "Överordnad kod"], ["KFN", "Kulturnämnden", "Nämnd", "KF"]]})
    report = run(world, data, commit=True)
    assert report.committed and report.new == 1
    world.other_committee.refresh_from_db()
    assert world.other_committee.name == "Kultur- och fritidsnämnden" and world.other_committee.version == 1
    assert Organisation.objects.get(municipality=world.municipality, code="KFN").name == "Kulturnämnden"


def test_two_sheets_of_the_same_kind(world):
    rows = [GOAL_HEADERS, ["KF3", "Inriktningsmål", "VISION", "KF", "2023–2026", "Trygghet", ""]]
    assert errors(run(world, xlsx({"Mål": rows, "Blad2": rows}))) == ["Filen har två blad med Mål: Mål och Blad2."]


# --- Formula neutralisation ----------------------------------------------------------------------------------------


def test_formulas_are_neutralised_on_export(world):
    world.bun1.title = '=HYPERLINK("http://example.invalid";"Klicka")'
    world.bun1.description = "+46 36 123 45"
    world.bun1.save()
    _name, data = importing.export_file(municipality=world.municipality, fmt="csv", sheet="mal")
    text = data.decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://example.invalid"";""Klicka"")"' in text
    assert ";'+46 36 123 45;" in text
    # xlsx: a string cell (never a formula) with Excel's quote prefix.
    _name, data = importing.export_file(municipality=world.municipality, fmt="xlsx", sheet="mal")
    ws = openpyxl.load_workbook(io.BytesIO(data))["Mål"]
    cell = next(row[6] for row in ws.iter_rows(min_row=2) if row[0].value == "BUN1")
    assert (cell.value, cell.data_type, cell.quotePrefix) == (world.bun1.title, "s", True)
    # ods: a string cell.
    _name, data = importing.export_file(municipality=world.municipality, fmt="ods", sheet="mal")
    content = zipfile.ZipFile(io.BytesIO(data)).read("content.xml").decode()
    assert 'office:value-type="string"' in content and "table:formula" not in content
    # And each of them reads back as the same text: nothing changes.
    for fmt in ("csv", "csv-utf8", "xlsx", "ods"):
        name, data = importing.export_file(municipality=world.municipality, fmt=fmt, sheet="mal")
        report = run(world, data, name)
        assert errors(report) == [] and report.changed == 0, fmt


# --- Swedish values ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12,5", Decimal("12.5")),
        ("1 234", Decimal("1234")),
        ("1\u00a0234,75", Decimal("1234.75")),
        ("\u22123,5", Decimal("-3.5")),
        ("12,5 %", Decimal("12.5")),
        ("12.5", Decimal("12.5")),
        ("1.234,5", Decimal("1234.5")),
        (12.35, Decimal("12.35")),
        (7, Decimal("7")),
    ],
)
def test_swedish_numbers(text, value):
    assert spreadsheets.parse_number(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2025-03-05", datetime.date(2025, 3, 5)),
        ("20250305", datetime.date(2025, 3, 5)),
        ("5 mars 2025", datetime.date(2025, 3, 5)),
        ("5 Mars 2025", datetime.date(2025, 3, 5)),
        ("5 mar. 2025", datetime.date(2025, 3, 5)),
        ("5/3 2025", datetime.date(2025, 3, 5)),
        ("5/3-2025", datetime.date(2025, 3, 5)),
        ("05.03.2025", datetime.date(2025, 3, 5)),
        ("2025-03-05 00:00:00", datetime.date(2025, 3, 5)),
        (datetime.datetime(2025, 3, 5), datetime.date(2025, 3, 5)),
    ],
)
def test_swedish_and_iso_dates(text, value):
    assert spreadsheets.parse_date(text) == value


# --- Views and permissions -----------------------------------------------------------------------------------------


def _upload(client, world, data, name="import.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("goals:import", args=[world.municipality.slug]), {"file": SimpleUploadedFile(name, data)}
    )


IMPORT_ACCESS = {
    "anonymous": 302,
    "foreigner": 404,
    "outsider": 403,
    "colleague": 403,
    "politician": 403,
    "official": 403,
    "admin": 200,
}


@pytest.mark.parametrize("persona", list(IMPORT_ACCESS))
@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("goals:import", args=[w.municipality.slug]),
        lambda w: reverse("goals:export", args=[w.municipality.slug]) + "?format=xlsx",
        lambda w: reverse("goals:export", args=[w.municipality.slug]) + "?format=csv&blad=mal",
        lambda w: reverse("goals:import_template", args=[w.municipality.slug]) + "?format=ods",
    ],
)
def test_only_the_municipalitys_administrators_import_and_export(client, world, persona, url):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    response = client.get(url(world))
    assert response.status_code == IMPORT_ACCESS[persona]


def test_another_municipalitys_administrator_cannot_import_or_export(client, world):
    other_admin = f.make_user("sater_admin")
    membership_grant(user=other_admin, organisation=world.other_kf, role="admin", granted_by=None)
    client.force_login(other_admin)
    slug = world.municipality.slug
    assert client.get(reverse("goals:export", args=[slug]) + "?format=xlsx").status_code == 404
    data = goals_file(["KF3", "Inriktningsmål", "VISION", "KF", "2023–2026", "Trygghet", ""])
    assert _upload(client, world, data).status_code == 404
    assert client.post(reverse("goals:import_confirm", args=[slug]), {"token": "x"}).status_code == 404
    assert not Goal.objects.filter(code="KF3").exists()
    # Their own municipality is theirs to export.
    assert client.get(reverse("goals:export", args=[world.other.slug]) + "?format=xlsx").status_code == 200


def test_read_only_members_cannot_upload(client, world):
    client.force_login(world.official)
    data = goals_file(["KF3", "Inriktningsmål", "VISION", "KF", "2023–2026", "Trygghet", ""])
    assert _upload(client, world, data).status_code == 403
    assert (
        client.post(reverse("goals:import_confirm", args=[world.municipality.slug]), {"token": "x"}).status_code == 403
    )


def test_upload_preview_and_confirm(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.admin)
    data = goals_file(
        ["KF3", "Inriktningsmål", "VISION", "KF", "2023–2026", "Trygghet i hela kommunen", ""],
        ["BUN1", "Mål", "KF1", "BUN", "2025", "Alla elever klarar skolan", "Invånare och brukare"],
    )
    response = _upload(client, world, data, "mal.xlsx")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Förhandsgranskning" in page and "Läs in ändringarna" in page
    assert "Fler elever klarar skolan" in page and "Alla elever klarar skolan" in page
    assert not Goal.objects.filter(code="KF3").exists()
    token = response.context["token"]
    response = client.post(reverse("goals:import_confirm", args=[world.municipality.slug]), {"token": token})
    assert response.status_code == 302
    kf3 = Goal.objects.get(municipality=world.municipality, code="KF3")
    assert kf3.history.latest().history_change_reason == "Import av mal.xlsx"
    world.bun1.refresh_from_db()
    assert world.bun1.title == "Alla elever klarar skolan"
    # The stashed file is gone: the same token cannot run the import twice.
    response = client.post(
        reverse("goals:import_confirm", args=[world.municipality.slug]), {"token": token}, follow=True
    )
    assert "Förhandsgranskningen har gått ut" in response.content.decode()


def test_upload_with_errors_shows_them_and_offers_no_confirmation(client, world):
    client.force_login(world.admin)
    data = goals_file(["BUN3", "Mål", "KF9", "BUN", "2025", "Trygg skola", "Invånare och brukare"])
    response = _upload(client, world, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Blad Mål, rad 2, kolumn Överordnad kod: koden KF9 finns inte" in page
    assert "Läs in ändringarna" not in page and response.context["token"] is None


def test_a_file_without_changes_offers_no_confirmation(client, world):
    client.force_login(world.admin)
    _name, data = importing.export_file(municipality=world.municipality, fmt="xlsx")
    response = _upload(client, world, data)
    assert "inget skulle ändras" in response.content.decode()
    assert response.context["token"] is None


def test_upload_over_the_size_limit(client, world, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100
    client.force_login(world.admin)
    response = _upload(client, world, b"x" * 2000, "stor.csv")
    assert response.status_code == 200
    assert "Filen är för stor (0 MB). Den får vara högst 0 MB." in response.content.decode()


def test_confirm_with_a_forged_token(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("goals:import_confirm", args=[world.municipality.slug]), {"token": "forged"}, follow=True
    )
    assert "Förhandsgranskningen har gått ut. Ladda upp filen igen." in response.content.decode()


def test_export_download(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("goals:export", args=[world.municipality.slug]) + "?format=csv&blad=indikatorer")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="styrning-vaggeryd-export-indikatorer-' in response["Content-Disposition"]
    assert response.content.startswith("\ufeffMål;Namn".encode())
    assert client.get(reverse("goals:export", args=[world.municipality.slug]) + "?format=csv").status_code == 404
    assert client.get(reverse("goals:export", args=[world.municipality.slug]) + "?format=pdf").status_code == 404


def test_import_page_query_count(client, world, django_assert_max_num_queries):
    client.force_login(world.admin)
    # session, user, memberships, municipality, root organisation, navigation (municipalities), and the session
    # save (savepoint, update, release); the sheets listed come from code, not the database.
    with django_assert_max_num_queries(9):
        assert client.get(reverse("goals:import", args=[world.municipality.slug])).status_code == 200


def test_target_row_for_unchanged_targets_is_unchanged(world):
    """An empty target cell leaves the target as it is."""
    data = xlsx({"Indikatorer": [["Mål", "Namn", "Målvärde 2025"], ["BUN1", "Behöriga till gymnasiet", None]]})
    report = run(world, data)
    assert errors(report) == [] and report.unchanged == 1
    assert Target.objects.get(indicator=world.indicator).value == Decimal("90")


def test_plans_sheet_adopts_with_a_decision(world):
    data = xlsx(
        {
            "Planer": [
                ["Organisation", "Period", "Titel", "Status", "Beslutande organ", "Beslutsdatum", "Paragraf"],
                ["SN", "2025", "Nämndplan SN 2025", "Fastställd", "SN", "12 december 2024", "88"],
                ["BUN", "2025", "Nämndplan BUN 2025", "Fastställd", "", "", ""],
            ]
        }
    )
    report = run(world, data, commit=True)
    assert errors(report) == [
        "Blad Planer, rad 3, kolumn Beslutsdatum: En fastställd plan behöver ett beslut: ange beslutande organ och "
        "beslutsdatum."
    ]
    data = xlsx(
        {
            "Planer": [
                [*r[:7]]
                for r in [
                    ["Organisation", "Period", "Titel", "Status", "Beslutande organ", "Beslutsdatum", "Paragraf"],
                    ["SN", "2025", "Nämndplan SN 2025", "Fastställd", "SN", "12 december 2024", "88"],
                ]
            ]
        }
    )
    report = run(world, data, commit=True)
    assert report.committed
    plan = Plan.objects.get(pk=world.sn_plan.pk)
    assert (plan.status, plan.decided_on, plan.paragraph) == ("adopted", datetime.date(2024, 12, 12), "88")


# --- The bulk writer: trees, checks and history in bulk ------------------------------------------------------------


def _numbering(model, municipality, level_attr):
    rows = model.objects.filter(municipality=municipality).order_by("pk")
    return list(rows.values_list("pk", "tree_id", "lft", "rght", level_attr))


def _equals_a_rebuild(model, municipality, level_attr):
    """The stored numbering is what MPTT's own rebuild gives (siblings in the database's order of their key)."""
    from django.db import transaction

    before = _numbering(model, municipality, level_attr)
    with transaction.atomic():
        for tree_id in {row[1] for row in before}:
            model.objects.partial_rebuild(tree_id)
        after = _numbering(model, municipality, level_attr)
        transaction.set_rollback(True)
    return before == after


def test_new_nodes_under_existing_ones_are_numbered_as_a_rebuild_would(world):
    """Organisations under new and existing parents (names in both cases, Å, Ä and Ö), goals among existing siblings:
    the existing nodes move to make room, in one pass."""
    data = xlsx(
        {
            "Organisationer": [
                ["Kod", "Namn", "Typ", "Överordnad kod"],
                ["ASEN", "Åsenskolan", "Enhet", "GRU"],
                ["ANG", "Ängsskolan", "Enhet", "GRU"],
                ["ODE", "Ödegärdets skola", "Enhet", "GRU"],
                ["ALM", "almskolan", "Enhet", "GRU"],
                ["GRU", "Grundskolan", "Verksamhet", "BUF"],
                ["AAA", "Arbetsmarknadsnämnden", "Nämnd", "KF"],
            ],
            "Planer": [["Organisation", "Period", "Titel"], ["AAA", "2025", "Nämndplan AAA 2025"]],
            "Mål": [
                GOAL_HEADERS,
                ["KF0", "Inriktningsmål", "VISION", "KF", "2023–2026", "Först bland KF-målen", ""],
                ["KF15", "Inriktningsmål", "VISION", "KF", "2023–2026", "Mellan KF1 och KF2", ""],
                ["AAA1", "Mål", "KF15", "AAA", "2025", "Fler i arbete", "Invånare och brukare"],
                ["BUN0", "Mål", "KF1", "BUN", "2025", "Före BUN1", "Utveckling"],
            ],
        }
    )
    report = run(world, data, "tillagg.xlsx", commit=True)
    assert errors(report) == [] and report.committed
    assert Organisation.objects.get(municipality=world.municipality, code="ASEN").parent.code == "GRU"
    assert _equals_a_rebuild(Organisation, world.municipality, "level")
    assert _equals_a_rebuild(Goal, world.municipality, "depth")
    from goals.synthetic import verify_municipality

    assert verify_municipality(world.municipality) == []
    # The other municipality's trees are untouched.
    assert _equals_a_rebuild(Goal, world.other, "depth")


def test_an_existing_organisation_moves_under_a_new_one(world):
    data = xlsx(
        {
            "Organisationer": [
                ["Kod", "Namn", "Typ", "Överordnad kod"],
                ["HAGA", "Hagaskolan", "Enhet", "GRU"],
                ["GRU", "Grundskolan", "Verksamhet", "BUF"],
            ]
        }
    )
    report = run(world, data, "flytt.xlsx", commit=True)
    assert errors(report) == [] and [(s.new, s.changed) for s in report.sheets] == [(1, 1)]
    world.school.refresh_from_db()
    assert world.school.parent.code == "GRU" and world.school.level == 4
    record = world.school.history.latest()
    assert (record.history_type, record.history_change_reason, record.parent_id) == (
        "~",
        "Import av flytt.xlsx",
        world.school.parent_id,
    )
    assert _equals_a_rebuild(Organisation, world.municipality, "level")


def test_a_row_below_a_row_that_fails_validation_names_it(world):
    """The parent passes the reading but not the model's rules; its child says where the parent's error is."""
    data = goals_file(
        ["BUN2", "Mål", "KF1", "BUN", "2025", "Goda lärmiljöer", ""],  # a nämndmål needs a perspective
        ["BUF2", "Mål", "BUN2", "BUF", "2025", "Fler läser", ""],
        ["BUF3", "Mål", "BUN1", "BUF", "2025", "Fler skriver", ""],
    )
    report = run(world, data, commit=True)
    assert errors(report) == [
        "Blad Mål, rad 2, kolumn Perspektiv: Nämnd- och bolagsmål ska ha ett av styrkortets fyra perspektiv.",
        "Blad Mål, rad 3, kolumn Överordnad kod: koden BUN2 har fel i filen (blad Mål, rad 2)",
    ]
    assert not report.committed
    assert not Goal.objects.filter(code__in=["BUN2", "BUF2", "BUF3"]).exists()


def test_new_organisations_under_new_ones_need_the_right_to_the_existing_parent(world):
    bun_admin = f.make_user("bun_admin")
    membership_grant(user=bun_admin, organisation=world.bun, role="admin", granted_by=None)
    data = xlsx(
        {
            "Organisationer": [
                ["Kod", "Namn", "Typ", "Överordnad kod"],
                ["GRU", "Grundskolan", "Verksamhet", "BUF"],
                ["ASEN", "Åsenskolan", "Enhet", "GRU"],
                ["OMS", "Omsorgen", "Förvaltning", "SN"],
                ["HEM", "Hemtjänsten", "Verksamhet", "OMS"],
            ]
        }
    )
    assert errors(run(world, data, user=bun_admin)) == [
        "Blad Organisationer, rad 4: organisationen OMS ligger utanför din behörighet",
        "Blad Organisationer, rad 5, kolumn Överordnad kod: koden OMS har fel i filen (blad Organisationer, rad 4)",
    ]


def test_an_import_does_not_query_per_row(world, django_assert_max_num_queries):
    """The queries of a goal sheet do not grow with its rows (a few more INSERTs per few hundred rows)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n, prefix):
        rows = [[f"{prefix}{i:03d}", "Aktivitet", "BUF1", "BUF", "2025", f"Aktivitet {i}", ""] for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            report = run(world, goals_file(*rows))
        assert errors(report) == [] and report.new == n
        return len(captured.captured_queries)

    few, many = queries(10, "A"), queries(200, "B")
    assert many - few <= 20, (few, many)


def test_a_batch_the_database_refuses_is_written_row_by_row(world):
    """If a constraint breaks between the checks and the write (another user saved the same code just then), the row
    is named and nothing is kept."""
    real_write = importing.BulkWriter._write

    def concurrent_insert(self, batch):
        if self.resource.sheet_name == "Mål":
            f.make_goal(
                parent=world.bun1, organisation=world.bun_admin, plan=world.buf_plan, code="BUF3", title="Samtidigt"
            )
        return real_write(self, batch)

    from unittest import mock

    data = goals_file(
        ["BUF2", "Mål", "BUN1", "BUF", "2025", "Fler läser", ""],
        ["BUF3", "Mål", "BUN1", "BUF", "2025", "Fler skriver", ""],
    )
    with mock.patch.object(importing.BulkWriter, "_write", concurrent_insert):
        report = run(world, data, commit=True)
    [problem] = errors(report)
    assert problem.startswith("Blad Mål, rad 3: raden kunde inte sparas (")
    assert not report.committed
    assert not Goal.objects.filter(code="BUF2").exists()


def test_indicators_are_unique_by_goal_and_name(world):
    """Rows and outcomes name an indicator by goal and name, so the model refuses a second one with the same name."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        Indicator(goal=world.bun1, name="Behöriga till gymnasiet").full_clean()
    assert raised.value.messages == ["Målet har redan en indikator med det namnet."]
    # An import row with the same goal and name is the same indicator: a change, not a second one.
    data = xlsx({"Indikatorer": [["Mål", "Namn", "Enhet"], ["BUN1", "Behöriga till gymnasiet", "procent"]]})
    report = run(world, data, commit=True)
    assert report.committed and report.changed == 1
    assert Indicator.objects.filter(goal=world.bun1).count() == 1


def test_updated_rows_get_a_history_row_and_a_new_version(world):
    rows = export_rows(world)["Mål"]
    title = rows[0].index("Rubrik")
    for row in rows[1:]:
        if row[0] in ("BUN1", "SN1"):
            row[title] = f"{row[title]} (reviderad)"
    report = run(world, xlsx({"Mål": rows}), "revidering.xlsx", commit=True)
    assert report.committed and report.changed == 2
    for goal in (world.bun1, world.sn1):
        goal.refresh_from_db()
        assert goal.title.endswith("(reviderad)") and goal.version == 2
        record = goal.history.latest()
        assert (record.history_type, record.history_change_reason, record.history_user, record.title) == (
            "~",
            "Import av revidering.xlsx",
            world.admin,
            goal.title,
        )
