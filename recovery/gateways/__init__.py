"""Gateways that carry SMS and WhatsApp messages: Twilio, WhatsApp's Cloud API, and offline
backends that write to files (the default: the demo needs no network).

A backend is a class named by a dotted path in settings (``RECOVERY_SMS_BACKEND``,
``RECOVERY_WHATSAPP_BACKEND``), like ``EMAIL_BACKEND``; ``recovery.channels`` is the entry
point senders call. Each backend returns the gateway's id for the message and raises a
``recovery.gateways.base.GatewayError`` that says whether trying again can help.
"""
