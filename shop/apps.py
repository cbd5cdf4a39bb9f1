from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = _("Shop")

    def ready(self) -> None:
        from djmoney.contrib.exchange.models import ExchangeBackend, Rate

        from shop import checks, config, models  # noqa: F401  (checks registers itself)

        # Each process keeps these in memory until one of them changes (shop/config.py).
        config.watch([
            models.Market, models.MarketCountry, models.TaxRate, models.ShippingZone,
            models.ShippingMethod, models.PaymentMethod, models.TrustBadge,
            models.Product, models.ProductImage, models.Variant, models.VariantPrice,
            models.Attribute, models.AttributeValue, ExchangeBackend, Rate,
        ])  # fmt: skip
