"""Translated demo texts as django-modeltranslation columns (``name_en``, ``name_pt_br``...)."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from modeltranslation.utils import build_localized_fieldname

type Texts = Mapping[str, str]

LANGUAGES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)


def localized(field: str, texts: Texts) -> dict[str, str | None]:
    """Every language column of ``field``: the given texts, ``None`` (English fallback) elsewhere.

    All columns are written, so a translation removed from the demo data is removed on the next
    run too, and the English text is required because it is the fallback of every language.
    """
    unknown = set(texts) - set(LANGUAGES)
    if unknown:
        raise ValueError(f"Unknown languages for {field!r}: {sorted(unknown)}")
    if not texts.get("en"):
        raise ValueError(f"{field!r} needs an English text: {dict(texts)}")
    return {build_localized_fieldname(field, code): texts.get(code) for code in LANGUAGES}
