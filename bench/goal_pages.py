"""
Benchmark of the goal pages on the large synthetic municipality (goals/synthetic.py).

For each page: the server time of N requests through Django's test Client (logged in as a superuser, so the
permission filters add nothing), its median and 90th percentile, the number of SQL queries (one extra request under
CaptureQueriesContext), and the time of the raw SQL that fetches the same rows with `cursor.execute` (the floor the
ORM, the Python code and the template rendering add to). Run from the project folder:

    .venv/bin/python bench/goal_pages.py [--requests 20] [--slug storstad]

The database is the one of the settings (DATABASE_URL, else db.sqlite3). The municipality is generated first if it is
missing. Results are printed as a table and written as JSON to bench/results/goal_pages.json.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from common import RESULTS, bench_user, setup_django

setup_django()

import django  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from goals import synthetic  # noqa: E402
from goals.models import Goal, Indicator, Outcome, Plan, Target  # noqa: E402
from styrning.models import MandatePeriod, Municipality, Organisation  # noqa: E402

RESULT_FILE = RESULTS / "goal_pages.json"


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


GOAL, ORG, PLAN = table(Goal), table(Organisation), table(Plan)
INDICATOR, OUTCOME, TARGET = table(Indicator), table(Outcome), table(Target)
PERIOD, MUNICIPALITY = table(MandatePeriod), table(Municipality)


def in_list(ids):
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def fetch_indicators(cursor, goal_ids):
    """The indicators of the goals, then their outcomes and targets: three queries with id lists, as the ORM's
    prefetch does. Returns the number of rows."""
    cursor.execute(f"SELECT * FROM {INDICATOR} WHERE goal_id IN ({in_list(goal_ids)})")
    indicators = cursor.fetchall()
    ids = in_list(row[0] for row in indicators)
    cursor.execute(f"SELECT * FROM {OUTCOME} WHERE indicator_id IN ({ids})")
    outcomes = cursor.fetchall()
    cursor.execute(f"SELECT * FROM {TARGET} WHERE indicator_id IN ({ids})")
    return len(indicators) + len(outcomes) + len(cursor.fetchall())


def fetch_goals(cursor, sql):
    """Run a goal query whose first column is the goal id; returns (rows, ids)."""
    cursor.execute(sql)
    rows = cursor.fetchall()
    return rows, [row[0] for row in rows]


def chain_sql(municipality, depth):
    """The rows of the unfiltered goal chain: the top `depth` levels with organisation and plan, and indicators."""

    def fetch(cursor):
        rows, ids = fetch_goals(
            cursor,
            f"SELECT g.*, o.*, p.* FROM {GOAL} g JOIN {ORG} o ON o.id = g.organisation_id "
            f"LEFT JOIN {PLAN} p ON p.id = g.plan_id "
            f"WHERE g.municipality_id = {int(municipality.pk)} AND g.depth <= {int(depth)} ORDER BY g.tree_id, g.lft",
        )
        return len(rows) + fetch_indicators(cursor, ids)

    return fetch


def chain_filtered_sql(municipality, level):
    """The filtered flat chain: the count, the first page of 100 with parent, organisation and plan, indicators."""
    where = f"g.municipality_id = {int(municipality.pk)} AND g.level = {int(level)}"

    def fetch(cursor):
        cursor.execute(f"SELECT COUNT(*) FROM {GOAL} g WHERE {where}")
        cursor.fetchall()
        rows, ids = fetch_goals(
            cursor,
            f"SELECT g.*, o.*, p.*, q.* FROM {GOAL} g JOIN {ORG} o ON o.id = g.organisation_id "
            f"LEFT JOIN {PLAN} p ON p.id = g.plan_id LEFT JOIN {GOAL} q ON q.id = g.parent_id "
            f"WHERE {where} ORDER BY g.tree_id, g.lft LIMIT 100",
        )
        return 1 + len(rows) + fetch_indicators(cursor, ids)

    return fetch


def goal_sql(goal):
    """The rows of the goal page: the goal with its relations, ancestors, children with indicators, own indicators."""
    pk = int(goal.pk)

    def fetch(cursor):
        rows, _ids = fetch_goals(
            cursor,
            f"SELECT g.*, o.*, p.*, mp.*, m.*, q.* FROM {GOAL} g JOIN {ORG} o ON o.id = g.organisation_id "
            f"LEFT JOIN {PLAN} p ON p.id = g.plan_id LEFT JOIN {PERIOD} mp ON mp.id = p.mandate_period_id "
            f"JOIN {MUNICIPALITY} m ON m.id = g.municipality_id LEFT JOIN {GOAL} q ON q.id = g.parent_id "
            f"WHERE g.id = {pk}",
        )
        ancestors, _ids = fetch_goals(
            cursor,
            f"SELECT a.*, o.* FROM {GOAL} a JOIN {ORG} o ON o.id = a.organisation_id "
            f"WHERE a.tree_id = {goal.tree_id} AND a.lft < {goal.lft} AND a.rght > {goal.rght} ORDER BY a.lft",
        )
        children, ids = fetch_goals(
            cursor,
            f"SELECT c.*, o.*, p.* FROM {GOAL} c JOIN {ORG} o ON o.id = c.organisation_id "
            f"LEFT JOIN {PLAN} p ON p.id = c.plan_id WHERE c.parent_id = {pk} ORDER BY c.tree_id, c.lft",
        )
        return (
            len(rows) + len(ancestors) + len(children) + fetch_indicators(cursor, ids) + fetch_indicators(cursor, [pk])
        )

    return fetch


def children_sql(goal):
    """The rows of the lazily loaded children (htmx): the children with organisation, plan and indicators."""

    def fetch(cursor):
        rows, ids = fetch_goals(
            cursor,
            f"SELECT c.*, o.*, p.* FROM {GOAL} c JOIN {ORG} o ON o.id = c.organisation_id "
            f"LEFT JOIN {PLAN} p ON p.id = c.plan_id WHERE c.tree_id = {goal.tree_id} AND c.lft > {goal.lft} "
            f"AND c.rght < {goal.rght} AND c.depth <= {goal.depth + 1} ORDER BY c.tree_id, c.lft",
        )
        return len(rows) + fetch_indicators(cursor, ids)

    return fetch


def database_version():
    if connection.vendor == "postgresql":
        version = connection.pg_version
        return f"{version // 10000}.{version % 10000}"
    if connection.vendor == "sqlite":
        return connection.Database.sqlite_version
    return ""


def percentile(samples, share):
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def time_requests(client, url, n, warmup):
    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples, len(response.content)


def time_sql(fetch, n, warmup):
    def run():
        with connection.cursor() as cursor:
            return fetch(cursor)

    for _ in range(warmup):
        run()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        rows = run()
        samples.append((time.perf_counter() - start) * 1000)
    return samples, rows


def ensure_municipality(slug):
    """The synthetic municipality, generated (with the default sizes) if it is missing; and the generation summary."""
    call_command("migrate", interactive=False, verbosity=0)
    municipality = Municipality.objects.filter(slug=slug).first()
    if municipality is not None:
        return municipality, None
    print(f"Skapar den syntetiska kommunen {slug} / generating the synthetic municipality …", flush=True)
    summary = synthetic.generate_municipality(slug=slug)
    synthetic.analyze()
    print(f"  {summary['goals']} mål på {summary['total_seconds']:.1f} s", flush=True)
    return Municipality.objects.get(slug=slug), summary


def pages(municipality):
    """(name, url, raw SQL fetch of the same rows) of the pages measured."""
    goals = Goal.objects.filter(municipality=municipality)
    committee_goal = (
        goals.filter(level=2, kind="goal").annotate(n=Count("children")).order_by("-n", "tree_id", "lft").first()
    )
    kf_goal = goals.filter(level=1).annotate(n=Count("children")).order_by("-n", "tree_id", "lft").first()
    depth = settings.GOAL_TREE_EAGER_DEPTH
    committee_children = committee_goal.get_children().count()
    kf_children = kf_goal.get_children().count()
    return [
        (
            f"goal_chain (målkedjan, djup ≤ {depth})",
            reverse("goals:goal_chain", args=[municipality.slug]),
            chain_sql(municipality, depth),
        ),
        (
            "goal_chain ?level=4 (filtrerad, sida 1)",
            reverse("goals:goal_chain", args=[municipality.slug]) + "?level=4",
            chain_filtered_sql(municipality, 4),
        ),
        (
            f"goal: nämndmål {committee_goal.code} ({committee_children} barn)",
            reverse("goals:goal", args=[committee_goal.pk]),
            goal_sql(committee_goal),
        ),
        (
            f"goal: KF-mål {kf_goal.code} ({kf_children} barn)",
            reverse("goals:goal", args=[kf_goal.pk]),
            goal_sql(kf_goal),
        ),
        (
            f"goal_children (htmx) {committee_goal.code}",
            reverse("goals:goal_children", args=[committee_goal.pk]),
            children_sql(committee_goal),
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (20)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests first (2)")
    parser.add_argument("--slug", default=synthetic.DEFAULT_SLUG)
    parser.add_argument("--output", type=Path, default=RESULT_FILE)
    args = parser.parse_args(argv)

    municipality, generated = ensure_municipality(args.slug)
    user = bench_user()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)

    results = []
    for name, url, fetch in pages(municipality):
        # Timed requests without DEBUG's query log, as in production; the query count from one more request.
        with override_settings(DEBUG=False):
            samples, size = time_requests(client, url, args.requests, args.warmup)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        sql_samples, rows = time_sql(fetch, args.requests, args.warmup)
        median, raw = statistics.median(samples), statistics.median(sql_samples)
        results.append(
            {
                "page": name,
                "url": url,
                "median_ms": round(median, 1),
                "p90_ms": round(percentile(samples, 0.9), 1),
                "min_ms": round(min(samples), 1),
                "queries": len(captured.captured_queries),
                "bytes": size,
                "raw_sql_median_ms": round(raw, 1),
                "raw_sql_rows": rows,
                "ratio": round(median / raw, 1) if raw else None,
            }
        )
        print(f"  {name}: {median:.1f} ms", flush=True)

    goal_count = Goal.objects.filter(municipality=municipality).count()
    report = {
        "date": datetime.date.today().isoformat(),
        "database": connection.display_name,
        "database_version": database_version(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "debug": False,
        "requests": args.requests,
        "municipality": {"slug": municipality.slug, "goals": goal_count},
        "generation": generated,
        "pages": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    headers = ("Sida / page", "median ms", "p90 ms", "frågor / queries", "rå SQL / raw SQL ms", "kvot / ratio")
    rows = [
        (
            r["page"],
            f"{r['median_ms']:.1f}",
            f"{r['p90_ms']:.1f}",
            str(r["queries"]),
            f"{r['raw_sql_median_ms']:.1f}",
            f"{r['ratio']}",
        )
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    print()
    print(f"{report['database']} ({report['database_version']}), {goal_count} mål, {args.requests} anrop per sida")
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True))))
    for row in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    print(f"\nResultat sparade i / results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
