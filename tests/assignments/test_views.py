"""Every assignment view against every persona, and what the pages show."""

import datetime

import pytest
from django.urls import reverse

from assignments.models import Assignment
from tests.personas import PERSONAS, READ, client_for

from .conftest import give

REPORT = {
    "anonymous": 302,
    "foreigner": 404,
    "outsider": 403,
    "colleague": 403,
    "politician": 403,
    "official": 302,
    "admin": 302,
}
GIVE_FORM = {**READ, "colleague": 403, "politician": 403}
KF_DECISION = {**REPORT, "official": 403}


@pytest.fixture
def bun_only(assigned):
    assigned.bun_only = give(
        assigned, code="BUN-2025-2", lead=assigned.bun, amounts=[(assigned.bun, 2025, 500_000, "")]
    )
    return assigned


def give_form(w):
    return {
        "code": "BUN-2026-9",
        "title": "Läsfrämjande insatser",
        "kind": "assignment",
        "description": "Öka läsandet.",
        "given_by": w.bun.pk,
        "decided_by": w.bun.pk,
        "decided_on": "2025-12-10",
        "paragraph": "§ 7",
        "registration_number": "Dnr BUN 2025/9",
        "lead": w.bun_admin.pk,
        "start_year": 2026,
        "due_date": "2026-12-31",
        "belopp-TOTAL_FORMS": "3",
        "belopp-INITIAL_FORMS": "0",
        "belopp-0-organisation": w.bun_admin.pk,
        "belopp-0-year": "2026",
        "belopp-0-amount": "1 500 000",
    }


def decide_form(w, **extra):
    data = {
        "kind": "extended",
        "decided_by": w.kf.pk,
        "decided_on": "2025-11-24",
        "paragraph": "§ 130",
        "budget_year": 2026,
        "title": w.bun_only.title,
        "description": w.bun_only.description,
        "due_date": "2026-06-30",
        "end_year": 2026,
        "comment": "Förlängt",
    }
    data.update(extra)
    return {f"beslut-{key}": value for key, value in data.items()}


CASES = [
    ("list", "get", lambda w: reverse("assignments:assignment_list", args=[w.municipality.slug]), None, READ),
    (
        "list_filtered",
        "get",
        lambda w: (
            reverse("assignments:assignment_list", args=[w.municipality.slug])
            + f"?receiver={w.bun.pk}&overdue=on&year=2025&status=not_started"
        ),
        None,
        READ,
    ),
    ("overview", "get", lambda w: reverse("assignments:assignment_overview", args=[w.municipality.slug]), None, READ),
    ("detail", "get", lambda w: reverse("assignments:assignment", args=[w.bun_only.pk]), None, READ),
    (
        "organisation",
        "get",
        lambda w: reverse("assignments:organisation_assignments", args=[w.bun.pk, 2025]),
        None,
        READ,
    ),
    ("give_form", "get", lambda w: reverse("assignments:assignment_add", args=[w.municipality.slug]), None, GIVE_FORM),
    (
        "report",
        "post",
        lambda w: reverse("assignments:assignment_report", args=[w.bun_only.pk]),
        lambda w: {"status-organisation": w.bun.pk, "status-status": "ongoing", "status-comment": "Arbetet pågår."},
        REPORT,
    ),
    (
        "decide",
        "post",
        lambda w: reverse("assignments:assignment_decide", args=[w.bun_only.pk]),
        decide_form,
        KF_DECISION,
    ),
    (
        "amount_add",
        "post",
        lambda w: reverse("assignments:amount_add", args=[w.bun_only.pk]),
        lambda w: {"organisation": w.bun.pk, "year": 2026, "amount": "250 000"},
        KF_DECISION,
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "method", "path", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_permission_matrix(client, bun_only, persona, name, method, path, data, expected):
    w = bun_only
    client = client_for(client, w, persona)
    url = path(w)
    response = client.get(url) if method == "get" else client.post(url, data(w))
    assert response.status_code == expected[persona], (name, persona)


def test_official_gives_an_assignment_to_the_forvaltning_with_money(client, bun_only):
    w = bun_only
    client.force_login(w.official)
    response = client.post(reverse("assignments:assignment_add", args=[w.municipality.slug]), give_form(w))
    assignment = Assignment.objects.get(code="BUN-2026-9")
    assert response["Location"] == assignment.get_absolute_url()
    assert list(assignment.receivers.all()) == [w.bun_admin]
    assert assignment.amounts.get().amount == 1_500_000
    assert assignment.decisions.get().decision_display == "BUN 2025-12-10 § 7, Dnr BUN 2025/9"


def test_outsider_cannot_give_in_another_committees_name(client, bun_only):
    w = bun_only
    client.force_login(w.outsider)
    response = client.post(reverse("assignments:assignment_add", args=[w.municipality.slug]), give_form(w))
    assert response.status_code == 200
    assert "Välj ett giltigt alternativ" in response.content.decode()
    assert not Assignment.objects.filter(code="BUN-2026-9").exists()


def test_bad_money_row_names_the_problem_and_saves_nothing(client, bun_only):
    w = bun_only
    client.force_login(w.official)
    data = give_form(w)
    data["belopp-0-amount"] = "två miljoner"
    response = client.post(reverse("assignments:assignment_add", args=[w.municipality.slug]), data)
    assert "Ange beloppet i kronor, till exempel 2 000 000." in response.content.decode()
    data["belopp-0-amount"], data["belopp-0-year"] = "100", ""
    response = client.post(reverse("assignments:assignment_add", args=[w.municipality.slug]), data)
    assert "Ange mottagare, år och belopp" in response.content.decode()
    assert not Assignment.objects.filter(code="BUN-2026-9").exists()


def test_report_and_decision_show_on_the_page(client, bun_only):
    w = bun_only
    client.force_login(w.official)
    client.post(
        reverse("assignments:assignment_report", args=[w.bun_only.pk]),
        {"status-organisation": w.bun.pk, "status-status": "ongoing", "status-comment": "Planen är på remiss."},
    )
    client.force_login(w.admin)
    client.post(reverse("assignments:assignment_decide", args=[w.bun_only.pk]), decide_form(w))
    page = client.get(reverse("assignments:assignment", args=[w.bun_only.pk])).content.decode()
    assert "Planen är på remiss." in page
    assert "Givet: KF 2024-11-28 § 112, Dnr KS 2024/301" in page
    assert "Förlängt: KF 2025-11-24 § 130" in page and "2026-06-30" in page and "2025-12-31" in page
    assert "500\u00a0tkr" in page


def test_overdue_is_marked_in_the_list_and_on_the_page(client, bun_only):
    w = bun_only
    client.force_login(w.politician)
    page = client.get(reverse("assignments:assignment_list", args=[w.municipality.slug])).content.decode()
    assert "försenat" in page  # due 2025-12-31, not finished, and today is later
    page = client.get(reverse("assignments:assignment", args=[w.bun_only.pk])).content.decode()
    assert "skulle ha varit klart 2025-12-31" in page


def test_organisation_page_lists_the_years_assignments_with_their_money(client, bun_only):
    w = bun_only
    w.bun.mission = "Nämnden ansvarar för förskola och skola."
    w.bun.save()
    client.force_login(w.politician)
    page = client.get(reverse("assignments:organisation_assignments", args=[w.bun.pk, 2025])).content.decode()
    assert "Nämnden ansvarar för förskola och skola." in page
    assert "tillförs 2,0\u00a0mkr" in page and "tillförs 500\u00a0tkr" in page
    page = client.get(reverse("assignments:organisation_assignments", args=[w.bun.pk, 2024])).content.decode()
    assert "Inga uppdrag det här året." in page


def test_list_query_count_does_not_grow_with_assignments(client, assigned, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(assigned.politician)
    url = reverse("assignments:assignment_list", args=[assigned.municipality.slug])
    client.get(url)  # warm-up: the first request of a test also fills per-process caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(20):
        give(
            assigned,
            code=f"SN-2025-{n}",
            lead=assigned.sn,
            receivers=[assigned.bun],
            amounts=[(assigned.sn, 2025, 1000 * n + 1, "")],
            due_date=str(datetime.date(2025, 1, 1)),
        )
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)
    for name in ("assignment_overview",):
        url = reverse(f"assignments:{name}", args=[assigned.municipality.slug]) + "?ar=2025"
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        give(assigned, code="KS-2025-X", lead=assigned.ks, amounts=[(assigned.ks, 2025, 5, "")])
        with django_assert_num_queries(len(ctx.captured_queries)):
            client.get(url)
