"""The gateways' webhooks: outside the language prefix, since a gateway calls one fixed URL."""

from django.urls import path

from recovery import webhooks

app_name = "recovery-webhooks"

urlpatterns = [
    path("twilio/status/", webhooks.twilio_status, name="twilio-status"),
    path("twilio/inbound/", webhooks.twilio_inbound, name="twilio-inbound"),
    path("whatsapp/", webhooks.whatsapp, name="whatsapp"),
]
