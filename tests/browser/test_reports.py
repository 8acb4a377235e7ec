"""
PDF reports in Chromium: a politician asks for Barn- och utbildningsnämnden's T1 report as a PDF from the report page,
follows the job to "Klar", downloads the file and asks again for a second version; the job page follows a running job
section by section to its failure, or to its file, without being reloaded, and a failed job can be tried again; and
the job and archive pages pass axe-core (WCAG 2.1 AA).

Celery runs eagerly here (no broker), so a job asked for from the page is done before its page loads. The progress is
watched on jobs put in place through the ORM, changed from the test while the page polls its status fragment.
"""

import hashlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from followup.choices import PeriodKind
from followup.models import FollowUpReport
from reports.models import JobStatus, ReportFile, ReportJob

from .conftest import axe_violations, login

# Tasks run in the live server's thread, also where a broker is configured (CI): no worker runs here.
pytestmark = pytest.mark.usefixtures("eager")

FAILURE = "Avsnittet Ekonomi kunde inte skapas: budgetuppgifterna saknas."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Archived PDFs go to a directory of the test's own (the live server runs in this process)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REPORT_TEMP_DIR = None


def bun_report():
    """Barn- och utbildningsnämnden's T1 report of this year in Vaggeryd (a draft in the demo)."""
    return FollowUpReport.objects.select_related("period", "organisation").get(
        period__municipality__slug="vaggeryd",
        period__year=timezone.localdate().year,
        period__kind=PeriodKind.T1,
        organisation__code="BUN",
    )


def running_job(report, *, done, total):
    """A tertial job of the report as the pipeline leaves it while its sections are being prepared."""
    return ReportJob.objects.create(
        municipality=report.organisation.municipality,
        organisation=report.organisation,
        kind="tertial",
        subject_key=f"followupreport:{report.pk}",
        params={"report": report.pk},
        title=f"{report.period.title} – {report.organisation.name}",
        status=JobStatus.RUNNING,
        sections_total=total,
        sections_done=done,
        requested_by=get_user_model().objects.get(username="politiker"),
        started=timezone.now(),
    )


def archived_file(job, *, pages):
    """An archived version of the job's subject, as reports.services.job_assemble stores it."""
    content = b"%PDF-1.7\n%%EOF\n"
    record = ReportFile(
        municipality=job.municipality,
        organisation=job.organisation,
        kind=job.kind,
        subject_key=job.subject_key,
        version=1,
        title=job.title,
        checksum=hashlib.sha256(content).hexdigest(),
        size=len(content),
        pages=pages,
        created_by=job.requested_by,
        followup_report_id=job.params["report"],
    )
    record.file.save(f"{job.subject_key.replace(':', '-')}-v1.pdf", ContentFile(content), save=False)
    record.save()
    return record


def job_on_page(page):
    """The job whose page the browser is on, once it has got there."""
    page.wait_for_url(re.compile(r"/rapporter/jobb/\d+/$"))
    return ReportJob.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))


def ask_for_pdf(page, live_server, report):
    """Ask for the report's PDF with the report page's button; returns the job once its page shows it done."""
    page.goto(f"{live_server.url}{report.get_absolute_url()}")
    page.get_by_role("button", name="Skapa PDF").click()
    job = job_on_page(page)
    expect(job_status(page)).to_contain_text("Klar")
    return job


def job_status(page):
    return page.locator("#job-status")


def version_numbers(page):
    """The version column of the job page's "Alla versioner" table, top to bottom."""
    table = page.get_by_role("region", name="Alla versioner").get_by_role("table")
    return [text.strip() for text in table.locator("tbody th[scope='row']").all_inner_texts()]


def mark_page(page):
    """Put a marker on the window; it survives htmx swaps and is gone after a reload or a navigation."""
    page.evaluate("() => { window.__notReloaded = true; }")


def assert_not_reloaded(page):
    assert page.evaluate("() => window.__notReloaded === true"), "the page was reloaded"


def test_politician_creates_downloads_and_versions_the_tertial_pdf(page, live_server, demo):
    report = bun_report()
    year = timezone.localdate().year
    login(page, live_server, "politiker")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Uppföljning").click()
    page.get_by_role("region", name=str(year)).get_by_role("link", name=PeriodKind.T1.label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(report.period.title)
    page.get_by_role("link", name="Barn- och utbildningsnämnden", exact=True).click()
    page.wait_for_url(re.compile(rf"{report.get_absolute_url()}$"))

    page.get_by_role("button", name="Skapa PDF").click()
    job = job_on_page(page)
    assert (job.kind, job.params, job.requested_by.username) == ("tertial", {"report": report.pk}, "politiker")
    expect(page.get_by_role("heading", level=1)).to_have_text(job.title)
    status = job_status(page)
    expect(status).to_contain_text(re.compile(r"Klar: \d+ sidor\."))
    link = status.get_by_role("link", name=f"Ladda ner {job.title} (version 1, PDF)")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert version_numbers(page) == ["1"]
    record = ReportFile.objects.get(kind="tertial", subject_key=f"followupreport:{report.pk}")
    assert (record.version, record.created_by.username, record.followup_report_id) == (1, "politiker", report.pk)

    # Asking again archives a second version beside the first; nothing is overwritten.
    second = ask_for_pdf(page, live_server, report)
    assert second.pk != job.pk
    expect(job_status(page)).to_contain_text(f"Ladda ner {second.title} (version 2, PDF)")
    assert version_numbers(page) == ["2", "1"]
    with page.expect_download() as info:
        page.get_by_role("region", name="Alla versioner").get_by_role("link", name="Ladda ner version 1").click()
    with open(info.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_job_page_follows_the_job_to_its_failure_without_reloading(page, live_server, demo):
    report = bun_report()
    job = running_job(report, done=2, total=6)
    login(page, live_server, "politiker")
    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    status = job_status(page)
    expect(status.get_by_role("status")).to_have_text("Skapar avsnitt 3 av 6 …")
    expect(status.locator("progress")).to_have_attribute("value", "30")
    mark_page(page)

    ReportJob.objects.filter(pk=job.pk).update(sections_done=5)
    expect(status.get_by_role("status")).to_have_text("Skapar avsnitt 6 av 6 …")
    ReportJob.objects.filter(pk=job.pk).update(sections_done=6)
    expect(status.get_by_role("status")).to_have_text("Sätter ihop avsnitten till en PDF-fil …")

    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=FAILURE, finished=timezone.now())
    expect(status.get_by_role("alert")).to_contain_text(FAILURE)
    retry = status.get_by_role("button", name="Försök igen")
    expect(retry).to_be_visible()
    assert_not_reloaded(page)
    # A finished job's fragment stops polling.
    expect(status).not_to_have_attribute("hx-get", re.compile("."))

    # Trying again asks for a new job with the same subject, which (eagerly) ends as version 1.
    retry.click()
    page.wait_for_url(lambda url: not url.endswith(job.get_absolute_url()))
    new_job = job_on_page(page)
    assert (new_job.kind, new_job.params) == ("tertial", {"report": report.pk})
    expect(job_status(page)).to_contain_text(f"Ladda ner {job.title} (version 1, PDF)")


def test_running_job_is_finished_in_place(page, live_server, demo):
    """A job that gets its file while its page is open shows "Klar" and the download link without a reload."""
    report = bun_report()
    job = running_job(report, done=0, total=6)
    login(page, live_server, "politiker")
    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    status = job_status(page)
    expect(status.get_by_role("status")).to_have_text("Skapar avsnitt 1 av 6 …")
    mark_page(page)

    # What the pipeline's last step leaves: an archived version and the job done with it.
    record = archived_file(job, pages=12)
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, file=record, sections_done=6, finished=timezone.now()
    )
    expect(status.get_by_role("status")).to_contain_text("Klar: 12 sidor.")
    link = status.get_by_role("link", name=f"Ladda ner {job.title} (version 1, PDF)")
    expect(link).to_be_visible()
    assert_not_reloaded(page)
    with page.expect_download() as info:
        link.click()
    with open(info.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_report_pages_have_no_accessibility_violations(page, live_server, demo):
    report = bun_report()
    login(page, live_server, "politiker")
    running = running_job(report, done=2, total=6)
    page.goto(f"{live_server.url}{running.get_absolute_url()}")
    expect(job_status(page).get_by_role("status")).to_have_text("Skapar avsnitt 3 av 6 …")
    assert axe_violations(page) == [], "jobbsidan medan rapporten skapas"

    done = ask_for_pdf(page, live_server, report)
    done.refresh_from_db()
    assert done.status == JobStatus.DONE, done.error
    assert axe_violations(page) == [], "jobbsidan när rapporten är klar"

    ReportJob.objects.filter(pk=running.pk).update(status=JobStatus.FAILED, error=FAILURE)
    page.goto(f"{live_server.url}{running.get_absolute_url()}")
    expect(job_status(page).get_by_role("button", name="Försök igen")).to_be_visible()
    assert axe_violations(page) == [], "jobbsidan när rapporten misslyckades"

    page.goto(f"{live_server.url}/kommun/vaggeryd/rapporter/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapporter")
    expect(page.get_by_role("region", name="Arkiv").get_by_role("row")).to_have_count(2)  # the header and version 1
    assert axe_violations(page) == [], "rapportarkivet"
