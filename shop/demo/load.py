"""Load the whole demo in one transaction: exchange rates, markets, catalog, customers.

Every write is an ``update_or_create`` on a natural key (market code, country, tax class per
country and region, payment method per market, SKU, e-mail...), and every value is fixed or
derived from fixed data, so running it again leaves the same rows with the same values.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation
from django.utils.module_loading import import_string

from shop import config
from shop.demo.catalog import load_catalog
from shop.demo.customers import CUSTOMERS, REFERENCE_DATE, CustomerData
from shop.demo.i18n import localized
from shop.demo.markets import MARKETS, MarketData
from shop.jobs import update_exchange_rates
from shop.models import (
    AttributeValue,
    ConsentSource,
    Customer,
    Market,
    MarketCountry,
    PaymentMethod,
    Product,
    ProductImage,
    ShippingMethod,
    ShippingZone,
    TaxRate,
    TrustBadge,
    Variant,
    VariantPrice,
)
from shop.phones import normalize_phone

# Recorded rates, so that the demo needs no network and gives the same prices every time.
RATES_BACKEND = "shop.exchange.RecordedRatesBackend"


def _amount(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _load_shipping(market: Market, data: MarketData) -> None:
    for zone_data in data.zones:
        zone, _ = ShippingZone.objects.update_or_create(
            market=market, name=zone_data.name, defaults={"countries": list(zone_data.countries)}
        )
        for position, method in enumerate(zone_data.methods):
            ShippingMethod.objects.update_or_create(
                zone=zone,
                position=position,
                defaults={
                    **localized("name", method.name),
                    "carrier": method.carrier,
                    "price": Decimal(method.price),
                    "free_shipping_threshold": _amount(method.free_from),
                    "min_delivery_days": method.days[0],
                    "max_delivery_days": method.days[1],
                    "tracked": method.tracked,
                    "active": True,
                },
            )
        zone.methods.filter(position__gte=len(zone_data.methods)).update(active=False)
    # Methods of zones the data no longer has stay for past orders, but are not offered.
    zones = [zone.name for zone in data.zones]
    ShippingMethod.objects.filter(zone__market=market).exclude(zone__name__in=zones).update(
        active=False
    )


def load_market(data: MarketData) -> Market:
    market, _ = Market.objects.update_or_create(
        code=data.code,
        defaults={
            **localized("name", data.name),
            "currency": data.currency,
            "default_language": data.language,
            "prices_include_tax": data.prices_include_tax,
            "price_rounding": data.price_rounding,
            "duty_mode": data.duty_mode,
            "duty_rate": Decimal(data.duty_rate),
            "duty_de_minimis": Decimal(data.duty_de_minimis),
            "duty_de_minimis_basis": data.duty_de_minimis_basis,
            "duty_value_includes_shipping": data.duty_value_includes_shipping,
            "abandonment_cutoff_minutes": data.abandonment_cutoff_minutes,
            "marketing_opt_in_required": data.marketing_opt_in_required,
            "phone_required": data.phone_required,
            "active": True,
        },
    )
    for country in data.countries:
        MarketCountry.objects.update_or_create(country=country, defaults={"market": market})
    market.countries.exclude(country__in=data.countries).delete()

    kept_taxes = []
    for tax in data.taxes:
        rate, _ = TaxRate.objects.update_or_create(
            country=tax.country,
            region=tax.region,
            tax_class=tax.tax_class,
            defaults={"market": market, "rate": Decimal(tax.rate), "name": tax.name,
                      "taxes_shipping": tax.taxes_shipping},  # fmt: skip
        )
        kept_taxes.append(rate.pk)
    market.tax_rates.exclude(pk__in=kept_taxes).delete()

    _load_shipping(market, data)

    for position, payment in enumerate(data.payments):
        PaymentMethod.objects.update_or_create(
            market=market,
            code=payment.code,
            defaults={
                "fee": Decimal(payment.fee),
                "min_order_amount": _amount(payment.min_order),
                "max_order_amount": _amount(payment.max_order),
                "max_instalments": payment.max_instalments,
                "active": True,
                "position": position,
            },
        )
    codes = [payment.code for payment in data.payments]
    market.payment_methods.exclude(code__in=codes).update(active=False)

    for position, badge in enumerate(data.badges):
        TrustBadge.objects.update_or_create(
            market=market,
            position=position,
            defaults={"kind": badge.kind, **localized("text", badge.text)},
        )
    market.trust_badges.filter(position__gte=len(data.badges)).delete()
    return market


def load_markets() -> None:
    for data in MARKETS:
        load_market(data)
    # A market the demo no longer has (the former "italy-spain") keeps its rows for past
    # orders but sells nowhere: its countries moved to the markets above.
    Market.objects.exclude(code__in=[data.code for data in MARKETS]).update(active=False)


def load_customer(data: CustomerData, index: int) -> Customer:
    """Write one customer, with a user account when registered.

    Sign-up times are the reference date minus the customer's days, a few minutes apart so
    that the admin's newest-first list has a stable order.
    """
    joined = REFERENCE_DATE - timedelta(days=data.joined_days_ago, minutes=17 * index)
    user = None
    if data.registered:
        user, created = get_user_model().objects.update_or_create(
            username=data.email,
            defaults={
                "email": data.email,
                "first_name": data.first_name,
                "last_name": data.last_name,
                "date_joined": joined,
            },
        )
        if created:  # demo customers cannot log in; staff use the admin
            user.set_unusable_password()
            user.save(update_fields=["password"])
    consent_at = None
    if data.consent:  # at checkout the box is ticked a few minutes after the contact is given
        consent_at = joined + timedelta(minutes=4 if data.consent == ConsentSource.CHECKOUT else 0)
    unsubscribed_at = None
    if data.unsubscribed_days_ago is not None:
        unsubscribed_at = REFERENCE_DATE - timedelta(days=data.unsubscribed_days_ago)
    customer, _ = Customer.objects.update_or_create(
        email=data.email,
        defaults={
            "user": user,
            "first_name": data.first_name,
            "last_name": data.last_name,
            "phone": normalize_phone(data.phone, data.country),
            "language": data.language,
            "country": data.country,
            "marketing_consent": bool(data.consent),
            "consent_at": consent_at,
            "consent_source": data.consent,
            "unsubscribed_at": unsubscribed_at,
        },
    )
    # created_at is set to "now" on insert (auto_now_add); pin it to the demo's date.
    Customer.objects.filter(pk=customer.pk).update(created_at=joined)
    return customer


def load_customers() -> None:
    for index, data in enumerate(CUSTOMERS):
        load_customer(data, index)


def summary(rates: int) -> dict[str, int]:
    """What the demo holds, for the command's report."""
    registered = Customer.objects.filter(user__isnull=False).count()
    return {
        "exchange rates": rates,
        "markets": Market.objects.count(),
        "market countries": MarketCountry.objects.count(),
        "tax rates": TaxRate.objects.count(),
        "shipping methods": ShippingMethod.objects.filter(active=True).count(),
        "payment methods": PaymentMethod.objects.filter(active=True).count(),
        "trust badges": TrustBadge.objects.count(),
        "attribute values": AttributeValue.objects.count(),
        "products": Product.objects.filter(active=True).count(),
        "variants": Variant.objects.filter(active=True).count(),
        "fixed prices": VariantPrice.objects.count(),
        "product images": ProductImage.objects.count(),
        "registered customers": registered,
        "guest customers": Customer.objects.count() - registered,
        "customers with marketing consent": Customer.objects.filter(
            marketing_consent=True, unsubscribed_at__isnull=True
        ).count(),
    }


def load_extras() -> list[str]:
    """Run the demo loaders of the apps above ``shop`` (carts, orders...), in order.

    ``settings.DEMO_LOADERS`` lists their dotted paths, so that ``shop`` never imports the apps
    that build on it; each loader returns a line for the report, or nothing.
    """
    notes = []
    for path in getattr(settings, "DEMO_LOADERS", ()):
        note = import_string(path)()
        if note:
            notes.append(str(note))
    return notes


def load_demo() -> tuple[dict[str, int], list[str]]:
    """Load everything; returns the counts of :func:`summary` and the extra loaders' notes.

    English is activated so that modeltranslation fills the untranslated column (``name``)
    with the English text whatever the caller's locale.
    """
    with translation.override("en"), transaction.atomic():
        rates = update_exchange_rates(RATES_BACKEND)
        load_markets()
        load_catalog()
        load_customers()
        notes = load_extras()
        config.changed()  # some rows were changed in bulk, without model signals
    return summary(rates), notes
