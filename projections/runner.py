"""The projection runner: follows the log and keeps every read model up to date.

Each batch is one transaction that locks the projections' tracking rows, reads the events
after them, gives each event to the projections that have not seen it, applies the statements
they made (see projections/base.py), and moves the tracking rows: a read model and its position commit together, so a crash neither applies an
event twice nor skips one, and two runners (two servers, or a rebuild) take turns.
It wakes on the log's NOTIFY and catches up from its tracked position at start.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import asyncpg

from backend.application.follower import LogFollower
from backend.application.log import EventLog
from projections.base import Projection, Writes
from projections.migrations import migrate

BATCH = 500


class ProjectionRunner:
    def __init__(self, pool: asyncpg.Pool, events: EventLog, projections: Sequence[Projection]) -> None:
        self.pool = pool
        self.events = events
        self.projections = tuple(projections)
        self.names = [p.name for p in self.projections]
        self.position = 0  # every projection has processed the log up to here
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
        writes = {projection.name: Writes() for projection in self.projections}
        for event in batch:
            for projection in self.projections:
                if positions[projection.name] < event.position:
                    handler = projection.handler(event.type)
                    if handler is not None:
                        handler(writes[projection.name], event)
        for projection_writes in writes.values():
            await projection_writes.apply(conn)
        if batch:
            last = batch[-1].position
            await conn.execute("UPDATE projection_tracking SET position = $2 WHERE name = ANY($1)"
                               " AND position < $2", self.names, last)
            return len(batch), max(low, last)
        return 0, low

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
        """Empty every read model and replay the whole log, in one transaction: readers see
        the old tables until the new ones commit."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1 FROM projection_tracking WHERE name = ANY($1) FOR UPDATE", self.names)
            head = await self.events.head(conn)
            for projection in self.projections:
                for table in projection.tables:
                    await conn.execute(f"DELETE FROM {table}")
            await conn.execute("UPDATE projection_tracking SET position = 0 WHERE name = ANY($1)", self.names)
            done = 0
            while True:
                count, position = await self._apply_batch(conn)
                done += count
                if progress:
                    progress(position, head)
                if count < BATCH:
                    break
        await self._advance(position)
        return done

    async def status(self) -> list[dict[str, int | str]]:
        async with self.pool.acquire() as conn:
            head = await self.events.head(conn)
            rows = await conn.fetch("SELECT name, position FROM projection_tracking WHERE name = ANY($1)"
                                    " ORDER BY name", self.names)
        return [{"name": r["name"], "position": r["position"], "head": head, "lag": head - r["position"]}
                for r in rows]
