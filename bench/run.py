"""Run every benchmark in bench/ (make bench). Arguments are passed on to each benchmark (import_goals.py ignores
the page benchmark's options)."""

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BENCHMARKS = ["goal_pages.py", "import_goals.py"]
# The compiled report needs real worker processes: PostgreSQL and Redis (DATABASE_URL, CELERY_BROKER_URL).
NEEDS_SERVICES = ["compiled_report.py"]


def main():
    failed = []
    names = list(BENCHMARKS)
    if os.environ.get("CELERY_BROKER_URL") and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        names += NEEDS_SERVICES
    else:
        print(f"Hoppar över {', '.join(NEEDS_SERVICES)}: kräver DATABASE_URL (PostgreSQL) och CELERY_BROKER_URL.")
    for name in names:
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, str(BENCH / name), *sys.argv[1:]], cwd=BENCH.parent).returncode:
            failed.append(name)
    if failed:
        print(f"Misslyckades / failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
