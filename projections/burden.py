"""The burden report (P1, P4): per community, what was delegated and on what basis, what was
refused off-list or declined, and agreement funding. A report for a scope sums its communities."""
from __future__ import annotations

from decimal import Decimal

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes


class Burden(Projection):
    name = "burden"
    tables = ("burden_by_community",)
    migrations = ("""
        CREATE TABLE burden_by_community (
            community_code text PRIMARY KEY,
            tasks_delegated int NOT NULL DEFAULT 0,
            on_duty_list int NOT NULL DEFAULT 0,
            under_agreement int NOT NULL DEFAULT 0,
            refused_off_list int NOT NULL DEFAULT 0,
            declined int NOT NULL DEFAULT 0,
            agreement_funding_yuan numeric(17, 2) NOT NULL DEFAULT 0
        );
        CREATE INDEX burden_code_prefix ON burden_by_community (community_code text_pattern_ops);
    """,
        # Every sum of events fits: counters bigint, funding unbounded numeric.
        """ALTER TABLE burden_by_community ALTER COLUMN tasks_delegated TYPE bigint,
           ALTER COLUMN on_duty_list TYPE bigint, ALTER COLUMN under_agreement TYPE bigint,
           ALTER COLUMN refused_off_list TYPE bigint, ALTER COLUMN declined TYPE bigint,
           ALTER COLUMN agreement_funding_yuan TYPE numeric""",
    )

    def _add(self, w: Writes, code: str, **deltas: int | Decimal) -> None:
        columns = ", ".join(deltas)
        placeholders = ", ".join(f"${i}" for i in range(2, len(deltas) + 2))
        updates = ", ".join(f"{c} = burden_by_community.{c} + excluded.{c}" for c in deltas)
        w.increment(f"INSERT INTO burden_by_community (community_code, {columns}) VALUES ($1, {placeholders})"
                    f" ON CONFLICT (community_code) DO UPDATE SET {updates}", (code,), *deltas.values())

    def on_TaskDelegated(self, w: Writes, e: LoggedEvent) -> None:
        on_list = e.domain_event.basis == "DUTY_LIST"
        self._add(w, e.community_code, tasks_delegated=1, on_duty_list=int(on_list),
                  under_agreement=int(not on_list))

    def on_TaskDelegationRefused(self, w: Writes, e: LoggedEvent) -> None:
        self._add(w, e.community_code, refused_off_list=1)

    def on_TaskDeclined(self, w: Writes, e: LoggedEvent) -> None:
        self._add(w, e.community_code, declined=1)

    def on_ServiceAgreementSigned(self, w: Writes, e: LoggedEvent) -> None:
        self._add(w, e.community_code, agreement_funding_yuan=Decimal(e.domain_event.funding_yuan))
