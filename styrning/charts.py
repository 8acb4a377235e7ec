"""Server-side SVG charts for web pages and PDF reports.

Design
------
Charts are produced as plain SVG strings by small, dependency-free functions. The same markup is
embedded inline in HTML templates (``{{ chart }}``) and rendered by WeasyPrint when a page is
turned into a PDF, so a chart looks identical on screen and on paper, needs no JavaScript, and
no charting library has to be installed, kept up to date or loaded by the browser.

Text stays text: axis labels, legends and values are ``<text>`` elements (font-family
"Inter, sans-serif"), never paths or bitmaps. They remain selectable and searchable in PDFs,
scale crisply, and follow the document's font.

Accessibility: every chart is an ``<svg role="img">`` whose first child is a ``<title>`` holding
the caller-supplied text alternative; ``aria-labelledby`` points at it. A ``<desc>`` follows; when
the caller gives none, a short summary of the plotted values is generated, because ``role="img"``
hides the individual elements from assistive technology. Series colours have at least 4.5:1
contrast against white, the target line is dashed (not only a different colour), and status
icons differ in shape as well as colour (WCAG 1.4.1).

Sizing: the root element has ``width``, ``height`` and ``viewBox`` plus the class ``chart``; a
stylesheet rule such as ``.chart { max-width: 100%; height: auto; }`` makes charts shrink with
their container. No inline styles are emitted, so a strict Content-Security-Policy is unaffected.

All user-visible strings are escaped with :func:`django.utils.html.escape`; fixed strings go
through :func:`django.utils.translation.gettext` at call time, so the module can be imported
without configured settings. Numbers are formatted the Swedish way by :func:`format_number`
("1 234,5", with a no-break space and U+2212 for minus), using :class:`~decimal.Decimal`
arithmetic so that floats do not leak binary rounding artefacts into labels.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

__all__ = [
    "bar_chart",
    "format_number",
    "grouped_bar_chart",
    "line_chart",
    "nice_ticks",
    "traffic_light_svg",
]

Number = Decimal | int | float

NBSP = "\u00a0"
MINUS = "\u2212"
DASH = "\u2013"

FONT_FAMILY = "Inter, sans-serif"
SVG_NS = "http://www.w3.org/2000/svg"

# Colours. Everything that carries meaning has >= 4.5:1 contrast against white.
SERIES_COLOUR = "#1E4E79"  # dark blue, 8.7:1
TARGET_COLOUR = "#4D4D4D"  # dark grey, 8.4:1, drawn dashed
TEXT_COLOUR = "#262626"  # 15:1
MUTED_TEXT_COLOUR = "#4D4D4D"  # 8.4:1
AXIS_COLOUR = "#737373"  # 4.7:1
GRID_COLOUR = "#E0E0E0"  # decorative only
# Okabe-Ito hues (distinguishable with common colour-vision deficiencies), darkened for contrast.
GROUP_COLOURS = ("#1E4E79", "#B35900", "#00785A", "#A24F80")

TRAFFIC_LIGHT_COLOURS = {
    "green": "#2E7D32",
    "yellow": "#F5B700",
    "yellow_outline": "#7A5900",
    "red": "#C62828",
    "none": "#595959",
}

FONT_SIZE = 11
LABEL_FONT_SIZE = 12
LINE_HEIGHT = 1.2
# Approximate advance widths (in em) of Inter glyphs, used to reserve room for labels, and a
# margin for wider fallback fonts (DejaVu Sans runs up to ~9 % wider than Inter).
WIDTH_SAFETY = 1.1
NARROW_CHARS = frozenset("ijlI.,:;'|!()[]{}/tfr \u00a0")
WIDE_CHARS = frozenset("mwMW%@\u2026")


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------


def _to_decimal(value: Number) -> Decimal:
    """Convert ``value`` to Decimal; floats go through ``repr`` (shortest round-trip form)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("Booleans are not numbers to chart.")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TypeError(f"Cannot format {type(value).__name__} as a number.")


def _chart_value(value: Number | None) -> Decimal | None:
    """Convert a plotted value; ``None`` and non-finite numbers become gaps."""
    if value is None:
        return None
    number = _to_decimal(value)
    return number if number.is_finite() else None


def format_number(value: Number, decimals: int | None = None) -> str:
    """Format ``value`` the Swedish way: "1 234,5", "2 000 000", "-3,25" (with U+2212 as minus).

    The thousands separator is a no-break space (U+00A0), the decimal separator a comma and the
    minus sign U+2212. With ``decimals`` the value is rounded half up to that many decimals
    (trailing zeros kept); without it the value is shown as given, trailing zeros dropped.
    Floats are converted through their shortest decimal representation, so ``format_number(0.1)``
    is "0,1" and ``format_number(2.675, 2)`` is "2,68".
    """
    number = _to_decimal(value)
    if not number.is_finite():
        raise ValueError(f"Cannot format non-finite number {value!r}.")
    if decimals is not None:
        number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = format(number, "f")
    negative = text.startswith("-")
    integer, _, fraction = text.lstrip("-").partition(".")
    if decimals is None:
        fraction = fraction.rstrip("0")
    head = len(integer) % 3 or 3
    groups = [integer[:head]] + [integer[i : i + 3] for i in range(head, len(integer), 3)]
    result = NBSP.join(groups)
    if fraction:
        result += "," + fraction
    if negative and any(digit != "0" for digit in integer + fraction):
        result = MINUS + result
    return result


def _with_unit(text: str, unit: str) -> str:
    return f"{text}{NBSP}{unit}" if unit else text


def nice_ticks(low: Number, high: Number, max_intervals: int = 4) -> list[Decimal]:
    """Return evenly spaced "nice" tick values covering ``low``..``high``.

    The step is the smallest of 1, 2, 2.5 or 5 times a power of ten that covers the range in at
    most ``max_intervals`` intervals, so the result has between 3 and ``max_intervals + 1`` ticks
    (e.g. 0..87 gives 0, 25, 50, 75, 100). A degenerate range is widened to include zero
    (or 0..1 when both ends are zero).
    """
    if max_intervals < 1:
        raise ValueError("max_intervals must be at least 1.")
    low_d, high_d = sorted((_to_decimal(low), _to_decimal(high)))
    if low_d == high_d:
        if low_d > 0:
            low_d = Decimal(0)
        elif high_d < 0:
            high_d = Decimal(0)
        else:
            high_d = Decimal(1)
    raw_step = (high_d - low_d) / max_intervals
    exponent = raw_step.adjusted()
    while True:
        for multiplier in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
            step = multiplier.scaleb(exponent)
            first = (low_d / step).to_integral_value(rounding=ROUND_FLOOR)
            last = (high_d / step).to_integral_value(rounding=ROUND_CEILING)
            if last - first <= max_intervals:
                return [((first + i) * step).normalize() + 0 for i in range(int(last - first) + 1)]
        exponent += 1


def _decimals_for(step: Decimal) -> int:
    return max(0, -step.normalize().as_tuple().exponent)


# ---------------------------------------------------------------------------
# SVG building blocks
# ---------------------------------------------------------------------------


def _coord(value: float | int) -> str:
    """Compact coordinate: at most two decimals, no trailing zeros, never "-0"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(attrs: dict[str, object]) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        if isinstance(value, float | int) and not isinstance(value, bool):
            value = _coord(value)
        parts.append(f'{name}="{escape(value)}"')
    return " ".join(parts)


def _el(tag: str, content: str = "", **attrs: object) -> str:
    """Build an element; ``content`` must already be escaped markup."""
    attributes = _attrs(attrs)
    opening = f"<{tag} {attributes}" if attributes else f"<{tag}"
    return f"{opening}>{content}</{tag}>" if content else f"{opening}/>"


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def _text(
    x: float,
    y: float,
    content: str | list[str],
    *,
    size: int = FONT_SIZE,
    anchor: str = "start",
    fill: str = MUTED_TEXT_COLOUR,
    weight: str | None = None,
    class_: str | None = None,
    tooltip: str | None = None,
) -> str:
    """A ``<text>`` element centred vertically on ``y``; a list of strings becomes stacked lines."""
    baseline = y + size * 0.35
    if isinstance(content, str):
        inner = escape(content)
    else:
        first = baseline - (len(content) - 1) * size * LINE_HEIGHT / 2
        inner = "".join(
            _el("tspan", escape(line), x=x, y=first + number * size * LINE_HEIGHT)
            for number, line in enumerate(content)
        )
    inner += _title(tooltip) if tooltip else ""
    return _el(
        "text",
        inner,
        x=x,
        y=baseline,
        font_family=FONT_FAMILY,
        font_size=size,
        font_weight=weight,
        fill=fill,
        text_anchor=None if anchor == "start" else anchor,
        class_=class_,
    )


def _char_width(char: str) -> float:
    if char in NARROW_CHARS:
        return 0.32
    if char in WIDE_CHARS:
        return 0.88
    if char.isdigit() or char == MINUS:
        return 0.62
    if char.isupper():
        return 0.7
    return 0.56


def _text_width(text: str, size: int = FONT_SIZE) -> float:
    """Estimated rendered width of ``text`` in user units (no font metrics on the server)."""
    return sum(_char_width(char) for char in text) * size * WIDTH_SAFETY


def _truncate(text: str, max_width: float, size: int) -> str:
    """Shorten ``text`` with an ellipsis so that it fits ``max_width``."""
    if _text_width(text, size) <= max_width:
        return text
    while text and _text_width(text + "\u2026", size) > max_width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _wrap(text: str, max_width: float, size: int, max_lines: int = 2) -> list[str]:
    """Break ``text`` at spaces into at most ``max_lines`` lines; truncate what still does not fit."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _text_width(candidate, size) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return [_truncate(line, max_width, size) for line in lines]


def _element_id(kind: str, *parts: object) -> str:
    """A deterministic id derived from the chart's inputs (same chart, same markup)."""
    payload = json.dumps([kind, *parts], default=str, ensure_ascii=False)
    digest = hashlib.sha1(payload.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"{kind}-{digest}"


def _svg(
    *,
    ident: str | None,
    title: str,
    desc: str,
    width: float,
    height: float,
    body: Sequence[str],
    class_: str,
) -> SafeString:
    """Wrap ``body`` in the root element with ``<title>`` first and an optional ``<desc>``.

    Without ``ident`` (small icons repeated many times on a page) the text alternative is an ``aria-label`` instead
    of an id reference, so a page never carries duplicate ids.
    """
    title_id = f"{ident}-title" if ident else None
    desc_id = f"{ident}-desc" if desc and ident else None
    header = [f'<title id="{title_id}">{escape(title)}</title>' if title_id else f"<title>{escape(title)}</title>"]
    if desc_id:
        header.append(f'<desc id="{desc_id}">{escape(desc)}</desc>')
    opening = (
        "<svg "
        + _attrs(
            {
                "xmlns": SVG_NS,
                "class": class_,
                "role": "img",
                "width": width,
                "height": height,
                "viewBox": f"0 0 {_coord(width)} {_coord(height)}",
                "aria-labelledby": title_id,
                "aria-label": None if title_id else title,
                "aria-describedby": desc_id,
            }
        )
        + ">"
    )
    return mark_safe("\n".join([opening, *header, *body, "</svg>"]))  # noqa: S308 - every part is escaped


def _missing() -> str:
    return gettext("uppgift saknas")


# ---------------------------------------------------------------------------
# Line chart
# ---------------------------------------------------------------------------


def _merge_labels(primary: list[str], secondary: list[str]) -> list[str]:
    """Ordered union: keep ``primary`` order, insert new ``secondary`` labels after their predecessor."""
    merged = list(dict.fromkeys(primary))
    previous: str | None = None
    for label in secondary:
        if label not in merged:
            position = merged.index(previous) + 1 if previous is not None else 0
            merged.insert(position, label)
        previous = label
    return merged


def _empty_chart(*, title: str, desc: str, width: float, height: float) -> SafeString:
    message = gettext("Inga utfall ännu")
    body = [
        _el("rect", x=0.5, y=0.5, width=width - 1, height=height - 1, fill="none", stroke=GRID_COLOUR, rx=4),
        _text(width / 2, height / 2, message, size=13, anchor="middle", class_="chart-empty"),
    ]
    ident = _element_id("chart", "empty", title, desc, width, height)
    return _svg(ident=ident, title=title, desc=desc or message, width=width, height=height, body=body, class_="chart")


def _summary(name: str, items: Sequence[tuple[str, str]]) -> str:
    return f"{name}: " + "; ".join(f"{label}: {value}" for label, value in items) + "."


def line_chart(
    *,
    title: str,
    series: list[tuple[str, Number | None]],
    target: list[tuple[str, Number | None]] | None = None,
    unit: str = "",
    width: int = 560,
    height: int = 220,
    desc: str = "",
) -> SafeString:
    """Draw an outcome series over time as a line with point markers.

    ``series`` and ``target`` are ``(label, value)`` pairs in chronological order, e.g.
    ``("2021", Decimal("12.5"))``; ``None`` values leave a gap in the line. The target is drawn
    as a dashed step line (each value spans its period). ``unit`` (e.g. "%") is shown above the
    y axis and in the point tooltips. ``title`` is the text alternative; ``desc`` defaults to a
    summary of the values. Without any outcome value the chart says "Inga utfall ännu".
    """
    points = [(str(label), _chart_value(value)) for label, value in series]
    target_points = [(str(label), _chart_value(value)) for label, value in (target or [])]
    if all(value is None for _, value in points):
        return _empty_chart(title=title, desc=desc, width=width, height=height)

    def with_unit(value: Decimal) -> str:
        return _with_unit(format_number(value), unit)

    outcome_name = gettext("Utfall")
    target_name = gettext("Målvärde")
    has_target = any(value is not None for _, value in target_points)
    if not desc:
        desc = _summary(outcome_name, [(label, with_unit(v) if v is not None else _missing()) for label, v in points])
        if has_target:
            desc += " " + _summary(target_name, [(label, with_unit(v)) for label, v in target_points if v is not None])

    labels = _merge_labels([label for label, _ in points], [label for label, _ in target_points])
    index = {label: position for position, label in enumerate(labels)}
    values = [v for _, v in points + target_points if v is not None]
    low, high = min(values), max(values)
    if low >= 0 and low < high / 2:
        low = Decimal(0)
    elif high <= 0 and high > low / 2:
        high = Decimal(0)
    ticks = nice_ticks(low, high)
    decimals = _decimals_for(ticks[1] - ticks[0])
    tick_labels = [format_number(tick, decimals) for tick in ticks]

    # Layout.
    plot_top = 34.0
    plot_bottom = height - 26.0
    plot_left = 6 + max(_text_width(label) for label in tick_labels) + 8
    plot_right = width - 10.0
    count = len(labels)
    # The last (most recent) x label is always shown; keep it inside the canvas: its centre is
    # plot_right - band / 2, with band = (plot_right - plot_left) / count.
    half_last = _text_width(labels[-1]) / 2
    limit = (width - 4 - half_last - plot_left / (2 * count)) * 2 * count / (2 * count - 1)
    plot_right = min(plot_right, limit)
    band = (plot_right - plot_left) / count
    # Show every n-th x label so that labels do not collide and at most ten are shown.
    label_width = max(_text_width(label) for label in labels) + 8
    every = max(math.ceil(label_width / band), math.ceil(count / 10))

    def x_at(position: int) -> float:
        return plot_left + (position + 0.5) * band

    t_low, t_high = float(ticks[0]), float(ticks[-1])

    def y_at(value: Decimal) -> float:
        return plot_bottom - (float(value) - t_low) / (t_high - t_low) * (plot_bottom - plot_top)

    body: list[str] = []
    # Grid and y axis labels.
    grid = []
    for tick, tick_label in zip(ticks, tick_labels, strict=True):
        y = y_at(tick)
        is_zero = tick == 0 and ticks[0] < 0
        grid.append(
            _el(
                "line",
                x1=plot_left,
                x2=plot_right,
                y1=y,
                y2=y,
                stroke=AXIS_COLOUR if is_zero else GRID_COLOUR,
                stroke_width=1,
                class_="chart-zero-line" if is_zero else "chart-grid",
            )
        )
        grid.append(_text(plot_left - 8, y, tick_label, anchor="end", class_="chart-y-label"))
    body.append(_el("g", "".join(grid), class_="chart-y-axis"))
    body.append(
        _el("line", x1=plot_left, x2=plot_right, y1=plot_bottom, y2=plot_bottom, stroke=AXIS_COLOUR, stroke_width=1)
    )
    # X labels, thinned out from the most recent one backwards.
    x_labels = [
        _text(x_at(position), plot_bottom + 14, label, anchor="middle", class_="chart-x-label")
        for position, label in enumerate(labels)
        if (count - 1 - position) % every == 0
    ]
    body.append(_el("g", "".join(x_labels), class_="chart-x-axis"))

    # Target: dashed step line, one path per contiguous run.
    if has_target:
        target_title = _title(
            _summary(target_name, [(label, with_unit(v)) for label, v in target_points if v is not None])
        )
        runs: list[list[tuple[int, Decimal]]] = [[]]
        for label, value in target_points:
            if value is None:
                runs.append([])
            else:
                runs[-1].append((index[label], value))
        for run in filter(None, runs):
            # Each value spans its whole period; a target holds until the next one replaces it.
            commands = []
            for step_number, (position, value) in enumerate(run):
                left, y = plot_left + position * band, y_at(value)
                commands.append(f"M{_coord(left)} {_coord(y)}" if step_number == 0 else f"H{_coord(left)} V{_coord(y)}")
                commands.append(f"H{_coord(left + band)}")
            body.append(
                _el(
                    "path",
                    target_title,
                    d=" ".join(commands),
                    fill="none",
                    stroke=TARGET_COLOUR,
                    stroke_width=2,
                    stroke_dasharray="6 4",
                    class_="chart-target",
                )
            )

    # Outcome: one polyline per run without gaps, plus a marker per point.
    segments: list[list[tuple[float, float]]] = [[]]
    markers = []
    for label, value in points:
        if value is None:
            segments.append([])
            continue
        x, y = x_at(index[label]), y_at(value)
        segments[-1].append((x, y))
        markers.append(
            _el(
                "circle",
                _title(f"{label}: {with_unit(value)}"),
                cx=x,
                cy=y,
                r=3.5,
                fill=SERIES_COLOUR,
                stroke="#FFFFFF",
                stroke_width=1.5,
                class_="chart-point",
            )
        )
    for segment in segments:
        if len(segment) > 1:
            body.append(
                _el(
                    "polyline",
                    points=" ".join(f"{_coord(x)},{_coord(y)}" for x, y in segment),
                    fill="none",
                    stroke=SERIES_COLOUR,
                    stroke_width=2,
                    stroke_linejoin="round",
                    stroke_linecap="round",
                    class_="chart-series",
                )
            )
    body.extend(markers)

    # Unit caption (top left) and legend (top right).
    if unit:
        body.append(_text(6, 12, unit, class_="chart-unit"))
    legend_items = [(outcome_name, "series")] + ([(target_name, "target")] if has_target else [])
    legend_width = sum(28 + _text_width(name) for name, _ in legend_items) + 16 * (len(legend_items) - 1)
    x = width - 10 - legend_width
    legend = []
    for name, kind in legend_items:
        if kind == "series":
            legend.append(_el("line", x1=x, x2=x + 22, y1=12, y2=12, stroke=SERIES_COLOUR, stroke_width=2))
            legend.append(
                _el("circle", cx=x + 11, cy=12, r=3.5, fill=SERIES_COLOUR, stroke="#FFFFFF", stroke_width=1.5)
            )
        else:
            legend.append(
                _el("line", x1=x, x2=x + 22, y1=12, y2=12, stroke=TARGET_COLOUR, stroke_width=2, stroke_dasharray="6 4")
            )
        legend.append(_text(x + 28, 12, name, fill=TEXT_COLOUR))
        x += 28 + _text_width(name) + 16
    body.append(_el("g", "".join(legend), class_="chart-legend"))

    ident = _element_id("chart", "line", title, desc, points, target_points, unit, width, height)
    return _svg(ident=ident, title=title, desc=desc, width=width, height=height, body=body, class_="chart")


# ---------------------------------------------------------------------------
# Bar charts
# ---------------------------------------------------------------------------


def _bars_svg(
    *,
    kind: str,
    title: str,
    categories: list[str],
    groups: list[tuple[str, list[Number | None]]],
    unit: str,
    width: int,
    height: int | None,
    desc: str,
    value_format: Callable[[Number], str] | None,
) -> SafeString:
    """Shared renderer for single and grouped horizontal bar charts."""
    grouped = kind == "grouped"
    if grouped and len(groups) > len(GROUP_COLOURS):
        raise ValueError(f"At most {len(GROUP_COLOURS)} groups can be told apart.")
    for name, group_values in groups:
        if len(group_values) != len(categories):
            raise ValueError(f"Group {name!r} has {len(group_values)} values for {len(categories)} categories.")

    def default_format(value: Number) -> str:
        return _with_unit(format_number(value), unit)

    fmt = value_format or default_format
    values = [[_chart_value(value) for value in group_values] for _, group_values in groups]
    texts = [
        [DASH if number is None else fmt(raw) for raw, number in zip(group_values, numbers, strict=True)]
        for (_, group_values), numbers in zip(groups, values, strict=True)
    ]
    cells = [
        (number, text)
        for row_values, row_texts in zip(values, texts, strict=True)
        for number, text in zip(row_values, row_texts, strict=True)
    ]

    def spoken(g: int, c: int) -> str:
        return _missing() if values[g][c] is None else texts[g][c]

    if not desc:
        if grouped:
            desc = " ".join(
                f"{category}: " + "; ".join(f"{name} {spoken(g, c)}" for g, (name, _) in enumerate(groups)) + "."
                for c, category in enumerate(categories)
            )
        elif categories:
            desc = "; ".join(f"{category}: {spoken(0, c)}" for c, category in enumerate(categories)) + "."

    # Horizontal layout: label column | negative value labels | bars | positive value labels.
    size = LABEL_FONT_SIZE
    numbers = [number for number, _ in cells if number is not None]
    low = min([Decimal(0), *numbers])
    high = max([Decimal(0), *numbers])
    if low == high:
        high = Decimal(1)
    label_lines = [_wrap(category, width * 0.38, size) for category in categories]
    label_column = max([_text_width(line, size) for lines in label_lines for line in lines] or [0])
    negative_widths = [_text_width(text) for number, text in cells if number is not None and number < 0]
    positive_widths = [_text_width(text) for number, text in cells if number is None or number >= 0]
    negative_room = max(negative_widths) + 6 if negative_widths else 0
    positive_room = max(positive_widths) + 6 if positive_widths else 0
    bars_left = 6 + label_column + 10 + negative_room
    bars_right = max(width - 6 - positive_room, bars_left + 20)

    def x_at(value: Decimal) -> float:
        return bars_left + float((value - low) / (high - low)) * (bars_right - bars_left)

    zero_x = x_at(Decimal(0))

    # Vertical layout.
    group_count = max(1, len(groups))
    bar_height, bar_gap, category_gap = (14.0, 3.0, 12.0) if grouped else (18.0, 0.0, 10.0)
    legend_rows: list[list[tuple[float, str, str]]] = [[]]
    if grouped:
        x = 6.0
        for position, (name, _) in enumerate(groups):
            item_width = 18 + _text_width(name)
            if x > 6 and x + item_width > width - 6:
                legend_rows.append([])
                x = 6.0
            legend_rows[-1].append((x, name, GROUP_COLOURS[position]))
            x += item_width + 16
    top = 8 + (len(legend_rows) * 20 + 4 if grouped else 0)
    bottom_padding = 8.0
    block = group_count * bar_height + (group_count - 1) * bar_gap
    # Leave room between blocks for category labels that wrap onto two lines.
    label_height = max([len(lines) for lines in label_lines] or [1]) * size * LINE_HEIGHT
    category_gap = max(category_gap, label_height - block + 4)
    natural = len(categories) * (block + category_gap) - (category_gap if categories else 0)
    if height is not None and natural > 0:
        factor = max(0.1, (height - top - bottom_padding) / natural)
        bar_height, bar_gap, category_gap, block = (dim * factor for dim in (bar_height, bar_gap, category_gap, block))
    else:
        height = math.ceil(top + natural + bottom_padding) if categories else 40

    body: list[str] = []
    if grouped:
        legend = []
        for row_number, row in enumerate(legend_rows):
            y = 8 + row_number * 20 + 6
            for x, name, colour in row:
                legend.append(_el("rect", x=x, y=y - 6, width=12, height=12, fill=colour, rx=2))
                legend.append(_text(x + 18, y, name, fill=TEXT_COLOUR))
        body.append(_el("g", "".join(legend), class_="chart-legend"))

    y = float(top)
    for c, category in enumerate(categories):
        lines = label_lines[c]
        parts = [
            _text(
                6 + label_column,
                y + block / 2,
                lines if len(lines) > 1 else lines[0],
                size=size,
                anchor="end",
                fill=TEXT_COLOUR,
                class_="chart-bar-label",
                tooltip=category if " ".join(lines) != category else None,
            )
        ]
        for g, (name, _) in enumerate(groups):
            bar_top = y + g * (bar_height + bar_gap)
            centre = bar_top + bar_height / 2
            value, text = values[g][c], texts[g][c]
            tooltip = f"{category}, {name}: {spoken(g, c)}" if grouped else f"{category}: {spoken(0, c)}"
            if value is not None:
                end = x_at(value)
                parts.append(
                    _el(
                        "rect",
                        _title(tooltip),
                        x=min(end, zero_x),
                        y=bar_top,
                        width=abs(end - zero_x),
                        height=bar_height,
                        fill=GROUP_COLOURS[g] if grouped else SERIES_COLOUR,
                        class_="chart-bar",
                    )
                )
            else:
                end = zero_x
            if value is not None and value < 0:
                parts.append(_text(end - 4, centre, text, anchor="end", fill=TEXT_COLOUR, class_="chart-bar-value"))
            else:
                parts.append(_text(end + 4, centre, text, fill=TEXT_COLOUR, class_="chart-bar-value"))
        body.append(_el("g", "".join(parts), class_="chart-bar-row"))
        y += block + category_gap
    if categories:
        body.append(
            _el(
                "line",
                x1=zero_x,
                x2=zero_x,
                y1=top - 4,
                y2=y - category_gap + 4,
                stroke=AXIS_COLOUR,
                stroke_width=1,
                class_="chart-zero-line",
            )
        )

    ident = _element_id("chart", kind, title, desc, categories, groups, unit, width, height)
    return _svg(ident=ident, title=title, desc=desc, width=width, height=height, body=body, class_="chart")


def bar_chart(
    *,
    title: str,
    bars: list[tuple[str, Number | None]],
    unit: str = "",
    width: int = 560,
    height: int | None = None,
    desc: str = "",
    value_format: Callable[[Number], str] | None = None,
) -> SafeString:
    """Draw horizontal bars, one row per ``(label, value)`` pair, with the value at each bar's end.

    Negative values extend to the left of a vertical zero line. ``value_format`` turns a value
    into the printed text (default: :func:`format_number` plus ``unit``); ``None`` values get no
    bar and a dash. The height follows the number of rows unless ``height`` is given.
    """
    return _bars_svg(
        kind="bar",
        title=title,
        categories=[str(label) for label, _ in bars],
        groups=[("", [value for _, value in bars])],
        unit=unit,
        width=width,
        height=height,
        desc=desc,
        value_format=value_format,
    )


def grouped_bar_chart(
    *,
    title: str,
    categories: list[str],
    groups: list[tuple[str, list[Number | None]]],
    unit: str = "",
    width: int = 560,
    height: int | None = None,
    desc: str = "",
    value_format: Callable[[Number], str] | None = None,
) -> SafeString:
    """Draw horizontal grouped bars: one block per category, one bar per group, with a legend.

    ``groups`` are ``(name, values)`` pairs, each with one value per category, e.g. one group per
    year and one category per organisation. Up to four groups, each with its own colour; bars
    keep the legend's order within every block. Other arguments as for :func:`bar_chart`.
    """
    return _bars_svg(
        kind="grouped",
        title=title,
        categories=[str(category) for category in categories],
        groups=[(str(name), list(values)) for name, values in groups],
        unit=unit,
        width=width,
        height=height,
        desc=desc,
        value_format=value_format,
    )


# ---------------------------------------------------------------------------
# Status icon
# ---------------------------------------------------------------------------


def traffic_light_svg(status: str, label: str) -> SafeString:
    """A 14x14 px status icon whose shape, not only colour, shows the status (WCAG 1.4.1).

    "green" is a filled circle, "yellow" a triangle, "red" a square and "none" a hollow circle;
    an unknown status is drawn as "none". ``label`` is the icon's text alternative.
    """
    colours = TRAFFIC_LIGHT_COLOURS
    if status == "green":
        shape = _el("circle", cx=7, cy=7, r=6, fill=colours["green"])
    elif status == "yellow":
        shape = _el(
            "polygon",
            points="7,1.5 13,12.5 1,12.5",
            fill=colours["yellow"],
            stroke=colours["yellow_outline"],
            stroke_width=1,
            stroke_linejoin="round",
        )
    elif status == "red":
        shape = _el("rect", x=2, y=2, width=10, height=10, fill=colours["red"])
    else:
        status = "none"
        shape = _el("circle", cx=7, cy=7, r=5.25, fill="#FFFFFF", stroke=colours["none"], stroke_width=1.5)
    return _svg(
        ident=None,
        title=label,
        desc="",
        width=14,
        height=14,
        body=[shape],
        class_=f"traffic-light traffic-light--{status}",
    )
