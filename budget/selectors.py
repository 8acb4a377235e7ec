"""
Reads of Budget med plan and the årshjul, shared by the views (and later by the PDF reports). Every queryset passes
through styrning.permissions.restrict, and each page is read in a constant number of queries whatever the number of
organisations, frames, adjustments or assignment amounts.

The arithmetic is on whole kronor (int) and Decimal, never on floats:
- a frame in force = the frame before adjustments + the budget's own adjustments + the money of the assignments
  (assignments.AssignmentAmount) whose receiver lies in the organisation's subtree;
- the result = tax revenue and general state grants + net financial items − the sum of the frames (the nämnders'
  net costs);
- the financial goal: the result as a share of tax revenue and general grants (a percentage rounded half up to one
  decimal, the figure the page shows) at least the result target;
- the balanskrav: the revenue exceeds the costs, i.e. the result is above zero.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments.models import Assignment, AssignmentAmount
from styrning.charts import grouped_bar_chart
from styrning.choices import OrganisationKind
from styrning.models import Organisation
from styrning.money import format_mkr
from styrning.permissions import CHANGE, VIEW, can, editable_organisations, is_locked, restrict

from .choices import FRAME_ORGANISATION_KINDS, DecisionStatus
from .models import Budget, BudgetAssumptions, BudgetDecision, Calendar, Frame, FrameAdjustment, Milestone

ONE_DECIMAL = Decimal("0.1")
HUNDRED = Decimal(100)

# --- Arithmetic -------------------------------------------------------------------------------------------------------


def percent(part, whole):
    """`part` as a percentage of `whole`, rounded half up to one decimal (Decimal); None without a whole."""
    if part is None or not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass
class AdjustmentLine:
    """One reason for a change of a frame across the budget's years: the budget's own adjustment, or the money of an
    assignment (entered on the assignment, never copied into the budget)."""

    label: str
    assignment: Assignment | None = None
    from_assignment: bool = False
    amounts: dict = field(default_factory=dict)  # year -> kronor
    adjustments: dict = field(default_factory=dict)  # year -> FrameAdjustment (own lines only)
    cells: list = field(default_factory=list)  # (year, amount, adjustment) per year of the table, in order


@dataclass
class FrameCell:
    """An organisation's frame for one year, with what it is made of and the change from the year before."""

    year: int
    frame: Frame | None = None
    adjustments: int = 0
    assignment_money: int = 0
    previous_total: int | None = None

    @property
    def base(self):
        return self.frame.amount if self.frame is not None else None

    @property
    def total(self):
        """The frame in force; None when the organisation has neither a frame nor assignment money this year."""
        if self.frame is None and not self.assignment_money:
            return None
        return (self.base or 0) + self.adjustments + self.assignment_money

    @property
    def change(self):
        if self.total is None or self.previous_total is None:
            return None
        return self.total - self.previous_total

    @property
    def change_percent(self):
        return percent(self.change, self.previous_total)


@dataclass
class FrameRow:
    """An organisation's frames over the budget's years, with the lines that adjust them."""

    organisation: Organisation
    cells: list = field(default_factory=list)
    lines: list = field(default_factory=list)

    def cell(self, year):
        return next(cell for cell in self.cells if cell.year == year)


def _containing(organisation, candidates):
    """The deepest of `candidates` whose subtree holds `organisation` (no query: tree fields)."""
    found = None
    for candidate in candidates:
        if candidate.contains(organisation) and (found is None or candidate.level > found.level):
            found = candidate
    return found


def frame_rows(*, frames, amounts, years, organisations, previous_totals=None):
    """Build the rows of a frame table from loaded objects (no query).

    `frames` are one decision's frames with their adjustments (prefetched, each with its assignment); `amounts` the
    assignment amounts (with assignment and organisation) of the years; `organisations` the organisations that may
    hold a frame, in tree order: an amount is counted in the frame of the deepest of them that contains its receiver.
    `previous_totals` maps organisation id to the frame in force the year before the first year (for its change).
    Rows come in the order of `organisations`; an organisation without frame or money has no row.
    """
    previous_totals = previous_totals or {}
    organisations = list(organisations)
    frame_owners = {frame.organisation_id: frame.organisation for frame in frames}
    candidates = organisations + [o for pk, o in frame_owners.items() if pk not in {c.pk for c in organisations}]
    rows = {}

    def row_for(organisation):
        row = rows.get(organisation.pk)
        if row is None:
            row = FrameRow(organisation=organisation, cells=[FrameCell(year=year) for year in years])
            rows[organisation.pk] = row
        return row

    for frame in frames:
        if frame.year not in years:
            continue
        row = row_for(frame.organisation)
        cell = row.cell(frame.year)
        cell.frame = frame
        for adjustment in frame.adjustments.all():
            cell.adjustments += adjustment.amount
            key = (adjustment.reason, adjustment.assignment_id)
            line = next((ln for ln in row.lines if not ln.from_assignment and (ln.label, _line_id(ln)) == key), None)
            if line is None:
                line = AdjustmentLine(label=adjustment.reason, assignment=adjustment.assignment)
                row.lines.append(line)
            line.amounts[frame.year] = line.amounts.get(frame.year, 0) + adjustment.amount
            line.adjustments[frame.year] = adjustment
    for amount in amounts:
        if amount.year not in years:
            continue
        owner = _containing(amount.organisation, candidates)
        if owner is None:
            continue
        row = row_for(owner)
        row.cell(amount.year).assignment_money += amount.amount
        line = next((ln for ln in row.lines if ln.from_assignment and ln.assignment.pk == amount.assignment_id), None)
        if line is None:
            line = AdjustmentLine(label=str(amount.assignment), assignment=amount.assignment, from_assignment=True)
            row.lines.append(line)
        line.amounts[amount.year] = line.amounts.get(amount.year, 0) + amount.amount
    order = {organisation.pk: position for position, organisation in enumerate(candidates)}
    ordered = sorted(rows.values(), key=lambda row: order.get(row.organisation.pk, len(order)))
    for row in ordered:
        previous = previous_totals.get(row.organisation.pk)
        for cell in row.cells:
            cell.previous_total = previous
            previous = cell.total
        row.lines.sort(key=lambda line: (line.from_assignment, line.label))
        for line in row.lines:
            line.cells = [(year, line.amounts.get(year), line.adjustments.get(year)) for year in years]
    return ordered


def _line_id(line):
    return line.assignment.pk if line.assignment is not None else None


def totals_by_organisation(rows, year):
    """{organisation id: frame in force} for one year of the rows."""
    return {row.organisation.pk: row.cell(year).total for row in rows if row.cell(year).total is not None}


@dataclass
class YearResult:
    """The budget's result for one year and what follows from it: the financial goal and the balanskrav."""

    year: int
    net_costs: int  # the sum of the frames in force
    assumptions: BudgetAssumptions | None = None

    @property
    def tax_revenue(self):
        return self.assumptions.tax_revenue if self.assumptions else None

    @property
    def financial_items(self):
        return self.assumptions.financial_items if self.assumptions else None

    @property
    def target_percent(self):
        return self.assumptions.result_target_percent if self.assumptions else None

    @property
    def result(self):
        """Tax revenue and general grants + net financial items − the nämnders' net costs (kronor)."""
        if self.assumptions is None:
            return None
        return self.assumptions.tax_revenue + self.assumptions.financial_items - self.net_costs

    @property
    def result_percent(self):
        """The result as a share of tax revenue and general grants, in percent (one decimal, half up)."""
        return percent(self.result, self.tax_revenue)

    @property
    def goal_met(self):
        """The financial goal (resultatmål) is met: the share shown is at least the target. None if unknown."""
        if self.result_percent is None or self.target_percent is None:
            return None
        return self.result_percent >= self.target_percent

    @property
    def balanced(self):
        """The balanskrav: the revenue exceeds the costs. None if unknown."""
        if self.result is None:
            return None
        return self.result > 0

    @property
    def deficit(self):
        """The deficit (positive kronor) when the result is negative, else 0."""
        return -self.result if self.result is not None and self.result < 0 else 0

    @property
    def net_cost_per_inhabitant(self):
        if not self.assumptions or not self.assumptions.population:
            return None
        return (Decimal(self.net_costs) / Decimal(self.assumptions.population)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )


def budget_results(rows, assumptions, years):
    """One YearResult per year from the frame rows and the planning prerequisites (no query)."""
    by_year = {a.year: a for a in assumptions}
    results = []
    for year in years:
        net_costs = sum(row.cell(year).total or 0 for row in rows)
        results.append(YearResult(year=year, net_costs=net_costs, assumptions=by_year.get(year)))
    return results


@dataclass
class ChangeCell:
    year: int
    before: int | None
    after: int | None

    @property
    def change(self):
        if self.before is None and self.after is None:
            return None
        return (self.after or 0) - (self.before or 0)


def decision_changes(before_rows, after_rows, years):
    """Per organisation and year, the frame in force before and after (e.g. June → November); changed rows only."""
    before = {row.organisation.pk: row for row in before_rows}
    after = {row.organisation.pk: row for row in after_rows}
    organisations = [row.organisation for row in after_rows] + [
        row.organisation for row in before_rows if row.organisation.pk not in after
    ]
    changes = []
    for organisation in organisations:
        cells = []
        for year in years:
            old = before[organisation.pk].cell(year).total if organisation.pk in before else None
            new = after[organisation.pk].cell(year).total if organisation.pk in after else None
            cells.append(ChangeCell(year=year, before=old, after=new))
        if any(cell.change for cell in cells):
            changes.append({"organisation": organisation, "cells": cells})
    return changes


def frames_chart(rows, years, *, title=None):
    """The frames in force per organisation over the years as a grouped bar chart (one SVG for pages and PDFs)."""
    if title is None:
        title = _("Ramar per organisation %(first)s–%(last)s") % {"first": years[0], "last": years[-1]}
    return grouped_bar_chart(
        title=str(title),
        categories=[row.organisation.label for row in rows],
        groups=[(str(year), [row.cell(year).total for row in rows]) for year in years],
        value_format=format_mkr,
        width=880,
    )


# --- Budgets and decisions -------------------------------------------------------------------------------------------


def budget_years(*, municipality, user):
    """The budget years of the municipality, newest first."""
    return list(
        restrict(Budget.objects.filter(municipality=municipality), user, VIEW)
        .values_list("year", flat=True)
        .order_by("-year")
    )


def default_budget_year(years, today=None):
    """The current year's budget if there is one, else the latest."""
    this_year = (today or timezone.localdate()).year
    if this_year in years:
        return this_year
    return max(years) if years else this_year


def current_decision(decisions):
    """The version in force: the latest decided one, else the latest draft (decisions in number order)."""
    decided = [d for d in decisions if d.status == DecisionStatus.DECIDED]
    if decided:
        return decided[-1]
    return decisions[-1] if decisions else None


def _frames_with_adjustments(user):
    adjustments = restrict(FrameAdjustment.objects.select_related("assignment"), user, VIEW).order_by("pk")
    return (
        restrict(Frame.objects.all(), user, VIEW)
        .select_related("organisation", "decision")
        .prefetch_related(Prefetch("adjustments", queryset=adjustments))
    )


def frame_organisations(*, municipality, user):
    """The organisations that may hold a frame (KF, KS, nämnder), in tree order (one query)."""
    return list(
        restrict(
            Organisation.objects.filter(municipality=municipality, kind__in=FRAME_ORGANISATION_KINDS), user, VIEW
        ).order_by("tree_id", "lft")
    )


def assignment_amounts(*, municipality, years, user, organisation=None):
    """The assignments' money for the years (optionally to an organisation's subtree), with assignment and receiver."""
    amounts = restrict(
        AssignmentAmount.objects.filter(assignment__municipality=municipality, year__in=list(years)), user, VIEW
    ).select_related("assignment", "organisation")
    if organisation is not None:
        amounts = amounts.filter(
            organisation__tree_id=organisation.tree_id,
            organisation__lft__gte=organisation.lft,
            organisation__rght__lte=organisation.rght,
        )
    return list(amounts.order_by("assignment__code", "year"))


def budget_overview(*, budget, user, version=None, compare_with=None):
    """Everything the budget page shows, in a constant number of queries.

    Queries: the decisions, the previous year's budget's decisions, the frames and their adjustments (of the shown
    version, the one it is compared with and the previous year's version in force), the organisations that may hold
    a frame, the assignments' money, and the planning prerequisites.
    """
    years = budget.years
    decisions = list(restrict(budget.decisions.select_related("decided_by", "previous"), user, VIEW).order_by("number"))
    by_number = {d.number: d for d in decisions}
    decision = by_number.get(version) if version else None
    decision = decision or current_decision(decisions)
    compared = None
    if decision is not None:
        if compare_with and compare_with in by_number and compare_with != decision.number:
            compared = by_number[compare_with]
        elif decision.previous_id and decision.previous_id in {d.pk for d in decisions}:
            compared = next(d for d in decisions if d.pk == decision.previous_id)
        else:
            compared = by_number.get(decision.number - 1)
    previous_decisions = list(
        restrict(
            BudgetDecision.objects.filter(budget__municipality_id=budget.municipality_id, budget__year=budget.year - 1),
            user,
            VIEW,
        ).order_by("number")
    )
    previous_year_decision = current_decision(previous_decisions)
    wanted = [d.pk for d in (decision, compared, previous_year_decision) if d is not None]
    frames = list(_frames_with_adjustments(user).filter(decision__in=wanted)) if wanted else []
    organisations = frame_organisations(municipality=budget.municipality, user=user)
    amounts = assignment_amounts(municipality=budget.municipality, years=[years[0] - 1, *years], user=user)
    assumptions = list(restrict(budget.assumptions.all(), user, VIEW).order_by("year"))

    def rows_of(chosen, chosen_years, previous_totals=None):
        if chosen is None:
            return []
        return frame_rows(
            frames=[f for f in frames if f.decision_id == chosen.pk],
            amounts=amounts,
            years=chosen_years,
            organisations=organisations,
            previous_totals=previous_totals,
        )

    previous_year = years[0] - 1
    previous_rows = rows_of(previous_year_decision, [previous_year])
    rows = rows_of(decision, years, totals_by_organisation(previous_rows, previous_year))
    compared_rows = rows_of(compared, years)
    results = budget_results(rows, assumptions, years)
    return {
        "budget": budget,
        "years": years,
        "decisions": decisions,
        "decision": decision,
        "compared": compared,
        "rows": rows,
        "results": results,
        "missing_assumptions": [r.year for r in results if r.assumptions is None],
        "assumptions": assumptions,
        "changes": decision_changes(compared_rows, rows, years) if compared else [],
        "chart": frames_chart(rows, years) if rows else None,
        "previous_year_decision": previous_year_decision,
        "has_draft": any(d.status == DecisionStatus.DRAFT for d in decisions),
        "draft": next((d for d in decisions if d.status == DecisionStatus.DRAFT), None),
    }


def adjustable_frames(rows, user):
    """The ids of the frames where `user` may add or change adjustments: in scope and in a draft decision, for
    administrators too (no query: the rows hold what the rules read)."""
    ids = set()
    for row in rows:
        for cell in row.cells:
            if cell.frame is None:
                continue
            adjustment = FrameAdjustment(frame=cell.frame)
            if not is_locked(adjustment) and can(user, adjustment, CHANGE):
                ids.add(cell.frame.pk)
    return ids


def budget_for_year(*, municipality, year, user):
    """The budget whose budget year is `year`, else the latest budget that covers it as a plan year; or None."""
    budgets = list(
        restrict(
            Budget.objects.filter(municipality=municipality, year__lte=year, year__gte=year - 2), user, VIEW
        ).order_by("-year")
    )
    return next((b for b in budgets if b.year == year), budgets[0] if budgets else None)


def organisation_budget(*, organisation, year, user, version=None):
    """An organisation's frame in a version of the budget (`version`, else the one in force) with its own adjustments
    and the assignments' money, and the assignments it received that are active in `year`, in a constant number of
    queries.

    Queries: the budget, its decisions, the frames and adjustments, the assignments' money to the organisation's
    subtree, the ancestors (where its frame lies when it has none of its own) and the assignments.
    """
    municipality = organisation.municipality
    budget = budget_for_year(municipality=municipality, year=year, user=user)
    context = {
        "budget": budget,
        "organisation": organisation,
        "year": year,
        "rows": [],
        "decision": None,
        "draft": None,
    }
    if budget is not None:
        years = budget.years
        decisions = list(restrict(budget.decisions.select_related("decided_by"), user, VIEW).order_by("number"))
        decision = next((d for d in decisions if d.number == version), None) or current_decision(decisions)
        context["draft"] = next((d for d in decisions if d.status == DecisionStatus.DRAFT), None)
        frames = (
            list(_frames_with_adjustments(user).filter(decision=decision, organisation=organisation))
            if decision
            else []
        )
        amounts = assignment_amounts(municipality=municipality, years=years, user=user, organisation=organisation)
        rows = frame_rows(frames=frames, amounts=amounts, years=years, organisations=[organisation])
        context.update(years=years, decision=decision, rows=rows, row=rows[0] if rows else None)
    context["frame_owner"] = None
    context["outside_frames"] = False
    if organisation.kind not in FRAME_ORGANISATION_KINDS:
        ancestors = list(organisation.get_ancestors())
        if any(o.kind == OrganisationKind.COMPANY for o in [*ancestors, organisation]):
            context["outside_frames"] = True  # the company group is financed outside the nämnders' frames
        else:
            owners = [o for o in ancestors if o.kind in FRAME_ORGANISATION_KINDS]
            context["frame_owner"] = owners[-1] if owners else None
    assignments = restrict(
        Assignment.objects.filter(receivers=organisation, start_year__lte=year).filter(
            Q(closed_on__isnull=True) | Q(closed_on__year__gte=year)
        ),
        user,
        VIEW,
    )
    context["assignments"] = list(assignments.select_related("lead", "given_by").order_by("code").distinct())
    return context


# --- The årshjul ---------------------------------------------------------------------------------------------------


def calendar_years(*, municipality, user):
    return list(
        restrict(Calendar.objects.filter(municipality=municipality), user, VIEW)
        .values_list("year", flat=True)
        .order_by("-year")
    )


def calendar_page(*, municipality, year, user, today=None):
    """The årshjul of a year: its milestones in date order, each marked late or not and with whether the user may
    report its status (editors of the responsible organisation, administrators).

    Queries: the calendar, its milestones (with the responsible organisation), the organisations the user may edit.
    """
    today = today or timezone.localdate()
    calendar = (
        restrict(Calendar.objects.filter(municipality=municipality, year=year), user, VIEW)
        .select_related("municipality")
        .first()
    )
    milestones = []
    if calendar is not None:
        milestones = list(
            restrict(calendar.milestones.select_related("responsible"), user, VIEW).order_by("date", "position", "pk")
        )
        can_admin = can(user, calendar, CHANGE)
        editable = set(
            editable_organisations(user, Organisation.objects.filter(municipality=municipality)).values_list(
                "pk", flat=True
            )
        )
        for milestone in milestones:
            milestone.calendar = calendar
            milestone.late = milestone.is_late_on(today)
            milestone.can_report = can_admin or milestone.responsible_id in editable
    return {
        "calendar": calendar,
        "milestones": milestones,
        "late_count": sum(1 for m in milestones if m.late),
    }


def upcoming_milestones(*, municipality, user, today=None, limit=3):
    """The next steps of the budget process (not done, from today on), for the budget page."""
    today = today or timezone.localdate()
    return list(
        restrict(Milestone.objects.filter(calendar__municipality=municipality), user, VIEW)
        .filter(date__gte=today.replace(day=1))
        .exclude(status="done")
        .select_related("calendar", "calendar__municipality", "responsible")
        .order_by("date", "position")[:limit]
    )
