"""Run every benchmark in bench/ (make bench). Arguments are passed on to each benchmark (import_goals.py ignores
the page benchmark's options)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BENCHMARKS = ["goal_pages.py", "import_goals.py"]


def main():
    failed = []
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, str(BENCH / name), *sys.argv[1:]], cwd=BENCH.parent).returncode:
            failed.append(name)
    if failed:
        print(f"Misslyckades / failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
