"""Exit intent: a guest about to leave the cart or checkout has their cart saved by e-mail.

The storefront offers it once per cart, in a dialog (``templates/recovery/_exit_intent.html``,
``static/recovery/exit_intent.js``), to a guest the shop has no e-mail for. What the shopper
submits goes through the checkout's own way of keeping a contact (``cart.services.
attach_contact``: a guest customer, consent recorded only from the shopper who gave the address,
the market's wording and default for the box), then one mail with the restore link through the
outbox: its key is the cart's, so a double submit, a retry or two tabs send one mail.

The mail is one the shopper asked for, so it is sent without marketing consent
(``RecoveryMessage.requested``); what they answered in the box decides the later reminders.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from cart.models import Cart, CartLine, CartStatus
from cart.services import Activity, CartError, attach_contact
from recovery.models import Channel, RecoveryMessage
from recovery.outbox import queue_message
from shop.models import ConsentSource, Customer

OPEN = {CartStatus.ACTIVE, CartStatus.ABANDONED}

# How long a shopper is on the page before a move to leave counts as one (a shopper who opens
# the cart and goes straight back has not decided to leave it).
OFFER_AFTER_SECONDS = 8


class CaptureError(Exception):
    """The cart cannot be saved; ``message`` is translated, ``field`` names the input."""

    def __init__(self, message: str, *, field: str = "__all__") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class SavedCart:
    message: RecoveryMessage
    created: bool  # False: the cart had been saved before (a double submit): no second mail


def message_key(cart: Cart) -> str:
    return f"saved-cart:{cart.pk}"


def storage_key(cart: Cart) -> str:
    """What the page's script remembers the offer under: the cart's, without its token (the
    token opens the cart through the API; a hash of it opens nothing)."""
    return "exit-intent:" + hashlib.sha256(str(cart.token).encode()).hexdigest()[:16]


def can_offer(cart: Cart | None, user=None) -> bool:
    """Whether the dialog belongs on the page: an open cart the shop has no contact for, of a
    shopper who is not signed in. No query (the lines are the page's pricing's to tell)."""
    signed_in = user is not None and user.is_authenticated
    return cart is not None and cart.is_open and cart.customer_id is None and not signed_in


def save_cart_by_email(
    *, cart: Cart, email: str, marketing_consent: bool, activity: Activity
) -> SavedCart:
    """Keep ``email`` on the cart's guest customer with the shopper's answer to the consent box,
    and queue the mail with the cart's restore link, once per cart."""
    key = message_key(cart)
    with transaction.atomic():
        # The cart's row lock: a second submit waits here, then finds the first one's message.
        row = (Cart.objects.select_for_update().filter(pk=cart.pk)
               .values_list("status", "customer_id").first())  # fmt: skip
        if row is None:
            raise CaptureError(_("Your cart is empty."))
        existing = RecoveryMessage.objects.filter(key=key).first()
        if existing is not None:
            return SavedCart(message=existing, created=False)
        status, customer_id = row
        if status not in OPEN:
            raise CaptureError(_("This cart has already been ordered. Start a new one."))
        if not CartLine.objects.filter(cart_id=cart.pk).exists():
            raise CaptureError(_("Your cart is empty."))
        if customer_id is not None and Customer.objects.filter(
            pk=customer_id, user__isnull=False
        ).exists():
            raise CaptureError(_("Your cart is already saved in your account."))
        try:
            # The request's cart (its market from the configuration cache), written under the
            # lock this transaction holds already.
            customer = attach_contact(
                cart=cart, email=email, activity=activity,
                marketing_consent=marketing_consent, consent_source=ConsentSource.SAVED_CART,
            )  # fmt: skip
        except CartError as error:
            raise CaptureError(error.messages[0], field=error.field) from None
        cart.customer = customer  # queue_message reads it: no query
        language = customer.language or cart.language or activity.locale.language
        with translation.override(language):
            subject = _("Your cart is saved")
            body = _(
                "Hello,\n\nhere is your cart, saved as you asked. It waits for you on any "
                "device:\n{restore_link}\n\n{cart_items}\n\nTotal: {cart_total}"
            )
        message = queue_message(
            key=key, cart=cart, channel=Channel.EMAIL, subject=subject, body=body,
            requested=True,
        )  # fmt: skip
    return SavedCart(message=message, created=True)
