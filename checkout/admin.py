"""Orders and payments for staff: read the snapshot, mark a transfer or Pix payment received."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from checkout.models import Order, OrderLine, Payment, PaymentStatus
from checkout.services import record_payment_status


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["sku", "product_name", "attributes", "quantity", "unit_price", "line_total",
              "tax_rate"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ["provider", "method", "status", "amount", "currency", "reference",
              "failure_reason", "created_at"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "email", "country", "status", "payment_method", "total",
                    "currency", "created_at"]  # fmt: skip
    list_filter = ["status", "payment_method", "country", "currency"]
    search_fields = ["number", "email", "customer__last_name"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Order._meta.fields]
    inlines = [OrderLineInline, PaymentInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["order", "provider", "method", "status", "amount", "currency", "created_at"]
    list_filter = ["status", "provider", "method"]
    search_fields = ["order__number", "reference"]
    list_select_related = ["order"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    actions = ["mark_paid"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Mark as paid (money received)"), permissions=["change"])
    def mark_paid(self, request, queryset) -> None:
        done = 0
        for payment in queryset.filter(status__in=[PaymentStatus.PENDING,
                                                   PaymentStatus.AUTHORIZED]):  # fmt: skip
            record_payment_status(payment=payment, status=PaymentStatus.PAID)
            done += 1
        self.message_user(
            request,
            ngettext("%(count)d payment marked as paid.", "%(count)d payments marked as paid.",
                     done) % {"count": done},
            messages.SUCCESS,
        )  # fmt: skip
