"""The project's translatable strings, read from its sources with Babel, and what the catalogues
lack.

Why not ``makemessages``: it needs GNU gettext and writes into ``locale/``; a check must only
read. This module finds the same strings the same way: Python files through Babel's Python
extractor with Django's gettext keywords, templates (``.html`` and ``.txt``, as makemessages'
default extensions) through Django's own ``templatize`` (which turns ``{% translate %}`` and
``{% blocktranslate %}`` into gettext calls, exactly as makemessages feeds xgettext) and then the
same extractor. Hidden directories, ``STATIC_ROOT`` and ``MEDIA_ROOT`` are skipped, as
makemessages skips them.

Used by ``manage.py check_translations`` (CI) and by the pseudo-locale test, which gives every
string found here a visibly marked translation.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract, extract_python
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation import to_locale
from django.utils.translation.template import templatize

# Django's gettext functions, as makemessages passes them to xgettext (``pgettext:1c,2``...).
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
TEMPLATE_EXTENSIONS = frozenset({".html", ".txt"})

type MessageKey = tuple[str | None, str]  # (context, singular msgid)


@dataclass
class SourceMessage:
    context: str | None
    id: str | tuple[str, ...]  # a plural message has (singular, plural)
    locations: list[tuple[str, int]] = field(default_factory=list)

    @property
    def singular(self) -> str:
        return self.id if isinstance(self.id, str) else self.id[0]


@dataclass(frozen=True)
class Problem:
    """One reason CI refuses the catalogues."""

    locale: str
    kind: str  # "no catalogue", "missing", "untranslated" or "fuzzy"
    context: str | None = None
    msgid: str = ""
    where: str = ""

    def __str__(self) -> str:
        label = f"[{self.context}] " if self.context else ""
        where = f" ({self.where})" if self.where else ""
        return f"{self.locale}: {self.kind}: {label}{self.msgid!r}{where}"


def extract_django_template(fileobj, keywords, comment_tags, options):
    """A Babel extractor for Django templates: ``templatize``, then the Python extractor.

    ``templatize`` keeps line numbers by writing filler where template text was; its filler can
    be indented in ways Python's tokenizer refuses, so each line is stripped first (the gettext
    calls it writes hold their strings as one-line literals, so nothing inside them changes).
    """
    code = templatize(fileobj.read().decode("utf-8"))
    code = "\n".join(line.lstrip() for line in code.splitlines())
    yield from extract_python(io.BytesIO(code.encode("utf-8")), keywords, comment_tags, options)


def _skipped_roots() -> list[Path]:
    roots = [getattr(settings, "STATIC_ROOT", None), getattr(settings, "MEDIA_ROOT", None)]
    return [Path(root).resolve() for root in roots if root]


def source_files(root: Path) -> Iterator[Path]:
    """Python files and templates under ``root``, as makemessages walks them."""
    skipped = _skipped_roots()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if any(path.resolve().is_relative_to(skip) for skip in skipped):
            continue
        if path.is_file() and (path.suffix == ".py" or path.suffix in TEMPLATE_EXTENSIONS):
            yield path


def source_messages(root: Path | None = None) -> dict[MessageKey, SourceMessage]:
    """Every translatable string of the sources under ``root`` (``BASE_DIR`` by default)."""
    root = Path(root or settings.BASE_DIR).resolve()
    found: dict[MessageKey, SourceMessage] = {}
    for path in source_files(root):
        method = "python" if path.suffix == ".py" else extract_django_template
        with path.open("rb") as fileobj:
            for lineno, message, _comments, context in extract(method, fileobj, KEYWORDS):
                singular = message if isinstance(message, str) else message[0]
                if not singular:
                    continue
                entry = found.setdefault(
                    (context, singular), SourceMessage(context=context, id=message)
                )
                entry.locations.append((str(path.relative_to(root)), lineno))
    return found


def _catalogue_path(locale_dirs: Iterable[Path], language: str) -> Path | None:
    for locale_dir in locale_dirs:
        path = Path(locale_dir) / to_locale(language) / "LC_MESSAGES" / "django.po"
        if path.exists():
            return path
    return None


def _read(path: Path, language: str) -> Catalog:
    with path.open("rb") as po_file:
        return read_po(po_file, locale=to_locale(language))


def _translated(string: str | tuple[str, ...] | None) -> bool:
    if isinstance(string, tuple | list):
        return bool(string) and all(string)
    return bool(string)


def catalogue_problems(
    messages: dict[MessageKey, SourceMessage],
    *,
    languages: Iterable[str] | None = None,
    locale_dirs: Iterable[Path] | None = None,
) -> list[Problem]:
    """What keeps the catalogues of ``languages`` (every shop language but the source language,
    English, by default) from being complete: no catalogue, a source string missing from it,
    an entry without translation (any plural form empty) or marked fuzzy."""
    if languages is None:
        languages = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    locale_dirs = [Path(p) for p in (locale_dirs or settings.LOCALE_PATHS)]
    problems: list[Problem] = []
    for language in languages:
        path = _catalogue_path(locale_dirs, language)
        locale = to_locale(language)
        if path is None:
            expected = f"{locale}/LC_MESSAGES/django.po"
            problems.append(Problem(locale, "no catalogue", msgid=expected))
            continue
        catalog = _read(path, language)
        present: set[MessageKey] = set()
        for message in catalog:
            if not message.id:
                continue  # the header
            singular = message.id if isinstance(message.id, str) else message.id[0]
            present.add((message.context, singular))
            where = ", ".join(f"{file}:{line}" for file, line in message.locations[:1])
            if message.fuzzy:
                problems.append(Problem(locale, "fuzzy", message.context, singular, where))
            elif not _translated(message.string):
                problems.append(Problem(locale, "untranslated", message.context, singular, where))
        for key, source in messages.items():
            if key not in present:
                file, line = source.locations[0]
                problems.append(Problem(locale, "missing", key[0], key[1], f"{file}:{line}"))
    return problems
