"""Computed, never typed: traffic lights, trends, and the Målanalys of seed 001."""

from decimal import Decimal

import pytest

from goals import selectors
from goals.choices import Direction
from goals.models import Indicator

from .. import factories as f


@pytest.mark.parametrize(
    ("value", "target", "direction", "expected"),
    [
        ("90", "90", Direction.INCREASE, "green"),
        ("95", "90", Direction.INCREASE, "green"),
        ("81", "90", Direction.INCREASE, "yellow"),  # within 10 % of 90 = 81
        ("80.99", "90", Direction.INCREASE, "red"),
        ("10", "12", Direction.DECREASE, "green"),
        ("13.2", "12", Direction.DECREASE, "yellow"),
        ("13.21", "12", Direction.DECREASE, "red"),
        (None, "12", Direction.DECREASE, "none"),
        ("12", None, Direction.DECREASE, "none"),
    ],
)
def test_traffic_light(value, target, direction, expected):
    value = Decimal(value) if value is not None else None
    target = Decimal(target) if target is not None else None
    assert selectors.traffic_light(value, target, direction, Decimal("10")) == expected


@pytest.mark.parametrize(
    ("previous", "latest", "direction", "expected"),
    [
        (80, 85, Direction.INCREASE, "better"),
        (85, 80, Direction.INCREASE, "worse"),
        (85, 80, Direction.DECREASE, "better"),
        (80, 80, Direction.DECREASE, "same"),
        (None, 80, Direction.DECREASE, "none"),
    ],
)
def test_trend(previous, latest, direction, expected):
    assert selectors.trend(previous, latest, direction) == expected


def test_summary_uses_latest_outcome_and_its_years_target(world):
    f.make_outcome(indicator=world.indicator, year=2025, value=Decimal("91"), period="T1")
    indicator = Indicator.objects.prefetch_related("outcomes", "targets").get(pk=world.indicator.pk)
    summary = selectors.summarise_indicator(indicator)
    assert summary.latest.label == "2025 T1"
    assert summary.target == Decimal("90")
    assert summary.light == "green"
    assert summary.trend == "better"  # 86 → 91


def test_summary_falls_back_to_the_latest_earlier_target(world):
    f.make_outcome(indicator=world.indicator, year=2026, value=Decimal("70"))
    indicator = Indicator.objects.prefetch_related("outcomes", "targets").get(pk=world.indicator.pk)
    summary = selectors.summarise_indicator(indicator)
    assert summary.target == Decimal("90") and summary.light == "red" and summary.trend == "worse"


def test_indicator_chart_is_svg_with_a_text_alternative(world):
    indicator = Indicator.objects.prefetch_related("outcomes", "targets").get(pk=world.indicator.pk)
    chart = str(selectors.indicator_chart(selectors.summarise_indicator(indicator)))
    assert chart.startswith("<svg") and "<title" in chart and "Behöriga till gymnasiet" in chart


def test_goal_analysis_counts_levels_and_flags_lopsided_spread(world):
    # KF1 has BUN1 and SN1 below it, KF2 none: 2 of 2 committee goals on one KF goal (≥ a third) is flagged.
    analysis = selectors.goal_analysis(municipality=world.municipality, user=world.politician)
    levels = {level.level: level for level in analysis["levels"]}
    assert levels[1].goal_count == 2 and levels[1].with_indicator == 0
    assert levels[2].goal_count == 2 and levels[2].with_indicator == 1 and levels[2].indicator_share == 50
    assert [g["code"] for g in levels[2].bare_leaves] == ["SN1"]
    spread = {s["code"]: s for s in analysis["spread"]}
    assert spread["KF1"]["count"] == 2 and spread["KF1"]["flag"] is True
    assert spread["KF2"]["count"] == 0 and spread["KF2"]["flag"] is False


def test_goal_analysis_of_another_municipality_is_empty_for_an_outsider(world):
    analysis = selectors.goal_analysis(municipality=world.municipality, user=world.foreigner)
    assert analysis["levels"] == [] and analysis["spread"] == []


def test_my_page_lists_what_awaits_the_official(world):
    data = selectors.my_page(user=world.official)
    assert {p.title for p in data["draft_plans"]} >= {"Nämndplan BUN 2025", "Verksamhetsplan BUF 2025"}
    assert "Nämndplan SN 2025" not in {p.title for p in data["plans"]}
    assert [g.code for g in data["goals_without_indicators"]] == ["BUF1"]
