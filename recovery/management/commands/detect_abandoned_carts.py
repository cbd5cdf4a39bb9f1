"""Run abandonment detection now (the same as the every-minute cron job)."""

from django.core.management.base import BaseCommand

from recovery.services import detect_abandoned_carts


class Command(BaseCommand):
    help = "Mark carts abandoned after their market's cut-off; expire and purge old ones."

    def handle(self, *args, **options) -> None:
        result = detect_abandoned_carts()
        self.stdout.write(
            f"abandoned {result.abandoned}, expired {result.expired}, purged {result.purged}"
        )
