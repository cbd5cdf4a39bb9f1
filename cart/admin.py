"""Admin for carts (read-mostly), vouchers and promotions."""

from __future__ import annotations

from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from cart.models import Cart, CartLine, Promotion, Voucher, VoucherCurrency


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    fields = ["variant", "quantity", "unit_price_seen", "added_at", "updated_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["__str__", "customer", "status", "country", "currency", "device",
                    "last_activity_at", "abandoned_at"]  # fmt: skip
    list_filter = ["status", "device", "currency"]
    list_select_related = ["customer"]
    search_fields = ["token", "customer__email", "customer__last_name"]
    date_hierarchy = "last_activity_at"
    raw_id_fields = ["customer", "voucher", "shipping_method"]
    readonly_fields = ["token", "created_at", "updated_at", "last_activity_at", "abandoned_at"]
    inlines = [CartLineInline]


class VoucherCurrencyInline(admin.TabularInline):
    model = VoucherCurrency
    extra = 1


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "percentage", "valid_from", "valid_until", "times_used",
                    "usage_limit", "once_per_customer", "customer", "active"]  # fmt: skip
    list_filter = ["kind", "active", "once_per_customer"]
    search_fields = ["code", "customer__email"]
    raw_id_fields = ["customer"]
    readonly_fields = ["times_used", "created_at"]
    inlines = [VoucherCurrencyInline]


@admin.register(Promotion)
class PromotionAdmin(TranslationAdmin):
    list_display = ["name", "percentage", "starts_at", "ends_at", "active"]
    list_filter = ["active"]
    filter_horizontal = ["products"]
