"""
Views of the PDF reports: ask for a report from the page it belongs to, follow the job's progress (htmx polls a
fragment until it is done or failed), download an archived version, retry a failed job, and the archive of every
version per municipality. Every object goes through styrning.permissions: outside the municipality, 404.
"""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from styrning.permissions import VIEW, can, restrict
from styrning.views import municipality_for

from . import documents, selectors, services
from .models import JobStatus, ReportFile, ReportJob

PARAM_NAMES = ("report", "period", "municipality", "organisation", "year", "budget")


def _params(request):
    params = {}
    for name in PARAM_NAMES:
        value = request.POST.get(name)
        if value in (None, ""):
            continue
        try:
            params[name] = int(value)
        except ValueError:
            raise Http404 from None
    return params


@require_POST
def report_request(request):
    """Queue a report; the subject must be something the user may see (else 404)."""
    kind = request.POST.get("kind", "")
    try:
        document = documents.get(kind)
    except LookupError:
        raise Http404 from None
    params = _params(request)
    try:
        subject = document.subject(params)
    except (ObjectDoesNotExist, KeyError, ValueError):
        raise Http404 from None
    if not can(request.user, subject.organisation, VIEW):
        raise Http404
    with transaction.atomic():
        job = services.report_request(kind=kind, params=params, user=request.user)
    messages.info(request, _("Rapporten %(title)s skapas. Sidan visar hur det går.") % {"title": job.title})
    return redirect(job.get_absolute_url())


def _job(request, pk):
    queryset = ReportJob.objects.select_related("municipality", "file", "requested_by")
    return get_object_or_404(restrict(queryset, request.user, VIEW), pk=pk)


def job_detail(request, pk):
    job = _job(request, pk)
    context = {
        "job": job,
        "municipality": job.municipality,
        "versions": selectors.versions(job=job, user=request.user),
    }
    return render(request, "reports/job.html", context)


def job_status(request, pk):
    """The progress fragment htmx polls every second until the job is done or failed."""
    job = _job(request, pk)
    context = {"job": job, "now": timezone.now()}
    if job.status == JobStatus.DONE:
        # The new version joins the list below the status, out of band.
        context["oob_versions"] = selectors.versions(job=job, user=request.user)
    return render(request, "reports/inc/job_status.html", context)


@require_POST
def job_retry(request, pk):
    job = _job(request, pk)
    try:
        with transaction.atomic():
            new_job = services.job_retry(job, user=request.user)
    except services.ReportError as exc:
        messages.error(request, str(exc))
        return redirect(job.get_absolute_url())
    messages.info(request, _("Rapporten skapas igen."))
    return redirect(new_job.get_absolute_url())


def download(request, pk):
    record = get_object_or_404(restrict(ReportFile.objects.all(), request.user, VIEW), pk=pk)
    try:
        handle = record.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=record.filename, content_type="application/pdf")


def archive(request, municipality):
    """Every archived version of the municipality's reports, newest first, and the forms that ask for new ones."""
    municipality = municipality_for(request, municipality)
    context = selectors.archive(municipality=municipality, user=request.user)
    context["municipality"] = municipality
    return render(request, "reports/archive.html", context)
