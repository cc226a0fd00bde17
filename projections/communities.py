"""Communities: name, kind, the current duty list and the counts the contract shows."""
from __future__ import annotations

import json

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes


class Communities(Projection):
    name = "communities"
    tables = ("communities",)
    migrations = ("""
        CREATE TABLE communities (
            code text PRIMARY KEY,
            name text NOT NULL,
            kind text NOT NULL,
            duty_list_version int NOT NULL DEFAULT 0,
            duty_items jsonb NOT NULL DEFAULT '[]',
            open_tasks int NOT NULL DEFAULT 0,
            organizations int NOT NULL DEFAULT 0,
            activities_held int NOT NULL DEFAULT 0,
            registered_at timestamptz NOT NULL
        );
        CREATE INDEX communities_code_prefix ON communities (code text_pattern_ops);
    """,
        # Every count of events fits.
        """ALTER TABLE communities ALTER COLUMN open_tasks TYPE bigint, ALTER COLUMN organizations TYPE bigint,
           ALTER COLUMN activities_held TYPE bigint""",
        # P36: whether a RURAL community's village and enterprises are separated (村企分开; null for an URBAN one).
        # The rows before it are refilled from the log (this read model alone replays).
        """TRUNCATE communities;
           ALTER TABLE communities ADD COLUMN village_enterprise_separated boolean;
           UPDATE projection_tracking SET position = 0, failed_position = NULL, failed_event_type = NULL,
                  error = NULL, failed_since = NULL WHERE name = 'communities'""",
    )

    def on_CommunityRegistered(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        separated = getattr(d, "village_enterprise_separated", True) if d.kind == "RURAL" else None
        w.insert("communities", code=d.code, name=d.name, kind=d.kind, registered_at=e.occurred_at,
                 village_enterprise_separated=separated)

    def on_VillageEnterpriseSeparationRecorded(self, w: Writes, e: LoggedEvent) -> None:
        """P36: the separation (村企分开) recorded on a RURAL community."""
        w.execute("UPDATE communities SET village_enterprise_separated = $2 WHERE code = $1", e.community_code,
                  e.domain_event.village_enterprise_separated)

    def on_DutyListPublished(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.execute("UPDATE communities SET duty_list_version = $2, duty_items = $3::jsonb WHERE code = $1",
                  e.community_code, d.duty_list_version, json.dumps(d.items, ensure_ascii=False))

    def _count(self, w: Writes, e: LoggedEvent, column: str, delta: int) -> None:
        w.increment(f"UPDATE communities SET {column} = {column} + $2 WHERE code = $1", (e.community_code,), delta)

    def on_TaskDelegated(self, w: Writes, e: LoggedEvent) -> None:
        self._count(w, e, "open_tasks", 1)

    def on_TaskDeclined(self, w: Writes, e: LoggedEvent) -> None:
        self._count(w, e, "open_tasks", -1)

    on_TaskCompleted = on_TaskDeclined

    def on_OrganizationRegistered(self, w: Writes, e: LoggedEvent) -> None:
        self._count(w, e, "organizations", 1)

    def on_ActivityHeld(self, w: Writes, e: LoggedEvent) -> None:
        self._count(w, e, "activities_held", 1)
