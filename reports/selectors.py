"""Reads of the PDF reports: the versions of a subject and the municipality's archive (constant query counts)."""

from django.utils import timezone

from assignments.models import Assignment
from budget.models import Budget
from followup.models import ReportingPeriod
from styrning.models import Organisation
from styrning.permissions import VIEW, restrict

from . import documents
from .models import ReportFile, ReportJob


def versions(*, job, user):
    """Every archived version of the job's subject, newest first (one query)."""
    return list(
        restrict(
            ReportFile.objects.filter(municipality=job.municipality, kind=job.kind, subject_key=job.subject_key),
            user,
            VIEW,
        )
        .select_related("created_by")
        .order_by("-version")
    )


def archive(*, municipality, user):
    """The archive page: files grouped by kind, recent jobs, and the choices for asking for each kind."""
    files = list(
        restrict(ReportFile.objects.filter(municipality=municipality), user, VIEW)
        .select_related("created_by", "organisation")
        .order_by("kind", "title", "-version")
    )
    jobs = list(
        restrict(ReportJob.objects.filter(municipality=municipality), user, VIEW)
        .select_related("requested_by")
        .order_by("-created")[:10]
    )
    periods = list(
        restrict(ReportingPeriod.objects.filter(municipality=municipality), user, VIEW).order_by("-year", "-kind")
    )
    organisations = list(
        restrict(Organisation.objects.filter(municipality=municipality), user, VIEW).order_by("tree_id", "lft")
    )
    budgets = list(restrict(Budget.objects.filter(municipality=municipality), user, VIEW).order_by("-year"))
    years = sorted(
        set(Assignment.objects.filter(municipality=municipality).values_list("start_year", flat=True))
        | {timezone.localdate().year},
        reverse=True,
    )
    return {
        "files": files,
        "jobs": jobs,
        "periods": periods,
        "organisations": organisations,
        "budgets": budgets,
        "years": years,
        "kinds": documents.kinds(),
    }
