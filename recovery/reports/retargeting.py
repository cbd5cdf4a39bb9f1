"""Retargeting audiences without a tracking script: the shop's consented abandoners as the
customer-match lists of ad platforms take them, hashed.

Google Ads Customer Match and Meta custom audiences both accept a CSV of SHA-256 hex digests of
normalised identifiers: the e-mail trimmed and lower-cased; the phone in E.164 (Google: with the
"+", Meta: digits only, country code first). Only customers who gave marketing consent and have
not unsubscribed, whose cart was abandoned in the range (in the market, if one is chosen), and
nothing else: no names, no addresses, no cart contents.
"""

from __future__ import annotations

import csv
import hashlib
import io

from django.db.models import Q

from recovery.reports.cube import ReportFilters, report_db
from recovery.reports.models import Event, EventKind
from shop.models import Customer

FORMATS = {
    "google": ("Email", "Phone", "Country"),
    "meta": ("email", "phone", "country"),
}


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest() if value else ""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def normalise_phone(phone: str, *, plus: bool) -> str:
    """Stored phones are E.164 already (``shop.phones``); keep its digits, with or without +."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if not digits:
        return ""
    return f"+{digits}" if plus else digits


def audience(filters: ReportFilters):
    cart_ids = (
        Event.objects.using(report_db())
        .filter(filters.on_events(), kind=EventKind.CART_ABANDONED,
                created_at__gte=filters.start(), created_at__lt=filters.end())  # fmt: skip
        .values("cart_id")
    )
    return (
        Customer.objects.using(report_db())
        .filter(carts__in=cart_ids, marketing_consent=True, unsubscribed_at__isnull=True)
        .filter(~Q(email="") | ~Q(phone=""))
        .distinct()
        .order_by("pk")
        .values_list("email", "phone", "country")
    )


def export_csv(filters: ReportFilters, *, platform: str) -> str:
    header = FORMATS[platform]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for email, phone, country in audience(filters):
        writer.writerow([
            sha256(normalise_email(email)),
            sha256(normalise_phone(phone, plus=platform == "google")),
            # Google takes the country in clear; Meta hashes it like every other key.
            str(country).upper() if platform == "google" else sha256(str(country).lower()),
        ])  # fmt: skip
    return out.getvalue()
