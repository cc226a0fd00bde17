"""A private PostgreSQL cluster for a test that stops or restarts its database (tests/test_faults.py), or that
needs a streaming replica of it (tests/test_replica.py).

Never the shared service on 127.0.0.1:5432, nor the session's embedded server: a cluster of its own, made
with `initdb` in a temporary folder, listening on a free port of 127.0.0.1, started and stopped with `pg_ctl`.
The binaries are the embedded package's (pgserver/pgembed, a dependency of the project) or Debian's. As root
(CI), the cluster runs as `nobody` (PostgreSQL refuses to run as root), in a folder under the system's temp
folder that `nobody` owns (pytest's own temp folders are private to root).
"""
from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from glob import glob
from pathlib import Path

from tests.harness import free_port

USER = "nobody"  # who runs the cluster when the tests run as root


def bin_dir() -> Path:
    """A folder with initdb, pg_ctl and postgres: the embedded package's, else Debian's newest."""
    for name in ("pgserver", "pgembed"):
        with contextlib.suppress(ImportError, AttributeError), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")  # its lock folder: not used here
            module = importlib.import_module(f"{name}._commands")
            path = Path(module.POSTGRES_BIN_PATH)
            if (path / "pg_ctl").exists():
                return path
    for found in sorted(glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        if Path(found, "pg_ctl").exists():
            return Path(found)
    raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) found")


class Cluster:
    """One PostgreSQL cluster: `start()`, `stop()`, `restart()`; `url` is its `postgres` database."""

    def __init__(self, primary: Cluster | None = None) -> None:
        """A new cluster; with `primary` (started), its streaming replica (pg_basebackup -R: a hot standby)."""
        self.bin = bin_dir()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="gongzhi-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "log"
        self.user = USER if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.dir, self.user)
        if primary is None:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                      "--no-sync")
        else:  # initdb's trust rules admit replication connections from 127.0.0.1
            self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                      "-D", str(self.data), "-R", "-X", "stream", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([str(self.bin / program), *args], user=self.user, cwd=self.dir, capture_output=True,
                              text=True, timeout=60)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr or done.stdout}\n{log}")

    def _ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", *args)

    def start(self) -> Cluster:
        # TCP on 127.0.0.1 only; the socket in the cluster's own folder; fsync off (a test's cluster, killed with it)
        self._ctl("-o", f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c fsync=off -c max_connections=100", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """`fast`: every session is ended and open transactions roll back (what a service stop does)."""
        self._ctl("-m", mode, "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def replicated() -> Iterator[tuple[Cluster, Cluster]]:
    """A started private primary and its started streaming replica, both removed afterwards."""
    with cluster() as primary:
        replica = Cluster(primary)
        try:
            yield primary, replica.start()
        finally:
            replica.remove()


@contextlib.contextmanager
def cluster() -> Iterator[Cluster]:
    """A started private cluster, stopped and deleted afterwards."""
    made = Cluster()
    try:
        yield made.start()
    finally:
        made.remove()
