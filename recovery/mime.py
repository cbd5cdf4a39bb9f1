"""A newsletter's mail as bytes, built directly: text and HTML, quoted-printable, UTF-8.

Django's ``EmailMultiAlternatives`` builds each message with the e-mail package's modern
policy, which parses and re-folds every header: about 1.5 ms of CPU per mail, the largest
part of a newsletter's cost once its templates are rendered once per language. A recovery mail
always has the same shape (a subject, one sender, one recipient, two alternative bodies, the
unsubscribe headers), so it is written here in a few string operations. It reads back as the
same message (``tests/test_recovery_mime.py`` compares it with Django's). Anything unusual (an
address or header value that is not ASCII) returns None and the caller uses Django instead.
"""

from __future__ import annotations

import binascii
import secrets
from base64 import b64encode
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from django.conf import settings
from django.core.mail.utils import DNS_NAME

_SAFE_HEADER = 900  # SMTP allows 998 octets a line; stay clear of it


def _ascii_line(value: str) -> bool:
    return value.isascii() and "\r" not in value and "\n" not in value and len(value) < _SAFE_HEADER


def _qp(text: str) -> bytes:
    body = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return binascii.b2a_qp(body, quotetabs=False, istext=True, header=False).replace(b"\n", b"\r\n")


def sender_header(from_email: str) -> str | None:
    name, address = parseaddr(from_email)
    if not address or not _ascii_line(address):
        return None
    return formataddr((name, address), charset="utf-8") if name else address


def subject_header(subject: str) -> str:
    """As typed when ASCII; else RFC 2047 encoded words of at most 45 octets each, cut between
    characters (spaces stay inside the words: a reader drops the folding between them)."""
    if _ascii_line(subject):
        return subject
    words, chunk = [], ""
    for character in subject:
        if len((chunk + character).encode("utf-8")) > 45:
            # A word does not end in white space (readers drop it there): carry it over.
            kept = chunk.rstrip()
            words.append(kept)
            chunk = chunk[len(kept):] + character
        else:
            chunk += character
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{b64encode(word.encode('utf-8')).decode('ascii')}?="
                         for word in words)  # fmt: skip


def build(*, sender: str, to: str, subject: str, text: str, html: str,
          headers: dict[str, str]) -> bytes | None:  # fmt: skip
    """The mail's bytes with CRLF line ends, or None when Django should build it."""
    if "@" not in to or not _ascii_line(to) or not all(map(_ascii_line, headers.values())):
        return None
    boundary = "===============" + secrets.token_hex(10) + "=="
    head = [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"',
        f"Subject: {subject_header(subject)}",
        f"From: {sender}",
        f"To: {to}",
        f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}",
        f"Message-ID: {make_msgid(domain=DNS_NAME)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    part = ("--" + boundary + "\r\nContent-Type: text/{}; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n")  # fmt: skip
    return b"".join([
        "\r\n".join(head).encode("ascii"), b"\r\n\r\n",
        part.format("plain").encode("ascii"), _qp(text), b"\r\n",
        part.format("html").encode("ascii"), _qp(html), b"\r\n",
        f"--{boundary}--\r\n".encode("ascii"),
    ])  # fmt: skip
