"""
Kind 5, Budget med plan (reports.kinds.budget): the frames of the version in force for the budget year and the two
plan years, per organisation with their adjustments and the assignments' money, the result with the financial goals
and the balanskrav, and the decisions. The job goes queued → done, the PDF's text holds the headings and the figures
as formatted, it is tagged, and each section's data is read in the same number of queries for few and many frames.
"""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ObjectDoesNotExist

from budget import services as budget_services
from budget.choices import DecisionKind
from budget.models import Calendar, Frame, Milestone
from reports import documents, services
from reports.models import JobStatus
from tests import factories as f
from tests.budget.conftest import (
    MKR,
    decide,
    make_adjustment,
    make_assignment,
    make_assumptions,
    make_budget,
    make_decision,
)

from .conftest import flat, pdf_info, pdf_text, section_queries, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def budgeted(world):
    """Budget 2027 med plan 2028–2029: a decided June rambudget for KS, BUN and SN (BUN's frame cut by 1 mkr, its
    school given 1,5 mkr with an assignment), a draft November version on top (not in force), the 2026 budget before
    it, planning prerequisites, a financial goal of KF and the årshjul 2026."""
    w = world
    previous = make_budget(municipality=w.municipality, year=2026)
    make_decision(
        budget=previous,
        frames={(w.ks, 2026): 98 * MKR, (w.bun, 2026): 390 * MKR, (w.sn, 2026): 290 * MKR},
        decided_by=w.kf,
    )
    w.budget = make_budget(municipality=w.municipality, year=2027)
    for offset, year in enumerate(w.budget.years):
        make_assumptions(
            budget=w.budget, year=year, tax_revenue=(900 + 30 * offset) * MKR, financial_items=3 * MKR, population=14000
        )
    frames = {}
    for offset, year in enumerate(w.budget.years):
        frames[(w.ks, year)] = (100 + offset) * MKR
        frames[(w.bun, year)] = (400 + 10 * offset) * MKR
        frames[(w.sn, year)] = (300 + 10 * offset) * MKR
    w.june = make_decision(budget=w.budget, frames=frames)
    make_adjustment(
        frame=Frame.objects.get(decision=w.june, organisation=w.bun, year=2027),
        amount=-1 * MKR,
        reason="Effektivisering av lokaler",
    )
    w.june = decide(w.june, decided_by=w.kf)
    w.assignment = make_assignment(
        municipality=w.municipality,
        given_by=w.kf,
        lead=w.bun,
        receivers=[w.bun, w.school],
        code="BUN-2027-1",
        title="Läsfrämjande insatser",
        due_date=datetime.date(2027, 12, 31),
        amounts=[(w.school, 2027, 1_500_000), (w.bun, 2028, 1_500_000)],
    )
    w.november = budget_services.budget_decision_new_version(w.june, kind=DecisionKind.COMPLEMENTARY, user=None)
    make_adjustment(
        frame=Frame.objects.get(decision=w.november, organisation=w.bun, year=2027),
        amount=2 * MKR,
        reason="Fler lärare i förskoleklass",
    )
    period = f.make_mandate_period(municipality=w.municipality, start_year=2027)
    plan = f.make_plan(organisation=w.kf, mandate_period=period, title="Strategisk plan 2027–2030")
    w.financial_goal = f.make_goal(
        parent=w.vision,
        organisation=w.kf,
        plan=plan,
        code="KF9",
        title="God ekonomisk hushållning",
        kind="financial",
        start_year=2027,
        end_year=2030,
    )
    indicator = f.make_indicator(goal=w.financial_goal, name="Resultat av skatteintäkter", unit="%")
    f.make_target(indicator=indicator, year=2027, value=2)
    calendar = budget_services.calendar_create(Calendar(municipality=w.municipality, year=2026), user=None)
    budget_services.milestone_save(
        Milestone(
            calendar=calendar,
            kind="frame_budget",
            date=datetime.date(2026, 6, 15),
            body="KF",
            description="Kommunfullmäktige beslutar om rambudget 2027.",
        ),
        user=None,
    )
    return w


def render(params, user):
    job = wait_for(services.report_request(kind="budget", params=params, user=user))
    assert job.status == JobStatus.DONE, job.error
    path = Path(job.file.file.path)
    return job, flat(pdf_text(path)), pdf_info(path)


def test_budget_document_shows_the_version_in_force(budgeted, eager):
    w = budgeted
    job, text, info = render({"budget": w.budget.pk}, w.politician)
    assert job.title == "Budget 2027 med plan 2028–2029"
    assert job.organisation == w.kf and job.subject_key == f"budget:{w.budget.pk}"
    for expected in (
        "Budget 2027 med plan 2028–2029",
        "Innehåll",
        "Sammanfattning",
        "Ramar 2027–2029",
        "Resultat och finansiella mål",
        "Kommunstyrelsen",
        "Barn- och utbildningsnämnden",
        "Socialnämnden",
        "Beslut och budgetprocess",
        "KF 2026-06-15 § 7",  # the decision in force
        "100 000 tkr",  # KS 2027
        "400 500 tkr",  # BUN 2027: 400 mkr − 1 mkr + the assignment's 1,5 mkr to its school
        "300 000 tkr",  # SN 2027
        "800 500 tkr",  # the sum of the frames 2027
        "+10 500 tkr",  # BUN's change from its 2026 frame of 390 mkr
        "Effektivisering av lokaler",
        "\u22121 000 tkr",
        "Medel med uppdrag BUN-2027-1 Läsfrämjande insatser",
        "+1 500 tkr",
        "102 500 tkr",  # the result 2027: 900 + 3 − 800,5 mkr
        "11,4 %",  # of tax revenue and general grants
        "Balanskravet",
        "Uppfyllt",
        "Kommunfullmäktiges finansiella mål",
        "KF9 God ekonomisk hushållning",
        "Kommunfullmäktige beslutar om rambudget 2027.",  # the budget process
        "Sida 3 av",
    ):
        assert expected in text, expected
    assert "Fler lärare i förskoleklass" not in text  # the draft's adjustment is not in force
    assert info["Tagged"] == "yes"
    assert info["Title"] == job.title and info["Author"] == "Vaggeryds kommun"
    # cover, contents, summary, frames, result, KS, BUN, SN, decisions
    assert 9 <= int(info["Pages"]) <= 13 and job.file.pages == int(info["Pages"])


def test_budget_document_warns_when_the_balanskrav_is_not_met(world, eager):
    w = world
    budget = make_budget(municipality=w.municipality, year=2027)
    for year in budget.years:
        make_assumptions(budget=budget, year=year, tax_revenue=700 * MKR)
    make_decision(budget=budget, frames={(w.bun, year): 450 * MKR for year in budget.years} | {(w.sn, 2027): 300 * MKR})
    _job, text, _info = render({"budget": budget.pk}, w.politician)
    assert "Dokumentet visar ett utkast som inte är beslutat" in text
    assert "Balanskravet uppfylls inte 2027: budgeten visar ett underskott på 50,0 mkr." in text
    assert "Underskott 50 000 tkr" in text


def test_subject_refuses_unknown_budget(world):
    with pytest.raises(ObjectDoesNotExist):
        documents.get("budget").subject({"budget": 0})
    with pytest.raises(KeyError):
        documents.get("budget").subject({})


def test_each_section_reads_its_data_in_a_constant_number_of_queries(budgeted):
    w = budgeted
    few = section_queries("budget", {"budget": w.budget.pk}, w.politician)
    assert set(few) == {"overview", "frames", "result", "organisation", "decisions"}
    # The November version adds eight nämnder, each with adjustments and an assignment's money, and is decided.
    frames = {}
    for n in range(8):
        committee = f.make_org(parent=w.kf, name=f"Nämnd {n}", short_name=f"N{n}")
        unit = f.make_org(parent=committee, kind="unit", name=f"Enhet {n}")
        for year in w.budget.years:
            frames[(committee, year)] = (20 + n) * MKR
        make_assignment(
            municipality=w.municipality,
            given_by=w.kf,
            lead=committee,
            receivers=[committee, unit],
            code=f"N{n}-2027-1",
            amounts=[(unit, 2027, 300_000), (committee, 2028, 200_000)],
        )
    budget_services.frame_table_save(w.november, amounts=frames, user=None)
    for frame in Frame.objects.filter(decision=w.november, organisation__name__startswith="Nämnd"):
        make_adjustment(frame=frame, amount=MKR, reason="Volymökning")
        make_adjustment(frame=frame, amount=-MKR // 2, reason="Effektivisering", assignment=w.assignment)
    decide(w.november, decided_by=w.kf)
    many = section_queries("budget", {"budget": w.budget.pk}, w.politician)
    assert many == few
    # The requesting user and their memberships, the budget, and the seven of budget_overview (its decisions, the
    # previous year's decisions, the frames, their adjustments, the organisations, the assignments' money and the
    # prerequisites); the result adds the financial goals with their indicators, latest outcomes and targets, the
    # decisions the årshjul with its milestones.
    assert max(few["overview"], few["frames"], few["organisation"]) <= 10
    assert few["result"] <= 14 and few["decisions"] <= 12


def test_budget_without_decisions_says_so(world, eager):
    budget = make_budget(municipality=world.municipality, year=2028)
    _job, text, info = render({"budget": budget.pk}, world.politician)
    assert "Budgeten har inga beslut ännu." in text
    assert "Den här versionen har inga ramar ännu." in text
    assert info["Tagged"] == "yes"
