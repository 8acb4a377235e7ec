"""
The report pipeline. A request creates a ReportJob and queues `start`: it asks the report kind (reports.documents)
for its sections and runs one task per section in parallel (a Celery chord), each preparing its section's HTML —
data in a constant number of queries, SVG charts from the same chart functions as the pages; the chord's last task
lays the whole document out with WeasyPrint in one pass (so the table of contents, "Sida n av m", the PDF/A-3a
archival format and the tagged structure span the whole document) and archives the file with its checksum.

A failure at any step marks the job failed with a Swedish message and leaves no file: the PDF is written to a
temporary file and moved into storage only when it is complete.
"""

import hashlib
import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import JobStatus, ReportFile, ReportJob, ReportSection

logger = logging.getLogger(__name__)


class ReportError(Exception):
    """A failure with a message for the user (Swedish)."""


def job_fail(job_id, message):
    """Mark the job failed with its message; nothing of the file is kept."""
    ReportJob.objects.filter(pk=job_id).exclude(status=JobStatus.DONE).update(
        status=JobStatus.FAILED, error=message, finished=timezone.now()
    )


def job_start(job_id):
    """Create the job's sections and mark it running. Returns their positions."""
    from . import documents

    job = ReportJob.objects.get(pk=job_id)
    document = documents.get(job.kind)
    with transaction.atomic():
        job.sections.all().delete()
        sections = [
            ReportSection(job=job, position=position, key=key, title=title)
            for position, (key, title) in enumerate(document.sections(job))
        ]
        ReportSection.objects.bulk_create(sections)
        job.sections_total = len(sections)
        job.sections_done = 0
        job.status = JobStatus.RUNNING
        job.started = timezone.now()
        job.save(update_fields=("sections_total", "sections_done", "status", "started"))
    return [s.position for s in sections]


def section_render(job_id, position):
    """Prepare one section's HTML and count it done."""
    from . import documents

    job = ReportJob.objects.get(pk=job_id)
    if job.status == JobStatus.FAILED:
        return
    section = job.sections.get(position=position)
    section.html = documents.get(job.kind).render_section(job, section)
    section.done = True
    section.save(update_fields=("html", "done"))
    ReportJob.objects.filter(pk=job_id).update(sections_done=F("sections_done") + 1)


def job_assemble(job_id):
    """Lay the document out in one pass and archive it as a new version. The file appears only when complete."""
    from . import documents

    job = ReportJob.objects.select_related("municipality", "organisation", "requested_by").get(pk=job_id)
    if job.status == JobStatus.FAILED:
        return None
    document = documents.get(job.kind)
    sections = list(job.sections.order_by("position"))
    missing = [s.title for s in sections if not s.done]
    if missing:
        raise ReportError(_("Avsnitten %(sections)s blev inte klara.") % {"sections": ", ".join(missing)})
    html = document.render_document(job, sections)
    with tempfile.TemporaryDirectory(dir=settings.REPORT_TEMP_DIR) as temp:
        path = Path(temp) / "rapport.pdf"
        pages = write_pdf(html, path, title=job.title, author=job.municipality.name)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with transaction.atomic():
            # Lock the job row so two assembles of one job cannot both archive.
            job = ReportJob.objects.select_for_update().get(pk=job.pk)
            if job.status != JobStatus.RUNNING:
                return None
            version = (
                ReportFile.objects.filter(
                    municipality=job.municipality, kind=job.kind, subject_key=job.subject_key
                ).aggregate(latest=Max("version"))["latest"]
                or 0
            ) + 1
            record = ReportFile(
                municipality=job.municipality,
                organisation=job.organisation,
                kind=job.kind,
                subject_key=job.subject_key,
                version=version,
                title=job.title,
                checksum=digest,
                size=path.stat().st_size,
                pages=pages,
                data_source=document.data_source(job),
                created_by=job.requested_by,
                followup_report_id=job.params.get("report") if job.kind == "tertial" else None,
                is_approval_copy=job.is_approval_copy,
            )
            name = f"{job.subject_key.replace(':', '-')}-v{version}-{digest[:8]}.pdf"
            with path.open("rb") as handle:
                record.file.save(name, File(handle), save=False)
            try:
                record.save()
                job.file = record
                job.status = JobStatus.DONE
                job.finished = timezone.now()
                job.sections_done = job.sections_total
                job.save(update_fields=("file", "status", "finished", "sections_done"))
            except Exception:
                record.file.delete(save=False)
                raise
    job.sections.update(html="")  # the archived PDF is the record; the prepared HTML is not kept
    return record


def write_pdf(html, path, *, title, author):
    """Render the HTML to an archival (PDF/A-3a: tagged, fonts embedded, language set) PDF at `path`. Returns the
    number of pages."""
    from weasyprint import HTML

    base_url = str(Path(settings.BASE_DIR) / "static") + "/"
    document = HTML(string=html, base_url=base_url).render()
    document.metadata.title = title
    document.metadata.authors = [author]
    document.metadata.lang = "sv"
    document.write_pdf(path, pdf_variant="pdf/a-3a")
    return len(document.pages)
