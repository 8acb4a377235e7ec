"""
Kind 3, the strategic development programme (reports.kinds.programme), laid out as seed 003: the cover with the
strategic plan's decision, the summary and how to read it, vision, värdegrund and the KF goals, one spread per KF goal
(what the nämnder contribute, Agenda 2030, the political will, the indicators as charts, the styrdokument), the
Agenda 2030 spread and the back page. The job goes queued → done, the PDF's text holds the headings, goal titles, the
vision and indicator values, it is tagged, and each section's data is read in the same number of queries for 2 and 8
KF goals.
"""

import datetime
import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist

from goals import services as goal_services
from goals.models import Plan, SdgGoal, SdgTarget, Value
from reports import documents, services
from reports.kinds.programme import ink, status_text
from reports.models import JobStatus
from tests import factories as f

from .conftest import flat, pdf_info, pdf_text, prepared_sections, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def sdg(number):
    return SdgGoal.objects.get(number=number)


@pytest.fixture
def agenda2030(db):
    """Agenda 2030 as its data migration loads it: transactional tests flush the tables after each test."""
    if not SdgGoal.objects.exists():
        importlib.import_module("goals.migrations.0002_agenda2030").load(apps, None)


@pytest.fixture
def programmed(world, agenda2030):
    """The world's strategic plan adopted, with värdegrund, KF1 measured and linked to Agenda 2030 and a programme
    document; KF2 has no indicator of its own, so it borrows those of SN1, which also contributes to it."""
    w = world
    goal_services.plan_adopt(
        w.strategic_plan,
        user=w.admin,
        decided_by=w.kf,
        decided_on=datetime.date(2023, 2, 27),
        paragraph="14",
        registration_number="Dnr KS 2022/412",
    )
    for position, (name, description) in enumerate(
        [("Ansvar", "Vi tar ansvar för helheten."), ("Mod", "Vi vågar pröva nytt."), ("Fantasi", "Vi tänker nytt.")]
    ):
        goal_services.value_save(
            Value(municipality=w.municipality, name=name, description=description, position=position), user=w.admin
        )
    w.kf1.description = "Hela kommunen ska växa: fler bostäder i alla tätorter."
    goal_services.goal_save(w.kf1, user=w.admin)
    w.programme_document = f.make_document(
        organisation=w.ks,
        title="Strategiskt utvecklingsprogram",
        kind="program",
        decided_by=w.kf,
        decided_on=datetime.date(2019, 11, 25),
        registration_number="Dnr KS 2019/160",
        revision_due=datetime.date(2027, 6, 30),
    )
    goal_services.goal_set_relations(
        w.kf1, sdg_goals=[sdg(11)], sdg_targets=[SdgTarget.objects.get(code="11.3")], documents=[w.programme_document]
    )
    goal_services.goal_set_relations(w.bun1, sdg_goals=[sdg(4)], documents=[w.document])
    goal_services.goal_set_relations(w.sn1, contributes_to=[w.kf2], sdg_goals=[sdg(3)])
    w.housing = f.make_indicator(goal=w.kf1, name="Färdigställda bostäder per 1000 invånare", unit="antal")
    for year, value in ((2022, "3.0"), (2023, "2.1"), (2024, "1.8")):
        f.make_outcome(indicator=w.housing, year=year, value=value)
    for year in (2023, 2024, 2025, 2026):
        f.make_target(indicator=w.housing, year=year, value=5)
    w.care = f.make_indicator(goal=w.sn1, name="Nöjda brukare i hemtjänsten", unit="%")
    f.make_outcome(indicator=w.care, year=2024, value="91.5")
    f.make_target(indicator=w.care, year=2024, value=90)
    return w


def test_programme_is_laid_out_like_seed_003(programmed, eager):
    w = programmed
    job = wait_for(
        services.report_request(
            kind="programme", params={"municipality": w.municipality.pk, "year": 2025}, user=w.politician
        )
    )
    assert job.status == JobStatus.DONE, job.error
    assert job.title == "Strategisk plan 2023–2026 – Vaggeryds kommun"
    assert job.organisation == w.kf
    # One spread per KF goal, the Agenda 2030 spread; the overview is front matter (it refers to the spreads' pages).
    assert job.sections_total == 2 + 1
    assert [s.key for s in job.sections.order_by("position")] == [
        f"goal:{w.kf1.pk}",
        f"goal:{w.kf2.pk}",
        "agenda2030",
    ]
    path = Path(job.file.file.path)
    assert path.exists() and job.file.pages >= 8
    text = flat(pdf_text(path))
    for heading in (
        "Innehåll",
        "Sammanfattning",
        "Så läser du programmet",
        "Vision, värdegrund och övergripande mål",
        "Värdegrund",
        "Kort om målet",
        "Det här bidrar nämnderna och bolagen med",
        "Politisk vilja",
        "Så mäter vi – och så går det",
        "Styrdokument",
        "De globala målen i Vaggeryds kommun",
        "Så togs målen fram",
        "Styrmodellen: från vision till verksamhet",
    ):
        assert heading in text, heading
    # The cover's facts: the strategic plan's decision, validity and who is responsible.
    assert "Kommunfullmäktige" in text and "27 februari 2023" in text and "§ 14" in text
    assert "Dnr KS 2022/412" in text and "Mandatperioden 2023–2026" in text and "Kommunstyrelsen" in text
    assert "Här gör vi plats för att göra skillnad" in text
    assert "Hållbar samhällsutveckling" in text and "Hög sysselsättning" in text
    assert "Ansvar" in text and "Vi vågar pröva nytt." in text
    # KF1's spread: the nämndmål grouped by nämnd, Agenda 2030 with its target, the political will, the styrdokument.
    assert "BUN1 Fler elever klarar skolan" in text and "Socialnämnden SN1 Trygg omsorg" in text
    assert "11 Hållbara städer och samhällen" in text and "11.3" in text
    assert "Hela kommunen ska växa: fler bostäder i alla tätorter." in text
    assert "Strategiskt utvecklingsprogram" in text and "Skolplan" in text
    # The indicators with their latest outcome and target; KF2 borrows SN1's indicator, which also contributes to it.
    assert "Färdigställda bostäder per 1000 invånare" in text and "1,8 antal" in text and "Långt från målvärdet" in text
    assert "Nöjda brukare i hemtjänsten" in text and "91,5 %" in text and "hör främst till KF1" in text
    assert "Målet har inga egna indikatorer." in text
    # The Agenda 2030 spread counts the goals linked to each of the 17 goals.
    assert "3 av kommunens mål är kopplade till 3 av de globala målen." in text
    info = pdf_info(path)
    assert info["Tagged"] == "yes"
    assert info["Title"] == job.title and info["Author"] == "Vaggeryds kommun"
    assert 8 <= int(info["Pages"]) <= 20
    assert int(info["Pages"]) == job.file.pages
    # Seed 003's order: the cover with the facts, the summary, the contents, how to read it, the vision and the goals.
    order = ["Sammanfattning", "Innehåll", "Så läser du programmet", "Vision, värdegrund och övergripande mål"]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    # The overview gives the page of each goal's spread, and the spread is there.
    pages = pdf_text(path).split("\f")
    for goal in (w.kf1, w.kf2):
        reference = re.search(rf"{goal.code} · uppslaget på sidan (\d+)", flat(" ".join(pages)))
        number = int(reference.group(1))
        assert "Kort om målet" in pages[number - 1] and goal.title in flat(pages[number - 1])


def test_draft_plan_and_goals_without_indicators_say_so(world, eager):
    job = wait_for(
        services.report_request(
            kind="programme", params={"municipality": world.municipality.pk, "year": 2025}, user=world.politician
        )
    )
    assert job.status == JobStatus.DONE, job.error
    text = flat(pdf_text(Path(job.file.file.path)))
    assert "Strategisk plan 2023–2026 är ännu inte fastställd." in text
    assert "Utkast" in text
    # KF1 is measured through BUN1's indicator (its outcome for 2024: 86 %).
    assert "Behöriga till gymnasiet" in text and "86 %" in text
    assert "Målet har inga indikatorer ännu, och inte heller de mål som bidrar till det." in text


def test_subject_needs_a_strategic_plan_covering_the_year(world):
    document = documents.get("programme")
    subject = document.subject({"municipality": world.municipality.pk, "year": 2024})
    assert subject.organisation == world.kf
    assert subject.key == f"plan:{world.strategic_plan.pk}:2024"
    with pytest.raises(ObjectDoesNotExist):
        document.subject({"municipality": world.municipality.pk, "year": 2030})
    with pytest.raises(Plan.DoesNotExist):
        document.subject({"municipality": world.other.pk, "year": 2025})
    with pytest.raises(ValueError):
        document.subject({"municipality": world.municipality.pk, "year": "i år"})
    with pytest.raises(KeyError):
        document.subject({"municipality": world.municipality.pk})


def test_status_sentence_and_tile_ink():
    assert status_text([]) == ""
    assert status_text([("red", "", 1)]) == "Indikatorn är långt från målvärdet."
    assert status_text([("green", "", 2)]) == "Båda indikatorerna når målvärdet."
    assert status_text([("none", "", 3)]) == "Ingen av de 3 indikatorerna kan bedömas."
    assert status_text([("green", "", 1), ("yellow", "", 2), ("red", "", 1)]) == (
        "Av de 4 indikatorerna når 1 målvärdet, 2 är nära målvärdet och 1 är långt från målvärdet."
    )
    assert ink("#FCC30B") == "#111827"  # dark text on SDG 7's yellow
    assert ink("#A21942") == "#ffffff"  # white text on SDG 8's wine red


def add_council_goals(w, count):
    """`count` more KF goals in the strategic plan, each with a nämndmål of BUN and one of SN that also contributes,
    an indicator with outcomes, Agenda 2030 goals and targets, and a styrdokument."""
    for n in range(count):
        goal = f.make_goal(
            parent=w.vision,
            organisation=w.kf,
            plan=w.strategic_plan,
            code=f"KF{n + 3}",
            title=f"Övergripande mål {n + 3}",
            description="Politisk vilja.",
            start_year=2023,
            end_year=2026,
        )
        bun = f.make_goal(parent=goal, organisation=w.bun, plan=w.bun_plan, code=f"BUN{n + 3}", title=f"BUN-mål {n}")
        sn = f.make_goal(parent=w.kf1, organisation=w.sn, plan=w.sn_plan, code=f"SN{n + 3}", title=f"SN-mål {n}")
        document = f.make_document(organisation=w.bun, title=f"Plan {n}", kind="plan")
        goal_services.goal_set_relations(sn, contributes_to=[goal], sdg_goals=[sdg(n % 17 + 1)])
        goal_services.goal_set_relations(
            goal,
            sdg_goals=[sdg((n + 5) % 17 + 1)],
            sdg_targets=[SdgTarget.objects.filter(goal__number=(n + 5) % 17 + 1).first()],
            documents=[document],
        )
        goal_services.goal_set_relations(bun, documents=[document, w.document], sdg_goals=[sdg(4)])
        for goal_with_indicator in (goal, bun):
            indicator = f.make_indicator(goal=goal_with_indicator, name=f"Indikator {goal_with_indicator.code}")
            for year in (2023, 2024, 2025):
                f.make_outcome(indicator=indicator, year=year, value=50 + year % 10 + n)
                f.make_target(indicator=indicator, year=year, value=60)


@pytest.mark.parametrize("extra_goals", [0, 6])
def test_each_section_reads_its_data_in_a_constant_number_of_queries(programmed, extra_goals):
    w = programmed
    add_council_goals(w, extra_goals)
    sections = list(prepared_sections("programme", {"municipality": w.municipality.pk, "year": 2025}, w.politician))
    assert len(sections) == 2 + extra_goals + 1
    # Every section: the strategic plan (with its organisation, municipality, mandate period and decision), the
    # requesting user and their memberships; then
    # - a spread: the KF goals' order, the goal with its Agenda 2030 goals and targets, the contributing nämndmål with
    #   theirs, the indicators with outcomes and targets, the styrdokument with the goals they are linked to: 15;
    # - Agenda 2030: the KF goals, the 17 goals, the links through goals and through targets: 7.
    bounds = {"goal": 15, "agenda2030": 7}
    for section, queries, html in sections:
        assert queries <= bounds[section.key.split(":", 1)[0]], section.key
        assert html.strip()
