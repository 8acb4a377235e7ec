"""
The report pipeline. A request creates a ReportJob and queues `start`: it asks the report kind (reports.documents)
for its sections and runs one task per section in parallel (a Celery chord), each preparing its section's HTML —
data in a constant number of queries, SVG charts from the same chart functions as the pages — and laying it out with
WeasyPrint as a PDF of its own. The chord's last task lays out the front matter, whose contents now know every
section's first page, and the back page, joins the parts into one PDF/A-3a document with one tagged structure,
outline and "Sida n av m" (reports.layout) and archives the file with its checksum.

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

from . import layout
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
    """Prepare one section's HTML, lay it out as a PDF of its own and count it done."""
    from . import documents

    job = ReportJob.objects.select_related("municipality").get(pk=job_id)
    if job.status == JobStatus.FAILED:
        return
    section = job.sections.get(position=position)
    document = documents.get(job.kind)
    html = document.section_html(job, section, document.render_section(job, section))
    section.pdf, section.pages = render(html, job)
    section.done = True
    section.save(update_fields=("pdf", "pages", "done"))
    ReportJob.objects.filter(pk=job_id).update(sections_done=F("sections_done") + 1)


def render(html, job):
    return layout.render(html, title=job.title, author=job.municipality.name)


def front_matter(job, document, sections, context):
    """The front matter's PDF, laid out until its contents give the right pages: the sections follow it, so their
    first pages depend on its length. Returns (PDF, its pages, {section position: first page})."""
    guess = 2  # the cover and one page of contents
    for _attempt in range(4):
        pages = {}
        page = guess + 1
        for section in sections:
            pages[section.position] = page
            page += section.pages
        pdf, length = render(document.front_html(job, context, sections, pages), job)
        if length == guess:
            return pdf, length, pages
        guess = length
    raise ReportError(_("Innehållsförteckningens sidnummer gick inte att fastställa."))


def footer(page, pages):
    return _("Sida %(page)s av %(pages)s") % {"page": page, "pages": pages}


def job_assemble(job_id):
    """Lay out the front matter and the back page, join them with the sections' PDFs and archive the document as a
    new version. The file appears only when complete."""
    from . import documents

    job = ReportJob.objects.select_related("municipality", "organisation", "requested_by").get(pk=job_id)
    if job.status == JobStatus.FAILED:
        return None
    document = documents.get(job.kind)
    sections = list(job.sections.order_by("position"))
    missing = [s.title for s in sections if not s.done]
    if missing:
        raise ReportError(_("Avsnitten %(sections)s blev inte klara.") % {"sections": ", ".join(missing)})
    context = document.front_context(job)
    front, _length, _pages = front_matter(job, document, sections, context)
    parts = [front, *(bytes(section.pdf) for section in sections)]
    back = document.back_html(job, context)
    if back:
        parts.append(render(back, job)[0])
    with tempfile.TemporaryDirectory(dir=settings.REPORT_TEMP_DIR) as temp:
        path = Path(temp) / "rapport.pdf"
        pages = layout.join(parts, path, footer=footer)
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
    job.sections.update(pdf=b"")  # the archived PDF is the record; the sections' parts are not kept
    return record
