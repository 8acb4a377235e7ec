"""Budget med plan in Chromium: the overview shows the balanskrav and the financial goal, the årshjul marks what is
late, an official adds an adjustment to their nämnd's draft frame; and the pages pass axe-core (WCAG 2.1 AA)."""

import re

from playwright.sync_api import expect

from budget.models import BudgetDecision, FrameAdjustment

from .conftest import axe_violations, login, logout


def test_budget_pages_have_no_accessibility_violations(page, live_server, demo):
    login(page, live_server, "admin")
    draft = BudgetDecision.objects.get(budget__municipality__slug="vimmerby", budget__year=2027, status="draft")
    bun = draft.budget.municipality.organisations.get(code="BUN")
    pages = {
        "budgetöversikten": "/kommun/vimmerby/budget/",
        "utkastet med jämförelse": f"{draft.get_absolute_url()}",
        "nämndens budget": f"/organisationer/{bun.pk}/budget/2027/",
        "ramtabellen": f"/budgetbeslut/{draft.pk}/ramar/",
        "justeringsformuläret": f"/ramar/{draft.frames.first().pk}/ny-justering/",
        "planeringsförutsättningarna": f"/forutsattningar/{draft.budget.assumptions.first().pk}/andra/",
        "årshjulet 2019": "/kommun/vaggeryd/arshjul/2019/",
        "årshjulet 2026": "/kommun/vimmerby/arshjul/2026/",
    }
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        assert axe_violations(page) == [], name


def test_overview_shows_balanskrav_and_financial_goal(page, live_server, demo):
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/kommun/vimmerby/budget/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Budget 2026 med plan 2027–2028")
    alert = page.locator(".ds-alert[data-color='danger']")
    expect(alert).to_contain_text(
        re.compile(r"Balanskravet uppfylls inte: budgeten visar ett underskott på \d+,\d\s+mkr")
    )
    expect(page.get_by_role("row", name=re.compile("^Finansiellt mål"))).to_contain_text("Ej uppfyllt")
    expect(page.locator("figure.chart svg > title")).to_have_text("Ramar per organisation 2026–2028")

    page.goto(f"{live_server.url}/kommun/sater/budget/")
    expect(page.locator(".ds-alert[data-color='danger']")).to_have_count(0)
    expect(page.locator(".ds-alert[data-color='warning']")).to_contain_text("Det finansiella målet nås inte 2026")

    page.goto(f"{live_server.url}/kommun/vaggeryd/budget/")
    expect(page.get_by_role("row", name=re.compile("^Balanskravet"))).to_contain_text("Uppfyllt")
    expect(page.get_by_role("heading", name=re.compile("^Förändring från Rambudget 2026"))).to_be_visible()
    page.get_by_role("link", name="Hela årshjulet").click()
    expect(page).to_have_url(re.compile(r"/kommun/vaggeryd/arshjul/\d{4}/$"))


def test_calendar_marks_late_steps(page, live_server, demo):
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/kommun/vimmerby/arshjul/2026/")
    late = page.locator(".milestone--late")
    expect(late).to_have_count(1)
    expect(late).to_contain_text("Delårsrapport")
    expect(late.locator(".ds-tag[data-color='danger']")).to_have_text("försenad")
    expect(page.get_by_text("Uppdatera status").first).to_be_visible()
    logout(page)
    login(page, live_server, "politiker")
    page.goto(f"{live_server.url}/kommun/vaggeryd/arshjul/2026/")
    expect(page.get_by_text("Valår", exact=True)).to_be_visible()
    expect(page.locator(".milestone")).not_to_have_count(0)
    expect(page.get_by_text("Uppdatera status")).to_have_count(0)  # politicians read
    assert page.goto(f"{live_server.url}/kommun/vimmerby/arshjul/2026/").status == 404  # another municipality


def test_official_adjusts_the_draft_frame_of_their_namnd(page, live_server, demo):
    from budget import services

    decided = BudgetDecision.objects.get(budget__municipality__slug="vaggeryd", budget__year=2027, number=2)
    draft = services.budget_decision_new_version(decided, kind="other", title="Tilläggsbudget 2027", user=None)
    bun = draft.budget.municipality.organisations.get(code="BUN")
    login(page, live_server, "tjansteperson")
    page.goto(f"{live_server.url}/kommun/vaggeryd/budget/?ar=2027")
    page.get_by_role("link", name="Barn- och utbildningsnämnden").click()
    # The version in force is decided; the draft is one click away.
    expect(page.get_by_role("link", name=re.compile("^Lägg till"))).to_have_count(0)
    page.get_by_role("link", name="Visa utkastet").click()
    expect(page.get_by_text("Tilläggsbudget 2027, version 3").first).to_be_visible()
    page.get_by_role("link", name="Lägg till justering 2027").click()
    page.get_by_label("Skäl").fill("Fler barn i förskolan")
    page.get_by_label("Belopp (tkr)").fill("1 250,5")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_url(re.compile(rf"/organisationer/{bun.pk}/budget/2027/\?version=3$"))
    expect(page.get_by_role("row", name=re.compile("^Fler barn i förskolan"))).to_contain_text("+1\u00a0251\u00a0tkr")
    adjustment = FrameAdjustment.objects.get(reason="Fler barn i förskolan")
    assert adjustment.amount == 1_250_500 and adjustment.frame.decision == draft
    assert adjustment.history.get().history_user.username == "tjansteperson"
    # Another nämnd's frame offers nothing to the official.
    sn = draft.budget.municipality.organisations.get(code="SN")
    page.goto(f"{live_server.url}/organisationer/{sn.pk}/budget/2027/?version=3")
    expect(page.get_by_role("link", name=re.compile("^Lägg till"))).to_have_count(0)
