"""
The PDF report pipeline (reports.services, reports.tasks) with the tertial and the compiled follow-up reports: a job
goes queued → done with an archived, never overwritten version; a failure leaves the job failed with its message and
no file; approval archives the decided copy; who may ask for and download what.
"""

import datetime
from pathlib import Path
from unittest import mock

import pytest
from django.urls import reverse

from followup import services as followup_services
from reports import services
from reports.models import JobStatus, ReportFile, ReportJob
from styrning.services import membership_grant
from tests import factories as f

from .conftest import needs_broker, pdf_info, pdf_text, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def request(kind, params, user):
    return services.report_request(kind=kind, params=params, user=user)


def test_tertial_report_is_rendered_archived_and_readable(followup, eager):
    w = followup
    job = wait_for(request("tertial", {"report": w.followup_report.pk}, w.politician))
    assert job.status == JobStatus.DONE, job.error
    record = job.file
    path = Path(record.file.path)
    assert path.exists() and record.size == path.stat().st_size
    text = pdf_text(path)
    for expected in (
        "T1 Budgetuppföljning (januari–april) 2025",
        "Barn- och utbildningsnämnden",
        "Innehåll",
        "Måluppfyllelse",
        "Fler elever klarar skolan",  # the goal BUN1
        "Läsfrämjande insatser ger effekt",
        "Ekonomi",
        "500 000 tkr",
        "−12 000 tkr",  # the deviation: budget − forecast
        "Fler barn i förskolan än budgeterat.",
        "Sida 2 av",
    ):
        assert expected in text, expected
    info = pdf_info(path)
    assert info["Title"] == job.title
    assert info["Author"] == "Vaggeryds kommun"
    assert info["Tagged"] == "yes"
    assert 4 <= int(info["Pages"]) <= 30 and int(info["Pages"]) == record.pages
    metadata = pdf_info(path, "-meta")
    assert 'pdfaid:part="3"' in metadata and 'pdfaid:conformance="A"' in metadata  # PDF/A-3a: archival and tagged
    assert record.checksum and len(record.checksum) == 64
    assert record.created_by == w.politician and record.version == 1
    assert record.data_source["uppföljningsrapport"] == w.followup_report.pk


def test_a_new_request_makes_a_new_version_and_keeps_the_old_file(followup, eager):
    w = followup
    first = wait_for(request("tertial", {"report": w.followup_report.pk}, w.politician)).file
    second = wait_for(request("tertial", {"report": w.followup_report.pk}, w.official)).file
    assert (first.version, second.version) == (1, 2)
    assert first.file.name != second.file.name
    assert Path(first.file.path).exists() and Path(second.file.path).exists()
    assert ReportFile.objects.filter(subject_key=f"followupreport:{w.followup_report.pk}").count() == 2


def test_compiled_report_has_the_roll_up_and_a_chapter_per_nämnd(followup, eager):
    w = followup
    job = wait_for(request("compiled", {"period": w.followup_period.pk}, w.politician))
    assert job.status == JobStatus.DONE, job.error
    sections = list(job.sections.values_list("title", flat=True))
    assert sections[:4] == ["Kommunfullmäktiges mål", "Ekonomi", "Uppdrag", "Intern kontroll"]
    assert {"Kommunstyrelsen", "Barn- och utbildningsnämnden", "Socialnämnden"} <= set(sections)
    text = pdf_text(job.file.file.path)
    for expected in ("Hållbar samhällsutveckling", "Hög sysselsättning", "Föreslagen sammanvägning", "Socialnämnden"):
        assert expected in text, expected


def join_that_breaks_off(parts, target, **kwargs):
    """Joining that has written half the file when it fails."""
    Path(target).write_bytes(parts[0][:1000])
    raise RuntimeError("layout")


def test_a_render_that_raises_fails_the_job_with_its_message_and_leaves_no_file(followup, eager, settings):
    w = followup
    with mock.patch("reports.layout.join", side_effect=join_that_breaks_off):
        job = wait_for(request("tertial", {"report": w.followup_report.pk}, w.politician))
    assert job.status == JobStatus.FAILED
    assert "Rapporten kunde inte skapas" in job.error and job.file is None
    assert not ReportFile.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not list(media.rglob("*.pdf"))


def test_a_section_that_raises_fails_the_job(followup, eager):
    w = followup
    with mock.patch("reports.kinds.tertial.followup_content", side_effect=ValueError("data")):
        job = wait_for(request("tertial", {"report": w.followup_report.pk}, w.politician))
    assert job.status == JobStatus.FAILED and job.file is None
    assert not ReportFile.objects.exists()


def test_retry_of_a_failed_job_makes_a_new_job(client, followup, eager):
    w = followup
    with mock.patch("reports.layout.render", side_effect=RuntimeError("layout")):
        failed = wait_for(request("tertial", {"report": w.followup_report.pk}, w.politician))
    client.force_login(w.politician)
    page = client.get(reverse("reports:job", args=[failed.pk]))
    assert "Försök igen" in page.content.decode()
    response = client.post(reverse("reports:job_retry", args=[failed.pk]))
    new_job = ReportJob.objects.exclude(pk=failed.pk).get()
    assert response.status_code == 302 and response["Location"] == new_job.get_absolute_url()
    assert wait_for(new_job).status == JobStatus.DONE


def test_approval_archives_the_decided_copy(followup, eager):
    w = followup
    report = w.followup_report
    for item in report.assignment_items.all():
        item.status, item.comment = "ongoing", "Arbetet pågår."
        followup_services.item_save(item, user=w.official)
    followup_services.report_submit(report, user=w.official)
    report.refresh_from_db()
    followup_services.report_approve(report, user=w.politician, decided_by=w.bun, decided_on=datetime.date(2025, 5, 20))
    copy = ReportFile.objects.get(followup_report=report)
    assert copy.is_approval_copy and copy.created_by == w.politician
    assert "Godkänd" in pdf_text(copy.file.path)


@needs_broker()
def test_a_real_worker_renders_the_report_end_to_end(followup, celery_worker):
    w = followup
    job = wait_for(request("compiled", {"period": w.followup_period.pk}, w.politician), timeout=180)
    assert job.status == JobStatus.DONE, job.error
    assert job.sections_done == job.sections_total > 4
    assert "Socialnämnden" in pdf_text(job.file.file.path)


# --- Views and permissions ------------------------------------------------------------------------------------------


def test_politician_asks_for_a_report_and_follows_the_job(client, followup, eager):
    w = followup
    client.force_login(w.politician)
    response = client.post(reverse("reports:request"), {"kind": "tertial", "report": w.followup_report.pk})
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    status = client.get(reverse("reports:job_status", args=[job.pk])).content.decode()
    assert "Klar" in status and reverse("reports:download", args=[job.file.pk]) in status
    download = client.get(reverse("reports:download", args=[job.file.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_the_status_fragment_polls_until_the_job_ends(client, followup):
    w = followup
    job = ReportJob.objects.create(
        municipality=w.municipality,
        organisation=w.bun,
        kind="tertial",
        subject_key="x",
        params={"report": w.followup_report.pk},
        title="T",
        status=JobStatus.RUNNING,
        sections_total=6,
        sections_done=2,
    )
    client.force_login(w.politician)
    html = client.get(reverse("reports:job_status", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "Skapar avsnitt 3 av 6" in html
    job.status = JobStatus.FAILED
    job.error = "Rapporten kunde inte skapas: fel."
    job.save()
    html = client.get(reverse("reports:job_status", args=[job.pk])).content.decode()
    assert "every 1s" not in html and "Rapporten kunde inte skapas: fel." in html


@pytest.fixture
def other_politician(world):
    user = f.make_user("other_politician")
    membership_grant(user=user, organisation=world.other_kf, role="reviewer", granted_by=None)
    return user


@pytest.mark.parametrize("kind", ["tertial", "compiled"])
def test_a_politician_of_another_municipality_gets_404(client, followup, other_politician, eager, kind):
    w = followup
    params = {"report": w.followup_report.pk} if kind == "tertial" else {"period": w.followup_period.pk}
    record = wait_for(request(kind, params, w.politician)).file
    client.force_login(other_politician)
    assert client.post(reverse("reports:request"), {"kind": kind, **params}).status_code == 404
    assert client.get(reverse("reports:download", args=[record.pk])).status_code == 404
    assert client.get(reverse("reports:job", args=[record.job.pk])).status_code == 404
    assert not ReportJob.objects.filter(requested_by=other_politician).exists()


@pytest.mark.parametrize("persona", ["official", "colleague", "politician", "outsider", "admin"])
def test_everyone_of_the_municipality_may_ask_and_download(client, followup, eager, persona):
    w = followup
    client.force_login(getattr(w, persona))
    response = client.post(reverse("reports:request"), {"kind": "tertial", "report": w.followup_report.pk})
    assert response.status_code == 302
    job = ReportJob.objects.get()
    assert client.get(reverse("reports:download", args=[job.file.pk])).status_code == 200


def test_anonymous_is_sent_to_login(client, followup):
    response = client.post(reverse("reports:request"), {"kind": "tertial", "report": followup.followup_report.pk})
    assert response.status_code == 302 and "/logga-in/" in response["Location"]


@pytest.mark.parametrize("data", [{"kind": "nonsense"}, {"kind": "tertial", "report": "x"}, {"kind": "tertial"}])
def test_bad_requests_are_404(client, followup, data):
    client.force_login(followup.politician)
    assert client.post(reverse("reports:request"), data).status_code == 404
