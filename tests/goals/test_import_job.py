"""
Large spreadsheet imports as background jobs (goals.importing "Large files", goals.tasks): the same preview and
commit as the import page, run by a Celery task with its progress on an ImportJob.

Each job test runs twice: eagerly (CELERY_TASK_ALWAYS_EAGER, as `make test` and `make run` without a broker) and,
when CELERY_BROKER_URL is set (CI: Redis), through a real Celery worker in a thread of the test process, against the
same database (hence transactional_db: the worker's connection sees only what is committed).
"""

import threading
import time
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, transaction
from django.urls import reverse

from goals import import_jobs, importing
from goals.models import Goal, ImportJob
from goals.synthetic import verify_municipality
from styrning import spreadsheets
from styrning.spreadsheets import OutputSheet
from tests import factories as f

from .test_import import GOAL_HEADERS, csv_file, goals_file, xlsx

pytestmark = pytest.mark.django_db(transaction=True)

NEW_GOALS = [
    ["KF3", "Inriktningsmål", "VISION", "KF", "2023–2026", "Trygghet i hela kommunen", ""],
    ["BUN2", "Mål", "KF3", "BUN", "2025", "Trygga skolvägar", "Invånare och brukare"],
    ["BUF2", "Mål", "BUN2", "BUF", "2025", "Fler går och cyklar till skolan", ""],
    ["BUF2.A1", "Aktivitet", "BUF2", "BUF", "2025", "Kartlägga skolvägarna", ""],
    ["SN2", "Mål", "KF3", "SN", "2025", "Trygg hemtjänst", "Invånare och brukare"],
]
BAD_ROW = ["BUN3", "Mål", "KF9", "BUN", "2025", "Trygg skola", "Invånare och brukare"]


@pytest.fixture(autouse=True)
def _small_files_run_in_the_background(settings, tmp_path):
    settings.IMPORT_ASYNC_ROWS = 3
    settings.MEDIA_ROOT = tmp_path


RUNNERS = [
    "eager",
    pytest.param(
        "worker",
        marks=pytest.mark.skipif(
            not django_settings.CELERY_BROKER_URL, reason="no CELERY_BROKER_URL: the job runs eagerly only"
        ),
    ),
]


@pytest.fixture(params=RUNNERS)
def runner(request):
    """How the task runs: "eager" or "worker"."""
    request.getfixturevalue("eager" if request.param == "eager" else "celery_worker")
    return request.param


def wait_for(job, timeout=60):
    """The job once it has ended (at once when eager; a worker needs a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        job.refresh_from_db()
        if job.is_finished or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def start(world, data, *, mode=ImportJob.Mode.COMMIT, filename="mal.xlsx", user=None):
    return import_jobs.import_job_start(
        municipality=world.municipality, user=user or world.admin, filename=filename, mode=mode, data=data
    )


# --- The job ---------------------------------------------------------------------------------------------------------


def test_job_imports_the_file_with_history(world, runner):
    threads = []
    real = importing.import_job_run
    with mock.patch.object(
        importing, "import_job_run", side_effect=lambda **kw: threads.append(threading.get_ident()) or real(**kw)
    ):
        job = wait_for(start(world, goals_file(*NEW_GOALS)))
    assert (threads == [threading.get_ident()]) == (runner == "eager")  # the worker runs it in a thread of its own

    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.rows_total, job.rows_checked, job.rows_saved) == (5, 5, 5)
    assert job.percent == 100 and job.started and job.finished
    assert job.result["committed"] and job.result["error_count"] == 0
    assert [(s["name"], s["new"]) for s in job.result["sheets"]] == [("Mål", 5)]
    codes = [row[0] for row in NEW_GOALS]
    created = Goal.objects.filter(municipality=world.municipality, code__in=codes)
    assert created.count() == 5
    for goal in created:
        record = goal.history.get()
        assert (record.history_type, record.history_change_reason, record.history_user) == (
            "+",
            "Import av mal.xlsx",
            world.admin,
        )
    assert Goal.objects.get(municipality=world.municipality, code="BUF2.A1").parent.code == "BUF2"
    assert verify_municipality(world.municipality) == []
    # The stashed file is gone once imported.
    assert importing.unstash_upload(token=job.token, municipality=world.municipality, user=world.admin) is None


def test_bad_file_fails_and_saves_nothing(world, runner):
    history_before = Goal.history.count()
    job = wait_for(start(world, goals_file(*NEW_GOALS, BAD_ROW)))

    assert job.status == ImportJob.Status.FAILED
    assert job.error == "Filen har ett fel. Inget har sparats."
    assert job.result["all_errors"] == ["Blad Mål, rad 7, kolumn Överordnad kod: koden KF9 finns inte"]
    assert not job.result["committed"]
    assert not Goal.objects.filter(code__in=[row[0] for row in [*NEW_GOALS, BAD_ROW]]).exists()
    assert Goal.history.count() == history_before


def test_preview_job_saves_nothing_and_keeps_the_file(world, runner):
    job = wait_for(start(world, goals_file(*NEW_GOALS), mode=ImportJob.Mode.PREVIEW))

    assert job.status == ImportJob.Status.DONE
    assert not job.result["committed"] and job.result["error_count"] == 0
    sheet = job.result["sheets"][0]
    assert (sheet["new"], sheet["row_count"], sheet["rows"][0]["label"]) == (5, 5, "KF3 Trygghet i hela kommunen")
    assert not Goal.objects.filter(code="KF3").exists()
    assert importing.import_job_confirmable(job)
    assert importing.unstash_upload(token=job.token, municipality=world.municipality, user=world.admin) is not None


# --- Retries and the edges -------------------------------------------------------------------------------------------


def _flaky(failures):
    """A stand-in for import_file that fails `failures` times with a transient error, then imports."""
    real = importing.import_file
    calls = []

    def run(**kwargs):
        calls.append(threading.current_thread() is threading.main_thread())
        if len(calls) <= failures:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    return run, calls


def test_transient_error_is_raised_for_a_retry_and_leaves_the_job_queued(world, eager):
    job = ImportJob.objects.create(
        municipality=world.municipality, user=world.admin, mode=ImportJob.Mode.COMMIT, filename="mal.xlsx", token=""
    )
    job.token = importing.stash_upload(
        data=goals_file(*NEW_GOALS), filename="mal.xlsx", municipality=world.municipality, user=world.admin
    )
    job.save()
    flaky, calls = _flaky(1)
    with mock.patch.object(importing, "import_file", side_effect=flaky):
        with pytest.raises(OperationalError):
            importing.import_job_run(job_id=job.pk, final_attempt=False)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.QUEUED
        assert not Goal.objects.filter(code="KF3").exists()
        importing.import_job_run(job_id=job.pk, final_attempt=False)  # the retry
    job.refresh_from_db()
    assert calls == [True, True] and job.status == ImportJob.Status.DONE  # both in this thread
    assert Goal.objects.filter(municipality=world.municipality, code="KF3").count() == 1


@pytest.mark.skipif(not django_settings.CELERY_BROKER_URL, reason="no CELERY_BROKER_URL: eager tasks run once")
def test_worker_retries_a_transient_error(world, celery_worker):
    flaky, calls = _flaky(1)
    with mock.patch.object(importing, "import_file", side_effect=flaky):
        job = wait_for(start(world, goals_file(*NEW_GOALS)), timeout=90)
    assert calls == [False, False]  # twice, in the worker's thread
    assert job.status == ImportJob.Status.DONE, job.error
    assert Goal.objects.filter(municipality=world.municipality, code="KF3").count() == 1


def test_transient_error_fails_an_eager_job_at_once(world, eager):
    with mock.patch.object(importing, "import_file", side_effect=OperationalError("database is locked")) as run:
        job = wait_for(start(world, goals_file(*NEW_GOALS)))

    assert run.call_count == 1  # in the request, once
    assert job.status == ImportJob.Status.FAILED
    assert job.error == (
        "Importen kunde inte slutföras eftersom databasen inte svarade. Inget har sparats. Försök igen om en stund."
    )
    assert not Goal.objects.filter(code="KF3").exists()


def test_unexpected_error_fails_the_job(world, eager):
    with mock.patch.object(importing, "import_file", side_effect=RuntimeError("boom")) as run:
        job = wait_for(start(world, goals_file(*NEW_GOALS)))

    assert run.call_count == 1  # not transient: no retry
    assert job.status == ImportJob.Status.FAILED
    assert job.error.startswith("Importen avbröts av ett oväntat fel. Inget har sparats.")


def test_file_that_has_expired(world, eager):
    with mock.patch.object(importing, "unstash_upload", return_value=None):
        job = wait_for(start(world, goals_file(*NEW_GOALS)))

    assert job.status == ImportJob.Status.FAILED
    assert job.error == "Filen finns inte längre kvar (den sparas i ett dygn). Ladda upp den igen."


def test_a_finished_job_is_not_run_again(world, eager):
    job = wait_for(start(world, goals_file(*NEW_GOALS)))
    with mock.patch.object(importing, "import_file") as run:
        importing.import_job_run(job_id=job.pk)
    run.assert_not_called()


@pytest.mark.skipif(django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), reason="SQLite: one writer")
def test_progress_is_visible_while_the_import_transaction_is_open(world):
    job = ImportJob.objects.create(
        municipality=world.municipality, user=world.admin, mode=ImportJob.Mode.COMMIT, filename="x.csv", token="t"
    )
    progress = importing._JobProgress(job)
    try:
        with transaction.atomic():
            Goal.objects.filter(pk=world.kf1.pk).update(title="Låst i importens transaktion")
            progress(checked=40, saved=10, total=100)
            seen = ImportJob.objects.using("default").values_list("rows_checked", "rows_saved", "rows_total")
            # Read on a third connection: what the page's request would see.
            from django.db import connections

            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute(
                        f"SELECT rows_checked, rows_saved, rows_total FROM {ImportJob._meta.db_table} WHERE id = %s",
                        [job.pk],
                    )
                    assert cursor.fetchone() == (40, 10, 100)
            finally:
                other.close()
            assert seen.get(pk=job.pk) == (40, 10, 100)
    finally:
        progress.close()


@pytest.mark.parametrize(
    ("data", "rows"),
    [
        (lambda: goals_file(*NEW_GOALS), 5),
        (lambda: xlsx({"Mål": [GOAL_HEADERS, *NEW_GOALS], "Organisationer": [["Kod", "Namn"], ["A", "B"]]}), 6),
        (lambda: csv_file([GOAL_HEADERS, *NEW_GOALS]), 5),
        (lambda: spreadsheets.write([OutputSheet("Mål", GOAL_HEADERS, NEW_GOALS)], "ods"), 5),
        (lambda: b"not a spreadsheet at all", 0),
        (lambda: b"PK\x03\x04broken", 0),
    ],
)
def test_count_rows(data, rows):
    """An estimate that decides only where the import runs: data rows below the header, 0 for what is unreadable."""
    assert importing.count_rows(data()) == rows


# --- Pages -----------------------------------------------------------------------------------------------------------


def _upload(client, world, data, name="mal.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("goals:import", args=[world.municipality.slug]), {"file": SimpleUploadedFile(name, data)}
    )


def test_large_upload_is_previewed_and_imported_by_jobs(client, world, eager):
    client.force_login(world.admin)
    response = _upload(client, world, goals_file(*NEW_GOALS))
    preview = ImportJob.objects.get(mode=ImportJob.Mode.PREVIEW)
    assert response.status_code == 302 and response["Location"] == preview.get_absolute_url()

    page = client.get(preview.get_absolute_url()).content.decode()
    assert "Filen kan läsas in. Nya rader: 5, ändrade: 0." in page
    assert "KF3 Trygghet i hela kommunen" in page and "Läs in ändringarna" in page
    assert not Goal.objects.filter(code="KF3").exists()
    # The fragment htmx swaps in when the job ends carries the same form, with its CSRF token.
    status = client.get(
        reverse("goals:import_job_status", args=[world.municipality.slug, preview.pk]), HTTP_HX_REQUEST="true"
    )
    assert status.status_code == 286
    assert 'name="csrfmiddlewaretoken"' in status.content.decode() and "Läs in ändringarna" in status.content.decode()

    confirm = reverse("goals:import_job_confirm", args=[world.municipality.slug, preview.pk])
    response = client.post(confirm)
    commit = ImportJob.objects.get(mode=ImportJob.Mode.COMMIT)
    assert response.status_code == 302 and response["Location"] == commit.get_absolute_url()
    assert commit.status == ImportJob.Status.DONE and commit.token == preview.token
    page = client.get(commit.get_absolute_url()).content.decode()
    assert "mal.xlsx är inläst. Nya rader: 5, ändrade: 0, oförändrade: 0." in page
    assert Goal.objects.filter(municipality=world.municipality, code__in=[r[0] for r in NEW_GOALS]).count() == 5
    # Confirming twice starts nothing new.
    assert client.post(confirm)["Location"] == commit.get_absolute_url()
    assert ImportJob.objects.filter(mode=ImportJob.Mode.COMMIT).count() == 1


def test_preview_with_errors_offers_no_import(client, world, eager):
    client.force_login(world.admin)
    _upload(client, world, goals_file(*NEW_GOALS, BAD_ROW))
    preview = ImportJob.objects.get()
    page = client.get(preview.get_absolute_url()).content.decode()
    assert "Filen har ett fel. Inget har sparats: rätta filen och ladda upp den igen." in page
    assert "Blad Mål, rad 7, kolumn Överordnad kod: koden KF9 finns inte" in page
    assert "Läs in ändringarna" not in page
    response = client.post(reverse("goals:import_job_confirm", args=[world.municipality.slug, preview.pk]), follow=True)
    assert "Förhandsgranskningen kan inte läsas in. Ladda upp filen igen." in response.content.decode()
    assert not ImportJob.objects.filter(mode=ImportJob.Mode.COMMIT).exists()


def test_small_upload_is_previewed_in_the_request(client, world, settings):
    settings.IMPORT_ASYNC_ROWS = 2000
    client.force_login(world.admin)
    response = _upload(client, world, goals_file(*NEW_GOALS))
    assert response.status_code == 200 and "Läs in ändringarna" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_status_fragment_polls_until_the_job_ends(client, world):
    client.force_login(world.admin)
    job = ImportJob.objects.create(
        municipality=world.municipality,
        user=world.admin,
        mode=ImportJob.Mode.COMMIT,
        filename="mal.xlsx",
        token="t",
        status=ImportJob.Status.RUNNING,
        rows_total=50_000,
        rows_checked=50_000,
        rows_saved=12_000,
    )
    page = client.get(job.get_absolute_url()).content.decode()
    status_url = reverse("goals:import_job_status", args=[world.municipality.slug, job.pk])
    assert f'hx-get="{status_url}"' in page and 'hx-trigger="every 1s"' in page
    response = client.get(status_url, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200
    assert '<progress id="import-job-progress-' in fragment and 'max="100" value="62"' in fragment
    assert "Sparar raderna: 12\xa0000 av 50\xa0000" in fragment

    job.status = ImportJob.Status.FAILED
    job.error = "Importen avbröts av ett oväntat fel. Inget har sparats."
    job.save()
    response = client.get(status_url, HTTP_HX_REQUEST="true")
    assert response.status_code == 286  # htmx stops polling
    assert "Importen avbröts av ett oväntat fel." in response.content.decode()
    assert "hx-trigger" not in client.get(job.get_absolute_url()).content.decode()


JOB_ACCESS = {"anonymous": 302, "foreigner": 404, "official": 403, "politician": 403, "other_admin": 404, "admin": 200}


@pytest.mark.parametrize("persona", list(JOB_ACCESS))
def test_only_the_importing_administrator_sees_the_job(client, world, persona):
    from styrning.services import membership_grant

    job = ImportJob.objects.create(
        municipality=world.municipality, user=world.admin, mode=ImportJob.Mode.PREVIEW, filename="x.xlsx", token="t"
    )
    if persona == "other_admin":
        user = f.make_user("other_admin")
        membership_grant(user=user, organisation=world.kf, role="admin", granted_by=None)
        client.force_login(user)
    elif persona != "anonymous":
        client.force_login(getattr(world, persona))
    for name in ("goals:import_job", "goals:import_job_status"):
        assert client.get(reverse(name, args=[world.municipality.slug, job.pk])).status_code == JOB_ACCESS[persona]
    confirm = client.post(reverse("goals:import_job_confirm", args=[world.municipality.slug, job.pk]))
    assert confirm.status_code == (302 if persona == "admin" else JOB_ACCESS[persona])
    assert not ImportJob.objects.filter(mode=ImportJob.Mode.COMMIT).exists()


def test_status_fragment_query_count(client, world, django_assert_max_num_queries):
    client.force_login(world.admin)
    job = ImportJob.objects.create(
        municipality=world.municipality, user=world.admin, mode=ImportJob.Mode.COMMIT, filename="x.xlsx", token="t"
    )
    url = reverse("goals:import_job_status", args=[world.municipality.slug, job.pk])
    # session, user, municipality, the user's memberships, root organisation, the job; polled every second, so it
    # must stay small whatever the file.
    with django_assert_max_num_queries(6):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
