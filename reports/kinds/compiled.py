"""Kind 2: the compiled report for KS and KF for a period: KF's goals with their roll-up and the contributing nämnd
assessments, the economy of the whole municipality and per nämnd, the assignments across the municipality, the
internal control summary, and the nämnders' reports as chapters (one section each, prepared in parallel)."""

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assignments.models import Assignment
from followup.models import AssignmentFollowUp, FollowUpReport, ReportingPeriod
from followup.selectors import dashboard
from styrning.choices import OrganisationKind
from styrning.models import Organisation

from ..documents import Document, Subject, register
from .common import followup_content, viewer

CHAPTER_KINDS = (OrganisationKind.EXECUTIVE_BOARD, OrganisationKind.COMMITTEE, OrganisationKind.COMPANY)
OVERVIEW_SECTIONS = (
    ("overview", gettext_lazy("Kommunfullmäktiges mål")),
    ("economy", gettext_lazy("Ekonomi")),
    ("assignments", gettext_lazy("Uppdrag")),
    ("control", gettext_lazy("Intern kontroll")),
)


@register
class CompiledReport(Document):
    kind = "compiled"

    def _period(self, params):
        return ReportingPeriod.objects.select_related("municipality").get(pk=params["period"])

    def subject(self, params):
        period = self._period(params)
        council = Organisation.objects.get(municipality=period.municipality, parent=None)
        title = _("%(period)s – sammanställd rapport") % {"period": period.title}
        return Subject(organisation=council, title=title, key=f"period:{period.pk}")

    def sections(self, job):
        period = self._period(job.params)
        reports = (
            FollowUpReport.objects.filter(period=period, organisation__kind__in=CHAPTER_KINDS)
            .select_related("organisation")
            .order_by("organisation__tree_id", "organisation__lft")
        )
        return [(key, str(title)) for key, title in OVERVIEW_SECTIONS] + [
            (f"report:{r.pk}", r.organisation.name) for r in reports
        ]

    def render_section(self, job, section):
        period = self._period(job.params)
        user = viewer(job)
        if section.key.startswith("report:"):
            report = FollowUpReport.objects.select_related(
                "period", "period__municipality", "organisation", "organisation__municipality", "decided_by"
            ).get(pk=int(section.key.split(":", 1)[1]), period=period)
            heading = render_to_string("reports/pdf/compiled/chapter_head.html", {"report": report})
            return heading + followup_content(report, user=user, level=3)
        context = dashboard(period=period, user=user)
        if section.key == "assignments":
            context["assignment_items"] = list(
                AssignmentFollowUp.objects.filter(report__period=period)
                .select_related("assignment", "assignment__lead", "report__organisation")
                .order_by("assignment__code")
            )
            context["unreported"] = list(
                Assignment.objects.filter(municipality=period.municipality, followups__isnull=True)
                .filter(start_year__lte=period.year)
                .exclude(status__in=("done", "ended", "not_done"))
                .select_related("lead")
                .order_by("code")
            )
        return render_to_string(
            f"reports/pdf/compiled/{section.key}.html", {**context, "part_title": section.title, "h": 2}
        )

    def front_context(self, job):
        period = self._period(job.params)
        return {
            "subtitle": period.municipality.name,
            "facts": [(_("Period"), period.title), (_("Organ"), _("Kommunstyrelsen och kommunfullmäktige"))],
        }

    def data_source(self, job):
        period = self._period(job.params)
        reports = FollowUpReport.objects.filter(period=period).values_list("pk", "version", "status")
        return {"period": period.pk, "rapporter": [list(r) for r in reports]}
