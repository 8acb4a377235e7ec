"""Template filters of the budget pages: changes with their sign ("+1 234 tkr", "−2,5 %") and percentages."""

from django import template

from styrning.charts import format_number
from styrning.money import format_tkr

register = template.Library()


@register.filter
def change_tkr(kronor):
    """A change in kronor as "+1 234 tkr", "−300 tkr" or "±0 tkr"; "–" when unknown."""
    if kronor is None:
        return "–"
    text = format_tkr(kronor)
    if text.startswith(("0\u00a0", "\u22120\u00a0")):
        return "±0\u00a0tkr"
    return f"+{text}" if kronor > 0 else text


@register.filter
def change_percent(value):
    """A percentage change as "+2,9 %" or "−1,0 %"; empty when unknown."""
    if value is None:
        return ""
    text = format_number(value, 1)
    return f"+{text}\u00a0%" if value > 0 else f"{text}\u00a0%"


@register.filter
def percent(value):
    """A percentage with one decimal, "2,3 %"; "–" when unknown."""
    if value is None:
        return "–"
    return f"{format_number(value, 1)}\u00a0%"


@register.filter
def tkr_value(value):
    """The value of an amount input: kronor (int) shown as tkr, what the user typed shown back as typed."""
    from budget.forms import TkrInput

    return TkrInput().format_value(value) or ""
