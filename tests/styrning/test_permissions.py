"""The rules of styrning.permissions, in SQL (restrict) and in Python (can), for every persona."""

import pytest

from goals.models import Goal, Indicator, Outcome, Plan
from goals.services import plan_adopt
from styrning.models import Municipality, Organisation, SteeringDocument
from styrning.permissions import ADMIN, CHANGE, REPORT, VIEW, can, restrict


def visible_goal_codes(user, municipality=None):
    qs = restrict(Goal.objects.all(), user, VIEW)
    return set(qs.values_list("code", flat=True))


def test_members_see_their_whole_municipality_and_nothing_of_another(world):
    for user in (world.official, world.colleague, world.politician, world.outsider, world.admin):
        codes = visible_goal_codes(user)
        assert {"KF1", "BUN1", "SN1", "BUF1"} <= codes
        assert set(restrict(Municipality.objects.all(), user, VIEW)) == {world.municipality}
    assert set(restrict(Municipality.objects.all(), world.foreigner, VIEW)) == {world.other}
    assert "BUN1" not in visible_goal_codes(world.foreigner)


def test_user_without_membership_sees_nothing(world, django_user_model):
    nobody = django_user_model.objects.create_user("nobody")
    assert not restrict(Goal.objects.all(), nobody, VIEW).exists()
    assert not can(nobody, world.kf1, VIEW)


def test_editor_changes_own_subtree_only(world):
    changeable = set(restrict(Goal.objects.all(), world.official, CHANGE).values_list("code", flat=True))
    assert changeable == {"BUN1", "BUF1"}
    assert can(world.official, world.bun1, CHANGE)
    assert can(world.official, world.buf1, CHANGE)  # förvaltning below the nämnd
    assert not can(world.official, world.sn1, CHANGE)  # another committee's goal
    assert not can(world.official, world.kf1, CHANGE)  # the council's goal


def test_reviewers_never_change(world):
    for user in (world.colleague, world.politician):
        assert not restrict(Goal.objects.all(), user, CHANGE).exists()
        assert not can(user, world.bun1, CHANGE)
        assert not can(user, world.indicator, CHANGE)
        assert not can(user, world.outcome, REPORT)


def test_admin_changes_everything_in_municipality_but_not_another(world):
    assert can(world.admin, world.kf1, CHANGE)
    assert can(world.admin, world.sn1, ADMIN)
    assert can(world.admin, world.vision, ADMIN)
    assert not can(world.admin, world.other_vision, VIEW)
    assert not restrict(Goal.objects.filter(municipality=world.other), world.admin, CHANGE).exists()


def test_adopted_plan_is_read_only_for_editors_but_not_for_follow_up(world):
    plan_adopt(world.bun_plan, user=world.admin, decided_by=world.bun, decided_on="2025-01-20", paragraph="5")
    goal = Goal.objects.select_related("plan", "organisation").get(pk=world.bun1.pk)
    indicator = Indicator.objects.select_related("goal__plan", "goal__organisation").get(pk=world.indicator.pk)
    outcome = Outcome.objects.select_related("indicator__goal__organisation").get(pk=world.outcome.pk)
    assert not can(world.official, goal, CHANGE)
    assert not can(world.official, indicator, CHANGE)
    assert not restrict(Goal.objects.filter(pk=goal.pk), world.official, CHANGE).exists()
    assert can(world.official, outcome, REPORT)  # outcomes are entered during the year
    assert can(world.admin, goal, CHANGE)  # administrators may still correct an adopted plan
    plan = Plan.objects.get(pk=world.bun_plan.pk)
    assert not can(world.official, plan, CHANGE)


def test_organisations_and_municipality_wide_objects_are_for_administrators(world):
    assert not can(world.official, world.bun, CHANGE)
    assert can(world.admin, world.bun, CHANGE)
    assert set(restrict(Organisation.objects.all(), world.official, CHANGE)) == set()
    assert world.bun in set(restrict(Organisation.objects.all(), world.admin, CHANGE))
    assert not can(world.official, world.vision, ADMIN)


def test_documents_follow_their_organisation(world):
    assert can(world.official, world.document, CHANGE)
    assert not can(world.outsider, world.document, CHANGE)
    assert can(world.outsider, world.document, VIEW)
    assert not can(world.foreigner, world.document, VIEW)
    assert set(restrict(SteeringDocument.objects.all(), world.foreigner, VIEW)) == set()


@pytest.mark.parametrize("action", [VIEW, CHANGE, REPORT, ADMIN])
def test_restrict_and_can_agree_for_every_persona(world, action):
    goals = list(Goal.objects.select_related("organisation", "plan"))
    for user in (world.official, world.colleague, world.politician, world.outsider, world.foreigner, world.admin):
        in_sql = set(restrict(Goal.objects.all(), user, action).values_list("pk", flat=True))
        in_python = {g.pk for g in goals if can(user, g, action)}
        assert in_sql == in_python, (user.username, action)
