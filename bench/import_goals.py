"""
Benchmark of the spreadsheet import: a 50,000-row goal workbook into an empty municipality, side by side with a plain
django-import-export ModelResource import of the same goal rows. Run from the project folder:

    .venv/bin/python bench/import_goals.py [--goals 50000] [--plain-rows 5000] [--output PATH]

Steps, each in a subprocess of its own so that each has its own peak memory (ru_maxrss):

1. prepare: generate the large synthetic municipality (goals/synthetic.py: 600 organisations, 50,000 goals and
   activities; no indicators, the workbook is the goal chain), export its Organisationer, Planer and Mål sheets with
   the import page's exporter to xlsx, and delete the municipality again.
2. ours: into an empty municipality (kommunfullmäktige and the mandate period only), `goals.importing.import_file`
   with commit=True, timed from the file's bytes to the committed transaction: reading, validation with the models'
   rules (full_clean), MPTT numbering, a history row per object with the user and the reason "Import av <fil>".
3. preview: the same run with commit=False (what the preview and the background preview job do), rolled back.
4. plain: into another empty municipality whose organisations and plans are loaded first (not timed), a
   straightforward `resources.ModelResource` for Goal (ForeignKeyWidget for parent and organisation by code, the plan
   by organisation and period, labels mapped to values, `clean_model_instances = True`) imports the first
   `--plain-rows` goal rows of the same file (parents come first in the file) with
   `import_data(dry_run=False, use_transactions=True)`; simple-history records each save. At 50,000 rows it would
   run for hours (every MPTT insert renumbers the tree), so its time for all rows is extrapolated linearly from the
   subset: a lower bound, since an insert costs more the larger the tree. `--plain-rows 0` runs all rows.

The database is the one of the settings (DATABASE_URL, else db.sqlite3); the municipalities the benchmark creates are
removed at the end. Results are printed as a table and written as JSON to bench/results/import_goals.json.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import RESULTS, ROOT, bench_user, setup_django

SLUG = "storstad-import"
PLAIN_SLUG = "storstad-import-plain"
GOALS_TARGET_SECONDS = 60
SPEED_UP_TARGET = 5
MEMORY_TARGET_MB = 1024


def peak_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: kilobytes


def emit(result):
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)


def remove(slug):
    from goals import synthetic
    from styrning.models import Municipality

    municipality = Municipality.objects.filter(slug=slug).first()
    if municipality is not None:
        synthetic.delete_municipality(municipality)


def empty_municipality(slug, manifest):
    """A municipality with only kommunfullmäktige and the mandate period the workbook's plans name."""
    from goals import synthetic
    from styrning.models import MandatePeriod
    from styrning.services import municipality_create, object_save

    remove(slug)
    user = bench_user()
    municipality = municipality_create(name=synthetic.municipality_name(slug), slug=slug, user=user)
    start, end = manifest["mandate_period"]
    object_save(MandatePeriod(municipality=municipality, start_year=start, end_year=end), user=user)
    return municipality, user


# --- Steps (each in its own process) ---------------------------------------------------------------------------------


def step_prepare(args):
    from django.core.management import call_command

    from goals import importing, synthetic
    from styrning import spreadsheets
    from styrning.models import MandatePeriod, Municipality

    call_command("migrate", interactive=False, verbosity=0)
    for slug in (SLUG, PLAIN_SLUG):
        remove(slug)
    started = time.perf_counter()
    summary = synthetic.generate_municipality(
        slug=SLUG, organisations=args.organisations, goals=args.goals, indicators=0, years=1, seed=args.seed
    )
    generated = time.perf_counter()
    municipality = Municipality.objects.get(slug=SLUG)
    period = MandatePeriod.objects.get(municipality=municipality)
    classes = [c for c in importing.sheet_resources() if c.sheet_name in ("Organisationer", "Planer", "Mål")]
    sheets = [cls().export_sheet(municipality) for cls in classes]
    exported = time.perf_counter()
    data = spreadsheets.write(sheets, "xlsx")
    written = time.perf_counter()
    path = Path(args.workbook)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    setup = path.with_name(path.stem + "-organisationer.xlsx")  # the plain import's organisations and plans
    setup.write_bytes(spreadsheets.write(sheets[:2], "xlsx"))
    synthetic.delete_municipality(municipality)
    emit(
        {
            "workbook": str(path),
            "setup_workbook": str(setup),
            "bytes": len(data),
            "rows": {sheet.name: len(sheet.rows) for sheet in sheets},
            "mandate_period": [period.start_year, period.end_year],
            "generate_seconds": round(generated - started, 2),
            "export_seconds": round(exported - generated, 2),
            "write_xlsx_seconds": round(written - exported, 2),
            "generation": summary["seconds"],
        }
    )


def step_ours(args, *, commit):
    from goals import importing
    from goals.models import Goal
    from goals.synthetic import verify_municipality
    from styrning.models import Organisation

    manifest = json.loads(Path(args.manifest).read_text())
    slug = SLUG if commit else f"{SLUG}-preview"
    municipality, user = empty_municipality(slug, manifest)
    data = Path(manifest["workbook"]).read_bytes()
    history = Goal.history.model.objects
    history_before = history.count()
    started = time.perf_counter()
    report = importing.import_file(
        data=data, filename=Path(manifest["workbook"]).name, municipality=municipality, user=user, commit=commit
    )
    seconds = time.perf_counter() - started
    peak = peak_mb()
    errors = [str(e) for e in report.all_errors[:5]]
    goals = Goal.objects.filter(municipality=municipality).count()
    result = {
        "commit": commit,
        "seconds": round(seconds, 2),
        "rows": sum(s.total for s in report.sheets),
        "sheets": {s.name: {"rows": s.total, "new": s.new, "changed": s.changed} for s in report.sheets},
        "committed": report.committed,
        "errors": errors,
        "goals_saved": goals,
        "organisations_saved": Organisation.objects.filter(municipality=municipality).count(),
        "goal_history_rows": history.count() - history_before,
        "peak_mb": peak,
    }
    if commit:
        result["tree_problems"] = verify_municipality(municipality)
        sample = history.filter(municipality_id=municipality.pk).order_by("-history_id").first()
        result["history_sample"] = {
            "reason": sample.history_change_reason if sample else None,
            "user": sample.history_user.username if sample and sample.history_user else None,
        }
    remove(slug)
    emit(result)


def plain_goal_resource(municipality):
    """A straightforward django-import-export resource for the goal sheet (what one writes without our engine)."""
    from import_export import fields, resources, widgets

    from goals.choices import ActivityStatus, GoalKind, GoalLevel, Perspective
    from goals.models import Goal, Plan
    from styrning.models import Organisation

    class LabelWidget(widgets.Widget):
        """A choice written as its Swedish label."""

        def __init__(self, choices):
            super().__init__()
            self.values = {str(label): value for value, label in choices.choices}

        def clean(self, value, row=None, **kwargs):
            return self.values.get(value, value) if value not in (None, "") else ""

    class IntegerLabelWidget(LabelWidget):
        def clean(self, value, row=None, **kwargs):
            return self.values.get(value) if value not in (None, "") else None

    class YesNoWidget(widgets.Widget):
        def clean(self, value, row=None, **kwargs):
            return value == "Ja"

    class TextWidget(widgets.CharWidget):
        def clean(self, value, row=None, **kwargs):
            return "" if value is None else str(value)

    class MunicipalityForeignKeyWidget(widgets.ForeignKeyWidget):
        def get_queryset(self, value, row, *args, **kwargs):
            return self.model.objects.filter(municipality=municipality)

    class PlanWidget(widgets.ForeignKeyWidget):
        """The plan of the row's organisation for the period in the cell (a year or a mandate period)."""

        def clean(self, value, row=None, **kwargs):
            if value in (None, ""):
                return None
            plans = Plan.objects.filter(organisation__municipality=municipality, organisation__code=row["Organisation"])
            text = str(value)
            if "–" in text:
                start, end = text.split("–")
                return plans.get(mandate_period__start_year=int(start), mandate_period__end_year=int(end))
            return plans.get(year=int(text))

    class PlainGoalResource(resources.ModelResource):
        code = fields.Field(attribute="code", column_name="Kod")
        kind = fields.Field(attribute="kind", column_name="Typ", widget=LabelWidget(GoalKind))
        level = fields.Field(attribute="level", column_name="Nivå", widget=IntegerLabelWidget(GoalLevel))
        parent = fields.Field(
            attribute="parent", column_name="Överordnad kod", widget=MunicipalityForeignKeyWidget(Goal, "code")
        )
        organisation = fields.Field(
            attribute="organisation",
            column_name="Organisation",
            widget=MunicipalityForeignKeyWidget(Organisation, "code"),
        )
        plan = fields.Field(attribute="plan", column_name="Plan", widget=PlanWidget(Plan))
        title = fields.Field(attribute="title", column_name="Rubrik", widget=TextWidget())
        description = fields.Field(attribute="description", column_name="Beskrivning", widget=TextWidget())
        perspective = fields.Field(attribute="perspective", column_name="Perspektiv", widget=LabelWidget(Perspective))
        start_year = fields.Field(attribute="start_year", column_name="Från år", widget=widgets.IntegerWidget())
        end_year = fields.Field(attribute="end_year", column_name="Till år", widget=widgets.IntegerWidget())
        child_rights = fields.Field(attribute="child_rights", column_name="Barnkonventionen", widget=YesNoWidget())
        responsible = fields.Field(attribute="responsible", column_name="Ansvarig", widget=TextWidget())
        start_date = fields.Field(attribute="start_date", column_name="Startdatum", widget=widgets.DateWidget())
        end_date = fields.Field(attribute="end_date", column_name="Slutdatum", widget=widgets.DateWidget())
        activity_status = fields.Field(
            attribute="activity_status", column_name="Status", widget=LabelWidget(ActivityStatus)
        )
        is_example = fields.Field(attribute="is_example", column_name="Exempeldata", widget=YesNoWidget())

        class Meta:
            model = Goal
            import_id_fields = ("code",)
            fields = (
                "code",
                "kind",
                "level",
                "parent",
                "organisation",
                "plan",
                "title",
                "description",
                "perspective",
                "start_year",
                "end_year",
                "child_rights",
                "responsible",
                "start_date",
                "end_date",
                "activity_status",
                "is_example",
            )
            clean_model_instances = True  # the models' rules, as in our import

        def get_queryset(self):
            return Goal.objects.filter(municipality=municipality)

        def init_instance(self, row=None):
            return Goal(municipality=municipality)

    return PlainGoalResource()


def step_plain(args):
    import tablib

    from goals import importing
    from goals.models import Goal

    manifest = json.loads(Path(args.manifest).read_text())
    municipality, user = empty_municipality(PLAIN_SLUG, manifest)
    data = Path(manifest["workbook"]).read_bytes()
    # Not timed: the organisations and plans the goals point to, loaded with our importer from the same workbook.
    report = importing.import_file(
        data=Path(manifest["setup_workbook"]).read_bytes(),
        filename="organisationer.xlsx",
        municipality=municipality,
        user=user,
        commit=True,
    )
    assert report.committed, [str(e) for e in report.all_errors[:5]]

    started = time.perf_counter()
    book = tablib.Databook()
    book.load(data, format="xlsx")
    full = next(sheet for sheet in book.sheets() if sheet.title == "Mål")
    loaded = time.perf_counter()
    rows = len(full) if not args.plain_rows else min(args.plain_rows, len(full))
    history_before = Goal.history.count()
    # In two halves (parents come first in the file, so the second half finds its parents): the rate of each shows
    # whether a row costs more as the tree grows.
    halves = [(0, rows // 2), (rows // 2, rows)]
    seconds_per_half = []
    problems = []
    for start, end in halves:
        dataset = tablib.Dataset(*full[start:end], headers=full.headers)
        half_started = time.perf_counter()
        result = plain_goal_resource(municipality).import_data(dataset, dry_run=False, use_transactions=True)
        seconds_per_half.append(time.perf_counter() - half_started)
        problems += [f"{e.error}" for _n, errors in result.row_errors()[:3] for e in errors]
        problems += [f"row {r.number}: {r.error_dict}" for r in result.invalid_rows[:3]]
    seconds = sum(seconds_per_half)
    peak = peak_mb()
    saved = Goal.objects.filter(municipality=municipality).count()
    history = Goal.history.count() - history_before
    remove(PLAIN_SLUG)
    emit(
        {
            "rows": rows,
            "rows_in_file": len(full),
            "load_seconds": round(loaded - started, 2),
            "seconds": round(seconds, 2),
            "rows_per_second_by_half": [
                round((end - start) / half, 1) for (start, end), half in zip(halves, seconds_per_half, strict=True)
            ],
            "errors": problems,
            "goals_saved": saved,
            "goal_history_rows": history,
            "peak_mb": peak,
        }
    )


# --- The run -------------------------------------------------------------------------------------------------------


def run_step(name, args, manifest=None):
    command = [sys.executable, str(Path(__file__).resolve()), "--step", name, *forwarded(args)]
    if manifest:
        command += ["--manifest", str(manifest)]
    env = {**os.environ, "DEBUG": "False"}  # no query log, as in production
    print(f"  {name} …", flush=True)
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    if completed.returncode or not lines:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"step {name} failed")
    result = json.loads(lines[-1].removeprefix("RESULT "))
    print(f"    {time.perf_counter() - started:.1f} s", flush=True)
    return result


def forwarded(args):
    return [
        "--goals",
        str(args.goals),
        "--organisations",
        str(args.organisations),
        "--plain-rows",
        str(args.plain_rows),
        "--seed",
        str(args.seed),
        "--workbook",
        str(args.workbook),
    ]


def database_description():
    setup_django()
    from django.db import connection

    if connection.vendor == "postgresql":
        version = connection.pg_version
        return connection.display_name, f"{version // 10000}.{version % 10000}"
    return connection.display_name, connection.Database.sqlite_version


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--goals", type=int, default=50_000, help="goals and activities in the workbook (50000)")
    parser.add_argument("--organisations", type=int, default=600, help="organisations (600)")
    parser.add_argument(
        "--plain-rows", type=int, default=5_000, help="goal rows the plain import runs; 0: all (5000, extrapolated)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-preview", action="store_true", help="skip the preview run")
    parser.add_argument("--workbook", type=Path, default=RESULTS / "import_goals.xlsx")
    parser.add_argument("--output", type=Path, default=RESULTS / "import_goals.json")
    parser.add_argument("--step", choices=["prepare", "ours", "preview", "plain"], help=argparse.SUPPRESS)
    parser.add_argument("--manifest", help=argparse.SUPPRESS)
    args, ignored = parser.parse_known_args(argv)  # bench/run.py passes every benchmark's options to each
    if ignored and not args.step:
        print(f"(ignored: {' '.join(ignored)})")

    if args.step:
        setup_django()
        if args.step == "prepare":
            step_prepare(args)
        elif args.step == "plain":
            step_plain(args)
        else:
            step_ours(args, commit=args.step == "ours")
        return 0

    database, version = database_description()
    print(f"Importbenchmark på {database} {version} / import benchmark", flush=True)
    prepared = run_step("prepare", args)
    manifest = args.workbook.with_suffix(".manifest.json")
    manifest.write_text(json.dumps(prepared, ensure_ascii=False))
    ours = run_step("ours", args, manifest)
    preview = None if args.no_preview else run_step("preview", args, manifest)
    plain = run_step("plain", args, manifest)

    goal_rows = prepared["rows"]["Mål"]
    plain_rate = plain["rows"] / plain["seconds"]
    extrapolated = plain["rows"] < goal_rows
    plain_total = plain["load_seconds"] + (goal_rows / plain_rate if extrapolated else plain["seconds"])
    speed_up = plain_total / ours["seconds"]
    checks = {
        f"ours ≤ {GOALS_TARGET_SECONDS} s": ours["seconds"] <= GOALS_TARGET_SECONDS,
        f"speed-up ≥ {SPEED_UP_TARGET}×": speed_up >= SPEED_UP_TARGET,
        f"peak < {MEMORY_TARGET_MB} MB": ours["peak_mb"] < MEMORY_TARGET_MB,
        "committed, no errors": ours["committed"] and not ours["errors"],
        "trees verified": ours.get("tree_problems") == [],
        "plain import without errors": not plain["errors"],
    }
    report = {
        "date": datetime.date.today().isoformat(),
        "database": database,
        "database_version": version,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "workbook": {k: prepared[k] for k in ("bytes", "rows", "generate_seconds", "export_seconds")}
        | {"format": "xlsx", "write_seconds": prepared["write_xlsx_seconds"]},
        "ours": ours,
        "preview": preview,
        "plain": plain | {"extrapolated": extrapolated, "estimated_seconds_all_goal_rows": round(plain_total, 1)},
        "speed_up": round(speed_up, 1),
        "checks": checks,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    table = [
        (
            "ours: import_file, commit (Organisationer, Planer, Mål)",
            f"{ours['rows']:,}",
            f"{ours['seconds']:.1f}",
            f"{ours['rows'] / ours['seconds']:,.0f}",
            f"{ours['peak_mb']:.0f}",
            f"{speed_up:.1f}×",
        )
    ]
    if preview:
        table.append(
            (
                "ours: preview (same run, rolled back)",
                f"{preview['rows']:,}",
                f"{preview['seconds']:.1f}",
                f"{preview['rows'] / preview['seconds']:,.0f}",
                f"{preview['peak_mb']:.0f}",
                "",
            )
        )
    first, second = plain["rows_per_second_by_half"]
    table.append(
        (
            f"plain ModelResource, {plain['rows']:,} goal rows measured",
            f"{plain['rows']:,}",
            f"{plain['seconds']:.1f}",
            f"{plain_rate:,.0f}",
            f"{plain['peak_mb']:.0f}",
            "",
        )
    )
    if extrapolated:
        table.append(
            (
                f"plain, extrapolated linearly to {goal_rows:,} goal rows (lower bound)",
                f"{goal_rows:,}",
                f"{plain_total:.0f}",
                f"{goal_rows / plain_total:,.0f}",
                "",
                "1.0×",
            )
        )
    headers = ("import", "rows", "seconds", "rows/s", "peak MB", "speed-up")
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    print()
    print(
        f"{database} {version}, {goal_rows:,} goals in an xlsx workbook of {prepared['bytes'] / 1e6:.1f} MB "
        f"({sum(prepared['rows'].values()):,} rows)"
    )
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True))))
    for row in table:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    print(f"\nThe plain import's rate: {first:,.0f} rows/s in its first half, {second:,.0f} rows/s in its second.")
    if extrapolated:
        print(
            f"It ran {plain['rows']:,} of {goal_rows:,} goal rows; its time for all of them is extrapolated linearly "
            "(each MPTT insert renumbers the tree, so the true time is longer)."
        )
    print()
    for name, ok in checks.items():
        print(f"  {'OK  ' if ok else 'FAIL'} {name}")
    print(f"\nResultat sparade i / results written to {args.output}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
