"""A failed payment's category and the provider's code, from what the provider reported.

Providers report a status (failed or cancelled) and a reason line for staff: Stripe's is the
decline message with its code in brackets ("Your card was declined. (card_declined)"), the
sandbox's "sandbox: failed", the expiry job's "expired: not paid in time".
"""

from __future__ import annotations

import re

from recovery.reports.models import FailureCategory

_CODE = re.compile(r"\(([A-Za-z0-9_.-]+)\)\s*$")
# Codes and words that mean the provider, not the shopper's bank, failed.
_PROVIDER_ERRORS = ("processing_error", "api_error", "rate_limit", "provider", "timeout",
                    "unavailable", "internal")  # fmt: skip


def categorise(status: str, reason: str) -> tuple[str, str]:
    """(category, provider code) of a payment that ended ``failed`` or ``cancelled``."""
    reason = (reason or "").strip()
    match = _CODE.search(reason)
    code = match.group(1) if match else ""
    lowered = reason.lower()
    if not code and lowered.startswith("sandbox:"):  # "sandbox: failed"
        code = lowered.split(":", 1)[1].strip()
    if "expired" in lowered or "not paid in time" in lowered:
        category = FailureCategory.EXPIRED
        code = code or "expired"
    elif status == "cancelled":
        category = FailureCategory.CANCELLED
    elif any(word in lowered for word in _PROVIDER_ERRORS):
        category = FailureCategory.PROVIDER_ERROR
    else:
        category = FailureCategory.DECLINED
    return str(category), code[:64]
