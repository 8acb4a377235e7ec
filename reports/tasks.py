"""
Celery tasks of the PDF reports: `start_report` splits a job into sections and runs them as a chord of
`render_section` tasks (in parallel on as many workers as there are), each preparing and laying out its section as a
PDF of its own; the chord's body, `assemble_report`, lays out the front matter and the back page, joins the parts and
archives the PDF. Each task calls one service, imported in its body. Any error ends the job as failed with its
message; no file is left behind (reports.pipeline).
"""

import logging

from celery import chord, shared_task
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _fail(job_id, exc):
    from .pipeline import ReportError, job_fail

    if isinstance(exc, ReportError):
        message = str(exc)
    else:
        logger.exception("Report job %s failed", job_id)
        message = _(
            "Rapporten kunde inte skapas: %(error)s. Försök igen; kvarstår felet, kontakta systemförvaltaren."
        ) % {"error": exc.__class__.__name__}
    job_fail(job_id, message)


@shared_task
def start_report(job_id):
    from .pipeline import job_start

    try:
        positions = job_start(job_id)
    except Exception as exc:
        _fail(job_id, exc)
        return
    header = [render_section.si(job_id, position) for position in positions]
    if not header:
        assemble_report.delay(job_id)
        return
    chord(header)(assemble_report.si(job_id))


@shared_task
def render_section(job_id, position):
    from .pipeline import section_render

    try:
        section_render(job_id, position)
    except Exception as exc:
        _fail(job_id, exc)


@shared_task
def assemble_report(job_id):
    from .pipeline import job_assemble

    try:
        job_assemble(job_id)
    except Exception as exc:
        _fail(job_id, exc)
