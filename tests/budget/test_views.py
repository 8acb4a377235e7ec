"""
Every budget view against every persona: anonymous → login, another municipality → 404, read-only in scope → 403 on
writes, the owner → 200/302. A decided version is locked for everyone (403), administrators included. Then the
database state, the history rows, the stale-save refusal and the Swedish messages of the frame table.
"""

import pytest
from django.urls import reverse

from budget.models import Budget, BudgetAssumptions, BudgetDecision, Calendar, Frame, FrameAdjustment, Milestone
from tests.personas import PERSONAS, READ, client_for

from .conftest import MKR

REDIRECT = {**READ, **dict.fromkeys(("outsider", "colleague", "politician", "official", "admin"), 302)}
ADMIN_WRITE = {
    "anonymous": 302,
    "foreigner": 404,
    "outsider": 403,
    "colleague": 403,
    "politician": 403,
    "official": 403,
    "admin": 302,
}
ADMIN_FORM = {**ADMIN_WRITE, "admin": 200}
BUN_WRITE = {**ADMIN_WRITE, "official": 302}
BUN_FORM = {**BUN_WRITE, "official": 200, "admin": 200}
LOCKED = {**ADMIN_WRITE, "admin": 403}


def frame_table_data(w, decision, **overrides):
    data = {}
    for frame in decision.frames.all():
        data[f"amount_{frame.organisation_id}_{frame.year}"] = str(frame.amount // 1000)
        data[f"version_{frame.organisation_id}_{frame.year}"] = frame.version
    data.update(overrides)
    return data


def milestone_data(w, **overrides):
    data = {"kind": "other", "date": "2026-05-20", "description": "Budgetdialog", "status": "planned", "position": 0}
    data.update(overrides)
    return data


CASES = [
    ("overview", "get", lambda w: reverse("budget:budget_overview", args=[w.municipality.slug]), None, READ),
    (
        "overview_year",
        "get",
        lambda w: reverse("budget:budget_overview", args=[w.municipality.slug]) + "?ar=2027",
        None,
        READ,
    ),
    ("budget", "get", lambda w: reverse("budget:budget", args=[w.budget.pk]), None, READ),
    ("budget_draft", "get", lambda w: reverse("budget:budget", args=[w.budget.pk]) + "?version=2&jamfor=1", None, READ),
    ("organisation", "get", lambda w: reverse("budget:organisation_budget", args=[w.bun.pk, 2027]), None, READ),
    ("calendar", "get", lambda w: reverse("budget:calendar", args=[w.municipality.slug, 2026]), None, READ),
    ("calendar_empty", "get", lambda w: reverse("budget:calendar", args=[w.municipality.slug, 2031]), None, READ),
    (
        "calendar_default",
        "get",
        lambda w: reverse("budget:calendar_default", args=[w.municipality.slug]),
        None,
        REDIRECT,
    ),
    # Administrators set up budgets, versions, frames, prerequisites and the årshjul.
    ("budget_add_form", "get", lambda w: reverse("budget:budget_add", args=[w.municipality.slug]), None, ADMIN_FORM),
    (
        "budget_add",
        "post",
        lambda w: reverse("budget:budget_add", args=[w.municipality.slug]),
        lambda w: {"year": 2031, "title": ""},
        ADMIN_WRITE,
    ),
    (
        "budget_edit",
        "post",
        lambda w: reverse("budget:budget_edit", args=[w.budget.pk]),
        lambda w: {"year": 2027, "title": "Budget 2027", "expected_version": w.budget.version},
        ADMIN_WRITE,
    ),
    (
        "decision_add",
        "post",
        lambda w: reverse("budget:decision_add", args=[w.empty_budget.pk]),
        lambda w: {"kind": "frame_budget", "title": "Rambudget 2029"},
        ADMIN_WRITE,
    ),
    ("decision_edit_form", "get", lambda w: reverse("budget:decision_edit", args=[w.november.pk]), None, ADMIN_FORM),
    (
        "decision_edit",
        "post",
        lambda w: reverse("budget:decision_edit", args=[w.november.pk]),
        lambda w: {"kind": "complementary", "title": "Kompletterande", "expected_version": w.november.version},
        ADMIN_WRITE,
    ),
    (
        "decision_delete",
        "post",
        lambda w: reverse("budget:decision_delete", args=[w.november.pk]),
        lambda w: {},
        ADMIN_WRITE,
    ),
    (
        "decision_decide",
        "post",
        lambda w: reverse("budget:decision_decide", args=[w.november.pk]),
        lambda w: {"decided_by": w.kf.pk, "decided_on": "2026-11-16", "paragraph": "132"},
        ADMIN_WRITE,
    ),
    (
        "decision_new_version",
        "post",
        lambda w: reverse("budget:decision_new_version", args=[w.june.pk]),
        lambda w: {"kind": "other"},
        ADMIN_WRITE,
    ),
    ("frame_table_form", "get", lambda w: reverse("budget:frame_table", args=[w.november.pk]), None, ADMIN_FORM),
    (
        "frame_table",
        "post",
        lambda w: reverse("budget:frame_table", args=[w.november.pk]),
        lambda w: frame_table_data(w, w.november, **{f"amount_{w.ks.pk}_2027": "105 000"}),
        ADMIN_WRITE,
    ),
    (
        "frame_edit",
        "post",
        lambda w: reverse("budget:frame_edit", args=[w.november_bun.pk]),
        lambda w: {"amount": "401 000", "expected_version": w.november_bun.version},
        ADMIN_WRITE,
    ),
    (
        "assumptions_add",
        "post",
        lambda w: reverse("budget:assumptions_add", args=[w.empty_budget.pk]),
        lambda w: {"year": 2029, "tax_revenue": "990 000", "financial_items": "−2 000", "result_target_percent": "2"},
        ADMIN_WRITE,
    ),
    (
        "assumptions_edit",
        "post",
        lambda w: reverse("budget:assumptions_edit", args=[w.budget.assumptions.get(year=2027).pk]),
        lambda w: {
            "year": 2027,
            "tax_revenue": "905 500,5",
            "financial_items": "3 000",
            "result_target_percent": "2,5",
            "expected_version": 1,
        },
        ADMIN_WRITE,
    ),
    (
        "calendar_add",
        "post",
        lambda w: reverse("budget:calendar_add", args=[w.municipality.slug, 2027]),
        lambda w: {"title": "Årshjul 2027", "standard": "on"},
        ADMIN_WRITE,
    ),
    (
        "calendar_edit",
        "post",
        lambda w: reverse("budget:calendar_edit", args=[w.calendar.pk]),
        lambda w: {"title": "Budgetprocessen 2026", "expected_version": w.calendar.version},
        ADMIN_WRITE,
    ),
    ("milestone_add_form", "get", lambda w: reverse("budget:milestone_add", args=[w.calendar.pk]), None, ADMIN_FORM),
    (
        "milestone_add",
        "post",
        lambda w: reverse("budget:milestone_add", args=[w.calendar.pk]),
        milestone_data,
        ADMIN_WRITE,
    ),
    (
        "milestone_edit",
        "post",
        lambda w: reverse("budget:milestone_edit", args=[w.sn_milestone.pk]),
        lambda w: milestone_data(w, expected_version=w.sn_milestone.version),
        ADMIN_WRITE,
    ),
    (
        "milestone_delete",
        "post",
        lambda w: reverse("budget:milestone_delete", args=[w.open_milestone.pk]),
        lambda w: {},
        ADMIN_WRITE,
    ),
    # Editors enter what is theirs: adjustments of their organisation's frame in a draft, their steps' status.
    (
        "adjustment_add_form",
        "get",
        lambda w: reverse("budget:adjustment_add", args=[w.november_bun.pk]),
        None,
        BUN_FORM,
    ),
    (
        "adjustment_add",
        "post",
        lambda w: reverse("budget:adjustment_add", args=[w.november_bun.pk]),
        lambda w: {"reason": "Fler barn i förskolan", "amount": "1 250,5"},
        BUN_WRITE,
    ),
    (
        "adjustment_edit",
        "post",
        lambda w: reverse("budget:adjustment_edit", args=[w.adjustment.pk]),
        lambda w: {"reason": "Fler lärare", "amount": "2 500", "expected_version": w.adjustment.version},
        BUN_WRITE,
    ),
    (
        "adjustment_delete",
        "post",
        lambda w: reverse("budget:adjustment_delete", args=[w.adjustment.pk]),
        lambda w: {},
        BUN_WRITE,
    ),
    (
        "milestone_status",
        "post",
        lambda w: reverse("budget:milestone_status", args=[w.bun_milestone.pk]),
        lambda w: {"status": "done", "comment": "Klart"},
        BUN_WRITE,
    ),
    (
        "milestone_status_other",
        "post",
        lambda w: reverse("budget:milestone_status", args=[w.sn_milestone.pk]),
        lambda w: {"status": "done"},
        {**ADMIN_WRITE, "outsider": 302},
    ),
    # A decided version: locked for everyone.
    ("locked_frame_table", "get", lambda w: reverse("budget:frame_table", args=[w.june.pk]), None, LOCKED),
    (
        "locked_frame_edit",
        "post",
        lambda w: reverse("budget:frame_edit", args=[w.june_bun.pk]),
        lambda w: {"amount": "1", "expected_version": w.june_bun.version},
        LOCKED,
    ),
    ("locked_decision_edit", "get", lambda w: reverse("budget:decision_edit", args=[w.june.pk]), None, LOCKED),
    (
        "locked_decision_delete",
        "post",
        lambda w: reverse("budget:decision_delete", args=[w.june.pk]),
        lambda w: {},
        LOCKED,
    ),
    (
        "locked_adjustment_add",
        "post",
        lambda w: reverse("budget:adjustment_add", args=[w.june_bun.pk]),
        lambda w: {"reason": "För sent", "amount": "100"},
        LOCKED,
    ),
    (
        "locked_adjustment_edit",
        "post",
        lambda w: reverse("budget:adjustment_edit", args=[w.june_adjustment.pk]),
        lambda w: {"reason": "För sent", "amount": "100", "expected_version": w.june_adjustment.version},
        LOCKED,
    ),
    (
        "locked_adjustment_delete",
        "post",
        lambda w: reverse("budget:adjustment_delete", args=[w.june_adjustment.pk]),
        lambda w: {},
        LOCKED,
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "method", "path", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_permission_matrix(client, bw, persona, name, method, path, data, expected):
    client = client_for(client, bw, persona)
    url = path(bw)
    response = client.get(url) if method == "get" else client.post(url, data(bw))
    assert response.status_code == expected[persona], (name, persona, response.content[:3000])
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def test_menu_links_to_the_budget(client, bw):
    client.force_login(bw.politician)
    response = client.get(reverse("goals:house", args=[bw.municipality.slug]))
    assert reverse("budget:budget_overview", args=[bw.municipality.slug]).encode() in response.content


def test_overview_shows_frames_result_and_adjustments_with_assignment_links(client, bw):
    client.force_login(bw.politician)
    response = client.get(reverse("budget:budget", args=[bw.budget.pk]) + "?version=2")
    html = response.content.decode()
    assert "Kompletterande beslut om ramar (november, valår), version 2" in html
    assert "400\u00a0000\u00a0tkr" in html  # BUN's frame before adjustments
    assert "402\u00a0500\u00a0tkr" in html  # 400 − 1 + 2 + 1,5 mkr
    assert bw.assignment.get_absolute_url() in html
    assert "Förändring från Rambudget (juni), version 1 till" in html
    assert "Balanskravet uppfylls inte" not in html
    assert "Registrera beslut" not in html  # politicians read


def test_overview_flags_a_deficit_loudly(client, bw):
    assumptions = bw.budget.assumptions.get(year=2027)
    assumptions.tax_revenue = 790 * MKR  # 790 + 3 − 800,5 = −7,5 mkr
    assumptions.save()
    client.force_login(bw.politician)
    html = client.get(reverse("budget:budget", args=[bw.budget.pk])).content.decode()
    assert "Balanskravet uppfylls inte: budgeten visar ett underskott på 7,5\u00a0mkr" in html
    assert 'class="ds-alert" data-color="danger"' in html
    assert "Det finansiella målet nås inte 2027" in html


def test_overview_without_budget_offers_to_create_one(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("budget:budget_overview", args=[world.municipality.slug]))
    assert "Det finns ingen budget för" in response.content.decode()
    assert reverse("budget:budget_add", args=[world.municipality.slug]) in response.content.decode()


def test_frame_table_post_saves_with_history(client, bw):
    client.force_login(bw.admin)
    url = reverse("budget:frame_table", args=[bw.november.pk])
    data = frame_table_data(bw, bw.november, **{f"amount_{bw.ks.pk}_2027": "105 000,5", "change_reason": "Ny ram"})
    data[f"amount_{bw.kf.pk}_2027"] = "8 000"
    response = client.post(url, data)
    assert response.status_code == 302
    ks = Frame.objects.get(decision=bw.november, organisation=bw.ks, year=2027)
    assert ks.amount == 105_000_500
    record = ks.history.first()
    assert (record.history_user, record.history_change_reason) == (bw.admin, "Ny ram")
    assert Frame.objects.get(decision=bw.november, organisation=bw.kf, year=2027).amount == 8 * MKR


def test_frame_table_reports_bad_cells_by_organisation_and_year_and_saves_nothing(client, bw):
    client.force_login(bw.admin)
    url = reverse("budget:frame_table", args=[bw.november.pk])
    data = frame_table_data(
        bw, bw.november, **{f"amount_{bw.ks.pk}_2027": "105 000", f"amount_{bw.sn.pk}_2028": "tre miljoner"}
    )
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "SN 2028 (tkr)</a>: Ange ett belopp i tkr" in html
    assert Frame.objects.get(decision=bw.november, organisation=bw.ks, year=2027).amount == 100 * MKR
    data = frame_table_data(bw, bw.november, **{f"amount_{bw.bun.pk}_2027": ""})
    html = client.post(url, data).content.decode()
    assert "BUN 2027: Ramen har justeringar" in html


def test_adjustment_by_the_official_with_history_and_stale_refusal(client, bw):
    client.force_login(bw.official)
    response = client.post(
        reverse("budget:adjustment_add", args=[bw.november_bun.pk]), {"reason": "Fler barn", "amount": "−1 250,5"}
    )
    assert response.status_code == 302
    adjustment = FrameAdjustment.objects.get(reason="Fler barn")
    assert adjustment.amount == -1_250_500
    assert adjustment.history.get().history_user == bw.official
    url = reverse("budget:adjustment_edit", args=[adjustment.pk])
    first = client.post(url, {"reason": "Fler barn", "amount": "-1 000", "expected_version": 1})
    assert first.status_code == 302
    stale = client.post(url, {"reason": "Fler barn i Skillingaryd", "amount": "-900", "expected_version": 1})
    assert stale.status_code == 200
    assert "Någon annan har sparat ändringar" in stale.content.decode()
    adjustment.refresh_from_db()
    assert (adjustment.amount, adjustment.reason, adjustment.version) == (-1 * MKR, "Fler barn", 2)


def test_stale_frame_edit_is_refused(client, bw):
    client.force_login(bw.admin)
    url = reverse("budget:frame_edit", args=[bw.november_bun.pk])
    assert client.post(url, {"amount": "401 000", "expected_version": 1}).status_code == 302
    stale = client.post(url, {"amount": "402 000", "expected_version": 1})
    assert "Någon annan har sparat ändringar" in stale.content.decode()
    assert Frame.objects.get(pk=bw.november_bun.pk).amount == 401 * MKR


def test_decide_and_new_version_through_the_views(client, bw):
    client.force_login(bw.admin)
    client.post(
        reverse("budget:decision_decide", args=[bw.november.pk]),
        {"decided_by": bw.kf.pk, "decided_on": "2026-11-16", "paragraph": "132", "registration_number": "KS 2026/38"},
    )
    bw.november.refresh_from_db()
    assert bw.november.is_decided and bw.november.decision_display == "KF 2026-11-16 § 132, KS 2026/38"
    assert bw.november.history.first().history_user == bw.admin
    response = client.post(reverse("budget:decision_new_version", args=[bw.november.pk]), {"kind": "other"})
    third = BudgetDecision.objects.get(budget=bw.budget, number=3)
    assert response["Location"] == third.get_absolute_url()
    assert third.frames.count() == bw.november.frames.count()


def test_creating_a_budget_through_the_view_starts_a_draft(client, bw):
    client.force_login(bw.admin)
    response = client.post(reverse("budget:budget_add", args=[bw.municipality.slug]), {"year": 2031})
    budget = Budget.objects.get(municipality=bw.municipality, year=2031)
    assert response["Location"] == budget.get_absolute_url()
    assert budget.decisions.get().status == "draft"


def test_assumptions_read_swedish_numbers_in_tkr(client, bw):
    client.force_login(bw.admin)
    response = client.post(
        reverse("budget:assumptions_add", args=[bw.empty_budget.pk]),
        {"year": 2030, "tax_revenue": "990 000,5", "financial_items": "−2 000", "result_target_percent": "1,5"},
    )
    assert response.status_code == 302
    assumptions = BudgetAssumptions.objects.get(budget=bw.empty_budget, year=2030)
    assert (assumptions.tax_revenue, assumptions.financial_items) == (990_000_500, -2 * MKR)
    assert str(assumptions.result_target_percent) == "1.5"
    duplicate = client.post(
        reverse("budget:assumptions_add", args=[bw.empty_budget.pk]),
        {"year": 2030, "tax_revenue": "1", "financial_items": "0", "result_target_percent": "2"},
    )
    assert "redan planeringsförutsättningar för året" in duplicate.content.decode()


def test_calendar_shows_late_steps_and_status_forms_only_where_allowed(client, bw):
    client.force_login(bw.official)
    html = client.get(reverse("budget:calendar", args=[bw.municipality.slug, 2026])).content.decode()
    assert "försenad" in html  # Dialog med medborgare in March, not done
    assert reverse("budget:milestone_status", args=[bw.bun_milestone.pk]) in html
    assert reverse("budget:milestone_status", args=[bw.sn_milestone.pk]) not in html
    assert reverse("budget:milestone_edit", args=[bw.bun_milestone.pk]) not in html


def test_calendar_add_with_standard_steps(client, bw):
    client.force_login(bw.admin)
    client.post(
        reverse("budget:calendar_add", args=[bw.municipality.slug, 2030]), {"title": "Årshjul 2030", "standard": "on"}
    )
    calendar = Calendar.objects.get(municipality=bw.municipality, year=2030)
    assert calendar.milestones.filter(kind="complementary").exists()
    assert Milestone.history.filter(calendar_id=calendar.pk).count() == calendar.milestones.count()
