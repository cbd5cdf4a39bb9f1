"""CI refuses incomplete catalogues (``manage.py check_translations``, ``make
check-translations``): a missing catalogue, a source string not in it, an untranslated or a
fuzzy entry. The strings are read from the sources with Babel the way makemessages reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from django.core.management import CommandError, call_command

from shop.translation_sources import catalogue_problems, source_messages

TEMPLATE = """{% load i18n %}<h1>{% translate "Your cart" %}</h1>
<p>{% blocktranslate with name=user %}Hello {{ name }},{% endblocktranslate %}</p>
<p>{% translate "May" context "month name" %}</p>
{% blocktranslate count counter=n %}{{ counter }} item{% plural %}{{ counter }} items\
{% endblocktranslate %}
"""
PYTHON = '''from django.utils.translation import gettext_lazy as _, ngettext, pgettext_lazy
TITLE = _("Checkout")
LABEL = pgettext_lazy("address", "State")
def count(n):
    return ngettext("%(count)d order", "%(count)d orders", n) % {"count": n}
NOT_A_STRING = _(some_variable)
'''


def test_strings_are_found_in_python_and_templates_as_makemessages_finds_them(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(PYTHON)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(TEMPLATE)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "lib.py").write_text('_("Not ours")')

    found = source_messages(tmp_path)

    assert set(found) == {
        (None, "Checkout"), ("address", "State"), (None, "%(count)d order"),
        (None, "Your cart"), (None, "Hello %(name)s,"), ("month name", "May"),
        (None, "%(counter)s item"),
    }  # fmt: skip
    assert found[None, "%(counter)s item"].id == ("%(counter)s item", "%(counter)s items")
    assert found[None, "Your cart"].locations == [("templates/page.html", 1)]


def catalogue(tmp_path: Path, language: str, messages, *, drop=(), fuzzy=(), empty=()) -> Path:
    catalog = Catalog(locale=language)
    for (context, singular), message in messages.items():
        if singular in drop:
            continue
        string = "" if singular in empty else (
            tuple(f"x {part}" for part in message.id) if isinstance(message.id, tuple)
            else f"x {singular}"
        )  # fmt: skip
        catalog.add(message.id, string, context=context,
                    flags=("fuzzy",) if singular in fuzzy else ())  # fmt: skip
    directory = tmp_path / language / "LC_MESSAGES"
    directory.mkdir(parents=True)
    with (directory / "django.po").open("wb") as po_file:
        write_po(po_file, catalog)
    return tmp_path


@pytest.fixture(scope="module")
def project_messages():
    return source_messages()


def test_a_complete_catalogue_passes(tmp_path, settings, project_messages):
    settings.LOCALE_PATHS = [catalogue(tmp_path, "de", project_messages)]

    assert catalogue_problems(project_messages, languages=["de"]) == []
    call_command("check_translations", language=["de"])


def test_missing_untranslated_and_fuzzy_entries_and_a_missing_catalogue_fail(
    tmp_path, settings, project_messages, capsys
):
    settings.LOCALE_PATHS = [catalogue(tmp_path, "de", project_messages, drop={"Your cart"},
                                       fuzzy={"Checkout"}, empty={"Subtotal"})]  # fmt: skip

    problems = catalogue_problems(project_messages, languages=["de", "tr"])
    with pytest.raises(CommandError, match=f"{len(problems)} translation problems"):
        call_command("check_translations", language=["de", "tr"])

    assert {(p.locale, p.kind, p.msgid) for p in problems} == {  # "Checkout" has 3 contexts
        ("de", "missing", "Your cart"), ("de", "fuzzy", "Checkout"),
        ("de", "untranslated", "Subtotal"), ("tr", "no catalogue", "tr/LC_MESSAGES/django.po"),
    }  # fmt: skip
    assert "de: missing: 'Your cart'" in capsys.readouterr().err
