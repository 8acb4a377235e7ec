"""
Spreadsheet import and export of assignments (assignments.resources through the engine in goals.importing): the
sheets Uppdrag and Uppdragsbelopp. A new assignment is given with its decision; a later change is a decision event
that keeps the old value; the round trip changes nothing; each bad input has its exact message and saves nothing;
permissions and formula neutralisation hold for these sheets too.
"""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assignments.models import Assignment, AssignmentAmount, AssignmentDecision
from goals import importing
from styrning import spreadsheets
from styrning.services import membership_grant
from tests import factories as f

ASSIGNMENT_HEADERS = [
    "Kod",
    "Rubrik",
    "Typ",
    "Givet av",
    "Ansvarig",
    "Mottagare",
    "Budgetår",
    "Klart senast",
    "Mål",
    "Beslutande organ",
    "Beslutsdatum",
    "Paragraf",
    "Diarienummer",
]


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


def exported(world, sheet):
    """One sheet of the municipality's export, read back: [headers, row, …]."""
    _name, data = importing.export_file(municipality=world.municipality, fmt="xlsx", sheet=sheet)
    read = next(s for s in spreadsheets.read_file(data, "x.xlsx").sheets if s.name != "Instruktioner")
    return [read.headers, *[values for _n, values in read.rows]]


def edit(rows, code, **columns):
    """Set cells (by Swedish header) on the row whose first cell is `code`."""
    headers = rows[0]
    row = next(r for r in rows[1:] if r[0] == code)
    for column, value in columns.items():
        row[headers.index(column.replace("_", " "))] = value
    return rows


def history_counts():
    return (Assignment.history.count(), AssignmentDecision.history.count(), AssignmentAmount.history.count())


# --- Creating ------------------------------------------------------------------------------------------------------


def test_a_good_file_gives_assignments_with_their_decision_money_and_history(world):
    data = xlsx(
        {
            "Uppdrag": [
                [*ASSIGNMENT_HEADERS, "Sista år", "Beskrivning"],
                [
                    "KF-2026-1",
                    "Fler förskoleplatser",
                    "Uppdrag",
                    "KF",
                    "BUN",
                    "SN, KS",
                    2026,
                    "2027-06-30",
                    "KF1, BUN1",
                    "KF",
                    "16 juni 2025",
                    45,
                    "Dnr KS 2025/112",
                    2027,
                    "Ta fram en plan.",
                ],
                [
                    "KF-2026-V",
                    "Hyror högst 2,2 %",
                    "Villkor",
                    "KF",
                    "KS",
                    "",
                    2026,
                    "",
                    "",
                    "KF",
                    "2025-06-16",
                    "",
                    "",
                    "",
                    "",
                ],
            ],
            "Uppdragsbelopp": [
                ["Uppdragskod", "Tillförs", "År", "Belopp (kr)", "Kommentar"],
                ["KF-2026-1", "BUN", 2026, "2 000 000", "Engångsbelopp"],
                ["KF-2026-1", "SN", 2027, 400000, ""],
            ],
        }
    )
    report = run(world, data, "uppdrag.xlsx", commit=True)
    assert errors(report) == []
    assert [(s.name, s.new, s.changed) for s in report.sheets] == [("Uppdrag", 2, 0), ("Uppdragsbelopp", 2, 0)]
    a = Assignment.objects.get(municipality=world.municipality, code="KF-2026-1")
    assert (a.title, a.kind, a.given_by, a.lead, a.start_year, a.end_year, a.due_date, a.status) == (
        "Fler förskoleplatser",
        "assignment",
        world.kf,
        world.bun,
        2026,
        2027,
        datetime.date(2027, 6, 30),
        "not_started",
    )
    assert {o.code for o in a.receivers.all()} == {"BUN", "SN", "KS"}  # the lead is always a receiver
    assert {g.code for g in a.goals.all()} == {"KF1", "BUN1"}
    given = a.decisions.get()
    assert (given.kind, given.decision_display) == ("given", "KF 2025-06-16 § 45, Dnr KS 2025/112")
    assert sorted(a.amounts.values_list("organisation__code", "year", "amount")) == [
        ("BUN", 2026, 2_000_000),
        ("SN", 2027, 400_000),
    ]
    constraint = Assignment.objects.get(code="KF-2026-V")
    assert constraint.kind == "constraint" and list(constraint.receivers.all()) == [world.ks]
    for obj in (a, given, a.amounts.first(), constraint):
        record = obj.history.latest()
        assert (record.history_change_reason, record.history_user) == ("Import av uppdrag.xlsx", world.admin)


def test_preview_counts_and_saves_nothing(world):
    data = xlsx(
        {
            "Uppdrag": [
                ASSIGNMENT_HEADERS,
                ["KF-2026-1", "Fler förskoleplatser", "", "KF", "BUN", "", 2026, "", "", "KF", "2025-06-16", "", ""],
            ]
        }
    )
    report = run(world, data)
    sheet = report.sheets[0]
    assert (sheet.new, sheet.changed, sheet.unchanged, sheet.erroneous) == (1, 0, 0, 0)
    assert sheet.rows[0].label == "KF-2026-1 Fler förskoleplatser"
    assert ("Mottagare", "", "BUN") in sheet.rows[0].changes
    assert ("Beslutsdatum", "", "2025-06-16") in sheet.rows[0].changes
    assert not report.committed and not Assignment.objects.filter(code="KF-2026-1").exists()


# --- The round trip ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_export_imports_without_changes(assigned, fmt):
    before = (exported(assigned, "uppdrag"), exported(assigned, "uppdragsbelopp"))
    history = history_counts()
    name, data = importing.export_file(municipality=assigned.municipality, fmt=fmt)
    report = run(assigned, data, name, commit=True)
    assert errors(report) == [] and report.committed
    counts = {s.name: (s.total, s.new, s.changed, s.unchanged) for s in report.sheets}
    assert counts["Uppdrag"] == (2, 0, 0, 2)
    assert counts["Uppdragsbelopp"] == (2, 0, 0, 2)
    assert history_counts() == history
    assert (exported(assigned, "uppdrag"), exported(assigned, "uppdragsbelopp")) == before


@pytest.mark.parametrize("fmt", ["csv", "csv-utf8"])
@pytest.mark.parametrize("sheet", ["uppdrag", "uppdragsbelopp"])
def test_csv_export_per_kind_imports_without_changes(assigned, fmt, sheet):
    history = history_counts()
    name, data = importing.export_file(municipality=assigned.municipality, fmt=fmt, sheet=sheet)
    report = run(assigned, data, name, commit=True)
    assert errors(report) == [] and report.warnings == [] and not any(s.warnings for s in report.sheets)
    assert report.new == report.changed == 0 and report.unchanged == 2
    assert history_counts() == history


def test_export_has_swedish_headers_and_the_latest_decision(assigned):
    rows = exported(assigned, "uppdrag")
    assert rows[0] == [
        "Kod",
        "Rubrik",
        "Typ",
        "Beskrivning",
        "Givet av",
        "Ansvarig",
        "Mottagare",
        "Budgetår",
        "Sista år",
        "Klart senast",
        "Status",
        "Mål",
        "Beslutande organ",
        "Beslutsdatum",
        "Paragraf",
        "Diarienummer",
        "Exempeldata",
    ]
    row = next(r for r in rows[1:] if r[0] == "BUN-2025-1")
    assert row[4:8] == ["KF", "BUN", "BUN, SN", 2025]
    assert row[10] == "Ej påbörjat"
    assert row[12:16] == ["KF", datetime.datetime(2024, 11, 28), "§ 112", "Dnr KS 2024/301"]
    amounts = exported(assigned, "uppdragsbelopp")
    assert amounts[0] == ["Uppdragskod", "Tillförs", "År", "Belopp (kr)", "Kommentar", "Exempeldata"]
    assert amounts[1][:4] == ["BUN-2025-1", "BUN", 2025, 2_000_000]


# --- Later decisions: events, never overwritten --------------------------------------------------------------------


def test_a_changed_title_is_a_changed_decision_that_keeps_the_old_title(assigned):
    rows = edit(
        exported(assigned, "uppdrag"),
        "BUN-2025-1",
        Rubrik="Plan för fler lärare",
        Beslutsdatum="2025-11-24",
        Paragraf="130",
        Diarienummer="Dnr KS 2025/201",
    )
    preview = run(assigned, xlsx({"Uppdrag": rows}))
    sheet = preview.sheets[0]
    assert (sheet.new, sheet.changed, sheet.unchanged) == (0, 1, 1)
    assert sheet.rows[0].changes == [
        ("Rubrik", "Uppdrag BUN-2025-1", "Plan för fler lärare"),
        ("Beslutsdatum", "2024-11-28", "2025-11-24"),
        ("Paragraf", "§ 112", "130"),
        ("Diarienummer", "Dnr KS 2024/301", "Dnr KS 2025/201"),
    ]
    assert AssignmentDecision.objects.filter(assignment=assigned.assignment).count() == 1  # the preview saved nothing

    report = run(assigned, xlsx({"Uppdrag": rows}), "beslut.xlsx", commit=True)
    assert errors(report) == [] and report.committed
    a = Assignment.objects.get(pk=assigned.assignment.pk)
    assert a.title == "Plan för fler lärare"
    given, changed = a.decisions.order_by("decided_on")
    assert (given.kind, given.decided_on, given.changes) == ("given", datetime.date(2024, 11, 28), [])
    assert (changed.kind, changed.decision_display, changed.budget_year) == (
        "changed",
        "KF 2025-11-24 § 130, Dnr KS 2025/201",
        2026,
    )
    assert changed.changes == [
        {"field": "title", "label": "rubrik", "old": "Uppdrag BUN-2025-1", "new": "Plan för fler lärare"}
    ]
    assert a.history.earliest().title == "Uppdrag BUN-2025-1"
    for obj in (a, changed):
        record = obj.history.latest()
        assert (record.history_change_reason, record.history_user) == ("Import av beslut.xlsx", assigned.admin)
    # Exported again, the row shows the new decision and imports without changes.
    again = exported(assigned, "uppdrag")
    assert next(r for r in again[1:] if r[0] == "BUN-2025-1")[13] == datetime.datetime(2025, 11, 24)
    assert run(assigned, xlsx({"Uppdrag": again})).changed == 0


def test_a_later_due_date_is_an_extension(assigned):
    rows = edit(
        exported(assigned, "uppdrag"),
        "BUN-2025-1",
        Klart_senast="2026-06-30",
        Sista_år=2026,
        Beslutsdatum="2025-11-24",
        Paragraf="130",
    )
    report = run(assigned, xlsx({"Uppdrag": rows}), commit=True)
    assert errors(report) == []
    a = Assignment.objects.get(pk=assigned.assignment.pk)
    assert (a.due_date, a.end_year) == (datetime.date(2026, 6, 30), 2026)
    extended = a.decisions.get(kind="extended")
    assert {(c["field"], c["old"], c["new"]) for c in extended.changes} == {
        ("due_date", "2025-12-31", "2026-06-30"),
        ("end_year", "–", "2026"),
    }


def test_an_earlier_due_date_is_a_change(assigned):
    rows = edit(exported(assigned, "uppdrag"), "BUN-2025-1", Klart_senast="2025-09-30", Beslutsdatum="2025-06-16")
    assert errors(run(assigned, xlsx({"Uppdrag": rows}), commit=True)) == []
    assert assigned.assignment.decisions.filter(kind="changed").count() == 1


def test_a_change_without_decision_columns_is_refused(assigned):
    data = xlsx(
        {
            "Uppdrag": [
                ["Kod", "Rubrik", "Givet av", "Ansvarig", "Budgetår", "Klart senast"],
                ["BUN-2025-1", "Plan för fler lärare", "KF", "BUN", 2025, "2026-06-30"],
            ]
        }
    )
    report = run(assigned, data, commit=True)
    assert errors(report) == [
        "Blad Uppdrag, rad 2: ändringen av Rubrik och Klart senast är ett beslut: fyll i kolumnerna Beslutande organ "
        "och Beslutsdatum med beslutet som ändrar uppdraget"
    ]
    assert not report.committed
    a = Assignment.objects.get(pk=assigned.assignment.pk)
    assert (a.title, a.due_date, a.version) == ("Uppdrag BUN-2025-1", datetime.date(2025, 12, 31), 1)
    assert a.decisions.count() == 1


def test_a_change_that_cites_the_decision_already_recorded_is_refused(assigned):
    """An exported row edited without a new decision would cite the giving decision: it is refused."""
    rows = edit(exported(assigned, "uppdrag"), "BUN-2025-1", Rubrik="Plan för fler lärare")
    assert errors(run(assigned, xlsx({"Uppdrag": rows}), commit=True)) == [
        "Blad Uppdrag, rad 2: ändringen av Rubrik är ett nytt beslut, men KF 2024-11-28 § 112, Dnr KS 2024/301 finns "
        "redan för uppdraget; fyll i kolumnerna Beslutande organ och Beslutsdatum med beslutet som ändrar uppdraget"
    ]
    assert Assignment.objects.get(pk=assigned.assignment.pk).title == "Uppdrag BUN-2025-1"


def test_decision_columns_alone_change_nothing_and_say_so(assigned):
    rows = edit(exported(assigned, "uppdrag"), "BUN-2025-1", Paragraf="§ 113")
    report = run(assigned, xlsx({"Uppdrag": rows}))
    assert errors(report) == [] and report.changed == 0
    assert [str(w) for w in report.all_warnings] == [
        "Blad Uppdrag, rad 2: uppdraget BUN-2025-1: beslutskolumnerna skiljer sig från uppdragets senaste beslut, "
        "men raden ändrar inget som beslutas, så inget beslut sparas (ett registrerat beslut ändras inte genom import)"
    ]


def test_a_warning_names_the_row_it_is_about(assigned):
    """A warning raised while a row is applied names that row, not only the sheet."""
    rows = edit(exported(assigned, "uppdrag"), "KS-2025-V", Diarienummer="Dnr KS 2024/999")
    assert [r[0] for r in rows[1:]] == ["BUN-2025-1", "KS-2025-V"]
    report = run(assigned, xlsx({"Uppdrag": rows}))
    assert [(w.sheet, w.row) for w in report.all_warnings] == [("Uppdrag", 3)]
    assert str(report.all_warnings[0]).startswith("Blad Uppdrag, rad 3: uppdraget KS-2025-V: beslutskolumnerna")


def test_receivers_and_goals_are_set_directly_with_history(assigned):
    rows = edit(exported(assigned, "uppdrag"), "BUN-2025-1", Mottagare="BUN, SN, KS", Mål="KF1")
    report = run(assigned, xlsx({"Uppdrag": rows}), "mottagare.xlsx", commit=True)
    assert errors(report) == []
    assert report.sheets[0].rows[0].changes == [("Mottagare", "BUN, SN", "BUN, KS, SN"), ("Mål", "", "KF1")]
    a = Assignment.objects.get(pk=assigned.assignment.pk)
    assert {o.code for o in a.receivers.all()} == {"BUN", "SN", "KS"}
    assert [g.code for g in a.goals.all()] == ["KF1"]
    assert a.decisions.count() == 1  # no decision event
    assert a.history.latest().history_change_reason == "Import av mottagare.xlsx"


def test_a_receiver_with_money_cannot_be_removed(assigned):
    rows = edit(exported(assigned, "uppdrag"), "BUN-2025-1", Mottagare="BUN")
    assert errors(run(assigned, xlsx({"Uppdrag": rows}), commit=True)) == [
        "Blad Uppdrag, rad 2, kolumn Mottagare: SN får pengar genom uppdraget (bladet Uppdragsbelopp) och kan inte "
        "tas bort som mottagare"
    ]
    assert assigned.assignment.receivers.count() == 2


def test_status_is_not_changed_by_import(assigned):
    rows = edit(exported(assigned, "uppdrag"), "BUN-2025-1", Status="Avslutat genom beslut")
    new_row = [
        "KF-2026-1", "Ny", "", "", "KF", "BUN", "", 2026, "", "", "Pågår", "", "KF", "2025-06-16", "", "", "",
    ]  # fmt: skip
    assert errors(run(assigned, xlsx({"Uppdrag": [*rows, new_row]}), commit=True)) == [
        "Blad Uppdrag, rad 2, kolumn Status: status ändras inte genom import: mottagarna rapporterar status på "
        "uppdragets sida och ett uppdrag avslutas genom beslut (nu: Ej påbörjat)",
        "Blad Uppdrag, rad 4, kolumn Status: ett nytt uppdrag får status Ej påbörjat; sedan rapporterar mottagarna "
        "status på uppdragets sida",
    ]
    assert Assignment.objects.get(pk=assigned.assignment.pk).status == "not_started"


def test_what_is_fixed_when_given_is_not_changed(assigned):
    rows = edit(exported(assigned, "uppdrag"), "BUN-2025-1", Givet_av="KS", Budgetår=2026)
    assert errors(run(assigned, xlsx({"Uppdrag": rows}))) == [
        "Blad Uppdrag, rad 2, kolumn Givet av: Givet av bestäms när uppdraget ges och ändras inte genom import "
        "(nu: KF)",
        "Blad Uppdrag, rad 2, kolumn Budgetår: Budgetår bestäms när uppdraget ges och ändras inte genom import "
        "(nu: 2025)",
    ]


def test_an_amount_changes_in_place_with_history(assigned):
    data = xlsx(
        {
            "Uppdragsbelopp": [
                ["Uppdragskod", "Tillförs", "År", "Belopp (kr)"],
                ["BUN-2025-1", "BUN", 2025, "2 500 000"],
                ["BUN-2025-1", "SN", 2026, "300 000"],
            ]
        }
    )
    report = run(assigned, data, "belopp.xlsx", commit=True)
    assert errors(report) == []
    assert report.sheets[0].rows[0].changes == [("Belopp (kr)", "2000000", "2500000")]
    amount = AssignmentAmount.objects.get(assignment=assigned.assignment, organisation=assigned.bun, year=2025)
    assert amount.amount == 2_500_000
    assert amount.history.latest().history_change_reason == "Import av belopp.xlsx"
    assert AssignmentAmount.objects.filter(assignment=assigned.assignment).count() == 3


# --- Bad input: a clear message each, nothing saved ----------------------------------------------------------------


def test_unknown_codes(assigned):
    data = xlsx(
        {
            "Uppdrag": [
                ASSIGNMENT_HEADERS,
                ["KF-2026-1", "Ny", "", "KF", "BUN", "BUN, XYZ", 2026, "", "KF9", "KF", "2025-06-16", "", ""],
            ],
            "Uppdragsbelopp": [
                ["Uppdragskod", "Tillförs", "År", "Belopp (kr)"],
                ["KF-2099-9", "BUN", 2026, 100],
                ["KF-2026-1", "BUN", 2026, 100],
            ],
        }
    )
    report = run(assigned, data, commit=True)
    assert errors(report) == [
        "Blad Uppdrag, rad 2, kolumn Mottagare: koden XYZ finns inte",
        "Blad Uppdrag, rad 2, kolumn Mål: koden KF9 finns inte",
        "Blad Uppdragsbelopp, rad 2, kolumn Uppdragskod: koden KF-2099-9 finns inte",
        "Blad Uppdragsbelopp, rad 3, kolumn Uppdragskod: koden KF-2026-1 har fel i filen (blad Uppdrag, rad 2)",
    ]
    assert not report.committed and not Assignment.objects.filter(code="KF-2026-1").exists()


def test_another_municipalitys_code(world):
    data = xlsx(
        {
            "Uppdrag": [
                ASSIGNMENT_HEADERS,
                ["KF-2026-1", "Ny", "", "KF", "KFN", "", 2026, "", "", "KF", "2025-06-16", "", ""],
            ]
        }
    )
    assert errors(run(world, data)) == ["Blad Uppdrag, rad 2, kolumn Ansvarig: koden KFN hör till en annan kommun"]


def test_a_new_assignment_needs_its_decision(world):
    data = xlsx(
        {"Uppdrag": [ASSIGNMENT_HEADERS, ["KF-2026-1", "Ny", "", "KF", "BUN", "", 2026, "", "", "", "", "", ""]]}
    )
    assert errors(run(world, data)) == [
        "Blad Uppdrag, rad 2: ett nytt uppdrag ges i ett beslut: fyll i kolumnerna Beslutande organ och Beslutsdatum"
    ]


def test_model_rules_reach_the_cell(world):
    """Rules that live on the model and the services are reported on their column."""
    data = xlsx(
        {
            "Uppdrag": [
                ASSIGNMENT_HEADERS,
                ["KF-2026-1", "Ny", "", "HAGA", "BUN", "", 2026, "2025-06-30", "", "KF", "2025-06-16", "", ""],
            ]
        }
    )
    assert errors(run(world, data)) == [
        "Blad Uppdrag, rad 2, kolumn Givet av: Uppdrag ges av kommunfullmäktige, kommunstyrelsen eller en nämnd.",
        "Blad Uppdrag, rad 2, kolumn Klart senast: Slutdatumet kan inte ligga före budgetåret.",
    ]


def test_money_only_to_a_receiver(assigned):
    data = xlsx(
        {"Uppdragsbelopp": [["Uppdragskod", "Tillförs", "År", "Belopp (kr)"], ["KS-2025-V", "BUN", 2025, 1000]]}
    )
    assert errors(run(assigned, data)) == [
        "Blad Uppdragsbelopp, rad 2, kolumn Tillförs: Pengarna kan bara tillföras en av uppdragets mottagare."
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("tolv", "ange beloppet i hela kronor, till exempel 2 000 000 (”tolv” är inget belopp i kronor)"),
        ("12,5", "ange beloppet i hela kronor, till exempel 2 000 000 (”12,5” är inget belopp i kronor)"),
    ],
)
def test_wrong_number(assigned, cell, message):
    data = xlsx(
        {"Uppdragsbelopp": [["Uppdragskod", "Tillförs", "År", "Belopp (kr)"], ["BUN-2025-1", "BUN", 2025, cell]]}
    )
    assert errors(run(assigned, data)) == [f"Blad Uppdragsbelopp, rad 2, kolumn Belopp (kr): {message}"]


def test_swedish_excel_csv(assigned):
    data = csv_file(
        [
            ["Uppdragskod", "Tillförs", "År", "Belopp (kr)", "Kommentar"],
            ["BUN-2025-1", "SN", "2026", "1 250 000", "Andra året"],
        ],
        encoding="cp1252",
    )
    report = run(assigned, data, "belopp.csv", commit=True)
    assert errors(report) == []
    assert AssignmentAmount.objects.get(assignment=assigned.assignment, year=2026).comment == "Andra året"


# --- Permissions ---------------------------------------------------------------------------------------------------


def test_an_editor_cannot_import_assignments(assigned):
    """The engine checks every row: an editor of BUN may not give or change KF's assignments."""
    rows = edit(exported(assigned, "uppdrag"), "BUN-2025-1", Rubrik="Ny", Beslutsdatum="2025-11-24")
    new_row = ["BUN-2026-1", "Nytt", "", "", "BUN", "BUN", "", 2026, "", "", "", "", "BUN", "2025-06-16", "", "", ""]
    report = run(assigned, xlsx({"Uppdrag": [*rows, new_row]}), commit=True, user=assigned.official)
    assert errors(report) == [
        "Blad Uppdrag, rad 2: organisationen KF ligger utanför din behörighet",
        "Blad Uppdrag, rad 4: organisationen BUN ligger utanför din behörighet",
    ]
    assert not Assignment.objects.filter(code="BUN-2026-1").exists()
    assert Assignment.objects.get(pk=assigned.assignment.pk).title == "Uppdrag BUN-2025-1"


def test_a_committees_administrator_gives_the_committees_own_assignments_only(assigned):
    bun_admin = f.make_user("bun_admin")
    membership_grant(user=bun_admin, organisation=assigned.bun, role="admin", granted_by=None)
    data = xlsx(
        {
            "Uppdrag": [
                ASSIGNMENT_HEADERS,
                ["BUN-2026-1", "Läsa mer", "", "BUN", "BUF", "", 2026, "", "", "BUN", "2025-06-16", "", ""],
                ["KF-2026-1", "Nytt", "", "KF", "BUN", "", 2026, "", "", "KF", "2025-06-16", "", ""],
            ]
        }
    )
    assert errors(run(assigned, data, user=bun_admin)) == [
        "Blad Uppdrag, rad 3: organisationen KF ligger utanför din behörighet"
    ]


def _upload(client, world, data, name="uppdrag.xlsx"):
    return client.post(
        reverse("goals:import", args=[world.municipality.slug]), {"file": SimpleUploadedFile(name, data)}
    )


def _new_assignment_file():
    return xlsx(
        {
            "Uppdrag": [
                ASSIGNMENT_HEADERS,
                ["KF-2026-1", "Ny", "", "KF", "BUN", "", 2026, "", "", "KF", "2025-06-16", "", ""],
            ]
        }
    )


def test_editors_and_other_municipalities_administrators_cannot_upload(client, world):
    client.force_login(world.official)
    assert _upload(client, world, _new_assignment_file()).status_code == 403
    other_admin = f.make_user("sater_admin")
    membership_grant(user=other_admin, organisation=world.other_kf, role="admin", granted_by=None)
    client.force_login(other_admin)
    assert _upload(client, world, _new_assignment_file()).status_code == 404
    assert (
        client.get(reverse("goals:export", args=[world.municipality.slug]) + "?format=csv&blad=uppdrag").status_code
        == 404
    )
    assert not Assignment.objects.filter(code="KF-2026-1").exists()


def test_upload_preview_and_confirm(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.admin)
    response = _upload(client, world, _new_assignment_file())
    assert response.status_code == 200
    assert "Ändringar på bladet Uppdrag" in response.content.decode()
    token = response.context["token"]
    assert not Assignment.objects.filter(code="KF-2026-1").exists()
    response = client.post(reverse("goals:import_confirm", args=[world.municipality.slug]), {"token": token})
    assert response.status_code == 302
    assert Assignment.objects.get(code="KF-2026-1").history.latest().history_change_reason == "Import av uppdrag.xlsx"


# --- Export safety and templates -----------------------------------------------------------------------------------


def test_formulas_are_neutralised_on_export(assigned):
    assigned.assignment.title = '=HYPERLINK("http://example.invalid";"Klicka")'
    assigned.assignment.save()
    _name, data = importing.export_file(municipality=assigned.municipality, fmt="csv", sheet="uppdrag")
    assert '"\'=HYPERLINK(""http://example.invalid"";""Klicka"")"' in data.decode("utf-8-sig")
    _name, data = importing.export_file(municipality=assigned.municipality, fmt="xlsx", sheet="uppdrag")
    ws = openpyxl.load_workbook(io.BytesIO(data))["Uppdrag"]
    cell = next(row[1] for row in ws.iter_rows(min_row=2) if row[0].value == "BUN-2025-1")
    assert (cell.value, cell.data_type, cell.quotePrefix) == (assigned.assignment.title, "s", True)
    for fmt in ("csv", "csv-utf8", "xlsx", "ods"):
        name, data = importing.export_file(municipality=assigned.municipality, fmt=fmt, sheet="uppdrag")
        report = run(assigned, data, name)
        assert errors(report) == [] and report.changed == 0, fmt


@pytest.mark.parametrize("sheet", ["uppdrag", "uppdragsbelopp"])
def test_template_per_kind(world, sheet):
    name, data = importing.template_file(fmt="xlsx", sheet=sheet)
    book = openpyxl.load_workbook(io.BytesIO(data))
    instructions = [row[1] for row in book["Instruktioner"].iter_rows(min_row=2, values_only=True)]
    sheet_name = book.sheetnames[1]
    assert sheet_name in ("Uppdrag", "Uppdragsbelopp")
    headers = [c.value for c in book[sheet_name][1]]
    assert set(headers) <= {h for h in instructions if h}  # every column is explained
    assert book[sheet_name].max_row >= 2  # example rows
