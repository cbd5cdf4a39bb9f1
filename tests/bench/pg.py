"""Processes the benchmarks start and measure: a throwaway PostgreSQL cluster, and CPU time and
memory of a process tree read from /proc.

CPU per request is the figure that other load on a shared machine disturbs least: read
``utime + stime + cutime + cstime`` (fields 14-17 of ``/proc/PID/stat``) of a parent and of its
live children before and after a run, divide by the requests served.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

# A production-like server on a small machine; fsync off because the cluster is thrown away.
WEB_SETTINGS = ["fsync=off", "shared_buffers=256MB", "max_connections=200"]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # as servers bind: a port left in TIME_WAIT by the previous run is free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port(preferred: int | None = None) -> int:
    """``preferred`` if nothing listens there, otherwise any free port."""
    if preferred and port_is_free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayPostgres:
    """A cluster in a temporary directory, run as the postgres user when we are root; removed
    by ``stop()``."""

    def __init__(self, port: int | None = None, settings: list[str] | None = None) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                       key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)  # fmt: skip
        if not found:
            raise RuntimeError("no PostgreSQL under /usr/lib/postgresql/*/bin; set DATABASE_URL")
        self.bin = found[-1].parent
        self.settings = settings if settings is not None else WEB_SETTINGS
        self.dir = Path(tempfile.mkdtemp(prefix="shop-bench-pg-"))
        self.data = self.dir / "data"
        self.port = free_port(port)
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.running = False

    @property
    def version(self) -> str:
        return self.bin.parent.name

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_postgres, str(self.bin / tool), *args], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip

    def start(self) -> str:
        """Start it; returns the URL of an empty database ``shop_bench``."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-locale")  # fmt: skip
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 " + " ".join(
            f"-c {setting}" for setting in self.settings
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                  "-w", "start")  # fmt: skip
        self.running = True
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:  # fmt: skip
            conn.execute("CREATE DATABASE shop_bench")
        return f"postgres://postgres@127.0.0.1:{self.port}/shop_bench"

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        if self.running:
            self.running = False
            subprocess.run([*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data),
                            "-m", "immediate", "stop"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


def proc_cpu(pid: int) -> tuple[float, float, int]:
    """(own CPU s, reaped children's CPU s, parent pid) of a process, from /proc."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on
    tick = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) / tick  # utime, stime: fields 14, 15
    return own, (int(fields[13]) + int(fields[14])) / tick, int(fields[1])  # cutime, cstime


def children(parent: int) -> list[int]:
    """Live child processes of ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if proc_cpu(int(entry.name))[2] == parent:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):  # gone meanwhile
                continue
    return found


def tree_cpu(parent: int) -> float:
    """CPU seconds of ``parent``, its live children and the children it reaped (a gunicorn
    master and its workers, a postmaster and its backends)."""
    for _ in range(20):  # again if a child was reaped meanwhile: counted twice or never
        _own, reaped, _ = proc_cpu(parent)
        live = 0.0
        for child in children(parent):
            try:
                own, child_reaped, _ = proc_cpu(child)
            except (OSError, ValueError, IndexError):
                continue
            live += own + child_reaped
        own, reaped_after, _ = proc_cpu(parent)
        if reaped_after == reaped:
            break
    return own + reaped_after + live


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB (VmRSS of /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
