"""Load the demo shop's data: exchange rates, markets, catalog with images, customers.

Idempotent: running it again updates the same rows to the same values, so ``make demo`` can run
it on every start. The data and the writing live in ``shop.demo``; apps above ``shop`` add
their demo rows through ``settings.DEMO_LOADERS``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shop.demo.load import load_demo


class Command(BaseCommand):
    help = "Load (or refresh) the demo markets, catalog and customers; safe to run again."

    def handle(self, *args, **options) -> None:
        counts, notes = load_demo()
        width = max(len(label) for label in counts)
        for label, count in counts.items():
            self.stdout.write(f"  {label:<{width}}  {count}")
        for note in notes:
            self.stdout.write(f"  {note}")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
