"""
The internal control plan's pages (followup.control_views): risk scoring and the matrix, every view against every
persona (anonymous → login, another municipality → 404, read-only in scope → 403 on writes, another nämnd's editor →
403 on BUN's plan, BUN's editor writes BUN's draft but not an adopted plan, administrators adopt and reopen), the
decision's rules (a chosen risk needs a control, reopening needs a reason), history rows with the user, Swedish
messages that name the field, and query counts that do not grow with the number of plans or risks.
"""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followup import services
from followup.choices import ControlOutcome, PeriodKind, PlanStatus, RiskBand, risk_band
from followup.models import Control, ControlResult, InternalControlPlan, Risk
from followup.selectors import risk_matrix
from styrning.services import membership_grant
from tests import factories as f
from tests.personas import PERSONAS, READ, client_for

from .conftest import make_control_plan, open_period

ADMIN_WRITE = {
    "anonymous": 302,
    "foreigner": 404,
    "outsider": 403,
    "colleague": 403,
    "politician": 403,
    "official": 403,
    "admin": 302,
}
BUN_WRITE = {**ADMIN_WRITE, "official": 302}
BUN_FORM = {**BUN_WRITE, "official": 200, "admin": 200}
# An adopted plan: editors are refused by the lock (403); administrators are sent back to the plan with the reason.
LOCKED = ADMIN_WRITE
# Anyone who edits some organisation may start a plan (outsider for SN); reviewers may not.
CREATE_FORM = {**READ, "colleague": 403, "politician": 403}
# The outsider's POST for BUN is refused by the form (BUN is not among the choices): the form again, nothing saved.
CREATE = {**CREATE_FORM, "official": 302, "admin": 302}

LOCKED_MESSAGE = "Den interna kontrollplanen är beslutad. Öppna den igen för att ändra den."


@pytest.fixture
def ic(world):
    """BUN's draft plan for 2026 and BUF's plan for 2026 adopted by BUN (each: Inköp 3 × 3 with a control every
    tertial, Attest 2 × 2 with a control at T3, Kassa 1 × 2 left out of the plan)."""
    w = world
    w.draft = make_control_plan(organisation=w.bun, year=2026, user=w.official)
    w.draft_risk = w.draft.risks.get(process="Inköp")
    w.draft_control = w.draft_risk.controls.get()
    w.spare_risk = w.draft.risks.get(process="Kassa")
    w.adopted = make_control_plan(organisation=w.bun_admin, year=2026, user=w.official, adopt_by=w.bun)
    w.adopted_risk = w.adopted.risks.get(process="Inköp")
    w.adopted_control = w.adopted_risk.controls.get()
    return w


def risk_data(**overrides):
    data = {"process": "Löner", "description": "Fel lön betalas ut", "probability": "2", "consequence": "3"}
    data["in_plan"] = "on"
    data.update(overrides)
    return data


def control_data(**overrides):
    data = {"method": "Stickprov på tio lönebesked", "responsible": "Lönechef", "frequency": "tertial"}
    data["report_t1"] = "on"
    data.update(overrides)
    return data


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


CASES = [
    ("list", "get", lambda w: reverse("followup:control_plan_list", args=[w.municipality.slug]), None, READ),
    (
        "list_year",
        "get",
        lambda w: reverse("followup:control_plan_list", args=[w.municipality.slug]) + "?ar=2026",
        None,
        READ,
    ),
    ("plan", "get", lambda w: reverse("followup:control_plan", args=[w.draft.pk]), None, READ),
    ("adopted_plan", "get", lambda w: reverse("followup:control_plan", args=[w.adopted.pk]), None, READ),
    (
        "create_form",
        "get",
        lambda w: reverse("followup:control_plan_create", args=[w.municipality.slug]),
        None,
        CREATE_FORM,
    ),
    (
        "create",
        "post",
        lambda w: reverse("followup:control_plan_create", args=[w.municipality.slug]),
        lambda w: {"organisation": w.bun.pk, "year": 2027, "description": "Inför 2027"},
        CREATE,
    ),
    ("edit_form", "get", lambda w: reverse("followup:control_plan_edit", args=[w.draft.pk]), None, BUN_FORM),
    (
        "edit",
        "post",
        lambda w: reverse("followup:control_plan_edit", args=[w.draft.pk]),
        lambda w: {"description": "Ny inledning", "expected_version": w.draft.version},
        BUN_WRITE,
    ),
    ("risk_add_form", "get", lambda w: reverse("followup:risk_add", args=[w.draft.pk]), None, BUN_FORM),
    ("risk_add", "post", lambda w: reverse("followup:risk_add", args=[w.draft.pk]), lambda w: risk_data(), BUN_WRITE),
    ("risk_edit_form", "get", lambda w: reverse("followup:risk_edit", args=[w.draft_risk.pk]), None, BUN_FORM),
    (
        "risk_edit",
        "post",
        lambda w: reverse("followup:risk_edit", args=[w.draft_risk.pk]),
        lambda w: risk_data(process="Inköp", expected_version=w.draft_risk.version),
        BUN_WRITE,
    ),
    ("risk_delete_form", "get", lambda w: reverse("followup:risk_delete", args=[w.spare_risk.pk]), None, BUN_FORM),
    ("risk_delete", "post", lambda w: reverse("followup:risk_delete", args=[w.spare_risk.pk]), lambda w: {}, BUN_WRITE),
    ("control_add_form", "get", lambda w: reverse("followup:control_add", args=[w.draft_risk.pk]), None, BUN_FORM),
    (
        "control_add",
        "post",
        lambda w: reverse("followup:control_add", args=[w.draft_risk.pk]),
        lambda w: control_data(),
        BUN_WRITE,
    ),
    (
        "control_edit",
        "post",
        lambda w: reverse("followup:control_edit", args=[w.draft_control.pk]),
        lambda w: control_data(expected_version=w.draft_control.version),
        BUN_WRITE,
    ),
    (
        "control_delete",
        "post",
        lambda w: reverse("followup:control_delete", args=[w.draft_control.pk]),
        lambda w: {},
        BUN_WRITE,
    ),
    (
        "adopt",
        "post",
        lambda w: reverse("followup:control_plan_adopt", args=[w.draft.pk]),
        lambda w: {"decided_by": w.bun.pk, "decided_on": "2025-12-10", "paragraph": "98"},
        ADMIN_WRITE,
    ),
    (
        "reopen",
        "post",
        lambda w: reverse("followup:control_plan_reopen", args=[w.adopted.pk]),
        lambda w: {"reason": "En ny risk i skolskjutsarna"},
        ADMIN_WRITE,
    ),
    # The adopted plan: locked.
    ("locked_edit_form", "get", lambda w: reverse("followup:control_plan_edit", args=[w.adopted.pk]), None, LOCKED),
    (
        "locked_edit",
        "post",
        lambda w: reverse("followup:control_plan_edit", args=[w.adopted.pk]),
        lambda w: {"description": "Ändrad i efterhand"},
        LOCKED,
    ),
    ("locked_risk_add_form", "get", lambda w: reverse("followup:risk_add", args=[w.adopted.pk]), None, LOCKED),
    (
        "locked_risk_add",
        "post",
        lambda w: reverse("followup:risk_add", args=[w.adopted.pk]),
        lambda w: risk_data(),
        LOCKED,
    ),
    (
        "locked_risk_edit",
        "post",
        lambda w: reverse("followup:risk_edit", args=[w.adopted_risk.pk]),
        lambda w: risk_data(probability="1"),
        LOCKED,
    ),
    (
        "locked_risk_delete",
        "post",
        lambda w: reverse("followup:risk_delete", args=[w.adopted_risk.pk]),
        lambda w: {},
        LOCKED,
    ),
    (
        "locked_control_add",
        "post",
        lambda w: reverse("followup:control_add", args=[w.adopted_risk.pk]),
        lambda w: control_data(),
        LOCKED,
    ),
    (
        "locked_control_edit",
        "post",
        lambda w: reverse("followup:control_edit", args=[w.adopted_control.pk]),
        lambda w: control_data(),
        LOCKED,
    ),
    (
        "locked_control_delete_form",
        "get",
        lambda w: reverse("followup:control_delete", args=[w.adopted_control.pk]),
        None,
        LOCKED,
    ),
    (
        "locked_control_delete",
        "post",
        lambda w: reverse("followup:control_delete", args=[w.adopted_control.pk]),
        lambda w: {},
        LOCKED,
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "method", "path", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_permission_matrix(client, ic, persona, name, method, path, data, expected):
    client = client_for(client, ic, persona)
    url = path(ic)
    response = client.get(url) if method == "get" else client.post(url, data(ic))
    assert response.status_code == expected[persona], (name, persona, response.content[:3000])
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


# --- Scoring and the matrix -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probability", "consequence", "value", "band"),
    [
        (1, 1, 1, RiskBand.LOW),
        (1, 3, 3, RiskBand.LOW),
        (2, 2, 4, RiskBand.MEDIUM),
        (4, 1, 4, RiskBand.MEDIUM),
        (2, 4, 8, RiskBand.MEDIUM),
        (3, 3, 9, RiskBand.HIGH),
        (4, 4, 16, RiskBand.HIGH),
    ],
)
def test_risk_value_is_probability_times_consequence_in_three_bands(probability, consequence, value, band):
    risk = Risk(probability=probability, consequence=consequence)
    assert (risk.value, risk.band) == (value, band)


def test_band_boundaries_are_3_4_and_8_9():
    assert [risk_band(v) for v in (3, 4, 8, 9)] == [RiskBand.LOW, RiskBand.MEDIUM, RiskBand.MEDIUM, RiskBand.HIGH]


def test_matrix_rows_run_from_probability_4_to_1_and_columns_from_consequence_1_to_4():
    risks = [Risk(pk=1, probability=4, consequence=1), Risk(pk=2, probability=1, consequence=4)]
    risks.append(Risk(pk=3, probability=3, consequence=4))
    matrix = risk_matrix(risks)
    assert [row[0].probability for row in matrix] == [4, 3, 2, 1]
    assert [cell.consequence for cell in matrix[0]] == [1, 2, 3, 4]
    assert matrix[0][0].risks == [risks[0]]
    assert matrix[3][3].risks == [risks[1]]
    assert matrix[1][3].risks == [risks[2]]
    assert [matrix[3][0].band, matrix[0][0].band, matrix[0][3].band] == [RiskBand.LOW, RiskBand.MEDIUM, RiskBand.HIGH]


def matrix_cells(html):
    """The 16 cells of the page's first risk matrix in reading order (probability 4 → 1, consequence 1 → 4)."""
    table = html.split('<table class="risk-matrix">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<td class="risk-cell risk-cell--(\w+)">(.*?)</td>', table, flags=re.S)


def test_plan_page_places_each_risk_by_number_in_its_coloured_cell(client, ic):
    services.risk_save(
        Risk(plan=ic.draft, process="Skolskjuts", description="Fel barn åker med", probability=4, consequence=1),
        user=ic.official,
    )
    client.force_login(ic.colleague)
    html = client.get(reverse("followup:control_plan", args=[ic.draft.pk])).content.decode()
    cells = matrix_cells(html)
    assert len(cells) == 16
    # Risks are numbered in the order they were added: 1 Inköp (3 × 3), 2 Attest (2 × 2), 3 Kassa (1 × 2), 4 Skolskjuts.
    assert cells[0][0] == "medium" and "Skolskjuts" in cells[0][1]  # p 4, c 1
    assert cells[6][0] == "high" and f'href="#risk-{ic.draft_risk.pk}"' in cells[6][1]  # p 3, c 3
    assert cells[9][0] == "medium" and "Attest" in cells[9][1]  # p 2, c 2
    assert cells[13][0] == "low" and "Kassa" in cells[13][1] and "risk-chip--out" in cells[13][1]
    assert cells[3][0] == "high" and "risk-chip" not in cells[3][1]  # p 4, c 4: empty
    assert "Hög risk (9–16)" in html and "Låg risk (1–3)" in html  # the legend, in words


def test_plan_page_lists_risks_controls_and_results_per_tertial(client, ic):
    period = open_period(ic, year=2026, kind=PeriodKind.T1)
    result = ControlResult.objects.get(report__period=period, control=ic.adopted_control)
    result.outcome = ControlOutcome.DONE_DEVIATION
    result.findings = "Två inköp utan avtal"
    result.measures = "Utbildning för beställare"
    services.item_save(result, user=ic.official)
    client.force_login(ic.politician)
    html = client.get(reverse("followup:control_plan", args=[ic.adopted.pk])).content.decode()
    assert "Stickprov på tio inköp" in html and "Ekonomichef" in html and "Tertialvis" in html
    assert "Genomförd med avvikelse" in html and "Två inköp utan avtal" in html
    assert reverse("followup:report", args=[result.report_id]) in html
    assert "Inte rapporterat" in html  # T2 and T3 have no report yet
    client.force_login(ic.colleague)
    html = client.get(reverse("followup:control_plan", args=[ic.draft.pk])).content.decode()
    assert reverse("followup:risk_add", args=[ic.draft.pk]) not in html  # reviewers read
    assert reverse("followup:risk_edit", args=[ic.draft_risk.pk]) not in html

    html = client.get(reverse("followup:control_plan_list", args=[ic.municipality.slug]) + "?ar=2026").content.decode()
    deviations = html.split('id="deviations-heading"', 1)[1]
    assert "Två inköp utan avtal" in deviations and "Utbildning för beställare" in deviations


def test_list_shows_plans_in_tree_order_with_counts_and_high_risks(client, ic):
    client.force_login(ic.official)
    html = client.get(reverse("followup:control_plan_list", args=[ic.municipality.slug]) + "?ar=2026").content.decode()
    assert html.index("Barn- och utbildningsnämnden") < html.index("Barn- och utbildningsförvaltningen")
    assert "Utkast" in html and "Beslutad" in html
    assert "Inköp" in html.split('id="plans-heading"', 1)[1].split("</table>", 1)[0]  # 3 × 3 is a high risk
    assert "Ny intern kontrollplan" in html
    assert "4 risker är valda för kontroll, varav 2 höga." in html
    cells = matrix_cells(html)
    assert "2 risker" in cells[6][1] and "BUN" in cells[6][1]  # both plans' Inköp at p 3, c 3


def test_list_offers_no_new_plan_to_reviewers_and_defaults_to_this_year(client, ic):
    client.force_login(ic.politician)
    response = client.get(reverse("followup:control_plan_list", args=[ic.municipality.slug]))
    html = response.content.decode()
    assert response.context["year"] == datetime.date.today().year
    assert "Ny intern kontrollplan" not in html


# --- Writes: history, messages, locks -----------------------------------------------------------------------------


def test_official_creates_a_plan_with_history_and_duplicates_are_refused(client, ic):
    client.force_login(ic.official)
    url = reverse("followup:control_plan_create", args=[ic.municipality.slug])
    response = client.post(url, {"organisation": ic.school.pk, "year": 2027, "description": "Hagaskolans plan"})
    plan = InternalControlPlan.objects.get(organisation=ic.school, year=2027)
    assert response["Location"] == plan.get_absolute_url()
    assert (plan.status, plan.description) == (PlanStatus.DRAFT, "Hagaskolans plan")
    assert plan.history.get().history_user == ic.official
    again = client.post(url, {"organisation": ic.school.pk, "year": 2027})
    assert again.status_code == 200
    assert "Organisationen har redan en intern kontrollplan för året." in again.content.decode()
    assert InternalControlPlan.objects.filter(organisation=ic.school, year=2027).count() == 1


def test_create_offers_only_organisations_the_user_edits(client, ic):
    client.force_login(ic.outsider)
    url = reverse("followup:control_plan_create", args=[ic.municipality.slug])
    form = client.get(url).context["form"]
    assert list(form.fields["organisation"].queryset) == [ic.sn]
    response = client.post(url, {"organisation": ic.bun.pk, "year": 2027})
    assert "Organisation: du kan bara lägga upp planer för organisationer du är redaktör för." in (
        response.content.decode()
    )
    assert not InternalControlPlan.objects.filter(year=2027).exists()


def test_risk_and_control_writes_keep_history_with_user_and_comment(client, ic):
    client.force_login(ic.official)
    response = client.post(
        reverse("followup:risk_add", args=[ic.draft.pk]), risk_data(change_reason="Från riskworkshopen")
    )
    risk = ic.draft.risks.get(process="Löner")
    assert response["Location"] == f"{ic.draft.get_absolute_url()}#risk-{risk.pk}"
    assert (risk.probability, risk.consequence, risk.value, risk.in_plan) == (2, 3, 6, True)
    record = risk.history.get()
    assert (record.history_user, record.history_change_reason) == (ic.official, "Från riskworkshopen")

    client.post(reverse("followup:control_add", args=[risk.pk]), control_data(report_t3="on"))
    control = risk.controls.get()
    assert (control.report_t1, control.report_t2, control.report_t3) == (True, False, True)
    assert control.history.get().history_user == ic.official

    url = reverse("followup:risk_edit", args=[risk.pk])
    client.post(url, risk_data(probability="4", consequence="4", expected_version=risk.version))
    risk.refresh_from_db()
    assert (risk.value, risk.band, risk.version) == (16, RiskBand.HIGH, 2)
    assert risk.history.first().history_user == ic.official

    client.post(reverse("followup:control_delete", args=[control.pk]), {"change_reason": "Dubblett"})
    assert not Control.objects.filter(pk=control.pk).exists()
    record = Control.history.filter(id=control.pk).first()
    assert (record.history_type, record.history_user, record.history_change_reason) == ("-", ic.official, "Dubblett")


def test_plan_edit_saves_the_introduction_and_refuses_a_stale_save(client, ic):
    client.force_login(ic.official)
    url = reverse("followup:control_plan_edit", args=[ic.draft.pk])
    version = ic.draft.version
    assert client.post(url, {"description": "Efter analysen", "expected_version": version}).status_code == 302
    stale = client.post(url, {"description": "Min version", "expected_version": version})
    assert "Någon annan har sparat ändringar" in stale.content.decode()
    ic.draft.refresh_from_db()
    assert ic.draft.description == "Efter analysen"
    assert ic.draft.history.first().history_user == ic.official


def test_probability_outside_the_scale_gets_a_swedish_message_naming_the_field(client, ic):
    client.force_login(ic.official)
    response = client.post(reverse("followup:risk_add", args=[ic.draft.pk]), risk_data(probability="5"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sannolikhet: välj ett värde från 1 till 4 (5 finns inte på skalan)." in html
    response = client.post(reverse("followup:risk_add", args=[ic.draft.pk]), risk_data(consequence="0"))
    assert "Konsekvens: välj ett värde från 1 till 4 (0 finns inte på skalan)." in response.content.decode()
    assert not ic.draft.risks.filter(process="Löner").exists()


def test_a_control_needs_at_least_one_tertial(client, ic):
    client.force_login(ic.official)
    data = control_data()
    del data["report_t1"]
    response = client.post(reverse("followup:control_add", args=[ic.spare_risk.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Välj minst en tertial då kontrollen rapporteras." in html
    assert 'id="tertials_error"' in html  # shown in the group "Rapporteras i"
    assert not ic.spare_risk.controls.exists()


def test_the_adopted_plan_is_locked_for_administrators_with_a_message(client, ic):
    client.force_login(ic.admin)
    response = client.get(reverse("followup:risk_edit", args=[ic.adopted_risk.pk]), follow=True)
    assert response.redirect_chain == [(ic.adopted.get_absolute_url(), 302)]
    assert LOCKED_MESSAGE in response.content.decode()  # shown on the plan page
    response = client.post(reverse("followup:risk_edit", args=[ic.adopted_risk.pk]), risk_data(probability="1"))
    assert messages_of(response) == [LOCKED_MESSAGE]
    ic.adopted_risk.refresh_from_db()
    assert ic.adopted_risk.probability == 3
    # The services refuse it too, whoever calls them.
    ic.adopted_risk.probability = 1
    with pytest.raises(ValidationError, match="Den interna kontrollplanen är beslutad"):
        services.risk_save(ic.adopted_risk, user=ic.admin)


def test_the_adopted_plan_page_hides_writes_and_says_why(client, ic):
    client.force_login(ic.official)
    html = client.get(reverse("followup:control_plan", args=[ic.adopted.pk])).content.decode()
    assert "Planen är beslutad och låst" in html
    assert reverse("followup:risk_edit", args=[ic.adopted_risk.pk]) not in html
    assert reverse("followup:control_plan_reopen", args=[ic.adopted.pk]) not in html  # administrators only
    assert "BUN 2025-12-10 § 101" in html  # the decision


def test_a_risk_or_control_with_reported_results_cannot_be_deleted(client, ic):
    open_period(ic, year=2026, kind=PeriodKind.T1)  # the adopted plan's controls get their T1 results
    services.control_plan_reopen(ic.adopted, user=ic.admin, reason="En risk till")
    client.force_login(ic.official)
    response = client.post(reverse("followup:control_delete", args=[ic.adopted_control.pk]))
    assert messages_of(response) == ["Kontrollen har rapporterade resultat och kan inte tas bort."]
    response = client.post(reverse("followup:risk_delete", args=[ic.adopted_risk.pk]))
    assert messages_of(response)[-1] == "Risken har rapporterade kontrollresultat och kan inte tas bort."
    assert Risk.objects.filter(pk=ic.adopted_risk.pk).exists()
    assert Control.objects.filter(pk=ic.adopted_control.pk).exists()


# --- The decision ---------------------------------------------------------------------------------------------------


def test_adopt_is_refused_while_a_chosen_risk_lacks_a_control(client, ic):
    services.risk_save(
        Risk(plan=ic.draft, process="Skolskjuts", description="Fel barn åker med", probability=2, consequence=4),
        user=ic.official,
    )
    client.force_login(ic.official)
    html = client.get(reverse("followup:control_plan", args=[ic.draft.pk])).content.decode()
    assert "saknar kontroll" in html and "Skolskjuts" in html.split("saknar kontroll", 1)[1]
    client.force_login(ic.admin)
    url = reverse("followup:control_plan_adopt", args=[ic.draft.pk])
    response = client.post(url, {"decided_by": ic.bun.pk, "decided_on": "2025-12-10"})
    assert messages_of(response) == [
        "Varje risk som ingår i planen behöver en kontroll. Saknas för: Skolskjuts (Fel barn åker med)."
    ]  # Kassa is left out of the plan and needs none
    ic.draft.refresh_from_db()
    assert ic.draft.status == PlanStatus.DRAFT


def test_admin_adopts_with_the_decision_and_the_plan_is_locked(client, ic):
    client.force_login(ic.admin)
    url = reverse("followup:control_plan_adopt", args=[ic.draft.pk])
    data = {"decided_by": ic.bun.pk, "decided_on": "2025-12-10", "paragraph": "98", "registration_number": "BUN 2025/7"}
    response = client.post(url, data)
    assert response["Location"] == ic.draft.get_absolute_url()
    ic.draft.refresh_from_db()
    assert (ic.draft.status, ic.draft.decided_by, ic.draft.decision_display) == (
        PlanStatus.ADOPTED,
        ic.bun,
        "BUN 2025-12-10 § 98, BUN 2025/7",
    )
    record = ic.draft.history.first()
    assert (record.history_user, record.history_change_reason) == (ic.admin, "Beslutad")
    client.force_login(ic.official)
    assert client.get(reverse("followup:risk_add", args=[ic.draft.pk])).status_code == 403


def test_adopt_needs_the_body_and_the_date(client, ic):
    client.force_login(ic.admin)
    response = client.post(reverse("followup:control_plan_adopt", args=[ic.draft.pk]), {"decided_by": ic.sn.pk})
    assert messages_of(response) == [
        "Beslutande organ: välj ett organ som kan besluta planen.",
        "Beslutsdatum: ange beslutsdatum.",
    ]
    ic.draft.refresh_from_db()
    assert ic.draft.status == PlanStatus.DRAFT


def test_reopen_requires_a_reason_and_records_it(client, ic):
    client.force_login(ic.admin)
    url = reverse("followup:control_plan_reopen", args=[ic.adopted.pk])
    response = client.post(url, {"reason": "  "})
    assert messages_of(response) == ["Skäl: ange varför planen öppnas för ändringar igen."]
    ic.adopted.refresh_from_db()
    assert ic.adopted.status == PlanStatus.ADOPTED
    client.post(url, {"reason": "Ny risk i skolskjutsarna"})
    ic.adopted.refresh_from_db()
    assert ic.adopted.status == PlanStatus.DRAFT
    record = ic.adopted.history.first()
    assert (record.history_user, record.history_change_reason) == (ic.admin, "Öppnad igen: Ny risk i skolskjutsarna")
    html = client.get(ic.adopted.get_absolute_url()).content.decode()
    assert reverse("followup:control_plan_adopt", args=[ic.adopted.pk]) in html


# --- Query counts -------------------------------------------------------------------------------------------------


def build(*, slug, size, user):
    """A municipality with `size` nämnder, each with an adopted 2026 plan of three risks (two with controls) but the
    first, a draft with `size` risks more (with a control each); T1 opened, some results reported as not done."""
    municipality = f.make_municipality(name=f"Kommun {slug}", slug=slug)
    kf = f.root_of(municipality)
    membership_grant(user=user, organisation=kf, role="admin", granted_by=None)
    nämnder = [f.make_org(parent=kf, name=f"Nämnd {n:02}", code=f"N{n}") for n in range(size)]
    for nämnd in nämnder[1:]:
        make_control_plan(organisation=nämnd, year=2026, user=user, adopt_by=nämnd)
    big = make_control_plan(organisation=nämnder[0], year=2026, user=user)
    for n in range(size):
        risk = services.risk_save(
            Risk(plan=big, process=f"Process {n}", description="Något går fel", probability=1 + n % 4, consequence=2),
            user=user,
        )
        services.control_save(Control(risk=risk, method=f"Kontroll {n}", responsible="Chef"), user=user)
    period = services.period_create(municipality=municipality, year=2026, kind=PeriodKind.T1, user=user)
    services.period_open(period, user=user)
    for result in ControlResult.objects.filter(report__period=period)[: size // 2 + 1]:
        result.outcome = ControlOutcome.NOT_DONE
        result.findings = "Hann inte"
        services.item_save(result, user=user)
    return municipality, big


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


# The list page: session and user, the user's memberships, the municipality, the years, the plans with their risk
# counts, the chosen risks, the deviations with their reports, whether the user may add a plan, the navigation's
# municipalities, and (coming from another municipality) the session's save in a savepoint (3).
LIST_QUERIES = 13
# The plan page: session and user, the plan with its organisation and decision body, the memberships, the risks,
# their controls, the results with their reports, the adopt form's nearest deciding body and its choices, and the
# navigation's municipalities.
PLAN_QUERIES = 10


def test_list_and_plan_pages_run_the_same_queries_for_3_and_30(client, db, django_assert_max_num_queries):
    user = f.make_user("ks_admin")
    client.force_login(user)
    counts = {}
    for size in (3, 30):
        municipality, big = build(slug=f"kommun-{size}", size=size, user=user)
        list_url = reverse("followup:control_plan_list", args=[municipality.slug]) + "?ar=2026"
        plan_url = reverse("followup:control_plan", args=[big.pk])
        with django_assert_max_num_queries(LIST_QUERIES):
            response = client.get(list_url)
        assert len(response.context["plans"]) == size
        assert response.context["deviations"]
        with django_assert_max_num_queries(PLAN_QUERIES):
            response = client.get(plan_url)
        assert len(response.context["risks"]) == size + 3
        counts[size] = (count_queries(client, list_url), count_queries(client, plan_url))
    assert counts[3] == counts[30]
