"""
The budget pages' query counts do not grow with the organisation or the money: the budget overview and an
organisation's budget page issue the same number of queries with 3 nämnder and with 30, and with 2 assignment
amounts and with 20.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budget import services
from budget.choices import DecisionKind
from budget.models import Calendar, Milestone
from styrning.services import membership_grant
from tests import factories as f

from .conftest import MKR, decide, make_adjustment, make_assignment, make_assumptions, make_budget, make_decision


def build(*, slug, committees, amounts, reader):
    """A municipality with KS and `committees` nämnder, last year's budget, this budget with a decided June version
    and a draft November version (one adjustment per frame), and `amounts` assignment amounts."""
    municipality = f.make_municipality(name=f"Kommun {slug}", slug=slug)
    kf = f.root_of(municipality)
    ks = f.make_org(parent=kf, kind="executive_board", name="Kommunstyrelsen", short_name="KS", code="KS")
    nämnder = [f.make_org(parent=kf, name=f"Nämnd {n:02}", code=f"N{n}") for n in range(committees)]
    units = [f.make_org(parent=n, kind="unit", name=f"Enhet {n.code}", code=f"E{n.code}") for n in nämnder[:2]]
    membership_grant(user=reader, organisation=kf, role="reviewer", granted_by=None)
    previous = make_budget(municipality=municipality, year=2026)
    make_decision(budget=previous, frames={(o, 2026): 50 * MKR for o in [ks, *nämnder]}, decided_by=kf)
    budget = make_budget(municipality=municipality, year=2027)
    for year in budget.years:
        make_assumptions(budget=budget, year=year, tax_revenue=2000 * MKR)
    june = make_decision(budget=budget, frames={(o, y): 55 * MKR for o in [ks, *nämnder] for y in budget.years})
    for frame in june.frames.all():
        make_adjustment(frame=frame, amount=MKR, reason="Volym")
    june = decide(june, decided_by=kf)
    november = services.budget_decision_new_version(june, kind=DecisionKind.COMPLEMENTARY, user=None)
    services.frame_table_save(november, amounts={(nämnder[0], 2027): 60 * MKR}, user=None)
    receivers = [*units, *nämnder]
    for n in range(amounts):
        organisation = receivers[n % len(receivers)]
        make_assignment(
            municipality=municipality,
            given_by=kf,
            lead=organisation,
            code=f"U{n}",
            receivers=[organisation, nämnder[0]],
            amounts=[(organisation, 2027 + n % 3, (n + 1) * 100_000)],
        )
    calendar = services.calendar_create(Calendar(municipality=municipality, year=2026), user=None, standard=True)
    for n, nämnd in enumerate(nämnder):
        services.milestone_save(
            Milestone(calendar=calendar, date=datetime.date(2026, 11, 1 + n % 28), responsible=nämnd, description="x"),
            user=None,
        )
    return budget, nämnder[0]


def urls(budget, organisation):
    return {
        "overview": reverse("budget:budget_overview", args=[budget.municipality.slug]) + "?ar=2027",
        "draft_compared": reverse("budget:budget", args=[budget.pk]) + "?version=2",
        "organisation": reverse("budget:organisation_budget", args=[organisation.pk, 2027]),
        "calendar": reverse("budget:calendar", args=[budget.municipality.slug, 2026]),
    }


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.fixture
def sizes(db, django_user_model):
    reader = django_user_model.objects.create_user("granskare")
    small = build(slug="liten", committees=3, amounts=2, reader=reader)
    large = build(slug="stor", committees=30, amounts=20, reader=reader)
    return reader, small, large


def test_budget_pages_do_not_grow_with_organisations_or_money(client, sizes, django_assert_max_num_queries):
    reader, small, large = sizes
    client.force_login(reader)
    small_counts = {name: count_queries(client, url) for name, url in urls(*small).items()}
    for name, url in urls(*large).items():
        # Every page: session, user, memberships (permission scope), navigation. The overview then: the budget
        # years, the budget, the next milestones, the decisions, last year's decisions, the frames of the shown,
        # compared and last year's versions, their adjustments, the organisations, the assignments' money and the
        # planning prerequisites. The organisation page: the organisation, the budget, its decisions, the frames,
        # their adjustments, the assignments' money and the assignments. The årshjul: the years, the calendar, its
        # milestones and the organisations the user may edit.
        with django_assert_max_num_queries(small_counts[name]):
            assert client.get(url).status_code == 200, name
    assert small_counts["overview"] <= 20, small_counts
    assert small_counts["organisation"] <= 16, small_counts
