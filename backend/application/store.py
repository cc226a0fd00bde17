"""Appending to the event store from the event loop: the one place where events are written
beside eventsourcing's own recorder.

The library's recorder takes `LOCK TABLE ... IN EXCLUSIVE MODE` in every insert transaction so
that positions become visible in order: the log stays gap-free for readers, but every save
waits for every earlier save's commit. Commands driven on the event loop
(backend/application/gateway.py) append here instead: the saves that arrive while a batch is
being written form the next batch, written in one transaction that takes the same lock and sends
the same NOTIFY, so the ordering guarantee and the table are the library's, and the library's
recorder (the synchronous path: CLI, demo loader) may write beside it. A save whose events
conflict (a stale version, a second ballot) fails alone, through a savepoint; the others in its
batch commit.
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

MAX_BATCH = 500  # saves in one transaction
Pending = tuple[Sequence[StoredEvent], "asyncio.Future[list[int]]"]


def positions(events: Sequence[StoredEvent], ids: dict[tuple[Any, int], int]) -> list[int]:
    """A save's positions, from what its INSERT returned."""
    return [ids[(e.originator_id, e.originator_version)] for e in events]


class AsyncAppender:
    """Group commit on the event loop (see the module's docstring)."""

    def __init__(self, pool: asyncpg.Pool, recorder: PostgresApplicationRecorder) -> None:
        schema, table = recorder.datastore.schema, recorder.events_table_name
        qualified = f'"{schema}"."{table}"'
        self.pool = pool
        self._open = (f"SET LOCAL lock_timeout = '{recorder.datastore.lock_timeout}s';"
                      f" LOCK TABLE {qualified} IN EXCLUSIVE MODE; NOTIFY \"{recorder.channel_name}\"")
        self._insert = (f"INSERT INTO {qualified} (originator_id, originator_version, topic, state)"
                        " SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[])"
                        " RETURNING originator_id, originator_version, notification_id")
        self._pending: list[Pending] = []
        self._writing: asyncio.Task[None] | None = None

    async def append(self, events: Sequence[StoredEvent]) -> list[int]:
        """Positions of `events` once committed; IntegrityError if they conflict."""
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._pending.append((events, future))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_pending())
            self._writing.add_done_callback(self._fail_pending)
        return await future

    def _fail_pending(self, task: asyncio.Task[None]) -> None:
        """If writing failed outright (no connection to be had), every save still waiting hears why."""
        error = None if task.cancelled() else task.exception()
        if error is not None:
            pending, self._pending = self._pending, []
            for _, future in pending:
                if not future.done():
                    future.set_exception(error)

    async def _write_pending(self) -> None:
        while self._pending:  # checked again after the release, which awaits too
            async with self.pool.acquire() as conn:
                while self._pending:
                    batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                    try:
                        outcomes = await self._write(conn, batch)
                    except Exception as e:  # noqa: BLE001 - the whole batch failed; each save hears why
                        outcomes = [e] * len(batch)
                    for (_, future), outcome in zip(batch, outcomes, strict=True):
                        if future.done():  # its caller went away
                            continue
                        if isinstance(outcome, Exception):
                            future.set_exception(outcome)
                        else:
                            future.set_result(outcome)

    async def _write(self, conn: asyncpg.Connection, batch: list[Pending]) -> list[Any]:
        try:
            async with conn.transaction():
                await conn.execute(self._open)
                ids = await self._insert_rows(conn, [e for events, _ in batch for e in events])
            return [positions(events, ids) for events, _ in batch]
        except asyncpg.UniqueViolationError:
            pass
        outcomes: list[Any] = []
        async with conn.transaction():
            await conn.execute(self._open)
            for events, _ in batch:
                try:
                    async with conn.transaction():  # a savepoint: one conflict must not sink the batch
                        ids = await self._insert_rows(conn, events)
                    outcomes.append(positions(events, ids))
                except asyncpg.UniqueViolationError as e:
                    outcomes.append(IntegrityError(str(e)))
        return outcomes

    async def _insert_rows(self, conn: asyncpg.Connection,
                           events: Sequence[StoredEvent]) -> dict[tuple[Any, int], int]:
        rows = await conn.fetch(self._insert, [e.originator_id for e in events],
                                [e.originator_version for e in events], [e.topic for e in events],
                                [e.state for e in events])
        return {(row[0], row[1]): row[2] for row in rows}
