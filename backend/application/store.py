"""Group commit for the event store: the one place where eventsourcing's PostgreSQL recorder
is extended, and where events are appended from the event loop.

The library's recorder takes `LOCK TABLE ... IN EXCLUSIVE MODE` in every insert transaction so
that positions become visible in order. That keeps the log gap-free for readers, but it makes
every save wait for every earlier save's commit (and its fsync). Here concurrent saves are
queued to one writer thread, which appends whatever has queued up in one transaction: one
lock, one NOTIFY, one commit for the batch, the same ordering guarantee. A save whose events
conflict (a stale version, a second ballot) fails alone, through a savepoint; the others in
its batch commit.

The batch's statements (BEGIN, the lock, NOTIFY, the INSERT, COMMIT) are sent together in
pipeline mode, one round trip instead of eight: the writer shares the interpreter with every command thread,
and each answer it waits for costs it a turn at the GIL. If the INSERT fails on a conflict,
nothing of it was committed, and the batch is written again save by save.
"""
from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

import asyncpg
import psycopg
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

MAX_BATCH = 500  # saves in one transaction


class GroupCommitRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._insert_many = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[])"
            " RETURNING originator_id, originator_version, notification_id"
        ).format(schema=Identifier(datastore.schema), table=Identifier(events_table_name))
        self._notify = SQL("NOTIFY {}").format(Identifier(self.channel_name))
        self._queue: queue.SimpleQueue[tuple[Sequence[StoredEvent], Future[list[int]]]] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_forever, name="event-writer", daemon=True)
        self._writer.start()

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None or not stored_events:
            return super().insert_events(stored_events, **kwargs)
        future: Future[list[int]] = Future()
        self._queue.put((stored_events, future))
        return future.result()

    # -- the writer thread ------------------------------------------------------------------
    def _write_forever(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                outcomes = self._write(batch)
            except Exception as e:  # noqa: BLE001 - the whole batch failed; each save hears why
                for _, future in batch:
                    future.set_exception(e)
            else:
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)

    def _write(self, batch: list[tuple[Sequence[StoredEvent], Future[list[int]]]]) -> list[list[int] | Exception]:
        with self.datastore.get_connection() as conn:
            try:
                ids = self._write_script(conn, [e for events, _ in batch for e in events])
            except psycopg.IntegrityError:
                conn.rollback()
                return self._write_each(batch)
            return [[ids[(e.originator_id, e.originator_version)] for e in events] for events, _ in batch]

    def _write_script(self, conn: psycopg.Connection[Any], events: list[StoredEvent]) -> dict[tuple[Any, int], int]:
        """BEGIN, the lock, NOTIFY, the INSERT and COMMIT, sent together (pipeline mode)."""
        with conn.pipeline(), conn.cursor(row_factory=tuple_row) as curs, \
                conn.cursor(row_factory=tuple_row) as inserted:
            curs.execute("BEGIN")
            for statement in self.lock_table_statements:
                curs.execute(statement, prepare=True)
            curs.execute(self._notify, prepare=True)
            inserted.execute(self._insert_many, self._columns(events), prepare=True, binary=True)
            curs.execute("COMMIT")
            return {(row[0], row[1]): row[2] for row in inserted.fetchall()}

    @staticmethod
    def _columns(events: list[StoredEvent]) -> tuple[list[Any], ...]:
        return ([e.originator_id for e in events], [e.originator_version for e in events],
                [e.topic for e in events], [e.state for e in events])

    def _write_each(self, batch: list[tuple[Sequence[StoredEvent], Future[list[int]]]]) -> list[list[int] | Exception]:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            for statement in self.lock_table_statements:
                curs.execute(statement, prepare=True)
            self._notify_channel(curs)
            try:
                with conn.transaction():  # a savepoint: one conflict must not sink the batch
                    ids = self._insert(curs, [e for events, _ in batch for e in events])
                return [[ids[(e.originator_id, e.originator_version)] for e in events] for events, _ in batch]
            except psycopg.IntegrityError:
                pass
            outcomes: list[list[int] | Exception] = []
            for events, _ in batch:
                try:
                    with conn.transaction():
                        ids = self._insert(curs, list(events))
                    outcomes.append([ids[(e.originator_id, e.originator_version)] for e in events])
                except psycopg.IntegrityError as e:
                    outcomes.append(IntegrityError(str(e)))
            return outcomes

    def _insert(self, curs: psycopg.Cursor[Any], events: list[StoredEvent]) -> dict[tuple[Any, int], int]:
        curs.execute(self._insert_many, self._columns(events))
        return {(row["originator_id"], row["originator_version"]): row["notification_id"] for row in curs.fetchall()}


class AsyncAppender:
    """The same group commit on the event loop, for commands driven there (gateway.py).

    Appends that arrive while a batch is being written form the next batch: one transaction
    takes the library's table lock (so positions become visible in order, exactly as with its
    recorder and with `GroupCommitRecorder`, which may write beside it), NOTIFYs, inserts the
    batch and commits. A conflicting save fails alone, through a savepoint.
    """

    def __init__(self, pool: asyncpg.Pool, recorder: PostgresApplicationRecorder) -> None:
        schema, table = recorder.datastore.schema, recorder.events_table_name
        qualified = f'"{schema}"."{table}"'
        self.pool = pool
        self._open = (f"SET LOCAL lock_timeout = '{recorder.datastore.lock_timeout}s';"
                      f" LOCK TABLE {qualified} IN EXCLUSIVE MODE; NOTIFY \"{recorder.channel_name}\"")
        self._insert = (f"INSERT INTO {qualified} (originator_id, originator_version, topic, state)"
                        " SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[])"
                        " RETURNING originator_id, originator_version, notification_id")
        self._pending: list[tuple[Sequence[StoredEvent], asyncio.Future[list[int]]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def append(self, events: Sequence[StoredEvent]) -> list[int]:
        """Positions of `events` once committed; IntegrityError if they conflict."""
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._pending.append((events, future))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_pending())
        return await future

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

    async def _write(self, conn: asyncpg.Connection,
                     batch: list[tuple[Sequence[StoredEvent], asyncio.Future[list[int]]]]) -> list[Any]:
        try:
            async with conn.transaction():
                await conn.execute(self._open)
                ids = await self._insert_rows(conn, [e for events, _ in batch for e in events])
            return [[ids[(e.originator_id, e.originator_version)] for e in events] for events, _ in batch]
        except asyncpg.UniqueViolationError:
            pass
        outcomes: list[Any] = []
        async with conn.transaction():
            await conn.execute(self._open)
            for events, _ in batch:
                try:
                    async with conn.transaction():  # a savepoint: one conflict must not sink the batch
                        ids = await self._insert_rows(conn, events)
                    outcomes.append([ids[(e.originator_id, e.originator_version)] for e in events])
                except asyncpg.UniqueViolationError as e:
                    outcomes.append(IntegrityError(str(e)))
        return outcomes

    async def _insert_rows(self, conn: asyncpg.Connection, events: Sequence[StoredEvent]) -> dict[tuple[Any, int], int]:
        rows = await conn.fetch(self._insert, [e.originator_id for e in events],
                                [e.originator_version for e in events], [e.topic for e in events],
                                [e.state for e in events])
        return {(row[0], row[1]): row[2] for row in rows}
