"""System checks of the SMS and WhatsApp gateways: a real gateway chosen without its
credentials would fail every message at the first attempt, so ``manage.py check`` (and
``check --deploy``, ``migrate``, ``runserver``) names the missing settings at start-up."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string

TWILIO = "recovery.gateways.sms_twilio.TwilioSmsBackend"
WHATSAPP = "recovery.gateways.whatsapp_cloud.WhatsAppCloudBackend"
NEEDS = {
    TWILIO: ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"),
    WHATSAPP: ("WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_TEMPLATE"),
}
#: Not needed to send, but without them the gateway's status callbacks are refused (403).
WEBHOOK_NEEDS = {WHATSAPP: ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN")}


def _not_set(names: list[str]) -> str:
    return f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} not set"


@register("recovery")
def gateways_have_credentials(app_configs=None, **kwargs) -> list[Warning | Error]:
    found: list[Warning | Error] = []
    for setting in ("RECOVERY_SMS_BACKEND", "RECOVERY_WHATSAPP_BACKEND"):
        path = getattr(settings, setting)
        try:
            import_string(path)
        except ImportError as error:
            found.append(Error(f"{setting} = {path!r} cannot be imported: {error}",
                               obj=setting, id="recovery.E001"))  # fmt: skip
            continue
        missing = [name for name in NEEDS.get(path, ()) if not getattr(settings, name, "")]
        if missing:
            found.append(Warning(
                f"{setting} is {path}, but {_not_set(missing)}: every message on "
                "this channel will fail.",
                hint="Set the variables in the environment (see the README's \"SMS and "
                     "WhatsApp\"), or leave the offline gateway in place.",
                obj=setting, id="recovery.W001",
            ))  # fmt: skip
        unsigned = [name for name in WEBHOOK_NEEDS.get(path, ())
                    if not getattr(settings, name, "")]  # fmt: skip
        if unsigned:
            found.append(Warning(
                f"{setting} is {path}, but {_not_set(unsigned)}: the gateway's "
                "status webhook refuses every call, so no delivery is recorded.",
                obj=setting, id="recovery.W002",
            ))  # fmt: skip
    return found
