"""Reports for staff: the checkout funnel, payment failures, why carts are lost, what recovery
earns and A/B tests. The top layer: it reads recovery, checkout, cart and shop; nothing imports
it. What happens to carts is recorded as append-only events by receivers of the lower apps'
signals (``recovery.reports.receivers``)."""
