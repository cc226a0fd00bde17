"""The audit index: every event by entity, community and actor, for oversight queries."""
from __future__ import annotations

from collections.abc import Callable

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes


class AuditIndex(Projection):
    name = "audit"
    tables = ("audit_index",)
    migrations = ("""
        CREATE TABLE audit_index (
            position bigint PRIMARY KEY,
            entity_id text NOT NULL,
            entity_type text NOT NULL,
            event_type text NOT NULL,
            version int NOT NULL,
            community_code text NOT NULL,
            actor_id text NOT NULL,
            actor_role text NOT NULL,
            request_id text NOT NULL,
            occurred_at timestamptz NOT NULL
        );
        CREATE INDEX audit_index_entity ON audit_index (entity_id, position);
        CREATE INDEX audit_index_community ON audit_index (community_code text_pattern_ops, position);
    """,)

    def handler(self, event_type: str) -> Callable[[Writes, LoggedEvent], None]:  # every event type
        return self.record

    def record(self, w: Writes, e: LoggedEvent) -> None:
        w.insert("audit_index", position=e.position, entity_id=e.entity_id, entity_type=e.entity_type,
                 event_type=e.type, version=e.version, community_code=e.community_code, actor_id=e.actor["id"],
                 actor_role=e.actor["role"], request_id=e.request_id or "",  # a released secret ballot has none (P26)
                 occurred_at=e.occurred_at)
