"""
The demo travels through the import: each municipality's workbook in fixtures/ is read and written by the import
service behind the import page (history reason "Import av <slug>.xlsx"), the seed's text arrives verbatim, what the
demo loaded exports and imports again without a change, and a workbook with an error stops `load_demo` with the
import's own messages. The budget's demo (version by version) is tested in tests/budget/test_demo.py.
"""

import datetime
import io
import shutil

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from assignments.models import Assignment, AssignmentAmount, AssignmentDecision
from budget.models import Frame, FrameAdjustment
from goals import demo, importing
from goals.models import Goal, Indicator, Outcome, Plan, Target
from styrning.models import Municipality, Organisation, SteeringDocument

SLUGS = ["sater", "skara", "vaggeryd", "vimmerby"]


def load(*slugs):
    out = io.StringIO()
    call_command("load_demo", *slugs, stdout=out)
    return out.getvalue()


def admin():
    return demo.ensure_users()[demo.ADMIN_USERNAME][0]


@pytest.mark.parametrize("slug", SLUGS)
def test_each_workbook_previews_as_one_upload_without_errors(db, slug):
    """The whole workbook, uploaded at once into the municipality as the loader creates it first (with its mandate
    periods), previews without an error: every row is new but kommunfullmäktige's, which exists. The budgets' later
    versions are left out: an upload never makes a new version of a decided budget, so the demo imports those rows
    after each decision (an upload creates a missing budget with a first version, and warns about it)."""
    user = admin()
    data = demo.read_demo_file(demo.DEMO_DIR / f"{slug}.json")
    municipality = demo.MunicipalityLoader(data, user=user).create()
    workbook = demo.read_workbook(slug)
    first_versions = demo.workbook_part(
        workbook, sheets=[s.name for s in workbook.sheets], rows=lambda _sheet, row: row.get("Version") in (None, 1)
    )
    rows = sum(len(s.rows) for s in first_versions.sheets if s.name != importing.INSTRUCTIONS_SHEET)

    report = importing.import_workbook(
        workbook=first_versions, filename=f"{slug}.xlsx", municipality=municipality, user=user, commit=False
    )

    assert [str(e) for e in report.all_errors] == []
    assert {w.message.split(" fanns inte")[0] for w in report.all_warnings} == {"budget 2026", "budget 2027"}
    assert [s.name for s in report.sheets] == [
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
    assert report.new == rows - 1 and report.changed + report.unchanged == 1
    assert not Goal.objects.filter(municipality=municipality).exists()  # a preview keeps nothing


def test_load_demo_imports_the_workbook_with_history(db):
    output = load("vaggeryd")
    assert "Skapade Vaggeryds kommun: 24 organisationer, 27 planer, 56 mål, 26 aktiviteter" in output
    municipality = Municipality.objects.get(slug="vaggeryd")
    user = admin()
    reason = "Import av vaggeryd.xlsx"
    for model, rows in (
        (Organisation, Organisation.objects.filter(municipality=municipality).exclude(parent=None)),
        (Plan, Plan.objects.filter(organisation__municipality=municipality)),
        (Goal, Goal.objects.filter(municipality=municipality)),
        (Indicator, Indicator.objects.filter(goal__municipality=municipality)),
        (Target, Target.objects.filter(indicator__goal__municipality=municipality)),
        (Outcome, Outcome.objects.filter(indicator__goal__municipality=municipality)),
        (Assignment, Assignment.objects.filter(municipality=municipality)),
        (AssignmentAmount, AssignmentAmount.objects.filter(assignment__municipality=municipality)),
        (Frame, Frame.objects.filter(decision__budget__municipality=municipality, decision__number=1)),
        (FrameAdjustment, FrameAdjustment.objects.filter(frame__decision__budget__municipality=municipality)),
    ):
        created = model.history.filter(history_type="+", id__in=rows.values("pk"))
        assert created.count() == rows.count() > 0, model
        if model is not FrameAdjustment:  # later versions' adjustments start as copies of the decided version's
            assert set(created.values_list("history_change_reason", "history_user")) == {(reason, user.pk)}, model
    imported = FrameAdjustment.history.filter(history_change_reason=reason, frame__decision__budget__year=2027)
    assert imported.filter(frame__decision__number=2).exists()  # the November version's own adjustments


def test_kommunfullmaktige_gets_its_mission_from_the_workbook(db):
    load("vimmerby")
    council = Organisation.objects.get(municipality__slug="vimmerby", parent=None)
    assert council.mission.startswith("- Vision\n- Värdegrund\n- Strategisk plan")
    assert council.history.latest().history_change_reason == "Import av vimmerby.xlsx"


def test_seed_text_arrives_verbatim_and_is_not_example_data(db):
    load("sater", "skara")
    # Säter's six övergripande mål (seed 002), in the seed's words.
    sater = Goal.objects.filter(municipality__slug="sater", level=1, is_example=False)
    titles = set(sater.values_list("title", flat=True))
    assert {
        "Ett rikare liv",
        "Ett miljöarbete på väg mot en hållbar kommun",
        "En omsorgsfull boendeutveckling",
        "En bra start i livet",
        "En stimulerande tillväxt",
        "En uppdragsbaserad kommun",
    } <= titles
    vision = Goal.objects.get(municipality__slug="sater", code="VISION")
    assert vision.title.startswith(
        "Säter är en välkomnande kommun. Vi bygger framtiden genom engagemang och samarbete."
    )
    assert not vision.is_example
    # Skara's assignments to kommunstyrelsen (seed 000): the text is the seed's, the decision reference an example.
    seed = Assignment.objects.get(municipality__slug="skara", code="KS-2023-10")
    assert (seed.title, seed.is_example) == ("Samverkan arbetsmarknadsfrågor", False)
    assert list(seed.decisions.values_list("kind", "is_example")) == [("given", True)]
    assert not AssignmentDecision.objects.filter(assignment__municipality__slug="skara", is_example=False).exists()


def test_example_marks_travel_with_the_rows(db):
    load("vaggeryd")
    targets = Target.objects.filter(indicator__goal__municipality__slug="vaggeryd")
    assert targets.filter(is_example=True).exists()
    # A target is example data exactly when its indicator is (the row's Exempeldata covers its target columns).
    assert not targets.filter(is_example=True, indicator__is_example=False).exists()
    assert not targets.filter(is_example=False, indicator__is_example=True).exists()
    assert not Organisation.objects.get(municipality__slug="vaggeryd", code="KS").is_example
    assert Organisation.objects.get(municipality__slug="vaggeryd", code="BUN").is_example


def test_the_json_parts_build_on_the_imported_rows(db):
    load("vaggeryd")
    plan = Plan.objects.get(
        organisation__municipality__slug="vaggeryd",
        organisation__code="KF",
        year=None,
        title="Strategisk plan 2023–2026",
    )
    assert (plan.status, plan.decided_on, plan.paragraph) == ("adopted", datetime.date(2023, 2, 27), "14")
    program = SteeringDocument.objects.get(municipality__slug="vaggeryd", title="Strategiskt utvecklingsprogram")
    assert {"KF1", "KF2", "KF3", "KF4", "KF5"} <= set(program.goals.values_list("code", flat=True))
    extended = Assignment.objects.get(municipality__slug="vaggeryd", code="KS-2025-2")
    assert extended.due_date == datetime.date(2026, 6, 30)
    assert list(extended.decisions.order_by("decided_on").values_list("kind", flat=True)) == ["given", "extended"]


def test_what_the_demo_loaded_exports_and_imports_without_a_change(db):
    load("vaggeryd")
    municipality = Municipality.objects.get(slug="vaggeryd")
    name, data = importing.export_file(municipality=municipality, fmt="xlsx")
    report = importing.import_file(data=data, filename=name, municipality=municipality, user=admin(), commit=False)
    assert [str(e) for e in report.all_errors] == [] and report.all_warnings == []
    assert (report.new, report.changed) == (0, 0) and report.unchanged > 600


def test_loading_again_creates_nothing(db):
    load("vaggeryd")
    history = Goal.history.count() + Frame.history.count() + AssignmentDecision.history.count()
    output = load("vaggeryd")
    assert "Vaggeryds kommun fanns redan (vaggeryd), inget ändrat: 24 organisationer" in output
    assert "Demoanvändarna fanns redan" in output
    assert Goal.history.count() + Frame.history.count() + AssignmentDecision.history.count() == history


def test_a_workbook_with_an_error_stops_the_demo_with_the_import_messages(db, tmp_path, monkeypatch):
    shutil.copy(demo.workbook_path("vaggeryd"), tmp_path / "vaggeryd.xlsx")
    book = openpyxl.load_workbook(tmp_path / "vaggeryd.xlsx")
    sheet = book["Mål"]
    headers = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[headers.index("Typ")].value == "Aktivitet")
    row[headers.index("Överordnad kod")].value = "KF99"
    book.save(tmp_path / "vaggeryd.xlsx")
    monkeypatch.setattr(demo, "FIXTURES_DIR", tmp_path)

    with pytest.raises(CommandError) as raised:
        load("vaggeryd")

    assert str(raised.value) == (
        f"vaggeryd.xlsx kan inte läsas in:\nBlad Mål, rad {row[0].row}, kolumn Överordnad kod: koden KF99 finns inte"
    )
    assert not Municipality.objects.filter(slug="vaggeryd").exists()  # nothing half-saved


def test_a_missing_workbook_is_named(db, tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "FIXTURES_DIR", tmp_path)
    with pytest.raises(CommandError, match=r"^vaggeryd\.xlsx: importfilen saknas i "):
        load("vaggeryd")
