"""Kind 5: Budget med plan (004 "Budget"): the budget year and the two plan years as the version in force sets them.

Sections: a summary (the decision in force, key figures, the frames of every organisation for the three years with
a chart); the result with the financial goals and the balanskrav; one section per organisation with a frame (KF, KS,
each nämnd) with its frame before adjustments, each adjustment with its reason and assignment, the assignments'
money and the change from the year before; and the decisions with what the latest one changed and the budget
process. Every figure comes from budget.selectors.budget_overview, the same reads as the budget page, so the document
and the page cannot disagree.
"""

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from budget.models import Budget, Calendar
from budget.selectors import budget_overview, percent
from goals.choices import GoalKind
from goals.models import Goal
from goals.selectors import indicator_prefetch
from styrning.charts import bar_chart
from styrning.models import Organisation
from styrning.money import format_mkr
from styrning.permissions import VIEW, restrict

from ..documents import Document, Subject, register
from .assignment_list import in_sentence
from .common import viewer

CLOSING_SECTION = ("decisions", "Beslut och budgetprocess")


def frame_chart(row, years, previous_year):
    """An organisation's frame in force over the budget's years and the year before, in mkr (one SVG)."""
    first = row.cells[0]
    bars = []
    if first.previous_total is not None:
        bars.append((_("%(year)s (föregående budget)") % {"year": previous_year}, first.previous_total))
    bars += [(str(cell.year), cell.total) for cell in row.cells]
    title = _("Ram för %(organisation)s %(first)s–%(last)s") % {
        "organisation": in_sentence(row.organisation),
        "first": years[0],
        "last": years[-1],
    }
    return bar_chart(title=str(title), bars=bars, value_format=format_mkr, width=560)


def result_chart(results):
    """The result per year in mkr (one SVG)."""
    title = _("Budgeterat resultat %(first)s–%(last)s") % {"first": results[0].year, "last": results[-1].year}
    return bar_chart(
        title=str(title), bars=[(str(r.year), r.result) for r in results], value_format=format_mkr, width=560
    )


def frame_totals(rows, years):
    """The sum of the frames in force per year with its change from the year before: [(total, change, percent)]. The
    first year's change needs every organisation's frame of the year before (else None). No query."""
    totals = []
    previous = None
    if rows and all(row.cells[0].previous_total is not None for row in rows):
        previous = sum(row.cells[0].previous_total for row in rows)
    for index, _year in enumerate(years):
        total = sum(row.cells[index].total or 0 for row in rows)
        change = total - previous if previous is not None else None
        totals.append((total, change, percent(change, previous)))
        previous = total
    return totals


def financial_goals(*, municipality, years, user):
    """KF's financial goals in force in any of the budget's years, with their indicators' targets. Four queries: the
    goals, their indicators, the indicators' latest outcomes and their targets."""
    goals = (
        restrict(Goal.objects.filter(municipality=municipality, kind=GoalKind.FINANCIAL), user, VIEW)
        .filter(Q(start_year__isnull=True) | Q(start_year__lte=years[-1]))
        .filter(Q(end_year__isnull=True) | Q(end_year__gte=years[0]))
        .prefetch_related(indicator_prefetch())
        .order_by("code")
    )
    result = []
    for goal in goals:
        indicators = []
        for indicator in goal.indicators.all():
            targets = {t.year: t.value for t in indicator.targets.all()}
            latest = max(indicator.latest_outcomes, key=lambda o: o.year, default=None)
            indicators.append(
                {"indicator": indicator, "targets": [targets.get(year) for year in years], "latest": latest}
            )
        result.append({"goal": goal, "indicators": indicators})
    return result


@register
class BudgetReport(Document):
    kind = "budget"

    def _budget(self, params):
        return Budget.objects.select_related("municipality").get(pk=int(params["budget"]))

    def subject(self, params):
        budget = self._budget(params)
        council = Organisation.objects.get(municipality=budget.municipality, parent=None)
        return Subject(organisation=council, title=str(budget), key=f"budget:{budget.pk}")

    def sections(self, job):
        budget = self._budget(job.params)
        overview = budget_overview(budget=budget, user=viewer(job))
        years = budget.years
        return (
            [
                ("overview", _("Sammanfattning")),
                ("frames", _("Ramar %(first)s–%(last)s") % {"first": years[0], "last": years[-1]}),
                ("result", _("Resultat och finansiella mål")),
            ]
            + [(f"organisation:{row.organisation.pk}", row.organisation.name) for row in overview["rows"]]
            + [(CLOSING_SECTION[0], _(CLOSING_SECTION[1]))]
        )

    def render_section(self, job, section):
        """One section's HTML. Queries: the budget, the user's scope, the seven of budget_overview, and four more for
        the financial goals (result) or two for the årshjul (decisions)."""
        budget = self._budget(job.params)
        user = viewer(job)
        context = budget_overview(budget=budget, user=user)
        context.update(part_title=section.title, municipality=budget.municipality, previous_year=budget.year - 1)
        if section.key == "overview":
            context["first"] = context["results"][0] if context["results"] else None
            context["total_lines"] = [(row.organisation, line) for row in context["rows"] for line in row.lines]
            return render_to_string("reports/pdf/budget/overview.html", context)
        if section.key == "frames":
            context["totals"] = frame_totals(context["rows"], context["years"])
            return render_to_string("reports/pdf/budget/frames.html", context)
        if section.key == "result":
            context["financial_goals"] = financial_goals(
                municipality=budget.municipality, years=context["years"], user=user
            )
            if context["results"] and all(r.result is not None for r in context["results"]):
                context["result_chart"] = result_chart(context["results"])
            return render_to_string("reports/pdf/budget/result.html", context)
        if section.key == "decisions":
            calendar = (
                restrict(Calendar.objects.filter(municipality=budget.municipality, year=budget.year - 1), user, VIEW)
                .prefetch_related("milestones__responsible")
                .first()
            )
            context["calendar"] = calendar
            context["milestones"] = list(calendar.milestones.all()) if calendar else []
            return render_to_string("reports/pdf/budget/decisions.html", context)
        pk = int(section.key.split(":", 1)[1])
        row = next((r for r in context["rows"] if r.organisation.pk == pk), None)
        context["row"] = row
        if row is not None:
            context["name"] = in_sentence(row.organisation)
            context["row_chart"] = frame_chart(row, context["years"], budget.year - 1)
            context["row_changes"] = next((c for c in context["changes"] if c["organisation"].pk == pk), None)
            context["line_assignments"] = _assignments_of(row)
        return render_to_string("reports/pdf/budget/organisation.html", context)

    def front_context(self, job):
        budget = self._budget(job.params)
        overview = budget_overview(budget=budget, user=viewer(job))
        decision = overview["decision"]
        facts = [
            (_("Budgetår"), str(budget.year)),
            (_("Planår"), f"{budget.year + 1}–{budget.years[-1]}"),
        ]
        if decision is not None:
            facts.append((_("Version"), str(decision)))
            facts.append((_("Status"), decision.get_status_display()))
            if decision.decision_display:
                facts.append((_("Beslut"), decision.decision_display))
        return {"subtitle": _("Budget med plan"), "facts": facts}

    def data_source(self, job):
        budget = self._budget(job.params)
        overview = budget_overview(budget=budget, user=viewer(job))
        decision = overview["decision"]
        return {
            "budget": budget.pk,
            "beslut": decision.pk if decision else None,
            "beslutsversion": decision.number if decision else None,
            "beslutsstatus": decision.status if decision else None,
            "ändrat": max([budget.updated, *(d.updated for d in overview["decisions"])]).isoformat(),
        }


def _assignments_of(row):
    """The assignments behind a row's lines (their money, or an adjustment about them), each once, by code."""
    found = {}
    for line in row.lines:
        if line.assignment is not None:
            found.setdefault(line.assignment.pk, line.assignment)
    return sorted(found.values(), key=lambda a: a.code)
