"""Sign-in, sign-out, password reset and account confirmation pages: Django's auth views with
the storefront's templates, in the shopper's language (``i18n_patterns``). Thin: the forms
check, ``shop.accounts.services`` writes, ``user_logged_in`` merges the cart (cart.signals)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from shop.accounts import services
from shop.accounts.forms import QueuedPasswordResetForm, SignInForm


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "shop/accounts/sign_in.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("shop:home")


class SignOutView(auth_views.LogoutView):  # POST only, as Django's
    next_page = reverse_lazy("shop:home")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    template_name = "shop/accounts/password_reset_form.html"
    email_template_name = "shop/accounts/email/password_reset.txt"
    subject_template_name = "shop/accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self) -> dict:
        return {"shop_name": settings.SHOP_NAME}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "shop/accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A new password from the mailed link: the mailbox is proven, so the account now owns the
    guest customer of its address (before the sign-in, so that the cart merges)."""

    template_name = "shop/accounts/password_reset_confirm.html"
    success_url = reverse_lazy("shop:home")
    post_reset_login = True

    def form_valid(self, form):
        services.claim_customer(user=form.user)
        messages.success(self.request, _("Your password has been set. You are signed in."))
        return super().form_valid(form)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: the account's password confirms it (a GET changes nothing, so a mail
    scanner that opens the link confirms nothing)."""
    try:
        email = services.read_confirmation_token(token)["email"]
    except signing.BadSignature:
        email = ""
    error = ""
    if request.method == "POST" and email:
        try:
            user = services.confirm_account(token=token, password=request.POST.get("password", ""))
        except services.AccountError as refused:
            error = refused.message
        else:
            login(request, user)
            messages.success(request, _("Your account is confirmed. You are signed in."))
            return redirect("shop:home")
    status = 200 if email and not error else 400
    context = {"email": email, "error": error, "expired": not email}
    return render(request, "shop/accounts/confirm.html", context, status=status)
