"""
Asking for PDF reports: a request creates a ReportJob and queues its tasks (reports.tasks) once the transaction
commits; a failed job can be asked for again. How a job is carried out is in reports.pipeline.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from . import documents, tasks
from .models import JobStatus, ReportJob
from .pipeline import ReportError, job_start

__all__ = ["ReportError", "job_create", "job_retry", "job_start", "report_request"]


def report_request(*, kind, params, user, is_approval_copy=False):
    """Queue a report of `kind` about `params` for `user` (who may see its subject). Returns the job."""
    job = job_create(kind=kind, params=params, user=user, is_approval_copy=is_approval_copy)
    transaction.on_commit(lambda: tasks.start_report.delay(job.pk))
    return job


def job_create(*, kind, params, user, is_approval_copy=False):
    """The queued job of a report of `kind` about `params` for `user`, its title and subject from the kind."""
    subject = documents.get(kind).subject(params)
    return ReportJob.objects.create(
        municipality=subject.organisation.municipality,
        organisation=subject.organisation,
        kind=kind,
        subject_key=subject.key,
        params=params,
        title=subject.title,
        requested_by=user if user is not None and user.is_authenticated else None,
        is_approval_copy=is_approval_copy,
    )


def job_retry(job, *, user):
    """Ask again for a failed job's report: a new job with the same subject."""
    if job.status != JobStatus.FAILED:
        raise ReportError(_("Bara ett misslyckat jobb kan göras om."))
    return report_request(kind=job.kind, params=job.params, user=user, is_approval_copy=job.is_approval_copy)
