"""
Every view against every persona: anonymous → login, another municipality → 404, read-only in scope → 403 on
writes, the owner → 200/302 with the database changed and a history row written.
"""

import pytest
from django.urls import reverse

from goals.models import Goal, Indicator, Outcome, Plan, Target
from styrning.models import SteeringDocument
from tests.personas import PERSONAS, READ, client_for


def goal_form(w, **overrides):
    data = {
        "parent_code": "BUN1",
        "code": "BUF9",
        "title": "Fler läsande elever",
        "kind": "goal",
        "organisation": w.bun_admin.pk,
        "plan": w.buf_plan.pk,
        "perspective": "",
        "start_year": 2025,
        "end_year": 2025,
        "change_reason": "Nytt mål",
    }
    data.update(overrides)
    return data


# (name, method, path, data, expected status per persona). 200/302 are successes; reads are GETs.
BUN_WRITE = {
    "anonymous": 302,
    "foreigner": 404,
    "outsider": 403,
    "colleague": 403,
    "politician": 403,
    "official": 302,
    "admin": 302,
}
BUN_FORM = {**BUN_WRITE, "official": 200, "admin": 200}
ADMIN_WRITE = {**BUN_WRITE, "official": 403}

CASES = [
    ("house", "get", lambda w: reverse("goals:house", args=[w.municipality.slug]), None, READ),
    ("goal_chain", "get", lambda w: reverse("goals:goal_chain", args=[w.municipality.slug]), None, READ),
    (
        "goal_chain_filtered",
        "get",
        lambda w: reverse("goals:goal_chain", args=[w.municipality.slug]) + "?level=2",
        None,
        READ,
    ),
    ("goal_analysis", "get", lambda w: reverse("goals:goal_analysis", args=[w.municipality.slug]), None, READ),
    ("plan_list", "get", lambda w: reverse("goals:plan_list", args=[w.municipality.slug]), None, READ),
    ("goal", "get", lambda w: reverse("goals:goal", args=[w.bun1.pk]), None, READ),
    ("goal_children", "get", lambda w: reverse("goals:goal_children", args=[w.kf1.pk]), None, READ),
    ("indicator", "get", lambda w: reverse("goals:indicator", args=[w.indicator.pk]), None, READ),
    ("plan", "get", lambda w: reverse("goals:plan", args=[w.bun_plan.pk]), None, READ),
    ("organisation", "get", lambda w: reverse("goals:organisation", args=[w.bun.pk]), None, READ),
    ("document_list", "get", lambda w: reverse("styrning:document_list", args=[w.municipality.slug]), None, READ),
    ("document", "get", lambda w: reverse("styrning:document", args=[w.document.pk]), None, READ),
    ("history", "get", lambda w: reverse("styrning:history", args=["goals.Goal", w.bun1.pk]), None, READ),
    ("goal_edit_form", "get", lambda w: reverse("goals:goal_edit", args=[w.bun1.pk]), None, BUN_FORM),
    ("goal_add_form", "get", lambda w: reverse("goals:goal_add", args=[w.bun1.pk]), None, BUN_FORM),
    ("goal_add", "post", lambda w: reverse("goals:goal_add", args=[w.bun1.pk]), goal_form, BUN_WRITE),
    (
        "goal_edit",
        "post",
        lambda w: reverse("goals:goal_edit", args=[w.buf1.pk]),
        lambda w: goal_form(w, code="BUF1", title="Ändrad titel", expected_version=w.buf1.version),
        BUN_WRITE,
    ),
    ("goal_delete", "post", lambda w: reverse("goals:goal_delete", args=[w.buf1.pk]), lambda w: {}, BUN_WRITE),
    (
        "indicator_add",
        "post",
        lambda w: reverse("goals:indicator_add", args=[w.bun1.pk]),
        lambda w: {"name": "Meritvärde åk 9", "unit": "poäng", "direction": "increase", "tolerance_percent": "5"},
        BUN_WRITE,
    ),
    (
        "indicator_edit",
        "post",
        lambda w: reverse("goals:indicator_edit", args=[w.indicator.pk]),
        lambda w: {
            "name": "Behöriga (ändrad)",
            "unit": "%",
            "direction": "increase",
            "tolerance_percent": "10",
            "kolada_id": "N15428",
            "expected_version": w.indicator.version,
        },
        BUN_WRITE,
    ),
    (
        "indicator_delete",
        "post",
        lambda w: reverse("goals:indicator_delete", args=[w.indicator.pk]),
        lambda w: {},
        BUN_WRITE,
    ),
    (
        "target_add",
        "post",
        lambda w: reverse("goals:target_add", args=[w.indicator.pk]),
        lambda w: {"year": 2026, "value": "92,5"},
        BUN_WRITE,
    ),
    (
        "outcome_add",
        "post",
        lambda w: reverse("goals:outcome_add", args=[w.indicator.pk]),
        lambda w: {"year": 2025, "period": "T1", "value": "87,5"},
        BUN_WRITE,
    ),
    (
        "outcome_edit",
        "post",
        lambda w: reverse("goals:outcome_edit", args=[w.outcome.pk]),
        lambda w: {"year": 2024, "period": "Y", "value": "85", "expected_version": w.outcome.version},
        BUN_WRITE,
    ),
    ("outcome_delete", "post", lambda w: reverse("goals:outcome_delete", args=[w.outcome.pk]), lambda w: {}, BUN_WRITE),
    (
        "plan_edit",
        "post",
        lambda w: reverse("goals:plan_edit", args=[w.bun_plan.pk]),
        lambda w: {"title": "Nämndplan BUN 2025 (rev)", "year": 2025, "expected_version": w.bun_plan.version},
        BUN_WRITE,
    ),
    (
        "plan_adopt",
        "post",
        lambda w: reverse("goals:plan_adopt", args=[w.bun_plan.pk]),
        lambda w: {"decided_by": w.bun.pk, "decided_on": "2025-01-20", "paragraph": "4"},
        ADMIN_WRITE,
    ),
    (
        "document_edit",
        "post",
        lambda w: reverse("styrning:document_edit", args=[w.document.pk]),
        lambda w: {
            "title": "Skolplan 2025",
            "kind": "plan",
            "organisation": w.bun.pk,
            "expected_version": w.document.version,
        },
        BUN_WRITE,
    ),
    (
        "document_delete",
        "post",
        lambda w: reverse("styrning:document_delete", args=[w.document.pk]),
        lambda w: {},
        BUN_WRITE,
    ),
    (
        "history_revert",
        "post",
        lambda w: reverse("styrning:history_revert", args=["goals.Goal", w.bun1.pk, w.bun1.history.last().history_id]),
        lambda w: {},
        ADMIN_WRITE,
    ),
    (
        "vision_edit",
        "post",
        lambda w: reverse("goals:vision_edit", args=[w.municipality.slug]),
        lambda w: {"statement": "Ny vision", "description": "", "valid_until": 2030},
        {**ADMIN_WRITE, "official": 403},
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "method", "path", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_permission_matrix(client, world, persona, name, method, path, data, expected):
    client = client_for(client, world, persona)
    url = path(world)
    response = client.get(url) if method == "get" else client.post(url, data(world))
    assert response.status_code == expected[persona], (name, persona, response.content[:2000])
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def test_official_adds_a_goal_with_history(client, world):
    client.force_login(world.official)
    response = client.post(reverse("goals:goal_add", args=[world.bun1.pk]), goal_form(world))
    goal = Goal.objects.get(code="BUF9")
    assert response["Location"] == goal.get_absolute_url()
    assert goal.parent_id == world.bun1.pk and goal.level == 3 and goal.municipality == world.municipality
    record = goal.history.get()
    assert record.history_user == world.official and record.history_change_reason == "Nytt mål"


def test_official_adds_a_committee_goal_under_a_kf_goal(client, world):
    client.force_login(world.official)
    data = goal_form(
        world,
        parent_code="KF1",
        code="BUN2",
        organisation=world.bun.pk,
        plan=world.bun_plan.pk,
        perspective="development",
    )
    response = client.post(reverse("goals:goal_add", args=[world.kf1.pk]), data)
    assert response.status_code == 302
    goal = Goal.objects.get(code="BUN2")
    assert goal.parent_id == world.kf1.pk and goal.perspective == "development"


def test_invalid_goal_shows_swedish_messages_and_saves_nothing(client, world):
    client.force_login(world.official)
    data = goal_form(world, parent_code="FINNS-INTE", title="")
    response = client.post(reverse("goals:goal_add", args=[world.bun1.pk]), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Det finns inget mål med koden FINNS-INTE i kommunen." in content
    assert "Detta fält måste fyllas i." in content
    assert not Goal.objects.filter(code="BUF9").exists()


def test_outsider_cannot_place_a_goal_in_another_committees_plan(client, world):
    client.force_login(world.outsider)
    data = goal_form(
        world, parent_code="KF1", code="BUN3", organisation=world.bun.pk, plan=world.bun_plan.pk, perspective="economy"
    )
    response = client.post(reverse("goals:goal_add", args=[world.kf1.pk]), data)
    assert response.status_code == 200  # the form refuses the organisation outside the user's scope
    assert not Goal.objects.filter(code="BUN3").exists()


def test_stale_edit_is_refused_with_a_message(client, world):
    client.force_login(world.official)
    url = reverse("goals:goal_edit", args=[world.buf1.pk])
    stale_version = world.buf1.version
    client.post(url, goal_form(world, code="BUF1", title="Först", expected_version=stale_version))
    response = client.post(url, goal_form(world, code="BUF1", title="Sen", expected_version=stale_version))
    assert response.status_code == 200
    assert "Ladda om sidan" in response.content.decode()
    assert Goal.objects.get(pk=world.buf1.pk).title == "Först"


def test_editor_cannot_edit_goals_of_an_adopted_plan(client, world):
    client.force_login(world.admin)
    client.post(
        reverse("goals:plan_adopt", args=[world.bun_plan.pk]),
        {"decided_by": world.bun.pk, "decided_on": "2025-01-20", "paragraph": "4"},
    )
    assert Plan.objects.get(pk=world.bun_plan.pk).is_adopted
    client.force_login(world.official)
    response = client.post(
        reverse("goals:goal_edit", args=[world.bun1.pk]),
        goal_form(
            world,
            parent_code="KF1",
            code="BUN1",
            organisation=world.bun.pk,
            plan=world.bun_plan.pk,
            perspective="economy",
        ),
    )
    assert response.status_code == 403
    # Follow-up still works on the adopted plan.
    response = client.post(
        reverse("goals:outcome_add", args=[world.indicator.pk]), {"year": 2025, "period": "T1", "value": "88"}
    )
    assert response.status_code == 302
    page = client.get(reverse("goals:goal", args=[world.bun1.pk])).content.decode()
    assert "kan inte ändras av redaktörer" in page


def test_outcome_with_swedish_number_is_saved_with_history(client, world):
    client.force_login(world.official)
    client.post(
        reverse("goals:outcome_add", args=[world.indicator.pk]), {"year": 2025, "period": "T2", "value": "1 234,5"}
    )
    outcome = Outcome.objects.get(indicator=world.indicator, year=2025, period="T2")
    assert str(outcome.value) == "1234.50"
    assert outcome.history.get().history_user == world.official
    response = client.post(
        reverse("goals:outcome_add", args=[world.indicator.pk]), {"year": 2025, "period": "Y", "value": "tolv"}
    )
    assert "Ange ett tal, till exempel 12,5 eller 1 234." in response.content.decode()


def test_target_duplicate_year_is_refused_in_swedish(client, world):
    client.force_login(world.official)
    response = client.post(reverse("goals:target_add", args=[world.indicator.pk]), {"year": 2025, "value": "95"})
    assert "Indikatorn har redan ett målvärde för 2025." in response.content.decode()
    assert Target.objects.filter(indicator=world.indicator).count() == 1


def test_delete_of_goal_with_children_is_refused(client, world):
    client.force_login(world.admin)
    response = client.post(reverse("goals:goal_delete", args=[world.bun1.pk]), follow=True)
    assert "Det går inte att ta bort" in response.content.decode()
    assert Goal.objects.filter(pk=world.bun1.pk).exists()


def test_politician_sees_no_edit_controls(client, world):
    client.force_login(world.politician)
    page = client.get(reverse("goals:goal", args=[world.bun1.pk])).content.decode()
    assert "Fler elever klarar skolan" in page
    for control in ("Ändra</button>", "Lägg till indikator", "Lägg till undermål", "Ta bort"):
        assert control not in page
    client.force_login(world.official)
    page = client.get(reverse("goals:goal", args=[world.bun1.pk])).content.decode()
    assert "Lägg till indikator" in page and "Lägg till undermål" in page


def test_htmx_edit_form_renders_in_place_and_save_redirects(client, world):
    client.force_login(world.official)
    url = reverse("goals:indicator_add", args=[world.bun1.pk])
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content and b'hx-post="' in response.content
    response = client.post(
        url, {"name": "Ny indikator", "direction": "decrease", "tolerance_percent": "10"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204 and response["HX-Redirect"] == world.bun1.get_absolute_url()
    assert Indicator.objects.filter(goal=world.bun1, name="Ny indikator", direction="decrease").exists()


def test_document_register_marks_overdue_and_filters(client, world):
    from tests import factories as f

    f.make_document(organisation=world.sn, title="Gammal riktlinje", kind="guideline", revision_due="2020-01-01")
    client.force_login(world.politician)
    url = reverse("styrning:document_list", args=[world.municipality.slug])
    page = client.get(url).content.decode()
    assert "Gammal riktlinje" in page and "försenad" in page and "Skolplan" in page
    page = client.get(url + "?revision_overdue=on").content.decode()
    assert "Gammal riktlinje" in page and "Skolplan" not in page
    page = client.get(url + "?group=normative").content.decode()
    assert "Gammal riktlinje" in page and "Skolplan" not in page


def test_document_add_by_official(client, world):
    client.force_login(world.official)
    response = client.post(
        reverse("styrning:document_add", args=[world.municipality.slug]),
        {
            "title": "Riktlinje för betyg",
            "kind": "guideline",
            "organisation": world.bun.pk,
            "decided_by": world.bun.pk,
            "decided_on": "2024-05-02",
            "paragraph": "12",
            "registration_number": "Dnr BUN 2024/10",
            "valid_from": "2024-06-01",
            "revision_due": "2026-06-01",
        },
    )
    document = SteeringDocument.objects.get(title="Riktlinje för betyg")
    assert response["Location"] == document.get_absolute_url()
    assert document.municipality == world.municipality
    assert document.history.get().history_user == world.official


def test_history_page_shows_changes(client, world):
    client.force_login(world.official)
    goal = world.buf1
    client.post(
        reverse("goals:goal_edit", args=[goal.pk]),
        goal_form(world, code="BUF1", title="Läsfrämjande insatser", expected_version=goal.version),
    )
    page = client.get(reverse("styrning:history", args=["goals.Goal", goal.pk])).content.decode()
    assert "Läsfrämjande insatser" in page and "Läsfrämjande" in page and "official" in page


def test_login_page_is_swedish_and_everything_else_needs_login(client, world):
    page = client.get(reverse("login")).content.decode()
    assert "Logga in" in page and 'lang="sv"' in page
    response = client.post(reverse("login"), {"username": "official", "password": "fel"})
    assert "Fel användarnamn eller lösenord" in response.content.decode()
    response = client.post(reverse("login"), {"username": "official", "password": "demo"})
    assert response.status_code == 302
    assert client.get("/min-sida/").status_code == 200


def test_house_shows_vision_values_and_the_kf_goals_in_force(client, world):
    from goals.models import Value
    from goals.services import value_save
    from tests import factories as f

    value_save(Value(municipality=world.municipality, name="Ansvar", description="Vi tar ansvar."), user=world.admin)
    old_plan = f.make_plan(
        organisation=world.kf,
        mandate_period=f.make_mandate_period(municipality=world.municipality, start_year=2019),
        title="Strategisk plan 2019–2022",
    )
    f.make_goal(
        parent=world.vision,
        organisation=world.kf,
        plan=old_plan,
        code="KF-OLD",
        title="Gammalt mål",
        start_year=2019,
        end_year=2022,
    )
    client.force_login(world.politician)
    page = client.get(reverse("goals:house", args=[world.municipality.slug]) + "?ar=2025").content.decode()
    assert "Här gör vi plats för att göra skillnad" in page and "Ansvar" in page
    assert "Hållbar samhällsutveckling" in page and "Gammalt mål" not in page
    assert "Nämndplan BUN 2025" in page and "Skolplan" in page and "Barnkonventionen" in page
    page = client.get(reverse("goals:house", args=[world.municipality.slug]) + "?ar=2020").content.decode()
    assert "Gammalt mål" in page and "Hållbar samhällsutveckling" not in page
