"""P8 (精简检查): the inspections of communities, and their counts per community, per inspecting body and per
quarter (in China, UTC+8), with the cap that was in force and whether it was exceeded (an `InspectionCapExceeded`
alert); and the caps districts and streets set."""
from __future__ import annotations

import json

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes


class Inspections(Projection):
    """P8: tables `inspections` (one row per inspection), `inspection_quarters` (per community and quarter: how many,
    the cap in force at the last one and its scope, the alerts), `inspection_bodies` (per community, quarter and
    inspecting body: how many) and `inspection_caps` (per district or street: the cap it set)."""

    name = "inspections"
    tables = ("inspections", "inspection_quarters", "inspection_bodies", "inspection_caps")
    migrations = ("""
        CREATE TABLE inspections (
            id uuid PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            tally_id uuid NOT NULL,
            community_code text NOT NULL,
            quarter text NOT NULL,
            inspecting_body text NOT NULL,
            subject text NOT NULL,
            date timestamptz NOT NULL,
            materials_requested jsonb NOT NULL,
            ordinal bigint NOT NULL,
            cap bigint,
            cap_scope text,
            exceeded boolean NOT NULL DEFAULT false,
            organization text,
            recorded_by text NOT NULL,
            recorded_at timestamptz NOT NULL
        );
        CREATE INDEX inspections_community ON inspections (community_code text_pattern_ops, position);
        CREATE INDEX inspections_quarter ON inspections (quarter, community_code text_pattern_ops);
        CREATE TABLE inspection_quarters (
            key text PRIMARY KEY,
            community_code text NOT NULL,
            quarter text NOT NULL,
            tally_id uuid NOT NULL,
            inspections bigint NOT NULL DEFAULT 0,
            cap bigint,
            cap_scope text,
            alerts bigint NOT NULL DEFAULT 0
        );
        CREATE INDEX inspection_quarters_community ON inspection_quarters (community_code text_pattern_ops);
        CREATE TABLE inspection_bodies (
            community_code text NOT NULL,
            quarter text NOT NULL,
            inspecting_body text NOT NULL,
            inspections bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (community_code, quarter, inspecting_body)
        );
        CREATE TABLE inspection_caps (
            scope text PRIMARY KEY,
            max_per_quarter bigint NOT NULL,
            position bigint NOT NULL,
            set_at timestamptz NOT NULL
        );
    """,)

    def on_InspectionQuarterOpened(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.execute("INSERT INTO inspection_quarters (key, community_code, quarter, tally_id) VALUES ($1, $2, $3, $4)"
                  " ON CONFLICT (key) DO NOTHING", f"{e.community_code}:{d.quarter}", e.community_code, d.quarter,
                  d.originator_id)

    def on_InspectionRecorded(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.insert("inspections", id=d.inspection_id, position=e.position, tally_id=d.originator_id,
                 community_code=e.community_code, quarter=d.quarter, inspecting_body=d.inspecting_body,
                 subject=d.subject, date=d.date, materials_requested=json.dumps(d.materials_requested,
                                                                                ensure_ascii=False),
                 ordinal=d.ordinal, cap=d.cap, cap_scope=d.cap_scope, exceeded=False,
                 organization=e.actor.get("organization"), recorded_by=e.actor["id"], recorded_at=e.occurred_at)
        w.execute("UPDATE inspection_quarters SET inspections = $2, cap = $3, cap_scope = $4 WHERE key = $1",
                  f"{e.community_code}:{d.quarter}", d.ordinal, d.cap, d.cap_scope)
        w.increment("INSERT INTO inspection_bodies (community_code, quarter, inspecting_body, inspections)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT (community_code, quarter, inspecting_body)"
                    " DO UPDATE SET inspections = inspection_bodies.inspections + excluded.inspections",
                    (e.community_code, d.quarter, d.inspecting_body), 1)

    def on_InspectionCapExceeded(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.execute("UPDATE inspections SET exceeded = true WHERE id = $1", d.inspection_id)
        w.execute("UPDATE inspection_quarters SET alerts = alerts + 1 WHERE key = $1",
                  f"{e.community_code}:{d.quarter}")

    def on_InspectionCapSet(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.execute("INSERT INTO inspection_caps (scope, max_per_quarter, position, set_at) VALUES ($1, $2, $3, $4)"
                  " ON CONFLICT (scope) DO UPDATE SET max_per_quarter = excluded.max_per_quarter,"
                  " position = excluded.position, set_at = excluded.set_at",
                  d.scope, d.max_per_quarter, e.position, e.occurred_at)

    def on_InspectionCapChanged(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.execute("UPDATE inspection_caps SET max_per_quarter = $2, position = $3, set_at = $4 WHERE scope = $1",
                  e.community_code, d.max_per_quarter, e.position, e.occurred_at)
