"""Activities held (P22, P34), with participants and volunteer hours."""
from __future__ import annotations

import json
from decimal import Decimal

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes


class Activities(Projection):
    name = "activities"
    tables = ("activities",)
    migrations = ("""
        CREATE TABLE activities (
            id uuid PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            community_code text NOT NULL,
            title text NOT NULL,
            organizer_id text,
            held_at timestamptz NOT NULL,
            participants int NOT NULL,
            volunteer_hours numeric NOT NULL,
            volunteers jsonb NOT NULL
        );
        CREATE INDEX activities_community_position ON activities (community_code text_pattern_ops, position);
    """,)

    def on_ActivityHeld(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        hours = sum((Decimal(str(v["hours"])) for v in d.volunteer_hours), Decimal(0))
        w.insert("activities", id=d.originator_id, position=e.position, community_code=e.community_code,
                 title=d.title, organizer_id=d.organizer_id, held_at=d.held_at, participants=d.participants,
                 volunteer_hours=hours, volunteers=json.dumps(d.volunteer_hours))
