"""At login, the anonymous cart joins the customer's cart (``cart.services.merge_carts``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from cart.http import activity_for
from cart.selectors import cart_for_request, open_cart_of_customer
from cart.services import merge_carts
from shop.models import Customer


@receiver(user_logged_in, dispatch_uid="cart_merge_on_login")
def merge_cart_on_login(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "shop"):
        return
    # Only the account's own customer: a guest customer with the same e-mail becomes the
    # account's when the mailbox's owner confirms it (shop.accounts), never at a sign-in.
    customer = Customer.objects.filter(user=user).first()
    if customer is None:
        return
    session_cart = cart_for_request(request)
    customer_cart = open_cart_of_customer(customer.pk)
    activity = activity_for(request)
    if session_cart is None:
        cart = customer_cart
    elif customer_cart is None or customer_cart.pk == session_cart.pk:
        session_cart.customer = customer
        session_cart.save(update_fields=["customer", "updated_at"])
        cart = session_cart
    else:
        cart = merge_carts(source=session_cart, target=customer_cart, activity=activity)
    if cart is not None:
        request.session[settings.CART_SESSION_KEY] = str(cart.token)
