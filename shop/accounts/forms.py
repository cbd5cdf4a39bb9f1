"""Sign-in with the e-mail address (Django's usernames stay what they are: staff keep theirs),
and the password reset form that queues its mail instead of sending it in the request."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader
from django.utils.translation import gettext_lazy as _

from shop.accounts.mail import queue_account_mail

EMAIL_WIDGET = forms.EmailInput(
    attrs={"autofocus": True, "autocomplete": "email", "autocapitalize": "off",
           "spellcheck": "false", "dir": "ltr"}  # fmt: skip
)


class SignInForm(AuthenticationForm):
    username = forms.EmailField(label=_("E-mail"), max_length=254, widget=EMAIL_WIDGET)
    error_messages = {
        "invalid_login": _("This e-mail and password do not match an account."),
        "inactive": _("This account is inactive."),
    }

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            candidates = get_user_model().objects.filter(email__iexact=email, is_active=True)
            for user in candidates.order_by("pk")[:5]:
                self.user_cache = authenticate(
                    self.request, username=user.get_username(), password=password
                )
                if self.user_cache is not None:
                    break
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class QueuedPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(label=_("E-mail"), max_length=254, widget=EMAIL_WIDGET)

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):  # fmt: skip
        subject = loader.render_to_string(subject_template_name, context)
        text = loader.render_to_string(email_template_name, context)
        queue_account_mail(to=to_email, subject=subject, text=text)
