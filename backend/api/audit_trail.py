"""The API of the verifiable log (backend/audit/): the checkpoints' public key, the signed checkpoints, inclusion and
consistency proofs (RFC 6962) and the check of the stored log, for the raw log's readers (`Action.READ_LOG`: auditors,
integrators, administrators and government roles). An area module, composed by schema.py. Hashes are lower-case hex,
signatures and the key base64; backend/audit/verifier.py says how to check each."""
from __future__ import annotations

from typing import Annotated, Any

import strawberry

from backend.api.context import ctx
from backend.api.types import Position
from backend.audit.log import MAX_VERIFY_SPAN
from backend.audit.log import Checkpoint as StoredCheckpoint
from backend.domain.access import Action
from backend.domain.errors import InvalidInput, NotFound


@strawberry.type(description="A signed statement that the log's first treeSize events have rootHash: Ed25519 over "
                             "'gongzhi checkpoint v1\\n<treeSize>\\n<rootHash>\\n<timestamp>\\n'.")
class Checkpoint:
    tree_size: int
    root_hash: str
    timestamp: str
    signature: str
    key_id: str

    @classmethod
    def of(cls, c: dict[str, Any] | StoredCheckpoint | None) -> Checkpoint | None:
        if c is None:
            return None
        j = c.as_json() if isinstance(c, StoredCheckpoint) else c
        return cls(tree_size=j["treeSize"], root_hash=j["rootHash"], timestamp=j["timestamp"],
                   signature=j["signature"], key_id=j["keyId"])


@strawberry.type
class AuditPublicKey:
    algorithm: str
    public_key: str = strawberry.field(description="The 32 raw bytes, base64.")
    pem: str
    key_id: str


@strawberry.type(description="RFC 6962's audit path from the event's leaf to the root of the tree of treeSize leaves.")
class InclusionProof:
    position: Position
    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    audit_path: list[str]
    checkpoint: Checkpoint | None


@strawberry.type(description="RFC 6962's proof that the tree of toSize leaves extends the tree of fromSize.")
class ConsistencyProof:
    from_size: int
    to_size: int
    from_root: str
    to_root: str
    path: list[str]
    from_checkpoint: Checkpoint | None
    to_checkpoint: Checkpoint | None


@strawberry.type(description="The stored events recomputed against their leaf hashes and the signed checkpoints.")
class AuditVerification:
    ok: bool
    from_position: Position
    to_position: Position
    events_checked: int
    checkpoints_checked: int
    signatures_checked: bool
    first_bad_position: Position | None
    problem: str | None


def _size(value: int | None, field: str) -> None:
    if value is not None and not 0 < value < 2**31:
        raise InvalidInput(f"{field} must be a positive tree size", field=field)


@strawberry.type
class Query:
    @strawberry.field(description="The Ed25519 key the log's checkpoints are signed with (null if none is set).")
    def audit_public_key(self, info: strawberry.Info) -> AuditPublicKey | None:
        c = ctx(info)
        c.authorize(Action.READ_LOG)
        signer = c.platform.audit.signer
        if signer is None:
            return None
        return AuditPublicKey(algorithm="Ed25519", public_key=signer.public_key, pem=signer.public_pem,
                              key_id=signer.key_id)

    @strawberry.field(description="The latest signed checkpoint of the log.")
    async def latest_checkpoint(self, info: strawberry.Info) -> Checkpoint | None:
        c = ctx(info)
        c.authorize(Action.READ_LOG)
        return Checkpoint.of(await c.platform.audit.latest())

    @strawberry.field(description="Signed checkpoints in order of tree size, after a tree size.")
    async def audit_checkpoints(self, info: strawberry.Info, first: int | None = 100,
                                after: int | None = 0) -> list[Checkpoint]:
        c = ctx(info)
        c.authorize(Action.READ_LOG)
        first = 100 if first is None else first
        if not 0 <= first <= 1000:
            raise InvalidInput("first must be between 0 and 1000", field="first")
        if after is not None and after < 0:
            raise InvalidInput("after is a tree size, 0 or more", field="after")
        return [cp for x in await c.platform.audit.checkpoints(after or 0, first) if (cp := Checkpoint.of(x))]

    @strawberry.field(description="The inclusion proof of the event at a position in the tree of treeSize leaves "
                                  "(default: the latest checkpoint's).")
    async def event_proof(self, info: strawberry.Info, position: Position,
                          tree_size: int | None = None) -> InclusionProof:
        c = ctx(info)
        c.authorize(Action.READ_LOG)
        _size(tree_size, "treeSize")
        code = await c.platform.pool.fetchval(
            f"SELECT community_code FROM {c.platform.events.table} WHERE notification_id = $1", position)
        if code is None:
            raise NotFound(f"no event at position {position}")
        c.authorize(Action.READ_LOG, code)
        p = await c.platform.audit.inclusion(position, tree_size)
        return InclusionProof(position=Position(p["position"]), leaf_index=p["index"], tree_size=p["treeSize"],
                              leaf_hash=p["leafHash"], root_hash=p["rootHash"], audit_path=p["path"],
                              checkpoint=Checkpoint.of(p["checkpoint"]))

    @strawberry.field(description="The consistency proof between the trees of two sizes (to: default the latest "
                                  "checkpoint's).")
    async def consistency_proof(self, info: strawberry.Info,
                                from_: Annotated[int, strawberry.argument(name="from")],
                                to: int | None = None) -> ConsistencyProof:
        c = ctx(info)
        c.authorize(Action.READ_LOG)
        _size(from_, "from")
        _size(to, "to")
        p = await c.platform.audit.consistency(from_, to)
        return ConsistencyProof(from_size=p["fromSize"], to_size=p["toSize"], from_root=p["fromRoot"],
                                to_root=p["toRoot"], path=p["path"],
                                from_checkpoint=Checkpoint.of(p["fromCheckpoint"]),
                                to_checkpoint=Checkpoint.of(p["toCheckpoint"]))

    @strawberry.field(description="Recompute the leaf hash of every stored event with a position in [from, to] "
                                  "(default: all, at most 200,000 positions a call) and the root of every signed "
                                  "checkpoint in it: the first position where they disagree.")
    async def verify_audit_chain(self, info: strawberry.Info,
                                 from_: Annotated[Position | None, strawberry.argument(name="from")] = None,
                                 to: Position | None = None) -> AuditVerification:
        c = ctx(info)
        c.authorize(Action.READ_LOG)
        r = await c.platform.audit.verify(from_ or 1, to, MAX_VERIFY_SPAN)
        bad = r["firstBadPosition"]
        return AuditVerification(ok=r["ok"], from_position=Position(r["from"]), to_position=Position(r["to"]),
                                 events_checked=r["eventsChecked"], checkpoints_checked=r["checkpointsChecked"],
                                 signatures_checked=r["signaturesChecked"],
                                 first_bad_position=None if bad is None else Position(bad), problem=r["problem"])
