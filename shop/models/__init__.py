"""The shared domain: catalog, customers and markets."""

from shop.models.catalog import (
    Attribute,
    AttributeValue,
    Product,
    ProductImage,
    TaxClass,
    Variant,
    VariantPrice,
)
from shop.models.customers import ConsentSource, Customer
from shop.models.markets import (
    DeMinimisBasis,
    DutyMode,
    Market,
    MarketCountry,
    PaymentMethod,
    PaymentMethodCode,
    PriceRounding,
    ShippingMethod,
    ShippingZone,
    TaxRate,
    TrustBadge,
    TrustBadgeKind,
)

__all__ = [
    "Attribute",
    "AttributeValue",
    "ConsentSource",
    "Customer",
    "DeMinimisBasis",
    "DutyMode",
    "Market",
    "MarketCountry",
    "PaymentMethod",
    "PaymentMethodCode",
    "PriceRounding",
    "Product",
    "ProductImage",
    "ShippingMethod",
    "ShippingZone",
    "TaxClass",
    "TaxRate",
    "TrustBadge",
    "TrustBadgeKind",
    "Variant",
    "VariantPrice",
]
