"""Reads of the assignments shared by views (and later by budget, follow-up and reports); constant query counts."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import BigIntegerField, BooleanField, Case, Exists, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from styrning.models import Organisation
from styrning.permissions import VIEW, restrict

from .choices import CLOSED_STATUSES, AssignmentStatus
from .models import Assignment, AssignmentAmount


def active_in(assignments, year):
    """Assignments that apply in `year`: given that year or earlier, and not finished before it (they carry over
    from year to year until they are done or ended)."""
    return assignments.filter(start_year__lte=year).filter(Q(closed_on__isnull=True) | Q(closed_on__year__gte=year))


def with_overdue(assignments, today=None):
    """Annotate `overdue`: past the due date and not finished (computed in SQL, so lists can filter on it)."""
    today = today or timezone.localdate()
    return assignments.annotate(
        overdue=Case(
            When(Q(due_date__lt=today) & ~Q(status__in=CLOSED_STATUSES), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def with_money(assignments):
    """Annotate `money_total`: all kronor that come with each assignment (one subquery, no join blow-up)."""
    total = (
        AssignmentAmount.objects.filter(assignment=OuterRef("pk"))
        .values("assignment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return assignments.annotate(money_total=Coalesce(Subquery(total, output_field=BigIntegerField()), Value(0)))


def assignment_list(*, municipality, user, filters=None):
    """The municipality's assignments the user may see, filtered by the list's filter form."""
    filters = filters or {}
    qs = restrict(Assignment.objects.filter(municipality=municipality), user, VIEW)
    qs = with_money(with_overdue(qs)).select_related("given_by", "lead").prefetch_related("receivers")
    if filters.get("given_by"):
        qs = qs.filter(given_by=filters["given_by"])
    if filters.get("receiver"):
        org = filters["receiver"]
        receiving = Organisation.objects.filter(
            tree_id=org.tree_id, lft__gte=org.lft, rght__lte=org.rght, assignments_received=OuterRef("pk")
        )
        qs = qs.filter(Exists(receiving))
    if filters.get("year"):
        qs = active_in(qs, filters["year"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("overdue"):
        qs = qs.filter(overdue=True)
    if filters.get("goal"):
        qs = qs.filter(goals=filters["goal"])
    if filters.get("q"):
        q = filters["q"]
        qs = qs.filter(Q(title__icontains=q) | Q(code__icontains=q) | Q(description__icontains=q))
    return qs.order_by("-start_year", "pk")


def assignment_detail(*, assignment, user):
    """Everything the assignment page shows: decisions in order, money, receivers, goals, status reports."""
    return {
        "decisions": list(assignment.decisions.select_related("decided_by").order_by("decided_on", "created")),
        "amounts": list(assignment.amounts.select_related("organisation").order_by("year", "organisation__lft")),
        "receivers": list(assignment.receivers.order_by("tree_id", "lft")),
        "goals": list(restrict(assignment.goals.all(), user, VIEW).select_related("organisation")),
        "status_updates": list(assignment.status_updates.select_related("organisation").order_by("-created")),
    }


def organisation_assignments(*, organisation, user, year):
    """The assignments an organisation has received that apply in `year` (seed 000's page), each with the money
    that comes to this organisation that year as `money_here`. Three queries.
    """
    qs = restrict(Assignment.objects.filter(receivers=organisation), user, VIEW)
    qs = with_overdue(active_in(qs, year)).select_related("given_by", "lead")
    money = (
        AssignmentAmount.objects.filter(assignment=OuterRef("pk"), organisation=organisation, year=year)
        .values("assignment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    qs = qs.annotate(money_here=Subquery(money, output_field=BigIntegerField()))
    return list(qs.order_by("start_year", "pk"))


@dataclass
class OrganisationOverview:
    """Per receiving organisation: counts per status, overdue ones and money attached (for politicians)."""

    organisation: Organisation
    counts: dict = field(default_factory=dict)
    total: int = 0
    overdue: int = 0
    money: int = 0

    def count(self, status):
        return self.counts.get(status, 0)


def overview(*, municipality, user, year):
    """The overview per nämnd (and KS, bolag): counts per status, overdue, money attached in `year`. Three queries."""
    today = timezone.localdate()
    qs = active_in(restrict(Assignment.objects.filter(municipality=municipality), user, VIEW), year)
    rows = qs.values_list("receivers", "status", "due_date")
    orgs = {
        o.pk: o
        for o in restrict(Organisation.objects.filter(municipality=municipality), user, VIEW).filter(
            kind__in=("executive_board", "committee", "company")
        )
    }
    result = {pk: OrganisationOverview(organisation=org) for pk, org in orgs.items()}
    by_org = defaultdict(list)
    for receiver_id, status, due_date in rows:
        by_org[receiver_id].append((status, due_date))
    # An assignment to a förvaltning or enhet counts for its nämnd.
    all_orgs = {
        o.pk: o for o in Organisation.objects.filter(municipality=municipality).only("pk", "tree_id", "lft", "rght")
    }
    for receiver_id, entries in by_org.items():
        receiver = all_orgs.get(receiver_id)
        owner = next((o for o in orgs.values() if receiver and o.contains(receiver)), None)
        if owner is None:
            continue
        item = result[owner.pk]
        for status, due_date in entries:
            item.counts[status] = item.counts.get(status, 0) + 1
            item.total += 1
            if due_date and due_date < today and status not in CLOSED_STATUSES:
                item.overdue += 1
    money_rows = AssignmentAmount.objects.filter(assignment__in=qs, year=year).values_list("organisation", "amount")
    for org_id, amount in money_rows:
        receiver = all_orgs.get(org_id)
        owner = next((o for o in orgs.values() if receiver and o.contains(receiver)), None)
        if owner is not None:
            result[owner.pk].money += amount
    return [result[pk] for pk in sorted(result, key=lambda pk: (orgs[pk].tree_id, orgs[pk].lft))]


STATUS_CHOICES = AssignmentStatus.choices
