"""
Kind 4, the assignment list (reports.kinds.assignment_list): an organisation's assignments for a year laid out like
seed 000, and the municipality-wide list with one chapter per receiving body. The job goes queued → done, the PDF's
text holds the headings, codes, titles, decisions and money as formatted, it is tagged, and each section's data is
read in the same number of queries for few and many assignments.
"""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ObjectDoesNotExist

from assignments import services as assignment_services
from assignments.models import Assignment
from reports import documents, services
from reports.models import JobStatus

from .conftest import flat, pdf_info, pdf_text, section_queries, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def give(w, *, code, lead, receivers=(), amounts=(), kind="assignment", start_year=2025, due="2025-12-31", **kwargs):
    """Give an assignment in KF's budget decision of the year before."""
    assignment = Assignment(
        municipality=w.municipality,
        code=code,
        title=kwargs.pop("title", f"Uppdrag {code}"),
        description=kwargs.pop("description", "Ta fram en plan."),
        kind=kind,
        given_by=kwargs.pop("given_by", w.kf),
        lead=lead,
        start_year=start_year,
        due_date=datetime.date.fromisoformat(due) if due else None,
        **kwargs,
    )
    return assignment_services.assignment_give(
        assignment=assignment,
        receivers=list(receivers),
        amounts=[(org, year, kronor, "") for org, year, kronor in amounts],
        decision={
            "decided_by": w.kf,
            "decided_on": datetime.date(start_year - 1, 11, 28),
            "paragraph": "112",
            "registration_number": f"Dnr KS {start_year - 1}/301",
        },
        user=w.admin,
    )


@pytest.fixture
def assigned(world):
    """BUN: an assignment with 2 mkr (extended by a later decision, with a status report), an assignment to its
    school, a constraint shared with KS; SN has one of its own; one is given for next year, one was finished before."""
    w = world
    w.lead_assignment = give(
        w,
        code="BUN-2025-1",
        lead=w.bun,
        title="Fler lärare i lågstadiet",
        description="Barn- och utbildningsnämnden tillförs 2 mkr för att öka lärartätheten i lågstadiet.",
        amounts=[(w.bun, 2025, 2_000_000), (w.bun, 2026, 1_500_000)],
        due="2025-06-30",
    )
    assignment_services.assignment_decide(
        w.lead_assignment,
        kind="extended",
        decision={"decided_by": w.kf, "decided_on": datetime.date(2025, 6, 16), "paragraph": "88"},
        budget_year=2025,
        changes={"due_date": datetime.date(2026, 6, 30), "end_year": 2026},
        comment="Förlängt ett år.",
        user=w.admin,
    )
    assignment_services.assignment_report_status(
        w.lead_assignment,
        organisation=w.bun,
        status="ongoing",
        comment="Fyra nya lärartjänster är tillsatta.",
        user=w.official,
    )
    w.school_assignment = give(
        w,
        code="BUN-2025-2",
        lead=w.school,
        title="Läsfrämjande skolbibliotek",
        amounts=[(w.school, 2025, 400_000)],
    )
    w.constraint = give(
        w, code="KF-2025-V1", lead=w.ks, receivers=[w.bun], kind="constraint", title="Avgifter höjs högst 3 %"
    )
    w.sn_assignment = give(w, code="SN-2025-1", lead=w.sn, title="Heltid som norm")
    w.next_year = give(w, code="BUN-2026-9", lead=w.bun, title="Ny skolstruktur", start_year=2026, due="2026-12-31")
    w.finished = give(w, code="BUN-2024-1", lead=w.bun, title="Gammal utredning", start_year=2024, due="2024-12-31")
    assignment_services.assignment_report_status(
        w.finished,
        organisation=w.bun,
        status="done",
        comment="Redovisad.",
        user=w.official,
        today=datetime.date(2024, 12, 15),
    )
    return w


def render(kind, params, user):
    job = wait_for(services.report_request(kind=kind, params=params, user=user))
    assert job.status == JobStatus.DONE, job.error
    path = Path(job.file.file.path)
    return job, flat(pdf_text(path)), pdf_info(path)


def test_committee_list_is_laid_out_like_seed_000(assigned, eager):
    w = assigned
    job, text, info = render("assignments", {"organisation": w.bun.pk, "year": 2025}, w.politician)
    assert job.title == "Uppdrag till barn- och utbildningsnämnden 2025"
    assert job.organisation == w.bun and job.subject_key == f"assignments:{w.bun.pk}:2025"
    for expected in (
        "Uppdrag till barn- och utbildningsnämnden 2025",
        "Innehåll",
        "Sammanställning",
        "Uppdrag och villkor som gäller 2025",
        "BUN-2025-1",
        "Fler lärare i lågstadiet",
        "Barn- och utbildningsnämnden tillförs 2 mkr för att öka lärartätheten i lågstadiet.",
        "Kommunfullmäktige, KF 2024-11-28 § 112, Dnr KS 2024/301",  # the giving decision
        "tillförs 2,0 mkr 2025, 1,5 mkr 2026",  # the money that comes with it, every year
        "2 000 tkr",  # ... and this year's in the summary table
        "2 400 tkr",  # the year's total: BUN's 2 mkr and its school's 0,4 mkr
        "30 juni 2026",  # the due date as extended
        "Förlängt KF 2025-06-16 § 88",
        "Förlängt ett år.",
        "Senaste statusrapport",
        "Fyra nya lärartjänster är tillsatta.",
        "BUN-2025-2",  # given to the nämnd's school: counts for the nämnd
        "Läsfrämjande skolbibliotek",
        "Villkor",
        "KF-2025-V1",
        "Avgifter höjs högst 3 %",
        "Sida 3 av",
    ):
        assert expected in text, expected
    for absent in ("SN-2025-1", "BUN-2026-9", "BUN-2024-1"):  # another nämnd's, next year's, finished before
        assert absent not in text, absent
    assert info["Tagged"] == "yes"
    assert info["Title"] == job.title and info["Author"] == "Vaggeryds kommun"
    # cover, contents, the nämnd with its summary, uppdrag, villkor
    assert 5 <= int(info["Pages"]) <= 8 and job.file.pages == int(info["Pages"])


def test_council_list_has_a_chapter_per_receiving_body(assigned, eager):
    w = assigned
    job, text, info = render("assignments", {"organisation": w.kf.pk, "year": 2025}, w.politician)
    assert job.title == "Uppdrag till styrelse, nämnder och bolag 2025"
    for expected in (
        "Uppdrag och villkor per mottagare 2025",
        "Kommunstyrelsen",
        "Barn- och utbildningsnämnden",
        "Socialnämnden",
        "SN-2025-1",
        "Heltid som norm",
        "BUN-2025-1",
        "KF-2025-V1",
        "2 400 tkr",
    ):
        assert expected in text, expected
    assert "BUN-2026-9" not in text
    # the constraint given to KS and BUN is in both chapters, besides the summary
    assert text.count("Avgifter höjs högst 3 %") == 3
    assert info["Tagged"] == "yes"
    # cover, contents, summary, KS, BUN, SN
    assert 6 <= int(info["Pages"]) <= 9


def test_next_year_list_carries_unfinished_assignments_over(assigned, eager):
    w = assigned
    _job, text, _info = render("assignments", {"organisation": w.bun.pk, "year": 2026}, w.politician)
    assert "BUN-2026-9" in text and "BUN-2025-1" in text  # extended to 2026
    assert "1 500 tkr" in text  # the 2026 money


def test_list_without_assignments_says_so(world, eager):
    _job, text, info = render("assignments", {"organisation": world.sn.pk, "year": 2025}, world.politician)
    assert "Inga uppdrag som gäller 2025." in text
    assert int(info["Pages"]) >= 3


def test_subject_refuses_unknown_organisation_and_bad_year(world):
    document = documents.get("assignments")
    with pytest.raises(ObjectDoesNotExist):
        document.subject({"organisation": 0, "year": 2025})
    with pytest.raises(ValueError):
        document.subject({"organisation": world.bun.pk, "year": "förra året"})
    with pytest.raises(KeyError):
        document.subject({"organisation": world.bun.pk})


def test_each_section_reads_its_data_in_a_constant_number_of_queries(assigned):
    w = assigned
    few_committee = section_queries("assignments", {"organisation": w.bun.pk, "year": 2025}, w.politician)
    few_council = section_queries("assignments", {"organisation": w.kf.pk, "year": 2025}, w.politician)
    for n in range(12):
        extra = give(
            w,
            code=f"BUN-2025-X{n}",
            lead=w.bun if n % 2 else w.school,
            receivers=[w.sn, w.ks],
            amounts=[(w.bun if n % 2 else w.school, 2025, 100_000 * (n + 1)), (w.sn, 2025, 50_000)],
            kind="constraint" if n % 3 == 0 else "assignment",
        )
        assignment_services.assignment_report_status(
            extra, organisation=w.sn, status="ongoing", comment=f"Rapport {n}", user=w.admin
        )
        assignment_services.assignment_report_status(
            extra, organisation=w.ks, status="ongoing", comment=f"Senare rapport {n}", user=w.admin
        )
    assert section_queries("assignments", {"organisation": w.bun.pk, "year": 2025}, w.politician) == few_committee
    assert section_queries("assignments", {"organisation": w.kf.pk, "year": 2025}, w.politician) == few_council
    # The requesting user and their memberships, the organisation, the assignments with their receivers, decisions,
    # money and latest status report; the municipality-wide list also reads the bodies that get a chapter.
    assert max(few_committee.values()) <= 8
    assert max(few_council.values()) <= 9
