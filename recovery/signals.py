"""An order placed from an abandoned cart is credited to the last message whose link the
customer followed (for recovered revenue)."""

from __future__ import annotations

from django.dispatch import receiver

from cart.models import CartStatus
from checkout.services import order_placed
from recovery.models import RecoveryMessage


@receiver(order_placed, dispatch_uid="recovery_attribute_order")
def attribute_recovered_order(sender, order, **kwargs) -> None:
    if order.cart.status != CartStatus.RECOVERED:
        return
    message = (
        RecoveryMessage.objects.filter(cart_id=order.cart_id, clicked_at__isnull=False)
        .order_by("-clicked_at")
        .first()
    )
    if message is not None:
        RecoveryMessage.objects.filter(pk=message.pk).update(recovered_order=order)
