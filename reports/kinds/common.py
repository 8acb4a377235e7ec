"""What several report kinds share: a follow-up report's content with its charts, fetched in a constant number of
queries."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from followup.selectors import report_page
from goals.models import Indicator, Outcome
from goals.selectors import indicator_chart, summarise_indicator

PARTS = (
    ("summary", _("Sammanfattning")),
    ("goals", _("Måluppfyllelse")),
    ("indicators", _("Indikatorer")),
    ("assignments", _("Uppdrag")),
    ("economy", _("Ekonomi")),
    ("control", _("Intern kontroll")),
)


def viewer(job):
    return job.requested_by or AnonymousUser()


def indicator_charts(goal_ids, year):
    """{indicator id: SVG chart} for the indicators of the goals, outcomes up to `year`. Three queries."""
    indicators = Indicator.objects.filter(goal__in=goal_ids).prefetch_related(
        Prefetch("outcomes", queryset=Outcome.objects.filter(year__lte=year)), "targets"
    )
    return {indicator.pk: indicator_chart(summarise_indicator(indicator)) for indicator in indicators}


def followup_content(report, *, user, parts=None, level=2):
    """The HTML of a follow-up report's parts (all by default), headings at `level`."""
    context = report_page(report=report, user=user)
    context["charts"] = indicator_charts([a.goal_id for a in context["assessments"]], report.period.year)
    for row in context["indicator_rows"]:
        row.chart = context["charts"].get(row.indicator.pk)
    wanted = [p for p in PARTS if parts is None or p[0] in parts]
    return "".join(
        render_to_string(f"reports/pdf/followup/{key}.html", {**context, "h": level, "part_title": title})
        for key, title in wanted
    )
