"""Community social organizations (P28), registered or filed, by category."""
from __future__ import annotations

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes


class Organizations(Projection):
    name = "organizations"
    tables = ("organizations",)
    migrations = ("""
        CREATE TABLE organizations (
            id uuid PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            community_code text NOT NULL,
            name text NOT NULL,
            category text NOT NULL,
            status text NOT NULL,
            hub_id uuid,
            registered_at timestamptz NOT NULL
        );
        CREATE INDEX organizations_community_position ON organizations (community_code text_pattern_ops, position);
    """,)

    def on_OrganizationRegistered(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.insert("organizations", id=d.originator_id, position=e.position, community_code=e.community_code,
                 name=d.name, category=d.category, status=d.status, hub_id=d.hub_id, registered_at=e.occurred_at)
