"""Demo carts in every state, for the demo customers (registered and guests) and a few shoppers
who never gave a contact. Loaded by ``manage.py load_demo`` (``settings.DEMO_LOADERS``).

Idempotent: carts are keyed by a token derived from the customer and the cart's number, their
times are anchored on today's date (midnight UTC), and their lines are rewritten, so a second run
the same day gives the same rows.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from moneyed import Money

from cart.models import Cart, CartLine, CartStatus, DeviceClass, Promotion, Voucher, VoucherCurrency
from shop.locale import ShopLocale
from shop.models import Customer, Market, Product, Variant
from shop.prices import variant_unit_price
from shop.selectors import price_context

NAMESPACE = uuid.UUID("5b0c3f1e-7d1a-4c8e-9a53-0d6f1c2b9e77")
DEVICES = [DeviceClass.MOBILE, DeviceClass.MOBILE, DeviceClass.DESKTOP, DeviceClass.TABLET]
# (status, days since last activity) per cart number: most customers have one abandoned cart
# somewhere in the last 60 days; some also have an older converted or an active cart.
PLAN = [
    [(CartStatus.ABANDONED, 2)],
    [(CartStatus.ABANDONED, 9), (CartStatus.CONVERTED, 40)],
    [(CartStatus.ACTIVE, 0)],
    [(CartStatus.ABANDONED, 25)],
    [(CartStatus.ABANDONED, 0.3), (CartStatus.EXPIRED, 120)],
    [(CartStatus.RECOVERED, 14)],
    [(CartStatus.ABANDONED, 55), (CartStatus.MERGED, 30)],
    [(CartStatus.CONVERTED, 5)],
]


def anchor() -> datetime:
    """Today at midnight UTC: the demo's times are relative to it."""
    return datetime.combine(timezone.now().astimezone(UTC).date(), time(), tzinfo=UTC)


def _token(key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, key)


@transaction.atomic
def load() -> str:
    now = anchor()
    variants = list(
        Variant.objects.filter(active=True, product__active=True)
        .select_related("product")
        .prefetch_related("prices")
        .order_by("sku")
    )
    markets = {
        row.country.code: row.market
        for market in Market.objects.prefetch_related("countries")
        for row in market.countries.all()
    }
    if not variants or not markets:
        return "no catalog or markets: load them first"
    carts = 0
    customers = list(Customer.objects.order_by("email"))
    for index, customer in enumerate(customers):
        for number, (status, days_ago) in enumerate(PLAN[index % len(PLAN)]):
            _demo_cart(customer, f"{customer.email}-{number}", status, days_ago, index + number,
                       variants, markets, now)  # fmt: skip
            carts += 1
    # Shoppers who never gave a contact: they count in analytics but cannot be messaged.
    for number, country in enumerate(["DE", "BR", "US", "JP", "PL", "SA"]):
        _demo_cart(None, f"anonymous-{number}", CartStatus.ABANDONED, 1 + number * 3, number,
                   variants, markets, now, country=country)  # fmt: skip
        carts += 1
    _vouchers_and_promotion(now)
    return f"{carts} demo carts"


def _demo_cart(customer, key, status, days_ago, seed, variants, markets, now, country=None):
    rng = random.Random(key)
    country = country or (customer.country.code if customer and customer.country else "DE")
    market = markets.get(country) or markets.get("DE")
    language = customer.language if customer else (market.default_language if market else "en")
    last_activity = now - timedelta(days=days_ago)
    abandoned_at = None
    if status in {CartStatus.ABANDONED, CartStatus.RECOVERED, CartStatus.EXPIRED}:
        abandoned_at = last_activity + timedelta(minutes=market.abandonment_cutoff_minutes)
        if abandoned_at > timezone.now():  # the cut-off has not passed yet: still active
            status, abandoned_at = CartStatus.ACTIVE, None
    cart, _ = Cart.objects.update_or_create(
        token=_token(key),
        defaults={
            "customer": customer,
            "market": market,
            "country": country,
            "currency": market.currency,
            "language": language,
            "status": status,
            "device": DEVICES[seed % len(DEVICES)],
            "created_at": last_activity - timedelta(hours=2),
            "last_activity_at": last_activity,
            "abandoned_at": abandoned_at,
            "was_abandoned": abandoned_at is not None,
            "voucher": None,
            "shipping_method": None,
        },
    )
    locale = ShopLocale(language=language, country=country, currency=market.currency,
                        market=market)  # fmt: skip
    context = price_context(locale)
    chosen = rng.sample(variants, k=rng.randint(1, 4))
    cart.lines.exclude(variant__in=chosen).delete()
    for position, variant in enumerate(chosen):
        added = last_activity - timedelta(minutes=90 - position * 17)
        seen = variant_unit_price(variant, context).shown
        if position == 1 and days_ago > 7:  # the price has moved since: the cart shows it
            seen = Money(seen.amount + Decimal("2"), seen.currency)
        CartLine.objects.update_or_create(
            cart=cart, variant=variant,
            defaults={"quantity": rng.randint(1, 3), "unit_price_seen": seen,
                      "added_at": added, "updated_at": added},
        )  # fmt: skip


def _vouchers_and_promotion(now: datetime) -> None:
    Voucher.objects.update_or_create(
        code="WELCOME10",
        defaults={"kind": "percentage", "percentage": Decimal("10"), "active": True,
                  "valid_from": None, "valid_until": None, "once_per_customer": True},
    )  # fmt: skip
    Voucher.objects.update_or_create(
        code="FREESHIP",
        defaults={"kind": "free_shipping", "percentage": None, "active": True},
    )
    fixed, _ = Voucher.objects.update_or_create(
        code="SAVE5", defaults={"kind": "fixed", "percentage": None, "active": True}
    )
    amounts = {"EUR": 5, "USD": 5, "GBP": 5, "PLN": 20, "BRL": 25, "CAD": 7, "SAR": 20,
               "AED": 20, "CNY": 40, "JPY": 800}  # fmt: skip
    for currency, amount in amounts.items():
        VoucherCurrency.objects.update_or_create(
            voucher=fixed, currency=currency,
            defaults={"amount_off": Decimal(amount), "minimum_order": Decimal(amount) * 6},
        )  # fmt: skip
    promotion, _ = Promotion.objects.update_or_create(
        name_en="Winter sale",
        defaults={
            "name": "Winter sale",
            "percentage": Decimal("15"),
            "starts_at": now - timedelta(days=3),
            "ends_at": now + timedelta(days=4, hours=18),
            "active": True,
            "name_de": "Winterschlussverkauf",
            "name_fr": "Soldes d'hiver",
            "name_nl": "Winteruitverkoop",
            "name_pl": "Zimowa wyprzedaż",
            "name_pt_br": "Liquidação de inverno",
            "name_ar": "تخفيضات الشتاء",
            "name_zh_hans": "冬季特卖",
            "name_ja": "ウィンターセール",
        },
    )
    products = Product.objects.filter(active=True).order_by("slug")[:4]
    promotion.products.set(products)
