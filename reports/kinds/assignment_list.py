"""Kind 4: the assignment list of an organisation for a year, laid out like seed 000 ("Uppdrag till
kommunstyrelsen"): the organisation's grunduppdrag, then every assignment and constraint it has received that applies
that year (given that year or carried over), each with who gave it in which decision, what it asks, the money that
comes with it, the due date, the status and the latest status report.

For a nämnd, KS, a bolag or a part of one the document opens with the organisation, its grunduppdrag and a summary
table, then has one section per kind (uppdrag, villkor).
For kommunfullmäktige it covers the whole municipality: a summary, then one chapter per receiving body (KS, each
nämnd and bolag), each laid out like seed 000. An assignment to a förvaltning or an enhet counts for its nämnd.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from assignments.choices import CLOSED_STATUSES, AssignmentKind, AssignmentStatus, DecisionKind
from assignments.models import Assignment, AssignmentAmount, AssignmentDecision, AssignmentStatusUpdate
from assignments.selectors import active_in, with_overdue
from styrning.choices import OrganisationKind
from styrning.models import Organisation
from styrning.permissions import VIEW, restrict

from ..documents import Document, Subject, register
from .common import viewer

# The bodies that get a chapter of their own in the municipality-wide list.
CHAPTER_KINDS = (OrganisationKind.EXECUTIVE_BOARD, OrganisationKind.COMMITTEE, OrganisationKind.COMPANY)
# Names that are common nouns ("kommunstyrelsen") and so are written in lower case inside a sentence; the others
# (bolag, enheter: "Hagaskolan", "Vaggeryds Energi AB") are proper names.
COMMON_NOUN_KINDS = (
    OrganisationKind.COUNCIL,
    OrganisationKind.EXECUTIVE_BOARD,
    OrganisationKind.COMMITTEE,
    OrganisationKind.ADMINISTRATION,
)
# One section (or, in a chapter, one heading) per kind, assignments first.
KINDS = (AssignmentKind.ASSIGNMENT, AssignmentKind.CONSTRAINT)


def in_sentence(organisation):
    """The organisation's name as written inside a sentence: "Uppdrag till kommunstyrelsen"."""
    name = organisation.name
    return name[:1].lower() + name[1:] if organisation.kind in COMMON_NOUN_KINDS else name


@dataclass
class Item:
    """An assignment as the list shows it, for one scope (an organisation's subtree)."""

    assignment: Assignment
    given: AssignmentDecision | None = None
    later: list = field(default_factory=list)  # the decisions after the one that gave it
    money: list = field(default_factory=list)  # the amounts to the scope, every year
    money_year: int = 0  # kronor to the scope in the document's year
    latest_report: AssignmentStatusUpdate | None = None

    @property
    def receivers(self):
        return list(self.assignment.receivers.all())

    @property
    def money_receivers(self):
        """How many organisations the money goes to (the list names them when more than one)."""
        return len({amount.organisation_id for amount in self.money})

    @property
    def co_receivers(self):
        return [r for r in self.receivers if r.pk != self.assignment.lead_id]


@dataclass
class Chapter:
    """The assignments of one receiving body (with its subtree)."""

    organisation: Organisation
    items: list = field(default_factory=list)

    def of_kind(self, kind):
        return [item for item in self.items if item.assignment.kind == kind]

    @property
    def assignments(self):
        return self.of_kind(AssignmentKind.ASSIGNMENT)

    @property
    def constraints(self):
        return self.of_kind(AssignmentKind.CONSTRAINT)


def _contains(organisation, other):
    return other.tree_id == organisation.tree_id and organisation.lft <= other.lft and other.rght <= organisation.rght


def assignment_rows(*, scope, year, user):
    """The assignments received within `scope`'s subtree that apply in `year`, with their receivers, decisions, money
    and latest status report. Five queries: the assignments (with giver and lead), their receivers, their decisions
    (with the deciding body), their amounts (with the receiving organisation) and the latest status report of each.
    """
    receiving = Organisation.objects.filter(
        tree_id=scope.tree_id, lft__gte=scope.lft, rght__lte=scope.rght, assignments_received=OuterRef("pk")
    )
    latest = (
        AssignmentStatusUpdate.objects.filter(assignment=OuterRef("assignment"))
        .order_by("-created", "-pk")
        .values("pk")[:1]
    )
    queryset = restrict(Assignment.objects.filter(municipality=scope.municipality_id), user, VIEW)
    queryset = (
        with_overdue(active_in(queryset.filter(Exists(receiving)), year))
        .select_related("given_by", "lead")
        .prefetch_related(
            Prefetch("receivers", queryset=Organisation.objects.order_by("tree_id", "lft")),
            Prefetch(
                "decisions",
                queryset=AssignmentDecision.objects.select_related("decided_by").order_by("decided_on", "created"),
            ),
            Prefetch(
                "amounts",
                queryset=AssignmentAmount.objects.select_related("organisation").order_by(
                    "year", "organisation__tree_id", "organisation__lft"
                ),
            ),
            Prefetch(
                "status_updates",
                queryset=AssignmentStatusUpdate.objects.filter(pk=Subquery(latest)).select_related("organisation"),
                to_attr="latest_reports",
            ),
        )
        .order_by("given_by__tree_id", "given_by__lft", "start_year", "code")
    )
    return list(queryset)


def item_for(assignment, scope, year):
    """The list's view of an assignment for `scope` (no query: everything is prefetched)."""
    decisions = list(assignment.decisions.all())
    given = next((d for d in decisions if d.kind == DecisionKind.GIVEN), decisions[0] if decisions else None)
    money = [a for a in assignment.amounts.all() if _contains(scope, a.organisation)]
    return Item(
        assignment=assignment,
        given=given,
        later=[d for d in decisions if d is not given],
        money=money,
        money_year=sum(a.amount for a in money if a.year == year),
        latest_report=assignment.latest_reports[0] if assignment.latest_reports else None,
    )


def chapters(*, scope, year, user, bodies):
    """The chapters of the municipality-wide list: one per body of `bodies` (in tree order) that has received an
    assignment that applies in `year`. An assignment to a förvaltning or an enhet belongs to the deepest body that
    contains it; an assignment to several organisations of one body is listed once in its chapter."""
    deepest_first = sorted(bodies, key=lambda body: -body.level)
    result = {body.pk: Chapter(organisation=body) for body in bodies}
    for assignment in assignment_rows(scope=scope, year=year, user=user):
        owners = []
        for receiver in assignment.receivers.all():
            owner = next((body for body in deepest_first if _contains(body, receiver)), None)
            if owner is not None and owner not in owners:
                owners.append(owner)
        for owner in owners:
            result[owner.pk].items.append(item_for(assignment, owner, year))
    return [result[body.pk] for body in bodies if result[body.pk].items]


def status_counts(items):
    counts = Counter(item.assignment.status for item in items)
    return {
        "not_started": counts[AssignmentStatus.NOT_STARTED],
        "ongoing": counts[AssignmentStatus.ONGOING],
        "closed": sum(counts[s] for s in CLOSED_STATUSES),
        "overdue": sum(1 for item in items if item.assignment.overdue),
    }


@register
class AssignmentList(Document):
    kind = "assignments"

    def _organisation(self, params):
        return Organisation.objects.select_related("municipality").get(pk=int(params["organisation"]))

    @staticmethod
    def _year(params):
        year = int(params["year"])
        if not 1990 <= year <= 2100:
            raise ValueError(f"Year out of range: {year}")
        return year

    @staticmethod
    def _is_municipality_wide(organisation):
        return organisation.kind == OrganisationKind.COUNCIL

    @staticmethod
    def _bodies(council):
        """KF itself and the bodies under it that get a chapter (KS, nämnder, bolag), in tree order. One query."""
        return [council] + list(
            Organisation.objects.filter(
                tree_id=council.tree_id, lft__gt=council.lft, rght__lt=council.rght, kind__in=CHAPTER_KINDS
            ).order_by("lft")
        )

    def subject(self, params):
        organisation = self._organisation(params)
        year = self._year(params)
        if self._is_municipality_wide(organisation):
            title = _("Uppdrag till styrelse, nämnder och bolag %(year)s") % {"year": year}
        else:
            title = _("Uppdrag till %(organisation)s %(year)s") % {
                "organisation": in_sentence(organisation),
                "year": year,
            }
        return Subject(organisation=organisation, title=title, key=f"assignments:{organisation.pk}:{year}")

    def sections(self, job):
        organisation = self._organisation(job.params)
        year = self._year(job.params)
        user = viewer(job)
        if self._is_municipality_wide(organisation):
            sections = [("overview", _("Sammanställning"))]
            found = chapters(scope=organisation, year=year, user=user, bodies=self._bodies(organisation))
            return sections + [(f"organisation:{c.organisation.pk}", c.organisation.name) for c in found]
        # Like seed 000: the organisation with its grunduppdrag and a summary, then the assignments.
        sections = [("overview", organisation.name)]
        kinds = {a.kind for a in assignment_rows(scope=organisation, year=year, user=user)}
        # A section for each kind there is; without any, the summary says so.
        sections += [(f"kind:{kind}", str(AssignmentKind(kind).label)) for kind in KINDS if kind in kinds]
        return sections

    def render_section(self, job, section):
        """One section's HTML. Queries: the organisation, the user's scope, and the five of assignment_rows (with one
        more for the bodies in the municipality-wide list)."""
        organisation = self._organisation(job.params)
        year = self._year(job.params)
        user = viewer(job)
        context = {
            "organisation": organisation,
            "year": year,
            "part_title": section.title,
            "name": in_sentence(organisation),
            "wide": self._is_municipality_wide(organisation),
        }
        if context["wide"]:
            bodies = self._bodies(organisation)
            found = chapters(scope=organisation, year=year, user=user, bodies=bodies)
            if section.key == "overview":
                unique = {}
                for chapter in found:
                    for item in chapter.items:
                        unique.setdefault(item.assignment.pk, item_for(item.assignment, organisation, year))
                items = sorted(unique.values(), key=item_order)
                context["chapters"] = [
                    (chapter, status_counts(chapter.items), sum(item.money_year for item in chapter.items))
                    for chapter in found
                ]
                context.update(items=items, **totals(items))
                return render_to_string("reports/pdf/assignments/overview.html", context)
            pk = int(section.key.split(":", 1)[1])
            chapter = next((c for c in found if c.organisation.pk == pk), None)
            if chapter is None:
                chapter = Chapter(organisation=next(body for body in bodies if body.pk == pk))
            context.update(chapter=chapter, groups=kind_groups(sorted(chapter.items, key=item_order)))
            return render_to_string("reports/pdf/assignments/chapter.html", context)
        rows = assignment_rows(scope=organisation, year=year, user=user)
        items = sorted((item_for(a, organisation, year) for a in rows), key=item_order)
        if section.key == "overview":
            context.update(items=items, **totals(items))
            return render_to_string("reports/pdf/assignments/overview.html", context)
        kind = section.key.split(":", 1)[1]
        context.update(items=[item for item in items if item.assignment.kind == kind], kind=kind)
        return render_to_string("reports/pdf/assignments/section.html", context)

    def front_context(self, job):
        organisation = self._organisation(job.params)
        year = self._year(job.params)
        facts = [(_("Organisation"), organisation.name), (_("År"), str(year))]
        return {"subtitle": _("Uppdrag och villkor som gäller %(year)s") % {"year": year}, "facts": facts}

    def data_source(self, job):
        organisation = self._organisation(job.params)
        year = self._year(job.params)
        assignments = assignment_rows(scope=organisation, year=year, user=viewer(job))
        return {
            "organisation": organisation.pk,
            "år": year,
            "uppdrag": [[a.pk, a.version, a.updated.isoformat()] for a in assignments],
        }


def item_order(item):
    """Assignments before constraints; then by the giving body (KF first), the year given and the code."""
    assignment = item.assignment
    return (
        assignment.kind != AssignmentKind.ASSIGNMENT,
        assignment.given_by.tree_id,
        assignment.given_by.lft,
        assignment.start_year,
        assignment.code,
    )


def kind_groups(items):
    """[(kind, heading, items)] for the kinds that have items, assignments first."""
    groups = []
    for kind in KINDS:
        of_kind = [item for item in items if item.assignment.kind == kind]
        if of_kind:
            groups.append((kind, str(AssignmentKind(kind).label), of_kind))
    return groups


def totals(items):
    return {
        "counts": status_counts(items),
        "assignment_count": sum(1 for item in items if item.assignment.kind == AssignmentKind.ASSIGNMENT),
        "constraint_count": sum(1 for item in items if item.assignment.kind == AssignmentKind.CONSTRAINT),
        "money_total": sum(item.money_year for item in items),
    }
