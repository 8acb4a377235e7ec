"""`manage.py load_demo`: the demo municipalities and users (see goals.demo)."""

import time

from django.core.management.base import BaseCommand, CommandError

from goals.demo import DEMO_PASSWORD, DemoDataError, load_demo


class Command(BaseCommand):
    help = (
        "Läser in demokommunerna (Vaggeryd, Säter, Vimmerby, Skara) och demoanvändarna. "
        "Kan köras flera gånger: befintliga kommuner och användare lämnas orörda."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="Läs bara in kommunerna med dessa kortnamn, t.ex. vaggeryd.")

    def handle(self, *args, slugs, **options):
        started = time.monotonic()
        try:
            results, users = load_demo(slugs=set(slugs) or None)
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
