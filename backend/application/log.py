"""Reading the log: the one place that knows the eventsourcing table's layout.

The events table is eventsourcing's (`gongzhi_events`: originator_id, originator_version,
topic, state, notification_id). Its writer takes a table lock per insert, so positions
(notification ids) become visible in order and reading "after N" never skips one.
Rows are decoded by the application's mapper, so upcasting applies to every reader.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper, StoredEvent

EVENTS_TABLE = "gongzhi_events"
NOTIFY_CHANNEL = "gongzhi_events"  # eventsourcing NOTIFYs on the table's name at each insert
METADATA = {"originator_id", "originator_version", "timestamp", "originator_topic",
            "actor", "request_id", "client_request_id", "community_code"}
SELECT = f"SELECT notification_id, originator_id, originator_version, topic, state FROM {EVENTS_TABLE}"


class LoggedEvent(NamedTuple):
    """One event as the log holds it, with its place and its metadata unpacked."""

    position: int
    entity_id: str
    entity_type: str
    version: int
    type: str
    occurred_at: datetime
    actor: dict[str, str]
    request_id: str
    community_code: str
    domain_event: Any
    client_request_id: str | None = None  # the client's X-Request-Id (events before it was kept have none)

    @property
    def data(self) -> dict[str, Any]:
        """The event's own fields, camelCased and JSON-ready."""
        return {camel(k): jsonable(v) for k, v in vars(self.domain_event).items() if k not in METADATA}

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


class EventLog:
    """Async reads of the log with asyncpg."""

    def __init__(self, pool: asyncpg.Pool, mapper: Mapper[UUID]) -> None:
        self.pool = pool
        self.mapper = mapper

    def decode(self, row: asyncpg.Record) -> LoggedEvent:
        stored = StoredEvent(originator_id=row["originator_id"], originator_version=row["originator_version"],
                             topic=row["topic"], state=bytes(row["state"]))
        domain_event = self.mapper.to_domain_event(stored)
        entity_type, event_type = type_names(row["topic"])
        entity_id = (domain_event.community_code if entity_type == "Community" else str(row["originator_id"]))
        return LoggedEvent(
            position=row["notification_id"], entity_id=entity_id, entity_type=entity_type,
            version=row["originator_version"], type=event_type, occurred_at=domain_event.timestamp,
            actor=domain_event.actor, request_id=domain_event.request_id,
            community_code=domain_event.community_code, domain_event=domain_event,
            client_request_id=getattr(domain_event, "client_request_id", None))

    async def read(self, after: int, limit: int, topics: Sequence[str] = (),
                   conn: asyncpg.Connection | None = None) -> list[LoggedEvent]:
        sql = f"{SELECT} WHERE notification_id > $1"
        args: list[Any] = [after]
        if topics:
            sql += " AND topic = ANY($3::text[])"
        sql += " ORDER BY notification_id LIMIT $2"
        args.append(limit)
        if topics:
            args.append(list(topics))
        rows = await (conn or self.pool).fetch(sql, *args)
        return [self.decode(row) for row in rows]

    async def aggregate(self, stream_id: UUID) -> Any:
        """The aggregate of a stream as stored now (None if it has no events): its events,
        decoded by the mapper, folded as eventsourcing's repository folds them."""
        rows = await self.pool.fetch(f"SELECT originator_version, topic, state FROM {EVENTS_TABLE}"
                                     " WHERE originator_id = $1 ORDER BY originator_version", stream_id)
        aggregate = None
        for row in rows:
            stored = StoredEvent(originator_id=stream_id, originator_version=row["originator_version"],
                                 topic=row["topic"], state=bytes(row["state"]))
            aggregate = self.mapper.to_domain_event(stored).mutate(aggregate)
        return aggregate

    async def stream(self, stream_id: UUID) -> list[LoggedEvent]:
        rows = await self.pool.fetch(f"{SELECT} WHERE originator_id = $1 ORDER BY originator_version", stream_id)
        return [self.decode(row) for row in rows]

    async def head(self, conn: asyncpg.Connection | None = None) -> int:
        return await (conn or self.pool).fetchval(
            f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}")
