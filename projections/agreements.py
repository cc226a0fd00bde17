"""Service agreements (P4, 权随责走、费随事转) with their funding agreed and disbursed, and each disbursement."""
from __future__ import annotations

from decimal import Decimal

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes


class Agreements(Projection):
    name = "agreements"
    tables = ("service_agreements", "agreement_disbursements")
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
        # P4: what was paid under each agreement (none was before disbursements were recorded); P1: whether it
        # provides for a quota on its tasks (none did before).
        """ALTER TABLE service_agreements ADD COLUMN allows_quota boolean NOT NULL DEFAULT false,
                                         ADD COLUMN disbursed_yuan numeric NOT NULL DEFAULT 0,
                                         ADD COLUMN disbursements bigint NOT NULL DEFAULT 0;
           CREATE TABLE agreement_disbursements (
               position bigint PRIMARY KEY,
               agreement_id uuid NOT NULL,
               community_code text NOT NULL,
               amount_yuan numeric NOT NULL,
               disbursed_at timestamptz NOT NULL,
               recorded_at timestamptz NOT NULL,
               note text,
               actor_id text NOT NULL,
               organization text
           );
           CREATE INDEX agreement_disbursements_agreement ON agreement_disbursements (agreement_id, position)""",
    )

    def on_ServiceAgreementSigned(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.insert("service_agreements", id=d.originator_id, position=e.position, community_code=e.community_code,
                 department=d.department, scope=d.scope, funding_yuan=Decimal(d.funding_yuan),
                 valid_until=d.valid_until, signed_at=e.occurred_at, allows_quota=getattr(d, "allows_quota", False))

    def on_DisbursementRecorded(self, w: Writes, e: LoggedEvent) -> None:
        """P4 (费随事转): a disbursement under an agreement, and the agreement's total."""
        d = e.domain_event
        amount = Decimal(d.amount_yuan)
        w.insert("agreement_disbursements", position=e.position, agreement_id=d.originator_id,
                 community_code=e.community_code, amount_yuan=amount, disbursed_at=d.disbursed_at,
                 recorded_at=e.occurred_at, note=d.note, actor_id=str(e.actor.get("id")),
                 organization=e.actor.get("organization"))
        w.increment("UPDATE service_agreements SET disbursed_yuan = disbursed_yuan + $2, disbursements = disbursements + $3"
                    " WHERE id = $1", (d.originator_id,), amount, 1)
