"""Kind 3: the strategic development programme (seed 003) of the mandate period that covers a year.

Laid out as Vaggeryd's programme: a cover with the vision and the facts of the strategic plan's decision; a summary
and how to read the document (the introduction, after the contents); vision, värdegrund and the council's goals; one
spread per KF goal (a short summary, what the nämnder and bolag contribute, the relevant Agenda 2030 goals, the
political will, how the goal is measured with charts of its indicators, and the linked styrdokument); a closing spread
on Agenda 2030 and what its goals mean for the municipality; a back page on how the goals were set. The overview, each
spread and the Agenda 2030 spread are sections of their own, prepared in parallel, each in a constant number of
queries.

Parameters: {"municipality": id, "year": y}. The year chooses the strategic plan (its mandate period covers the year),
the nämndmål in force and the outcomes shown (up to the year).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import CharField, Count, Max, Prefetch, Q
from django.db.models import Value as SqlValue
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from goals.choices import GoalKind, GoalLevel, PlanKind
from goals.choices import TrafficLight as Light
from goals.models import Goal, Indicator, Outcome, Plan, SdgGoal, SdgTarget, Target, Value
from goals.selectors import TRAFFIC_LIGHT_RULE, in_force, indicator_chart, summarise_indicator
from styrning.choices import DocumentKind, OrganisationKind
from styrning.models import Organisation, SteeringDocument
from styrning.permissions import VIEW, restrict

from ..documents import Document, Subject, register
from .common import viewer

# Charts show the years leading up to the mandate period too, so the trend into it is visible.
YEARS_BEFORE_PERIOD = 4
# A KF goal without indicators of its own is shown through its nämndmål's indicators, at most this many.
MAX_BORROWED_CHARTS = 6
TITLE_LENGTH = 300  # ReportSection.title

TEMPLATES = "reports/pdf/programme"
# A NULL column, so that links through goals have the shape of links through targets (goal, target code).
NO_TARGET = SqlValue(None, output_field=CharField())


@dataclass
class Programme:
    """What the parameters name: the municipality's strategic plan for the mandate period covering `year`."""

    plan: Plan
    year: int

    @property
    def municipality(self):
        return self.plan.organisation.municipality

    @property
    def period(self):
        return self.plan.mandate_period

    @property
    def first_year(self):
        """The first year the charts show."""
        return self.period.start_year - YEARS_BEFORE_PERIOD


def programme_of(params):
    """The Programme of `params` (one query). Plan.DoesNotExist when the municipality has no strategic plan for the
    year (the request view answers 404)."""
    year = int(params["year"])
    plan = (
        Plan.objects.filter(
            organisation__municipality_id=int(params["municipality"]),
            organisation__parent__isnull=True,
            kind=PlanKind.STRATEGIC,
            mandate_period__start_year__lte=year,
            mandate_period__end_year__gte=year,
        )
        .select_related("organisation", "organisation__municipality", "mandate_period", "decided_by")
        .order_by("-mandate_period__start_year")
        .first()
    )
    if plan is None:
        raise Plan.DoesNotExist(f"No strategic plan covers {year}")
    return Programme(plan=plan, year=year)


def council_goals(programme, user):
    """The KF goals of the strategic plan in tree (code) order: a queryset."""
    goals = Goal.objects.filter(plan=programme.plan, level=GoalLevel.MUNICIPAL)
    return restrict(goals, user, VIEW).order_by("tree_id", "lft")


def committee_goals(programme, user):
    """The nämnd- and bolagsmål in force in the year (activities excluded): a queryset."""
    goals = Goal.objects.filter(
        municipality=programme.municipality, level=GoalLevel.COMMITTEE, kind=GoalKind.GOAL
    ).exclude(plan__isnull=True)
    return in_force(restrict(goals, user, VIEW), programme.year)


def ink(color):
    """Black or white, whichever reads better on the background `color` ("#RRGGBB")."""
    red, green, blue = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    # Contrast with white is 1.05 / (L + 0.05), with near-black (#111827, L ≈ 0.012) (L + 0.05) / 0.062.
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.062 else "#111827"


def with_ink(sdg_goals):
    """The Agenda 2030 goals, each given `ink`, the colour of text on its tile."""
    for sdg in sdg_goals:
        sdg.ink = ink(sdg.color)
    return sdg_goals


def sdgs_of(goal):
    """The Agenda 2030 goals a goal is linked to, directly or through one of its targets, in number order (from the
    prefetched `sdg_goals` and `sdg_targets` with their goals)."""
    found = {sdg.number: sdg for sdg in goal.sdg_goals.all()}
    for target in goal.sdg_targets.all():
        found.setdefault(target.goal.number, target.goal)
    return [found[number] for number in sorted(found)]


def sdg_prefetch():
    """What `sdgs_of` reads: two queries."""
    return ("sdg_goals", Prefetch("sdg_targets", queryset=SdgTarget.objects.select_related("goal")))


def measured(goal_ids, programme):
    """Indicator summaries of the goals, in goal and name order, each with its SVG chart: outcomes from the chart's
    first year up to the programme's year, targets up to the end of the mandate period. Three queries."""
    outcomes = Outcome.objects.filter(year__gte=programme.first_year, year__lte=programme.year)
    targets = Target.objects.filter(year__lte=programme.period.end_year)
    indicators = (
        Indicator.objects.filter(goal__in=goal_ids)
        .select_related("goal")
        .prefetch_related(Prefetch("outcomes", queryset=outcomes), Prefetch("targets", queryset=targets))
        .order_by("goal__tree_id", "goal__lft", "name")
    )
    return [summarise_indicator(indicator) for indicator in indicators]


def light_counts(summaries):
    """[(light, label, count)] for the lights that occur, best first."""
    counts = defaultdict(int)
    for summary in summaries:
        counts[summary.light] += 1
    return [(light, label, counts[light]) for light, label in Light.choices if counts[light]]


def status_text(lights):
    """The lights as a sentence, e.g. "Av de 10 indikatorerna når 2 målvärdet, 6 är nära målvärdet och 2 är långt
    från målvärdet."."""
    if not lights:
        return ""
    total = sum(count for _light, _label, count in lights)
    if len(lights) == 1:
        whole = {
            Light.GREEN: _("%(all)s når målvärdet."),
            Light.YELLOW: _("%(all)s är nära målvärdet."),
            Light.RED: _("%(all)s är långt från målvärdet."),
            Light.NONE: _("%(all)s kan inte bedömas."),
        }
        if lights[0][0] == Light.NONE and total > 1:
            return _("Ingen av de %(total)s indikatorerna kan bedömas.") % {"total": total}
        if total == 1:
            everyone = _("Indikatorn")
        elif total == 2:
            everyone = _("Båda indikatorerna")
        else:
            everyone = _("Alla %(total)s indikatorer") % {"total": total}
        return whole[lights[0][0]] % {"all": everyone}
    # The first clause follows "Av de 10 indikatorerna", so its verb comes before the number.
    first = {
        Light.GREEN: _("når %(count)s målvärdet"),
        Light.YELLOW: _("är %(count)s nära målvärdet"),
        Light.RED: _("är %(count)s långt från målvärdet"),
        Light.NONE: _("kan %(count)s inte bedömas"),
    }
    then = {
        Light.GREEN: _("%(count)s når målvärdet"),
        Light.YELLOW: _("%(count)s är nära målvärdet"),
        Light.RED: _("%(count)s är långt från målvärdet"),
        Light.NONE: _("%(count)s kan inte bedömas"),
    }
    parts = [(first if n == 0 else then)[light] % {"count": count} for n, (light, _label, count) in enumerate(lights)]
    return _("Av de %(total)s indikatorerna %(first)s och %(last)s.") % {
        "total": total,
        "first": ", ".join(parts[:-1]),
        "last": parts[-1],
    }


# --- The overview: vision, värdegrund and the KF goals ----------------------------------------------------------------


def overview_context(programme, job, user):
    """Vision, värdegrund, the KF goals with their Agenda 2030 goals and the anchor of their spread. Six queries."""
    municipality = programme.municipality
    vision = restrict(Goal.objects.filter(municipality=municipality, kind=GoalKind.VISION), user, VIEW).first()
    values = list(restrict(Value.objects.filter(municipality=municipality), user, VIEW))
    goals = list(council_goals(programme, user).prefetch_related(*sdg_prefetch()))
    anchors = dict(job.sections.values_list("key", "position"))
    for goal in goals:
        goal.anchor = anchors.get(f"goal:{goal.pk}")
        goal.sdgs = with_ink(sdgs_of(goal))
    return {"vision": vision, "values": values, "goals": goals, "programme": programme}


# --- One spread per KF goal -----------------------------------------------------------------------------------------


@dataclass
class Contribution:
    """A nämnd's or bolag's goals that contribute to a KF goal."""

    organisation: Organisation
    goals: list = field(default_factory=list)


def spread_context(programme, goal_id, user):
    """Everything of one KF goal's spread, in a constant number of queries:
    the goal's position among the KF goals (1), the goal (1) with its Agenda 2030 goals and targets (2), the nämndmål
    contributing to it with their Agenda 2030 goals (3), the indicators with outcomes and targets (3), the styrdokument
    linked to the goal and the nämndmål with the goals they are linked to (2)."""
    order = list(council_goals(programme, user).values_list("pk", flat=True))
    goal = (
        restrict(Goal.objects.filter(pk=goal_id, plan=programme.plan), user, VIEW)
        .select_related("organisation")
        .prefetch_related(*sdg_prefetch())
        .get()
    )
    contributors = list(
        committee_goals(programme, user)
        .filter(Q(parent=goal) | Q(contributes_to=goal))
        .distinct()
        .select_related("organisation", "parent")
        .prefetch_related(*sdg_prefetch())
        .order_by("organisation__tree_id", "organisation__lft", "code")
    )
    groups = {}
    for contributor in contributors:
        contributor.direct = contributor.parent_id == goal.pk
        groups.setdefault(contributor.organisation_id, Contribution(contributor.organisation)).goals.append(contributor)

    own_sdgs = with_ink(sdgs_of(goal))
    numbers = {sdg.number for sdg in own_sdgs}
    related = {sdg.number: sdg for c in contributors for sdg in sdgs_of(c) if sdg.number not in numbers}
    related_sdgs = with_ink([related[n] for n in sorted(related)])

    # The goal's own indicators; a goal without any is shown through those of the nämndmål contributing to it.
    summaries = measured([goal.pk, *(c.pk for c in contributors)], programme)
    own = [s for s in summaries if s.indicator.goal_id == goal.pk]
    borrowed = not own
    shown = own or summaries[:MAX_BORROWED_CHARTS]
    for summary in shown:
        summary.chart = indicator_chart(summary)

    goal_codes = {goal.pk: goal.code, **{c.pk: c.code for c in contributors}}
    linked = Goal.objects.filter(pk__in=goal_codes).only("id", "code")
    documents = list(
        restrict(SteeringDocument.objects.filter(goals__in=list(goal_codes)), user, VIEW)
        .distinct()
        .select_related("decided_by", "organisation")
        .prefetch_related(Prefetch("goals", queryset=linked, to_attr="linked_goals"))
    )
    for document in documents:
        codes = sorted(g.code for g in document.linked_goals)
        document.linked_codes = sorted(codes, key=lambda code: code != goal.code)
    # The KF goal's own documents first, then those of the nämndmål.
    documents.sort(key=lambda document: (document.linked_codes[0] != goal.code, document.title))

    organisations = {c.organisation_id for c in contributors}
    return {
        "programme": programme,
        "goal": goal,
        "number": order.index(goal.pk) + 1 if goal.pk in order else None,
        "count": len(order),
        "contributions": list(groups.values()),
        "contributor_count": len(contributors),
        "organisation_count": len(organisations),
        "sdg_goals": own_sdgs,
        "sdg_targets": list(goal.sdg_targets.all()),
        "related_sdgs": related_sdgs,
        "summaries": shown,
        "borrowed": borrowed,
        "borrowed_total": len(summaries) if borrowed else 0,
        "status_text": status_text(light_counts(shown)),
        "documents": documents,
    }


# --- Agenda 2030 ----------------------------------------------------------------------------------------------------


@dataclass
class LinkedGoal:
    code: str
    title: str


@dataclass
class SdgRow:
    """One Agenda 2030 goal and the municipality's goals linked to it (directly or through one of its targets)."""

    sdg: SdgGoal
    council: list = field(default_factory=list)  # KF goal codes, in the plan's order
    committee: dict = field(default_factory=dict)  # LinkedGoal by id: nämnd- and bolagsmål (listed in code order)
    operational: set = field(default_factory=set)  # ids of verksamhets- and enhetsmål
    targets: set = field(default_factory=set)  # codes of the targets the goals are linked to

    @property
    def total(self):
        return len(self.council) + len(self.committee) + len(self.operational)

    @property
    def target_list(self):
        return sorted(self.targets, key=_target_key)


def agenda_context(programme, user):
    """The 17 goals with the municipality's goals linked to each: the plan's KF goals, and the goals below them in
    force in the year. Five queries: the user's scope, the KF goal codes, the Agenda 2030 goals, and the links through
    goals and through targets."""
    council = list(council_goals(programme, user).values_list("pk", "code"))
    council_codes = dict(council)
    goals = restrict(Goal.objects.filter(municipality=programme.municipality), user, VIEW).exclude(
        kind__in=(GoalKind.VISION, GoalKind.ACTIVITY)
    )
    # goals.selectors.in_force for the levels below KF; the KF goals are those of the plan.
    below = Q(level__gt=GoalLevel.MUNICIPAL) & (Q(start_year__isnull=True) | Q(start_year__lte=programme.year))
    below &= Q(end_year__isnull=True) | Q(end_year__gte=programme.year)
    goals = goals.filter(Q(pk__in=list(council_codes)) | below)
    rows = {sdg.number: SdgRow(sdg=sdg) for sdg in with_ink(list(SdgGoal.objects.all()))}
    fields = ("pk", "level", "code", "title")
    direct = goals.filter(sdg_goals__isnull=False).values_list(*fields, "sdg_goals__number", NO_TARGET)
    through = goals.filter(sdg_targets__isnull=False).values_list(
        *fields, "sdg_targets__goal__number", "sdg_targets__code"
    )
    links = [*direct.order_by(), *through.order_by()]
    for pk, level, code, title, number, target in links:
        row = rows[number]
        if target:
            row.targets.add(target)
        if pk in council_codes:
            if code not in row.council:
                row.council.append(code)
        elif level == GoalLevel.COMMITTEE:
            row.committee.setdefault(pk, LinkedGoal(code=code, title=title))
        else:
            row.operational.add(pk)
    position = {code: n for n, (_pk, code) in enumerate(council)}
    for row in rows.values():
        row.council.sort(key=position.get)
        row.committee = sorted(row.committee.values(), key=lambda goal: goal.code)
    ordered = [rows[n] for n in sorted(rows)]
    linked = [row for row in ordered if row.total]
    return {
        "programme": programme,
        "rows": ordered,
        "linked": linked,
        "linked_count": len(linked),
        "goal_count": len({link[0] for link in links}),
    }


def _target_key(code):
    goal, _sep, part = code.partition(".")
    return (int(goal), (0, int(part)) if part.isdigit() else (1, part))


# --- The front and back of the document -----------------------------------------------------------------------------


def front_facts(programme, user):
    """The facts of the document: the plan's decision, its validity and who is responsible (the programme's
    styrdokument's organisation when the register holds one linked to the KF goals, otherwise kommunstyrelsen)."""
    plan = programme.plan
    document = (
        restrict(SteeringDocument.objects.filter(kind=DocumentKind.PROGRAM, goals__plan=plan), user, VIEW)
        .select_related("organisation")
        .order_by("-decided_on", "pk")
        .first()
    )
    if document is not None:
        responsible = document.organisation
    else:
        responsible = (
            Organisation.objects.filter(
                municipality=programme.municipality, kind=OrganisationKind.EXECUTIVE_BOARD, level=1
            ).first()
            or plan.organisation
        )
    facts = []
    if plan.decided_by_id:
        facts.append((_("Beslutad av"), plan.decided_by.name))
    if plan.decided_on:
        facts.append((_("Beslutsdatum"), plan.decided_on))
    if plan.paragraph:
        facts.append((_("Paragraf"), plan.paragraph if plan.paragraph.startswith("§") else f"§ {plan.paragraph}"))
    if plan.registration_number:
        facts.append((_("Diarienummer"), plan.registration_number))
    facts.append((_("Gäller"), _("Mandatperioden %(period)s") % {"period": programme.period}))
    facts.append((_("Ansvarig"), responsible.name))
    facts.append((_("Status"), plan.get_status_display()))
    if document is not None and document.revision_due:
        facts.append((_("Revideras senast"), document.revision_due))
    return facts


def front_context(programme, user):
    """The summary, the goals at a glance with their indicators' lights, the chain's levels and the decision, for
    the cover, the introduction and the back page. Queries: the vision, the KF goals, the links of the nämndmål to
    them, the indicators (three, or six when a KF goal borrows its nämndmål's), the goals per level, the programme's
    styrdokument."""
    municipality = programme.municipality
    vision = restrict(Goal.objects.filter(municipality=municipality, kind=GoalKind.VISION), user, VIEW).first()
    goals = list(council_goals(programme, user))
    ids = {goal.pk for goal in goals}
    contributions = defaultdict(set)
    organisations = set()
    committee = set()
    for pk, parent_id, organisation_id, also in committee_goals(programme, user).values_list(
        "pk", "parent_id", "organisation_id", "contributes_to"
    ):
        committee.add(pk)
        organisations.add(organisation_id)
        for target in (parent_id, also):
            if target in ids:
                contributions[target].add(pk)
    summaries = measured(list(ids), programme)
    by_goal = defaultdict(list)
    for summary in summaries:
        by_goal[summary.indicator.goal_id].append(summary)
    bare = [goal for goal in goals if not by_goal[goal.pk]]
    if bare:
        borrowed_ids = {pk: goal.pk for goal in bare for pk in contributions[goal.pk]}
        for summary in measured(list(borrowed_ids), programme):
            goal_pk = borrowed_ids[summary.indicator.goal_id]
            if len(by_goal[goal_pk]) < MAX_BORROWED_CHARTS:
                by_goal[goal_pk].append(summary)
    rows = [
        {
            "number": number,
            "goal": goal,
            "contributors": len(contributions[goal.pk]),
            "lights": light_counts(by_goal[goal.pk]),
        }
        for number, goal in enumerate(goals, 1)
    ]
    all_summaries = [summary for goal in goals for summary in by_goal[goal.pk]]
    levels = level_counts(programme, user)
    link = settings.SITE_URL.rstrip("/") + reverse("goals:house", args=[municipality.slug])
    return {
        "programme": programme,
        "plan": programme.plan,
        "vision": vision,
        "rows": rows,
        "goal_count": len(goals),
        "committee_count": len(committee),
        "organisation_count": len(organisations),
        "indicator_count": len(all_summaries),
        "status_text": status_text(light_counts(all_summaries)),
        "legend": Light.choices,
        "levels": levels,
        "link": link,
        "traffic_light_rule": TRAFFIC_LIGHT_RULE,
        "facts": front_facts(programme, user),
    }


def level_counts(programme, user):
    """The number of goals in force in the year below the nämnder's level: {"operational": verksamhetsmål, "unit":
    enhetsmål, "activities": activities at any level}. One query."""
    goals = in_force(restrict(Goal.objects.filter(municipality=programme.municipality), user, VIEW), programme.year)
    counts = {"operational": 0, "unit": 0, "activities": 0}
    rows = goals.filter(level__gt=GoalLevel.MUNICIPAL).values_list("level", "kind").annotate(n=Count("pk")).order_by()
    for level, kind, count in rows:
        if kind == GoalKind.ACTIVITY:
            counts["activities"] += count
        elif level == GoalLevel.OPERATIONAL:
            counts["operational"] += count
        elif level == GoalLevel.UNIT:
            counts["unit"] += count
    return counts


@register
class StrategicProgramme(Document):
    kind = "programme"

    def subject(self, params):
        programme = programme_of(params)
        title = _("%(plan)s – %(municipality)s") % {
            "plan": programme.plan.title,
            "municipality": programme.municipality.name,
        }
        return Subject(
            organisation=programme.plan.organisation, title=title, key=f"plan:{programme.plan.pk}:{programme.year}"
        )

    def sections(self, job):
        programme = programme_of(job.params)
        goals = council_goals(programme, viewer(job)).only("id", "title")
        spreads = [
            (f"goal:{goal.pk}", _("Mål %(number)s: %(title)s") % {"number": n, "title": goal.title})
            for n, goal in enumerate(goals, 1)
        ]
        return [
            *((key, title[:TITLE_LENGTH]) for key, title in spreads),
            ("agenda2030", _("Agenda 2030 i %(municipality)s") % {"municipality": programme.municipality.name}),
        ]

    def render_section(self, job, section):
        programme = programme_of(job.params)
        user = viewer(job)
        if section.key == "agenda2030":
            return render_to_string(f"{TEMPLATES}/agenda2030.html", agenda_context(programme, user))
        goal_id = int(section.key.split(":", 1)[1])
        return render_to_string(f"{TEMPLATES}/goal.html", spread_context(programme, goal_id, user))

    def front_context(self, job):
        programme = programme_of(job.params)
        context = front_context(programme, viewer(job))
        return {
            "subtitle": _("Strategiskt utvecklingsprogram för mandatperioden %(period)s")
            % {"period": programme.period},
            "facts": context["facts"],
            "cover_html": render_to_string(f"{TEMPLATES}/cover.html", context),
            "preface_html": render_to_string(f"{TEMPLATES}/summary.html", context),
            "reading_html": render_to_string(f"{TEMPLATES}/reading.html", context),
            "back_html": render_to_string(f"{TEMPLATES}/back.html", context),
            "overview": overview_context(programme, job, viewer(job)),
        }

    def front_chapters(self, job, context, pages):
        """After the contents, as seed 003 orders them (facts on the cover, the summary before the contents): how to
        read the programme, then the vision, the värdegrund and the KF goals with the page of each goal's spread (in
        the front matter because it refers to the spreads' pages)."""
        overview = context["overview"]
        for goal in overview["goals"]:
            goal.page = pages.get(goal.anchor)
        return [
            ("lasanvisning", _("Så läser du programmet"), context["reading_html"]),
            (
                "oversikt",
                _("Vision, värdegrund och övergripande mål"),
                render_to_string(f"{TEMPLATES}/overview.html", overview),
            ),
        ]

    def data_source(self, job):
        """The plan with its version, and when the goal chain and the outcomes of the municipality last changed."""
        programme = programme_of(job.params)
        plan = programme.plan
        municipality = programme.municipality
        goals_changed = Goal.objects.filter(municipality=municipality).aggregate(latest=Max("updated"))["latest"]
        outcomes_changed = Outcome.objects.filter(indicator__goal__municipality=municipality).aggregate(
            latest=Max("updated")
        )["latest"]
        return {
            "plan": plan.pk,
            "år": programme.year,
            "planens version": plan.version,
            "planens status": plan.status,
            "planen ändrad": plan.updated.isoformat(),
            "målkedjan ändrad": goals_changed.isoformat() if goals_changed else None,
            "utfall ändrade": outcomes_changed.isoformat() if outcomes_changed else None,
        }
