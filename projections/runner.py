"""The projection runner: follows the log and keeps every read model up to date.

Each batch is one transaction that locks the projections' tracking rows, reads the events
after them, gives each event to the projections that have not seen it, applies the statements
they made (see projections/base.py), and moves the tracking rows: a read model and its
position commit together, so a crash neither applies an event twice nor skips one, and two
runners (two servers, or a rebuild) take turns.
It wakes on the log's NOTIFY and catches up from its tracked position at start.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import asyncpg

from backend.application.follower import LogFollower
from backend.application.log import EventLog, LoggedEvent
from projections.base import Handler, Projection, Writes
from projections.migrations import migrate
from projections.shadow import Shadow

BATCH = 500
REBUILD_BATCH = 2000


class ProjectionRunner:
    def __init__(self, pool: asyncpg.Pool, events: EventLog, projections: Sequence[Projection]) -> None:
        self.pool = pool
        self.events = events
        self.projections = tuple(projections)
        self.names = [p.name for p in self.projections]
        self.position = 0  # every projection has processed the log up to here
        self._handlers: dict[str, list[tuple[str, Handler]]] = {}
        self._advanced = asyncio.Condition()
        self._follower = LogFollower(pool, "projection-runner", self.catch_up)

    async def migrate(self) -> list[str]:
        async with self.pool.acquire() as conn:
            return await migrate(conn, self.projections)

    # -- one batch ----------------------------------------------------------------------
    async def _apply_batch(self, conn: asyncpg.Connection, limit: int = BATCH) -> tuple[int, int]:
        """Inside a transaction: apply the next events. Returns (events read, new position)."""
        rows = await conn.fetch("SELECT name, position FROM projection_tracking WHERE name = ANY($1)"
                                " ORDER BY name FOR UPDATE", self.names)
        positions = {r["name"]: r["position"] for r in rows}
        low = min(positions.values(), default=0)
        batch = await self.events.read(low, limit, conn=conn)
        for writes in self._project(batch, positions):
            await writes.apply(conn)
        if batch:
            last = batch[-1].position
            await conn.execute("UPDATE projection_tracking SET position = $2 WHERE name = ANY($1)"
                               " AND position < $2", self.names, last)
            return len(batch), max(low, last)
        return 0, low

    def _project(self, batch: list[LoggedEvent], positions: dict[str, int] | None = None) -> list[Writes]:
        """The statements `batch` calls for, per projection (those past an event skip it)."""
        writes = {name: Writes() for name in self.names}
        for event in batch:
            for name, handler in self._handlers_for(event.type):
                if positions is None or positions[name] < event.position:
                    handler(writes[name], event)
        return list(writes.values())

    def _handlers_for(self, event_type: str) -> list[tuple[str, Handler]]:
        handlers = self._handlers.get(event_type)
        if handlers is None:
            handlers = self._handlers[event_type] = [
                (p.name, handler) for p in self.projections if (handler := p.handler(event_type)) is not None]
        return handlers

    async def catch_up(self) -> int:
        """Apply everything in the log now; return how many events were read."""
        total = 0
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                count, position = await self._apply_batch(conn)
            await self._advance(position)
            total += count
            if count < BATCH:
                return total

    async def _advance(self, position: int) -> None:
        if position > self.position:
            self.position = position
            async with self._advanced:
                self._advanced.notify_all()

    async def wait_for(self, position: int, timeout: float) -> bool:
        """Wait until every read model has processed `position`; False on timeout."""
        if self.position >= position:
            return True
        self._follower.poke()
        try:
            async with asyncio.timeout(timeout):
                async with self._advanced:
                    await self._advanced.wait_for(lambda: self.position >= position)
            return True
        except TimeoutError:
            return False

    # -- following the log ----------------------------------------------------------------
    async def start(self) -> None:
        await self.catch_up()
        await self._follower.start()

    async def stop(self) -> None:
        await self._follower.stop()

    # -- operations ---------------------------------------------------------------------------
    async def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Replay the whole log into new copies of every read model and swap them in, in one
        transaction (projections/shadow.py): readers see the old tables until the new ones commit.

        While PostgreSQL writes one batch, the next is read (on a second connection) and
        projected: the two halves of the work overlap instead of taking turns."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1 FROM projection_tracking WHERE name = ANY($1) FOR UPDATE", self.names)
            head = await self.events.head(conn)
            shadow = await Shadow.create(conn, [table for p in self.projections for table in p.tables])
            ahead: asyncio.Queue[tuple[list[Writes], int, int] | BaseException] = asyncio.Queue(maxsize=2)
            reading = asyncio.create_task(self._read_ahead(ahead))
            done = position = 0
            try:
                while True:
                    item = await ahead.get()
                    if isinstance(item, BaseException):
                        raise item
                    batch_writes, count, position = item
                    for writes in batch_writes:
                        await writes.apply(conn)
                    done += count
                    if progress:
                        progress(position, head)
                    if count < REBUILD_BATCH:
                        break
            finally:
                reading.cancel()
            await conn.execute("UPDATE projection_tracking SET position = $2 WHERE name = ANY($1)", self.names,
                               position)
            await shadow.swap(conn)
        await self._advance(position)
        return done

    async def _read_ahead(self, ahead: asyncio.Queue[tuple[list[Writes], int, int] | BaseException]) -> None:
        try:
            async with self.pool.acquire() as conn:
                position = 0
                while True:
                    batch = await self.events.read(position, REBUILD_BATCH, conn=conn)
                    position = batch[-1].position if batch else position
                    await ahead.put((self._project(batch), len(batch), position))
                    if len(batch) < REBUILD_BATCH:
                        return
        except Exception as e:  # noqa: BLE001 - the rebuild's transaction hears of it and rolls back
            await ahead.put(e)

    async def status(self) -> list[dict[str, int | str]]:
        async with self.pool.acquire() as conn:
            head = await self.events.head(conn)
            rows = await conn.fetch("SELECT name, position FROM projection_tracking WHERE name = ANY($1)"
                                    " ORDER BY name", self.names)
        return [{"name": r["name"], "position": r["position"], "head": head, "lag": head - r["position"]}
                for r in rows]
