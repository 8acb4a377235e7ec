"""
The follow-up's report views (followup.views) against every persona, then their behaviour and their query counts.

- The permission matrix: every view and workflow transition for anonymous (login), a foreigner (404 on every object
  of the municipality), the outsider (reads BUN's report, 403 on every write and on approval), BUN's reviewer
  (reads, approves and returns, comments, never writes), the politician (approves, returns, comments), the official
  (writes and sends in BUN's report, approves BUF's, never BUN's own) and the administrator (everything, periods
  included). A report sent in or approved refuses every write, the administrator's too.
- Behaviour: the htmx section saves ("Sparat HH:MM", "Inte sparat: <fält>: <fel>", stale saves refused), the
  workflow's refusals with their Swedish messages, comments seen only by those who take part, the dashboard, "Att
  rapportera" and the period page.
- Query counts that do not grow with the number of child organisations, nämnder or reports.
"""

import datetime
import re

import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation

from followup import services
from followup.choices import Assessment, DeadlineLevel, PeriodKind, ReportStatus
from followup.models import (
    ActionPlan,
    AssignmentFollowUp,
    Control,
    ControlResult,
    FollowUpReport,
    GoalAssessment,
    ReportComment,
    ReportingPeriod,
    Risk,
)
from goals.models import Outcome
from styrning.services import membership_grant
from tests import factories as f
from tests.budget.conftest import make_assignment
from tests.personas import PERSONAS, READ, client_for

from .conftest import fill

HTMX = {"HX-Request": "true"}

# Days from today to each level's deadline: the enheter and förvaltningar are late, the nämnder are not.
DEADLINE_OFFSETS = {
    DeadlineLevel.UNIT: -5,
    DeadlineLevel.ADMINISTRATION: -1,
    DeadlineLevel.COMMITTEE: 30,
    DeadlineLevel.EXECUTIVE_BOARD: 40,
    DeadlineLevel.COUNCIL: 50,
}


def deadlines():
    today = timezone.localdate()
    return {level: today + datetime.timedelta(days=days) for level, days in DEADLINE_OFFSETS.items()}


def open_t1(world, *, user=None):
    """The 2025 T1 period with the deadlines above, opened: every organisation of the municipality gets its report."""
    period = services.period_create(
        municipality=world.municipality,
        year=2025,
        kind=PeriodKind.T1,
        user=user or world.admin,
        deadlines=deadlines(),
    )
    return services.period_open(period, user=user or world.admin)


def report_of(period, organisation):
    return FollowUpReport.objects.select_related("period", "organisation").get(period=period, organisation=organisation)


@pytest.fixture
def vw(world):
    """The world with an assignment BUN leads, BUN's adopted internal control plan (one control reported in T1), the
    2025 T1 period open with a report per organisation, a measure in BUN's åtgärdsplan, and 2025 T2 created but not
    opened."""
    w = world
    w.assignment = make_assignment(
        municipality=w.municipality, given_by=w.kf, lead=w.bun, code="KF-2025-1", start_year=2025
    )
    plan = services.control_plan_create(organisation=w.bun, year=2025, user=w.official)
    risk = services.risk_save(
        Risk(plan=plan, process="Inköp", description="Inköp utanför avtal", probability=3, consequence=3),
        user=w.official,
    )
    w.control = services.control_save(
        Control(risk=risk, method="Stickprov på tio inköp", responsible="Ekonomichef"), user=w.official
    )
    services.control_plan_adopt(plan, user=w.admin, decided_by=w.bun, decided_on=datetime.date(2024, 12, 10))
    w.t1 = open_t1(w)
    w.t2 = services.period_create(municipality=w.municipality, year=2025, kind=PeriodKind.T2, user=w.admin)
    w.bun_report = report_of(w.t1, w.bun)
    w.buf_report = report_of(w.t1, w.bun_admin)
    w.sn_report = report_of(w.t1, w.sn)
    w.assessment = GoalAssessment.objects.get(report=w.bun_report, goal=w.bun1)
    w.assignment_item = AssignmentFollowUp.objects.get(report=w.bun_report, assignment=w.assignment)
    w.control_result = ControlResult.objects.get(report=w.bun_report, control=w.control)
    w.action = services.action_add(
        w.bun_report,
        user=w.official,
        measure="Vakanser tillsätts inte",
        responsible="Förvaltningschef",
        due_date=datetime.date(2025, 9, 30),
    )
    return w


def prepare(w, state):
    """Bring BUN's and BUF's reports to `state`: draft (as opened), filled (complete, still a draft), submitted (both
    sent in by the official) or approved (BUN's approved by the nämnd's decision)."""
    if state == "draft":
        return
    fill(w.bun_report, user=w.official, budget=400_000_000, outcome=130_000_000)
    fill(w.buf_report, user=w.official, budget=400_000_000, outcome=130_000_000)
    if state in ("submitted", "approved"):
        services.report_submit(report_of(w.t1, w.bun), user=w.official)
        services.report_submit(report_of(w.t1, w.bun_admin), user=w.official)
    if state == "approved":
        services.report_approve(
            report_of(w.t1, w.bun), user=w.colleague, decided_by=w.bun, decided_on=datetime.date(2025, 5, 27)
        )


def status_of(report):
    return FollowUpReport.objects.get(pk=report.pk).status


# --- The permission matrix ----------------------------------------------------------------------------------------

# Nobody in the municipality may: login for the anonymous, 404 for the foreigner, 403 for the rest.
REFUSED = {**READ, **dict.fromkeys(("outsider", "colleague", "politician", "official", "admin"), 403)}
# A report sent in or approved: nobody writes, the administrator included.
LOCKED = REFUSED
# Writing BUN's report: its editor and the administrator.
BUN_WRITE = {**REFUSED, "official": 302, "admin": 302}
BUN_FORM = {**REFUSED, "official": 200, "admin": 200}
# Writing SN's report: the outsider is its editor.
SN_WRITE = {**REFUSED, "outsider": 302, "admin": 302}
# Approving, returning or reopening BUN's report: its reviewers and those above, never its own editors.
BUN_APPROVE = {**REFUSED, "colleague": 302, "politician": 302, "admin": 302}
# BUF is below BUN: BUN's editor approves it too.
BUF_APPROVE = {**BUN_APPROVE, "official": 302}
# Comments: everyone who holds a role over BUN.
COMMENT = {**BUN_APPROVE, "official": 302}
# Periods: the administrator of the municipality.
ADMIN_WRITE = {**REFUSED, "admin": 302}
ADMIN_FORM = {**REFUSED, "admin": 200}
# "Att rapportera" is the user's own page: a foreigner sees it (with nothing of this municipality on it).
OWN_PAGE = {**READ, "foreigner": 200}


def _economy(w):
    return {"budget": "1 000", "outcome_to_date": "300", "forecast": "1 000", "deviation_analysis": ""}


def _action(w, **extra):
    return {
        "measure": "Minskade inköp",
        "responsible": "Rektor",
        "due_date": "2025-10-31",
        "status": "planned",
        **extra,
    }


def _period_deadlines(**extra):
    return {
        "deadline_unit": "2025-05-12",
        "deadline_administration": "2025-05-19",
        "deadline_committee": "2025-05-28",
        "deadline_executive_board": "2025-06-10",
        "deadline_council": "2025-06-24",
        **extra,
    }


def _url(name, attr):
    """A function of the world giving the URL of `name` for the object at `attr`."""
    return lambda w: reverse(name, args=[getattr(w, attr).pk])


def _municipality_url(name):
    return lambda w: reverse(name, args=[w.municipality.slug])


# Each case: name, method, URL, data, the state BUN's and BUF's reports are brought to, expected status per persona,
# and (for writes) a check that the write happened, so a refused write is seen to change nothing.
REPORT_WRITES = [
    (
        "summary",
        "post",
        _url("followup:report_summary", "bun_report"),
        lambda w: {"summary": "Ny sammanfattning"},
        lambda w: FollowUpReport.objects.get(pk=w.bun_report.pk).summary == "Ny sammanfattning",
    ),
    (
        "economy",
        "post",
        _url("followup:report_economy", "bun_report"),
        _economy,
        lambda w: FollowUpReport.objects.get(pk=w.bun_report.pk).budget == 1_000_000,
    ),
    (
        "assessment",
        "post",
        _url("followup:assessment_edit", "assessment"),
        lambda w: {f"a{w.assessment.pk}-assessment": "partly", f"a{w.assessment.pk}-analysis": "Nytt"},
        lambda w: GoalAssessment.objects.get(pk=w.assessment.pk).assessment == "partly",
    ),
    (
        "assignment_item",
        "post",
        _url("followup:assignment_item_edit", "assignment_item"),
        lambda w: {f"u{w.assignment_item.pk}-status": "done", f"u{w.assignment_item.pk}-comment": "Klart"},
        lambda w: AssignmentFollowUp.objects.get(pk=w.assignment_item.pk).status == "done",
    ),
    (
        "control_result",
        "post",
        _url("followup:control_result_edit", "control_result"),
        lambda w: {
            f"k{w.control_result.pk}-outcome": "deviation",
            f"k{w.control_result.pk}-findings": "Två inköp utanför avtal",
            f"k{w.control_result.pk}-measures": "Utbildning",
        },
        lambda w: ControlResult.objects.get(pk=w.control_result.pk).outcome == "deviation",
    ),
    (
        "outcome",
        "post",
        lambda w: reverse("followup:outcome_edit", args=[w.bun_report.pk, w.indicator.pk]),
        lambda w: {f"i{w.indicator.pk}-value": "88,5"},
        lambda w: Outcome.objects.filter(indicator=w.indicator, year=2025, period="T1").exists(),
    ),
    ("action_add_form", "get", _url("followup:action_add", "bun_report"), None, None),
    (
        "action_add",
        "post",
        _url("followup:action_add", "bun_report"),
        _action,
        lambda w: ActionPlan.objects.filter(measure="Minskade inköp").exists(),
    ),
    ("action_edit_form", "get", _url("followup:action_edit", "action"), None, None),
    (
        "action_edit",
        "post",
        _url("followup:action_edit", "action"),
        lambda w: _action(w, expected_version=w.action.version),
        lambda w: ActionPlan.objects.get(pk=w.action.pk).measure == "Minskade inköp",
    ),
    (
        "action_delete",
        "post",
        _url("followup:action_delete", "action"),
        lambda w: {},
        lambda w: not ActionPlan.objects.filter(pk=w.action.pk).exists(),
    ),
    ("compile", "post", _url("followup:report_compile", "bun_report"), lambda w: {}, None),
]

CASES = [
    # Reading: everybody in the municipality.
    ("report", "get", _url("followup:report", "bun_report"), None, "draft", READ, None),
    ("report_submitted", "get", _url("followup:report", "bun_report"), None, "submitted", READ, None),
    ("report_approved", "get", _url("followup:report", "bun_report"), None, "approved", READ, None),
    ("sn_report", "get", _url("followup:report", "sn_report"), None, "draft", READ, None),
    ("period_list", "get", _municipality_url("followup:period_list"), None, "draft", READ, None),
    ("period", "get", _url("followup:period", "t1"), None, "draft", READ, None),
    ("dashboard", "get", _url("followup:dashboard", "t1"), None, "draft", READ, None),
    ("to_report", "get", lambda w: reverse("followup:to_report"), None, "draft", OWN_PAGE, None),
    # Writing BUN's draft: its editor and the administrator.
    *[
        (name, method, url, data, "draft", BUN_WRITE if method == "post" else BUN_FORM, check)
        for name, method, url, data, check in REPORT_WRITES
    ],
    # The same writes once BUN's report is sent in, or approved: refused for everybody.
    *[
        (f"{name}_{state}", method, url, data, state, LOCKED, check)
        for state in ("submitted", "approved")
        for name, method, url, data, check in REPORT_WRITES
    ],
    (
        "sn_summary",
        "post",
        _url("followup:report_summary", "sn_report"),
        lambda w: {"summary": "Socialnämndens text"},
        "draft",
        SN_WRITE,
        lambda w: FollowUpReport.objects.get(pk=w.sn_report.pk).summary == "Socialnämndens text",
    ),
    # The workflow.
    (
        "submit",
        "post",
        _url("followup:report_submit", "bun_report"),
        lambda w: {},
        "filled",
        BUN_WRITE,
        lambda w: status_of(w.bun_report) == ReportStatus.SUBMITTED,
    ),
    (
        "submit_submitted",
        "post",
        _url("followup:report_submit", "bun_report"),
        lambda w: {},
        "submitted",
        LOCKED,
        None,
    ),
    (
        "submit_approved",
        "post",
        _url("followup:report_submit", "bun_report"),
        lambda w: {},
        "approved",
        LOCKED,
        lambda w: status_of(w.bun_report) == ReportStatus.SUBMITTED,
    ),
    (
        "approve",
        "post",
        _url("followup:report_approve", "bun_report"),
        lambda w: {"decided_by": w.bun.pk, "decided_on": "2025-05-27", "paragraph": "45"},
        "submitted",
        BUN_APPROVE,
        lambda w: status_of(w.bun_report) == ReportStatus.APPROVED,
    ),
    (
        "return",
        "post",
        _url("followup:report_return", "bun_report"),
        lambda w: {"comment": "Analysen av BUN1 behöver utvecklas."},
        "submitted",
        BUN_APPROVE,
        lambda w: status_of(w.bun_report) == ReportStatus.RETURNED,
    ),
    (
        "approve_buf",
        "post",
        _url("followup:report_approve", "buf_report"),
        lambda w: {"comment": "Bra."},
        "submitted",
        BUF_APPROVE,
        lambda w: status_of(w.buf_report) == ReportStatus.APPROVED,
    ),
    (
        "return_buf",
        "post",
        _url("followup:report_return", "buf_report"),
        lambda w: {"comment": "Komplettera."},
        "submitted",
        BUF_APPROVE,
        lambda w: status_of(w.buf_report) == ReportStatus.RETURNED,
    ),
    (
        "reopen",
        "post",
        _url("followup:report_reopen", "bun_report"),
        lambda w: {"reason": "Fel prognos"},
        "approved",
        BUN_APPROVE,
        lambda w: status_of(w.bun_report) == ReportStatus.DRAFT,
    ),
    (
        "comment",
        "post",
        _url("followup:comment_add", "bun_report"),
        lambda w: {"text": "Hur går det med läsningen?"},
        "draft",
        COMMENT,
        lambda w: ReportComment.objects.filter(report=w.bun_report).exists(),
    ),
    (
        "comment_submitted",
        "post",
        _url("followup:comment_add", "bun_report"),
        lambda w: {"text": "Hur går det med läsningen?"},
        "submitted",
        COMMENT,
        lambda w: ReportComment.objects.filter(report=w.bun_report).exists(),
    ),
    # Periods: the administrator.
    ("period_create_form", "get", _municipality_url("followup:period_create"), None, "draft", ADMIN_FORM, None),
    (
        "period_create",
        "post",
        _municipality_url("followup:period_create"),
        lambda w: {"year": 2026, "kind": "t1", "deviation_threshold_percent": "1,5"},
        "draft",
        ADMIN_WRITE,
        lambda w: ReportingPeriod.objects.filter(municipality=w.municipality, year=2026, kind="t1").exists(),
    ),
    ("period_edit_form", "get", _url("followup:period_edit", "t1"), None, "draft", ADMIN_FORM, None),
    (
        "period_edit",
        "post",
        _url("followup:period_edit", "t1"),
        lambda w: _period_deadlines(deviation_threshold_percent="2", expected_version=w.t1.version),
        "draft",
        ADMIN_WRITE,
        lambda w: ReportingPeriod.objects.get(pk=w.t1.pk).deviation_threshold_percent == 2,
    ),
    (
        "period_open",
        "post",
        _url("followup:period_open", "t2"),
        lambda w: {},
        "draft",
        ADMIN_WRITE,
        lambda w: ReportingPeriod.objects.get(pk=w.t2.pk).is_open,
    ),
    (
        "period_close",
        "post",
        _url("followup:period_close", "t1"),
        lambda w: {},
        "draft",
        ADMIN_WRITE,
        lambda w: not ReportingPeriod.objects.get(pk=w.t1.pk).is_open,
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "method", "path", "data", "state", "expected", "check"), CASES, ids=[c[0] for c in CASES]
)
def test_permission_matrix(client, vw, persona, name, method, path, data, state, expected, check):
    prepare(vw, state)
    client = client_for(client, vw, persona)
    url = path(vw)
    response = client.get(url) if method == "get" else client.post(url, data(vw))
    assert response.status_code == expected[persona], (name, persona, response.content[:2000])
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    if check is not None:
        allowed = persona != "anonymous" and expected[persona] == 302
        assert check(vw) is allowed, (name, persona, "the write's effect")


def test_report_page_offers_each_persona_what_they_may_do(client, vw):
    """The page shows the forms only to writers, the approval only to approvers, the comments only to those who take
    part."""
    url = reverse("followup:report", args=[vw.bun_report.pk])
    submit = reverse("followup:report_submit", args=[vw.bun_report.pk])
    approve = reverse("followup:report_approve", args=[vw.bun_report.pk])
    comment = reverse("followup:comment_add", args=[vw.bun_report.pk])
    html = client_for(client, vw, "official").get(url).content.decode()
    assert submit in html and approve not in html and comment in html
    assert reverse("followup:assessment_edit", args=[vw.assessment.pk]) in html
    html = client_for(client, vw, "outsider").get(url).content.decode()
    assert submit not in html and approve not in html and comment not in html
    assert reverse("followup:assessment_edit", args=[vw.assessment.pk]) not in html

    prepare(vw, "submitted")
    for persona in ("colleague", "politician", "admin"):
        html = client_for(client, vw, persona).get(url).content.decode()
        assert approve in html and submit not in html, persona
    html = client_for(client, vw, "official").get(url).content.decode()
    assert approve not in html and submit not in html
    assert reverse("followup:assessment_edit", args=[vw.assessment.pk]) not in html  # locked: text only
    buf = client_for(client, vw, "official").get(reverse("followup:report", args=[vw.buf_report.pk]))
    assert reverse("followup:report_approve", args=[vw.buf_report.pk]) in buf.content.decode()


# --- Saving sections with htmx -------------------------------------------------------------------------------------


def test_htmx_assessment_save_answers_saved_and_writes(client, vw):
    client.force_login(vw.official)
    item = vw.assessment
    response = client.post(
        reverse("followup:assessment_edit", args=[item.pk]),
        {
            f"a{item.pk}-assessment": "partly",
            f"a{item.pk}-forecast": "met",
            f"a{item.pk}-analysis": "Läsningen har ökat men inte nog.",
            f"a{item.pk}-expected_version": item.version,
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"Sparat \d{2}:\d{2}", html)
    assert f'id="status-a{item.pk}"' in html
    # Out of band: the new version for the next save, and the list of what is missing (no longer this goal).
    assert f'value="{item.version + 1}" hx-swap-oob="true"' in html
    assert 'id="report-problems" class="report-problems" hx-swap-oob="true"' in html
    assert "BUN1 Fler elever klarar skolan: bedömning saknas" not in html
    assert "Ekonomi: budget för året saknas." in html
    item.refresh_from_db()
    assert (item.assessment, item.forecast, item.analysis) == ("partly", "met", "Läsningen har ökat men inte nog.")
    assert item.version == 2
    assert item.history.first().history_user == vw.official


def test_plain_post_saves_and_redirects_with_a_message(client, vw):
    client.force_login(vw.official)
    item = vw.assessment
    response = client.post(
        reverse("followup:assessment_edit", args=[item.pk]),
        {f"a{item.pk}-assessment": "met", f"a{item.pk}-forecast": "met"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == vw.bun_report.get_absolute_url() + f"#mal-{vw.bun1.pk}"
    assert "Sparat." in [str(m) for m in response.context["messages"]]
    item.refresh_from_db()
    assert item.assessment == "met"


def test_htmx_economy_with_a_bad_amount_names_the_field_and_saves_nothing(client, vw):
    client.force_login(vw.official)
    response = client.post(
        reverse("followup:report_economy", args=[vw.bun_report.pk]),
        {"budget": "400 000", "outcome_to_date": "130 000", "forecast": "tolv", "deviation_analysis": "Text"},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Inte sparat:" in html
    assert "Prognos för helåret (tkr): Ange ett belopp i tkr" in html
    assert "Sparat " not in html
    report = FollowUpReport.objects.get(pk=vw.bun_report.pk)
    assert (report.budget, report.outcome_to_date, report.forecast, report.deviation_analysis) == (None, None, None, "")
    assert report.version == vw.bun_report.version


def test_htmx_economy_save_shows_the_computed_deviation(client, vw):
    client.force_login(vw.official)
    response = client.post(
        reverse("followup:report_economy", args=[vw.bun_report.pk]),
        {"budget": "400 000", "outcome_to_date": "130 000", "forecast": "410 000", "within_delegation": "False"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert re.search(r"Sparat \d{2}:\d{2}", html)
    assert 'id="economy-figures" class="economy-figures" hx-swap-oob="true"' in html
    assert "underskott" in html
    assert "Ekonomi: avvikelseanalys saknas" in html
    assert "Åtgärdsplan saknas" not in html  # BUN has a measure in its åtgärdsplan
    report = FollowUpReport.objects.get(pk=vw.bun_report.pk)
    assert (report.budget, report.forecast, report.within_delegation) == (400_000_000, 410_000_000, False)


def test_htmx_stale_save_is_refused(client, vw):
    client.force_login(vw.official)
    url = reverse("followup:report_summary", args=[vw.bun_report.pk])
    version = vw.bun_report.version
    first = client.post(url, {"summary": "Min text", "expected_version": version}, headers=HTMX)
    assert re.search(r"Sparat \d{2}:\d{2}", first.content.decode())
    stale = client.post(url, {"summary": "Din text", "expected_version": version}, headers=HTMX)
    html = stale.content.decode()
    assert "Inte sparat:" in html
    assert "Ladda om sidan" in html
    assert FollowUpReport.objects.get(pk=vw.bun_report.pk).summary == "Min text"


def test_htmx_stale_refusal_does_not_hand_out_the_new_version(client, vw):
    """After a stale refusal the writer must reload (and see the other's change) before saving again. The answer
    must not replace the form's version with the current one: the section's next change (the economy saves as you
    type) would then save the writer's stale fields over the other person's."""
    client.force_login(vw.official)
    url = reverse("followup:report_summary", args=[vw.bun_report.pk])
    version = vw.bun_report.version
    client.post(url, {"summary": "Min text", "expected_version": version}, headers=HTMX)
    stale = client.post(url, {"summary": "Din text", "expected_version": version}, headers=HTMX)
    assert f'value="{version + 1}" hx-swap-oob="true"' not in stale.content.decode()


def test_htmx_save_of_a_locked_report_is_refused(client, vw):
    prepare(vw, "submitted")
    client.force_login(vw.official)
    item = vw.assessment
    response = client.post(
        reverse("followup:assessment_edit", args=[item.pk]), {f"a{item.pk}-assessment": "not_met"}, headers=HTMX
    )
    assert response.status_code == 403
    assert GoalAssessment.objects.get(pk=item.pk).assessment == "met"


# --- The workflow through the views --------------------------------------------------------------------------------


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_submitting_an_incomplete_report_names_each_missing_item(client, vw):
    client.force_login(vw.official)
    response = client.post(reverse("followup:report_submit", args=[vw.bun_report.pk]), follow=True)
    messages = messages_of(response)
    assert messages == [
        "Rapporten kan inte skickas in ännu. Det här saknas:",
        "Målet BUN1 Fler elever klarar skolan: bedömning saknas.",
        "Målet BUN1 Fler elever klarar skolan: prognos för helåret saknas.",
        "Uppdraget KF-2025-1: status saknas.",
        "Uppdraget KF-2025-1: kommentar saknas.",
        "Ekonomi: budget för året saknas.",
        "Ekonomi: utfall hittills saknas.",
        "Ekonomi: prognos för helåret saknas.",
        "Intern kontroll Stickprov på tio inköp: resultat saknas.",
    ]
    assert status_of(vw.bun_report) == ReportStatus.DRAFT
    assert not vw.bun_report.events.exists()


def test_official_submits_and_the_reviewer_approves_with_the_decision(client, vw):
    prepare(vw, "filled")
    client.force_login(vw.official)
    response = client.post(reverse("followup:report_submit", args=[vw.bun_report.pk]), follow=True)
    assert "Rapporten har skickats in för godkännande." in messages_of(response)
    report = FollowUpReport.objects.get(pk=vw.bun_report.pk)
    assert (report.status, report.submitted_by) == (ReportStatus.SUBMITTED, vw.official)
    assert report.history.first().history_change_reason == "Inskickad"

    client.force_login(vw.colleague)
    response = client.post(
        reverse("followup:report_approve", args=[report.pk]),
        {"decided_by": vw.bun.pk, "decided_on": "2025-05-27", "paragraph": "45", "registration_number": "BUN 2025/12"},
        follow=True,
    )
    assert "Rapporten har godkänts." in messages_of(response)
    report.refresh_from_db()
    assert (report.status, report.approved_by, report.decided_by, report.paragraph) == (
        ReportStatus.APPROVED,
        vw.colleague,
        vw.bun,
        "45",
    )
    assert report.decided_on == datetime.date(2025, 5, 27)
    assert [e.kind for e in report.events.all()] == ["submitted", "approved"]


def test_return_without_comment_is_refused(client, vw):
    prepare(vw, "submitted")
    client.force_login(vw.colleague)
    url = reverse("followup:report_return", args=[vw.bun_report.pk])
    response = client.post(url, {"comment": "  "}, follow=True)
    assert any("Skriv vad som behöver ändras innan rapporten skickas tillbaka." in m for m in messages_of(response))
    assert status_of(vw.bun_report) == ReportStatus.SUBMITTED

    response = client.post(url, {"comment": "Analysen behöver utvecklas."}, follow=True)
    assert status_of(vw.bun_report) == ReportStatus.RETURNED
    assert "Analysen behöver utvecklas." in response.content.decode()  # shown on the page, to the writers too
    client.force_login(vw.official)
    html = client.get(vw.bun_report.get_absolute_url()).content.decode()
    assert "Rapporten har återremitterats." in html and "Analysen behöver utvecklas." in html


def test_approve_at_committee_level_needs_organ_and_date(client, vw):
    prepare(vw, "submitted")
    client.force_login(vw.politician)
    response = client.post(reverse("followup:report_approve", args=[vw.bun_report.pk]), {"comment": "Ok"}, follow=True)
    messages = messages_of(response)
    assert "Beslutande organ: Ange vilket organ som beslutade om rapporten." in messages
    assert "Beslutsdatum: Ange beslutsdatum." in messages
    assert status_of(vw.bun_report) == ReportStatus.SUBMITTED


def test_approve_below_committee_level_needs_no_decision(client, vw):
    prepare(vw, "submitted")
    client.force_login(vw.official)
    response = client.post(reverse("followup:report_approve", args=[vw.buf_report.pk]), {}, follow=True)
    assert "Rapporten har godkänts." in messages_of(response)
    report = FollowUpReport.objects.get(pk=vw.buf_report.pk)
    assert (report.status, report.approved_by, report.decided_by) == (ReportStatus.APPROVED, vw.official, None)


def test_reopen_needs_a_reason(client, vw):
    prepare(vw, "approved")
    client.force_login(vw.politician)
    url = reverse("followup:report_reopen", args=[vw.bun_report.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Varför öppnas rapporten igen?: Ange varför den godkända rapporten öppnas igen." in messages_of(response)
    assert status_of(vw.bun_report) == ReportStatus.APPROVED

    response = client.post(url, {"reason": "Prognosen var fel."}, follow=True)
    assert "Rapporten är öppnad för ändringar igen." in messages_of(response)
    report = FollowUpReport.objects.get(pk=vw.bun_report.pk)
    assert (report.status, report.approved_by) == (ReportStatus.DRAFT, None)
    assert report.events.last().comment == "Prognosen var fel."


def test_transitions_in_the_wrong_state_are_refused_with_a_message(client, vw):
    client.force_login(vw.colleague)
    response = client.post(
        reverse("followup:report_approve", args=[vw.bun_report.pk]),
        {"decided_by": vw.bun.pk, "decided_on": "2025-05-27"},
        follow=True,
    )
    assert "Bara en inskickad rapport kan godkännas." in messages_of(response)
    response = client.post(reverse("followup:report_reopen", args=[vw.bun_report.pk]), {"reason": "X"}, follow=True)
    assert "Bara en godkänd rapport kan öppnas igen." in messages_of(response)
    assert status_of(vw.bun_report) == ReportStatus.DRAFT


def test_comments_are_seen_by_those_who_take_part_only(client, vw):
    client.force_login(vw.politician)
    response = client.post(
        reverse("followup:comment_add", args=[vw.bun_report.pk]), {"text": "Hur går det med läsfrämjandet?"}
    )
    assert response.status_code == 302
    comment = ReportComment.objects.get(report=vw.bun_report)
    client.force_login(vw.official)
    client.post(
        reverse("followup:comment_add", args=[vw.bun_report.pk]),
        {"text": "Det går bra, se analysen.", "parent": comment.pk},
    )
    assert ReportComment.objects.get(parent=comment).author == vw.official

    url = vw.bun_report.get_absolute_url()
    for persona in ("official", "colleague", "politician", "admin"):
        html = client_for(client, vw, persona).get(url).content.decode()
        assert "Hur går det med läsfrämjandet?" in html and "Det går bra, se analysen." in html, persona
    html = client_for(client, vw, "outsider").get(url).content.decode()
    assert "Hur går det med läsfrämjandet?" not in html
    assert "Det går bra, se analysen." not in html
    assert 'id="kommentarer"' not in html


def test_reply_to_a_comment_of_another_report_is_404(client, vw):
    other = services.comment_add(vw.sn_report, user=vw.admin, text="Om SN")
    client.force_login(vw.official)
    response = client.post(
        reverse("followup:comment_add", args=[vw.bun_report.pk]), {"text": "Svar", "parent": other.pk}
    )
    assert response.status_code == 404
    assert not ReportComment.objects.filter(text="Svar").exists()


def test_empty_comment_is_refused(client, vw):
    client.force_login(vw.politician)
    response = client.post(reverse("followup:comment_add", args=[vw.bun_report.pk]), {"text": ""}, follow=True)
    assert "Kommentar: Skriv en kommentar." in messages_of(response)
    assert not ReportComment.objects.exists()


# --- Pages ---------------------------------------------------------------------------------------------------------


def _row(html, header):
    """The table row whose row header is `header`."""
    match = re.search(r'<tr><th scope="row">' + re.escape(header) + r"</th>(.*?)</tr>", html, re.S)
    assert match, header
    return match.group(1)


def test_dashboard_shows_kf_goals_as_columns_and_the_committees_as_rows(client, vw):
    item = vw.assessment
    item.assessment = Assessment.MET
    services.item_save(item, user=vw.official)
    client.force_login(vw.politician)
    html = client.get(reverse("followup:dashboard", args=[vw.t1.pk])).content.decode()
    heat = html[html.index('class="ds-table heat-map"') :]
    heat = heat[: heat.index("</table>")]
    head = heat[heat.index("<thead>") : heat.index("</thead>")]
    assert re.findall(r'<th scope="col"><a class="ds-link" href="[^"]+" title="([^"]+)">(\w+)</a>', head) == [
        ("Hållbar samhällsutveckling", "KF1"),
        ("Hög sysselsättning", "KF2"),
    ]
    body = heat[heat.index("<tbody>") : heat.index("</tbody>")]
    # In tree order (siblings by name).
    assert re.findall(r'<tr><th scope="row">([^<]+)</th>', body) == ["BUN", "KS", "SN"]
    bun = _row(body, "BUN")
    assert bun.count("<td") == 2
    first, second = bun.split("</td>")[:2]
    assert "Uppfyllt" in first and "(1)" in first  # BUN1 contributes to KF1
    assert "–" in second  # BUN has no goal under KF2
    sn = _row(body, "SN")
    assert "Ej ifyllt" in sn.split("</td>")[0]  # SN1 not assessed yet


def test_to_report_lists_the_officials_drafts_with_deadline_and_what_is_missing(client, vw):
    client.force_login(vw.official)
    html = client.get(reverse("followup:to_report")).content.decode()
    titles = re.findall(r'<h2 class="ds-heading" data-size="sm"><a class="ds-link" href="([^"]+)">([^<]+)</a>', html)
    assert titles == [
        (vw.bun_report.get_absolute_url(), "T1 Budgetuppföljning (januari–april) 2025 – Barn- och utbildningsnämnden"),
        (
            vw.buf_report.get_absolute_url(),
            "T1 Budgetuppföljning (januari–april) 2025 – Barn- och utbildningsförvaltningen",
        ),
        (report_of(vw.t1, vw.school).get_absolute_url(), "T1 Budgetuppföljning (januari–april) 2025 – Hagaskolan"),
    ]
    dates = deadlines()
    with translation.override("sv"):
        committee = date_filter(dates[DeadlineLevel.COMMITTEE], "j F Y")
        administration = date_filter(dates[DeadlineLevel.ADMINISTRATION], "j F Y")
    assert f"Sista dag {committee} (30 dagar kvar)" in html
    assert f"Försenad – sista dag var {administration}" in html
    assert "Målet BUN1 Fler elever klarar skolan: bedömning saknas." in html
    assert "Uppdraget KF-2025-1: status saknas." in html
    assert "Målet BUF1 Läsfrämjande: bedömning saknas." in html
    assert "Socialnämnden" not in html and "SN1" not in html

    # Sent in, the report leaves the list; the outsider sees SN's report only.
    prepare(vw, "submitted")
    html = client.get(reverse("followup:to_report")).content.decode()
    assert "Barn- och utbildningsnämnden" not in html and "Hagaskolan" in html
    client.force_login(vw.outsider)
    html = client.get(reverse("followup:to_report")).content.decode()
    assert "Socialnämnden" in html and "Barn- och utbildningsnämnden" not in html


def test_to_report_shows_the_approver_what_waits(client, vw):
    prepare(vw, "submitted")
    client.force_login(vw.colleague)
    html = client.get(reverse("followup:to_report")).content.decode()
    section = html[html.index("Väntar på ditt godkännande") :]
    assert vw.bun_report.get_absolute_url() in section and vw.buf_report.get_absolute_url() in section
    client.force_login(vw.official)
    html = client.get(reverse("followup:to_report")).content.decode()
    section = html[html.index("Väntar på ditt godkännande") :]
    assert vw.buf_report.get_absolute_url() in section
    assert vw.bun_report.get_absolute_url() not in section


def test_period_page_marks_late_reports(client, vw):
    prepare(vw, "submitted")  # BUF sent in: past its deadline but not late
    client.force_login(vw.politician)
    html = client.get(reverse("followup:period", args=[vw.t1.pk])).content.decode()

    def cell(organisation):
        match = re.search(
            r">" + re.escape(organisation.name) + r'</a></th>\s*<td>.*?</td>\s*<td class="([^"]*)">([^<]*)</td>',
            html,
            re.S,
        )
        assert match, organisation.name
        return match.group(1), match.group(2)

    assert cell(vw.school) == ("nowrap flag", f"{deadlines()[DeadlineLevel.UNIT]:%Y-%m-%d} försenad")
    assert cell(vw.bun_admin) == ("nowrap", f"{deadlines()[DeadlineLevel.ADMINISTRATION]:%Y-%m-%d}")
    assert cell(vw.bun) == ("nowrap", f"{deadlines()[DeadlineLevel.COMMITTEE]:%Y-%m-%d}")
    assert cell(vw.sn)[0] == "nowrap"
    assert "1 försenad" in html  # Hagaskolan only


def test_period_create_through_the_view(client, vw):
    client.force_login(vw.admin)
    response = client.post(
        reverse("followup:period_create", args=[vw.municipality.slug]),
        {"year": 2026, "kind": "t2", "deviation_threshold_percent": "1,5", "deviation_threshold_amount": "500"},
    )
    period = ReportingPeriod.objects.get(municipality=vw.municipality, year=2026, kind="t2")
    assert response["Location"] == period.get_absolute_url()
    assert (str(period.deviation_threshold_percent), period.deviation_threshold_amount) == ("1.50", 500_000)
    assert period.deadlines.get(level="committee").date == datetime.date(2026, 9, 28)
    assert not period.is_open


def test_period_create_refuses_a_duplicate_with_a_message(client, vw):
    client.force_login(vw.admin)
    response = client.post(
        reverse("followup:period_create", args=[vw.municipality.slug]),
        {"year": 2025, "kind": "t1", "deviation_threshold_percent": "1"},
    )
    assert response.status_code == 200
    assert "Kommunen har redan den uppföljningen för året." in response.content.decode()
    assert ReportingPeriod.objects.filter(municipality=vw.municipality, year=2025, kind="t1").count() == 1


# --- Query counts -------------------------------------------------------------------------------------------------


def _committee_with_children(world, n, *, code):
    """A nämnd under KF with a goal under KF1, and `n` enheter each with a plan and a goal under the nämnd's goal."""
    committee = f.make_org(parent=world.kf, name=f"Nämnd {code}", short_name=code, code=code)
    plan = f.make_plan(organisation=committee, year=2025, title=f"Nämndplan {code}")
    goal = f.make_goal(parent=world.kf1, organisation=committee, plan=plan, code=f"{code}-1", title="Nämndens mål")
    for i in range(n):
        unit = f.make_org(parent=committee, kind="unit", name=f"Enhet {code}-{i:03}", code=f"{code}-E{i}")
        unit_plan = f.make_plan(organisation=unit, year=2025, title=f"Enhetsplan {code}-{i}")
        f.make_goal(parent=goal, organisation=unit, plan=unit_plan, code=f"{code}-E{i}-1", title="Enhetens mål")
    return committee


def _assess_children(period, committee, user):
    """The enheter's assessments and economy filled, so the parent's page shows each child's assessment and figures."""
    for i, report in enumerate(
        FollowUpReport.objects.filter(period=period, organisation__parent=committee).select_related("period")
    ):
        for item in report.assessments.all():
            item.assessment = (Assessment.MET, Assessment.PARTLY_MET, Assessment.NOT_MET)[i % 3]
            item.analysis = f"Analys {i}."
            services.item_save(item, user=user)
        report.budget = 1_000_000
        report.outcome_to_date = 300_000
        report.forecast = 1_000_000 + i * 1000
        services.report_save(report, user=user)


QUERIES_REPORT_PAGE = {"editor": 27, "reviewer": 21}


@pytest.mark.parametrize("n", [10, 100])
@pytest.mark.parametrize("persona", ["editor", "reviewer"])
def test_parent_report_page_query_count(client, world, n, persona, django_assert_max_num_queries):
    committee = _committee_with_children(world, n, code=f"N{n}")
    period = open_t1(world)
    _assess_children(period, committee, world.admin)
    report = report_of(period, committee)
    services.comment_add(report, user=world.politician, text="Bra.")
    user = f.make_user(f"{persona}{n}")
    membership_grant(user=user, organisation=committee, role=persona, granted_by=None)
    client.force_login(user)
    # The session, the user and the memberships (3); the report; for the editor, what the report should hold (the
    # plan's goals, the assignments led, the controls due) and the items it has of each (6); the report's assessments,
    # assignment rows, control results and actions (4); the indicators (none here, so no outcomes or targets); the
    # children and their reports (2); the deadlines; the contributing goals, their contributes_to and assessments (3);
    # the comments; the events; the menu's municipalities; the session's save (3). None of them per child.
    with django_assert_max_num_queries(QUERIES_REPORT_PAGE[persona]):
        response = client.get(report.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<th scope="row"><a class="ds-link" href="/rapport/') == n  # a row per child report
    assert f"{n} bidragande mål" in html


@pytest.mark.parametrize("n", [3, 30])
def test_dashboard_query_count(client, world, n, django_assert_max_num_queries):
    for i in range(n):
        committee = f.make_org(parent=world.kf, name=f"Nämnd {i:02}", short_name=f"NMD{i:02}", code=f"NMD{i}")
        plan = f.make_plan(organisation=committee, year=2025, title=f"Nämndplan {i}")
        f.make_goal(parent=world.kf1, organisation=committee, plan=plan, code=f"NMD{i}-1", title="Mål")
        f.make_goal(parent=world.kf2, organisation=committee, plan=plan, code=f"NMD{i}-2", title="Mål")
    period = open_t1(world)
    client.force_login(world.politician)
    # The session, the user and the memberships (3); the period and its deadlines (2); the bodies; KF's goals; the
    # contributing goals, their contributes_to and assessments (3); the organisations; the board's assessments; the
    # reports; the assignment counts; the internal control deviations; the menu's municipalities; the session's save
    # (3). None of them per nämnd.
    with django_assert_max_num_queries(19):
        response = client.get(reverse("followup:dashboard", args=[period.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<tr><th scope="row">NMD') == n  # the heat map's rows
    assert len(re.findall(r'#ekonomi">NMD', html)) == n  # the economy table's rows


@pytest.mark.parametrize("n", [10, 100])
def test_period_page_query_count(client, world, n, django_assert_max_num_queries):
    _committee_with_children(world, n, code=f"P{n}")
    period = open_t1(world)
    client.force_login(world.politician)
    # The session, the user and the memberships (3); the period and its deadlines (2); the reports with their
    # organisations; the menu's municipalities; the session's save (3). None of them per report.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("followup:period", args=[period.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("Enhet P") == n


@pytest.mark.parametrize("n", [2, 20])
def test_to_report_query_count(client, world, n, django_assert_max_num_queries):
    committee = _committee_with_children(world, n - 1, code=f"R{n}")
    open_t1(world)
    editor = f.make_user(f"editor{n}")
    membership_grant(user=editor, organisation=committee, role="editor", granted_by=None)
    client.force_login(editor)
    # The session, the user and the memberships (3); the reports with period, municipality and organisation; the
    # periods' deadlines; the assessments, assignment rows, control results and actions (4); the reports to approve;
    # the menu's municipalities; the session's save (3). None of them per report.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("followup:to_report"))
    assert response.status_code == 200
    assert response.content.decode().count('<li class="report-card') == n
