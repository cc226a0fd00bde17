"""The API of the burden-reduction rules about what may stand in a community (P5 work bodies, P6
signboards, P7 target-responsibility contracts, P10 the seal, and the P36 fact P6 turns on): their types, inputs and
results, and the fields they add to Query and Mutation (the commands: backend/application/rules.py; the rules:
backend/domain/standing.py; the read model: projections/standing.py).

An area module of the schema (backend/api/schema.py composes it): it may define `Query`, `Mutation` and
`Subscription` strawberry types; a class it does not define, or one with no fields yet, adds nothing.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import strawberry

from backend.api import reads
from backend.api.commanding import app, arguments, run
from backend.api.context import ctx
from backend.api.governance import Community, community_now
from backend.api.types import Connection, Receipt, Role
from backend.domain import standing, values
from backend.domain.access import Action
from backend.domain.standing import SealUse as SealUseAggregate
from backend.domain.standing import Signboard as SignboardAggregate
from backend.domain.standing import WorkBody as WorkBodyAggregate

WorkBodyKind = strawberry.enum(standing.WorkBodyKind, name="WorkBodyKind",
                               description="P5: the kinds of body working in a community (社区工作机构).")
SignboardKind = strawberry.enum(standing.SignboardKind, name="SignboardKind",
                                description="P6: the kinds of signboard (牌子) a community's office may hang.")
SealUseKind = strawberry.enum(standing.SealUseKind, name="SealUseKind",
                              description="P10: what a use of the community seal (社区公章) is for.")


@strawberry.type(description="Who did it: the actor's id, role and organization (所属单位), as the event records.")
class ActedBy:
    actor_id: str
    role: Role
    organization: str | None

    @classmethod
    def of(cls, actor: dict[str, Any]) -> ActedBy:
        """From an aggregate's event stamp (`actor` dict)."""
        return cls(actor_id=actor["id"], role=Role(actor["role"]), organization=actor.get("organization"))

    @classmethod
    def from_row(cls, row: asyncpg.Record, prefix: str) -> ActedBy:
        """From a read-model row's `<prefix>_id`, `_role` and `_organization` columns."""
        return cls(actor_id=row[f"{prefix}_id"], role=Role(row[f"{prefix}_role"]),
                   organization=row[f"{prefix}_organization"])


# -- P5: work bodies (不得另设工作机构) -------------------------------------------------------------------------
@strawberry.type(description="P5 (不得另设工作机构): a body working in a community: one the law provides for (the "
                             "party organization, the residents'/villagers' committee and its subcommittees, the "
                             "service station), or one on a law or regulation (`legalBasis`).")
class WorkBody:
    id: strawberry.ID
    community_code: strawberry.ID
    name: str
    kind: WorkBodyKind
    legal_basis: str | None
    established_by: ActedBy
    established_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> WorkBody:
        return cls(id=strawberry.ID(str(row["id"])), community_code=row["community_code"], name=row["name"],
                   kind=WorkBodyKind(row["kind"]), legal_basis=row["legal_basis"],
                   established_by=ActedBy.from_row(row, "established_by"),
                   established_at=row["established_at"])

    @classmethod
    def from_aggregate(cls, body: WorkBodyAggregate) -> WorkBody:
        return cls(id=strawberry.ID(str(body.id)), community_code=strawberry.ID(body.community_code), name=body.name,
                   kind=WorkBodyKind(body.kind), legal_basis=body.legal_basis,
                   established_by=ActedBy.of(body.established_by),
                   established_at=body.created_on)


@strawberry.type
class WorkBodyResult:
    work_body: WorkBody
    receipt: Receipt


@strawberry.input(description="P5: a body to set up in a community; a DEPARTMENT_BODY needs a `legalBasis` naming a "
                              "law or regulation in book-title marks (《…法》 or 《…条例》).")
class EstablishWorkBodyInput:
    community_code: strawberry.ID
    name: str
    kind: WorkBodyKind
    legal_basis: str | None = None


# -- P6: signboards (挂牌) -------------------------------------------------------------------------------------
@strawberry.type(description="P6 (挂牌): a signboard at a community, in its inventory: who hung it and when, and "
                             "(once taken down) who removed it, when and why.")
class Signboard:
    id: strawberry.ID
    community_code: strawberry.ID
    kind: SignboardKind
    text: str
    hung_by: ActedBy
    hung_at: datetime
    removed: bool
    removed_by: ActedBy | None
    removed_at: datetime | None
    removal_reason: str | None
    version: int

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Signboard:
        return cls(id=strawberry.ID(str(row["id"])), community_code=row["community_code"],
                   kind=SignboardKind(row["kind"]), text=row["text"],
                   hung_by=ActedBy.from_row(row, "hung_by"),
                   hung_at=row["hung_at"], removed=row["removed_at"] is not None,
                   removed_by=ActedBy.from_row(row, "removed_by") if row["removed_by_id"] else None,
                   removed_at=row["removed_at"],
                   removal_reason=row["removal_reason"], version=row["version"])

    @classmethod
    def from_aggregate(cls, sign: SignboardAggregate) -> Signboard:
        return cls(id=strawberry.ID(str(sign.id)), community_code=strawberry.ID(sign.community_code),
                   kind=SignboardKind(sign.kind), text=sign.text, hung_by=ActedBy.of(sign.hung_by),
                   hung_at=sign.created_on, removed=sign.removed,
                   removed_by=ActedBy.of(sign.removed_by) if sign.removed_by else None,
                   removed_at=sign.modified_on if sign.removed else None, removal_reason=sign.removal_reason,
                   version=sign.version)


@strawberry.type
class SignboardResult:
    signboard: Signboard
    receipt: Receipt


@strawberry.input(description="P6: a signboard to hang: its kind and its words (e.g. 长江路社区居民委员会).")
class HangSignboardInput:
    community_code: strawberry.ID
    kind: SignboardKind
    text: str


# -- P7: target-responsibility contracts (取消目标责任书) -----------------------------------------------------------
@strawberry.type(description="P7 (取消目标责任书): a target-responsibility contract. None is ever made: the mutation "
                             "always answers TARGET_CONTRACT_ABOLISHED, and the attempt is recorded.")
class TargetContract:
    community_code: strawberry.ID
    title: str
    targets: list[str]


@strawberry.type
class TargetContractResult:
    contract: TargetContract
    receipt: Receipt


@strawberry.input(description="P7: a target-responsibility contract a department or street office would impose.")
class ImposeTargetContractInput:
    community_code: strawberry.ID
    title: str
    targets: list[str] | None = None


# -- P10: the seal (规范公章) ---------------------------------------------------------------------------------
@strawberry.type(description="P10 (规范公章): a use of the community seal in self-governance, in the seal ledger "
                             "(用印登记): for what, on which document, asked for by whom, sealed by whom and when.")
class SealUse:
    id: strawberry.ID
    community_code: strawberry.ID
    purpose: str
    kind: SealUseKind
    document: str
    requested_by: str | None = strawberry.field(description="The organization that asked for it (the actor's own "
                                                            "when none was named).")
    used_by: ActedBy
    used_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> SealUse:
        return cls(id=strawberry.ID(str(row["id"])), community_code=row["community_code"], purpose=row["purpose"],
                   kind=SealUseKind(row["kind"]), document=row["document"], requested_by=row["requested_by"],
                   used_by=ActedBy.from_row(row, "used_by"),
                   used_at=row["used_at"])

    @classmethod
    def from_aggregate(cls, use: SealUseAggregate) -> SealUse:
        return cls(id=strawberry.ID(str(use.id)), community_code=strawberry.ID(use.community_code),
                   purpose=use.purpose, kind=SealUseKind(use.kind), document=use.document,
                   requested_by=use.requested_by, used_by=ActedBy.of(use.used_by), used_at=use.created_on)


@strawberry.type
class SealUseResult:
    seal_use: SealUse
    receipt: Receipt


@strawberry.input(description="P10: a use of the seal: its purpose, its kind, the document, and who asks for it (an "
                              "organization; the actor's own when left out). A certification of legal or joint "
                              "economic liability is refused (SEAL_USE_NOT_ALLOWED) and counted against the asker.")
class UseSealInput:
    community_code: strawberry.ID
    purpose: str
    kind: SealUseKind
    document: str
    requested_by: str | None = None


# -- P36: village and enterprises separated (村企分开) ------------------------------------------------------------
@strawberry.type(description="P36 (分类指导): a RURAL community's village and enterprises recorded separated or not "
                             "yet (村企分开); only an unseparated one may hang its collective economic organization's "
                             "signboard (P6).")
class VillageEnterpriseSeparationResult:
    community: Community
    village_enterprise_separated: bool
    receipt: Receipt


# -- reads ---------------------------------------------------------------------------------------------------------
def _community_read(info: strawberry.Info, community_code: str) -> tuple[Any, str]:
    """The request's context and the community code, once the actor may read the read models there."""
    c = ctx(info)
    code = values.division_code(community_code, "communityCode")
    c.authorize(Action.READ_MODELS, code)
    return c, code


@strawberry.type
class Query:
    @strawberry.field(description="P6: a community's signboard inventory: what hangs now, who hung it and when "
                                  "(with `includeRemoved`, also those taken down), in the order they were hung.")
    async def signboards(self, info: strawberry.Info, community_code: strawberry.ID,
                         include_removed: bool | None = False) -> list[Signboard]:
        c, code = _community_read(info, community_code)
        rows = await reads.of_community(c, "signboards", code, "TRUE" if include_removed else "removed_at IS NULL")
        return [Signboard.from_row(row) for row in rows]

    @strawberry.field(description="P5: the bodies working in a community, in the order they were set up.")
    async def work_bodies(self, info: strawberry.Info, community_code: strawberry.ID) -> list[WorkBody]:
        c, code = _community_read(info, community_code)
        rows = await reads.of_community(c, "work_bodies", code)
        return [WorkBody.from_row(row) for row in rows]

    @strawberry.field(description="P10: a community's seal ledger (用印登记), newest first.")
    async def seal_ledger(self, info: strawberry.Info, community_code: strawberry.ID, first: int | None = 50,
                          after: str | None = None) -> Connection[SealUse]:
        c, code = _community_read(info, community_code)
        page = await reads.page(c, "seal_uses", "position", ["community_code = $1"], [code], first, after, True)
        return Connection.of(page, SealUse.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="P5: set up a body in a community. A department's own body that names no law or "
                                     "regulation is refused (WORK_BODY_NOT_ALLOWED) and the refusal recorded.")
    async def establish_work_body(self, info: strawberry.Info, input: EstablishWorkBodyInput) -> WorkBodyResult:
        body, receipt = await run(info, app(info).establish_work_body, **arguments(input))
        return WorkBodyResult(work_body=WorkBody.from_aggregate(body),
                              receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation(description="P6: hang a signboard. One of a kind the guideline does not allow (OTHER; a "
                                     "collective economic organization's where the village and enterprises are "
                                     "separated, or an urban community) is refused (SIGNBOARD_NOT_ALLOWED), recorded.")
    async def hang_signboard(self, info: strawberry.Info, input: HangSignboardInput) -> SignboardResult:
        sign, receipt = await run(info, app(info).hang_signboard, **arguments(input))
        return SignboardResult(signboard=Signboard.from_aggregate(sign),
                               receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation(description="P6: take a signboard down (摘牌), saying why.")
    async def remove_signboard(self, info: strawberry.Info, id: strawberry.ID, reason: str) -> SignboardResult:
        sign, receipt = await run(info, app(info).remove_signboard, signboard_id=id, reason=reason)
        return SignboardResult(signboard=Signboard.from_aggregate(sign), receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation(description="P7: target-responsibility contracts are abolished: always refused "
                                     "(TARGET_CONTRACT_ABOLISHED) and the attempt recorded; a role that may not "
                                     "impose one is FORBIDDEN and nothing is recorded.")
    async def impose_target_contract(self, info: strawberry.Info,
                                     input: ImposeTargetContractInput) -> TargetContractResult:
        receipt = await run(info, app(info).impose_target_contract, **arguments(input))
        raise AssertionError(f"P7: a target contract was not refused ({receipt})")  # the command always raises

    @strawberry.mutation(description="P10: use the community seal. A use in self-governance goes into the seal "
                                     "ledger; a certification of legal or joint economic liability is refused "
                                     "(SEAL_USE_NOT_ALLOWED), recorded and counted against whoever asked for it.")
    async def use_seal(self, info: strawberry.Info, input: UseSealInput) -> SealUseResult:
        use, receipt = await run(info, app(info).use_seal, **arguments(input))
        return SealUseResult(seal_use=SealUse.from_aggregate(use),
                             receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation(description="P36: record whether a RURAL community's village and enterprises are separated "
                                     "(村企分开); an URBAN community has none (INVALID_STATE).")
    async def record_village_enterprise_separation(self, info: strawberry.Info, community_code: strawberry.ID,
                                                   separated: bool) -> VillageEnterpriseSeparationResult:
        community, receipt = await run(info, app(info).record_village_enterprise_separation,
                                       community_code=community_code, separated=separated)
        return VillageEnterpriseSeparationResult(
            community=await community_now(info, community),
            village_enterprise_separated=community.village_enterprise_separated, receipt=Receipt.from_receipt(receipt))

