"""Service agreements (P4) with their funding."""
from __future__ import annotations

from decimal import Decimal

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes


class Agreements(Projection):
    name = "agreements"
    tables = ("service_agreements",)
    migrations = ("""
        CREATE TABLE service_agreements (
            id uuid PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            community_code text NOT NULL,
            department text NOT NULL,
            scope text NOT NULL,
            funding_yuan numeric(17, 2) NOT NULL,
            valid_until timestamptz NOT NULL,
            signed_at timestamptz NOT NULL
        );
        CREATE INDEX service_agreements_community ON service_agreements (community_code text_pattern_ops);
    """,
        # Whatever amount the domain accepted is stored: unbounded numeric.
        "ALTER TABLE service_agreements ALTER COLUMN funding_yuan TYPE numeric",
    )

    def on_ServiceAgreementSigned(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.insert("service_agreements", id=d.originator_id, position=e.position, community_code=e.community_code,
                 department=d.department, scope=d.scope, funding_yuan=Decimal(d.funding_yuan),
                 valid_until=d.valid_until, signed_at=e.occurred_at)
