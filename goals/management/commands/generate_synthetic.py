"""manage.py generate_synthetic: a large synthetic municipality for benchmarks (see goals/synthetic.py)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from goals import synthetic
from styrning.models import Municipality

STEP_LABELS = {
    "organisations": "organisationer",
    "plans": "planer",
    "goals": "mål och aktiviteter",
    "links": "kopplingar till Agenda 2030 och andra mål",
    "indicators": "indikatorer",
    "targets": "målvärden",
    "outcomes": "utfall",
}


def seconds(value):
    """Seconds with a Swedish decimal comma."""
    return f"{value:.1f}".replace(".", ",") + " s"


class Command(BaseCommand):
    help = (
        "Skapar en stor syntetisk kommun (Storstads kommun, all data markerad som exempeldata) för prestandamätning: "
        "organisationer, planer, en målkedja med mål och aktiviteter, indikatorer, målvärden och utfall."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisations", type=int, default=600, help="Antal organisationer (600).")
        parser.add_argument("--goals", type=int, default=50_000, help="Antal noder i målträdet (50 000).")
        parser.add_argument("--indicators", type=int, default=6_000, help="Antal indikatorer (6 000).")
        parser.add_argument("--years", type=int, default=10, help="Antal år med utfall (10).")
        parser.add_argument("--slug", default=synthetic.DEFAULT_SLUG, help="Kortnamn i adresser (storstad).")
        parser.add_argument("--seed", type=int, default=1, help="Slumpfrö; samma frö ger samma kommun (1).")
        parser.add_argument(
            "--replace", action="store_true", help="Ta bort en befintlig kommun med samma kortnamn först."
        )

    def handle(self, *args, **options):
        slug = options["slug"]
        started = time.perf_counter()
        existing = Municipality.objects.filter(slug=slug).first()
        if existing is not None and not options["replace"]:
            raise CommandError(
                f"Det finns redan en kommun med kortnamnet {slug} ({existing}). "
                "Ange --replace för att ta bort den och skapa den på nytt."
            )
        try:
            with transaction.atomic():
                if existing is not None:
                    self.stdout.write(f"Tar bort {existing} …")
                    deleted = synthetic.delete_municipality(existing)
                    self.stdout.write(f"  {deleted} rader borttagna ({seconds(time.perf_counter() - started)})")
                self.stdout.write(
                    f"Skapar {synthetic.municipality_name(slug)}: {options['organisations']} organisationer, "
                    f"{options['goals']} mål och aktiviteter, {options['indicators']} indikatorer, "
                    f"{options['years']} år med utfall …"
                )
                summary = synthetic.generate_municipality(
                    slug=slug,
                    organisations=options["organisations"],
                    goals=options["goals"],
                    indicators=options["indicators"],
                    years=options["years"],
                    seed=options["seed"],
                    progress=self._progress,
                )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"  träden kontrollerade ({seconds(summary['seconds']['verify'])})")
        analyzed = time.perf_counter()
        synthetic.analyze()
        self.stdout.write(f"  databasstatistiken uppdaterad ({seconds(time.perf_counter() - analyzed)})")
        self.stdout.write(
            self.style.SUCCESS(
                f"Klart: {summary['name']} skapades på {seconds(summary['total_seconds'])} "
                f"(totalt {seconds(time.perf_counter() - started)}). Adress: /kommun/{slug}/"
            )
        )

    def _progress(self, step, count, elapsed):
        self.stdout.write(f"  {count} {STEP_LABELS.get(step, step)} ({seconds(elapsed)})")
