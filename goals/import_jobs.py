"""
Background imports (goals.importing, "Large files"): queueing an ImportJob's Celery task (goals.tasks) for an uploaded
or a stashed file, and confirming a finished preview. The tasks run goals.importing.import_job_run; this module is
the only one that imports both, so neither imports the other.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import importing
from .models import ImportJob
from .tasks import import_commit_task, import_preview_task


def import_job_start(*, municipality, user, filename, mode, data=None, token=None, rows_total=None):
    """Queue a background import (ImportJob) of an uploaded file (`data`), or of a stashed one (`token`), and return
    the job.

    The task runs goals.importing.import_job_run once the caller's transaction commits. The caller checks that the
    user may import into the municipality.
    """
    if token is None:
        token = importing.stash_upload(data=data, filename=filename, municipality=municipality, user=user)
    if rows_total is None:
        rows_total = importing.count_rows(data) if data is not None else 0
    job = ImportJob.objects.create(
        municipality=municipality,
        user=user,
        mode=mode,
        filename=filename[:255],
        token=token,
        rows_total=rows_total,
    )
    task = import_commit_task if mode == ImportJob.Mode.COMMIT else import_preview_task
    transaction.on_commit(lambda: task.delay(job_id=job.pk))
    return job


def import_job_confirm(*, job, user):
    """Start the import of a previewed file (a finished preview job), once: a second confirmation returns the job the
    first one started. Raises ValidationError if the preview found errors or nothing to change."""
    started = ImportJob.objects.filter(token=job.token, mode=ImportJob.Mode.COMMIT).select_related("municipality")
    if started.exists():
        return started.first()
    if not importing.import_job_confirmable(job):
        raise ValidationError(_("Förhandsgranskningen kan inte läsas in. Ladda upp filen igen."))
    return import_job_start(
        municipality=job.municipality,
        user=user,
        filename=job.filename,
        mode=ImportJob.Mode.COMMIT,
        token=job.token,
        rows_total=job.rows_total,
    )
