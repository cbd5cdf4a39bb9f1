"""``{% exit_intent %}``: the save-my-cart dialog for the cart and checkout templates.

The cart and checkout apps never import recovery (layers point down); their templates load this
tag, which renders ``recovery/_exit_intent.html`` when the dialog belongs on the page
(``recovery.capture.can_offer``) and nothing otherwise. It reads no database: the cart, its
pricing and the market are the page's already.
"""

from __future__ import annotations

from django import template

from checkout.forms import ContactForm
from checkout.selectors import consent_text
from recovery.capture import OFFER_AFTER_SECONDS, can_offer, storage_key

register = template.Library()


@register.inclusion_tag("recovery/_exit_intent.html", takes_context=True)
def exit_intent(context) -> dict:
    request = context.get("request")
    cart = context.get("cart")
    pricing = context.get("pricing")
    user = getattr(request, "user", None)
    if request is None or pricing is None or pricing.is_empty or not can_offer(cart, user):
        return {"offer": False}
    market = getattr(request.shop, "market", None)
    opt_in = market is None or market.marketing_opt_in_required
    # The checkout's box with its words for e-mail alone (no phone is asked here), unticked
    # where the market requires an opt-in (EU, UK), ticked elsewhere.
    form = ContactForm(consent_label=consent_text(market, sms_apart=True),
                       consent_initial=not opt_in, auto_id="exit-intent-%s")  # fmt: skip
    return {"offer": True, "form": form, "storage_key": storage_key(cart),
            "after_seconds": OFFER_AFTER_SECONDS,
            "next": request.get_full_path(), "csrf_token": context.get("csrf_token")}  # fmt: skip
