"""Orders and payments for staff: read the snapshot, mark money received.

"Mark as paid" is for the payments staff confirm themselves (bank transfer, static Pix, cash on
delivery), needs the permission to change payments, and records who and when on the order;
the shopper gets the payment mail once, however often the action runs. A card or Stripe payment
is confirmed by its provider and cannot be marked.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from checkout.models import Order, OrderLine, Payment
from checkout.services import mark_order_paid


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
    actions = ["mark_paid"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_mark_paid_permission(self, request) -> bool:
        return request.user.has_perm("checkout.change_payment")

    @admin.action(description=_("Mark as paid (money received)"), permissions=["mark_paid"])
    def mark_paid(self, request, queryset) -> None:
        done = sum(mark_order_paid(order=order, by=request.user) for order in queryset)
        _report(self, request, done, queryset.count())


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
        orders = Order.objects.filter(pk__in=queryset.values("order_id"))
        done = sum(mark_order_paid(order=order, by=request.user) for order in orders)
        _report(self, request, done, orders.count())


def _report(model_admin, request, done: int, selected: int) -> None:
    model_admin.message_user(
        request,
        ngettext("%(count)d payment marked as paid.", "%(count)d payments marked as paid.",
                 done) % {"count": done},
        messages.SUCCESS,
    )  # fmt: skip
    skipped = selected - done
    if skipped:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d order was left as it was: paid or cancelled already, or paid "
                "through a provider that confirms payments itself.",
                "%(count)d orders were left as they were: paid or cancelled already, or paid "
                "through a provider that confirms payments itself.",
                skipped,
            ) % {"count": skipped},
            messages.WARNING,
        )  # fmt: skip
