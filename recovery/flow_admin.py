"""Automated flows in the admin: a flow with its steps; a step with its A/B variants, previews
per language for a real abandoned cart and its counts; a variant with its texts per language.

Thin: switching a flow on or off and ending a test go through ``recovery.flows``; the counts and
previews come from ``recovery.flow_selectors``. Django's model permissions guard each page;
switching a flow needs "change flow", ending a test "change variant".
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from recovery.flow_selectors import control_group, previews, step_counts
from recovery.flows import end_test, set_flow_active
from recovery.models import (
    Flow,
    FlowStep,
    FlowStepText,
    FlowStepVariant,
    IncentiveKind,
    SkipReason,
)
from recovery.outbox import PLACEHOLDERS


def placeholder_help() -> str:
    names = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    return _("Placeholders: %(names)s") % {"names": names}


class FlowStepInline(admin.TabularInline):
    model = FlowStep
    extra = 0
    fields = ["position", "delay", "channel", "fallback_language"]
    show_change_link = True


@admin.action(description=_("Switch the selected flows on"), permissions=["change"])
def switch_on(modeladmin, request, queryset):
    for flow in queryset:
        set_flow_active(flow=flow, active=True)
    count = queryset.count()
    messages.success(request, ngettext("%(count)s flow is on.", "%(count)s flows are on.", count)
                     % {"count": count})  # fmt: skip


@admin.action(description=_("Switch the selected flows off"), permissions=["change"])
def switch_off(modeladmin, request, queryset):
    for flow in queryset:
        set_flow_active(flow=flow, active=False)
    count = queryset.count()
    messages.success(request, ngettext("%(count)s flow is off.", "%(count)s flows are off.",
                                       count) % {"count": count})  # fmt: skip


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "holdout_percent", "activated_at", "created_at"]
    list_filter = ["active", "markets"]
    fields = ["name", "markets", "active", "holdout_percent", "activated_at"]
    readonly_fields = ["activated_at"]
    filter_horizontal = ["markets"]
    inlines = [FlowStepInline]
    actions = [switch_on, switch_off]
    change_form_template = "admin/recovery/flow/change_form.html"

    def save_model(self, request, obj, form, change):
        """The switch goes through ``set_flow_active``: switching on dates the flow's start,
        switching off stops its running enrolments."""
        wanted = obj.active
        if change:
            obj.active = Flow.objects.filter(pk=obj.pk).values_list("active", flat=True).first()
        else:
            obj.active = False
        super().save_model(request, obj, form, change)
        if wanted != obj.active:
            set_flow_active(flow=obj, active=wanted)
            obj.refresh_from_db(fields=["active", "activated_at"])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        flow = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if flow is not None:
            extra_context["step_counts"] = list(step_counts(flow).values())
            extra_context["control"] = control_group(flow)
            extra_context["skip_labels"] = dict(SkipReason.choices)
        return super().change_view(request, object_id, form_url, extra_context)


class VariantForm(forms.ModelForm):
    class Meta:
        model = FlowStepVariant
        fields = ["label", "weight", "active", "incentive_kind", "incentive_percentage",
                  "incentive_amounts", "incentive_days"]  # fmt: skip

    def clean(self):
        data = super().clean()
        kind = data.get("incentive_kind")
        if kind == IncentiveKind.PERCENTAGE and not data.get("incentive_percentage"):
            self.add_error("incentive_percentage", _("Give the percentage off."))
        if kind == IncentiveKind.FIXED:
            amounts = data.get("incentive_amounts")
            if not isinstance(amounts, dict) or not amounts:
                self.add_error("incentive_amounts",
                               _('Give an amount per currency, e.g. {"EUR": "5.00"}.'))  # fmt: skip
            else:
                for currency, amount in amounts.items():
                    try:
                        ok = len(currency) == 3 and Decimal(str(amount)) > 0
                    except (InvalidOperation, ValueError):
                        ok = False
                    if not ok:
                        self.add_error("incentive_amounts", _(
                            "“%(currency)s: %(amount)s” is not a currency code with a positive "
                            "amount.") % {"currency": currency, "amount": amount})  # fmt: skip
        return data


class FlowStepVariantInline(admin.TabularInline):
    model = FlowStepVariant
    form = VariantForm
    extra = 0
    show_change_link = True  # its texts are edited on its own page


@admin.register(FlowStep)
class FlowStepAdmin(admin.ModelAdmin):
    list_display = ["__str__", "delay", "channel", "fallback_language"]
    list_filter = ["flow", "channel"]
    fields = ["flow", "position", "delay", "channel", "fallback_language"]
    inlines = [FlowStepVariantInline]
    change_form_template = "admin/recovery/flowstep/change_form.html"

    def has_module_permission(self, request) -> bool:
        return False  # reached from its flow's page

    def get_urls(self):
        return [
            path("<path:object_id>/end-test/", self.admin_site.admin_view(self.end_test_view),
                 name="recovery_flowstep_end_test"),
            *super().get_urls(),
        ]  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        step = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if step is not None:
            extra_context.update(
                step_object=step,
                counts=step_counts(step.flow)[step.pk],
                previews=previews(step),
                skip_labels=dict(SkipReason.choices),
                variant_labels=list(step.variants.filter(active=True)
                                    .values_list("label", flat=True)),
                can_end_test=request.user.has_perm("recovery.change_flowstepvariant"),
            )  # fmt: skip
        return super().change_view(request, object_id, form_url, extra_context)

    def end_test_view(self, request, object_id):
        step = self.get_object(request, object_id)
        if step is None or request.method != "POST":
            raise PermissionDenied
        if not request.user.has_perm("recovery.change_flowstepvariant"):
            raise PermissionDenied
        try:
            winner = end_test(step=step, winner_label=request.POST.get("winner", ""))
        except ValueError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The test is over: every customer gets variant "
                                        "%(label)s.") % {"label": winner.label})  # fmt: skip
        return redirect(reverse("admin:recovery_flowstep_change", args=[step.pk]))


class FlowStepTextInline(admin.StackedInline):
    model = FlowStepText
    extra = 1

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body" and field is not None:
            field.help_text = placeholder_help()
        return field


@admin.register(FlowStepVariant)
class FlowStepVariantAdmin(admin.ModelAdmin):
    form = VariantForm
    list_display = ["__str__", "weight", "active", "incentive_kind"]
    inlines = [FlowStepTextInline]

    def get_fields(self, request, obj=None):
        return ["step", *VariantForm.Meta.fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = ["step", *VariantForm.Meta.fields]
        return super().get_form(request, obj, change, **kwargs)

    def has_module_permission(self, request) -> bool:
        return False  # reached from its step's page
