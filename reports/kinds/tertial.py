"""Kind 1: the tertial report of one organisation and period."""

from django.utils.translation import gettext as _

from followup.models import FollowUpReport

from ..documents import Document, Subject, register
from .common import PARTS, followup_content, viewer


@register
class TertialReport(Document):
    kind = "tertial"

    def _report(self, params):
        return FollowUpReport.objects.select_related(
            "period", "period__municipality", "organisation", "organisation__municipality", "decided_by"
        ).get(pk=params["report"])

    def subject(self, params):
        report = self._report(params)
        title = _("%(period)s – %(organisation)s") % {
            "period": report.period.title,
            "organisation": report.organisation.name,
        }
        return Subject(organisation=report.organisation, title=title, key=f"followupreport:{report.pk}")

    def sections(self, job):
        return [(key, str(title)) for key, title in PARTS]

    def render_section(self, job, section):
        report = self._report(job.params)
        return followup_content(report, user=viewer(job), parts=[section.key], level=2)

    def front_context(self, job):
        report = self._report(job.params)
        facts = [
            (_("Period"), report.period.title),
            (_("Organisation"), report.organisation.name),
            (_("Status"), report.get_status_display()),
        ]
        if report.decision_display:
            facts.append((_("Beslut"), report.decision_display))
        return {"subtitle": report.organisation.name, "facts": facts}

    def data_source(self, job):
        report = self._report(job.params)
        return {
            "uppföljningsrapport": report.pk,
            "version": report.version,
            "status": report.status,
            "ändrad": report.updated.isoformat(),
        }
