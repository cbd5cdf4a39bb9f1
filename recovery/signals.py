"""What recovery hears from the layers below.

- An order placed from a cart that had been abandoned counts as *recovered* only when a recovery
  message was sent for that abandonment (credited to the message whose link the customer
  followed); without one the shopper came back by themselves: the cart is *converted*, with
  ``was_abandoned`` kept (``recovery.selectors.abandonment_outcomes``). Checkout marks such a
  cart recovered on ``was_abandoned`` alone; recovery knows about messages, so it decides here.
- A cart saved through the ORM, or reopened by an unpaid order's expiry, may become, or stop
  being, its customer's latest abandoned cart (``recovery.latest_carts``). Carts that were
  never abandoned cost no query here.

And what recovery tells the layers above it (the reports): ``leave_feedback_given``.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from cart.models import Cart, CartStatus
from checkout.services import order_expired, order_placed
from recovery import latest_carts
from recovery.models import MessageStatus, RecoveryMessage

# What recovery tells the layers above (reports):
# detection abandoned carts, sender=Cart, cart_ids=[...] (after its statements);
carts_abandoned = Signal()
# a restore link put a cart back into a browser, sender=Cart, cart=<Cart>, message_id=<id>;
cart_restored = Signal()
# the shopper answered "why did you leave?" (first answer or a changed one), sent after
# commit: sender=LeaveFeedback, feedback=<LeaveFeedback>.
leave_feedback_given = Signal()


@receiver(order_placed, dispatch_uid="recovery_attribute_order")
def attribute_recovered_order(sender, order, **kwargs) -> None:
    cart = order.cart
    if cart is None or cart.status != CartStatus.RECOVERED:
        return
    sent = RecoveryMessage.objects.filter(
        cart_id=cart.pk, status=MessageStatus.SENT, sent_at__lte=order.created_at
    )
    if not sent.exists():  # idle, then ordered without any message: returned by itself
        Cart.objects.filter(pk=cart.pk, status=CartStatus.RECOVERED).update(
            status=CartStatus.CONVERTED, was_abandoned=True
        )
        cart.status = CartStatus.CONVERTED
        return
    message = sent.filter(clicked_at__isnull=False).order_by("-clicked_at").first()
    if message is not None:
        RecoveryMessage.objects.filter(pk=message.pk).update(recovered_order=order)


@receiver(order_expired, dispatch_uid="recovery_latest_abandonment_on_expiry")
def order_expired_unpaid(sender, order, **kwargs) -> None:
    """An unpaid order past its window reopens its cart as abandoned (a bulk update): the
    customer's latest abandoned cart may be that one now."""
    latest_carts.refresh([order.customer_id])


@receiver(post_save, sender=Cart, dispatch_uid="recovery_latest_abandonment_on_save")
def cart_saved(sender, instance: Cart, raw: bool = False, **kwargs) -> None:
    if raw:  # loading fixtures: ``latest_carts.rebuild`` afterwards
        return
    if instance.status == CartStatus.ABANDONED and instance.customer_id:
        latest_carts.refresh([instance.customer_id, latest_carts.forget_cart(instance.pk)])
    elif instance.was_abandoned or instance.abandoned_at is not None:
        previous = latest_carts.forget_cart(instance.pk)
        if previous is not None:
            latest_carts.refresh([previous])


@receiver(post_delete, sender=Cart, dispatch_uid="recovery_latest_abandonment_on_delete")
def cart_deleted(sender, instance: Cart, **kwargs) -> None:
    if instance.status == CartStatus.ABANDONED and instance.customer_id:
        latest_carts.refresh([instance.customer_id])


@receiver(order_placed, dispatch_uid="recovery_stop_flows_on_order")
def stop_flows_on_order(sender, order, **kwargs) -> None:
    """An order stops its cart's and its customer's automated flows at once (the cron and the
    check before sending would catch it within a minute; this closes that minute)."""
    from recovery.flows import stop_for_order

    stop_for_order(order=order)
