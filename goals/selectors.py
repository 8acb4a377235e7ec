"""
Reads of the goal chain shared by views (and later by reports). Every queryset passes through
styrning.permissions.restrict, and each function fetches in a constant number of queries whatever the tree's size.
Tree access stays here and in services so that a later move away from django-mptt stays local.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from styrning.models import Organisation, SteeringDocument
from styrning.permissions import CHANGE, VIEW, editable_organisations, get_scope, restrict

from .choices import (
    OUTCOME_PERIOD_ORDER,
    ActivityStatus,
    Direction,
    GoalKind,
    GoalLevel,
    OutcomePeriod,
    PlanStatus,
    Trend,
)
from .choices import TrafficLight as Light
from .models import Goal, Indicator, Outcome, Plan, Target, Value

# --- Indicator rules: computed, never typed -------------------------------------------------------------------------

TRAFFIC_LIGHT_RULE = _(
    "Grönt när utfallet når årets målvärde. Gult när utfallet ligger inom indikatorns marginal (normalt 10 %) "
    "från målvärdet. Rött när det ligger längre bort. Trenden jämför det senaste utfallet med det föregående, "
    "med hänsyn till om högre eller lägre är bättre."
)


def traffic_light(value, target, direction, tolerance_percent):
    """Green on target, yellow within the tolerance band around it, red beyond; none without both numbers."""
    if value is None or target is None:
        return Light.NONE
    margin = abs(Decimal(target)) * Decimal(tolerance_percent) / Decimal(100)
    if direction == Direction.DECREASE:
        if value <= target:
            return Light.GREEN
        return Light.YELLOW if value <= target + margin else Light.RED
    if value >= target:
        return Light.GREEN
    return Light.YELLOW if value >= target - margin else Light.RED


def trend(previous, latest, direction):
    """Better, same or worse than the previous outcome, given which direction is better."""
    if previous is None or latest is None:
        return Trend.NONE
    if latest == previous:
        return Trend.SAME
    improved = latest > previous if direction == Direction.INCREASE else latest < previous
    return Trend.BETTER if improved else Trend.WORSE


@dataclass
class IndicatorSummary:
    """An indicator with its outcomes in time order, the latest one, the target it is judged by, light and trend."""

    indicator: Indicator
    outcomes: list = field(default_factory=list)
    targets: dict = field(default_factory=dict)
    latest: object = None
    target: Decimal | None = None
    light: str = Light.NONE
    trend: str = Trend.NONE

    @property
    def light_label(self):
        return Light(self.light).label

    @property
    def trend_label(self):
        return Trend(self.trend).label


def _outcome_key(outcome):
    return (outcome.year, OUTCOME_PERIOD_ORDER[outcome.period])


def summarise_indicator(indicator):
    """Compute the summary from the indicator's prefetched outcomes (all, or `latest_outcomes`: the two latest, see
    indicator_prefetch) and targets (no query)."""
    prefetched = getattr(indicator, "latest_outcomes", None)
    outcomes = sorted(indicator.outcomes.all() if prefetched is None else prefetched, key=_outcome_key)
    targets = {t.year: t.value for t in indicator.targets.all()}
    summary = IndicatorSummary(indicator=indicator, outcomes=outcomes, targets=targets)
    if outcomes:
        latest = outcomes[-1]
        summary.latest = latest
        earlier_target_years = [y for y in targets if y <= latest.year]
        if latest.year in targets:
            summary.target = targets[latest.year]
        elif earlier_target_years:
            summary.target = targets[max(earlier_target_years)]
        summary.light = traffic_light(latest.value, summary.target, indicator.direction, indicator.tolerance_percent)
        previous = outcomes[-2].value if len(outcomes) > 1 else None
        summary.trend = trend(previous, latest.value, indicator.direction)
    return summary


def indicator_chart(summary, *, title=None):
    """The outcome series of an indicator as an SVG line chart with its targets (the same chart in pages and PDFs)."""
    from styrning.charts import line_chart

    indicator = summary.indicator
    yearly = [o for o in summary.outcomes if o.period == OutcomePeriod.YEAR] or summary.outcomes
    values = {(o.year, OUTCOME_PERIOD_ORDER[o.period]): (o.label, o.value) for o in yearly}
    # One time axis for outcomes and targets, in time order; a target year without an outcome is a gap in the line.
    keys = sorted(set(values) | {(year, OUTCOME_PERIOD_ORDER[OutcomePeriod.YEAR]) for year in summary.targets})
    labels = [values[key][0] if key in values else str(key[0]) for key in keys]
    series = [(label, values[key][1] if key in values else None) for label, key in zip(labels, keys, strict=True)]
    target = [(label, summary.targets.get(key[0])) for label, key in zip(labels, keys, strict=True)]
    target = target if summary.targets else None
    unit = indicator.unit or ""
    if title is None:
        title = _("%(name)s: utfall med målvärden") if target else _("%(name)s: utfall")
        title = title % {"name": indicator.name}
    return line_chart(title=str(title), series=series, target=target, unit=unit)


def indicator_prefetch():
    """Each goal's indicators with what their light and trend need: the two latest outcomes and the targets, as
    slim rows (three queries in all). Pages that chart a series fetch the whole series themselves."""
    latest = Outcome.objects.only("id", "indicator_id", "year", "period", "value").order_by("-year", "-period")[:2]
    targets = Target.objects.only("id", "indicator_id", "year", "value")
    return Prefetch(
        "indicators",
        queryset=Indicator.objects.prefetch_related(
            Prefetch("outcomes", queryset=latest, to_attr="latest_outcomes"), Prefetch("targets", queryset=targets)
        ),
    )


def attach_summaries(goals):
    """Give each goal `.summaries` (IndicatorSummary per indicator) from prefetched indicators; returns the goals."""
    for goal in goals:
        goal.summaries = [summarise_indicator(i) for i in goal.indicators.all()]
    return goals


# --- The goal chain ------------------------------------------------------------------------------------------------


def _goal_queryset(user):
    return (
        restrict(Goal.objects.all(), user, VIEW)
        .select_related("organisation", "plan")
        .prefetch_related(indicator_prefetch())
    )


@dataclass
class TreeNode:
    goal: Goal
    children: list = field(default_factory=list)
    loaded: bool = True

    @property
    def has_children(self):
        return self.goal.rght - self.goal.lft > 1


def _build_nodes(goals, *, root_ids, eager_depth):
    """Nest goals fetched in tree order by parent_id (a dict, not MPTT's cache: much faster on big trees)."""
    nodes = {g.pk: TreeNode(goal=g) for g in goals}
    roots = []
    for goal in goals:
        node = nodes[goal.pk]
        node.loaded = goal.depth < eager_depth
        parent = nodes.get(goal.parent_id)
        if goal.pk in root_ids or parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    return roots


def goal_tree(*, municipality, user, eager_depth):
    """The top of the municipality's goal tree down to `eager_depth` (vision = 0); deeper levels load on demand.

    Queries: goals (with organisation and plan), indicators, outcomes, targets.
    """
    goals = list(_goal_queryset(user).filter(municipality=municipality, depth__lte=eager_depth))
    attach_summaries(goals)
    roots = {g.pk for g in goals if g.parent_id is None}
    return _build_nodes(goals, root_ids=roots, eager_depth=eager_depth)


def goal_children(*, goal, user, eager_depth=1):
    """The children (and grandchildren up to `eager_depth` levels) of a goal, for lazy loading; four queries."""
    goals = list(
        _goal_queryset(user).filter(
            tree_id=goal.tree_id, lft__gt=goal.lft, rght__lt=goal.rght, depth__lte=goal.depth + eager_depth
        )
    )
    attach_summaries(goals)
    children_ids = {g.pk for g in goals if g.parent_id == goal.pk}
    return _build_nodes(goals, root_ids=children_ids, eager_depth=goal.depth + eager_depth)


def in_force(goals, year):
    """The goals whose years include `year` (open-ended goals count as in force)."""
    return goals.filter(Q(start_year__isnull=True) | Q(start_year__lte=year)).filter(
        Q(end_year__isnull=True) | Q(end_year__gte=year)
    )


def goal_search(*, municipality, user, filters):
    """Goals matching the chain's filters, in tree order, each with its parent (for the chain's flat view)."""
    qs = _goal_queryset(user).filter(municipality=municipality).select_related("parent")
    if filters.get("organisation"):
        org = filters["organisation"]
        qs = qs.filter(
            organisation__tree_id=org.tree_id, organisation__lft__gte=org.lft, organisation__rght__lte=org.rght
        )
    if filters.get("level") not in (None, ""):
        qs = qs.filter(level=filters["level"])
    if filters.get("perspective"):
        qs = qs.filter(perspective=filters["perspective"])
    if filters.get("sdg_goal"):
        sdg = filters["sdg_goal"]
        qs = qs.filter(Q(sdg_goals=sdg) | Q(sdg_targets__goal=sdg)).distinct()
    if filters.get("year"):
        qs = in_force(qs, filters["year"])
    if filters.get("q"):
        q = filters["q"]
        qs = qs.filter(Q(title__icontains=q) | Q(code__icontains=q))
    return qs.order_by("tree_id", "lft")


def goal_detail(*, goal, user):
    """Everything the goal page shows, in a constant number of queries."""
    ancestors = list(restrict(goal.get_ancestors(), user, VIEW).select_related("organisation"))
    children = list(
        _goal_queryset(user).filter(parent=goal).annotate(indicator_count=Count("indicators", distinct=True))
    )
    attach_summaries(children)
    indicators = list(Indicator.objects.filter(goal=goal).prefetch_related("outcomes", "targets").order_by("name"))
    summaries = [summarise_indicator(i) for i in indicators]
    for summary in summaries:
        summary.chart = indicator_chart(summary)
    contributes_to = list(restrict(goal.contributes_to.all(), user, VIEW).select_related("organisation"))
    contributors = list(restrict(goal.contributors.all(), user, VIEW).select_related("organisation"))
    documents = list(restrict(goal.documents.all(), user, VIEW).select_related("decided_by"))
    return {
        "ancestors": ancestors,
        "children": children,
        "summaries": summaries,
        "contributes_to": contributes_to,
        "contributors": contributors,
        "documents": documents,
        "sdg_goals": list(goal.sdg_goals.all()),
        "sdg_targets": list(goal.sdg_targets.select_related("goal")),
        "traffic_light_rule": TRAFFIC_LIGHT_RULE,
    }


# --- Huset, plans, Min sida, Målanalys -----------------------------------------------------------------------------


def vision_of(municipality):
    """The root of the municipality's goal tree (its vision), or None."""
    return Goal.objects.filter(municipality=municipality, kind=GoalKind.VISION).first()


def plan_years(*, municipality):
    """The years that have yearly plans, newest first."""
    return list(
        Plan.objects.filter(organisation__municipality=municipality, year__isnull=False)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )


def default_plan_year(years):
    """The current year if it has plans, else the latest year with plans not after next year."""
    today = timezone.localdate().year
    candidates = [y for y in years if y <= today + 1]
    if today in years:
        return today
    return max(candidates) if candidates else (years[0] if years else today)


def plans_for_year(*, municipality, user, year):
    """Plans in force in `year`: the year's plans and mandate-period plans covering it, in organisation order."""
    qs = restrict(Plan.objects.filter(organisation__municipality=municipality), user, VIEW)
    qs = qs.filter(Q(year=year) | Q(mandate_period__start_year__lte=year, mandate_period__end_year__gte=year))
    return list(
        qs.select_related("organisation", "mandate_period", "decided_by")
        .annotate(goal_count=Count("goals"))
        .order_by("organisation__tree_id", "organisation__lft", "kind")
    )


def house(*, municipality, user, year):
    """Huset: vision, värdegrund, KF goals with their indicators' lights, plans, current styrdokument."""
    from styrning.selectors import current_documents

    kf_goals = list(
        in_force(_goal_queryset(user).filter(municipality=municipality, level=GoalLevel.MUNICIPAL), year).order_by(
            "tree_id", "lft"
        )
    )
    attach_summaries(kf_goals)
    return {
        "vision": restrict(Goal.objects.filter(municipality=municipality, kind=GoalKind.VISION), user, VIEW).first(),
        "values": list(restrict(Value.objects.filter(municipality=municipality), user, VIEW)),
        "kf_goals": kf_goals,
        "plans": plans_for_year(municipality=municipality, user=user, year=year),
        "documents": current_documents(municipality=municipality, user=user),
    }


def my_page(*, user, today=None):
    """Min sida: the user's organisations, their plans, and what awaits the user there."""
    today = today or timezone.localdate()
    scope = get_scope(user)
    memberships = scope.memberships
    editable = Q(pk__in=[])
    for org in scope.organisations(("editor", "admin")):
        editable |= Q(
            organisation__tree_id=org.tree_id, organisation__lft__gte=org.lft, organisation__rght__lte=org.rght
        )
    visible = Q(pk__in=[])
    for m in memberships:
        org = m.organisation
        visible |= Q(
            organisation__tree_id=org.tree_id, organisation__lft__gte=org.lft, organisation__rght__lte=org.rght
        )
    plans = list(
        restrict(Plan.objects.filter(visible), user, VIEW)
        .filter(Q(year__gte=today.year - 1) | Q(mandate_period__end_year__gte=today.year))
        .select_related("organisation", "mandate_period", "decided_by")
        .annotate(goal_count=Count("goals"))
        .order_by("organisation__tree_id", "organisation__lft", "-year")[:50]
    )
    draft_plans = [p for p in plans if p.status == PlanStatus.DRAFT] if scope.organisations(("editor", "admin")) else []
    goals_without_indicators = list(
        restrict(Goal.objects.filter(editable), user, CHANGE)
        .exclude(kind__in=(GoalKind.VISION, GoalKind.ACTIVITY))
        .filter(indicators__isnull=True, level__gte=GoalLevel.COMMITTEE)
        .select_related("organisation")
        .order_by("tree_id", "lft")[:20]
    )
    late_activities = list(
        restrict(Goal.objects.filter(editable), user, VIEW)
        .filter(kind=GoalKind.ACTIVITY, end_date__lt=today)
        .exclude(activity_status__in=(ActivityStatus.DONE, ActivityStatus.CANCELLED))
        .select_related("organisation")
        .order_by("end_date")[:20]
    )
    documents_due = list(
        restrict(SteeringDocument.objects.filter(editable), user, VIEW)
        .filter(revision_due__lt=today)
        .select_related("organisation")
        .order_by("revision_due")[:20]
    )
    return {
        "memberships": memberships,
        "plans": plans,
        "draft_plans": draft_plans,
        "goals_without_indicators": goals_without_indicators,
        "late_activities": late_activities,
        "documents_due": documents_due,
    }


@dataclass
class LevelAnalysis:
    level: int
    goal_count: int = 0
    with_indicator: int = 0
    bare_leaves: list = field(default_factory=list)

    @property
    def label(self):
        return GoalLevel(self.level).label

    @property
    def indicator_share(self):
        return round(100 * self.with_indicator / self.goal_count) if self.goal_count else 0


SPREAD_RULE = _("Flaggas när ett av fullmäktiges mål får en tredjedel eller mer av nämndernas och bolagens mål.")


def goal_analysis(*, municipality, user, year=None):
    """Målanalys (seed 001, automated): per level the number of goals, the share with an indicator, the goals with
    neither indicator nor children, and how the nämnd goals spread over the KF goals. Three queries.
    """
    qs = restrict(Goal.objects.filter(municipality=municipality), user, VIEW).exclude(
        kind__in=(GoalKind.VISION, GoalKind.ACTIVITY)
    )
    if year:
        qs = in_force(qs, year)
    rows = list(qs.values_list("pk", "level", "parent_id", "code", "title", "lft", "rght"))
    with_indicator = set(
        Indicator.objects.filter(goal__municipality=municipality).values_list("goal_id", flat=True).distinct()
    )
    levels = {}
    for pk, level, _parent, code, title, lft, rght in rows:
        analysis = levels.setdefault(level, LevelAnalysis(level=level))
        analysis.goal_count += 1
        if pk in with_indicator:
            analysis.with_indicator += 1
        elif rght - lft == 1:
            analysis.bare_leaves.append({"pk": pk, "code": code, "title": title})
    kf_goals = [
        (pk, code, title) for pk, level, _parent, code, title, _lft, _rght in rows if level == GoalLevel.MUNICIPAL
    ]
    committee_by_parent = defaultdict(int)
    committee_total = 0
    for _pk, level, parent_id, *_rest in rows:
        if level == GoalLevel.COMMITTEE:
            committee_total += 1
            committee_by_parent[parent_id] += 1
    spread = []
    for pk, code, title in kf_goals:
        count = committee_by_parent.get(pk, 0)
        share = round(100 * count / committee_total) if committee_total else 0
        flag = committee_total > 0 and count * 3 >= committee_total
        spread.append({"pk": pk, "code": code, "title": title, "count": count, "share": share, "flag": flag})
    return {
        "levels": [levels[k] for k in sorted(levels)],
        "spread": spread,
        "committee_total": committee_total,
        "spread_rule": SPREAD_RULE,
    }


def writable_child_organisations(*, goal, user, for_activity=False):
    """Organisations where the user may add a goal under `goal`: below the goal's organisation (KF goals: any
    organisation below KF; the vision: KF itself), or the goal's own organisation for an activity."""
    org = goal.organisation
    if for_activity or goal.kind == GoalKind.VISION:
        orgs = Organisation.objects.filter(pk=org.pk)
    else:
        orgs = Organisation.objects.filter(tree_id=org.tree_id, lft__gt=org.lft, rght__lt=org.rght)
    return editable_organisations(user, orgs).order_by("tree_id", "lft")


def organisations_for_filter(*, municipality, user):
    return list(restrict(Organisation.objects.filter(municipality=municipality), user, VIEW).order_by("tree_id", "lft"))
