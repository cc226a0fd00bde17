"""Who may do what: the one table of permissions, and the scope rule.

An actor's scope is a division-code prefix: it acts and reads only on communities whose
code starts with it ("" is the whole province, for administrators).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from backend.domain.errors import Forbidden


class Role(str, Enum):
    RESIDENT = "RESIDENT"
    COMMITTEE = "COMMITTEE"  # 居委会/村委会
    PARTY_COMMITTEE = "PARTY_COMMITTEE"  # 社区党组织
    STREET_OFFICE = "STREET_OFFICE"  # 街道办事处/乡镇政府
    DEPARTMENT = "DEPARTMENT"  # 职能部门
    SOCIAL_ORGANIZATION = "SOCIAL_ORGANIZATION"
    AUDITOR = "AUDITOR"
    INTEGRATOR = "INTEGRATOR"
    ADMIN = "ADMIN"


@dataclass(frozen=True)
class Actor:
    id: str
    role: Role
    scope: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "role": self.role.value, "scope": self.scope}

    def covers(self, code: str) -> bool:
        return code.startswith(self.scope)


class Action(str, Enum):
    REGISTER_COMMUNITY = "registerCommunity"
    PUBLISH_DUTY_LIST = "publishDutyList"
    SIGN_SERVICE_AGREEMENT = "signServiceAgreement"
    DELEGATE_TASK = "delegateTask"
    DECIDE_TASK = "acceptTask / declineTask / completeTask"
    REGISTER_ORGANIZATION = "registerOrganization (REGISTERED)"
    FILE_ORGANIZATION = "registerOrganization (FILED)"
    RECORD_ACTIVITY = "recordActivity"
    OPEN_EVALUATION_CAMPAIGN = "openEvaluationCampaign"
    CAST_EVALUATION = "castEvaluation"
    READ_MODELS = "read models (community, tasks, burdenReport, …)"
    READ_LOG = "raw log (history, eventLog, entityAsOf, events)"


R = Role
GOVERNMENT = {R.STREET_OFFICE, R.DEPARTMENT}

#: The permission table. The README prints it; tests go through it role by role.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.REGISTER_COMMUNITY: frozenset({R.STREET_OFFICE, R.ADMIN}),
    Action.PUBLISH_DUTY_LIST: frozenset(GOVERNMENT | {R.ADMIN}),
    Action.SIGN_SERVICE_AGREEMENT: frozenset(GOVERNMENT),
    Action.DELEGATE_TASK: frozenset(GOVERNMENT),
    Action.DECIDE_TASK: frozenset({R.COMMITTEE}),
    Action.REGISTER_ORGANIZATION: frozenset(GOVERNMENT),
    Action.FILE_ORGANIZATION: frozenset(GOVERNMENT | {R.COMMITTEE}),
    Action.RECORD_ACTIVITY: frozenset(
        {R.COMMITTEE, R.PARTY_COMMITTEE, R.SOCIAL_ORGANIZATION, R.STREET_OFFICE}
    ),
    Action.OPEN_EVALUATION_CAMPAIGN: frozenset({R.COMMITTEE}),
    Action.CAST_EVALUATION: frozenset({R.RESIDENT}),
    Action.READ_MODELS: frozenset(Role),
    Action.READ_LOG: frozenset(GOVERNMENT | {R.AUDITOR, R.INTEGRATOR, R.ADMIN}),
}


def authorize(actor: Actor, action: Action, code: str | None = None) -> None:
    """Raise Forbidden unless the actor's role may do `action` on community/scope `code`."""
    if actor.role not in PERMISSIONS[action]:
        raise Forbidden(f"a {actor.role.value} may not do {action.value}", action=action.name)
    if code is not None and not actor.covers(code):
        raise Forbidden(f"{code!r} is outside the actor's scope {actor.scope!r}")


def narrow(actor: Actor, scope: str | None) -> str:
    """The scope a read runs in: the actor's own, or a narrower one it asks for."""
    if scope is None or scope == "":
        return actor.scope
    if not scope.startswith(actor.scope):
        raise Forbidden(f"scope {scope!r} is outside the actor's scope {actor.scope!r}")
    return scope
