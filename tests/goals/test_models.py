"""The tree rules of the goal chain (Goal.clean) and of the organisation forest (Organisation.clean)."""

import pytest
from django.core.exceptions import ValidationError

from goals.models import Goal, Plan
from styrning.models import MandatePeriod, Organisation

from .. import factories as f


def errors_of(obj):
    with pytest.raises(ValidationError) as exc:
        obj.full_clean()
    return exc.value.message_dict


def test_goal_cannot_move_under_its_own_descendant(world):
    bun1 = Goal.objects.get(pk=world.bun1.pk)
    bun1.parent = Goal.objects.get(pk=world.buf1.pk)
    assert "parent" in errors_of(bun1)


def test_goal_cannot_be_its_own_parent(world):
    kf1 = Goal.objects.get(pk=world.kf1.pk)
    kf1.parent = kf1
    assert "Ett mål kan inte ligga under sig självt" in errors_of(kf1)["parent"][0]


def test_child_organisation_must_lie_within_the_parents(world):
    goal = Goal(
        municipality=world.municipality,
        parent=world.bun1,
        organisation=world.sn,
        plan=world.sn_plan,
        code="X1",
        title="Fel organisation",
        kind="goal",
        perspective="economy",
        level=2,
    )
    errors = errors_of(goal)
    assert "parent" in errors or "organisation" in errors


def test_goal_level_must_be_below_parent_level(world):
    goal = Goal(
        municipality=world.municipality,
        parent=world.bun1,
        organisation=world.bun,
        plan=world.bun_plan,
        code="X2",
        title="Samma nivå",
        kind="goal",
        perspective="economy",
        level=2,
    )
    assert "högre nivå" in errors_of(goal)["parent"][0]


def test_level_must_match_the_organisation_kind(world):
    goal = Goal(
        municipality=world.municipality,
        parent=world.kf1,
        organisation=world.bun,
        plan=world.bun_plan,
        code="X3",
        title="Fel nivå",
        kind="goal",
        perspective="economy",
        level=3,
    )
    assert "level" in errors_of(goal)


def test_committee_goal_needs_a_perspective(world):
    goal = Goal(
        municipality=world.municipality,
        parent=world.kf1,
        organisation=world.bun,
        plan=world.bun_plan,
        code="X4",
        title="Utan perspektiv",
        kind="goal",
        level=2,
    )
    assert "perspektiv" in errors_of(goal)["perspective"][0]


def test_activities_have_no_children(world):
    activity = f.make_goal(
        parent=world.buf1,
        organisation=world.bun_admin,
        plan=world.buf_plan,
        code="AKT1",
        title="Läsvecka",
        kind="activity",
        responsible="Rektor",
        activity_status="ongoing",
    )
    child = Goal(
        municipality=world.municipality,
        parent=activity,
        organisation=world.bun_admin,
        plan=world.buf_plan,
        code="X5",
        title="Under aktivitet",
        kind="activity",
        level=3,
        responsible="A",
        activity_status="ongoing",
    )
    assert "aktivitet kan inte ha undermål" in errors_of(child)["parent"][0]


def test_kf_goal_horizon_is_one_to_four_years(world):
    kf1 = Goal.objects.get(pk=world.kf1.pk)
    kf1.start_year, kf1.end_year = 2023, 2027
    assert "1–4 år" in errors_of(kf1)["end_year"][0]


def test_plan_must_belong_to_the_goals_organisation(world):
    goal = Goal.objects.get(pk=world.bun1.pk)
    goal.plan = world.sn_plan
    assert "plan" in errors_of(goal)


def test_goal_codes_are_unique_per_municipality_only(world):
    duplicate = Goal(
        municipality=world.municipality,
        parent=world.kf1,
        organisation=world.bun,
        plan=world.bun_plan,
        code="BUN1",
        title="Dubblett",
        kind="goal",
        perspective="economy",
        level=2,
    )
    assert "Koden finns redan" in " ".join(sum(errors_of(duplicate).values(), []))
    # The same code in another municipality is fine.
    other_plan = f.make_plan(organisation=world.other_kf, year=2025, title="Strategisk plan Säter")
    f.make_goal(parent=world.other_vision, organisation=world.other_kf, plan=other_plan, code="BUN1")


def test_vision_is_the_root(world):
    vision = Goal.objects.get(pk=world.vision.pk)
    vision.parent = world.kf1
    assert "Visionen står överst" in errors_of(vision)["parent"][0]


def test_plan_kind_follows_organisation_and_needs_year_or_period(world):
    plan = Plan(organisation=world.bun, kind="unit", year=2026, title="Fel typ")
    assert "kind" in errors_of(plan)
    plan = Plan(organisation=world.bun, kind="committee", title="Utan år")
    assert "year" in errors_of(plan)


def test_adopted_plan_needs_a_decision(world):
    plan = Plan.objects.get(pk=world.bun_plan.pk)
    plan.status = "adopted"
    assert "decided_on" in errors_of(plan)


def test_organisation_tree_rules(world):
    unit = Organisation.objects.get(pk=world.school.pk)
    unit.parent = unit
    assert "parent" in errors_of(unit)
    bun = Organisation.objects.get(pk=world.bun.pk)
    bun.parent = Organisation.objects.get(pk=world.school.pk)
    assert "parent" in errors_of(bun)
    committee_under_unit = Organisation(
        municipality=world.municipality, parent=world.school, name="Nämnd", kind="committee", code="NN"
    )
    assert "kind" in errors_of(committee_under_unit)
    foreign_parent = Organisation(
        municipality=world.municipality, parent=world.other_kf, name="Fel kommun", kind="committee", code="FK"
    )
    assert "parent" in errors_of(foreign_parent)


def test_mandate_period_is_four_years(world):
    period = MandatePeriod(municipality=world.municipality, start_year=2027, end_year=2029)
    assert "fyra år" in errors_of(period)["end_year"][0]


def test_verksamhet_goal_may_refine_its_forvaltnings_goal(world):
    department = f.make_org(parent=world.bun_admin, kind="department", name="Grundskola", code="GRS")
    plan = f.make_plan(organisation=department, year=2025, title="Verksamhetsplan grundskola 2025")
    goal = f.make_goal(parent=world.buf1, organisation=department, plan=plan, code="GRS1", title="Läslyft")
    assert goal.level == world.buf1.level
    # …but not the förvaltning's own goal under itself at the same level.
    same_org = Goal(
        municipality=world.municipality,
        parent=world.buf1,
        organisation=world.bun_admin,
        plan=world.buf_plan,
        code="X6",
        title="Samma organisation",
        kind="goal",
        level=3,
    )
    assert "högre nivå" in errors_of(same_org)["parent"][0]
