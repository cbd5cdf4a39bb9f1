"""What the pricing function returns: plain, immutable values that pages, the API, mails and the
admin render. No behaviour beyond a few derived properties."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from moneyed import Money

from cart.suggestions import Suggestion
from shop.models import TrustBadge
from shop.money import round_to_minor_unit
from shop.prices import UnitPrice

HUNDRED = Decimal(100)
ZERO = Decimal(0)


def rounded(amount: Decimal, currency: str) -> Money:
    """The one rounding point of the cart's totals: every component is computed at full
    precision and rounded here once, half up to the currency's minor unit."""
    return round_to_minor_unit(Money(amount, currency))


class StockState:
    IN_STOCK = "in_stock"
    LOW = "low"
    INSUFFICIENT = "insufficient"
    OUT = "out_of_stock"


@dataclass(frozen=True)
class LinePricing:
    line_id: int
    sku: str
    product_name: str
    product_slug: str
    attributes: list[tuple[str, str, str]]  # (attribute name, value, swatch)
    image_url: str | None
    quantity: int
    unit: UnitPrice
    unit_price: Money
    line_total: Money
    added_at: datetime
    stock_state: str
    stock_available: int | None  # None when stock is not tracked
    price_seen: Money | None  # the unit price when added, if it has changed since
    tax_class: str

    @property
    def price_changed(self) -> bool:
        return self.price_seen is not None

    @property
    def price_went_down(self) -> bool:
        return self.price_seen is not None and self.unit_price < self.price_seen


@dataclass(frozen=True)
class DiscountLine:
    kind: str  # "promotion" or "voucher"
    label: str
    amount: Money
    ends_at: datetime | None = None
    code: str = ""


@dataclass(frozen=True)
class ShippingOption:
    method_id: int
    name: str
    carrier: str
    price: Money
    regular_price: Money
    is_free: bool
    tracked: bool
    delivery_from: date
    delivery_to: date
    min_days: int
    max_days: int


@dataclass(frozen=True)
class Instalment:
    """One way to split a card payment: ``count`` payments of ``amount`` (the total divided,
    rounded to the minor unit; the card issuer settles the last cent on the final one)."""

    count: int
    amount: Money


@dataclass(frozen=True)
class PaymentOption:
    code: str
    name: str
    fee: Money
    available: bool
    min_order: Money | None
    max_order: Money | None
    max_instalments: int
    instalments: tuple[Instalment, ...] = ()


@dataclass(frozen=True)
class FreeShipping:
    threshold: Money
    missing: Money
    progress: Decimal  # 0..1
    unlocked: bool


@dataclass
class CartPricing:
    currency: str
    country: str
    language: str
    prices_include_tax: bool
    lines: list[LinePricing]
    item_count: int
    subtotal: Money
    discounts: list[DiscountLine]
    discount: Money
    shipping_options: list[ShippingOption]
    shipping: ShippingOption | None
    shipping_price: Money
    tax: Money
    tax_included: bool
    tax_known: bool  # False when the rate depends on a region not chosen yet (US state)
    tax_rate: Decimal  # the standard rate, for the one-line explanation
    duties: Money
    duty_mode: str
    duties_prepaid: bool
    payment_fee: Money
    payment_method: str
    total: Money
    free_shipping: FreeShipping | None
    payment_options: list[PaymentOption]
    trust_badges: list[TrustBadge]
    voucher_code: str = ""
    voucher_error: str = ""
    promotion_ends_at: datetime | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def can_check_out(self) -> bool:
        return bool(self.lines) and all(
            line.stock_state not in {StockState.OUT, StockState.INSUFFICIENT}
            for line in self.lines
        )

    @property
    def added_tax(self) -> Money:
        return self.tax if not self.tax_included else Money(0, self.currency)

    @property
    def prepaid_duties(self) -> Money:
        return self.duties if self.duties_prepaid else Money(0, self.currency)
