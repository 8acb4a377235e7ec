"""
`manage.py load_demo`: the demo municipalities and users.

Each municipality is an import workbook, `fixtures/<slug>.xlsx`, loaded through the spreadsheet import, and a JSON
file, `fixtures/demo/<slug>.json`, with what the import does not move (see goals.demo). The goal chain's loader
(goals.demo) creates each municipality and imports the goal chain's sheets; every app above it that has a `demo`
module with a `load_municipality` function adds its own part afterwards: its sheets of the same workbook and its
section of the same JSON file (assignments, budget, …). The apps are named here only as strings, from
INSTALLED_APPS, so the shared core imports none of them.
"""

import importlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

BASE_APP = "goals"


def app_demo_loaders():
    """The `load_municipality` functions of the apps after the goal chain, in INSTALLED_APPS order."""
    names = [config.name for config in apps.get_app_configs()]
    loaders = []
    for name in names[names.index(BASE_APP) + 1 :]:
        try:
            module = importlib.import_module(f"{name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.demo":
                raise
            continue
        if hasattr(module, "load_municipality"):
            loaders.append(module.load_municipality)
    return loaders


class Command(BaseCommand):
    help = (
        "Läser in demokommunerna (Vaggeryd, Säter, Vimmerby, Skara) och demoanvändarna. "
        "Kan köras flera gånger: befintliga kommuner och användare lämnas orörda."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="Läs bara in kommunerna med dessa kortnamn, t.ex. vaggeryd.")

    def handle(self, *args, slugs, **options):
        started = time.monotonic()
        base = importlib.import_module(f"{BASE_APP}.demo")
        DEMO_PASSWORD, DemoDataError = base.DEMO_PASSWORD, base.DemoDataError  # noqa: N806
        try:
            results, users = base.load_demo(slugs=set(slugs) or None, extensions=app_demo_loaders())
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        if slugs and not results:
            raise CommandError(f"Hittade ingen demokommun med kortnamnet {', '.join(slugs)}.")
        for result in results:
            c = result.counts
            numbers = (
                f"{c['organisations']} organisationer, {c['plans']} planer, {c['goals']} mål, "
                f"{c['activities']} aktiviteter, {c['indicators']} indikatorer, {c['targets']} målvärden, "
                f"{c['outcomes']} utfall, {c['documents']} styrdokument"
            )
            # The apps' own loaders name their counts in Swedish, e.g. {"uppdrag": 14}.
            base_keys = {
                "organisations",
                "plans",
                "goals",
                "activities",
                "indicators",
                "targets",
                "outcomes",
                "documents",
            }
            numbers += "".join(f", {n} {label}" for label, n in c.items() if label not in base_keys)
            if result.created:
                self.stdout.write(self.style.SUCCESS(f"Skapade {result.name}: {numbers}."))
            else:
                self.stdout.write(f"{result.name} fanns redan ({result.slug}), inget ändrat: {numbers}.")
        new_users = [name for name, (_user, created) in users.items() if created]
        if new_users:
            self.stdout.write(f"Nya användare (lösenord {DEMO_PASSWORD}): {', '.join(new_users)}.")
        else:
            self.stdout.write("Demoanvändarna fanns redan; lösenorden är oförändrade.")
        self.stdout.write(f"Klart på {time.monotonic() - started:.1f} s.")
