"""Admin for catalog, customers and markets: declarative, validation lives on the models."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import (
    TranslationAdmin,
    TranslationStackedInline,
    TranslationTabularInline,
)

from shop.checks import missing_tax_rates
from shop.models import (
    Attribute,
    AttributeValue,
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


class AttributeValueInline(TranslationTabularInline):
    model = AttributeValue
    extra = 0


@admin.register(Attribute)
class AttributeAdmin(TranslationAdmin):
    list_display = ["code", "name", "position"]
    inlines = [AttributeValueInline]


class ProductImageInline(TranslationTabularInline):
    model = ProductImage
    extra = 0


class VariantInline(admin.StackedInline):
    model = Variant
    extra = 0
    fields = [
        ("sku", "active", "position"),
        "attribute_values",
        ("price", "weight_grams"),
        ("track_stock", "stock_quantity"),
        "image",
    ]
    filter_horizontal = ["attribute_values"]
    show_change_link = True


@admin.register(Product)
class ProductAdmin(TranslationAdmin):
    list_display = ["name", "slug", "tax_class", "active", "created_at"]
    list_filter = ["active", "tax_class"]
    search_fields = ["name", "slug", "variants__sku"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProductImageInline, VariantInline]


class VariantPriceInline(admin.TabularInline):
    model = VariantPrice
    extra = 0


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["sku", "product", "price", "track_stock", "stock_quantity", "active"]
    list_filter = ["active", "track_stock"]
    list_select_related = ["product"]
    search_fields = ["sku", "product__name"]
    autocomplete_fields = ["product"]
    filter_horizontal = ["attribute_values"]
    inlines = [VariantPriceInline]


class CustomerCountryFilter(admin.SimpleListFilter):
    """Only the countries the shop's markets serve or its customers live in (the field's own
    filter lists all 249 of the world, a page of its own)."""

    title = _("country")
    parameter_name = "country__exact"  # the field filter's name: bookmarked lists still work

    def lookups(self, request, model_admin):
        from django_countries import countries

        from shop.selectors import customer_filter_countries

        choices = list(customer_filter_countries())
        chosen = self.value()
        if chosen and chosen not in dict(choices):
            choices.append((chosen, str(countries.name(chosen)) or chosen))
        return choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(country=self.value())
        return queryset


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "country", "language", "marketing_consent"]
    list_filter = ["marketing_consent", "language", CustomerCountryFilter]
    search_fields = ["first_name", "last_name", "email", "phone"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]

    def get_search_results(self, request, queryset, search_term):
        """A phone typed as the customer wrote it (``030 123456``) also finds the E.164 one."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = "".join(ch for ch in search_term if ch.isdigit() or ch == "+")
        if len(digits) >= 6:
            try:
                phone = normalize_phone(
                    search_term, getattr(request, "shop", None) and request.shop.country
                )
            except Exception:  # not a phone number: the plain search stands
                phone = ""
            if phone:
                queryset |= self.model.objects.filter(phone=phone)
        return queryset, may_have_duplicates


class MarketCountryInline(admin.TabularInline):
    model = MarketCountry
    extra = 0


class TaxRateInline(admin.TabularInline):
    model = TaxRate
    extra = 0


class PaymentMethodInline(admin.TabularInline):
    """Each method says whether shoppers are offered it: a method with no provider that takes
    real money here (``SHOP_PAYMENT_METHOD_PROBLEM``, the checkout's registry) is left out of
    the checkout, and staff read why next to it."""

    model = PaymentMethod
    extra = 0
    readonly_fields = ["offered_to_shoppers"]

    @admin.display(description=_("offered to shoppers"))
    def offered_to_shoppers(self, method: PaymentMethod) -> str:
        if not method.code:
            return ""
        problem = import_string(settings.SHOP_PAYMENT_METHOD_PROBLEM)(method.code)
        return _("No: %(reason)s") % {"reason": problem} if problem else _("Yes")


class TrustBadgeInline(TranslationTabularInline):
    model = TrustBadge
    extra = 0


class ShippingZoneInline(admin.TabularInline):
    model = ShippingZone
    extra = 0
    show_change_link = True


@admin.register(Market)
class MarketAdmin(TranslationAdmin):
    list_display = ["name", "code", "currency", "default_language", "prices_include_tax",
                    "duty_mode", "abandonment_cutoff_minutes", "active"]  # fmt: skip
    list_filter = ["active", "prices_include_tax", "duty_mode"]
    search_fields = ["name", "code", "countries__country"]
    fieldsets = [
        (None, {"fields": ["name", "code", "active", "currency", "default_language"]}),
        (_("Prices and tax"), {"fields": ["prices_include_tax", "price_rounding"]}),
        (_("Duties"), {"fields": [
            "duty_mode", "duty_rate", "duty_de_minimis", "duty_de_minimis_basis",
            "duty_value_includes_shipping",
        ]}),
        (_("Checkout and recovery"), {"fields": [
            "phone_required", "marketing_opt_in_required", "abandonment_cutoff_minutes",
            ("quiet_hours_start", "quiet_hours_end"), "time_zone",
        ]}),
    ]  # fmt: skip
    inlines = [MarketCountryInline, TaxRateInline, ShippingZoneInline, PaymentMethodInline,
               TrustBadgeInline]  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Say which of the market's countries or regions lack a tax rate: orders there are
        refused rather than charged 0 % (the system check shop.W001 says the same)."""
        if request.method == "GET":
            for market, country, regions in missing_tax_rates():
                if str(market.pk) != str(object_id):
                    continue
                if regions:
                    text = _("No standard tax rate for %(country)s in %(regions)s: orders to "
                             "these regions cannot be placed.")  # fmt: skip
                else:
                    text = _("No standard tax rate for %(country)s: orders there cannot be "
                             "placed.")  # fmt: skip
                self.message_user(
                    request,
                    text % {"country": country, "regions": ", ".join(regions)},
                    level=messages.WARNING,
                )
        return super().change_view(request, object_id, form_url, extra_context)


class ShippingMethodInline(TranslationStackedInline):
    model = ShippingMethod
    extra = 0
    fields = [
        "name", "carrier", ("price", "free_shipping_threshold"),
        ("min_delivery_days", "max_delivery_days"), ("tracked", "active", "position"),
    ]  # fmt: skip


@admin.register(ShippingZone)
class ShippingZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "market"]
    list_filter = ["market"]
    inlines = [ShippingMethodInline]
