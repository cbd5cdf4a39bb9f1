"""Compile the project's .po catalogues to .mo with Babel.

Django's ``compilemessages`` needs GNU gettext, which a fresh machine may not have; Babel is a
dependency already, so set-up uses this command instead. Fuzzy entries are not compiled.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po to .mo with Babel (no GNU gettext needed)."

    def handle(self, *args, **options) -> None:
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                locale_code = po_path.parent.parent.name
                with po_path.open("rb") as po_file:
                    catalog = read_po(po_file, locale=locale_code.replace("-", "_"))
                # A header marked fuzzy by makemessages must not hide the whole catalogue.
                catalog.fuzzy = False
                with po_path.with_suffix(".mo").open("wb") as mo_file:
                    write_mo(mo_file, catalog, use_fuzzy=False)
                compiled += 1
        self.stdout.write(f"Compiled {compiled} catalogues.")
