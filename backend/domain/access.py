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
    """Who acts: an id, a role, a scope, and the organization (所属单位: the department or office, e.g. "区民政局")
    the actor belongs to, from the token's `org` claim (None when the token names none). Every event records all
    four, so "by department" (P1, P4–P11) is a fact of the log."""

    id: str
    role: Role
    scope: str
    organization: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"id": self.id, "role": self.role.value, "scope": self.scope, "organization": self.organization}

    def covers(self, code: str) -> bool:
        return code.startswith(self.scope)


class Action(str, Enum):
    REGISTER_COMMUNITY = "registerCommunity / recordVillageEnterpriseSeparation"
    PUBLISH_DUTY_LIST = "publishDutyList"
    SIGN_SERVICE_AGREEMENT = "signServiceAgreement"
    DELEGATE_TASK = "delegateTask"
    DECIDE_TASK = "acceptTask / declineTask / completeTask"
    REGISTER_ORGANIZATION = "registerOrganization (REGISTERED)"
    FILE_ORGANIZATION = "registerOrganization (FILED)"
    RECORD_ACTIVITY = "recordActivity"
    OPEN_EVALUATION_CAMPAIGN = "openEvaluationCampaign"
    CAST_EVALUATION = "castEvaluation"
    RECORD_DISBURSEMENT = "recordDisbursement"
    ESTABLISH_WORK_BODY = "establishWorkBody"
    HANG_SIGNBOARD = "hangSignboard / removeSignboard"
    IMPOSE_TARGET_CONTRACT = "imposeTargetContract"
    SET_INSPECTION_CAP = "setInspectionCap"
    RECORD_INSPECTION = "recordInspection"
    RECORD_LEDGER_DEMAND = "recordLedgerDemand"
    USE_SEAL = "useSeal"
    DEFINE_POST = "definePost / appointStaff / recordAppraisal"
    READ_STAFF = "staff's names and phones (P11)"
    ERASE_SUBJECT = "eraseSubject (PIPL art. 47)"
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
    Action.RECORD_DISBURSEMENT: frozenset(GOVERNMENT),
    Action.ESTABLISH_WORK_BODY: frozenset(GOVERNMENT | {R.COMMITTEE, R.PARTY_COMMITTEE}),
    Action.HANG_SIGNBOARD: frozenset(GOVERNMENT | {R.COMMITTEE, R.PARTY_COMMITTEE}),
    Action.IMPOSE_TARGET_CONTRACT: frozenset(GOVERNMENT),
    Action.SET_INSPECTION_CAP: frozenset(GOVERNMENT | {R.ADMIN}),
    Action.RECORD_INSPECTION: frozenset(GOVERNMENT | {R.COMMITTEE}),
    Action.RECORD_LEDGER_DEMAND: frozenset(GOVERNMENT | {R.COMMITTEE}),
    Action.USE_SEAL: frozenset(GOVERNMENT | {R.COMMITTEE}),
    Action.DEFINE_POST: frozenset({R.COMMITTEE, R.STREET_OFFICE}),
    Action.READ_STAFF: frozenset({R.COMMITTEE, R.STREET_OFFICE}),
    Action.ERASE_SUBJECT: frozenset({R.ADMIN}),
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
