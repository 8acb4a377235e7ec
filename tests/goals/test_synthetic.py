"""The synthetic municipality for benchmarks: a small one is generated and checked against the models' own rules."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from goals import synthetic
from goals.models import Goal, Indicator, Outcome, Plan, Target
from styrning.models import Municipality, Organisation

SMALL = {"organisations": 30, "goals": 400, "indicators": 40, "years": 3}


@pytest.fixture
def small(db):
    """A small synthetic municipality and the summary of its generation."""
    summary = synthetic.generate_municipality(slug="liten", seed=7, **SMALL)
    return Municipality.objects.get(slug="liten"), summary


def _numbering(queryset, level_attr):
    return list(queryset.order_by("pk").values_list("pk", "tree_id", "lft", "rght", level_attr))


def test_counts_match_the_request(small):
    municipality, summary = small
    assert municipality.is_example
    assert Organisation.objects.filter(municipality=municipality).count() == 30
    assert Goal.objects.filter(municipality=municipality).count() == 400
    assert Indicator.objects.filter(goal__municipality=municipality).count() == 40
    # A target for each outcome year and for the plan year; one yearly outcome per year.
    assert Target.objects.filter(indicator__goal__municipality=municipality).count() == 40 * 4
    assert Outcome.objects.filter(indicator__goal__municipality=municipality).count() == 40 * 3
    assert Plan.objects.filter(organisation__municipality=municipality).count() == 30
    assert summary["goals"] == 400
    assert summary["activities"] == Goal.objects.filter(municipality=municipality, kind="activity").count()
    assert not Goal.objects.filter(municipality=municipality, is_example=False).exists()


def test_every_object_passes_full_clean(small):
    municipality, _summary = small
    organisations = Organisation.objects.filter(municipality=municipality).select_related("parent")
    for organisation in organisations:
        organisation.full_clean()
    plans = Plan.objects.filter(organisation__municipality=municipality).select_related(
        "organisation", "mandate_period"
    )
    for plan in plans:
        plan.full_clean()
    goals = Goal.objects.filter(municipality=municipality).select_related(
        "organisation", "plan", "parent", "parent__organisation"
    )
    for goal in goals:
        goal.full_clean()
    for indicator in Indicator.objects.filter(goal__municipality=municipality):
        indicator.full_clean()


def test_the_chain_has_every_level_and_kind(small):
    municipality, _summary = small
    goals = Goal.objects.filter(municipality=municipality)
    assert set(goals.values_list("level", flat=True)) == {0, 1, 2, 3, 4}
    assert set(goals.values_list("kind", flat=True)) == {"vision", "direction", "financial", "goal", "activity"}
    activities = goals.filter(kind="activity")
    assert not activities.exclude(rght=F("lft") + 1).exists()  # activities are leaves
    assert not activities.filter(responsible="").exists()
    assert not activities.filter(start_date__isnull=True).exists()
    assert not activities.filter(activity_status="").exists()
    assert not goals.filter(level=2, kind="goal", perspective="").exists()


def test_numbering_equals_a_rebuild(small):
    municipality, _summary = small
    goals = Goal.objects.filter(municipality=municipality)
    organisations = Organisation.objects.filter(municipality=municipality)
    goals_before = _numbering(goals, "depth")
    organisations_before = _numbering(organisations, "level")

    Goal.objects.partial_rebuild(goals_before[0][1])
    Organisation.objects.partial_rebuild(organisations_before[0][1])

    assert _numbering(goals, "depth") == goals_before
    assert _numbering(organisations, "level") == organisations_before
    assert synthetic.verify_municipality(municipality) == []


@pytest.mark.parametrize("model", [Goal, Organisation, Indicator, Outcome, Target, Plan])
def test_each_object_has_one_creation_history_row(small, model):
    municipality, _summary = small
    path = {
        Goal: "municipality",
        Organisation: "municipality",
        Plan: "organisation__municipality",
        Indicator: "goal__municipality",
        Outcome: "indicator__goal__municipality",
        Target: "indicator__goal__municipality",
    }[model]
    ids = set(model.objects.filter(**{path: municipality}).values_list("pk", flat=True))
    history = model.history.model.objects.filter(id__in=ids)
    assert set(history.values_list("history_type", flat=True)) == {"+"}
    per_object = dict(history.values_list("id").annotate(n=Count("history_id")))
    assert per_object.keys() == ids
    assert set(per_object.values()) == {1}


def test_verify_finds_a_broken_numbering(small):
    municipality, _summary = small
    leaf = Goal.objects.filter(municipality=municipality, kind="activity").first()
    Goal.objects.filter(pk=leaf.pk).update(rght=leaf.rght + 2)  # corrupt on purpose; lft/rght carry no history

    problems = synthetic.verify_municipality(municipality)

    assert problems
    assert str(leaf.pk) in problems[0]


def test_sibling_keys_must_sort_alike_in_every_collation():
    assert synthetic._collation_safe("Grundskola", "Gymnasieskola")
    assert synthetic._collation_safe("N01.01", "N01.A001")
    assert synthetic._collation_safe("Hemtjänst", "Hemtjänst 02")
    assert not synthetic._collation_safe("Fritidshem", "Förskola")  # ö sorts like o in many locales
    assert not synthetic._collation_safe("Bygg", "byggnad")  # upper and lower case
    assert not synthetic._collation_safe("Ab 1", "Ab-2")  # punctuation is ignored by many locales
    with pytest.raises(ValueError):
        synthetic._check_sibling_keys(["Förskola", "Fritidshem"])


def test_sizes_that_cannot_form_a_chain_are_refused(db):
    with pytest.raises(ValueError, match="minst"):
        synthetic.generate_municipality(slug="for-liten", organisations=5, goals=100, indicators=1, years=1, seed=1)
    with pytest.raises(ValueError, match="minst"):
        synthetic.generate_municipality(slug="for-liten", organisations=30, goals=20, indicators=1, years=1, seed=1)
    with pytest.raises(ValueError, match="år med utfall"):
        synthetic.generate_municipality(slug="for-liten", organisations=30, goals=400, indicators=1, years=0, seed=1)
    assert not Municipality.objects.filter(slug="for-liten").exists()


def _command(**options):
    out = StringIO()
    call_command("generate_synthetic", stdout=out, **{"slug": "kommando", **SMALL, **options})
    return out.getvalue()


def test_command_refuses_an_existing_slug_and_replaces_on_request(db):
    output = _command()
    assert "Klart" in output
    municipality = Municipality.objects.get(slug="kommando")

    with pytest.raises(CommandError, match="--replace"):
        _command()

    output = _command(replace=True)
    assert "Tar bort" in output
    replaced = Municipality.objects.get(slug="kommando")
    assert replaced.pk != municipality.pk
    assert Goal.objects.filter(municipality=replaced).count() == SMALL["goals"]
    assert not Goal.objects.filter(municipality_id=municipality.pk).exists()
    # The removed municipality's history went with it: one creation row per goal remains.
    assert (
        Goal.history.model.objects.filter(municipality_id__in=[municipality.pk, replaced.pk]).count() == SMALL["goals"]
    )


def test_command_turns_bad_sizes_into_a_swedish_error(db):
    with pytest.raises(CommandError, match="minst 8 organisationer"):
        _command(organisations=3)
