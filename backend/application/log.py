"""Reading the log: the one place that knows the eventsourcing table's layout.

The events table is eventsourcing's (`gongzhi_events`: originator_id, originator_version,
topic, state, notification_id). Its writer takes a table lock per insert, so positions
(notification ids) become visible in order and reading "after N" never skips one.
Rows are decoded by the application's mapper, so upcasting applies to every reader; the events `read`,
`stream` and `stream_bounded` give have their personal fields opened (plaintext, or None where the data subject
was erased: backend/application/personal.py). `decode` alone leaves them sealed, as stored.

The raw log is read by scope in SQL: every row carries its community's code in a stored
column that PostgreSQL derives from the row itself (`community_code`, computed by an immutable
function of `state`), so both write paths (the library's recorder and store.py) fill it without
knowing of it, and an index on (community_code, notification_id) serves a scope's reads. The
column and its index are added once, at start, to a store of any age (`EventLog.prepare`).
A raw-log read for a request runs with a statement timeout (`EventLog.read_bounded`).
"""
from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple, cast
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper, StoredEvent

from backend.application.personal import unseal
from backend.domain.errors import InvalidInput
from backend.domain.stamp import StampedEvent

METADATA = {"originator_id", "originator_version", "timestamp", "originator_topic",
            "actor", "request_id", "client_request_id", "community_code"}
SCOPE_FUNCTION = "gongzhi_event_community"
SCOPE_INDEX = "gongzhi_events_scope_idx"
SCOPE_LOCK = 0x676F6E675A  # the advisory lock under which the scope column is added
RAW_LOG_TIMEOUT_MS = 2_000  # the longest one raw-log read for a request may run
COMMUNITY_CODE = re.compile(r"[0-9]{12}", re.ASCII)
# The value of the top-level "community_code" in the library's JSON (written with separators
# (",", ":")), found in the state's bytes (`encode(state, 'escape')`), never parsed: no stored row
# can fail it, as a JSON parse can (PostgreSQL's json and jsonb both refuse the \u0000 an old
# event may hold, and NaN). A quote inside a string value is escaped, so only a key matches; no
# event has a nested "community_code". Plain string functions: ~1.5 us a row (a regex, ~14).
def scope_ddl(table: str) -> tuple[str, str, str]:
    """The scope function, the events table's generated column and its index (see above)."""
    return (
        (f"CREATE FUNCTION {SCOPE_FUNCTION}(state bytea) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE"
         """ AS $$ SELECT nullif(split_part(split_part(encode(state, 'escape'), '"community_code":"', 2), '"', 1), '') $$"""),
        (f"ALTER TABLE {table} ADD COLUMN community_code text"
         f" GENERATED ALWAYS AS ({SCOPE_FUNCTION}(state)) STORED"),
        f"CREATE INDEX {SCOPE_INDEX} ON {table} (community_code text_pattern_ops, notification_id)",
    )


def select_from(table: str) -> str:
    return f"SELECT notification_id, originator_id, originator_version, topic, state FROM {table}"


class LoggedEvent(NamedTuple):
    """One event as the log holds it, with its place and its metadata unpacked."""

    position: int
    entity_id: str
    entity_type: str
    version: int
    type: str
    occurred_at: datetime
    actor: dict[str, str]
    request_id: str | None  # None where the reader may not see it
    community_code: str
    domain_event: Any
    client_request_id: str | None = None  # the client's X-Request-Id (events before it was kept have none)
    hidden: frozenset[str] = frozenset()  # the event's own fields the reader may not see

    @property
    def data(self) -> dict[str, Any]:
        """The event's own fields (those the reader may see), camelCased and JSON-ready."""
        return {camel(k): jsonable(v) for k, v in vars(self.domain_event).items()
                if k not in METADATA and k not in self.hidden}

    def as_json(self) -> dict[str, Any]:
        return {"position": self.position, "entityId": self.entity_id, "entityType": self.entity_type,
                "version": self.version, "type": self.type, "occurredAt": self.occurred_at.isoformat(),
                "actor": self.actor, "requestId": self.request_id,
                "clientRequestId": self.client_request_id, "communityCode": self.community_code,
                "data": self.data}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def jsonable(value: Any) -> Any:
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {camel(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def type_names(topic: str) -> tuple[str, str]:
    """'backend.domain.task:Task.TaskAccepted' -> ('Task', 'TaskAccepted')."""
    entity_type, _, event_type = topic.partition(":")[2].rpartition(".")
    return entity_type.rpartition(".")[2], event_type


class RawLogTimeout(InvalidInput):
    """A raw-log read for a request ran past RAW_LOG_TIMEOUT_MS and was cancelled."""


def select_after(table: str, after: int, limit: int, topics: Sequence[str] = (), scope: str = "") -> tuple[Any, ...]:
    """The SQL (and its arguments) of `EventLog.read`. A community's code is its own scope (the
    index gives its events in order); a shorter prefix is the range of codes it starts
    (`text_pattern_ops` compares bytes, and a division code is ASCII digits)."""
    where: list[str] = ["notification_id > $1"]
    args: list[Any] = [after]
    if COMMUNITY_CODE.fullmatch(scope):
        args.append(scope)
        where.append(f"community_code = ${len(args)}")
    elif scope:
        args += [scope, scope[:-1] + chr(ord(scope[-1]) + 1)]
        where.append(f"community_code ~>=~ ${len(args) - 1} AND community_code ~<~ ${len(args)}")
    if topics:
        args.append(list(topics))
        where.append(f"topic = ANY(${len(args)}::text[])")
    args.append(limit)
    return f"{select_from(table)} WHERE {' AND '.join(where)} ORDER BY notification_id LIMIT ${len(args)}", *args


class EventLog:
    """Async reads of the log with asyncpg."""

    def __init__(self, pool: asyncpg.Pool, mapper: Mapper[UUID], table: str, channel: str) -> None:
        """`table` and `channel`: the events table and the channel its inserts NOTIFY, as the library's recorder
        names them (`recorder.events_table_name`, `recorder.channel_name`)."""
        self.pool = pool
        self.mapper = mapper
        self.table = table
        self.channel = channel
        self._select = select_from(table)

    def decode(self, row: asyncpg.Record) -> LoggedEvent:
        stored = StoredEvent(originator_id=row["originator_id"], originator_version=row["originator_version"],
                             topic=row["topic"], state=bytes(row["state"]))
        domain_event = cast(StampedEvent, self.mapper.to_domain_event(stored))
        entity_type, event_type = type_names(row["topic"])
        entity_id = (domain_event.community_code if entity_type == "Community" else str(row["originator_id"]))
        return LoggedEvent(
            position=row["notification_id"], entity_id=entity_id, entity_type=entity_type,
            version=row["originator_version"], type=event_type, occurred_at=domain_event.timestamp,
            actor=domain_event.actor, request_id=domain_event.request_id,
            community_code=domain_event.community_code, domain_event=domain_event,
            client_request_id=getattr(domain_event, "client_request_id", None))

    async def prepare(self) -> None:
        """Give a store of any age the scope column and its index (see the module's docstring):
        once, under an advisory lock, so that servers starting together add them once."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCOPE_LOCK)
            function, column, index = await conn.fetchrow(
                "SELECT to_regprocedure($1) IS NOT NULL, EXISTS (SELECT FROM pg_attribute WHERE attrelid ="
                " to_regclass($2) AND attname = 'community_code' AND NOT attisdropped), to_regclass($3) IS NOT NULL",
                f"{SCOPE_FUNCTION}(bytea)", self.table, SCOPE_INDEX)
            for done, statement in zip((function, column, index), scope_ddl(self.table), strict=True):
                if not done:
                    await conn.execute(statement)
            if not column:  # the planner needs the new column's statistics to choose the index
                await conn.execute(f"ANALYZE {self.table} (community_code)")

    async def read(self, after: int, limit: int, topics: Sequence[str] = (),
                   conn: asyncpg.Connection | None = None, scope: str = "") -> list[LoggedEvent]:
        """The events after a position, in order: at most `limit`, of the given topics (all if none),
        in the communities whose codes start with `scope` (all if it is empty)."""
        rows = await (conn or self.pool).fetch(*select_after(self.table, after, limit, topics, scope))
        events = [self.decode(row) for row in rows]
        await unseal(conn or self.pool, events)
        return events

    async def read_bounded(self, after: int, limit: int, topics: Sequence[str] = (),
                           scope: str = "") -> list[LoggedEvent]:
        """`read` for a request: it may run for RAW_LOG_TIMEOUT_MS at most (RawLogTimeout beyond)."""
        async with self._bounded() as conn:
            return await self.read(after, limit, topics, conn, scope)

    async def stream_bounded(self, stream_id: UUID, limit: int) -> list[LoggedEvent]:
        """The first `limit` events of a stream, oldest first, for a request (as `read_bounded`)."""
        async with self._bounded() as conn:
            rows = await conn.fetch(f"{self._select} WHERE originator_id = $1 ORDER BY originator_version LIMIT $2",
                                    stream_id, limit)
            events = [self.decode(row) for row in rows]
            await unseal(conn, events)
        return events

    @asynccontextmanager
    async def _bounded(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            async with self.pool.acquire() as conn, conn.transaction(readonly=True):
                await conn.execute(f"SET LOCAL statement_timeout = {RAW_LOG_TIMEOUT_MS}")
                yield conn
        except asyncpg.QueryCanceledError as e:
            raise RawLogTimeout(f"the raw-log read ran longer than {RAW_LOG_TIMEOUT_MS} ms and was stopped;"
                                " ask for fewer events, or a narrower scope or set of types") from e

    async def aggregate(self, stream_id: UUID, version: int | None = None) -> Any:
        """The aggregate of a stream as stored now, or as it stood at `version` (None if it has no events):
        its events, decoded by the mapper, folded as eventsourcing's repository folds them."""
        rows = await self.pool.fetch(f"SELECT originator_version, topic, state FROM {self.table} WHERE originator_id"
                                     " = $1 AND ($2::bigint IS NULL OR originator_version <= $2)"
                                     " ORDER BY originator_version", stream_id, version)
        aggregate = None
        for row in rows:
            stored = StoredEvent(originator_id=stream_id, originator_version=row["originator_version"],
                                 topic=row["topic"], state=bytes(row["state"]))
            aggregate = cast(StampedEvent, self.mapper.to_domain_event(stored)).mutate(aggregate)
        return aggregate

    async def stream(self, stream_id: UUID) -> list[LoggedEvent]:
        rows = await self.pool.fetch(f"{self._select} WHERE originator_id = $1 ORDER BY originator_version", stream_id)
        events = [self.decode(row) for row in rows]
        await unseal(self.pool, events)
        return events

    async def head(self, conn: asyncpg.Connection | None = None) -> int:
        head: int = await (conn or self.pool).fetchval(
            f"SELECT coalesce(max(notification_id), 0) FROM {self.table}")
        return head
