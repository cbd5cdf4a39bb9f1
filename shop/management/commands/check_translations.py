"""Fail when the catalogues are not complete: CI runs this before the test suite.

Complete means, for every shop language but English (the source language): a
``locale/<lang>/LC_MESSAGES/django.po`` exists, every translatable string of the sources
(``shop.translation_sources``, read with Babel as makemessages reads them) has an entry, and no
entry is untranslated or marked fuzzy. New strings therefore fail CI until ``makemessages`` has
been run and they are translated and reviewed (the fuzzy flag removed).
"""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from shop.translation_sources import catalogue_problems, source_messages


class Command(BaseCommand):
    help = (
        "Fail when a .po is missing, lacks a source string, or has an untranslated or fuzzy "
        "entry."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--language", action="append", dest="languages",
            help="Check only this language (repeatable); default: all but English.",
        )  # fmt: skip
        parser.add_argument("--limit", type=int, default=20,
                            help="Problems listed per language and kind (0: all).")  # fmt: skip

    def handle(self, *args, languages=None, limit=20, **options) -> None:
        messages = source_messages()
        problems = catalogue_problems(messages, languages=languages)
        self.stdout.write(f"{len(messages)} translatable strings in the sources.")
        if not problems:
            self.stdout.write(self.style.SUCCESS("Every catalogue is complete."))
            return
        shown: Counter = Counter()
        for problem in problems:
            shown[problem.locale, problem.kind] += 1
            if not limit or shown[problem.locale, problem.kind] <= limit:
                self.stderr.write(str(problem))
        for (locale, kind), count in sorted(shown.items()):
            self.stderr.write(f"{locale}: {count} {kind}")
        raise CommandError(
            f"{len(problems)} translation problems. Run `django-admin makemessages -a`, "
            "translate the new entries and remove their fuzzy flags, then "
            "`manage.py compile_translations`."
        )
