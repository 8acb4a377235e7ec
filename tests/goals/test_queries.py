"""
A page's query count does not grow with the tree: the Huset, goal-chain and goal pages issue the same number of
queries for a small municipality and for one of 2,000 goal-chain nodes.
"""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.choices import GoalLevel
from goals.models import Goal
from goals.synthetic import generate_municipality
from styrning.models import Organisation
from styrning.services import membership_grant

from .. import factories as f


def measured_goals(municipality):
    """A KF goal, one of its nämndmål and one of that goal's children (the same shape in every municipality)."""
    kf_goal = Goal.objects.filter(municipality=municipality, level=GoalLevel.MUNICIPAL).order_by("lft").first()
    committee_goal = Goal.objects.filter(parent=kf_goal).exclude(rght=F("lft") + 1).order_by("lft").first()
    grandchild = Goal.objects.filter(parent=committee_goal).order_by("lft").first()
    return kf_goal, committee_goal, grandchild


def page_urls(municipality):
    kf_goal, committee_goal, _grandchild = measured_goals(municipality)
    return {
        # Session, user, memberships (permission scope), municipality, navigation, then the page's own queries.
        "house": reverse("goals:house", args=[municipality.slug]),
        "chain": reverse("goals:goal_chain", args=[municipality.slug]),
        "chain_filtered": reverse("goals:goal_chain", args=[municipality.slug]) + "?level=3",
        "kf_goal": reverse("goals:goal", args=[kf_goal.pk]),
        "committee_goal": reverse("goals:goal", args=[committee_goal.pk]),
        "children": reverse("goals:goal_children", args=[kf_goal.pk]),
        "analysis": reverse("goals:goal_analysis", args=[municipality.slug]),
    }


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.fixture
def two_municipalities(db, django_user_model):
    small = generate_municipality(slug="liten", organisations=30, goals=150, indicators=30, years=3, seed=1)
    large = generate_municipality(slug="stor", organisations=120, goals=2000, indicators=300, years=3, seed=2)
    reviewer = django_user_model.objects.create_user("granskare")
    for summary in (small, large):
        root = Organisation.objects.get(municipality__slug=summary["slug"], parent=None)
        membership_grant(user=reviewer, organisation=root, role="reviewer", granted_by=None)
        # Give the measured goals indicators in both, so both pages run the same prefetches.
        for goal in measured_goals(root.municipality):
            indicator = f.make_indicator(goal=goal, name="Mätt indikator", unit="%")
            f.make_target(indicator=indicator, year=2025, value=80)
            f.make_outcome(indicator=indicator, year=2025, value=75)
    return reviewer


def test_page_queries_do_not_grow_with_the_tree(client, two_municipalities, django_assert_max_num_queries):
    from styrning.models import Municipality

    client.force_login(two_municipalities)
    small = Municipality.objects.get(slug="liten")
    large = Municipality.objects.get(slug="stor")
    assert Goal.objects.filter(municipality=large).count() >= 2000
    client.get(page_urls(small)["house"])  # warm-up: the first request of a test also fills per-process caches
    small_counts = {name: count_queries(client, url) for name, url in page_urls(small).items()}
    client.get(page_urls(large)["house"])  # the session remembers the municipality being viewed: switch first
    for name, url in page_urls(large).items():
        # The same number of queries as for the small municipality (the count is recorded above, per page).
        with django_assert_max_num_queries(small_counts[name]):
            assert client.get(url).status_code == 200, name
    # A sanity ceiling so a regression that adds queries to both shows up too.
    assert max(small_counts.values()) <= 20, small_counts
