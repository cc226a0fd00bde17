"""Tasks delegated to a residents' committee (P1, P2, P3, P4)."""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.agreement import ServiceAgreement
from backend.domain.community import Community
from backend.domain.errors import InvalidState, OffListTask, VersionConflict
from backend.domain.refusal import Refusal
from backend.domain.stamp import Stamp


class TaskBasis(str, Enum):
    DUTY_LIST = "DUTY_LIST"
    SERVICE_AGREEMENT = "SERVICE_AGREEMENT"


class TaskStatus(str, Enum):
    DELEGATED = "DELEGATED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    COMPLETED = "COMPLETED"


def basis_for(community: Community, duty_item_code: str | None,
              agreement: ServiceAgreement | None, now: datetime) -> tuple[TaskBasis | None, str]:
    """P1/P4: what allows a delegation, or why nothing does."""
    if duty_item_code is not None:
        if community.duty_item(duty_item_code) is not None:
            return TaskBasis.DUTY_LIST, ""
        if agreement is None:
            return None, (f"item {duty_item_code!r} is not on version "
                          f"{community.duty_list_version} of the community's duty list")
    if agreement is not None:
        if agreement.covers(community.code, now):
            return TaskBasis.SERVICE_AGREEMENT, ""
        return None, "the service agreement is for another community or has expired"
    return None, "the task names neither a duty list item nor a service agreement"


def quota_refusal(community: Community, basis: TaskBasis, duty_item_code: str | None,
                  agreement: ServiceAgreement | None, quota: str | None) -> str:
    """P1 (不得…下指标): why a quota or ranking target may not go with the task ("" if it may, or if it carries
    none). Only a duty item or an agreement that provides for one (`allowsQuota`) lets a task carry one."""
    if quota is None:
        return ""
    if basis is TaskBasis.DUTY_LIST:
        item = community.duty_item(duty_item_code)
        if item is not None and item.get("allows_quota"):
            return ""
        return f"item {duty_item_code!r} of the community's duty list does not provide for a quota or ranking target"
    if agreement is not None and agreement.allows_quota:
        return ""
    return "the service agreement does not provide for a quota or ranking target"


class Task(Aggregate):
    """A task a department or street office delegates to a committee (委托事项, P1, P3, P4), which the committee
    may decline with a reason (P2)."""

    @event("TaskDelegated")
    def __init__(self, title: str, from_department: str, basis: str, duty_item_code: str | None,
                 duty_list_version: int, agreement_id: UUID | None, due_at: datetime | None,
                 actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None, quota: str | None = None) -> None:
        self.community_code = community_code
        self.title = title
        self.from_department = from_department
        self.quota = quota
        self.basis = basis
        self.duty_item_code = duty_item_code
        self.duty_list_version = duty_list_version
        self.agreement_id = agreement_id
        self.due_at = due_at
        self.status = TaskStatus.DELEGATED.value
        self.decline_reason: str | None = None

    @classmethod
    def delegate(cls, community: Community, title: str, from_department: str, basis: TaskBasis,
                 duty_item_code: str | None, agreement_id: UUID | None, due_at: datetime | None,
                 by: Stamp, quota: str | None = None) -> Task:
        return cls(
            title=values.text(title, "title"),
            from_department=values.text(from_department, "fromDepartment", 200),
            basis=basis.value,
            duty_item_code=values.identifier(duty_item_code, "dutyItemCode") if basis is TaskBasis.DUTY_LIST else None,
            duty_list_version=community.duty_list_version,
            agreement_id=agreement_id if basis is TaskBasis.SERVICE_AGREEMENT else None,
            due_at=values.optional_moment(due_at, "dueAt"),
            quota=values.optional_text(quota, "quota", 500),
            **by.on(community.code),
        )

    def check_version(self, expected: int | None) -> None:
        if expected is not None and expected != self.version:
            raise VersionConflict(f"task is at version {self.version}, not {expected}",
                                  currentVersion=self.version)

    def _require(self, *allowed: TaskStatus) -> None:
        if self.status not in {s.value for s in allowed}:
            raise InvalidState(f"a {self.status} task cannot do that", status=self.status)

    def accept(self, by: Stamp) -> None:
        self._require(TaskStatus.DELEGATED)
        self._accepted(**by.on(self.community_code))

    def decline(self, reason: str, by: Stamp) -> None:
        """P2: the committee may decline, saying why (尊重自主权)."""
        self._require(TaskStatus.DELEGATED)
        self._declined(values.text(reason, "reason", 2000, multiline=True), **by.on(self.community_code))

    def complete(self, by: Stamp) -> None:
        self._require(TaskStatus.ACCEPTED)
        self._completed(**by.on(self.community_code))

    @event("TaskAccepted")
    def _accepted(self, actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.status = TaskStatus.ACCEPTED.value

    @event("TaskDeclined")
    def _declined(self, reason: str, actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.status = TaskStatus.DECLINED.value
        self.decline_reason = reason

    @event("TaskCompleted")
    def _completed(self, actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.status = TaskStatus.COMPLETED.value


class DelegationRefusal(Refusal):
    """A delegation the platform refused (P1): off every list and agreement (OFF_LIST_TASK), or with a quota or
    ranking target (指标) that its item or agreement does not provide for (QUOTA_NOT_ALLOWED). The attempt stays
    on the record; refusals logged before `code` was kept are off-list ones."""

    PROVISION = "P1"

    @event("TaskDelegationRefused")
    def __init__(self, title: str, from_department: str, duty_item_code: str | None,
                 agreement_id: UUID | None, duty_list_version: int, reason: str,
                 actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None, quota: str | None = None, provision: str = "P1",
                 code: str = OffListTask.code) -> None:
        self.community_code = community_code
        self.title = title
        self.from_department = from_department
        self.duty_item_code = duty_item_code
        self.agreement_id = agreement_id
        self.duty_list_version = duty_list_version
        self.reason = reason
        self.quota = quota
        self.provision = provision
        self.code = code

