"""End to end in Chromium: an official reports an assignment's status, an administrator extends it by decision."""

from playwright.sync_api import expect

from assignments.models import Assignment

from .conftest import axe_violations, login, logout


def test_official_reports_status_and_admin_extends_by_decision(page, live_server, demo):
    assignment = Assignment.objects.get(municipality__slug="vaggeryd", code="BUN-2026-1")
    login(page, live_server, "tjansteperson")
    page.goto(f"{live_server.url}/kommun/vaggeryd/uppdrag/")
    page.get_by_role("link", name="BUN-2026-1 Ökad lärartäthet i lågstadiet").click()
    form = page.locator("form", has=page.get_by_role("button", name="Rapportera"))
    form.get_by_role("combobox", name="Rapporteras av").select_option(label="Barn- och utbildningsnämnden")
    form.get_by_role("combobox", name="Status").select_option(label="Pågår")
    form.get_by_role("textbox", name="Kommentar").fill("Två av fyra tjänster är tillsatta.")
    form.get_by_role("button", name="Rapportera").click()
    expect(page.get_by_text("Statusen har rapporterats.")).to_be_visible()
    expect(page.get_by_text("Två av fyra tjänster är tillsatta.")).to_be_visible()
    assert assignment.status_updates.filter(comment="Två av fyra tjänster är tillsatta.").exists()
    expect(page.get_by_text("Registrera ett nytt beslut")).to_have_count(0)  # officials do not decide

    logout(page)
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/uppdrag/{assignment.pk}/")
    page.get_by_text("Registrera ett nytt beslut om uppdraget").click()
    form = page.locator("form", has=page.get_by_role("button", name="Registrera beslut"))
    form.get_by_role("combobox", name="Beslut", exact=True).select_option(label="Förlängt")
    form.get_by_role("combobox", name="Beslutande organ").select_option(label="Kommunfullmäktige")
    form.get_by_label("Beslutsdatum").fill("2026-11-23")
    form.get_by_role("textbox", name="Paragraf (§)").fill("§ 131")
    form.get_by_label("Ska vara klart").fill("2027-12-31")
    form.get_by_role("button", name="Registrera beslut").click()
    expect(page.get_by_text("Beslutet har registrerats.")).to_be_visible()
    decisions = page.locator("#decisions-heading + ol > li")
    expect(decisions).to_have_count(2)
    expect(decisions.first).to_contain_text("Givet")
    expect(decisions.last).to_contain_text("Förlängt: KF 2026-11-23 § 131")
    expect(decisions.last).to_contain_text("2027-06-30")
    expect(decisions.last).to_contain_text("2027-12-31")


def test_assignment_pages_have_no_accessibility_violations(page, live_server, demo):
    login(page, live_server, "admin")
    assignment = Assignment.objects.get(municipality__slug="skara", code="KS-2023-7")
    pages = {
        "uppdragslistan": "/kommun/skara/uppdrag/",
        "uppdragssidan": f"/uppdrag/{assignment.pk}/",
        "översikten": "/kommun/skara/uppdrag/oversikt/?ar=2023",
        "organisationens uppdrag": f"/organisationer/{assignment.lead_id}/uppdrag/2023/",
        "nytt uppdrag": "/kommun/skara/uppdrag/nytt/",
    }
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        assert axe_violations(page) == [], name
