"""
The chain upward (followup.selectors): the roll-up rule that suggests an overall assessment of a goal from the goals
that contribute to it (`suggest`, shown on the page), which goals contribute (`contributions`), the parent's and KS's
report pages built from the children's reports, the dashboard's heat map, and the constant query counts of the report
page, the dashboard and "Att rapportera".
"""

import pytest
from django.core.exceptions import ValidationError

from followup import services
from followup.choices import Assessment, ReportStatus
from followup.selectors import contributions, dashboard, report_page, suggest, to_report
from goals.services import goal_set_relations
from styrning.services import membership_grant
from tests import factories as f

from .conftest import FRAMES, MKR, fill, open_period, report_of

MET, PARTLY, NOT_MET, NOT_ASSESSED = Assessment.MET, Assessment.PARTLY_MET, Assessment.NOT_MET, Assessment.NOT_ASSESSED


def assess(report, goal, value, *, user, analysis="Analys."):
    item = report.assessments.get(goal=goal)
    item.assessment = value
    item.analysis = analysis
    return services.item_save(item, user=user)


# --- The rule ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected", "points"),
    [
        ([MET, MET, MET], MET, "2.00"),
        ([MET, PARTLY], MET, "1.50"),  # an average of exactly 1.5 is uppfyllt
        ([MET, MET, MET, NOT_MET], MET, "1.50"),
        ([MET, MET, PARTLY, NOT_MET], PARTLY, "1.25"),  # just below 1.5
        ([MET, NOT_MET], PARTLY, "1.00"),
        ([PARTLY, PARTLY], PARTLY, "1.00"),
        ([PARTLY, NOT_MET], PARTLY, "0.50"),  # exactly 0.5 is delvis uppfyllt
        ([PARTLY, NOT_MET, NOT_MET], NOT_MET, "0.33"),  # below 0.5 is ej uppfyllt
        ([NOT_MET, NOT_MET], NOT_MET, "0.00"),
        ([MET, NOT_ASSESSED, "", NOT_ASSESSED], MET, "2.00"),  # ej bedömt and blanks do not count
        ([PARTLY, NOT_MET, NOT_ASSESSED, NOT_ASSESSED, ""], PARTLY, "0.50"),
        ([NOT_ASSESSED, NOT_ASSESSED], NOT_ASSESSED, None),  # none assessed
        ([NOT_ASSESSED, ""], NOT_ASSESSED, None),
    ],
)
def test_suggest(values, expected, points):
    suggestion = suggest(values)
    assert suggestion.assessment == expected
    assert (str(suggestion.points) if suggestion.points is not None else None) == points
    assert suggestion.total == len(values)
    assert suggestion.assessed == sum(1 for v in values if v in (MET, PARTLY, NOT_MET))


def test_suggest_counts_and_labels():
    suggestion = suggest([MET, PARTLY, PARTLY, NOT_ASSESSED, ""])
    assert suggestion.counts == {"met": 1, "partly": 2, "not_met": 0, "not_assessed": 1}
    assert (suggestion.assessment, suggestion.label) == (PARTLY, "Delvis uppfyllt")
    assert suggest([NOT_ASSESSED]).label == "Ej bedömt"
    # Nothing filled in yet: no suggestion at all.
    for values in ([], ["", ""]):
        nothing = suggest(values)
        assert (nothing.assessment, nothing.points, nothing.label) == ("", None, "Ingen bedömning ännu")


# --- Which goals contribute -------------------------------------------------------------------------------------------


def test_goals_under_and_contributing_to_a_kf_goal_both_count(fw):
    w = fw
    # SN2 sits under KF2 and contributes to KF1 as well (Vaggeryd: every nämnd contributes to every KF goal).
    sn2 = f.make_goal(parent=w.kf2, organisation=w.sn, plan=w.sn_plan, code="SN2", title="Fler i arbete")
    goal_set_relations(sn2, contributes_to=[w.kf1])
    services.reports_fill([report_of(w.t1, w.sn)], user=w.admin)
    sn_report = report_of(w.t1, w.sn)
    assess(sn_report, sn2, NOT_MET, user=w.outsider)
    assess(w.bun_report, w.bun1, MET, user=w.official)

    by_goal = contributions([w.kf1.pk, w.kf2.pk], period=w.t1)
    kf1 = [(c.goal.code, c.organisation.code, c.value) for c in by_goal[w.kf1.pk]]
    assert kf1 == [("BUN1", "BUN", MET), ("SN1", "SN", ""), ("SN2", "SN", NOT_MET)]
    assert [(c.goal.code, c.value) for c in by_goal[w.kf2.pk]] == [("SN2", NOT_MET)]
    assert by_goal[w.kf1.pk][0].report == w.bun_report and by_goal[w.kf1.pk][1].report == sn_report
    # Only the nämnder's goals (not BUF's verksamhetsmål under BUN1), and only those of the given organisations.
    assert [c.goal.code for c in contributions([w.bun1.pk], period=w.t1)[w.bun1.pk]] == ["BUF1"]
    assert contributions([w.kf1.pk], period=w.t1, organisation_ids=[w.bun.pk])[w.kf1.pk][0].goal == w.bun1
    assert contributions([], period=w.t1) == {}


def test_goals_out_of_force_do_not_contribute(fw):
    w = fw
    old_plan = f.make_plan(organisation=w.sn, year=2024, title="Nämndplan SN 2024")
    f.make_goal(parent=w.kf1, organisation=w.sn, plan=old_plan, code="SN-2024", title="Fjolårets mål")
    f.make_goal(
        parent=w.kf1,
        organisation=w.sn,
        plan=w.sn_plan,
        code="SN-END",
        title="Slutade 2024",
        start_year=2023,
        end_year=2024,
    )
    assert [c.goal.code for c in contributions([w.kf1.pk], period=w.t1)[w.kf1.pk]] == ["BUN1", "SN1"]


# --- The pages up the chain -------------------------------------------------------------------------------------------


def test_parent_report_shows_the_childrens_reports_and_suggestions(fw):
    w = fw
    page = report_page(report=w.bun_report, user=w.colleague)
    [row] = page["child_rows"]
    assert (row["organisation"], row["report"], row["report"].assessed, row["report"].goals) == (
        w.bun_admin,
        w.buf_report,
        0,
        1,
    )
    [item] = page["assessments"]
    assert item.suggestion.assessment == ""  # BUF has not assessed BUF1 yet

    assess(w.buf_report, w.buf1, PARTLY, user=w.official)
    fill(w.buf_report, user=w.official, assessment=PARTLY)
    services.report_submit(w.buf_report, user=w.official)
    page = report_page(report=w.bun_report, user=w.colleague)
    [row] = page["child_rows"]
    assert (row["report"].status, row["report"].assessed) == (ReportStatus.SUBMITTED, 1)
    [item] = page["assessments"]
    assert [(c.organisation, c.value) for c in item.contributions] == [(w.bun_admin, PARTLY)]
    assert item.suggestion.assessment == PARTLY
    # A nämnd may judge its own goal differently from its förvaltning without a justification: only KS must.
    ready = fill(w.bun_report, user=w.official)
    assert report_page(report=ready, user=w.official)["problems"] == []


def test_ks_report_suggests_kf_goals_from_the_nämnd_reports(fw):
    w = fw
    assess(w.bun_report, w.bun1, MET, user=w.official)
    assess(report_of(w.t1, w.sn), w.sn1, NOT_MET, user=w.outsider)
    page = report_page(report=w.ks_report, user=w.politician)
    assert page["is_board"]
    items = {item.goal.code: item for item in page["assessments"]}
    assert [(c.goal.code, c.value) for c in items["KF1"].contributions] == [("BUN1", MET), ("SN1", NOT_MET)]
    assert (items["KF1"].suggestion.assessment, str(items["KF1"].suggestion.points)) == (PARTLY, "1.00")
    assert items["KF2"].contributions == [] and items["KF2"].suggestion is None


def test_ks_assessment_that_differs_from_the_suggestion_needs_a_justification(fw):
    w = fw
    assess(w.bun_report, w.bun1, MET, user=w.official)
    assess(report_of(w.t1, w.sn), w.sn1, NOT_MET, user=w.outsider)  # KF1: suggested delvis uppfyllt
    ks = fill(w.ks_report, user=w.admin, assessment=MET, budget=FRAMES["ks"])
    message = (
        "Målet KF1 Hållbar samhällsutveckling: motivering saknas (bedömningen avviker från den föreslagna "
        "sammanvägningen)."
    )
    with pytest.raises(ValidationError) as refused:
        services.report_submit(ks, user=w.admin)
    assert refused.value.messages == [message]  # KF2 has no contributing goals: nothing to differ from
    # Agreeing with the suggestion needs none.
    kf1 = ks.assessments.get(goal=w.kf1)
    kf1.assessment = PARTLY
    services.item_save(kf1, user=w.admin)
    assert report_page(report=ks, user=w.admin)["problems"] == []
    # Differing with a justification may be sent in.
    kf1.assessment = MET
    kf1.justification = "Nämndernas mål väger olika tungt; BUN:s resultat avgör."
    services.item_save(kf1, user=w.admin)
    services.report_submit(ks, user=w.admin)
    assert ks.status == ReportStatus.SUBMITTED


def test_council_report_shows_the_boards_assessments(fw):
    w = fw
    assess(w.ks_report, w.kf1, PARTLY, user=w.admin)
    page = report_page(report=report_of(w.t1, w.kf), user=w.politician)
    assert [(a.goal.code, a.assessment, a.report.organisation.code) for a in page["council_rows"]] == [
        ("KF1", PARTLY, "KS"),
        ("KF2", "", "KS"),
    ]
    assert [row["organisation"].code for row in page["child_rows"]] == ["BUN", "KS", "SN"]


def test_dashboard_heat_map_and_economy(fw):
    w = fw
    assess(w.bun_report, w.bun1, MET, user=w.official)
    assess(report_of(w.t1, w.sn), w.sn1, NOT_MET, user=w.outsider)
    assess(w.ks_report, w.kf1, PARTLY, user=w.admin)
    bun = fill(w.bun_report, user=w.official, forecast=410 * MKR)
    page = dashboard(period=w.t1, user=w.politician)
    heat = {
        row["organisation"].code: [cell["suggestion"] and cell["suggestion"].assessment for cell in row["cells"]]
        for row in page["heat"]
    }
    assert heat == {"KS": [None, None], "BUN": [MET, None], "SN": [NOT_MET, None]}
    columns = [
        (c["goal"].code, c["overall"] and c["overall"].assessment, c["suggestion"] and c["suggestion"].assessment)
        for c in page["goal_columns"]
    ]
    assert columns == [("KF1", PARTLY, PARTLY), ("KF2", "", None)]
    economy = {row["organisation"].code: row["deviation"] for row in page["economy"]}
    assert economy == {"KS": None, "BUN": -10 * MKR, "SN": None}
    assert bun.deviation == -10 * MKR
    assert "<svg" in page["economy_chart"]
    assert {label: n for _s, label, n in page["status_counts"]}["Utkast"] == 6
    # A foreigner sees no body and no report of this municipality.
    other = dashboard(period=w.t1, user=w.foreigner)
    assert other["heat"] == [] and other["status_rows"] == []


# --- Queries ----------------------------------------------------------------------------------------------------------


def _committee_with_children(world, n):
    """A nämnd with `n` enheter, each with a plan and a goal under the nämnd's goal; the nämnd's goal under KF1."""
    committee = f.make_org(parent=world.kf, name=f"Nämnd med {n} enheter", short_name=f"N{n}", code=f"N{n}")
    plan = f.make_plan(organisation=committee, year=2025, title=f"Nämndplan N{n}")
    goal = f.make_goal(parent=world.kf1, organisation=committee, plan=plan, code=f"N{n}-1", title="Nämndens mål")
    for i in range(n):
        unit = f.make_org(parent=committee, kind="unit", name=f"Enhet {n}-{i:03}", code=f"E{n}-{i}")
        unit_plan = f.make_plan(organisation=unit, year=2025, title=f"Enhetsplan {i}")
        f.make_goal(parent=goal, organisation=unit, plan=unit_plan, code=f"E{n}-{i}-1", title="Enhetens mål")
    return committee, goal


def _assess_all(period, user):
    """Every assessment of the period assessed, so each child's assessment is loaded and counted."""
    from followup.models import GoalAssessment

    for i, item in enumerate(GoalAssessment.objects.filter(report__period=period)):
        item.assessment = (MET, PARTLY, NOT_MET)[i % 3]
        item.analysis = "Analys."
        services.item_save(item, user=user)


@pytest.mark.parametrize("n", [10, 100])
def test_parent_report_page_query_count(world, n, django_assert_max_num_queries):
    committee, _goal = _committee_with_children(world, n)
    period = open_period(world)
    _assess_all(period, world.admin)
    services.comment_add(report_of(period, committee), user=world.politician, text="Bra.")
    report = report_of(period, committee)
    user = f.make_user(f"reader{n}")
    membership_grant(user=user, organisation=world.kf, role="reviewer", granted_by=None)
    # The user's memberships; the report's assessments, assignment rows, control results and actions; indicators
    # with outcomes and targets (3); the children and their reports; the deadlines; the contributing goals, their
    # contributes_to and their assessments (3); the previous period; the comments, the municipality, the events.
    with django_assert_max_num_queries(19):
        page = report_page(report=report, user=user)
    assert len(page["child_rows"]) == n
    [item] = page["assessments"]
    assert len(item.contributions) == n and item.suggestion.assessed == n


def test_child_rows_show_the_economy_without_queries(world, django_assert_num_queries):
    committee, _goal = _committee_with_children(world, 10)
    period = open_period(world)
    page = report_page(report=report_of(period, committee), user=world.admin)
    with django_assert_num_queries(0):
        figures = [(row["report"].result_figure, row["report"].deviation) for row in page["child_rows"]]
    assert figures == [(None, None)] * 10


@pytest.mark.parametrize("n", [3, 30])
def test_dashboard_query_count(world, n, django_assert_max_num_queries):
    for i in range(n):
        committee = f.make_org(parent=world.kf, name=f"Nämnd {i:02}", code=f"NMD{i}")
        plan = f.make_plan(organisation=committee, year=2025, title=f"Nämndplan {i}")
        f.make_goal(parent=world.kf1, organisation=committee, plan=plan, code=f"NMD{i}-1", title="Mål")
        f.make_goal(parent=world.kf2, organisation=committee, plan=plan, code=f"NMD{i}-2", title="Mål")
    period = open_period(world)
    _assess_all(period, world.admin)
    user = f.make_user(f"politician{n}")
    membership_grant(user=user, organisation=world.kf, role="reviewer", granted_by=None)
    period = type(period).objects.get(pk=period.pk)
    # The user's memberships, the municipality, the bodies, KF's goals, the contributing goals with contributes_to
    # and assessments (3), the organisations, the board's assessments, the reports, the deadlines, the assignment
    # counts, the internal control deviations.
    with django_assert_max_num_queries(14):
        page = dashboard(period=period, user=user)
    assert len(page["heat"]) == n + 3  # and KS, BUN, SN
    assert sum(cell["count"] for row in page["heat"] for cell in row["cells"]) == 2 * n + 2


@pytest.mark.parametrize("n", [10, 100])
def test_to_report_query_count(world, n, django_assert_max_num_queries):
    committee, _goal = _committee_with_children(world, n)
    open_period(world)
    editor = f.make_user(f"editor{n}")
    membership_grant(user=editor, organisation=committee, role="editor", granted_by=None)
    # The user's memberships, the reports with period, municipality and organisation, the periods' deadlines, the
    # assessments, assignment rows, control results and actions.
    with django_assert_max_num_queries(7):
        rows = to_report(user=editor)
    assert len(rows) == n + 1
    assert rows[0]["problems"] == [
        f"Målet N{n}-1 Nämndens mål: bedömning saknas.",
        f"Målet N{n}-1 Nämndens mål: prognos för helåret saknas.",
        "Ekonomi: budget för året saknas.",
        "Ekonomi: utfall hittills saknas.",
        "Ekonomi: prognos för helåret saknas.",
    ]


def test_to_report_lists_only_writable_reports_of_open_periods(fw):
    w = fw
    codes = [row["report"].organisation.code for row in to_report(user=w.official)]
    assert codes == ["BUN", "BUF", "HAGA"]
    services.report_submit(fill(w.buf_report, user=w.official), user=w.official)
    assert [row["report"].organisation.code for row in to_report(user=w.official)] == ["BUN", "HAGA"]
    assert to_report(user=w.colleague) == [] and to_report(user=w.politician) == []
    services.period_close(w.t1, user=w.admin)
    assert to_report(user=w.official) == []
