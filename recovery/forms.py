"""The admin form for a message to one customer about their abandoned cart, the hint on the
placeholders a message may use (also shown under a newsletter's text), and the shopper's "why
did you leave?" form."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from recovery.feedback import MAX_TEXT
from recovery.models import Channel, LeaveReason
from recovery.outbox import PLACEHOLDERS

VOUCHER_CHOICES = [
    ("", _("No voucher")),
    ("percentage", _("Percentage off")),
    ("free_shipping", _("Free shipping")),
]


def _placeholders_help() -> str:
    return _("Placeholders: %(names)s") % {
        "names": ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    }


# Filled in when shown, in the language of the page: a help text built at import time would be
# the English of whichever language was active when the module was first imported.
PLACEHOLDERS_HELP = lazy(_placeholders_help, str)()


def default_subject() -> str:
    return str(_("You left something in your cart"))


def default_body() -> str:
    return str(
        _(
            "Hello {first_name},\n\nyou left these items in your cart:\n{cart_items}\n\n"
            "Total: {cart_total}\n\nPick up where you left off: {restore_link}\n"
        )
    )


class MessageForm(forms.Form):
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices, initial=Channel.EMAIL)
    subject = forms.CharField(label=_("subject"), max_length=200, required=False)
    body = forms.CharField(
        label=_("message"),
        widget=forms.Textarea(attrs={"rows": 10, "cols": 70}),
        help_text=PLACEHOLDERS_HELP,
    )
    voucher_kind = forms.ChoiceField(label=_("voucher"), choices=VOUCHER_CHOICES, required=False)
    voucher_percentage = forms.DecimalField(
        label=_("percentage"), min_value=1, max_value=90, decimal_places=2, required=False
    )
    voucher_days = forms.IntegerField(label=_("valid for (days)"), min_value=1, max_value=90,
                                      initial=7)  # fmt: skip
    submission = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("voucher_kind") == "percentage" and not data.get("voucher_percentage"):
            self.add_error("voucher_percentage", _("Enter the percentage the voucher takes off."))
        if data.get("channel") == Channel.EMAIL and not data.get("subject"):
            self.add_error("subject", _("An e-mail needs a subject."))
        return data


class LeaveFeedbackForm(forms.Form):
    """ "Why did you leave?": one reason, and the shopper's own words for "something else"."""

    reason = forms.ChoiceField(
        label=_("Why did you leave?"), choices=LeaveReason.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason."),
                        "invalid_choice": _("Choose one of the reasons.")},
    )  # fmt: skip
    text = forms.CharField(
        label=_("Tell us more"), required=False, max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_TEXT}),
    )  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == LeaveReason.OTHER and not (cleaned.get("text") or "").strip():
            self.add_error("text", _("Tell us in a few words why you left."))
        return cleaned
