"""Leases: which process does a piece of work, when several share one store: the projections each projector
process runs, and which relay publishes a stream (`relay:<stream>`, backend/application/relay.py).

Any number of projector processes (or servers that run projections) may follow the log; for each
projection exactly one of them holds it at a time. A lease is a PostgreSQL session advisory lock
(`pg_try_advisory_lock(LOCK_CLASS, hashtext(name))`) held on a connection of the lease's own: it lasts
as long as that connection, so a holder that dies (SIGKILL, a lost host) lets go when PostgreSQL sees
its connection close (at once on one host; within the TCP keepalives set below across a network).
A standby tries for the leases it lacks every `LEASE_POLL_S` and, on getting one, catches up from
the projection's tracked position.

The lease decides who works; it is not what keeps the read models right. Every batch still locks its
projections' tracking rows (projections/runner.py) and moves them in the transaction that writes the
read models, so a holder that lost its lease connection but still has a batch in flight, and the new
holder, take turns on those rows: no event is applied twice or skipped, whoever holds what.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger("gongzhi.leases")

LOCK_CLASS = 0x67A7  # the advisory locks' first key: leases (the second is hashtext of the lease's name)
LEASE_POLL_S = 0.5  # how often a standby tries for the leases it lacks
RECONNECT_MAX_S = 2.0
#: PostgreSQL's side of a lease's connection: a holder whose host vanishes is noticed within about 5 + 2 * 3 s.
KEEPALIVES = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3",
              "application_name": "gongzhi-leases"}


class Leases:
    """The leases on `names` this process holds, kept on one connection; `on_gained` hears of new ones."""

    def __init__(self, dsn: dict[str, Any], names: Sequence[str], on_gained: Callable[[], None] | None = None,
                 poll_s: float = LEASE_POLL_S) -> None:
        self.dsn = dsn
        self.names = tuple(names)
        self.on_gained = on_gained
        self.poll_s = poll_s
        self._held: set[str] = set()
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def held(self) -> frozenset[str]:
        """The projections this process holds now (none while its lease connection is down)."""
        if self._conn is None or self._conn.is_closed():
            return frozenset()
        return frozenset(self._held)

    async def acquire(self) -> set[str]:
        """Try once for every lease not held; return the ones gained. Connects first if need be."""
        if self._conn is None or self._conn.is_closed():
            self._held.clear()
            self._conn = await asyncpg.connect(**self.dsn, server_settings=KEEPALIVES)
        wanted = [n for n in self.names if n not in self._held]
        if not wanted:
            return set()
        rows = await self._conn.fetch(
            "SELECT name FROM unnest($1::text[]) AS name WHERE pg_try_advisory_lock($2, hashtext(name))",
            wanted, LOCK_CLASS)
        gained = {r["name"] for r in rows}
        if gained:
            self._held |= gained
            log.info("leases gained", leases=sorted(gained), held=sorted(self._held))
        return gained

    async def check(self, timeout: float = 2.0) -> bool:
        """Whether a lease is held and its session still answers within `timeout` (for one that drives `acquire`
        itself instead of `start`: a session gone silent may have lost its locks to another process)."""
        if not self.held or self._conn is None:
            return False
        try:
            await self._conn.fetchval("SELECT 1", timeout=timeout)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return False
        return True

    async def start(self) -> None:
        await self.acquire()
        self._task = asyncio.create_task(self._keep(), name="projection-leases")

    async def _keep(self) -> None:
        delay = self.poll_s
        while True:
            await asyncio.sleep(delay)
            had = bool(self._held)
            try:
                gained = await self.acquire()
                delay = self.poll_s
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                if had:
                    log.warning("projection leases lost with their connection", error=repr(e))
                self._held.clear()
                delay = min(delay * 2, RECONNECT_MAX_S)
                continue
            if gained and self.on_gained is not None:
                self.on_gained()

    async def stop(self) -> None:
        """Let go of every lease (a standby takes them at its next try)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        conn, self._conn = self._conn, None
        self._held.clear()
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 2)
            except Exception:  # noqa: BLE001 - a session that does not close is ended, and its locks with it
                conn.terminate()
