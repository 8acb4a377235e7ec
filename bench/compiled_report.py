"""
Benchmark of the compiled follow-up report for KS and KF (reports.kinds.compiled) on the large synthetic
municipality (goals/synthetic.py): the whole PDF, from the request to the archived file, rendered by real Celery
workers on Redis, first with one worker process and then with two.

The report is split into sections (the overview parts and one chapter per nämnd and bolag) that are prepared and laid
out as PDFs of their own by parallel tasks; the last task lays out the front matter (cover and contents) and joins the
parts into one PDF/A-3a document (reports.layout). The benchmark prints, per worker count, the total time, the time
until every section is laid out, the time of the last task (front matter and joining), the pages, the time per page
and the speed-up of two workers over one.

Needs PostgreSQL and Redis (the workers are separate processes):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/compiled_report.py [--runs 3]

The synthetic municipality is generated first if it is missing, and given a follow-up period whose reports are filled
in (assessments, analyses, economy) with generated text. Results are written to bench/results/compiled_report.json.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid

from common import RESULTS, ROOT, bench_user, setup_django

setup_django()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from followup import services as followup_services  # noqa: E402
from followup.choices import Assessment  # noqa: E402
from followup.models import FollowUpReport, GoalAssessment, ReportingPeriod  # noqa: E402
from goals import synthetic  # noqa: E402
from reports import services as report_services  # noqa: E402
from reports.models import JobStatus, ReportJob  # noqa: E402
from styrning.celery import app  # noqa: E402
from styrning.models import Municipality  # noqa: E402

RESULT_FILE = RESULTS / "compiled_report.json"
ANALYSES = [
    "Arbetet följer planen. Resultaten i brukarundersökningen är i nivå med föregående år och nyckeltalen i Kolada "
    "visar att kostnaden per brukare ligger under riket.",
    "Målet nås delvis. Rekryteringsläget har försenat två aktiviteter; en ny plan tas fram till hösten och "
    "effekterna följs upp i delårsrapporten.",
    "Målet nås inte. Efterfrågan har ökat mer än väntat och insatserna räcker inte. Förvaltningen föreslår en "
    "omprioritering inom ramen och redovisar en åtgärdsplan.",
]


def setup_period(municipality, user):
    """A T2 period of the synthetic municipality's current plan year, opened and filled in. Returns it."""
    year = datetime.date.today().year
    period = ReportingPeriod.objects.filter(municipality=municipality, year=year, kind="t2").first()
    if period is None:
        period = followup_services.period_create(municipality=municipality, year=year, kind="t2", user=user)
    if not period.is_open:
        followup_services.period_open(period, user=user)
    if GoalAssessment.objects.filter(report__period=period).exclude(assessment="").exists():
        return period
    with transaction.atomic():
        choices = [Assessment.MET, Assessment.PARTLY_MET, Assessment.NOT_MET]
        assessments = list(GoalAssessment.objects.filter(report__period=period).only("pk"))
        for item in assessments:
            index = item.pk % 3
            item.assessment = choices[index]
            item.forecast = choices[(index + 1) % 3]
            item.analysis = ANALYSES[index]
        GoalAssessment.objects.bulk_update(assessments, ["assessment", "forecast", "analysis"], batch_size=1000)
        reports = list(FollowUpReport.objects.filter(period=period).only("pk", "budget"))
        for report in reports:
            budget = report.budget or 50_000_000 + (report.pk % 17) * 1_000_000
            report.budget = budget
            report.outcome_to_date = budget * 62 // 100
            report.forecast = budget + ((report.pk % 5) - 2) * budget // 100
            report.summary = ANALYSES[report.pk % 3]
            report.deviation_analysis = ANALYSES[(report.pk + 1) % 3]
        FollowUpReport.objects.bulk_update(
            reports, ["budget", "outcome_to_date", "forecast", "summary", "deviation_analysis"], batch_size=1000
        )
    return period


def start_workers(count, queue):
    # The workers send the sections' tasks on to the same queue (a chord is sent from inside a task).
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CELERY_TASK_DEFAULT_QUEUE": queue}
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "styrning",
        "worker",
        "--concurrency",
        str(count),
        "--pool",
        "prefork",
        "-Q",
        queue,
        "--loglevel",
        "warning",
        "--without-gossip",
        "--without-mingle",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0)
        if replies:
            return process
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("The Celery worker did not start.")


def run_once(period, user, queue):
    """Request the compiled report and follow it: (total s, sections s, front matter and joining s, pages)."""
    app.conf.task_default_queue = queue
    started = time.monotonic()
    with transaction.atomic():
        job = report_services.report_request(kind="compiled", params={"period": period.pk}, user=user)
    sections_done_at = None
    while True:
        job.refresh_from_db()
        now = time.monotonic()
        if sections_done_at is None and job.sections_total and job.sections_done >= job.sections_total:
            sections_done_at = now
        if job.status in (JobStatus.DONE, JobStatus.FAILED):
            break
        time.sleep(0.05)
    total = time.monotonic() - started
    if job.status == JobStatus.FAILED:
        raise SystemExit(f"The job failed: {job.error}")
    sections = (sections_done_at or time.monotonic()) - started
    return total, sections, total - sections, job.file.pages, job.sections_total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slug", default=synthetic.DEFAULT_SLUG)
    args = parser.parse_args()
    if not settings.CELERY_BROKER_URL or settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        raise SystemExit("Set DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis): the workers are processes.")
    municipality = Municipality.objects.filter(slug=args.slug).first()
    if municipality is None:
        print("Genererar den syntetiska kommunen …", flush=True)
        synthetic.generate_municipality(slug=args.slug)
        synthetic.analyze()
        municipality = Municipality.objects.get(slug=args.slug)
    user = bench_user()
    period = setup_period(municipality, user)
    results = {}
    for workers in (1, 2):
        queue = f"bench-{uuid.uuid4().hex}"
        process = start_workers(workers, queue)
        try:
            run_once(period, user, queue)  # warm-up: imports, fonts, caches in the worker processes
            runs = [run_once(period, user, queue) for _ in range(args.runs)]
        finally:
            process.terminate()
            process.wait(timeout=60)
        totals = [r[0] for r in runs]
        results[workers] = {
            "total_s": statistics.median(totals),
            "total_min_s": min(totals),
            "total_max_s": max(totals),
            "sections_s": statistics.median(r[1] for r in runs),
            "join_s": statistics.median(r[2] for r in runs),
            "pages": runs[-1][3],
            "sections": runs[-1][4],
        }
        results[workers]["per_page_s"] = results[workers]["total_s"] / results[workers]["pages"]
    speedup = results[1]["total_s"] / results[2]["total_s"]
    print(
        f"{'arbetare':>8} {'sidor':>6} {'avsnitt':>8} {'totalt s':>9} {'avsnitt s':>10} {'sammanfogning s':>16} "
        f"{'s/sida':>7}"
    )
    for workers, r in results.items():
        print(
            f"{workers:>8} {r['pages']:>6} {r['sections']:>8} {r['total_s']:>9.1f} {r['sections_s']:>10.1f} "
            f"{r['join_s']:>16.1f} {r['per_page_s']:>7.3f}"
        )
    print(f"Uppsnabbning med två arbetare: {speedup:.2f}×")
    RESULTS.mkdir(exist_ok=True)
    RESULT_FILE.write_text(
        json.dumps(
            {
                "date": datetime.date.today().isoformat(),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "runs": args.runs,
                "results": results,
                "speedup": speedup,
            },
            indent=2,
        )
    )
    # Leave the jobs' files out of the database the benchmark used: they are not data anyone relies on.
    ReportJob.objects.filter(requested_by=user).delete()


if __name__ == "__main__":
    main()
