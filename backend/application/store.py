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

A save may carry an idempotency key (backend/application/idempotency.py): its record is inserted
in the save's savepoint, right after its events, so both commit or neither does. A batch with a
keyed save is written save by save in savepoints from the start (a keyed save's command is ended
while its record is made, which must happen once), and a key another request recorded first
fails the save alone (KeyTaken), as a conflict does.

A save may also carry rows (`Row`): statements run in the same savepoint right after its events, each of which
must answer a row (`RETURNING`, or a `SELECT ... WHERE` that checks what it did), else the save fails alone as a
conflict does (IntegrityError). A secret ballot waits in the ballot box so (backend/application/ballots.py): its
row is inserted with its resident's participation event, and a release deletes the rows it appends as events.
The synchronous path (`RowsRecorder`, the library's recorder with a hook) runs a save's rows in its transaction.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from prometheus_client import Counter, Histogram
from psycopg import Cursor
from psycopg.rows import DictRow

from backend import tracing
from backend.application.idempotency import INSERT as INSERT_KEY
from backend.application.idempotency import KeyedSave, KeyTaken

MAX_BATCH = 500  # saves in one transaction
#: /metrics (backend/api/metrics.py): the events the group commit wrote, and the size of each of its transactions.
APPENDED = Counter("gongzhi_events_appended", "Events appended (committed) by the group commit")
BATCH_SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
BATCH_EVENTS = Histogram("gongzhi_append_batch_events", "Events in one group-commit transaction", buckets=BATCH_SIZES)
BATCH_SAVES = Histogram("gongzhi_append_batch_saves", "Saves (commands' commits) in one group-commit transaction",
                        buckets=BATCH_SIZES)


@dataclass(frozen=True)
class Row:
    """A statement run in a save's savepoint after its events (asyncpg's `$1`-style parameters, each used once and
    in order, so that the synchronous path can run it too); it must answer a row, or the save fails as a conflict."""

    sql: str
    args: tuple[Any, ...] = ()


Pending = tuple[Sequence[StoredEvent], "asyncio.Future[list[int]]", KeyedSave | None, Sequence[Row]]


def positions(events: Sequence[StoredEvent], ids: dict[tuple[Any, int], int]) -> list[int]:
    """A save's positions, from what its INSERT returned."""
    return [ids[(e.originator_id, e.originator_version)] for e in events]


class RowAnsweredNone(Exception):
    """A save's row answered no row in a batch written at once: the batch is written again save by save."""


class SaveFailed(Exception):
    """A keyed save's command failed while its record was made (the error is this one's cause)."""


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

    async def append(self, events: Sequence[StoredEvent], keyed: KeyedSave | None = None,
                     rows: Sequence[Row] = ()) -> list[int]:
        """Positions of `events` once committed (with `rows` and `keyed`'s record, if given); IntegrityError if they
        conflict (or a row answers none), KeyTaken if another request recorded the key first."""
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._pending.append((events, future, keyed, rows))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_pending())
            self._writing.add_done_callback(self._fail_pending)
        with tracing.span("store.append", events=len(events)) as span:
            at = await future
            tracing.record(span, position=at)
            return at

    def _fail_pending(self, task: asyncio.Task[None]) -> None:
        """If writing failed outright (no connection to be had), every save still waiting hears why."""
        error = None if task.cancelled() else task.exception()
        if error is not None:
            pending, self._pending = self._pending, []
            for _, future, _, _ in pending:
                if not future.done():
                    future.set_exception(error)

    async def _write_pending(self) -> None:
        while self._pending:  # checked again after the release, which awaits too
            async with self.pool.acquire() as conn:
                while self._pending:
                    batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                    failed = False
                    size = sum(len(events) for events, _, _, _ in batch)
                    try:
                        with tracing.span("store.write", root=True, saves=len(batch), events=size):
                            outcomes = await self._write(conn, batch)
                    except Exception as e:  # noqa: BLE001 - the whole batch failed; each save hears why
                        outcomes, failed = [e] * len(batch), True
                    BATCH_EVENTS.observe(size)
                    BATCH_SAVES.observe(len(batch))
                    APPENDED.inc(sum(len(events) for (events, _, _, _), outcome in zip(batch, outcomes, strict=True)
                                     if not isinstance(outcome, Exception)))
                    for (_, future, _, _), outcome in zip(batch, outcomes, strict=True):
                        if future.done():  # its caller went away
                            continue
                        if isinstance(outcome, Exception):
                            future.set_exception(outcome)
                        else:
                            future.set_result(outcome)
                    if failed:  # its connection may be lost or unusable: the saves waiting get another one
                        break

    async def _write(self, conn: asyncpg.Connection, batch: list[Pending]) -> list[Any]:
        if not any(keyed for _, _, keyed, _ in batch):
            # three round trips: BEGIN with the lock and the NOTIFY, the INSERT, the COMMIT (and one per save's row:
            # a secret ballot into the box). A conflict, or a row that answers none, and the batch goes save by save.
            try:
                try:
                    await conn.execute(f"BEGIN; {self._open}")
                    ids = await self._insert_rows(conn, [e for events, _, _, _ in batch for e in events])
                    for _, _, _, rows in batch:
                        for row in rows:
                            if await conn.fetchval(row.sql, *row.args) is None:
                                raise RowAnsweredNone()
                    await conn.execute("COMMIT")
                except BaseException:
                    if not conn.is_closed():
                        await conn.execute("ROLLBACK")
                    raise
                return [positions(events, ids) for events, _, _, _ in batch]
            except (asyncpg.UniqueViolationError, RowAnsweredNone):
                pass
        outcomes: list[Any] = []
        async with conn.transaction():
            await conn.execute(self._open)
            for events, _, keyed, rows in batch:
                try:
                    async with conn.transaction():  # a savepoint: one conflict must not sink the batch
                        ids = await self._insert_rows(conn, events)
                        at = positions(events, ids)
                        for row in rows:
                            if await conn.fetchval(row.sql, *row.args) is None:
                                raise IntegrityError(f"a save's row answered none: {row.sql.split()[0]}")
                        if keyed is not None:
                            await self._record(conn, keyed, events, at)
                    outcomes.append(at)
                except asyncpg.UniqueViolationError as e:
                    outcomes.append(IntegrityError(str(e)))
                except IntegrityError as e:
                    outcomes.append(e)
                except (KeyTaken, SaveFailed) as e:
                    outcomes.append(e.__cause__ if isinstance(e, SaveFailed) else e)
        return outcomes

    async def _record(self, conn: asyncpg.Connection, keyed: KeyedSave, events: Sequence[StoredEvent],
                      at: list[int]) -> None:
        """Insert a keyed save's record (in its savepoint): KeyTaken if the key is recorded already;
        SaveFailed (from what its command raised) if the command could not be ended."""
        try:
            record = keyed.record(events, at)
        except Exception as e:
            raise SaveFailed() from e
        if not await conn.fetchval(INSERT_KEY, *record):
            raise KeyTaken(f"the key {keyed.key.key!r} was recorded by another request first")

    async def _insert_rows(self, conn: asyncpg.Connection,
                           events: Sequence[StoredEvent]) -> dict[tuple[Any, int], int]:
        rows = await conn.fetch(self._insert, [e.originator_id for e in events],
                                [e.originator_version for e in events], [e.topic for e in events],
                                [e.state for e in events])
        return {(row[0], row[1]): row[2] for row in rows}


PARAMETER = re.compile(r"\$\d+")


class RowsRecorder(PostgresApplicationRecorder):
    """The library's recorder, which also runs a save's rows (`Application.save(aggregate, rows=[...])`) in the
    transaction that inserts its events: the synchronous path (the CLI, the demo loader) of `Row`."""

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        for row in kwargs.get("rows", ()):
            curs.execute(PARAMETER.sub("%s", row.sql), row.args)
            if curs.fetchone() is None:
                raise IntegrityError(f"a save's row answered none: {row.sql.split()[0]}")
