"""What stands in a community (backend/domain/standing.py): the work bodies set up in it (P5, 社区工作机构), its
signboard inventory (P6, 挂牌: what hangs now, who hung it and when, and what was taken down), and its seal ledger
(P10, 用印登记: each use of the seal in self-governance), and the P36 fact P6 turns on, whether a rural community's
village and enterprises are separated (村企分开). Refused attempts (WorkBodyRefused, SignboardRefused,
TargetContractRefused, SealUseRefused) are counted by the burden read model (projections/burden.py), not here."""
from __future__ import annotations

from typing import Any

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes


def _by(e: LoggedEvent, prefix: str) -> dict[str, Any]:
    """Who did it, as the event's stamp has it: the actor's id, role and organization (所属单位)."""
    return {f"{prefix}_id": e.actor.get("id"), f"{prefix}_role": e.actor.get("role"),
            f"{prefix}_organization": e.actor.get("organization")}


class Standing(Projection):
    """P5 work bodies, the P6 signboard inventory, the P10 seal ledger, the P36 village-enterprise separation."""

    name = "standing"
    tables = ("work_bodies", "signboards", "seal_uses", "village_enterprise_separation")
    migrations = ("""
        CREATE TABLE work_bodies (
            id uuid PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            community_code text NOT NULL,
            name text NOT NULL,
            kind text NOT NULL,
            legal_basis text,
            established_by_id text NOT NULL,
            established_by_role text NOT NULL,
            established_by_organization text,
            established_at timestamptz NOT NULL
        );
        CREATE INDEX work_bodies_community_position ON work_bodies (community_code text_pattern_ops, position);
        CREATE TABLE signboards (
            id uuid PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            community_code text NOT NULL,
            kind text NOT NULL,
            text text NOT NULL,
            hung_by_id text NOT NULL,
            hung_by_role text NOT NULL,
            hung_by_organization text,
            hung_at timestamptz NOT NULL,
            version bigint NOT NULL,
            removed_position bigint,
            removed_at timestamptz,
            removed_by_id text,
            removed_by_role text,
            removed_by_organization text,
            removal_reason text
        );
        CREATE INDEX signboards_community_position ON signboards (community_code text_pattern_ops, position);
        CREATE TABLE seal_uses (
            id uuid PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            community_code text NOT NULL,
            purpose text NOT NULL,
            kind text NOT NULL,
            document text NOT NULL,
            requested_by text,
            used_by_id text NOT NULL,
            used_by_role text NOT NULL,
            used_by_organization text,
            used_at timestamptz NOT NULL
        );
        CREATE INDEX seal_uses_community_position ON seal_uses (community_code text_pattern_ops, position);
        CREATE TABLE village_enterprise_separation (
            community_code text PRIMARY KEY,
            kind text NOT NULL,
            separated boolean NOT NULL,
            position bigint NOT NULL,
            recorded_at timestamptz NOT NULL
        );
    """,)

    def on_WorkBodyEstablished(self, w: Writes, e: LoggedEvent) -> None:
        """P5: a work body the law provides for, or one on a law or regulation (不得另设工作机构)."""
        d = e.domain_event
        w.insert("work_bodies", id=d.originator_id, position=e.position, community_code=e.community_code,
                 name=d.name, kind=d.kind, legal_basis=d.legal_basis, **_by(e, "established_by"),
                 established_at=e.occurred_at)

    def on_SignboardHung(self, w: Writes, e: LoggedEvent) -> None:
        """P6: a signboard hung (挂牌) joins the inventory."""
        d = e.domain_event
        w.insert("signboards", id=d.originator_id, position=e.position, community_code=e.community_code,
                 kind=d.kind, text=d.text, **_by(e, "hung_by"), hung_at=e.occurred_at, version=e.version)

    def on_SignboardRemoved(self, w: Writes, e: LoggedEvent) -> None:
        """P6: a signboard taken down (摘牌) stays in the inventory as removed, with who removed it, when and why."""
        by = _by(e, "removed_by")
        w.execute("UPDATE signboards SET version = $2, removed_position = $3, removed_at = $4, removed_by_id = $5,"
                  " removed_by_role = $6, removed_by_organization = $7, removal_reason = $8 WHERE id = $1",
                  e.domain_event.originator_id, e.version, e.position, e.occurred_at, by["removed_by_id"],
                  by["removed_by_role"], by["removed_by_organization"], e.domain_event.reason)

    def on_SealUsed(self, w: Writes, e: LoggedEvent) -> None:
        """P10: a use of the seal in self-governance, in the seal ledger (用印登记)."""
        d = e.domain_event
        w.insert("seal_uses", id=d.originator_id, position=e.position, community_code=e.community_code,
                 purpose=d.purpose, kind=d.kind, document=d.document, requested_by=d.requested_by,
                 **_by(e, "used_by"), used_at=e.occurred_at)

    def on_CommunityRegistered(self, w: Writes, e: LoggedEvent) -> None:
        """P36: a community's kind, and (a rural one's) whether its village and enterprises are separated (村企分开;
        a registration stored before the fact was kept reads as separated)."""
        d = e.domain_event
        w.insert("village_enterprise_separation", community_code=e.community_code, kind=d.kind,
                 separated=getattr(d, "village_enterprise_separated", True), position=e.position,
                 recorded_at=e.occurred_at)

    def on_VillageEnterpriseSeparationRecorded(self, w: Writes, e: LoggedEvent) -> None:
        """P36: the village and enterprises recorded separated, or not yet (村企分开), which P6 turns on."""
        w.execute("UPDATE village_enterprise_separation SET separated = $2, position = $3, recorded_at = $4"
                  " WHERE community_code = $1", e.community_code, e.domain_event.village_enterprise_separated,
                  e.position, e.occurred_at)
