"""A tiny SMTP server on loopback for tests, from the standard library only.

It speaks the few commands ``smtplib`` (and so Django's SMTP backend) uses: EHLO/HELO, MAIL
FROM, RCPT TO, DATA, RSET, NOOP and QUIT, and keeps every accepted message, parsed::

    with LoopbackSMTPServer() as server:
        settings.MAILERS = {"default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port}}}
        ...
        server.messages[0].message["Subject"]

No authentication, no TLS, no relaying: it only records what a client hands it.
"""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

_ADDRESS = re.compile(rb"<([^>]*)>")


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the server accepted it: the envelope and the parsed message."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.data)

    def part(self, content_type: str) -> str:
        """The decoded body of the first part of ``content_type`` (``text/plain``...)."""
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                return part.get_content()
        raise LookupError(content_type)


class _Session(socketserver.StreamRequestHandler):
    server: _Server
    timeout = 10

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 localhost test SMTP server ready")
        mail_from: str | None = None
        rcpt_to: list[str] = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.rstrip(b"\r\n")
            command = line[:4].upper()
            if command == b"EHLO":
                self.reply("250-localhost")
                self.reply("250 8BITMIME")
            elif command == b"HELO":
                self.reply("250 localhost")
            elif line.upper().startswith(b"MAIL FROM:"):
                mail_from, rcpt_to = self._address(line), []
                self.reply("250 OK")
            elif line.upper().startswith(b"RCPT TO:"):
                if mail_from is None:
                    self.reply("503 MAIL FROM first")
                    continue
                rcpt_to.append(self._address(line))
                self.reply("250 OK")
            elif command == b"DATA":
                if mail_from is None or not rcpt_to:
                    self.reply("503 MAIL FROM and RCPT TO first")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = self._read_data()
                if data is None:
                    return
                self.server.received(ReceivedMail(mail_from, tuple(rcpt_to), data))
                mail_from, rcpt_to = None, []
                self.reply("250 OK queued")
            elif command == b"RSET":
                mail_from, rcpt_to = None, []
                self.reply("250 OK")
            elif command == b"NOOP":
                self.reply("250 OK")
            elif command == b"QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    @staticmethod
    def _address(line: bytes) -> str:
        match = _ADDRESS.search(line)
        value = match.group(1) if match else line.split(b":", 1)[1].strip()
        return value.decode("utf-8", "replace")

    def _read_data(self) -> bytes | None:
        lines: list[bytes] = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return None
            if raw in (b".\r\n", b".\n"):
                return b"".join(lines)
            if raw.startswith(b".."):  # RFC 5321 4.5.2: the client doubled a leading dot
                raw = raw[1:]
            lines.append(raw)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.messages: list[ReceivedMail] = []
        self._lock = threading.Lock()

    def received(self, mail: ReceivedMail) -> None:
        with self._lock:
            self.messages.append(mail)


class LoopbackSMTPServer:
    """Start with ``with`` (or ``start()``/``stop()``); ``port`` and ``messages`` while up."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def messages(self) -> list[ReceivedMail]:
        return list(self._server.messages)

    def start(self) -> LoopbackSMTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> LoopbackSMTPServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
