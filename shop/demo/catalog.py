"""Write the demo catalog: attributes and their values, products, variants, fixed prices, images.

Rows are keyed on natural keys (attribute code, English attribute value, product slug, SKU,
currency, image position), so a second run updates them in place. Rows of demo products that the
data no longer lists are removed (images, fixed prices) or deactivated (variants, which carts and
orders may point to).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from moneyed import Money

from shop.demo.attributes import ATTRIBUTES, VALUES
from shop.demo.i18n import LANGUAGES, localized
from shop.demo.images import image_name, product_svg, save_image
from shop.demo.products import PRODUCTS, ProductData
from shop.models import (
    Attribute,
    AttributeValue,
    Product,
    ProductImage,
    TaxClass,
    Variant,
    VariantPrice,
)

# The German VAT the demo prices are written with (see shop.demo.products).
HOME_VAT = {
    TaxClass.STANDARD: Decimal("19"),
    TaxClass.REDUCED: Decimal("7"),
    TaxClass.ZERO: Decimal("0"),
}
NET_PRECISION = Decimal("0.001")  # the decimals of Variant.price

type ValueIndex = dict[tuple[str, str], AttributeValue]


def net_price(shelf_price: str, tax_class: str) -> Money:
    """The net base-currency price behind a German shelf price."""
    net = Decimal(shelf_price) / (1 + HOME_VAT[tax_class] / 100)
    return Money(net.quantize(NET_PRECISION), settings.BASE_CURRENCY)


def load_attributes() -> ValueIndex:
    """Write the attributes and their values; returns (attribute code, value key) -> value."""
    index: ValueIndex = {}
    for position, (code, names) in enumerate(ATTRIBUTES.items()):
        attribute, _ = Attribute.objects.update_or_create(
            code=code, defaults={"position": position, **localized("name", names)}
        )
        for value_position, (key, value) in enumerate(VALUES[code].items()):
            index[code, key], _ = AttributeValue.objects.update_or_create(
                attribute=attribute,
                value_en=value.text["en"],
                defaults={
                    "swatch": value.swatch,
                    "position": value_position,
                    **localized("value", value.text),
                },
            )
    return index


def _colours(data: ProductData) -> list[str]:
    """The product's colours in the order its variants list them."""
    return list(dict.fromkeys(v.colour for v in data.variants if v.colour))


def _load_images(product: Product, data: ProductData) -> dict[str | None, ProductImage]:
    """One picture per colour (one in all for a product without colours); colour -> image."""
    colours = _colours(data) or [None]
    images: dict[str | None, ProductImage] = {}
    for position, colour in enumerate(colours):
        swatch = VALUES["colour"][colour].swatch if colour else data.tint
        name = save_image(
            image_name(data.slug, colour or "main"),
            product_svg(data.kind, swatch),
        )
        colour_names = VALUES["colour"][colour].text if colour else {}
        alts = {
            code: f"{data.name[code]} – {colour_names[code]}" if colour else data.name[code]
            for code in LANGUAGES
        }
        images[colour], _ = ProductImage.objects.update_or_create(
            product=product,
            position=position,
            defaults={"image": name, **localized("alt", alts)},
        )
    product.images.exclude(position__lt=len(colours)).delete()
    return images


def _load_variants(
    product: Product,
    data: ProductData,
    values: ValueIndex,
    images: dict[str | None, ProductImage],
) -> None:
    skus = []
    for position, item in enumerate(data.variants):
        variant, _ = Variant.objects.update_or_create(
            sku=item.sku,
            defaults={
                "product": product,
                "price": net_price(item.price or data.price, data.tax_class),
                "weight_grams": item.weight or data.weight,
                "track_stock": item.track_stock,
                "stock_quantity": item.stock,
                "active": True,
                "position": position,
                "image": images.get(item.colour) or images.get(None),
            },
        )
        keys = [("colour", item.colour), ("size", item.size), ("material", data.material)]
        variant.attribute_values.set([values[code, key] for code, key in keys if key])
        for currency, amount in data.fixed_prices.items():
            VariantPrice.objects.update_or_create(
                variant=variant,
                price_currency=currency,
                defaults={"price": Money(Decimal(amount), currency)},
            )
        variant.prices.exclude(price_currency__in=list(data.fixed_prices)).delete()
        skus.append(item.sku)
    product.variants.exclude(sku__in=skus).update(active=False)


def load_products(values: ValueIndex) -> None:
    for data in PRODUCTS:
        product, _ = Product.objects.update_or_create(
            slug=data.slug,
            defaults={
                "tax_class": data.tax_class,
                "active": True,
                **localized("name", data.name),
                **localized("description", data.description),
            },
        )
        images = _load_images(product, data)
        _load_variants(product, data, values, images)


def load_catalog() -> None:
    load_products(load_attributes())
