"""Local HTTP servers that answer like Twilio's Messaging API and WhatsApp's Cloud API, with
bodies shaped like theirs (recorded from their documentation), including their errors. Each
records every request it received, so a test counts what would have reached the provider.
Nothing leaves 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-test-token"
TWILIO_FROM = "+15557122661"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
PHONE_NUMBER_ID = "106540352242922"
WHATSAPP_MESSAGES = f"/v21.0/{PHONE_NUMBER_ID}/messages"


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    form: dict[str, str]
    json: object


@dataclass
class Answer:
    status: int
    body: dict | Callable[[Received], dict]
    delay: float = 0.0  # seconds before answering: longer than the client's timeout = no answer


class FakeProvider:
    """Answers each (method, path) with its scripted answers in turn (the last one again once
    the script runs out), and records every request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.scripts: dict[tuple[str, str], list[Answer]] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.serve(self, "GET")

            def do_POST(self) -> None:
                provider.serve(self, "POST")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.01}, daemon=True)  # fmt: skip

    def script(self, method: str, path: str, *answers: Answer) -> None:
        self.scripts[(method, path)] = list(answers)

    def requests(self, method: str, path: str) -> list[Received]:
        return [r for r in self.received if (r.method, r.path) == (method, path)]

    def serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        content_type = handler.headers.get("Content-Type", "")
        received = Received(
            method=method, path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in handler.headers.items()},
            form=dict(parse_qsl(raw, keep_blank_values=True)) if "form" in content_type else {},
            json=json.loads(raw) if "json" in content_type and raw else None,
        )  # fmt: skip
        self.received.append(received)
        script = self.scripts.get((method, url.path))
        if not script:
            answer = Answer(404, {"code": 20404, "message": "The requested resource was not found",
                                  "status": 404})  # fmt: skip
        else:
            answer = script.pop(0) if len(script) > 1 else script[0]
        if answer.delay:
            time.sleep(answer.delay)
        body = answer.body(received) if callable(answer.body) else answer.body
        payload = json.dumps(body).encode()
        try:
            handler.send_response(answer.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:  # the client gave up waiting
            pass

    def start(self) -> FakeProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_url() -> str:
    """An address where nothing listens: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- Twilio's answers --------------------------------------------------------------------------


def twilio_message(received: Received, *, sid: str | None = None, status: str = "queued",
                   date_sent: str | None = None) -> dict:  # fmt: skip
    """The Message resource Twilio returns for a created message (201)."""
    sid = sid or "SM" + uuid.uuid4().hex
    return {
        "account_sid": ACCOUNT_SID, "api_version": "2010-04-01",
        "body": received.form.get("Body", ""), "date_created": "Mon, 07 Dec 2026 14:00:00 +0000",
        "date_sent": date_sent, "date_updated": "Mon, 07 Dec 2026 14:00:00 +0000",
        "direction": "outbound-api", "error_code": None, "error_message": None,
        "from": received.form.get("From", TWILIO_FROM), "messaging_service_sid": None,
        "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD",
        "sid": sid, "status": status, "to": received.form.get("To", ""),
        "subresource_uris": {"media": f"{MESSAGES[:-5]}/{sid}/Media.json"},
        "uri": f"{MESSAGES[:-5]}/{sid}.json",
    }  # fmt: skip


def twilio_accepts(**fields) -> Answer:
    return Answer(201, lambda received: twilio_message(received, **fields))


def twilio_error(status: int, code: int, message: str) -> Answer:
    return Answer(status, {"code": code, "message": message, "status": status,
                           "more_info": f"https://www.twilio.com/docs/errors/{code}"})  # fmt: skip


def twilio_list(*messages: dict) -> Answer:
    return Answer(200, {
        "messages": list(messages), "end": max(len(messages) - 1, 0), "page": 0,
        "page_size": 50, "start": 0, "next_page_uri": None, "previous_page_uri": None,
        "first_page_uri": MESSAGES + "?PageSize=50&Page=0", "uri": MESSAGES,
    })  # fmt: skip


INVALID_NUMBER = twilio_error(400, 21211, "Invalid 'To' Phone Number: +4915100000000")
TOO_MANY_REQUESTS = twilio_error(429, 20429, "Too Many Requests")
TWILIO_DOWN = twilio_error(503, 20503, "Service Unavailable")


# --- WhatsApp's answers ------------------------------------------------------------------------


def whatsapp_accepts(message_id: str = "") -> Answer:
    def body(received: Received) -> dict:
        to = (received.json or {}).get("to", "")
        wamid = message_id or "wamid." + uuid.uuid4().hex.upper()
        return {"messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                "messages": [{"id": wamid}]}  # fmt: skip

    return Answer(200, body)


def whatsapp_error(status: int, code: int, message: str, details: str = "") -> Answer:
    return Answer(status, {"error": {
        "message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details},
        "fbtrace_id": "A3kP0mXq9Lr",
    }})  # fmt: skip


NOT_ON_WHATSAPP = whatsapp_error(400, 131026, "(#131026) Message Undeliverable.",
                                 "Message Undeliverable.")  # fmt: skip
WHATSAPP_THROTTLED = whatsapp_error(400, 130429, "(#130429) Rate limit hit",
                                    "Cloud API message throughput has been reached.")  # fmt: skip
WHATSAPP_DOWN = whatsapp_error(503, 131016, "(#131016) Service unavailable",
                               "A service is temporarily unavailable.")  # fmt: skip
