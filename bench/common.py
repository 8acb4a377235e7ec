"""What the benchmarks share: Django set up from the repository's settings, and the superuser they measure as (the
permission filters add nothing for a superuser)."""

import os
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCH_USER = "bench-superuser"


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "styrning.settings")
    import django

    django.setup()
    # WhiteNoise warns once per process that collectstatic has not run; irrelevant to the timings.
    warnings.filterwarnings("ignore", message="No directory at")


def bench_user():
    """The benchmarks' superuser, created the first time."""
    from django.contrib.auth import get_user_model

    user, _created = get_user_model().objects.get_or_create(
        username=BENCH_USER, defaults={"is_superuser": True, "is_staff": True}
    )
    return user
