"""Abandoned carts in the admin, like shopGold's customer list: filters, a cart icon that opens
the cart with each product and when it was added. Extends the shop's and the cart's admins."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import ListFilter
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, path, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from moneyed import Money

from cart.admin import CartAdmin
from cart.models import Cart
from cart.pricing import locale_for_cart, price_cart
from recovery.campaigns import (
    begin_sending,
    languages_to_preview,
    preview,
    progress,
    recipients,
    summary,
    variant_for,
    variant_split,
)
from recovery.forms import PLACEHOLDERS_HELP, MessageForm, default_body, default_subject
from recovery.manual import preview_manual_message, send_manual_message
from recovery.models import (
    FIRST_VARIANT,
    Campaign,
    CampaignStatus,
    CampaignText,
    CampaignVariant,
    RecoveryMessage,
)
from recovery.selectors import (
    customers_abandoned_between,
    with_abandoned_cart,
    with_abandoned_cart_filter,
)
from shop.admin import CustomerAdmin, CustomerCountryFilter
from shop.models import Customer
from shop.money import MissingRateError, format_money

CART_ICON = mark_safe(
    '<svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" '
    'stroke="currentColor" stroke-width="2"><circle cx="9" cy="20" r="1.5"/>'
    '<circle cx="18" cy="20" r="1.5"/><path d="M2 3h3l2.6 12.4a1 1 0 0 0 1 .8h9.8a1 1 0 0 0 '
    '1-.8L21 7H6"/></svg>'
)


class AbandonedCartFilter(admin.SimpleListFilter):
    title = _("abandoned cart")
    parameter_name = "abandoned_cart"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return with_abandoned_cart_filter(queryset, self.value() == "yes")
        return queryset


class CustomerTypeFilter(admin.SimpleListFilter):
    title = _("customer type")
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return [("registered", _("Registered")), ("guest", _("Guest"))]

    def queryset(self, request, queryset):
        if self.value() == "registered":
            return queryset.filter(user__isnull=False)
        if self.value() == "guest":
            return queryset.filter(user__isnull=True)
        return queryset


class AbandonedDateFilter(ListFilter):
    """Abandoned today, in the last 7 or 30 days, or between two dates (shop time zone)."""

    title = _("abandonment date")
    template = "admin/recovery/abandoned_date_filter.html"
    parameters = ("abandoned_within", "abandoned_from", "abandoned_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        # The other active filters, kept as hidden fields of the from–to form.
        self.request_params = {
            key: value for key, value in request.GET.items()
            if key not in self.parameters and key not in ("p", "e")
        }  # fmt: skip
        self.values = {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.values[name] = value[-1] if isinstance(value, list) else value

    def has_output(self) -> bool:
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def choices(self, changelist):
        current = self.values.get("abandoned_within")
        options = [(None, _("Any date")), ("1", _("Today")), ("7", _("Last 7 days")),
                   ("30", _("Last 30 days"))]  # fmt: skip
        for value, label in options:
            yield {
                "selected": current == value and not self._range(),
                "query_string": changelist.get_query_string(
                    {"abandoned_within": value} if value else {}, remove=list(self.parameters)
                ),
                "display": label,
            }

    def _range(self):
        return self._date("abandoned_from"), self._date("abandoned_to")

    def _date(self, name: str):
        try:
            return parse_date(self.values.get(name) or "")
        except ValueError:  # well formed but impossible, like 2026-02-30: ignore it
            return None

    def queryset(self, request, queryset):
        first, last = self._range()
        within = self.values.get("abandoned_within")
        if within in {"1", "7", "30"} and not (first or last):
            today = timezone.localdate()
            first, last = today - timedelta(days=int(within) - 1), today
        if first or last:
            return customers_abandoned_between(queryset, first, last)
        return queryset


admin.site.unregister(Customer)


@admin.register(Customer)
class RecoveryCustomerAdmin(CustomerAdmin):
    list_display = ["display_name", "email", "customer_type", "country_name", "language",
                    "marketing_consent", "cart_icon", "cart_value", "abandoned_time"]  # fmt: skip
    list_filter = [AbandonedCartFilter, CustomerTypeFilter, AbandonedDateFilter,
                   "marketing_consent", "language", CustomerCountryFilter]  # fmt: skip
    list_select_related = ["user"]
    list_per_page = 50
    # "50,406 results (100,036 total)": the total is a second count over every customer on each
    # page; the filtered count stays.
    show_full_result_count = False

    def get_queryset(self, request):
        return with_abandoned_cart(super().get_queryset(request))

    @admin.display(description=_("name"), ordering="last_name")
    def display_name(self, customer):
        return customer.full_name or "—"

    @admin.display(description=_("country"), ordering="country")
    def country_name(self, customer):
        """The name only: the admin's default column walks all country choices per row."""
        return customer.country.name if customer.country else ""

    @admin.display(description=_("type"), ordering="user")
    def customer_type(self, customer):
        return _("Registered") if customer.user_id else _("Guest")

    @admin.display(description=_("cart"))
    def cart_icon(self, customer):
        latest = getattr(customer, "latest_abandonment", None)
        if latest is None:
            return ""
        url, label = self._cart_link()
        return format_html('<a href="{}" title="{}" aria-label="{}">{}</a>',
                           url.replace("/0/", f"/{latest.cart_id}/", 1), label, label,
                           CART_ICON)  # fmt: skip

    def _cart_link(self) -> tuple[str, str]:
        """The cart page's address (for cart 0) and the link's label, once per page and
        language rather than a ``reverse`` for each of 50 rows."""
        key = (get_script_prefix(), get_language())
        if getattr(self, "_cart_link_key", None) != key:
            self._cart_link_value = (reverse("admin:cart_cart_change", args=[0]),
                                     str(_("Open the abandoned cart")))  # fmt: skip
            self._cart_link_key = key
        return self._cart_link_value

    @admin.display(description=_("cart value"), ordering="latest_abandonment__value")
    def cart_value(self, customer):
        latest = getattr(customer, "latest_abandonment", None)
        if latest is None:
            return ""
        money = Money(latest.value, latest.currency)
        return format_money(money, get_language(), customer.country.code or None)

    @admin.display(description=_("abandoned at"), ordering="latest_abandonment__abandoned_at")
    def abandoned_time(self, customer):
        latest = getattr(customer, "latest_abandonment", None)
        if latest is None:
            return ""
        return timezone.localtime(latest.abandoned_at).strftime("%Y-%m-%d %H:%M")


admin.site.unregister(Cart)


@admin.register(Cart)
class RecoveryCartAdmin(CartAdmin):
    """The cart as the shopper left it: each product, its attributes and when it was added,
    with the totals from the pricing function (in the cart's own market and currency)."""

    change_form_template = "admin/recovery/cart/change_form.html"

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a shopper's cart is theirs: staff look, they do not edit it

    def get_urls(self):
        view = self.admin_site.admin_view(self.message_view)
        return [
            path("<path:object_id>/message/", view, name="cart_cart_message"),
            *super().get_urls(),
        ]

    def message_view(self, request, object_id):
        """Write to the cart's customer: preview in their language, then send via the outbox."""
        cart = self.get_object(request, object_id)
        if cart is None or not self.has_view_permission(request, cart):
            raise PermissionDenied
        change_url = reverse("admin:cart_cart_change", args=[cart.pk])
        if cart.customer is None:
            messages.error(request, _("Nobody can be written to: this cart has no contact."))
            return redirect(change_url)
        customer = cart.customer
        can_send = request.user.has_perm("recovery.send_recovery_message")
        preview = None
        if request.method == "POST":
            form = MessageForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                if "send" in request.POST:
                    if not can_send:
                        raise PermissionDenied
                    send_manual_message(cart=cart, data=data, staff=request.user)
                    messages.success(request, _("The message is queued and will be sent shortly."))
                    return redirect(change_url)
                preview = preview_manual_message(cart=cart, data=data)
        else:
            with translation.override(customer.language or cart.language):
                form = MessageForm(initial={
                    "subject": default_subject(), "body": default_body(),
                    "submission": uuid.uuid4().hex,
                })  # fmt: skip
        context = {
            **self.admin_site.each_context(request),
            "title": _("Message to %(name)s") % {"name": customer},
            "cart": cart, "customer": customer, "form": form, "preview": preview,
            "can_send": can_send, "opts": self.model._meta, "change_url": change_url,
        }  # fmt: skip
        return TemplateResponse(request, "admin/recovery/cart/message.html", context)
    def change_view(self, request, object_id, form_url="", extra_context=None):
        cart = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if cart is not None:
            try:
                extra_context["pricing"] = price_cart(
                    cart, locale_for_cart(cart), with_suggestions=False
                )
            except MissingRateError:
                messages.warning(request, _("No exchange rate for %(currency)s: run the rates "
                                            "job to see this cart's totals.")
                                 % {"currency": cart.currency})  # fmt: skip
            extra_context["cart_object"] = cart
            extra_context["recovery_messages"] = cart.recovery_messages.order_by("-created_at")
            extra_context["leave_feedback"] = cart.leave_feedback.order_by("-abandoned_at")
            extra_context["message_url"] = reverse("admin:cart_cart_message", args=[cart.pk])
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(RecoveryMessage)
class RecoveryMessageAdmin(admin.ModelAdmin):
    """The outbox, read-only: what was sent to whom, skipped and why, failed and why."""

    list_display = ["customer", "channel", "status", "skip_reason", "attempts", "created_at",
                    "sent_at", "opened_at", "clicked_at", "created_by"]  # fmt: skip
    list_filter = ["status", "channel", "skip_reason"]
    search_fields = ["customer__email", "customer__last_name", "key"]
    list_select_related = ["customer"]
    readonly_fields = [f.name for f in RecoveryMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _is_draft(campaign) -> bool:
    return campaign is None or campaign.status == CampaignStatus.DRAFT


class _DraftOnlyInline:
    """Rows of a newsletter can change while it is a draft only."""

    def has_add_permission(self, request, obj=None) -> bool:
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _is_draft(obj) and super().has_delete_permission(request, obj)


def _voucher_kind_field(db_field):
    from django import forms

    from recovery.forms import VOUCHER_CHOICES

    return forms.ChoiceField(choices=VOUCHER_CHOICES, required=False,
                             label=db_field.verbose_name)  # fmt: skip


class CampaignVariantInline(_DraftOnlyInline, admin.TabularInline):
    """Variants B, C… of an A/B test; variant A is the newsletter itself."""

    model = CampaignVariant
    extra = 0
    fields = ["label", "weight", "voucher_kind", "voucher_percentage"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "voucher_kind":
            return _voucher_kind_field(db_field)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def _posted_variant_labels(data) -> set[str]:
    """The variant labels in the page's variant rows (saved or new, not marked for deletion)."""
    prefix = CampaignVariant._meta.get_field("campaign").remote_field.get_accessor_name()
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        return set()
    labels = {
        data.get(f"{prefix}-{i}-label", "").strip() for i in range(min(total, 100))
        if not data.get(f"{prefix}-{i}-DELETE")
    }  # fmt: skip
    return labels - {""}


class CampaignTextFormSet(BaseInlineFormSet):
    """A text belongs to variant A or to a variant listed on the same page."""

    def clean(self) -> None:
        super().clean()
        labels = {FIRST_VARIANT} | _posted_variant_labels(self.data)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            variant = data.get("variant")
            if variant and not data.get("DELETE") and variant not in labels:
                form.add_error("variant", _("There is no variant “%(label)s”: add it under "
                                            "variants, or write A.") % {"label": variant})


class CampaignTextInline(_DraftOnlyInline, admin.TabularInline):
    """One row per variant and language (stacked, twelve languages made a page of their own)."""

    model = CampaignText
    formset = CampaignTextFormSet
    extra = 1
    fields = ["variant", "language", "subject", "body"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body":
            field.help_text = PLACEHOLDERS_HELP
            field.widget.attrs.update(rows=4, cols=60)
        elif db_field.name == "variant":
            field.widget.attrs.update(size=3)
            field.help_text = _("“A” for the newsletter's own text, or a variant's label.")
        return field


# Names of selected customers shown on the newsletter page; the rest are counted and linked.
SELECTED_NAMES_SHOWN = 10
# Up to this many, "show them in the customer list" links to the list filtered by their ids.
SELECTED_LINKED = 300


def _variant_counts(campaign: Campaign, everyone) -> list[tuple[str, int]]:
    """Recipients per variant, when the newsletter tests more than one."""
    split = variant_split(campaign)
    if len(split) == 1:
        return []
    counts = Counter(variant_for(campaign, r.customer_id, split) for r in everyone if not r.skip)
    return [(label, counts.get(label, 0)) for label, _weight in split]


def _preview_context(request, campaign: Campaign, everyone) -> dict:
    """One preview at a time: the language and variant chosen by ``?preview=de&variant=B``
    links (no script needed), else the first language and variant A."""
    languages = languages_to_preview(campaign, everyone)
    if not languages:
        return {}
    labels = [label for label, _weight in variant_split(campaign)]
    language = request.GET.get("preview")
    language = language if language in languages else next(iter(languages))
    variant = request.GET.get("variant")
    variant = variant if variant in labels else FIRST_VARIANT
    names = dict(settings.LANGUAGES)

    def link(lang: str, label: str) -> str:
        return "?" + urlencode({"preview": lang, "variant": label}) + "#campaign-preview"

    return {
        "preview_languages": [(code, names.get(code, code), link(code, variant), code == language)
                              for code in languages],  # fmt: skip
        "preview_variants": [(label, link(language, label), label == variant)
                             for label in labels] if len(labels) > 1 else [],  # fmt: skip
        "preview": preview(campaign, languages[language], language, variant),
        "preview_language": language,
        "preview_variant": variant,
    }


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Write the newsletter per language (and per variant for an A/B test), check who gets it
    and who is skipped, preview it one language at a time, then send (needs the permission
    "Can send recovery messages") and watch it progress. Once sending, it is read-only."""

    list_display = ["name", "audience", "abandoned_from", "abandoned_to", "status", "created_at"]
    list_filter = ["status", "audience"]
    readonly_fields = ["selected_customers", "status", "created_by", "created_at", "started_at"]
    fields = ["name", "audience", ("abandoned_from", "abandoned_to"), "market", "min_cart_value",
              "selected_customers",
              ("voucher_kind", "voucher_percentage", "voucher_days"), "variant_a_weight",
              "status", "created_by", "created_at", "started_at"]  # fmt: skip
    inlines = [CampaignVariantInline, CampaignTextInline]
    change_form_template = "admin/recovery/campaign/change_form.html"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "voucher_kind":
            return _voucher_kind_field(db_field)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        """A newsletter that is being (or was) sent is what went out: read-only."""
        return _is_draft(obj) and super().has_change_permission(request, obj)

    @admin.display(description=_("selected customers"))
    def selected_customers(self, campaign):
        ids = campaign.customer_ids or []
        if not ids:
            return _("None selected: everyone in the audience.")
        shown = Customer.objects.filter(pk__in=ids[:SELECTED_NAMES_SHOWN]).order_by("pk")
        names = format_html_join(
            ", ", '<a href="{}">{}</a>',
            ((reverse("admin:shop_customer_change", args=[c.pk]), c.full_name or c.email or c.pk)
             for c in shown),
        )  # fmt: skip
        count = ngettext("%(count)s customer selected", "%(count)s customers selected",
                         len(ids)) % {"count": len(ids)}  # fmt: skip
        more = len(ids) - SELECTED_NAMES_SHOWN
        rest = ""
        if more > 0:
            rest = ngettext(" and %(count)s more", " and %(count)s more", more) % {"count": more}
        if len(ids) <= SELECTED_LINKED:
            listed = reverse("admin:shop_customer_changelist") + "?id__in=" + ",".join(
                str(int(pk)) for pk in ids
            )
            return format_html('{}: {}{} (<a href="{}">{}</a>)', count, names, rest, listed,
                               _("show them in the customer list"))  # fmt: skip
        return format_html("{}: {}{}", count, names, rest)

    def save_model(self, request, obj, form, change):
        if not obj.created_by:
            obj.created_by = request.user.get_username()
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path("<path:object_id>/send/", self.admin_site.admin_view(self.send_view),
                 name="recovery_campaign_send"),
            path("<path:object_id>/progress/", self.admin_site.admin_view(self.progress_view),
                 name="recovery_campaign_progress"),
            *super().get_urls(),
        ]  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if campaign is not None:
            # The audience is read for a draft only (once for all); once sending, the outbox
            # rows are the list, and their progress is shown.
            draft = campaign.status == CampaignStatus.DRAFT
            everyone = recipients(campaign) if draft else []
            extra_context.update(
                summary=summary(campaign, everyone),
                variant_counts=_variant_counts(campaign, everyone),
                progress=progress(campaign),
                can_send=request.user.has_perm("recovery.send_recovery_message"),
                campaign=campaign,
                **(_preview_context(request, campaign, everyone) if draft else {}),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def send_view(self, request, object_id):
        campaign = self.get_object(request, object_id)
        if campaign is None or request.method != "POST":
            raise PermissionDenied
        if not (self.has_view_permission(request, campaign)
                and request.user.has_perm("recovery.send_recovery_message")):  # fmt: skip
            raise PermissionDenied
        if not campaign.texts.exists():
            messages.error(request, _("Write the subject and text first."))
        else:
            count = begin_sending(campaign=campaign)
            if count is None:
                messages.success(request, _("The recipient list is being prepared; sending "
                                            "starts as it grows. Progress is shown below."))
            else:
                messages.success(
                    request,
                    ngettext("%(count)s message is queued.", "%(count)s messages are queued.",
                             count) % {"count": count},
                )  # fmt: skip
        return redirect(reverse("admin:recovery_campaign_change", args=[campaign.pk]))

    def progress_view(self, request, object_id):
        campaign = self.get_object(request, object_id)
        if campaign is None or not self.has_view_permission(request, campaign):
            raise PermissionDenied
        campaign.refresh_from_db(fields=["status"])
        return JsonResponse({**progress(campaign), "status": campaign.status})



@admin.action(
    description=_("Write a recovery newsletter to the selected customers"), permissions=["send"]
)
def newsletter_to_selected(modeladmin, request, queryset):
    """A draft newsletter for the selected customers; staff write it and send it from there."""
    campaign = Campaign.objects.create(
        name=ngettext(
            "Newsletter to %(count)s selected customer",
            "Newsletter to %(count)s selected customers",
            queryset.count(),
        )
        % {"count": queryset.count()},
        customer_ids=list(queryset.values_list("pk", flat=True)),
        created_by=request.user.get_username(),
    )
    return redirect(reverse("admin:recovery_campaign_change", args=[campaign.pk]))


def _has_send_permission(self, request) -> bool:
    return request.user.has_perm("recovery.send_recovery_message")


RecoveryCustomerAdmin.actions = [newsletter_to_selected]
RecoveryCustomerAdmin.has_send_permission = _has_send_permission
from recovery import flow_admin  # noqa: E402,F401  (automated flows: recovery/flow_admin.py)
