"""Template tags of the follow-up: assessments and report statuses shown with a symbol and a word, never by colour
alone (WCAG 1.4.1)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from followup.choices import Assessment, ReportStatus

register = template.Library()

ASSESSMENT_SYMBOLS = {
    Assessment.MET: "✓",
    Assessment.PARTLY_MET: "◐",
    Assessment.NOT_MET: "✕",
    Assessment.NOT_ASSESSED: "–",
}
STATUS_COLORS = {
    ReportStatus.DRAFT: "neutral",
    ReportStatus.SUBMITTED: "info",
    ReportStatus.RETURNED: "warning",
    ReportStatus.APPROVED: "success",
}


@register.simple_tag
def assessment(value, short=False):
    """An assessment as a coloured badge with a symbol and its label; a blank one says it is missing."""
    if not value:
        return format_html('<span class="assessment assessment--missing">{}</span>', _("Ej ifyllt"))
    label = Assessment(value).label
    symbol = ASSESSMENT_SYMBOLS[Assessment(value)]
    if short:
        return format_html(
            '<span class="assessment assessment--{}" title="{}"><span aria-hidden="true">{}</span>'
            '<span class="ds-sr-only">{}</span></span>',
            value,
            label,
            symbol,
            label,
        )
    return format_html(
        '<span class="assessment assessment--{}"><span aria-hidden="true">{}</span> {}</span>', value, symbol, label
    )


@register.simple_tag
def report_status(report):
    """The report's status as a Designsystemet tag."""
    if report is None:
        return format_html('<span class="ds-tag" data-color="neutral">{}</span>', _("Ingen rapport"))
    return format_html(
        '<span class="ds-tag" data-color="{}">{}</span>', STATUS_COLORS[report.status], report.get_status_display()
    )


@register.filter
def deviation_class(value):
    if value is None:
        return ""
    return "deviation--negative" if value < 0 else "deviation--positive" if value > 0 else ""
