"""Account mails (confirmation link, password reset) go out from a worker, like every mail of the
shop: the request renders them in the shopper's language and queues the sending."""

from __future__ import annotations

import logging

import django_rq
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.translation import get_language
from redis.exceptions import RedisError

from shop.locale import language_tag

logger = logging.getLogger(__name__)


def send_account_mail(
    *, to: str, subject: str, text: str, html: str | None = None, language: str = ""
) -> None:
    """The job: send one rendered mail (``language``: the BCP 47 tag it was rendered in)."""
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to],
        headers={"Content-Language": language} if language else None,
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


def queue_account_mail(*, to: str, subject: str, text: str, html: str | None = None) -> None:
    """Queue ``send_account_mail`` on the mail queue (after the transaction commits). With the
    queue down the mail is lost and logged: the shopper can ask for it again."""
    try:
        django_rq.get_queue("mail").enqueue(
            send_account_mail, to=to, subject=" ".join(subject.split()), text=text, html=html,
            language=language_tag(get_language() or settings.LANGUAGE_CODE), job_timeout=60,
        )  # fmt: skip
    except RedisError:
        logger.exception("Could not queue an account mail")
