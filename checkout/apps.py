from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class CheckoutConfig(AppConfig):
    name = "checkout"
    verbose_name = pgettext_lazy("app name", "Checkout")

    def ready(self) -> None:
        from checkout import checks, signals  # noqa: F401  (system checks; queued mails)
