"""Reports read from a PostgreSQL read replica when one is configured.

``DATABASE_REPLICA_URL`` set → ``settings.DATABASES["replica"]`` and this router: reads of the
reports app's own tables go there, and the report's selectors read the other apps' tables
there too (``.using(reports_alias())``). Writes (events, rollups) always go to the primary.
"""

from __future__ import annotations

from django.conf import settings

REPLICA = "replica"


def reports_alias() -> str:
    """The database the reports read: ``settings.REPORTS_DATABASE`` ("replica" when
    ``DATABASE_REPLICA_URL`` is set, else "default")."""
    return getattr(settings, "REPORTS_DATABASE", "default")


class ReportsRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label == "reports":
            return reports_alias()
        return None

    def db_for_write(self, model, **hints):
        return "default" if model._meta.app_label == "reports" else None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary; it is never migrated itself.
        return False if db == REPLICA else None
