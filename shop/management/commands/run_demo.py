"""Serve the demo shop with everything it needs, in the foreground; Ctrl-C stops it all.

Starts an embedded Redis (unless REDIS_URL is set), an RQ worker with its scheduler, RQ's cron
for the recurring jobs, and the web server. Each runs as a child process; when one of them ends
or the command is interrupted, the others are stopped too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from shop import embedded_redis


def demo_base_url(host: str, port) -> str:
    """The address the demo serves on, as a browser on this machine reaches it."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the demo: web server, RQ worker with scheduler, RQ cron and an embedded Redis."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, **options) -> None:
        redis_process = None
        env = dict(os.environ)
        # Links in mails (sent by the worker) point where this demo serves, unless set.
        env.setdefault("SHOP_BASE_URL", demo_base_url(options["host"], options["port"]))
        if not os.environ.get("REDIS_URL"):
            redis_process = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET)
            self.stdout.write(f"Redis: embedded, on {settings.EMBEDDED_REDIS_SOCKET}")
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        commands = {
            "worker": manage + ["rqworker", "default", "mail", "--with-scheduler"],
            "cron": manage + ["rqcron", "shop.cron"],
            "web": manage + ["runserver", f"{options['host']}:{options['port']}", "--noreload"],
        }
        # Each child gets its own session: Ctrl-C reaches this command only, which then stops
        # the web server, the worker and cron in order and Redis last.
        children = {
            name: subprocess.Popen(cmd, env=env, start_new_session=True)
            for name, cmd in commands.items()
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo shop on http://{options['host']}:{options['port']}/ "
                f"(admin: /admin/; links in mails: {env['SHOP_BASE_URL']}). "
                "Ctrl-C stops everything."
            )
        )
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while all(child.poll() is None for child in children.values()):
                time.sleep(0.5)
            ended = [name for name, child in children.items() if child.poll() is not None]
            self.stderr.write(f"{', '.join(ended)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
            if redis_process is not None:
                embedded_redis.stop(redis_process)
