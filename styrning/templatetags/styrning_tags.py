"""Template helpers shared by every page: Designsystemet form fields, Swedish numbers, traffic lights."""

from django import forms, template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from styrning.charts import format_number, traffic_light_svg

register = template.Library()


@register.inclusion_tag("inc/field.html")
def form_field(field):
    """Render a bound field the Designsystemet way: label, help text, input, validation message."""
    widget = field.field.widget
    if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
        kind = "multi"
    elif isinstance(widget, forms.CheckboxInput):
        kind = "checkbox"
    elif widget.is_hidden:
        kind = "hidden"
    else:
        kind = "input"
    describedby = []
    if field.help_text:
        describedby.append(f"{field.auto_id}_help")
    if field.errors:
        describedby.append(f"{field.auto_id}_error")
    attrs = {"class": "ds-input"}
    if describedby:
        attrs["aria-describedby"] = " ".join(describedby)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if kind == "multi":
        widget.attrs["class"] = "ds-input"
        html = ""
    else:
        html = field.as_widget(attrs=attrs)
    return {"field": field, "kind": kind, "widget_html": html}


@register.filter
def num(value, decimals=None):
    """A number as Swedes write it: 1 234,5 (no trailing zeros unless `decimals` is given)."""
    if value is None or value == "":
        return "–"
    return format_number(value, None if decimals in (None, "") else int(decimals))


@register.simple_tag
def light(status, label):
    """The traffic light icon (shape and colour, with its text alternative)."""
    return traffic_light_svg(status, str(label))


TREND_ARROWS = {"better": "↑", "same": "→", "worse": "↓", "none": ""}


@register.simple_tag
def trend_arrow(status, label):
    """A trend arrow with its meaning for screen readers."""
    arrow = TREND_ARROWS.get(status, "")
    if not arrow:
        return ""
    return format_html(
        '<span class="trend trend--{}" title="{}"><span aria-hidden="true">{}</span>'
        '<span class="ds-sr-only">{}</span></span>',
        status,
        label,
        arrow,
        label,
    )


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs):
    """The current query string with some parameters replaced (for pagination links with filters)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return mark_safe("?" + params.urlencode())


@register.filter
def model_label(obj):
    """ "app_label.ModelName" for the history URL."""
    return f"{obj._meta.app_label}.{obj._meta.object_name}"


def _amount(kronor):
    """A template's missing value ("" for an attribute of a missing object) is no amount, as None is."""
    return None if kronor == "" else kronor


@register.filter
def money(kronor):
    """An amount in kronor as "2,0 mkr", "400 tkr" or "950 kr"."""
    from styrning.money import format_money

    return format_money(_amount(kronor))


@register.filter(name="tkr")
def tkr_filter(kronor):
    """An amount in kronor as "1 234 tkr" (tables of frames)."""
    from styrning.money import format_tkr

    return format_tkr(_amount(kronor))


@register.filter(name="mkr")
def mkr_filter(kronor):
    """An amount in kronor as "2,0 mkr"."""
    from styrning.money import format_mkr

    return format_mkr(_amount(kronor))
