"""Commands of the burden-reduction rules about what may stand in a community (P5 work bodies, P6 signboards,
P7 target-responsibility contracts, P10 the seal). Each allowed act is recorded; each forbidden one is refused
through `_refuse` (backend/application/base.py): its refusal is appended, then its error raised. The rules
themselves are in backend/domain/standing.py; the P36 fact P6 turns on (village and enterprises separated) is
recorded on the community here too."""
from __future__ import annotations

from typing import TypeVar

from eventsourcing.domain import Aggregate

from backend.application.base import GovernanceApplication, Receipt, acting
from backend.application.steps import Steps, command
from backend.domain import values
from backend.domain.access import Action, authorize
from backend.domain.community import Community
from backend.domain.errors import InvalidInput
from backend.domain.refusal import Refusal
from backend.domain.stamp import Stamp
from backend.domain.standing import (
    MAX_NAME,
    MAX_PURPOSE,
    SealUse,
    SealUseKind,
    Signboard,
    SignboardKind,
    TargetContractRefusal,
    WorkBody,
    WorkBodyKind,
    contract_targets,
)

A = TypeVar("A", bound=Aggregate)


class BurdenRules(GovernanceApplication):
    """P5, P6, P7, P10 (推进社区减负增效): the commands; Gongzhi (governance.py) has them."""

    def _record_or_refuse(self, outcome: A | Refusal) -> Steps[tuple[A, Receipt]]:
        """A rule's verdict committed: the record and its receipt, or the refusal appended and its error raised."""
        if isinstance(outcome, Refusal):
            return (yield from self._refuse(outcome))  # it raises the refusal's error
        return outcome, (yield from self._commit_change(outcome))

    # -- P5 不得另设工作机构 ---------------------------------------------------------------------------
    @command(Action.ESTABLISH_WORK_BODY)
    def establish_work_body(self, by: Stamp, *, community_code: str, name: str, kind: str,
                            legal_basis: str | None = None) -> Steps[tuple[WorkBody, Receipt]]:
        """P5: a body the law provides for, or one on a law or regulation (`WorkBodyEstablished`); a department's
        own body on neither is refused (`WorkBodyRefused`, WORK_BODY_NOT_ALLOWED)."""
        code = values.division_code(community_code, "communityCode")
        name = values.text(name, "name", MAX_NAME)
        kind_ = WorkBodyKind(values.choice(kind, WorkBodyKind, "kind"))
        legal_basis = values.optional_text(legal_basis, "legalBasis", MAX_PURPOSE)
        authorize(acting(by).actor, Action.ESTABLISH_WORK_BODY, code)
        yield from self._require_community(code)
        return (yield from self._record_or_refuse(WorkBody.establish(code, name, kind_, legal_basis, by)))

    # -- P6 挂牌 (and the P36 fact it turns on) ------------------------------------------------------------
    @command(Action.HANG_SIGNBOARD)
    def hang_signboard(self, by: Stamp, *, community_code: str, kind: str,
                       text: str) -> Steps[tuple[Signboard, Receipt]]:
        """P6: a signboard of an allowed kind (`SignboardHung`); any other, or a collective economic organization's
        at a community that is not a RURAL one with village and enterprises unseparated (P36), is refused
        (`SignboardRefused`, SIGNBOARD_NOT_ALLOWED)."""
        code = values.division_code(community_code, "communityCode")
        kind_ = SignboardKind(values.choice(kind, SignboardKind, "kind"))
        text = values.text(text, "text", MAX_NAME)
        authorize(acting(by).actor, Action.HANG_SIGNBOARD, code)
        community = yield from self._community(code)
        return (yield from self._record_or_refuse(Signboard.hang(community, kind_, text, by)))

    @command(Action.HANG_SIGNBOARD)
    def remove_signboard(self, by: Stamp, *, signboard_id: str, reason: str) -> Steps[tuple[Signboard, Receipt]]:
        """P6: a hanging signboard taken down (摘牌, `SignboardRemoved`), saying why."""
        signboard_uuid = values.uuid(signboard_id, "id")
        reason = values.text(reason, "reason", MAX_PURPOSE, multiline=True)
        acting(by)
        signboard = yield from self._get(Signboard, signboard_uuid, "signboard")
        authorize(by.actor, Action.HANG_SIGNBOARD, signboard.community_code)
        signboard.remove(reason, by)
        return signboard, (yield from self._commit_change(signboard))

    @command(Action.REGISTER_COMMUNITY)
    def record_village_enterprise_separation(self, by: Stamp, *, community_code: str,
                                             separated: bool) -> Steps[tuple[Community, Receipt]]:
        """P36 (分类指导): whether a RURAL community's village and enterprises are separated (村企分开,
        `VillageEnterpriseSeparationRecorded`), which decides P6's collective economic organization's signboard."""
        code = values.division_code(community_code, "communityCode")
        if not isinstance(separated, bool):
            raise InvalidInput("separated is true or false", field="separated")
        authorize(acting(by).actor, Action.REGISTER_COMMUNITY, code)
        community = yield from self._community(code)
        community.record_village_enterprise_separation(separated, by)
        return community, (yield from self._commit_change(community))

    # -- P7 取消目标责任书 -----------------------------------------------------------------------------
    @command(Action.IMPOSE_TARGET_CONTRACT)
    def impose_target_contract(self, by: Stamp, *, community_code: str, title: str,
                               targets: list[str] | None = None) -> Steps[Receipt]:
        """P7: a target-responsibility contract is always refused and recorded (`TargetContractRefused`,
        TARGET_CONTRACT_ABOLISHED): it never returns. A role the permission table does not name for it is FORBIDDEN,
        and nothing is recorded."""
        code = values.division_code(community_code, "communityCode")
        title, checked_targets = values.text(title, "title", MAX_NAME), contract_targets(targets)
        authorize(acting(by).actor, Action.IMPOSE_TARGET_CONTRACT, code)
        yield from self._require_community(code)
        return (yield from self._refuse(TargetContractRefusal.impose(code, title, checked_targets, by)))

    # -- P10 规范公章 ---------------------------------------------------------------------------------
    @command(Action.USE_SEAL)
    def use_seal(self, by: Stamp, *, community_code: str, purpose: str, kind: str, document: str,
                 requested_by: str | None = None) -> Steps[tuple[SealUse, Receipt]]:
        """P10: a use in self-governance goes into the seal ledger (用印登记, `SealUsed`); a certification of legal
        or joint economic liability is refused (`SealUseRefused`, SEAL_USE_NOT_ALLOWED), counted against whoever
        asked for it (`requested_by`, else the actor's organization)."""
        code = values.division_code(community_code, "communityCode")
        purpose = values.text(purpose, "purpose", MAX_PURPOSE, multiline=True)
        kind_ = SealUseKind(values.choice(kind, SealUseKind, "kind"))
        document = values.text(document, "document", MAX_NAME)
        requested_by = values.optional_text(requested_by, "requestedBy", MAX_NAME)
        authorize(acting(by).actor, Action.USE_SEAL, code)
        yield from self._require_community(code)
        return (yield from self._record_or_refuse(SealUse.use(code, purpose, kind_, document, requested_by, by)))
