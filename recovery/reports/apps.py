from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "recovery.reports"
    label = "reports"  # the tables, migrations and permissions keep the app's first name
    verbose_name = _("Reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from recovery.reports import receivers  # noqa: F401  (connects the signal receivers)
