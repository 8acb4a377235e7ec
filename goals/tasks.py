"""
Celery tasks of the goal chain: spreadsheet imports too large for a request (goals.importing, "Large files").

Each task takes the id of an ImportJob and calls one service, imported in the task's body. A transient database error
(a lost connection, a deadlock) retries the task with a growing pause; the import runs in one transaction, so a failed
attempt leaves nothing behind and the next one starts afresh. Any other error ends the job as failed. Without a broker
the task runs eagerly within the request, once: there a transient error fails the job at once.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "max_retries": 3,
    "retry_backoff": 5,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


def _final_attempt(task):
    return bool(task.request.is_eager) or task.request.retries >= task.max_retries


@shared_task(bind=True, **RETRY)
def import_preview_task(self, job_id):
    """Preview a large file (an ImportJob of mode preview): every row checked and written, then rolled back."""
    from goals.importing import import_job_run

    import_job_run(job_id=job_id, final_attempt=_final_attempt(self))


@shared_task(bind=True, **RETRY)
def import_commit_task(self, job_id):
    """Import a previewed large file for real (an ImportJob of mode commit): all rows or none."""
    from goals.importing import import_job_run

    import_job_run(job_id=job_id, final_attempt=_final_attempt(self))
