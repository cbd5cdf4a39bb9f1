"""How the JSON API answers input it cannot take: always JSON, always a 4xx, never a 500.

DRF turns its own exceptions into JSON, but three kinds of bad input escaped it:

- a deeply nested body (``[[[[…]]]]``, about 1,600 levels in 3 KB) makes Python's ``json``
  raise ``RecursionError``: a 500 on any endpoint that reads a body, even one that needs no
  cart. ``JSONParser`` here refuses bodies nested deeper than ``MAX_JSON_DEPTH`` before
  decoding them, and turns a ``RecursionError`` into the same 400;
- a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` raised Django's ``RequestDataTooBig``, answered
  with Django's bare HTML 400 page: ``exception_handler`` answers 413 in JSON;
- a throttled request gets the shop's own translated message with ``Retry-After``.

Numbers need nothing here: DRF's ``DecimalField`` already refuses ``NaN``, ``sNaN``,
``Infinity`` and over-long exponents with a 400 (the tests keep it so).
"""

from __future__ import annotations

import io
import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response

# Deeper than any body the API accepts (an address inside an order is 2 levels).
MAX_JSON_DEPTH = 32


def nesting_depth(text: str, limit: int) -> int:
    """How deep arrays and objects nest in JSON ``text``, counting no further than ``limit + 1``;
    brackets inside strings do not count. Linear, no recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing deep nesting with a 400 instead of recursing into it."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as error:
            raise exceptions.ParseError(_("The request body is not valid text.")) from error
        if nesting_depth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(_("The JSON body is nested too deeply."))
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON body is nested too deeply.")) from None
        except exceptions.ParseError:  # DRF's message is English with Python's json details
            raise exceptions.ParseError(_("The request body is not valid JSON.")) from None


def too_many_message(wait: int) -> str:
    """What a throttled client is told, the API and the HTML forms alike."""
    return ngettext(
        "Too many requests. Please wait %(seconds)d second and try again.",
        "Too many requests. Please wait %(seconds)d seconds and try again.",
        wait,
    ) % {"seconds": wait}


def exception_handler(exc, context):
    """DRF's handler, plus JSON answers for a body over the size limit and for throttling."""
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": _("The request body is too large.")},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, RecursionError):
        return Response(
            {"detail": _("The JSON body is nested too deeply.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, math.ceil(exc.wait or 1))
        response = Response({"detail": too_many_message(wait)}, status=exc.status_code)
        response["Retry-After"] = str(wait)
        return response
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, which names this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)
