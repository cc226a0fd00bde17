"""Where the PostgreSQL comes from: GONGZHI_DATABASE_URL, or an embedded server in the data folder.

The embedded server is `pgembed` (Python >= 3.12) or `pgserver` (Python 3.11); both have
`get_server(path)`, and both stop the server when the last process using it exits: each process
that uses it writes its PID into `pg/.handle_pids.json` and removes it at exit (atexit), and the
last one out stops the server. A process killed with SIGKILL never removes its PID, so the PIDs of
dead processes are pruned from that list before a process joins; the CLI turns SIGTERM and SIGHUP
into SystemExit so that atexit runs (backend/cli).
"""
from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import warnings
from pathlib import Path
from typing import Any

import psutil
from psycopg.conninfo import conninfo_to_dict

_servers: dict[Path, Any] = {}
HANDLES = ".handle_pids.json"  # pgserver's (and pgembed's) list of the processes using a server


def embedded_url(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL in `data_dir/pg` and return its URL."""
    pgdata = (data_dir / "pg").resolve()
    if pgdata not in _servers:
        pgdata.mkdir(parents=True, exist_ok=True)
        module = _embedded_module()
        with getattr(module.PostgresServer, "_lock", None) or contextlib.nullcontext():  # the handle list's lock
            prune_dead_handles(pgdata)
        _servers[pgdata] = module.get_server(str(pgdata), cleanup_mode="stop")
    return _servers[pgdata].get_uri()


def stop_embedded(data_dir: Path) -> None:
    """Let go of the embedded PostgreSQL in `data_dir/pg` now (it stops if no other process uses
    it), as this process's exit would; for a caller about to delete the folder."""
    server = _servers.pop((data_dir / "pg").resolve(), None)
    if server is not None:
        server.cleanup()
        atexit.unregister(server._cleanup)


def handle_pids(pgdata: Path) -> list[int]:
    """The PIDs of the processes that hold the embedded server in `pgdata`, as written on disk."""
    path = pgdata / HANDLES
    return json.loads(path.read_text()) if path.exists() else []


def prune_dead_handles(pgdata: Path) -> list[int]:
    """Drop the PIDs of processes that no longer run (killed with SIGKILL, say) from the handle
    list, so that the last live user still stops the server; returns the PIDs dropped."""
    pids = handle_pids(pgdata)
    dead = [pid for pid in pids if not _alive(pid)]
    if dead:
        (pgdata / HANDLES).write_text(json.dumps([pid for pid in pids if pid not in dead]))
    return dead


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _embedded_module() -> Any:
    for name in ("pgembed", "pgserver"):
        try:
            with warnings.catch_warnings():  # its lock folder falls back to /tmp without XDG_RUNTIME_DIR: fine
                warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
                return importlib.import_module(name)
        except ImportError:
            continue
    raise RuntimeError("no embedded PostgreSQL: install pgembed (Python >= 3.12) or pgserver, "
                       "or set GONGZHI_DATABASE_URL")


def eventsourcing_env(url: str, pool_size: int = 8) -> dict[str, str]:
    """The eventsourcing library's PostgreSQL settings for a URL."""
    params = conninfo_to_dict(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": params.get("dbname") or "postgres",
        "POSTGRES_HOST": params.get("host") or "127.0.0.1",
        "POSTGRES_PORT": str(params.get("port") or 5432),
        "POSTGRES_USER": params.get("user") or "postgres",
        "POSTGRES_PASSWORD": params.get("password") or "",
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_CONNECT_TIMEOUT": "30",
    }


#: How long a new asyncpg connection may take (asyncpg's default is 60 s): a database that does not answer
#: (a host gone, a PostgreSQL that accepts but does not serve) is UNAVAILABLE after this, not a request hung for a minute.
CONNECT_TIMEOUT_S = 10.0


def asyncpg_dsn(url: str) -> dict[str, Any]:
    """asyncpg connect() (and create_pool()) keyword arguments for a URL (host may be a socket folder)."""
    params = conninfo_to_dict(url)
    return {
        "timeout": CONNECT_TIMEOUT_S,
        "host": params.get("host") or "127.0.0.1",
        "port": int(params.get("port") or 5432),
        "user": params.get("user") or "postgres",
        "password": params.get("password") or None,
        "database": params.get("dbname") or "postgres",
    }


async def keep_session(conn: Any) -> None:
    """The pools' reset: nothing more than asyncpg's own (an open transaction is rolled back).

    asyncpg's default resets every connection's session with a query on each release, one round
    trip per pool use. Nothing here leaves session state behind: settings are SET LOCAL, advisory
    locks are transaction-scoped, cursors live in transactions, and the one LISTEN is removed by
    its owner (backend/application/follower.py)."""
