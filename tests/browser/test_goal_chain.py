"""End to end in Chromium: an official builds a nämndmål with an indicator and an outcome, a politician reads it."""

import re

from django.utils import timezone
from playwright.sync_api import expect

from goals.models import Goal, Outcome

from .conftest import axe_violations, login, logout


def kf_goal():
    """A KF goal of Vaggeryd in force this year."""
    year = timezone.localdate().year
    return Goal.objects.filter(municipality__slug="vaggeryd", level=1, end_year__gte=year).order_by("lft").first()


def test_official_adds_committee_goal_with_indicator_and_outcome(page, live_server, demo):
    parent = kf_goal()
    login(page, live_server, "tjansteperson")
    page.goto(f"{live_server.url}/mal/{parent.pk}/")
    page.get_by_role("button", name="Lägg till undermål").click()
    form = page.locator("#add-slot form")
    expect(form).to_be_visible()
    form.get_by_role("textbox", name="Kod", exact=True).fill("BUN-E2E")
    form.get_by_role("textbox", name="Rubrik", exact=True).fill("Alla barn läser varje dag")
    form.get_by_role("combobox", name="Organisation").select_option(label="Barn- och utbildningsnämnden")
    expect(form.get_by_role("combobox", name="Plan")).to_contain_text("utkast")  # the nämnd's draft plan is preselected
    form.get_by_role("combobox", name="Perspektiv").select_option(label="Utveckling")
    form.get_by_role("button", name="Spara").click()
    page.wait_for_url(re.compile(r"/mal/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alla barn läser varje dag")
    goal = Goal.objects.get(code="BUN-E2E")
    assert goal.parent_id == parent.pk and goal.history.get().history_user.username == "tjansteperson"

    page.get_by_role("button", name="Lägg till indikator").click()
    form = page.locator("#indicator-slot form")
    form.get_by_role("textbox", name="Namn", exact=True).fill("Andel barn som läser dagligen")
    form.get_by_role("textbox", name="Enhet", exact=True).fill("%")
    form.get_by_role("button", name="Spara").click()
    page.get_by_role("link", name="Andel barn som läser dagligen").click()

    page.get_by_role("button", name="Lägg till målvärde").click()
    form = page.locator("#target-slot form")
    form.get_by_role("spinbutton", name="År").fill("2026")
    form.get_by_role("textbox", name="Målvärde").fill("80")
    form.get_by_role("button", name="Spara").click()
    # The save re-renders the page part that holds the buttons: wait until the target form is gone, so the click
    # below reaches the new button and not the one being replaced.
    expect(page.locator("#target-slot form")).to_have_count(0)
    expect(page.get_by_role("button", name="Lägg till utfall")).to_be_visible()

    page.get_by_role("button", name="Lägg till utfall").click()
    form = page.locator("#outcome-slot form")
    expect(form).to_be_visible()
    form.get_by_role("spinbutton", name="År").fill("2026")
    form.get_by_role("textbox", name="Utfall", exact=True).fill("85,5")
    form.get_by_role("button", name="Spara").click()
    expect(page.locator("table").last).to_contain_text("85,5")
    assert Outcome.objects.get(indicator__goal=goal).value == 85.5

    # The new nämndmål is in the tree under its KF goal, with a green light.
    page.goto(f"{live_server.url}/kommun/vaggeryd/malkedja/")
    node = page.locator(".node", has_text="Alla barn läser varje dag")
    expect(node).to_be_visible()
    expect(node.locator("svg title")).to_have_text("Når målvärdet")
    expect(node).to_contain_text("85,5")

    logout(page)
    login(page, live_server, "politiker")
    page.goto(f"{live_server.url}/mal/{goal.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alla barn läser varje dag")
    expect(page.get_by_role("link", name="Andel barn som läser dagligen")).to_be_visible()
    for name in ("Ändra", "Ta bort", "Lägg till indikator", "Lägg till undermål", "Lägg till aktivitet"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
        expect(page.get_by_role("link", name=name)).to_have_count(0)


def test_tree_loads_deeper_levels_on_demand(page, live_server, demo):
    login(page, live_server, "politiker")
    page.goto(f"{live_server.url}/kommun/vaggeryd/malkedja/")
    deep = Goal.objects.filter(municipality__slug="vaggeryd", depth=3).select_related("parent").first()
    toggle = page.locator(f"button[aria-controls='children-{deep.parent_id}']")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(page.locator(f"#children-{deep.parent_id}")).to_contain_text(deep.title)
    expect(toggle).to_have_attribute("aria-expanded", "true")


def test_pages_have_no_accessibility_violations(page, live_server, demo):
    page.goto(f"{live_server.url}/logga-in/")
    assert axe_violations(page) == [], "login"
    login(page, live_server, "admin")
    goal = Goal.objects.filter(municipality__slug="vaggeryd", level=2).exclude(indicators=None).first()
    pages = {
        "Huset": "/kommun/vaggeryd/",
        "målkedjan": "/kommun/vaggeryd/malkedja/",
        "målsida": f"/mal/{goal.pk}/",
        "redigeringsformulär": f"/mal/{goal.pk}/andra/",
        "dokumentregistret": "/kommun/vaggeryd/styrdokument/",
        "Målanalys": "/kommun/vaggeryd/malanalys/",
        "Min sida": "/min-sida/",
        "indikatorsidan": f"/indikatorer/{goal.indicators.first().pk}/",
        "planen": f"/planer/{goal.plan_id}/",
        "organisationen": f"/organisationer/{goal.organisation_id}/",
        "historiken": f"/historik/goals.Goal/{goal.pk}/",
        "Agenda 2030": "/agenda-2030/11/",
        "planlistan": "/kommun/vaggeryd/planer/",
    }
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        assert axe_violations(page) == [], name
