"""Tests for the server-side SVG charts in styrning.charts (no database needed)."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils.safestring import SafeString

from styrning import charts

NS = "{http://www.w3.org/2000/svg}"
NBSP = "\u00a0"
MINUS = "\u2212"
HOSTILE = "<script>alert('x')</script> & \"co\""


@pytest.fixture(autouse=True, scope="module")
def _django_settings():
    """gettext needs settings: the project's under pytest-django, otherwise a minimal i18n-free set.

    ``settings`` is imported here, not at module level: pytest inspects module attributes while
    collecting, which would load the project settings from DJANGO_SETTINGS_MODULE too early.
    """
    import django
    from django.apps import apps
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)
    if not apps.ready:
        django.setup()


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def by_class(root: ET.Element, tag: str, css_class: str) -> list[ET.Element]:
    return [el for el in root.iter(NS + tag) if css_class in (el.get("class") or "").split()]


def texts(root: ET.Element, css_class: str) -> list[str]:
    """Visible text of the matching <text> elements (wrapped lines joined, tooltips left out)."""
    result = []
    for el in by_class(root, "text", css_class):
        lines = el.findall(NS + "tspan")
        result.append(" ".join(line.text or "" for line in lines) if lines else el.text or "")
    return result


def own_text(el: ET.Element) -> str:
    """Text of an element without its nested <title> tooltip."""
    return el.text or ""


def contrast_against_white(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    luminance = 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    return 1.05 / (luminance + 0.05)


def sample_line_chart(**kwargs):
    options = {
        "title": "Andel nöjda brukare",
        "series": [("2019", 71), ("2020", Decimal("73.5")), ("2021", 12.5), ("2022", 80)],
        "target": [("2020", 75), ("2021", 78), ("2022", 80)],
        "unit": "%",
    }
    options.update(kwargs)
    return charts.line_chart(**options)


ALL_CHARTS = {
    "line": lambda title, label: charts.line_chart(title=title, series=[(label, 1), ("2021", 2)], target=[(label, 3)]),
    "empty": lambda title, label: charts.line_chart(title=title, series=[]),
    "bar": lambda title, label: charts.bar_chart(title=title, bars=[(label, 5), ("B", -2)]),
    "grouped": lambda title, label: charts.grouped_bar_chart(
        title=title, categories=[label, "B"], groups=[(label, [1, 2]), ("2024", [3, None])]
    ),
    "traffic_light": lambda title, label: charts.traffic_light_svg("green", title),
}


# --- format_number ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1234.5, None, f"1{NBSP}234,5"),
        (Decimal("2000000"), None, f"2{NBSP}000{NBSP}000"),
        (Decimal("2E+6"), None, f"2{NBSP}000{NBSP}000"),
        (0, None, "0"),
        (999, None, "999"),
        (1000, None, f"1{NBSP}000"),
        (Decimal("12.50"), None, "12,5"),
        (Decimal("12.5"), 2, "12,50"),
        (1234.5, 0, f"1{NBSP}235"),
        (123456789, None, f"123{NBSP}456{NBSP}789"),
    ],
)
def test_format_number_uses_swedish_separators(value, decimals, expected):
    assert charts.format_number(value, decimals) == expected


def test_format_number_rounds_half_up_without_float_artefacts():
    assert charts.format_number(2.675, 2) == "2,68"  # float arithmetic would give 2.67
    assert charts.format_number(Decimal("1.005"), 2) == "1,01"
    assert charts.format_number(0.1 + 0.2, 2) == "0,30"
    assert charts.format_number(0.1) == "0,1"


def test_format_number_negative_values_use_minus_sign_consistently():
    assert charts.format_number(-1234.5) == f"{MINUS}1{NBSP}234,5"
    assert charts.format_number(Decimal("-2000000")) == f"{MINUS}2{NBSP}000{NBSP}000"
    assert charts.format_number(-7, 1) == f"{MINUS}7,0"


def test_format_number_never_shows_negative_zero():
    assert charts.format_number(Decimal("-0.001"), 1) == "0,0"
    assert charts.format_number(-0.0) == "0"


def test_format_number_rejects_non_finite_and_non_numbers():
    with pytest.raises(ValueError):
        charts.format_number(float("nan"))
    with pytest.raises(TypeError):
        charts.format_number("12")


# --- nice_ticks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 87, [0, 25, 50, 75, 100]),
        (0, 100, [0, 25, 50, 75, 100]),
        (0, Decimal("12.5"), [0, 5, 10, 15]),
        (0, 1, [0, Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), 1]),
        (-3, 10, [-5, 0, 5, 10]),
        (Decimal("71.2"), 85, [70, 75, 80, 85]),
        (
            Decimal("0.42"),
            Decimal("0.5"),
            [Decimal("0.42"), Decimal("0.44"), Decimal("0.46"), Decimal("0.48"), Decimal("0.5")],
        ),
        (1234, 2000000, [0, 500000, 1000000, 1500000, 2000000]),
        (5, 5, [0, 2, 4, 6]),
        (0, 0, [0, Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), 1]),
    ],
)
def test_nice_ticks_for_typical_ranges(low, high, expected):
    assert charts.nice_ticks(low, high) == expected


@pytest.mark.parametrize(
    ("low", "high"),
    [(0, 3), (0, 7), (0, 45), (2, 9.5), (-120, -30), (-0.3, 0.2), (1e-3, 4e-3), (15000, 2300000), (99, 101)],
)
def test_nice_ticks_are_few_evenly_spaced_and_cover_the_range(low, high):
    ticks = charts.nice_ticks(low, high)
    steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
    assert 3 <= len(ticks) <= 5
    assert len(steps) == 1
    step = steps.pop()
    assert step.scaleb(-step.adjusted()).normalize() in {1, 2, Decimal("2.5"), 5}
    assert ticks[0] <= Decimal(repr(low)) and ticks[-1] >= Decimal(repr(high))


# --- common SVG structure -----------------------------------------------------


@pytest.mark.parametrize("kind", ALL_CHARTS)
def test_chart_parses_as_svg_with_title_as_first_child(kind):
    svg = ALL_CHARTS[kind]("Min rubrik", "2020")
    assert isinstance(svg, SafeString)
    root = parse(svg)
    assert root.tag == NS + "svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    first = root[0]
    assert first.tag == NS + "title"
    assert first.text == "Min rubrik"
    assert root.get("aria-labelledby") == first.get("id")


@pytest.mark.parametrize("kind", ALL_CHARTS)
def test_html_in_titles_and_labels_is_escaped(kind):
    svg = str(ALL_CHARTS[kind](HOSTILE, HOSTILE))
    assert "<script>" not in svg
    root = parse(svg)  # would fail on raw "&" or quotes breaking attributes
    assert root[0].text == HOSTILE
    if kind not in ("traffic_light", "empty"):
        assert any(HOSTILE in "".join(el.itertext()) for el in root.iter(NS + "text"))


def test_desc_follows_title_and_is_referenced():
    root = parse(sample_line_chart(desc="Andelen har ökat <kraftigt>."))
    assert root[1].tag == NS + "desc"
    assert root[1].text == "Andelen har ökat <kraftigt>."
    assert root.get("aria-describedby") == root[1].get("id")


def test_desc_defaults_to_a_summary_of_the_values():
    desc = parse(sample_line_chart())[1].text
    assert f"2020: 73,5{NBSP}%" in desc
    assert "Målvärde" in desc


def test_all_text_is_text_in_inter_with_sufficient_contrast():
    for svg in (sample_line_chart(), charts.bar_chart(title="T", bars=[("A", 1), ("B", -1)])):
        text_elements = list(parse(svg).iter(NS + "text"))
        assert text_elements
        for el in text_elements:
            assert el.get("font-family") == "Inter, sans-serif"
            assert contrast_against_white(el.get("fill")) >= 4.5


def test_series_target_and_group_colours_meet_contrast():
    colours = [charts.SERIES_COLOUR, charts.TARGET_COLOUR, *charts.GROUP_COLOURS]
    assert all(contrast_against_white(colour) >= 4.5 for colour in colours)


def test_ids_are_stable_for_same_input_and_differ_between_charts():
    assert str(sample_line_chart()) == str(sample_line_chart())
    first = parse(sample_line_chart())[0].get("id")
    other = parse(sample_line_chart(title="Annan rubrik"))[0].get("id")
    assert first != other


# --- line chart ------------------------------------------------------------------


def test_line_chart_y_axis_uses_nice_ticks_in_swedish_format():
    root = parse(charts.line_chart(title="Kostnad", series=[("2020", Decimal("1200")), ("2021", Decimal("2400"))]))
    assert texts(root, "chart-y-label") == [f"1{NBSP}000", f"1{NBSP}500", f"2{NBSP}000", f"2{NBSP}500"]


def test_line_chart_y_axis_shows_consistent_decimals():
    root = parse(charts.line_chart(title="Andel", series=[("2020", Decimal("0.2")), ("2021", Decimal("0.9"))]))
    assert texts(root, "chart-y-label") == ["0,00", "0,25", "0,50", "0,75", "1,00"]


def test_line_chart_starts_at_zero_only_when_values_are_near_it():
    near_zero = parse(charts.line_chart(title="T", series=[("2020", 10), ("2021", 40)]))
    far_from_zero = parse(charts.line_chart(title="T", series=[("2020", 71), ("2021", 85)]))
    assert texts(near_zero, "chart-y-label")[0] == "0"
    assert texts(far_from_zero, "chart-y-label")[0] == "70"


def test_line_chart_point_tooltips_carry_label_and_value():
    root = parse(sample_line_chart())
    points = by_class(root, "circle", "chart-point")
    assert [point.find(NS + "title").text for point in points] == [
        f"2019: 71{NBSP}%",
        f"2020: 73,5{NBSP}%",
        f"2021: 12,5{NBSP}%",
        f"2022: 80{NBSP}%",
    ]


def test_higher_values_are_drawn_higher_up():
    root = parse(charts.line_chart(title="T", series=[("2020", 10), ("2021", 40)]))
    low, high = (float(point.get("cy")) for point in by_class(root, "circle", "chart-point"))
    assert high < low


def test_none_values_split_the_line_into_separate_polylines():
    series = [("2018", 1), ("2019", 2), ("2020", None), ("2021", 3), ("2022", 4), ("2023", 5)]
    root = parse(charts.line_chart(title="T", series=series))
    polylines = by_class(root, "polyline", "chart-series")
    assert [len(line.get("points").split()) for line in polylines] == [2, 3]
    assert len(by_class(root, "circle", "chart-point")) == 5


def test_isolated_point_gets_a_marker_but_no_line():
    series = [("2019", None), ("2020", 1), ("2021", None), ("2022", 2), ("2023", 3)]
    root = parse(charts.line_chart(title="T", series=series))
    assert len(by_class(root, "polyline", "chart-series")) == 1
    assert len(by_class(root, "circle", "chart-point")) == 3


@pytest.mark.parametrize("series", [[], [("2020", None), ("2021", None)]])
def test_line_chart_without_outcomes_says_so(series):
    root = parse(charts.line_chart(title="Andel nöjda", series=series))
    assert root[0].tag == NS + "title"
    assert root[0].text == "Andel nöjda"
    assert texts(root, "chart-empty") == ["Inga utfall ännu"]
    assert not by_class(root, "polyline", "chart-series")


def test_target_is_a_dashed_line_with_legend():
    root = parse(sample_line_chart())
    targets = by_class(root, "path", "chart-target")
    assert len(targets) == 1
    assert targets[0].get("stroke-dasharray")
    legend = by_class(root, "g", "chart-legend")[0]
    assert [el.text for el in legend.iter(NS + "text")] == ["Utfall", "Målvärde"]


def test_legend_has_no_target_entry_without_target():
    root = parse(sample_line_chart(target=None))
    legend = by_class(root, "g", "chart-legend")[0]
    assert [el.text for el in legend.iter(NS + "text")] == ["Utfall"]
    assert not by_class(root, "path", "chart-target")


def test_target_labels_missing_from_series_extend_the_x_axis():
    root = parse(charts.line_chart(title="T", series=[("2023", 1), ("2024", 2)], target=[("2024", 3), ("2025", 4)]))
    assert texts(root, "chart-x-label") == ["2023", "2024", "2025"]


def test_many_x_labels_are_thinned_but_the_latest_is_kept():
    series = [(f"{year} T{quarter}", year + quarter) for year in range(2015, 2025) for quarter in (1, 2, 3)]
    root = parse(charts.line_chart(title="T", series=series))
    shown = texts(root, "chart-x-label")
    assert 2 <= len(shown) <= 10
    assert shown[-1] == "2024 T3"
    assert len(by_class(root, "circle", "chart-point")) == len(series)


def test_line_chart_elements_stay_inside_the_canvas():
    series = [(f"{year} T{quarter}", year * quarter) for year in range(2019, 2025) for quarter in (1, 2, 3)]
    root = parse(charts.line_chart(title="T", series=series, width=400, height=200))
    for point in by_class(root, "circle", "chart-point"):
        assert 0 < float(point.get("cx")) < 400
        assert 0 < float(point.get("cy")) < 200
    last_label = by_class(root, "text", "chart-x-label")[-1]
    assert float(last_label.get("x")) + charts._text_width(last_label.text) / 2 <= 400


# --- bar charts ------------------------------------------------------------------


def bar_geometry(root: ET.Element) -> tuple[float, list[tuple[float, float]]]:
    zero_line = by_class(root, "line", "chart-zero-line")[0]
    rects = [(float(rect.get("x")), float(rect.get("width"))) for rect in by_class(root, "rect", "chart-bar")]
    return float(zero_line.get("x1")), rects


def test_bar_chart_has_one_row_per_bar():
    bars = [("Nämnd A", 12), ("Nämnd B", Decimal("3.5")), ("Nämnd C", None), ("Nämnd D", 0)]
    root = parse(charts.bar_chart(title="Resultat", bars=bars, unit="mnkr"))
    assert len(by_class(root, "g", "chart-bar-row")) == len(bars)
    assert texts(root, "chart-bar-label") == ["Nämnd A", "Nämnd B", "Nämnd C", "Nämnd D"]
    assert [own_text(el) for el in by_class(root, "text", "chart-bar-value")] == [
        f"12{NBSP}mnkr",
        f"3,5{NBSP}mnkr",
        "\u2013",
        f"0{NBSP}mnkr",
    ]
    assert len(by_class(root, "rect", "chart-bar")) == 3  # no bar for the missing value


def test_negative_bar_extends_left_of_the_zero_line():
    root = parse(charts.bar_chart(title="Resultat", bars=[("Vinst", 10), ("Förlust", -4)]))
    zero_x, ((pos_x, pos_width), (neg_x, neg_width)) = bar_geometry(root)
    assert pos_x == pytest.approx(zero_x)
    assert neg_x < zero_x
    assert neg_x + neg_width == pytest.approx(zero_x)
    assert neg_width == pytest.approx(pos_width * 0.4, rel=0.01)
    negative_value, positive_value = (
        by_class(root, "text", "chart-bar-value")[1],
        by_class(root, "text", "chart-bar-value")[0],
    )
    assert float(negative_value.get("x")) < neg_x
    assert float(positive_value.get("x")) > pos_x + pos_width
    assert negative_value.text == f"{MINUS}4"


def test_positive_only_bars_start_at_the_zero_line():
    root = parse(charts.bar_chart(title="T", bars=[("A", 1), ("B", 2), ("C", 3)]))
    zero_x, rects = bar_geometry(root)
    assert all(x == pytest.approx(zero_x) for x, _ in rects)
    assert [width for _, width in rects] == sorted(width for _, width in rects)


def test_bar_chart_uses_custom_value_format():
    root = parse(
        charts.bar_chart(title="T", bars=[("A", Decimal("0.125"))], value_format=lambda v: f"{v * 100} procent")
    )
    assert own_text(by_class(root, "text", "chart-bar-value")[0]) == "12.500 procent"


def test_bar_chart_height_grows_with_rows_unless_given():
    two = parse(charts.bar_chart(title="T", bars=[("A", 1), ("B", 2)]))
    six = parse(charts.bar_chart(title="T", bars=[(str(i), i) for i in range(6)]))
    fixed = parse(charts.bar_chart(title="T", bars=[(str(i), i) for i in range(6)], height=300))
    assert float(six.get("height")) > float(two.get("height"))
    assert fixed.get("height") == "300"
    assert max(float(r.get("y")) + float(r.get("height")) for r in by_class(fixed, "rect", "chart-bar")) <= 300


def test_long_bar_labels_wrap_and_keep_the_full_text_as_tooltip():
    label = "Miljö- och samhällsbyggnadsförvaltningen i kommunen"
    root = parse(charts.bar_chart(title="T", bars=[(label, 1)], width=360))
    label_element = by_class(root, "text", "chart-bar-label")[0]
    assert len(label_element.findall(NS + "tspan")) == 2
    assert label_element.find(NS + "title").text == label


def test_grouped_bar_chart_draws_one_bar_per_category_and_group_with_legend():
    root = parse(
        charts.grouped_bar_chart(
            title="Ramar per förvaltning",
            categories=["Barn och utbildning", "Social", "Teknik"],
            groups=[("2023", [100, 200, 300]), ("2024", [110, 190, -5]), ("2025", [120, None, 10])],
            unit="tkr",
        )
    )
    assert len(by_class(root, "g", "chart-bar-row")) == 3
    bars = by_class(root, "rect", "chart-bar")
    assert len(bars) == 8
    legend = by_class(root, "g", "chart-legend")[0]
    assert [el.text for el in legend.iter(NS + "text")] == ["2023", "2024", "2025"]
    swatches = [rect.get("fill") for rect in legend.iter(NS + "rect")]
    assert len(set(swatches)) == 3
    assert {bar.get("fill") for bar in bars} == set(swatches)
    assert bars[0].find(NS + "title").text == f"Barn och utbildning, 2023: 100{NBSP}tkr"


def test_grouped_bar_chart_rejects_mismatched_or_too_many_groups():
    with pytest.raises(ValueError):
        charts.grouped_bar_chart(title="T", categories=["A", "B"], groups=[("2024", [1])])
    with pytest.raises(ValueError):
        charts.grouped_bar_chart(title="T", categories=["A"], groups=[(str(year), [1]) for year in range(2020, 2025)])


# --- traffic light ---------------------------------------------------------------


def shape_signature(status: str) -> tuple[str, str | None, str | None]:
    root = parse(charts.traffic_light_svg(status, "Status"))
    shape = root[-1]
    return shape.tag, shape.get("fill"), shape.get("stroke")


def test_traffic_light_is_a_small_labelled_icon():
    root = parse(charts.traffic_light_svg("red", "Målet uppnås inte"))
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("14", "14", "0 0 14 14")
    assert root[0].tag == NS + "title"
    assert root[0].text == "Målet uppnås inte"
    assert "traffic-light--red" in root.get("class")


def test_traffic_light_shapes_differ_per_status():
    tags = {status: shape_signature(status)[0] for status in ("green", "yellow", "red", "none")}
    assert tags == {"green": NS + "circle", "yellow": NS + "polygon", "red": NS + "rect", "none": NS + "circle"}
    green, none = shape_signature("green"), shape_signature("none")
    assert green[1] != none[1]
    assert none[1] == "#FFFFFF" and none[2]  # hollow: white fill, coloured outline


def test_traffic_light_unknown_status_is_drawn_as_none():
    assert shape_signature("purple") == shape_signature("none")
