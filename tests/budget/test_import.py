"""
Spreadsheet import and export of the budget (budget.resources through the engine in goals.importing): the sheets
Ramar and Ramjusteringar. A draft version changes in place with history; a decided version refuses every row that
would change it; a missing budget is created with a draft first version, any other missing budget or version is
named; the round trip changes nothing; permissions and formula neutralisation hold; and the whole template, every
sheet of every app, imports into a new municipality.
"""

import io

import openpyxl
import pytest
from django.urls import reverse

from budget.choices import DecisionKind, DecisionStatus
from budget.models import Budget, BudgetDecision, Frame, FrameAdjustment
from goals import importing
from styrning.services import membership_grant
from tests import factories as f
from tests.assignments.test_import import csv_file, errors, exported, run, xlsx

from .conftest import MKR

FRAME_HEADERS = ["Budgetår", "Version", "Organisation", "År", "Ram (kr)"]
ADJUSTMENT_HEADERS = ["Budgetår", "Version", "Organisation", "År", "Belopp (kr)", "Skäl", "Uppdragskod"]


def history_counts():
    return (
        Budget.history.count(),
        BudgetDecision.history.count(),
        Frame.history.count(),
        FrameAdjustment.history.count(),
    )


def frame_amount(decision, organisation, year):
    return Frame.objects.get(decision=decision, organisation=organisation, year=year).amount


# --- Writing a draft version ---------------------------------------------------------------------------------------


def test_a_good_file_changes_the_draft_version_and_creates_with_history(bw):
    data = xlsx(
        {
            "Ramar": [
                [*FRAME_HEADERS, "Kommentar"],
                [2027, 2, "BUN", 2027, "405 000 000", "Fler elever"],
                [2027, 2, "KF", 2027, 12_000_000, ""],
            ],
            "Ramjusteringar": [
                ADJUSTMENT_HEADERS,
                [2027, 2, "BUN", 2027, "3 000 000", "Fler lärare", "BUN-2027-1"],
                [2027, 2, "SN", 2028, -500_000, "Effektivisering hemtjänst", ""],
            ],
        }
    )
    preview = run(bw, data)
    assert errors(preview) == []
    frames_sheet, adjustments_sheet = preview.sheets
    assert (frames_sheet.new, frames_sheet.changed) == (1, 1)
    assert frames_sheet.rows[0].label == "Budget 2027 version 2: BUN 2027"
    assert frames_sheet.rows[0].changes == [("Ram (kr)", "400000000", "405000000"), ("Kommentar", "", "Fler elever")]
    assert adjustments_sheet.rows[0].changes == [("Belopp (kr)", "2000000", "3000000")]
    assert frame_amount(bw.november, bw.bun, 2027) == 400 * MKR  # the preview saved nothing

    report = run(bw, data, "ramar.xlsx", commit=True)
    assert report.committed
    assert frame_amount(bw.november, bw.bun, 2027) == 405 * MKR
    assert frame_amount(bw.june, bw.bun, 2027) == 400 * MKR  # the decided version is untouched
    kf_frame = Frame.objects.get(decision=bw.november, organisation=bw.kf, year=2027)
    more_teachers = FrameAdjustment.objects.get(frame=bw.november_bun, reason="Fler lärare")
    assert (more_teachers.amount, more_teachers.assignment) == (3 * MKR, bw.assignment)
    cut = FrameAdjustment.objects.get(frame__decision=bw.november, reason="Effektivisering hemtjänst")
    assert (cut.frame.organisation, cut.frame.year, cut.amount, cut.assignment) == (bw.sn, 2028, -500_000, None)
    for obj in (bw.november_bun, kf_frame, more_teachers, cut):
        record = obj.history.latest()
        assert (record.history_change_reason, record.history_user) == ("Import av ramar.xlsx", bw.admin)


def test_an_adjustment_can_leave_its_assignment(bw):
    data = xlsx({"Ramjusteringar": [ADJUSTMENT_HEADERS, [2027, 2, "BUN", 2027, 2_000_000, "Fler lärare", ""]]})
    report = run(bw, data, commit=True)
    assert report.sheets[0].rows[0].changes == [("Uppdragskod", "BUN-2027-1", "")]
    assert FrameAdjustment.objects.get(pk=bw.adjustment.pk).assignment is None


# --- The round trip ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_export_imports_without_changes(bw, fmt):
    """Decided versions are exported too: rows that match them unchanged pass."""
    before = (exported(bw, "ramar"), exported(bw, "ramjusteringar"))
    history = history_counts()
    name, data = importing.export_file(municipality=bw.municipality, fmt=fmt)
    report = run(bw, data, name, commit=True)
    assert errors(report) == [] and report.committed
    counts = {s.name: (s.total, s.new, s.changed, s.unchanged) for s in report.sheets}
    assert counts["Ramar"] == (18, 0, 0, 18)
    assert counts["Ramjusteringar"] == (3, 0, 0, 3)
    assert history_counts() == history
    assert (exported(bw, "ramar"), exported(bw, "ramjusteringar")) == before


@pytest.mark.parametrize("fmt", ["csv", "csv-utf8"])
@pytest.mark.parametrize("sheet", ["ramar", "ramjusteringar"])
def test_csv_export_per_kind_imports_without_changes(bw, fmt, sheet):
    history = history_counts()
    name, data = importing.export_file(municipality=bw.municipality, fmt=fmt, sheet=sheet)
    report = run(bw, data, name, commit=True)
    assert errors(report) == [] and report.new == report.changed == 0 and report.unchanged > 0
    assert history_counts() == history


def test_export_has_swedish_headers_in_kronor(bw):
    frames = exported(bw, "ramar")
    assert frames[0] == ["Budgetår", "Version", "Organisation", "År", "Ram (kr)", "Kommentar", "Exempeldata"]
    assert [2027, 2, "BUN", 2027, 400 * MKR] in [row[:5] for row in frames[1:]]
    adjustments = exported(bw, "ramjusteringar")
    assert adjustments[0] == [
        "Budgetår",
        "Version",
        "Organisation",
        "År",
        "Belopp (kr)",
        "Skäl",
        "Uppdragskod",
        "Exempeldata",
    ]
    assert [row[:7] for row in adjustments[1:]] == [
        [2027, 1, "BUN", 2027, -1 * MKR, "Effektivisering", None],
        [2027, 2, "BUN", 2027, -1 * MKR, "Effektivisering", None],
        [2027, 2, "BUN", 2027, 2 * MKR, "Fler lärare", "BUN-2027-1"],
    ]


# --- A decided version is locked -----------------------------------------------------------------------------------


def test_a_decided_version_refuses_every_row_that_would_change_it(bw):
    data = xlsx(
        {
            "Ramar": [
                FRAME_HEADERS,
                [2027, 1, "BUN", 2027, 401 * MKR],
                [2027, 1, "KS", 2027, 100 * MKR],  # unchanged: passes
                [2027, 1, "KF", 2027, 12 * MKR],
            ],
            "Ramjusteringar": [
                ADJUSTMENT_HEADERS,
                [2027, 1, "BUN", 2027, -2 * MKR, "Effektivisering", ""],
                [2027, 1, "BUN", 2027, 1 * MKR, "Ny justering", ""],
            ],
        }
    )
    report = run(bw, data, commit=True)
    locked = "version 1 av budget 2027 är beslutad och kan inte ändras; gör en ny version"
    assert errors(report) == [
        f"Blad Ramar, rad 2, kolumn Version: {locked}",
        f"Blad Ramar, rad 4, kolumn Version: {locked}",
        f"Blad Ramjusteringar, rad 2, kolumn Version: {locked}",
        f"Blad Ramjusteringar, rad 3, kolumn Version: {locked}",
    ]
    assert not report.committed
    assert frame_amount(bw.june, bw.bun, 2027) == 400 * MKR
    assert not Frame.objects.filter(decision=bw.june, organisation=bw.kf).exists()
    assert FrameAdjustment.objects.get(pk=bw.june_adjustment.pk).amount == -1 * MKR


# --- Missing budgets and versions ----------------------------------------------------------------------------------


def test_missing_budget_or_version_is_named(bw):
    data = xlsx(
        {
            "Ramar": [
                FRAME_HEADERS,
                [2029, 1, "BUN", 2029, 400 * MKR],  # the budget exists without versions
                [2027, 3, "BUN", 2027, 400 * MKR],
                [2031, 2, "BUN", 2031, 400 * MKR],
            ],
            "Ramjusteringar": [ADJUSTMENT_HEADERS, [2031, 1, "BUN", 2031, MKR, "Volymökning", ""]],
        }
    )
    assert errors(run(bw, data)) == [
        "Blad Ramar, rad 2, kolumn Version: budget 2029 har ingen version 1",
        "Blad Ramar, rad 3, kolumn Version: budget 2027 har ingen version 3",
        "Blad Ramar, rad 4, kolumn Version: budget 2031 finns inte; en ny budget får version 1 (ett utkast till "
        "rambudget), så ange version 1 eller skapa budgeten först",
        "Blad Ramjusteringar, rad 2, kolumn Budgetår: budget 2031 finns inte",
    ]


def test_a_year_without_a_budget_gets_one_with_a_draft_first_version(bw):
    data = xlsx(
        {
            "Ramar": [
                FRAME_HEADERS,
                [2031, 1, "BUN", 2031, 430 * MKR],
                [2031, 1, "BUN", 2032, 440 * MKR],
                [2031, 1, "SN", 2031, 330 * MKR],
            ],
            "Ramjusteringar": [ADJUSTMENT_HEADERS, [2031, 1, "BUN", 2031, 2 * MKR, "Volymökning", ""]],
        }
    )
    preview = run(bw, data)
    assert errors(preview) == []
    assert [str(w) for w in preview.all_warnings] == [
        "Blad Ramar, rad 2: budget 2031 fanns inte och skapas med version 1, ett utkast till rambudget; besluta den "
        "på budgetsidan"
    ]
    assert not Budget.objects.filter(municipality=bw.municipality, year=2031).exists()

    report = run(bw, data, "budget2031.xlsx", commit=True)
    assert report.committed and report.new == 4
    budget = Budget.objects.get(municipality=bw.municipality, year=2031)
    decision = budget.decisions.get()
    assert (decision.number, decision.kind, decision.status) == (1, DecisionKind.FRAME_BUDGET, DecisionStatus.DRAFT)
    assert decision.frames.count() == 3
    for obj in (budget, decision, *decision.frames.all()):
        assert obj.history.latest().history_change_reason == "Import av budget2031.xlsx"


def test_a_refused_frame_takes_the_new_budget_with_it(bw):
    """The first row would create the budget but is refused; the next row creates it cleanly."""
    data = xlsx({"Ramar": [FRAME_HEADERS, [2031, 1, "BUN", 2035, 430 * MKR], [2031, 1, "BUN", 2031, 430 * MKR]]})
    report = run(bw, data)
    assert errors(report) == ["Blad Ramar, rad 2, kolumn År: Året ligger utanför budgeten (2031–2033)."]
    assert report.sheets[0].new == 1


# --- Bad input -----------------------------------------------------------------------------------------------------


def test_wrong_number(bw):
    data = xlsx({"Ramar": [FRAME_HEADERS, [2027, 2, "BUN", 2027, "tolv"]]})
    assert errors(run(bw, data)) == [
        "Blad Ramar, rad 2, kolumn Ram (kr): ange beloppet i hela kronor, till exempel 2 000 000 (”tolv” är inget "
        "belopp i kronor)"
    ]


def test_organisation_codes(bw):
    data = xlsx(
        {
            "Ramar": [
                FRAME_HEADERS,
                [2027, 2, "KFN", 2027, MKR],
                [2027, 2, "XYZ", 2027, MKR],
                [2027, 2, "BUF", 2027, MKR],
            ]
        }
    )
    assert errors(run(bw, data)) == [
        "Blad Ramar, rad 2, kolumn Organisation: koden KFN hör till en annan kommun",
        "Blad Ramar, rad 3, kolumn Organisation: koden XYZ finns inte",
        "Blad Ramar, rad 4, kolumn Organisation: Ramar ges till kommunfullmäktige, kommunstyrelsen och nämnderna, inte "
        "till en förvaltning.",
    ]


def test_adjustment_references(bw):
    data = xlsx(
        {
            "Ramar": [FRAME_HEADERS, [2027, 2, "KF", 2030, MKR]],
            "Ramjusteringar": [
                ADJUSTMENT_HEADERS,
                [2027, 2, "KF", 2028, MKR, "Revision", ""],
                [2027, 2, "KF", 2030, MKR, "Digitalisering", ""],
                [2027, 2, "BUN", 2027, MKR, "Lokaler", "BUN-2099-1"],
                [2027, 2, "BUN", 2027, 0, "Ingenting", ""],
                [2027, 2, "BUN", 2027, MKR, "Lokaler", ""],
            ],
        }
    )
    assert errors(run(bw, data, commit=True)) == [
        "Blad Ramar, rad 2, kolumn År: Året ligger utanför budgeten (2027–2029).",
        "Blad Ramjusteringar, rad 2, kolumn Organisation: version 2 av budget 2027 har ingen ram för KF 2028; lägg "
        "till den på bladet Ramar",
        "Blad Ramjusteringar, rad 3, kolumn Organisation: ramen för KF 2030 har fel i filen (blad Ramar, rad 2)",
        "Blad Ramjusteringar, rad 4, kolumn Uppdragskod: koden BUN-2099-1 finns inte",
        "Blad Ramjusteringar, rad 5: Ange ett belopp skilt från noll.",
        "Blad Ramjusteringar, rad 6, kolumn Budgetår: raden finns redan på rad 4 (samma Budgetår, Version, "
        "Organisation, År och Skäl)",
    ]
    assert not FrameAdjustment.objects.filter(reason__in=["Revision", "Lokaler"]).exists()


def test_swedish_excel_csv(bw):
    data = csv_file([FRAME_HEADERS, ["2027", "2", "SN", "2029", "325 500 000"]], encoding="cp1252")
    report = run(bw, data, "ramar.csv", commit=True)
    assert errors(report) == []
    assert frame_amount(bw.november, bw.sn, 2029) == 325_500_000


# --- Permissions ---------------------------------------------------------------------------------------------------


def test_an_editor_cannot_import_frames_or_adjustments(bw):
    data = xlsx(
        {
            "Ramar": [FRAME_HEADERS, [2027, 2, "BUN", 2027, 405 * MKR]],
            "Ramjusteringar": [ADJUSTMENT_HEADERS, [2027, 2, "BUN", 2027, 3 * MKR, "Fler lärare", "BUN-2027-1"]],
        }
    )
    report = run(bw, data, commit=True, user=bw.official)
    assert errors(report) == [
        "Blad Ramar, rad 2: budget 2027 ligger utanför din behörighet",
        "Blad Ramjusteringar, rad 2: organisationen BUN ligger utanför din behörighet",
    ]
    assert frame_amount(bw.november, bw.bun, 2027) == 400 * MKR


def test_editors_and_other_municipalities_administrators_cannot_upload(client, bw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = xlsx({"Ramar": [FRAME_HEADERS, [2027, 2, "BUN", 2027, 405 * MKR]]})
    url = reverse("goals:import", args=[bw.municipality.slug])
    client.force_login(bw.official)
    assert client.post(url, {"file": SimpleUploadedFile("ramar.xlsx", data)}).status_code == 403
    other_admin = f.make_user("sater_admin")
    membership_grant(user=other_admin, organisation=bw.other_kf, role="admin", granted_by=None)
    client.force_login(other_admin)
    assert client.post(url, {"file": SimpleUploadedFile("ramar.xlsx", data)}).status_code == 404
    assert (
        client.get(reverse("goals:export", args=[bw.municipality.slug]) + "?format=csv&blad=ramar").status_code == 404
    )
    assert frame_amount(bw.november, bw.bun, 2027) == 400 * MKR


# --- Export safety -------------------------------------------------------------------------------------------------


def test_formulas_are_neutralised_on_export(bw):
    """A reason that begins with "-" is neutralised on export and still matches its row on import."""
    bw.adjustment.reason = "-5 % på lokaler"
    bw.adjustment.save()
    bw.november_bun.comment = "=1+1"
    bw.november_bun.save()
    _name, data = importing.export_file(municipality=bw.municipality, fmt="csv", sheet="ramjusteringar")
    assert ";'-5 % på lokaler;" in data.decode("utf-8-sig")
    _name, data = importing.export_file(municipality=bw.municipality, fmt="xlsx", sheet="ramar")
    ws = openpyxl.load_workbook(io.BytesIO(data))["Ramar"]
    cell = next(row[5] for row in ws.iter_rows(min_row=2) if row[5].value)
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1", "s", True)
    for sheet in ("ramar", "ramjusteringar"):
        for fmt in ("csv", "csv-utf8", "xlsx", "ods"):
            name, data = importing.export_file(municipality=bw.municipality, fmt=fmt, sheet=sheet)
            report = run(bw, data, name)
            assert errors(report) == [] and report.new == report.changed == 0, (sheet, fmt)


# --- One workbook for every app ------------------------------------------------------------------------------------


ALL_SHEETS = [
    "Organisationer",
    "Planer",
    "Mål",
    "Indikatorer",
    "Utfall",
    "Uppdrag",
    "Uppdragsbelopp",
    "Ramar",
    "Ramjusteringar",
]


def test_export_holds_every_sheet_in_import_order(bw):
    _name, data = importing.export_file(municipality=bw.municipality, fmt="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Instruktioner", *ALL_SHEETS]
    described = {row[0] for row in book["Instruktioner"].iter_rows(min_row=2, values_only=True)}
    assert set(ALL_SHEETS) <= described


def test_the_whole_template_imports_into_a_new_municipality(world):
    """The example rows of every sheet are valid together: they load into an empty municipality, the budget
    included (it is created with a draft first version)."""
    municipality = f.make_municipality(name="Mallby kommun", slug="mallby")
    f.make_mandate_period(municipality=municipality)
    admin = f.make_user("mallby_admin")
    membership_grant(user=admin, organisation=f.root_of(municipality), role="admin", granted_by=None)
    name, data = importing.template_file(fmt="xlsx")
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == ["Instruktioner", *ALL_SHEETS]
    report = run(world, data, name, commit=True, user=admin, municipality=municipality)
    assert errors(report) == []
    counts = {s.name: s.new for s in report.sheets}
    assert [counts[n] for n in ALL_SHEETS[5:]] == [2, 1, 4, 3]
    budget = Budget.objects.get(municipality=municipality)
    assert budget.decisions.get().frames.count() == 4
    assert FrameAdjustment.objects.filter(frame__decision__budget=budget, assignment__isnull=False).count() == 1


@pytest.mark.parametrize("sheet", ["ramar", "ramjusteringar"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_per_kind(world, sheet, fmt):
    from styrning import spreadsheets

    name, data = importing.template_file(fmt=fmt, sheet=sheet)
    read = next(s for s in spreadsheets.read_file(data, name).sheets if s.name != "Instruktioner")
    assert read.headers[:4] == ["Budgetår", "Version", "Organisation", "År"]
    assert len(read.rows) >= 3
