"""The Reports page's filters (a GET form: a report is a link staff can share)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cart.models import DeviceClass
from recovery.reports.cube import ReportFilters
from shop.models import Market, MarketCountry

DEFAULT_DAYS = 30
MAX_DAYS = 366


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    market = forms.ModelChoiceField(label=_("Market"), queryset=Market.objects.all(),
                                    required=False, empty_label=_("All markets"))  # fmt: skip
    country = forms.ChoiceField(label=_("Country"), required=False)
    device = forms.ChoiceField(label=_("Device"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The countries the markets serve (a handful), not the world's 250: shorter to choose
        # from, and the page renders no 250-option list.
        served = sorted({str(code) for code in MarketCountry.objects.values_list("country",
                                                                                 flat=True)})
        self.fields["country"].choices = [("", _("All countries")),
                                          *((code, countries.name(code)) for code in served)]
        self.fields["device"].choices = [("", _("All devices")), *DeviceClass.choices]
        self.fields["language"].choices = [("", _("All languages")), *settings.LANGUAGES]

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
        if date_from > date_to:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        if (date_to - date_from).days >= MAX_DAYS:
            raise forms.ValidationError(
                _("Choose at most %(days)s days.") % {"days": MAX_DAYS}
            )
        data["date_from"], data["date_to"] = date_from, date_to
        return data

    def filters(self) -> ReportFilters:
        """The chosen filters; the last 30 days of everything when the form is not valid."""
        if not self.is_valid():
            today = timezone.localdate()
            return ReportFilters(today - dt.timedelta(days=DEFAULT_DAYS - 1), today)
        data = self.cleaned_data
        market = data.get("market")
        return ReportFilters(
            date_from=data["date_from"], date_to=data["date_to"],
            market_id=market.pk if market else None, country=data.get("country") or "",
            device=data.get("device") or "", language=data.get("language") or "",
        )  # fmt: skip


class RetargetingForm(ReportFilterForm):
    platform = forms.ChoiceField(
        label=_("Format"), choices=[("google", _("Google Ads Customer Match")),
                                    ("meta", _("Meta custom audience"))],  # fmt: skip
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("country", "device", "language"):
            del self.fields[name]



