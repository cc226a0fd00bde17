"""What stands in a community (推进社区减负增效, items 3 of the guideline's burden reduction): the work bodies set up in
it (P5), the signboards hung at it (P6), the target-responsibility contracts it may not be made to sign (P7), and the
uses of its seal (P10).

Each provision is a rule of one shape: an attempt is either recorded (`WorkBodyEstablished`, `SignboardHung`,
`SealUsed`) or refused, and a refusal is an aggregate of one event (`WorkBodyRefused`, `SignboardRefused`,
`TargetContractRefused`, `SealUseRefused`, each a `Refusal`, backend/domain/refusal.py) naming its provision, its
error code and the reason. A rule is a pure function giving the reason an attempt is refused (None: allowed); `attempt`
turns its verdict into the record or the refusal. The commands are in backend/application/rules.py, the read models in
projections/standing.py; the refusals are counted by projections/burden.py.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from typing import Any, ClassVar, TypeVar

from eventsourcing.domain import Aggregate, event

from backend.domain import errors, values
from backend.domain.community import Community
from backend.domain.errors import InvalidInput, InvalidState
from backend.domain.refusal import Refusal
from backend.domain.stamp import Stamp

A = TypeVar("A", bound=Aggregate)

#: Longest name of a work body, signboard text, seal document or requesting organization; of a purpose or reason.
MAX_NAME = 200
MAX_PURPOSE = 1000
#: Most targets one (refused) target-responsibility contract records.
MAX_CONTRACT_TARGETS = 100

#: P5: a law or regulation named in book-title marks (书名号): 《…法》 or 《…条例》, e.g.
#: 《中华人民共和国城市居民委员会组织法》, 《江苏省社区服务条例》 (nested marks 〈〉 inside the name are allowed); a
#: department's own measures (《…管理办法》) are no law or regulation, but a province's measures implementing a law
#: (《江苏省实施〈…法〉办法》, a local regulation) are.
LAW_OR_REGULATION = re.compile(r"《[^《》]*(?:〈[^〈〉]*法〉[^《》]*办法|[^《》\s办](?:法|条例))》")


class StandingRefusal(Refusal):
    """The refusals of this module (P5, P6, P7, P10): a `Refusal` whose class names its provision and its error."""

    ERROR: ClassVar[type[errors.RuleRefusal]] = errors.RuleRefusal


R = TypeVar("R", bound=StandingRefusal)


def attempt(reason: str | None, record: Callable[[], A], refusal: type[R], community_code: str, by: Stamp,
            **attempted: Any) -> A | R:
    """One rule's verdict made a record: `record()` when the rule found no reason to refuse, else the refusal of
    the attempt (its fields `attempted`, its provision, its error's code and the reason), to be appended."""
    if reason is None:
        return record()
    return refuse(refusal, reason, community_code, by, **attempted)


def refuse(refusal: type[R], reason: str, community_code: str, by: Stamp, **attempted: Any) -> R:
    """The refusal of an attempt: its fields, its provision, its error's code and why, stamped like any event."""
    make: Callable[..., R] = refusal  # each refusal's own event declares its fields (mypy sees the base's)
    return make(provision=refusal.PROVISION, code=refusal.ERROR.code, reason=reason, **attempted,
                **by.on(community_code))


# -- P5 不得另设工作机构: work bodies ------------------------------------------------------------------------

class WorkBodyKind(str, Enum):
    """P5: the kinds of body working in a community (社区工作机构). The first five are provided for by law; a
    department's own body (部门工作机构) stands only on a law or regulation that provides for it."""

    PARTY_ORGANIZATION = "PARTY_ORGANIZATION"  # 社区党组织
    RESIDENTS_COMMITTEE = "RESIDENTS_COMMITTEE"  # 社区居民委员会
    VILLAGERS_COMMITTEE = "VILLAGERS_COMMITTEE"  # 村民委员会
    COMMITTEE_SUBCOMMITTEE = "COMMITTEE_SUBCOMMITTEE"  # 居(村)委会下属委员会 (人民调解、治安保卫、公共卫生…)
    SERVICE_STATION = "SERVICE_STATION"  # 社区服务站(中心)
    DEPARTMENT_BODY = "DEPARTMENT_BODY"  # 部门在社区设立的工作机构 (xx工作站、xx办公室)


#: P5: the bodies the law provides for in a community (法律规定的社区组织).
LAWFUL_WORK_BODIES = frozenset(WorkBodyKind) - {WorkBodyKind.DEPARTMENT_BODY}


def names_law_or_regulation(legal_basis: str | None) -> bool:
    """P5: whether a legal basis names a law or regulation (法律法规): 《…法》 or 《…条例》."""
    return legal_basis is not None and LAW_OR_REGULATION.search(legal_basis) is not None


def work_body_refusal(kind: WorkBodyKind, legal_basis: str | None) -> str | None:
    """P5 (除法律法规有明确规定外,各部门不得在社区另设工作机构): why a work body may not be set up in a community, or
    None: a body the law provides for, or one whose legal basis names a law or regulation, may."""
    if kind in LAWFUL_WORK_BODIES or names_law_or_regulation(legal_basis):
        return None
    if legal_basis is None:
        return (f"a {kind.value} names no law or regulation that provides for it; departments may not set up their "
                "own work bodies in a community (P5)")
    return (f"the legal basis {legal_basis!r:.120} names no law or regulation (《…法》 or 《…条例》); departments may "
            "not set up their own work bodies in a community (P5)")


class WorkBody(Aggregate):
    """P5: a work body set up in a community (社区工作机构): one the law provides for, or one on a law or regulation."""

    @event("WorkBodyEstablished")
    def __init__(self, name: str, kind: str, legal_basis: str | None, actor: dict[str, Any], request_id: str,
                 community_code: str, client_request_id: str | None = None) -> None:
        """P5: the body is recorded as working in the community (设立), with what the law provides for it."""
        self.community_code = community_code
        self.name = name
        self.kind = kind
        self.legal_basis = legal_basis
        self.established_by = actor

    @classmethod
    def establish(cls, community_code: str, name: str, kind: WorkBodyKind, legal_basis: str | None,
                  by: Stamp) -> WorkBody | WorkBodyRefusal:
        """P5: the body, or the refusal of a department's own body that no law or regulation provides for."""
        fields: dict[str, Any] = {"name": values.text(name, "name", MAX_NAME), "kind": kind.value,
                  "legal_basis": values.optional_text(legal_basis, "legalBasis", MAX_PURPOSE)}
        return attempt(work_body_refusal(kind, fields["legal_basis"]),
                       lambda: cls(**fields, **by.on(community_code)), WorkBodyRefusal, community_code, by, **fields)


class WorkBodyRefusal(StandingRefusal):
    """P5 (不得另设工作机构): a department's own work body that no law or regulation provides for, refused."""

    PROVISION = "P5"
    ERROR = errors.WorkBodyNotAllowed

    @event("WorkBodyRefused")
    def __init__(self, name: str, kind: str, legal_basis: str | None, provision: str, code: str, reason: str,
                 actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        """P5: the body that was to be set up, and why it may not be (WORK_BODY_NOT_ALLOWED)."""
        self.community_code, self.provision, self.code, self.reason = community_code, provision, code, reason
        self.name, self.kind, self.legal_basis = name, kind, legal_basis


# -- P6 挂牌: signboards ------------------------------------------------------------------------------------

class SignboardKind(str, Enum):
    """P6: the kinds of signboard (牌子) a community's office may hang outside (对外悬挂)."""

    PARTY_ORGANIZATION = "PARTY_ORGANIZATION"  # 社区党组织
    RESIDENTS_COMMITTEE = "RESIDENTS_COMMITTEE"  # 社区居民委员会
    VILLAGERS_COMMITTEE = "VILLAGERS_COMMITTEE"  # 村民委员会
    SERVICE_STATION = "SERVICE_STATION"  # 社区服务站(中心)
    COMMUNITY_EMBLEM = "COMMUNITY_EMBLEM"  # 民政部统一的社区标识
    COLLECTIVE_ECONOMIC_ORGANIZATION = "COLLECTIVE_ECONOMIC_ORGANIZATION"  # 集体经济组织 (村企尚未分离的农村社区)
    OTHER = "OTHER"  # 其他牌子 (部门的 "xx工作站"、"xx之家"…)


#: P6: the signboards every community may hang (社区党组织、社区居(村)委会、社区服务站(中心)牌子和民政部统一的社区标识).
ALWAYS_ALLOWED_SIGNBOARDS = frozenset({SignboardKind.PARTY_ORGANIZATION, SignboardKind.RESIDENTS_COMMITTEE,
                                       SignboardKind.VILLAGERS_COMMITTEE, SignboardKind.SERVICE_STATION,
                                       SignboardKind.COMMUNITY_EMBLEM})


def signboard_refusal(community: Community, kind: SignboardKind) -> str | None:
    """P6 (原则上只悬挂社区党组织、社区居(村)委会、社区服务站(中心)牌子和民政部统一的社区标识,村企尚未分离的农村社区可增挂
    集体经济组织牌子): why this signboard may not hang at this community, or None. The collective economic
    organization's sign turns on the P36 fact: a RURAL community whose village and enterprises are not separated."""
    if kind in ALWAYS_ALLOWED_SIGNBOARDS:
        return None
    if kind is SignboardKind.COLLECTIVE_ECONOMIC_ORGANIZATION:
        if community.rural_unseparated:
            return None
        situation = ("an URBAN community" if community.kind != "RURAL"
                     else "a RURAL community whose village and enterprises are separated")
        return (f"only a RURAL community whose village and enterprises are not yet separated may add its collective "
                f"economic organization's signboard; {community.code} is {situation} (P6, P36)")
    return ("only the community party organization's, the residents' or villagers' committee's and the service "
            "station's signboards and the Ministry of Civil Affairs' community emblem may hang (P6)")


class Signboard(Aggregate):
    """P6: a signboard hanging at a community (社区挂牌), until it is removed (摘牌): the signboard inventory."""

    @event("SignboardHung")
    def __init__(self, kind: str, text: str, actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        """P6: a signboard of an allowed kind hung at the community (挂牌)."""
        self.community_code = community_code
        self.kind = kind
        self.text = text
        self.hung_by = actor
        self.removed = False
        self.removed_by: dict[str, Any] | None = None
        self.removal_reason: str | None = None

    @classmethod
    def hang(cls, community: Community, kind: SignboardKind, text: str, by: Stamp) -> Signboard | SignboardRefusal:
        """P6: the signboard, or the refusal of one of a kind the guideline does not allow."""
        text = values.text(text, "text", MAX_NAME)
        return attempt(signboard_refusal(community, kind),
                       lambda: cls(kind=kind.value, text=text, **by.on(community.code)), SignboardRefusal,
                       community.code, by, kind=kind.value, text=text, community_kind=community.kind,
                       village_enterprise_separated=community.village_enterprise_separated)

    def remove(self, reason: str, by: Stamp) -> None:
        """P6: the signboard taken down (摘牌), saying why; a removed signboard cannot be removed again."""
        reason = values.text(reason, "reason", MAX_PURPOSE, multiline=True)
        if self.removed:
            raise InvalidState("this signboard has been removed already", status="REMOVED")
        self._removed(reason, **by.on(self.community_code))

    @event("SignboardRemoved")
    def _removed(self, reason: str, actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        """P6: the signboard is no longer hanging (摘牌), and why."""
        self.removed = True
        self.removed_by = actor
        self.removal_reason = reason


class SignboardRefusal(StandingRefusal):
    """P6 (挂牌): a signboard of a kind the guideline does not allow at this community, refused."""

    PROVISION = "P6"
    ERROR = errors.SignboardNotAllowed

    @event("SignboardRefused")
    def __init__(self, kind: str, text: str, community_kind: str, village_enterprise_separated: bool,
                 provision: str, code: str, reason: str, actor: dict[str, Any], request_id: str,
                 community_code: str, client_request_id: str | None = None) -> None:
        """P6: the signboard that was to hang, the community's kind and P36 fact it was judged on, and why not
        (SIGNBOARD_NOT_ALLOWED)."""
        self.community_code, self.provision, self.code, self.reason = community_code, provision, code, reason
        self.kind, self.text = kind, text
        self.community_kind, self.village_enterprise_separated = community_kind, village_enterprise_separated


# -- P7 取消目标责任书: target-responsibility contracts ---------------------------------------------------------

def contract_targets(targets: Any) -> list[str]:
    """P7: the targets a contract would have set (at most MAX_CONTRACT_TARGETS texts; None: none)."""
    if targets is None:
        return []
    if not isinstance(targets, (list, tuple)):
        raise InvalidInput("targets must be a list of texts", field="targets")
    if len(targets) > MAX_CONTRACT_TARGETS:
        raise InvalidInput(f"targets holds at most {MAX_CONTRACT_TARGETS} entries", field="targets")
    return [values.text(target, "targets", MAX_PURPOSE) for target in targets]


def target_contract_refusal() -> str:
    """P7 (取消部门、街道办事处(乡镇人民政府)与社区居(村)委会签订的工作目标责任书): every such contract is refused."""
    return ("target-responsibility contracts between departments or street offices and community committees are "
            "abolished (P7)")


class TargetContractRefusal(StandingRefusal):
    """P7 (取消目标责任书): a target-responsibility contract a department or street office tried to impose, refused."""

    PROVISION = "P7"
    ERROR = errors.TargetContractAbolished

    @event("TargetContractRefused")
    def __init__(self, title: str, targets: list[str], provision: str, code: str, reason: str,
                 actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        """P7: the contract's title and targets, refused (TARGET_CONTRACT_ABOLISHED)."""
        self.community_code, self.provision, self.code, self.reason = community_code, provision, code, reason
        self.title, self.targets = title, targets

    @classmethod
    def impose(cls, community_code: str, title: str, targets: list[str] | None, by: Stamp) -> TargetContractRefusal:
        """P7: the only outcome of imposing a target-responsibility contract: its refusal."""
        return refuse(cls, target_contract_refusal(), community_code, by, title=values.text(title, "title", MAX_NAME),
                      targets=contract_targets(targets))


# -- P10 规范公章: the community seal ----------------------------------------------------------------------

class SealUseKind(str, Enum):
    """P10: what a use of the community seal (社区公章) is for."""

    SELF_GOVERNANCE = "SELF_GOVERNANCE"  # 社区居民自治活动 (居民会议决定、居务公开、公约…)
    LEGAL_LIABILITY_CERTIFICATE = "LEGAL_LIABILITY_CERTIFICATE"  # 承担法律责任的证明
    ECONOMIC_LIABILITY_CERTIFICATE = "ECONOMIC_LIABILITY_CERTIFICATE"  # 承担经济连带责任的证明 (担保…)


def seal_use_refusal(kind: SealUseKind) -> str | None:
    """P10 (公章除用于社区居民自治活动外,不得用于其他任何承担法律责任及经济连带责任的证明): why the seal may not be used so,
    or None for a use in self-governance."""
    if kind is SealUseKind.SELF_GOVERNANCE:
        return None
    what = "legal liability" if kind is SealUseKind.LEGAL_LIABILITY_CERTIFICATE else "joint economic liability"
    return f"the community seal serves self-governance only; it may not certify anything carrying {what} (P10)"


class SealUse(Aggregate):
    """P10: a use of the community seal in self-governance, in the seal ledger (用印登记)."""

    @event("SealUsed")
    def __init__(self, purpose: str, kind: str, document: str, requested_by: str | None, actor: dict[str, Any],
                 request_id: str, community_code: str, client_request_id: str | None = None) -> None:
        """P10: the seal used (用印): for what, on which document, asked for by whom."""
        self.community_code = community_code
        self.purpose = purpose
        self.kind = kind
        self.document = document
        self.requested_by = requested_by
        self.used_by = actor

    @classmethod
    def use(cls, community_code: str, purpose: str, kind: SealUseKind, document: str, requested_by: str | None,
            by: Stamp) -> SealUse | SealUseRefusal:
        """P10: the use, or the refusal of a certification of liability, counted against whoever asked for it
        (`requested_by`, an organization; when not given, the actor's organization)."""
        requester = values.optional_text(requested_by, "requestedBy", MAX_NAME) or by.actor.organization
        fields: dict[str, Any] = {"purpose": values.text(purpose, "purpose", MAX_PURPOSE, multiline=True),
                                  "kind": kind.value,
                  "document": values.text(document, "document", MAX_NAME), "requested_by": requester}
        return attempt(seal_use_refusal(kind), lambda: cls(**fields, **by.on(community_code)), SealUseRefusal,
                       community_code, by, **fields)


class SealUseRefusal(StandingRefusal):
    """P10 (规范公章): a use of the seal to certify legal or joint economic liability, refused and counted against
    whoever asked for it (`requested_by`)."""

    PROVISION = "P10"
    ERROR = errors.SealUseNotAllowed

    @event("SealUseRefused")
    def __init__(self, purpose: str, kind: str, document: str, requested_by: str | None, provision: str, code: str,
                 reason: str, actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        """P10: the use asked for, by whom, and why the seal may not serve it (SEAL_USE_NOT_ALLOWED)."""
        self.community_code, self.provision, self.code, self.reason = community_code, provision, code, reason
        self.purpose, self.kind, self.document, self.requested_by = purpose, kind, document, requested_by
