"""
Reads of the follow-up shared by views, services and (later) the PDF reports. Every function runs a constant number
of queries, whatever the number of organisations, goals or child reports.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments.models import Assignment
from assignments.selectors import active_in
from budget.choices import FRAME_ORGANISATION_KINDS, DecisionStatus
from budget.models import Budget, Frame
from goals.choices import OUTCOME_PERIOD_ORDER, GoalKind, GoalLevel, Trend
from goals.choices import TrafficLight as Light
from goals.models import Goal, Indicator, Outcome
from goals.selectors import in_force, traffic_light, trend
from styrning.choices import OrganisationKind
from styrning.models import Organisation
from styrning.permissions import ADMIN, APPROVE, CHANGE, VIEW, can, restrict, takes_part

from .choices import (
    ANALYSIS_REQUIRED_FOR,
    ASSESSMENT_POINTS,
    CONSEQUENCE_LABELS,
    DEADLINE_LEVEL_OF_KIND,
    OUTCOME_PERIOD,
    PROBABILITY_LABELS,
    SCALE,
    SHORT_NAMES,
    WRITABLE_STATUSES,
    Assessment,
    ControlOutcome,
    PeriodKind,
    PlanStatus,
    ReportStatus,
    RiskBand,
    risk_band,
)
from .models import (
    ActionPlan,
    AssignmentFollowUp,
    Control,
    ControlResult,
    FollowUpReport,
    GoalAssessment,
    InternalControlPlan,
    ReportingPeriod,
    Risk,
)

# --- What a report holds --------------------------------------------------------------------------------------------


def plan_goals(organisation_ids, year):
    """The goals (not activities) of the organisations' plans that apply in `year`, in force that year."""
    goals = Goal.objects.filter(plan__organisation__in=organisation_ids).exclude(
        kind__in=(GoalKind.VISION, GoalKind.ACTIVITY)
    )
    goals = goals.filter(
        Q(plan__year=year) | Q(plan__mandate_period__start_year__lte=year, plan__mandate_period__end_year__gte=year)
    )
    return in_force(goals, year)


def council_goals(municipality_id, year):
    """KF's goals in force in `year`: the executive board (KS) assesses them for the council."""
    goals = Goal.objects.filter(municipality_id=municipality_id, level=GoalLevel.MUNICIPAL).exclude(
        kind=GoalKind.ACTIVITY
    )
    return in_force(goals, year)


def report_goal_ids(reports):
    """{report id: [goal ids it assesses]} for loaded reports of one period (two queries at most)."""
    if not reports:
        return {}
    year = reports[0].period.year
    by_org = defaultdict(list)
    for goal_id, org_id in plan_goals([r.organisation_id for r in reports], year).values_list(
        "pk", "plan__organisation_id"
    ):
        by_org[org_id].append(goal_id)
    result = {r.pk: list(by_org.get(r.organisation_id, [])) for r in reports}
    # KF's own goals are assessed by KS for the council (002: "via Kommunstyrelsen upp till Kommunfullmäktige").
    council_ids = {r.pk for r in reports if r.organisation.kind == OrganisationKind.COUNCIL}
    for pk in council_ids:
        result[pk] = []
    boards = [r for r in reports if r.organisation.kind == OrganisationKind.EXECUTIVE_BOARD]
    if boards:
        kf_ids = list(council_goals(boards[0].organisation.municipality_id, year).values_list("pk", flat=True))
        for report in boards:
            result[report.pk] = kf_ids + [g for g in result[report.pk] if g not in kf_ids]
    return result


def report_assignment_ids(reports):
    """{report id: [assignment ids the organisation leads that apply in the year]} (one query)."""
    if not reports:
        return {}
    year = reports[0].period.year
    by_org = defaultdict(list)
    rows = active_in(Assignment.objects.filter(lead__in=[r.organisation_id for r in reports]), year)
    for pk, lead_id in rows.values_list("pk", "lead_id"):
        by_org[lead_id].append(pk)
    return {r.pk: by_org.get(r.organisation_id, []) for r in reports}


def report_control_ids(reports):
    """{report id: [(control id, followed-up result id or None)]}: the controls of the organisation's internal control
    plan reported in this tertial, and the controls whose deviation in the previous report is followed up (004:
    "återrapportering av internkontrollen sker tertialvis"). Two queries.
    """
    if not reports:
        return {}
    period = reports[0].period
    org_ids = [r.organisation_id for r in reports]
    controls = Control.objects.filter(
        risk__plan__organisation__in=org_ids,
        risk__plan__year=period.year,
        risk__plan__status=PlanStatus.ADOPTED,
        risk__in_plan=True,
    ).filter(**{f"report_{period.kind}": True})
    by_org = defaultdict(list)
    for pk, org_id in controls.values_list("pk", "risk__plan__organisation_id"):
        by_org[org_id].append((pk, None))
    previous = previous_period(period)
    if previous is not None:
        deviations = ControlResult.objects.filter(
            report__period=previous,
            report__organisation__in=org_ids,
            outcome__in=(ControlOutcome.DONE_DEVIATION, ControlOutcome.NOT_DONE),
        )
        for result_id, control_id, org_id in deviations.values_list("pk", "control_id", "report__organisation_id"):
            entries = by_org[org_id]
            existing = next((i for i, (c, _r) in enumerate(entries) if c == control_id), None)
            if existing is None:
                entries.append((control_id, result_id))
            else:
                entries[existing] = (control_id, result_id)
    return {r.pk: by_org.get(r.organisation_id, []) for r in reports}


def previous_period(period):
    """The follow-up before `period` in the same year (T2 → T1, T3 → T2), or None. One query."""
    order = ["t1", "t2", "t3"]
    index = order.index(period.kind)
    if index == 0:
        return None
    return ReportingPeriod.objects.filter(
        municipality_id=period.municipality_id, year=period.year, kind=order[index - 1]
    ).first()


def frames_in_force(municipality_id, year):
    """{organisation id: the year's frame in kronor} from the budget decision in force (the latest decided version of
    the budget that covers the year), adjustments and the assignments' money included. A few queries.
    """
    from assignments.models import AssignmentAmount
    from budget.selectors import frame_rows, totals_by_organisation

    budgets = list(Budget.objects.filter(municipality_id=municipality_id, year__lte=year, year__gte=year - 2))
    budget = next((b for b in budgets if b.year == year), max(budgets, key=lambda b: b.year) if budgets else None)
    if budget is None:
        return {}
    decision = budget.decisions.filter(status=DecisionStatus.DECIDED).order_by("-number").first()
    if decision is None:
        return {}
    frames = list(
        Frame.objects.filter(decision=decision, year=year)
        .select_related("organisation")
        .prefetch_related("adjustments__assignment")
    )
    amounts = list(
        AssignmentAmount.objects.filter(assignment__municipality_id=municipality_id, year=year).select_related(
            "assignment", "organisation"
        )
    )
    organisations = list(
        Organisation.objects.filter(municipality_id=municipality_id, kind__in=FRAME_ORGANISATION_KINDS).order_by(
            "tree_id", "lft"
        )
    )
    rows = frame_rows(frames=frames, amounts=amounts, years=[year], organisations=organisations)
    return totals_by_organisation(rows, year)


# --- The report's problems (what stops it from being sent in) ------------------------------------------------------


def report_problems(report, *, assessments, assignment_items, control_results, actions):
    """The Swedish messages naming each missing item; empty when the report may be sent in. No query: pass the
    report's loaded items (assessments with goal, assignment items with assignment, control results with control).
    """
    problems = []
    period = report.period
    for item in assessments:
        name = f"{item.goal.code} {item.goal.title}".strip()
        if not item.assessment:
            problems.append(_("Målet %(goal)s: bedömning saknas.") % {"goal": name})
        if period.has_forecast and not item.forecast:
            problems.append(_("Målet %(goal)s: prognos för helåret saknas.") % {"goal": name})
        if item.assessment in ANALYSIS_REQUIRED_FOR and not item.analysis.strip():
            problems.append(_("Målet %(goal)s: analys saknas (krävs när målet inte är uppfyllt).") % {"goal": name})
        # KS sets the overall assessment of KF's goals; where it differs from the roll-up it says why.
        suggestion = (
            getattr(item, "suggestion", None)
            if report.organisation.kind == OrganisationKind.EXECUTIVE_BOARD and item.goal.level == GoalLevel.MUNICIPAL
            else None
        )
        if suggestion is not None and not suggestion.assessed:
            suggestion = None  # nothing below is assessed yet: there is no roll-up to differ from
        if (
            suggestion is not None
            and suggestion.assessment
            and item.assessment
            and item.assessment != suggestion.assessment
            and not item.justification.strip()
        ):
            problems.append(
                _("Målet %(goal)s: motivering saknas (bedömningen avviker från den föreslagna sammanvägningen).")
                % {"goal": name}
            )
    for item in assignment_items:
        if not item.status:
            problems.append(_("Uppdraget %(code)s: status saknas.") % {"code": item.assignment.code})
        if not item.comment.strip():
            problems.append(_("Uppdraget %(code)s: kommentar saknas.") % {"code": item.assignment.code})
    if report.budget is None:
        problems.append(_("Ekonomi: budget för året saknas."))
    if report.outcome_to_date is None:
        problems.append(_("Ekonomi: utfall hittills saknas."))
    if period.has_forecast and report.forecast is None:
        problems.append(_("Ekonomi: prognos för helåret saknas."))
    if report.deviation_passes_threshold():
        if not report.deviation_analysis.strip():
            problems.append(
                _(
                    "Ekonomi: avvikelseanalys saknas (avvikelsen är större än gränsen; "
                    "även en positiv avvikelse ska analyseras)."
                )
            )
        if period.has_forecast and report.deviation < 0 and report.within_delegation is None:
            problems.append(_("Ekonomi: ange om underskottet kan hanteras inom delegation."))
    if report.needs_action_plan() and not actions:
        problems.append(_("Åtgärdsplan saknas: underskottet kan inte hanteras inom delegation."))
    for item in control_results:
        name = str(item.control)
        if not item.outcome:
            problems.append(_("Intern kontroll %(control)s: resultat saknas.") % {"control": name})
        elif item.outcome != ControlOutcome.DONE_OK and not item.findings.strip():
            problems.append(_("Intern kontroll %(control)s: iakttagelser saknas.") % {"control": name})
        if item.outcome == ControlOutcome.DONE_DEVIATION and not item.measures.strip():
            problems.append(_("Intern kontroll %(control)s: åtgärder saknas för avvikelsen.") % {"control": name})
    return problems


# --- The roll-up --------------------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    """The suggested overall assessment of a goal from the assessments of the goals that contribute to it."""

    assessment: str = ""
    counts: dict = field(default_factory=dict)
    points: Decimal | None = None
    assessed: int = 0
    total: int = 0

    @property
    def label(self):
        return Assessment(self.assessment).label if self.assessment else _("Ingen bedömning ännu")


def suggest(assessments):
    """The roll-up rule, shown on the page: every assessed goal counts the same, uppfyllt 2, delvis uppfyllt 1, ej
    uppfyllt 0 points; an average of at least 1.5 suggests uppfyllt, at least 0.5 delvis uppfyllt, below that ej
    uppfyllt. Goals not assessed, or "ej bedömt", do not count; with only "ej bedömt" the suggestion is "ej bedömt", and
    with nothing filled in yet there is no suggestion ("").
    """
    values = list(assessments)
    counts = {choice.value: 0 for choice in Assessment}
    for value in values:
        if value:
            counts[value] += 1
    scored = [ASSESSMENT_POINTS[v] for v in values if v in ASSESSMENT_POINTS]
    suggestion = Suggestion(counts=counts, assessed=len(scored), total=len(values))
    if not any(values):
        return suggestion  # nothing filled in yet: no suggestion
    if not scored:
        suggestion.assessment = Assessment.NOT_ASSESSED
        return suggestion
    average = Decimal(sum(scored)) / len(scored)
    suggestion.points = average.quantize(Decimal("0.01"))
    if average >= Decimal("1.5"):
        suggestion.assessment = Assessment.MET
    elif average >= Decimal("0.5"):
        suggestion.assessment = Assessment.PARTLY_MET
    else:
        suggestion.assessment = Assessment.NOT_MET
    return suggestion


@dataclass
class Contribution:
    """A goal of a child organisation that contributes to a goal of the report, with its assessment this period."""

    goal: Goal
    organisation: Organisation
    report: FollowUpReport | None
    assessment: GoalAssessment | None

    @property
    def value(self):
        return self.assessment.assessment if self.assessment else ""


def contributions(goal_ids, *, period, organisation_ids=None, level=None):
    """{goal id: [Contribution]}: the goals whose parent is, or that contribute to, one of `goal_ids` (optionally of
    these organisations, or at this goal level), with their assessment in their organisation's report of the period.
    Three queries whatever the number of goals.
    """
    if not goal_ids:
        return {}
    candidates = Goal.objects.filter(Q(parent__in=goal_ids) | Q(contributes_to__in=goal_ids)).exclude(
        kind=GoalKind.ACTIVITY
    )
    if organisation_ids is not None:
        candidates = candidates.filter(organisation__in=organisation_ids)
    if level is not None:
        candidates = candidates.filter(level=level)
    candidates = in_force(candidates, period.year).filter(
        Q(plan__year=period.year)
        | Q(plan__mandate_period__start_year__lte=period.year, plan__mandate_period__end_year__gte=period.year)
    )
    goals = {
        g.pk: g
        for g in candidates.select_related("organisation").prefetch_related(
            Prefetch("contributes_to", queryset=Goal.objects.only("pk"))
        )
    }
    assessments = {
        a.goal_id: a
        for a in GoalAssessment.objects.filter(report__period=period, goal__in=list(goals)).select_related("report")
    }
    wanted = set(goal_ids)
    result = defaultdict(list)
    for goal in sorted(goals.values(), key=lambda g: (g.organisation.tree_id, g.organisation.lft, g.tree_id, g.lft)):
        targets = {goal.parent_id} | {c.pk for c in goal.contributes_to.all()}
        assessment = assessments.get(goal.pk)
        for target in targets & wanted:
            result[target].append(
                Contribution(
                    goal=goal,
                    organisation=goal.organisation,
                    report=assessment.report if assessment else None,
                    assessment=assessment,
                )
            )
    return result


# --- Indicators in a period --------------------------------------------------------------------------------------


@dataclass
class IndicatorRow:
    """An indicator of an assessed goal with its outcome in the period, judged against the year's target."""

    goal: Goal
    indicator: object
    outcome: Outcome | None
    target: Decimal | None
    previous: Outcome | None
    light: str
    trend: str
    form: object = None

    @property
    def light_label(self):
        return Light(self.light).label

    @property
    def trend_label(self):
        return Trend(self.trend).label


def _indicator_row(goal, indicator, period):
    order = OUTCOME_PERIOD_ORDER
    key = (period.year, order[OUTCOME_PERIOD[period.kind]])
    outcomes = sorted(indicator.outcomes.all(), key=lambda o: (o.year, order[o.period]))
    outcome = next((o for o in outcomes if (o.year, order[o.period]) == key), None)
    earlier = [o for o in outcomes if (o.year, order[o.period]) < key]
    previous = earlier[-1] if earlier else None
    targets = {t.year: t.value for t in indicator.targets.all()}
    target = targets.get(period.year)
    value = outcome.value if outcome else None
    return IndicatorRow(
        goal=goal,
        indicator=indicator,
        outcome=outcome,
        target=target,
        previous=previous,
        light=traffic_light(value, target, indicator.direction, indicator.tolerance_percent),
        trend=trend(previous.value if previous else None, value, indicator.direction),
    )


def period_indicator_rows(goals, period):
    """The indicators of `goals` with their outcome in the period, light and trend. Three queries."""
    indicators = (
        Indicator.objects.filter(goal__in=[g.pk for g in goals])
        .prefetch_related(
            Prefetch("outcomes", queryset=Outcome.objects.filter(year__lte=period.year)),
            "targets",
        )
        .order_by("goal", "pk")
    )
    by_goal = defaultdict(list)
    for indicator in indicators:
        by_goal[indicator.goal_id].append(indicator)
    return [_indicator_row(goal, indicator, period) for goal in goals for indicator in by_goal.get(goal.pk, [])]


def indicator_row(indicator, period):
    """One indicator's row (after its outcome was saved). Three queries."""
    indicator = (
        Indicator.objects.filter(pk=indicator.pk)
        .select_related("goal")
        .prefetch_related(Prefetch("outcomes", queryset=Outcome.objects.filter(year__lte=period.year)), "targets")
        .get()
    )
    return _indicator_row(indicator.goal, indicator, period)


# --- Pages ----------------------------------------------------------------------------------------------------------


def deadline_for(period_deadlines, organisation):
    """The deadline of the organisation's level among the period's loaded deadlines, or None."""
    level = DEADLINE_LEVEL_OF_KIND[organisation.kind]
    return next((d.date for d in period_deadlines if d.level == level), None)


def is_late(report, deadline, today=None):
    today = today or timezone.localdate()
    return deadline is not None and report.status in WRITABLE_STATUSES and deadline < today


def status_rows(reports, deadlines, today):
    """[{report, deadline, late}] for loaded reports of one period and its loaded deadlines. No query."""
    rows = []
    for report in reports:
        deadline = deadline_for(deadlines, report.organisation)
        rows.append({"report": report, "deadline": deadline, "late": is_late(report, deadline, today)})
    return rows


def report_items(report):
    """The report's items, loaded for the page and for its problems (five queries)."""
    assessments = list(
        report.assessments.select_related("goal", "goal__organisation", "goal__parent").order_by(
            "goal__level", "goal__tree_id", "goal__lft"
        )
    )
    assignment_items = list(
        report.assignment_items.select_related("assignment", "assignment__given_by").order_by("assignment__code")
    )
    control_results = list(
        report.control_results.select_related("control", "control__risk", "follows_up", "follows_up__report__period")
    )
    actions = list(report.actions.order_by("due_date", "pk"))
    return assessments, assignment_items, control_results, actions


def _attach_suggestions(report, assessments, goal_ids, children=None):
    """Give each assessment its contributing goals and the roll-up's suggestion (`contributions`, `suggestion`)."""
    period = report.period
    by_goal = contributions(goal_ids, period=period, organisation_ids=[c.pk for c in children] if children else None)
    if report.organisation.kind == OrganisationKind.EXECUTIVE_BOARD:
        # KF's goals roll up from the nämnders' (and bolagens) goals, wherever they sit in the tree.
        kf_ids = [a.goal_id for a in assessments if a.goal.level == GoalLevel.MUNICIPAL]
        by_goal.update(contributions(kf_ids, period=period, level=GoalLevel.COMMITTEE))
    for item in assessments:
        item.contributions = by_goal.get(item.goal_id, [])
        item.suggestion = suggest([c.value for c in item.contributions]) if item.contributions else None


def submission_problems(report):
    """What stops the report from being sent in, and its assignment rows: the same list the page shows, in fewer
    queries (no indicators, comments or child reports)."""
    assessments, assignment_items, control_results, actions = report_items(report)
    if report.organisation.kind == OrganisationKind.EXECUTIVE_BOARD:
        kf = [a for a in assessments if a.goal.level == GoalLevel.MUNICIPAL]
        _attach_suggestions(report, kf, [], None)
    problems = report_problems(
        report,
        assessments=assessments,
        assignment_items=assignment_items,
        control_results=control_results,
        actions=actions,
    )
    return problems, assignment_items


def report_page(*, report, user, today=None):
    """Everything the report page shows, in a constant number of queries (however many goals or child reports)."""
    today = today or timezone.localdate()
    period = report.period
    organisation = report.organisation
    assessments, assignment_items, control_results, actions = report_items(report)
    goal_ids = [a.goal_id for a in assessments]

    indicator_rows = period_indicator_rows([a.goal for a in assessments], period)

    # Children's reports and what their goals say about ours.
    children = list(Organisation.objects.filter(parent=organisation).order_by("tree_id", "lft"))
    child_reports = {
        r.organisation_id: r
        for r in FollowUpReport.objects.filter(period=period, organisation__in=children)
        .select_related("organisation", "period")
        .annotate(assessed=Count("assessments", filter=~Q(assessments__assessment="")), goals=Count("assessments"))
    }
    deadlines = list(period.deadlines.all())
    child_rows = []
    for child in children:
        child_report = child_reports.get(child.pk)
        child_rows.append(
            {
                "organisation": child,
                "report": child_report,
                "deadline": deadline_for(deadlines, child),
                "late": child_report is not None and is_late(child_report, deadline_for(deadlines, child), today),
            }
        )
    if organisation.kind == OrganisationKind.COUNCIL:
        # KF's report shows how KS assessed KF's goals.
        board_goals = council_goals(organisation.municipality_id, period.year)
        council_rows = list(
            GoalAssessment.objects.filter(
                report__period=period, report__organisation__parent=organisation, goal__in=board_goals
            )
            .select_related("goal", "report__organisation")
            .order_by("goal__tree_id", "goal__lft")
        )
    else:
        council_rows = []
    _attach_suggestions(report, assessments, goal_ids, children)

    previous = previous_period(period)
    previous_report = (
        FollowUpReport.objects.filter(period=previous, organisation=organisation).first() if previous else None
    )
    previous_assessments = (
        {a.goal_id: a for a in previous_report.assessments.all()} if previous_report is not None else {}
    )
    for item in assessments:
        item.previous = previous_assessments.get(item.goal_id)

    deadline = deadline_for(deadlines, organisation)
    comments = []
    if takes_part(user, organisation):
        comments = list(report.comments.select_related("author").order_by("created", "pk"))
    threads = _threads(comments)
    writable = can(user, report, CHANGE)  # a report sent in or approved is locked (lock_path)
    problems = report_problems(
        report,
        assessments=assessments,
        assignment_items=assignment_items,
        control_results=control_results,
        actions=actions,
    )
    return {
        "report": report,
        "period": period,
        "organisation": organisation,
        "municipality": organisation.municipality,
        "assessments": assessments,
        "indicator_rows": indicator_rows,
        "assignment_items": assignment_items,
        "control_results": control_results,
        "actions": actions,
        "child_rows": child_rows,
        "council_rows": council_rows,
        "previous_report": previous_report,
        "deadline": deadline,
        "late": is_late(report, deadline, today),
        "problems": problems,
        "writable": writable,
        "may_approve": report.status == ReportStatus.SUBMITTED and can(user, report, APPROVE),
        "may_reopen": report.status == ReportStatus.APPROVED and can(user, report, APPROVE),
        "may_comment": takes_part(user, organisation),
        "threads": threads,
        "events": list(report.events.select_related("user")),
        "is_board": organisation.kind == OrganisationKind.EXECUTIVE_BOARD,
    }


def _threads(comments):
    """Top-level comments each with `thread_replies` (all replies below it, in order). No query."""
    by_id = {c.pk: c for c in comments}
    roots = []
    for comment in comments:
        comment.thread_replies = []
    for comment in comments:
        root = comment
        while root.parent_id is not None and root.parent_id in by_id:
            root = by_id[root.parent_id]
        if root is comment:
            roots.append(comment)
        else:
            root.thread_replies.append(comment)
    return roots


def period_list(*, municipality, user):
    """The municipality's periods, newest first, with report counts per status (two queries)."""
    periods = list(
        restrict(ReportingPeriod.objects.filter(municipality=municipality), user, VIEW)
        .prefetch_related("deadlines")
        .annotate(
            report_count=Count("reports"),
            approved_count=Count("reports", filter=Q(reports__status=ReportStatus.APPROVED)),
            submitted_count=Count("reports", filter=Q(reports__status=ReportStatus.SUBMITTED)),
        )
        .order_by("-year", "-kind")
    )
    return periods


def period_page(*, period, user, today=None):
    """A period's reports per organisation in tree order, with deadline, lateness and the problems count."""
    today = today or timezone.localdate()
    deadlines = list(period.deadlines.all())
    reports = list(
        restrict(FollowUpReport.objects.filter(period=period), user, VIEW)
        .select_related("organisation", "organisation__parent")
        .order_by("organisation__tree_id", "organisation__lft")
    )
    rows = status_rows(reports, deadlines, today)
    counts = defaultdict(int)
    for report in reports:
        counts[report.status] += 1
    return {
        "period": period,
        "deadlines": deadlines,
        "rows": rows,
        "counts": [(status, status.label, counts.get(status.value, 0)) for status in ReportStatus],
        "late_count": sum(1 for r in rows if r["late"]),
    }


def to_report(*, user, today=None):
    """ "Att rapportera": the reports of open periods the user may write, with deadline and what is missing."""
    today = today or timezone.localdate()
    reports = list(
        restrict(FollowUpReport.objects.filter(period__is_open=True, status__in=WRITABLE_STATUSES), user, CHANGE)
        .select_related("period", "period__municipality", "organisation")
        .prefetch_related("period__deadlines")
        .order_by("period__year", "period__kind", "organisation__tree_id", "organisation__lft")
    )
    # Load each report's items in bulk for its problems: four queries for all of them.
    ids = [r.pk for r in reports]
    assessments = defaultdict(list)
    for item in GoalAssessment.objects.filter(report__in=ids).select_related("goal"):
        assessments[item.report_id].append(item)
    assignment_items = defaultdict(list)
    for item in AssignmentFollowUp.objects.filter(report__in=ids).select_related("assignment"):
        assignment_items[item.report_id].append(item)
    control_results = defaultdict(list)
    for item in ControlResult.objects.filter(report__in=ids).select_related("control"):
        control_results[item.report_id].append(item)
    actions = defaultdict(list)
    for item in ActionPlan.objects.filter(report__in=ids):
        actions[item.report_id].append(item)
    rows = []
    for report in reports:
        deadline = deadline_for(list(report.period.deadlines.all()), report.organisation)
        problems = report_problems(
            report,
            assessments=assessments[report.pk],
            assignment_items=assignment_items[report.pk],
            control_results=control_results[report.pk],
            actions=actions[report.pk],
        )
        rows.append(
            {
                "report": report,
                "deadline": deadline,
                "late": is_late(report, deadline, today),
                "days_left": (deadline - today).days if deadline else None,
                "problems": problems,
            }
        )
    return rows


# --- The dashboard -------------------------------------------------------------------------------------------------


def dashboard(*, period, user, today=None):
    """The politicians' overview of a period: heat map (nämnder × KF goals), economy per nämnd, assignments, internal
    control deviations and report status. A constant number of queries whatever the size of the municipality.
    """
    today = today or timezone.localdate()
    municipality = period.municipality
    nämnd_kinds = (OrganisationKind.EXECUTIVE_BOARD, OrganisationKind.COMMITTEE, OrganisationKind.COMPANY)
    bodies = list(
        restrict(Organisation.objects.filter(municipality=municipality, kind__in=nämnd_kinds), user, VIEW).order_by(
            "tree_id", "lft"
        )
    )
    kf_goals = list(council_goals(municipality.pk, period.year).order_by("tree_id", "lft"))
    by_goal = contributions([g.pk for g in kf_goals], period=period, level=GoalLevel.COMMITTEE)

    def body_of(organisation):
        """The first body (in tree order) whose subtree holds the organisation; a group company's bolag count for
        the group."""
        return next((b for b in bodies if b.contains(organisation)), None)

    heat = []
    for body in bodies:
        cells = []
        for goal in kf_goals:
            values = [c.value for c in by_goal.get(goal.pk, []) if body_of(c.organisation) == body]
            cells.append({"goal": goal, "suggestion": suggest(values) if values else None, "count": len(values)})
        heat.append({"organisation": body, "cells": cells})
    board_assessments = {
        a.goal_id: a
        for a in GoalAssessment.objects.filter(
            report__period=period, report__organisation__kind=OrganisationKind.EXECUTIVE_BOARD, goal__in=kf_goals
        )
    }
    goal_columns = [
        {
            "goal": goal,
            "overall": board_assessments.get(goal.pk),
            "suggestion": suggest([c.value for c in by_goal.get(goal.pk, [])]) if by_goal.get(goal.pk) else None,
        }
        for goal in kf_goals
    ]

    reports = list(
        restrict(FollowUpReport.objects.filter(period=period), user, VIEW)
        .select_related("organisation", "period")
        .order_by("organisation__tree_id", "organisation__lft")
    )
    report_of = {r.organisation_id: r for r in reports}
    economy = []
    for body in bodies:
        report = report_of.get(body.pk)
        economy.append({"organisation": body, "report": report, "deviation": report.deviation if report else None})
    deadlines = list(period.deadlines.all())
    rows = status_rows(reports, deadlines, today)
    status_counts = defaultdict(int)
    for r in reports:
        status_counts[r.status] += 1

    items = AssignmentFollowUp.objects.filter(report__period=period, report__in=[r.pk for r in reports])
    assignment_counts = {row["status"]: row["n"] for row in items.values("status").annotate(n=Count("pk"))}
    control_deviations = list(
        ControlResult.objects.filter(
            report__in=[r.pk for r in reports],
            outcome__in=(ControlOutcome.DONE_DEVIATION, ControlOutcome.NOT_DONE),
        )
        .select_related("control__risk", "report__organisation")
        .order_by("report__organisation__tree_id", "report__organisation__lft")
    )
    return {
        "period": period,
        "municipality": municipality,
        "economy_chart": economy_chart(economy, period),
        "goal_columns": goal_columns,
        "heat": heat,
        "economy": economy,
        "status_rows": rows,
        "status_counts": [(s, s.label, status_counts.get(s.value, 0)) for s in ReportStatus],
        "assignment_rows": [
            (label, assignment_counts.get(value, 0))
            for value, label in [*AssignmentFollowUp._meta.get_field("status").choices, ("", _("Inte rapporterat"))]
        ],
        "assignment_total": sum(assignment_counts.values()),
        "control_deviations": control_deviations,
        "late_count": sum(1 for row in rows if row["late"]),
    }


def economy_chart(economy, period):
    """The full-year deviation per nämnd in tkr as horizontal bars (surplus right, deficit left)."""
    from styrning.charts import bar_chart
    from styrning.money import THOUSAND

    bars = [
        (row["organisation"].label, None if row["deviation"] is None else Decimal(row["deviation"]) / THOUSAND)
        for row in economy
    ]
    if all(value is None for _label, value in bars):
        return ""
    title = (
        _("Prognostiserad avvikelse mot budget per nämnd, tkr")
        if period.has_forecast
        else _("Avvikelse mot budget per nämnd, tkr")
    )
    return bar_chart(
        title=str(title),
        bars=bars,
        unit="tkr",
        desc=str(_("Positivt värde är överskott, negativt underskott.")),
    )


# --- Internal control ---------------------------------------------------------------------------------------------


@dataclass
class MatrixCell:
    probability: int
    consequence: int
    risks: list = field(default_factory=list)

    @property
    def value(self):
        return self.probability * self.consequence

    @property
    def band(self):
        return risk_band(self.value)


def risk_matrix(risks):
    """The 4 × 4 matrix, rows from probability 4 down to 1, columns consequence 1 to 4, each cell with its risks."""
    cells = {(p, c): MatrixCell(p, c) for p in range(1, 5) for c in range(1, 5)}
    for risk in risks:
        cells[(risk.probability, risk.consequence)].risks.append(risk)
    return [[cells[(p, c)] for c in range(1, 5)] for p in range(4, 0, -1)]


def matrix_labels():
    """The matrix partial's consequence columns and the bands of its legend."""
    return {
        "consequence_columns": [(value, CONSEQUENCE_LABELS[value]) for value in SCALE],
        "bands": list(RiskBand),
    }


def _matrix_rows(matrix):
    return [(row[0].probability, PROBABILITY_LABELS[row[0].probability], row) for row in matrix]


def _attach_tertials(risks):
    """Per control: for T1, T2 and T3 whether it is reported then and the result of that period's report."""
    for risk in risks:
        for control in risk.controls.all():
            by_kind = {result.report.period.kind: result for result in control.period_results}
            control.tertials = [
                {
                    "kind": kind,
                    "short": SHORT_NAMES[kind],
                    "label": kind.label,
                    "due": control.reported_in(kind),
                    "result": by_kind.get(kind),
                }
                for kind in PeriodKind
            ]


def control_plan_page(*, plan, user):
    """One plan: its risks numbered in the order they were added (the matrix shows the numbers) and listed by value,
    highest first; each control with its result per tertial; the matrix. Three queries."""
    risks = list(plan.risks.prefetch_related("controls").order_by("pk"))
    for number, risk in enumerate(risks, start=1):
        risk.number = number  # the same number in the matrix and in the list
    risks.sort(key=lambda r: (-r.value, r.number))
    results = list(
        ControlResult.objects.filter(control__risk__plan=plan)
        .select_related("report__period", "control")
        .order_by("report__period__kind")
    )
    results_by_control = defaultdict(list)
    for result in results:
        results_by_control[result.control_id].append(result)
    for risk in risks:
        for control in risk.controls.all():
            control.period_results = results_by_control.get(control.pk, [])
    _attach_tertials(risks)
    matrix = risk_matrix(risks)
    return {
        "plan": plan,
        "organisation": plan.organisation,
        "municipality": plan.organisation.municipality,
        "risks": risks,
        "matrix": matrix,
        "matrix_rows": _matrix_rows(matrix),
        **matrix_labels(),
        # An adopted plan is changed by reopening it (administrators), never in place.
        "editable": can(user, plan, CHANGE) and not plan.is_adopted,
        "can_admin": can(user, plan, ADMIN),
        "missing_controls": [risk for risk in risks if risk.in_plan and not risk.controls.all()],
        "chosen_count": sum(1 for risk in risks if risk.in_plan),
        "control_tertials": [{"short": SHORT_NAMES[kind], "label": kind.label} for kind in PeriodKind],
    }


def control_plans(*, municipality, user, year):
    """The year's internal control plans in tree order, each with its number of chosen risks and its chosen risks in
    the red band; KS's summary: the municipality-wide matrix of the chosen risks (each cell with the organisations
    and their counts) and the control deviations reported. Three queries.
    """
    plans = list(
        restrict(InternalControlPlan.objects.filter(organisation__municipality=municipality, year=year), user, VIEW)
        .select_related("organisation")
        .annotate(risk_count=Count("risks"))
        .order_by("organisation__tree_id", "organisation__lft")
    )
    risks = list(Risk.objects.filter(plan__in=[p.pk for p in plans], in_plan=True).select_related("plan__organisation"))
    risks.sort(key=lambda r: (-r.value, r.plan.organisation.lft))
    chosen = defaultdict(int)
    high = defaultdict(list)
    for risk in risks:
        chosen[risk.plan_id] += 1
        if risk.band == RiskBand.HIGH:
            high[risk.plan_id].append(risk)
    for plan in plans:
        plan.chosen_count = chosen.get(plan.pk, 0)
        plan.high_risks = high.get(plan.pk, [])
    matrix = risk_matrix(risks)
    for row in matrix:
        for cell in row:
            counts = {}
            for risk in cell.risks:
                organisation = risk.plan.organisation
                counts.setdefault(organisation.pk, [organisation, 0])[1] += 1
            cell.organisations = sorted(counts.values(), key=lambda entry: (entry[0].tree_id, entry[0].lft))
    deviations = list(
        ControlResult.objects.filter(
            control__risk__plan__in=[p.pk for p in plans],
            outcome__in=(ControlOutcome.DONE_DEVIATION, ControlOutcome.NOT_DONE),
        )
        .select_related("control__risk__plan__organisation", "report__period")
        .order_by("report__period__kind")
    )
    return {
        "plans": plans,
        "matrix": matrix,
        "matrix_rows": _matrix_rows(matrix),
        **matrix_labels(),
        "risks": risks,
        "high_total": sum(len(h) for h in high.values()),
        "deviations": deviations,
        "adopted_count": sum(1 for p in plans if p.status == PlanStatus.ADOPTED),
    }


def control_plan_years(*, municipality, user):
    return sorted(
        set(
            restrict(
                InternalControlPlan.objects.filter(organisation__municipality=municipality), user, VIEW
            ).values_list("year", flat=True)
        ),
        reverse=True,
    )


def approvable_reports(*, user):
    """Reports sent in that the user may approve or return (for Min sida and the period page)."""
    return list(
        restrict(FollowUpReport.objects.filter(status=ReportStatus.SUBMITTED), user, APPROVE)
        .select_related("period", "organisation")
        .order_by("period__year", "period__kind", "organisation__tree_id", "organisation__lft")
    )
