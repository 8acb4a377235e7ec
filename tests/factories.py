"""Plain create() helpers for tests. Every object is written through the services, so it has its history."""

import itertools

from django.contrib.auth import get_user_model

from goals import services as goal_services
from goals.models import Goal, Indicator, Outcome, Plan, Target
from styrning import services
from styrning.models import MandatePeriod, Organisation, SteeringDocument

_counter = itertools.count(1)


def make_user(username=None, **kwargs):
    username = username or f"user{next(_counter)}"
    user = get_user_model().objects.create_user(username=username, password="demo", **kwargs)
    return user


def make_municipality(*, name=None, slug=None, user=None):
    n = next(_counter)
    return services.municipality_create(name=name or f"Kommun {n}", slug=slug or f"kommun-{n}", user=user)


def root_of(municipality):
    return Organisation.objects.get(municipality=municipality, parent=None)


def make_org(*, parent, kind="committee", name=None, code=None, short_name="", user=None):
    n = next(_counter)
    return services.organisation_create(
        municipality=parent.municipality,
        parent=parent,
        user=user,
        name=name or f"Organisation {n}",
        short_name=short_name,
        kind=kind,
        code=code or f"ORG{n}",
    )


def make_mandate_period(*, municipality, start_year=2023, user=None):
    return services.object_save(
        MandatePeriod(municipality=municipality, start_year=start_year, end_year=start_year + 3), user=user
    )


def make_plan(*, organisation, year=2025, mandate_period=None, title=None, user=None, **kwargs):
    plan = Plan(
        organisation=organisation,
        year=None if mandate_period else year,
        mandate_period=mandate_period,
        title=title or f"Plan för {organisation.name} {year}",
        **kwargs,
    )
    return goal_services.plan_save(plan, user=user)


def make_vision(*, municipality, statement="Här gör vi plats för att göra skillnad", user=None):
    return goal_services.vision_save(municipality=municipality, statement=statement, user=user)


def make_goal(*, parent, organisation, plan, code=None, title=None, user=None, **kwargs):
    kwargs.setdefault("kind", "direction" if parent.kind == "vision" else "goal")
    if organisation.kind in ("committee", "executive_board", "company") and kwargs["kind"] == "goal":
        kwargs.setdefault("perspective", "citizens")
    goal = Goal(
        parent=parent,
        organisation=organisation,
        plan=plan,
        code=code or f"G{next(_counter)}",
        title=title or "Ett mål",
        **kwargs,
    )
    return goal_services.goal_save(goal, user=user)


def make_indicator(*, goal, name="Andel nöjda invånare", user=None, **kwargs):
    return goal_services.indicator_save(Indicator(goal=goal, name=name, **kwargs), user=user)


def make_target(*, indicator, year, value, user=None):
    return goal_services.target_save(Target(indicator=indicator, year=year, value=value), user=user)


def make_outcome(*, indicator, year, value, period="Y", user=None, **kwargs):
    return goal_services.outcome_save(
        Outcome(indicator=indicator, year=year, value=value, period=period, **kwargs), user=user
    )


def make_document(*, organisation, title=None, kind="policy", user=None, **kwargs):
    document = SteeringDocument(
        municipality=organisation.municipality,
        organisation=organisation,
        title=title or f"Dokument {next(_counter)}",
        kind=kind,
        **kwargs,
    )
    return services.document_save(document, user=user)
