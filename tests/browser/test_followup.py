"""
The tertial follow-up in Chromium: an official fills in what is missing in Barn- och utbildningsnämnden's T1 report
(sections that save as they are changed, with the traffic light and the deviation computed on the page) and sends it
in; a politician returns it, the official sends it in again and the politician approves it with the nämnd's decision;
KS's report and the dashboard then show the nämnd's assessments. And the follow-up pages pass axe-core (WCAG 2.1 AA).

The demo decides which goals, indicators, assignments and controls the report holds, so the tests walk the sections on
the page instead of naming them.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from followup.choices import ANALYSIS_REQUIRED_FOR, Assessment, ControlOutcome, PeriodKind, ReportStatus
from followup.models import FollowUpReport, InternalControlPlan
from goals.choices import Direction, GoalLevel
from goals.models import Indicator
from styrning.choices import OrganisationKind

from .conftest import axe_violations, login, logout

ANALYSIS = "Målet nås inte fullt ut eftersom rekryteringen av behöriga lärare tar längre tid än planerat."
# The assessments as the page names them.
LABELS = {
    Assessment.MET: "Uppfyllt",
    Assessment.PARTLY_MET: "Delvis uppfyllt",
    Assessment.NOT_MET: "Ej uppfyllt",
    Assessment.NOT_ASSESSED: "Ej bedömt",
}
# Approval archives the report as a PDF, in the request itself when no Celery broker is configured (as in the tests).
APPROVAL_TIMEOUT = 120_000
RETURN_COMMENT = "Analysen av ekonomin behöver kompletteras med läget i förskolan."


# --- The demo's report -------------------------------------------------------------------------------------------


def bun_report():
    """Barn- och utbildningsnämnden's T1 report of this year in Vaggeryd."""
    return FollowUpReport.objects.select_related("period", "organisation").get(
        period__municipality__slug="vaggeryd",
        period__year=timezone.localdate().year,
        period__kind=PeriodKind.T1,
        organisation__municipality__slug="vaggeryd",
        organisation__code="BUN",
    )


def report_link_name(report):
    """The report's link text in "Att rapportera": "T1 Budgetuppföljning (januari–april) 2026 – <nämnd>"."""
    return f"{report.period.title} – {report.organisation.name}"


# --- Accessibility beyond axe-core ----------------------------------------------------------------------------------


def ambiguous_references(page):
    """Ids that a label's `for` or an ARIA reference points to but that more than one element carries: the reference
    then names only the first of them, so a field is left without its label (axe-core no longer reports duplicate
    ids since 4.7)."""
    return page.evaluate(
        """() => {
            const refs = new Set();
            document.querySelectorAll('label[for]').forEach(label => refs.add(label.htmlFor));
            for (const name of ['aria-labelledby', 'aria-describedby', 'aria-controls']) {
                document.querySelectorAll(`[${name}]`).forEach(element =>
                    element.getAttribute(name).split(/\\s+/).filter(Boolean).forEach(id => refs.add(id)));
            }
            return [...refs].filter(id => document.querySelectorAll('#' + CSS.escape(id)).length > 1).sort();
        }"""
    )


def accessibility_problems(page):
    """axe-core's violations and the ambiguous label references of the current page."""
    return {"axe": axe_violations(page), "references": ambiguous_references(page)}


NO_PROBLEMS = {"axe": [], "references": []}


# --- Reading and writing the report page ---------------------------------------------------------------------------


def problems(page):
    """The items of the report's "saker saknas" list (empty when everything required is filled in)."""
    return page.locator("#report-problems .problem-list li").all_inner_texts()


def save(page, form, action):
    """Change a section the way a user does and wait until its save has been answered and swapped in."""
    with page.expect_response(lambda r: r.request.method == "POST"):
        action()
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    expect(form.get_by_role("status")).to_contain_text("Sparat")


def choose(page, form, field, label):
    """Choose an option in a section's select and wait for the save."""
    save(page, form, lambda: field.select_option(label=label))


def write(page, form, field, text):
    """Write a text in a section's text area; it saves when the field is left (the `change` trigger)."""

    def action():
        field.fill(text)
        field.blur()

    save(page, form, action)


def type_into(field, text):
    """Replace the field's text key by key, so that htmx's `input` trigger fires as when a person types."""
    field.click()
    field.press("ControlOrMeta+a")
    field.press_sequentially(text, delay=20)


def swedish(number):
    """A Decimal as typed in a Swedish field: "12,5", "-3", no thousands separator."""
    number = Decimal(number).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    return f"{number:f}".replace(".", ",")


def tkr_value(text):
    """The number in a tkr field ("412 300,5", "−3"), or None if it is empty."""
    text = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("\u2212", "-")
    return Decimal(text.replace(",", ".")) if text else None


def fill_in_assessments(page):
    """Assess every unassessed goal as met with a full-year forecast of met; write an analysis where one is needed."""
    cards = page.locator("#mal article.assessment-card").filter(has=page.locator("form"))
    filled = []
    for index in range(cards.count()):
        card = cards.nth(index)
        form = card.locator("form")
        assessment = form.get_by_role("combobox", name="Bedömning", exact=True)
        if not assessment.input_value():
            choose(page, form, assessment, LABELS[Assessment.MET])
            filled.append(card.get_attribute("id"))
        forecast = form.get_by_role("combobox", name="Prognos för helåret", exact=True)
        if forecast.count() and not forecast.input_value():
            choose(page, form, forecast, LABELS[Assessment.MET])
        analysis = form.get_by_role("textbox", name="Analys", exact=True)
        if assessment.input_value() in ANALYSIS_REQUIRED_FOR and not analysis.input_value().strip():
            write(page, form, analysis, ANALYSIS)
    return filled


def indicator_values(report, indicator_pk):
    """(value on target, value far from it) for the indicator this year, or None without a target."""
    indicator = Indicator.objects.get(pk=indicator_pk)
    target = indicator.targets.filter(year=report.period.year).values_list("value", flat=True).first()
    if target is None:
        return None
    margin = abs(target) * indicator.tolerance_percent / 100
    step = max(Decimal(1), abs(target) / 2)
    far = target - margin - step if indicator.direction == Direction.INCREASE else target + margin + step
    return swedish(target), swedish(far)


def fill_in_indicators(page, report):
    """Type each indicator's outcome; the traffic light follows without a reload."""
    rows = page.locator("#indikatorer li.indicator-row").filter(has=page.locator("form"))
    shown_change = False
    for index in range(rows.count()):
        row = rows.nth(index)
        form = row.locator("form")
        indicator_pk = int(re.search(r"/utfall/(\d+)/$", form.get_attribute("action")).group(1))
        field = form.get_by_role("textbox", name="Utfall", exact=True)
        light = row.locator(".indicator-row__light")
        values = indicator_values(report, indicator_pk)
        if values is None:
            if not field.input_value():
                type_into(field, "1")
                expect(form.get_by_role("status")).to_contain_text("Sparat")
            expect(light).to_contain_text("Kan inte bedömas")
            continue
        on_target, far = values
        if not shown_change:
            # First far from the target (red), then on it (green): the light changes as the outcome is typed.
            type_into(field, far)
            expect(light).to_contain_text("Långt från målvärdet")
            expect(form.get_by_role("status")).to_contain_text("Sparat")
            shown_change = True
        type_into(field, on_target)
        expect(light).to_contain_text("Når målvärdet")
        expect(form.get_by_role("status")).to_contain_text("Sparat")
    return shown_change


def fill_in_assignments(page):
    cards = page.locator("#uppdrag article.assessment-card").filter(has=page.locator("form"))
    for index in range(cards.count()):
        form = cards.nth(index).locator("form")
        status = form.get_by_role("combobox", name="Status", exact=True)
        if not status.input_value():
            choose(page, form, status, "Pågår")
        comment = form.get_by_role("textbox", name="Kommentar", exact=True)
        if not comment.input_value().strip():
            write(page, form, comment, "Arbetet pågår enligt plan; en första delrapport lämnas i delårsrapporten.")


def fill_in_economy(page):
    """Budget (kept if the frame filled it), outcome so far and forecast; the deviation is computed as one types."""
    form = page.locator("#ekonomi form")
    budget_field = form.get_by_role("textbox", name="Budget för året (tkr)", exact=True)
    outcome_field = form.get_by_role("textbox", name="Utfall hittills (tkr)", exact=True)
    forecast_field = form.get_by_role("textbox", name="Prognos för helåret (tkr)", exact=True)
    deviation = page.locator("#economy-figures .figures__deviation dd")
    figures = page.locator("#economy-figures")

    budget = tkr_value(budget_field.input_value())
    if budget is None:
        budget = Decimal(150_000)
        type_into(budget_field, swedish(budget))
        expect(page.locator("#economy-figures dl")).to_contain_text("150")
    if tkr_value(outcome_field.input_value()) is None:
        type_into(outcome_field, swedish((budget / 3).quantize(Decimal(1))))
        expect(form.get_by_role("status")).to_contain_text("Sparat")
    # A forecast 10 % over budget is a deficit over the threshold ...
    type_into(forecast_field, swedish(budget * Decimal("1.1")))
    expect(deviation).to_contain_text("underskott")
    expect(figures).to_contain_text("Avvikelsen är över gränsen")
    # ... and one equal to the budget no deviation at all, so no deviation analysis is needed.
    type_into(forecast_field, swedish(budget))
    expect(figures).to_contain_text("Avvikelsen är inom gränsen.")
    expect(deviation).not_to_contain_text("underskott")
    expect(deviation).not_to_contain_text("överskott")
    expect(form.get_by_role("status")).to_contain_text("Sparat")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")

    remaining = " ".join(problems(page))
    if "avvikelseanalys saknas" in remaining:
        analysis = form.get_by_role("textbox", name="Avvikelseanalys", exact=True)
        write(page, form, analysis, "Prognosen följer budgeten; avvikelsen förklaras av fler barn i förskolan.")
    if "hanteras inom delegation" in remaining:
        save(page, form, lambda: form.get_by_role("radio", name="Ja", exact=True).check())


def fill_in_controls(page):
    cards = page.locator("#intern-kontroll article.assessment-card").filter(has=page.locator("form"))
    for index in range(cards.count()):
        form = cards.nth(index).locator("form")
        outcome = form.get_by_role("combobox", name="Resultat", exact=True)
        if not outcome.input_value():
            choose(page, form, outcome, "Genomförd utan avvikelse")
        for name, needed, text in (
            (
                "Iakttagelser",
                outcome.input_value() != ControlOutcome.DONE_OK,
                "Två av tio stickprov saknade beställningsunderlag.",
            ),
            (
                "Åtgärder",
                outcome.input_value() == ControlOutcome.DONE_DEVIATION,
                "Rutinen för beställning har förtydligats för alla enheter.",
            ),
        ):
            field = form.get_by_role("textbox", name=name, exact=True)
            if needed and not field.input_value().strip():
                write(page, form, field, text)
    return cards.count()


# --- The same, through the services (to start the reviewer's test from a report sent in) ---------------------------


def complete_and_submit(report, user):
    """Fill in what is missing the way the official's test does in the browser, and send the report in."""
    from followup import services

    services.reports_fill([report], user=user)
    for item in report.assessments.all():
        item.assessment = item.assessment or Assessment.MET
        item.forecast = item.forecast or Assessment.MET
        if item.assessment in ANALYSIS_REQUIRED_FOR and not item.analysis.strip():
            item.analysis = ANALYSIS
        services.item_save(item, user=user)
    for item in report.assignment_items.all():
        item.status = item.status or "ongoing"
        item.comment = item.comment.strip() or "Arbetet pågår enligt plan."
        services.item_save(item, user=user)
    for item in report.control_results.all():
        item.outcome = item.outcome or ControlOutcome.DONE_OK
        if item.outcome != ControlOutcome.DONE_OK and not item.findings.strip():
            item.findings = "Två av tio stickprov saknade beställningsunderlag."
        if item.outcome == ControlOutcome.DONE_DEVIATION and not item.measures.strip():
            item.measures = "Rutinen för beställning har förtydligats."
        services.item_save(item, user=user)
    report.refresh_from_db()
    if report.budget is None:
        report.budget = 150_000_000
    if report.outcome_to_date is None:
        report.outcome_to_date = report.budget // 3
    report.forecast = report.budget
    services.report_save(report, user=user)
    return services.report_submit(bun_report(), user=user)


# --- The tests ------------------------------------------------------------------------------------------------------


def test_official_fills_in_the_report_and_sends_it_in(page, live_server, demo):
    report = bun_report()
    assert report.status == ReportStatus.DRAFT
    login(page, live_server, "tjansteperson")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Att rapportera").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Att rapportera")
    card = page.locator(".report-card").filter(has=page.get_by_role("link", name=report_link_name(report)))
    expect(card).to_contain_text(re.compile(r"\d+ saker? saknas"))
    card.get_by_role("link", name=report_link_name(report)).click()
    page.wait_for_url(re.compile(rf"/rapport/{report.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(report.organisation.name)
    expect(page.locator(".page-head .ds-tag").first).to_have_text("Utkast")
    page.evaluate("window.sameDocument = true")  # gone if anything below reloads the page

    missing_at_start = problems(page)
    assert missing_at_start, "the demo's report should have something missing"

    filled = fill_in_assessments(page)
    assert filled, "the demo's report should have goals that are not assessed yet"
    after_goals = problems(page)
    assert len(after_goals) < len(missing_at_start)
    assert not [p for p in after_goals if p.startswith("Målet")], after_goals

    assert fill_in_indicators(page, report), "the demo's report should have an indicator with a target"
    fill_in_assignments(page)
    fill_in_economy(page)
    fill_in_controls(page)

    assert problems(page) == []
    expect(page.locator("#report-problems")).to_contain_text("Allt som krävs är ifyllt. Rapporten kan skickas in.")
    assert page.evaluate("window.sameDocument") is True  # every section saved in place

    # What was saved in place is there after a reload too.
    page.reload()
    assert problems(page) == []
    for card_id in filled:
        expect(page.locator(f"#{card_id}").get_by_role("combobox", name="Bedömning", exact=True)).to_have_value(
            Assessment.MET.value
        )

    page.get_by_role("button", name="Skicka in rapporten").click()
    expect(page.get_by_text("Rapporten har skickats in för godkännande.")).to_be_visible()
    expect(page.locator(".page-head .ds-tag").first).to_have_text("Inskickad")
    expect(page.locator(".ds-alert[data-color='info']").last).to_contain_text("väntar på godkännande")
    expect(page.locator(".report-sections form[hx-post]")).to_have_count(0)  # sent in: nothing to write in
    expect(page.get_by_role("button", name="Skicka in rapporten")).to_have_count(0)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.submitted_by.username == "tjansteperson"
    assert not report.assessments.filter(assessment="").exists()

    # It has left the official's "Att rapportera".
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Att rapportera").click()
    expect(page.get_by_role("link", name=report_link_name(report))).to_have_count(0)


def test_reviewer_returns_then_approves_and_the_ks_report_and_dashboard_roll_up(page, live_server, demo):
    official = get_user_model().objects.get(username="tjansteperson")
    report = bun_report()
    unassessed = set(report.assessments.filter(assessment="").values_list("goal_id", flat=True))
    report = complete_and_submit(report, official)

    # The politician returns the report with a comment.
    login(page, live_server, "politiker")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Att rapportera").click()
    waiting = page.locator("section", has=page.get_by_role("heading", name="Väntar på ditt godkännande"))
    waiting.get_by_role("link", name=report_link_name(report)).click()
    page.wait_for_url(re.compile(rf"/rapport/{report.pk}/$"))
    expect(page.locator(".page-head .ds-tag").first).to_have_text("Inskickad")
    expect(page.get_by_role("button", name="Skicka in rapporten")).to_have_count(0)  # politicians do not write
    page.locator("summary", has_text="Återremittera").click()
    returning = page.locator("form", has=page.get_by_role("button", name="Skicka tillbaka till utkast"))
    returning.get_by_role("textbox", name="Vad behöver ändras?").fill(RETURN_COMMENT)
    returning.get_by_role("button", name="Skicka tillbaka till utkast").click()
    expect(page.get_by_text(re.compile("^Rapporten har återremitterats till"))).to_be_visible()
    expect(page.locator(".page-head .ds-tag").first).to_have_text("Återremitterad")
    logout(page)

    # The official sees why and sends it in again.
    login(page, live_server, "tjansteperson")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Att rapportera").click()
    page.get_by_role("link", name=report_link_name(report)).click()
    alert = page.locator(".ds-alert", has_text="Rapporten har återremitterats.")
    expect(alert).to_contain_text(RETURN_COMMENT)
    expect(alert).to_contain_text("Per Politiker")
    expect(page.locator(".page-head .ds-tag").first).to_have_text("Återremitterad")
    expect(page.locator("#mal form[hx-post]").first).to_be_visible()  # returned: written again
    page.get_by_role("button", name="Skicka in rapporten").click()
    expect(page.get_by_text("Rapporten har skickats in för godkännande.")).to_be_visible()
    expect(page.locator(".page-head .ds-tag").first).to_have_text("Inskickad")
    logout(page)

    # The politician approves it with the nämnd's decision; it is locked.
    login(page, live_server, "politiker")
    page.goto(f"{live_server.url}{report.get_absolute_url()}")
    approve = page.locator("form", has=page.get_by_role("button", name="Godkänn", exact=True))
    expect(approve.get_by_role("combobox", name="Beslutande organ")).to_have_value(str(report.organisation_id))
    approve.get_by_label("Beslutsdatum").fill(f"{report.period.year}-05-27")
    approve.get_by_role("textbox", name="Paragraf (§)").fill("§ 45")
    approve.get_by_role("textbox", name="Diarienummer").fill(f"BUN {report.period.year}/112")
    approve.get_by_role("button", name="Godkänn", exact=True).click(timeout=APPROVAL_TIMEOUT)
    expect(page.get_by_text("Rapporten har godkänts.")).to_be_visible()
    expect(page.locator(".page-head .ds-tag").first).to_have_text("Godkänd")
    approved = page.locator(".ds-alert[data-color='success']", has_text="Rapporten är låst.")
    decision = f"{report.organisation.label} {report.period.year}-05-27 § 45, BUN {report.period.year}/112"
    expect(approved).to_contain_text(f"Beslut: {decision}.")
    expect(page.locator(".report-sections form[hx-post]")).to_have_count(0)
    expect(page.get_by_role("button", name="Godkänn", exact=True)).to_have_count(0)
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED and report.paragraph == "§ 45"
    assert [e.kind for e in report.events.all()] == ["submitted", "returned", "submitted", "approved"]

    # KS's report of the period shows, under each KF goal, the nämndmål that contribute with their assessments.
    page.get_by_role("navigation", name="Brödsmulor").get_by_role("link", name=report.period.title).click()
    board = report.organisation.municipality.organisations.get(kind=OrganisationKind.EXECUTIVE_BOARD)
    page.get_by_role("link", name=board.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(board.name)
    board_report = FollowUpReport.objects.get(period=report.period, organisation=board)
    kf_ids = set(board_report.assessments.filter(goal__level=GoalLevel.MUNICIPAL).values_list("goal_id", flat=True))
    assert kf_ids, "KS's report should assess KF's goals"
    shown, shown_new, kf_with_bun = 0, 0, set()
    for item in report.assessments.filter(goal__level=GoalLevel.COMMITTEE).select_related("goal"):
        targets = {item.goal.parent_id, *item.goal.contributes_to.values_list("pk", flat=True)}
        for kf_id in targets & kf_ids:
            row = (
                page.locator(f"#mal-{kf_id} .contributions tbody tr")
                .filter(has=page.get_by_role("link", name=item.goal.code, exact=True))
                .filter(has_text=report.organisation.label)
            )
            expect(row.locator(".assessment")).to_have_text(re.compile(rf"^\S+ {re.escape(LABELS[item.assessment])}$"))
            expect(row).to_contain_text("Godkänd")
            shown += 1
            shown_new += item.goal_id in unassessed
            kf_with_bun.add(kf_id)
    assert shown, "BUN's nämndmål should contribute to KF's goals"
    assert shown_new, "a goal the official assessed now should contribute to a KF goal"

    # The dashboard's heat map: BUN's row shows assessments, none missing any more.
    page.get_by_role("link", name="Översikt för perioden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Översikt")
    heat = page.locator("table.heat-map")
    bun_row = heat.locator("tbody tr").filter(
        has=page.get_by_role("rowheader", name=report.organisation.label, exact=True)
    )
    expect(bun_row).to_have_count(1)
    expect(bun_row.locator(".assessment")).to_have_count(len(kf_with_bun))  # a badge per KF goal BUN works towards
    expect(bun_row).not_to_contain_text("Ej ifyllt")
    labels = "|".join(re.escape(label) for label in LABELS.values())
    for text in bun_row.locator(".assessment").all_inner_texts():
        assert re.fullmatch(rf"\S+\s+({labels})", text.strip()), text


def test_followup_pages_have_no_accessibility_violations(page, live_server, demo):
    from followup import services

    report = bun_report()
    year = report.period.year
    plan = (
        InternalControlPlan.objects.filter(organisation__municipality__slug="vaggeryd", risks__isnull=False)
        .order_by("-year", "organisation__lft")
        .first()
    )
    assert plan is not None, "the demo should have an internal control plan with risks"

    login(page, live_server, "tjansteperson")
    page.goto(f"{live_server.url}{report.get_absolute_url()}")
    form = page.locator("#mal form[hx-post]").first
    expect(form).to_be_visible()  # the writable form
    assert accessibility_problems(page) == NO_PROBLEMS, "rapportformuläret"
    # After a section has saved in place (its status and the list of what is missing are swapped in).
    save(page, form, lambda: form.get_by_role("combobox", name="Bedömning", exact=True).select_option(label="Uppfyllt"))
    assert accessibility_problems(page) == NO_PROBLEMS, "rapportformuläret efter sparande"
    page.goto(f"{live_server.url}/att-rapportera/")
    expect(page.locator(".report-card").first).to_be_visible()
    assert accessibility_problems(page) == NO_PROBLEMS, "att rapportera"
    logout(page)

    login(page, live_server, "politiker")
    pages = {
        "översikten": f"/uppfoljning/{report.period.pk}/oversikt/",
        "perioden": report.period.get_absolute_url(),
        "uppföljningsperioderna": "/kommun/vaggeryd/uppfoljning/",
        "rapporten för läsning": report.get_absolute_url(),
        "den interna kontrollplanen": plan.get_absolute_url(),
        "de interna kontrollplanerna": f"/kommun/vaggeryd/intern-kontroll/?ar={plan.year}",
        "de interna kontrollplanerna i år": f"/kommun/vaggeryd/intern-kontroll/?ar={year}",
    }
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        if name == "den interna kontrollplanen":
            expect(page.locator("table.risk-matrix")).to_be_visible()
        assert accessibility_problems(page) == NO_PROBLEMS, name

    # The reviewer's forms: approve and return a report sent in, reopen an approved one.
    official = get_user_model().objects.get(username="tjansteperson")
    report = complete_and_submit(report, official)
    page.goto(f"{live_server.url}{report.get_absolute_url()}")
    page.locator("summary", has_text="Återremittera").click()  # both forms open, so axe-core checks them
    expect(page.get_by_role("button", name="Skicka tillbaka till utkast")).to_be_visible()
    expect(page.get_by_role("button", name="Godkänn", exact=True)).to_be_visible()
    assert accessibility_problems(page) == NO_PROBLEMS, "rapporten att godkänna"
    reviewer = get_user_model().objects.get(username="politiker")
    services.report_approve(
        report, user=reviewer, decided_by=report.organisation, decided_on=report.period.end_date, paragraph="45"
    )
    page.goto(f"{live_server.url}{report.get_absolute_url()}")
    page.locator("summary", has_text="Öppna rapporten igen").click()
    expect(page.get_by_role("button", name="Öppna för ändringar")).to_be_visible()
    assert accessibility_problems(page) == NO_PROBLEMS, "den godkända rapporten"
