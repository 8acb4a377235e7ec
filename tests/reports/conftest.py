"""Fixtures of the PDF report tests: a follow-up period with reports, how tasks run (eagerly, or through a real
worker when a broker is configured), and reading a PDF's text and metadata with poppler."""

import shutil
import subprocess
import time

import pytest
from django.conf import settings as django_settings

from followup import services as followup_services


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REPORT_TEMP_DIR = None


def needs_broker():
    return pytest.mark.skipif(not django_settings.CELERY_BROKER_URL, reason="no CELERY_BROKER_URL: tasks run eagerly")


def wait_for(job, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        job.refresh_from_db()
        if job.is_finished or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def pdf_text(path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def flat(text):
    """The PDF's text with every run of white space (no-break spaces and line breaks too) as one space."""
    return " ".join(text.split())


def pdf_info(path, *extra):
    if not shutil.which("pdfinfo"):
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    output = subprocess.run(["pdfinfo", *extra, str(path)], capture_output=True, text=True, check=True).stdout
    if extra:
        return output
    info = {}
    for line in output.splitlines():
        key, _sep, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


@pytest.fixture
def followup(world):
    """2025 T1 opened: every organisation has its report; BUN's is filled in."""
    period = followup_services.period_create(municipality=world.municipality, year=2025, kind="t1", user=world.admin)
    followup_services.period_open(period, user=world.admin)
    report = period.reports.get(organisation=world.bun)
    report.summary = "Terminen har gått enligt plan. Läsförståelsen har ökat."
    report.budget = 500_000_000
    report.outcome_to_date = 160_000_000
    report.forecast = 512_000_000
    report.deviation_analysis = "Fler barn i förskolan än budgeterat."
    report.within_delegation = True
    followup_services.report_save(report, user=world.official)
    for item in report.assessments.all():
        item.assessment = "partly"
        item.forecast = "met"
        item.analysis = "Läsfrämjande insatser ger effekt i årskurs 3."
        followup_services.item_save(item, user=world.official)
    world.followup_period = period
    world.followup_report = report
    return world


def queued_job(kind, params, user):
    """A job as report_request makes it, without queueing its tasks (tests prepare the sections one by one)."""
    from reports import services

    return services.job_create(kind=kind, params=params, user=user)


def prepared_sections(kind, params, user):
    """Yield (section, queries, html) for each section of a new job, each prepared as its task would (the job loaded
    afresh), with the SQL queries it ran; the PDF is not laid out."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports import documents, services
    from reports.models import ReportJob

    job = queued_job(kind, params, user)
    services.job_start(job.pk)
    document = documents.get(kind)
    for section in job.sections.order_by("position"):
        job = ReportJob.objects.get(pk=job.pk)
        with CaptureQueriesContext(connection) as queries:
            html = document.render_section(job, section)
        yield section, len(queries), html


def section_queries(kind, params, user):
    """{section kind (the key before ":"): the most queries a section of that kind ran}; every section has content."""
    counts = {}
    for section, queries, html in prepared_sections(kind, params, user):
        assert html.strip()
        key = section.key.split(":", 1)[0]
        counts[key] = max(counts.get(key, 0), queries)
    return counts
