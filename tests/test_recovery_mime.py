"""``recovery.mime`` builds a newsletter's mail directly; it must read back exactly as the mail
Django's ``EmailMultiAlternatives`` builds: headers, both bodies, their encodings."""

from email import message_from_bytes, policy

import pytest
from django.core.mail import EmailMultiAlternatives

from recovery import mime

TEXT = ("Hallo Jürgen,\n\n2 × Leinenhemd (M) — 23,80 €\n.a line starting with a dot\n"
        + "long " * 60 + "\nÜbrigens: = und =3D bleiben, was sie sind.\n")  # fmt: skip
HTML = ("<p>Hallo J&uuml;rgen, 2 × Leinenhemd</p>\n<p>" + "lang " * 80 + "</p>\n"
        "<a href=\"https://shop.example/de/m/r/eyJtIjox:1v:abc/\">Zurück</a>\n")  # fmt: skip
HEADERS = {"List-Unsubscribe": "<https://shop.example/de/m/u/eyJtIjox:1v:def/>",
           "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}  # fmt: skip


def django_built(subject: str, sender: str) -> bytes:
    email = EmailMultiAlternatives(subject=subject, body=TEXT, from_email=sender,
                                   to=["juergen@example.com"], headers=HEADERS)  # fmt: skip
    email.attach_alternative(HTML, "text/html")
    return email.message(policy=policy.SMTP).as_bytes()


@pytest.mark.parametrize("subject", ["Your cart is waiting", "Dein Warenkorb wartet, Jürgen",
                                     ("买家您好，您的购物车还在等您 " * 4).strip(),
                                     "سلة التسوق بانتظارك"])
@pytest.mark.parametrize("sender", ["shop@example.com", "Der Laden <shop@example.com>",
                                    "Läden & Söhne <shop@example.com>"])
def test_the_mail_reads_back_as_django_s(subject, sender, settings):
    ours = mime.build(sender=mime.sender_header(sender), to="juergen@example.com",
                      subject=subject, text=TEXT, html=HTML, headers=HEADERS)  # fmt: skip
    theirs = django_built(subject, sender)

    assert all(len(line) <= 998 for line in ours.split(b"\r\n"))
    assert b"\n" not in ours.replace(b"\r\n", b""), "CRLF line ends only"
    mine, django = (message_from_bytes(raw, policy=policy.default) for raw in (ours, theirs))
    # The subject as typed (Python's own folding of a long Chinese subject, which Django uses,
    # loses a space between two encoded words).
    assert str(mine["Subject"]) == subject
    for name in ("From", "To", "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version"):
        assert str(mine[name]) == str(django[name]), name
    assert mine["Message-ID"] and mine["Date"]
    assert mine.get_content_type() == "multipart/alternative"
    bodies = [(part.get_content_type(), part.get_content()) for part in mine.iter_parts()]
    expected = [(part.get_content_type(), part.get_content()) for part in django.iter_parts()]
    assert bodies == expected


def test_what_it_does_not_know_how_to_write_is_left_to_django():
    assert mime.build(sender="shop@example.com", to="jürgen@exämple.com", subject="Hi",
                      text="x", html="y", headers=HEADERS) is None  # fmt: skip
    assert mime.build(sender="shop@example.com", to="a@example.com\r\nBcc: b@example.com",
                      subject="Hi", text="x", html="y", headers=HEADERS) is None  # fmt: skip
    assert mime.sender_header("Shop <shöp@example.com>") is None
