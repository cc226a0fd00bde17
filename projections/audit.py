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
        w.execute("INSERT INTO audit_index VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                  e.position, e.entity_id, e.entity_type, e.type, e.version, e.community_code,
                  e.actor["id"], e.actor["role"], e.request_id, e.occurred_at)
