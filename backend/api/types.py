"""The GraphQL types of the contract (../shared/contract/gongzhi.graphql), and a few additions."""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, NewType

import strawberry
from strawberry.scalars import JSON

from backend.domain import access, activity, community, evaluation, organization, task
from backend.domain.errors import InvalidInput


def _position(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise InvalidInput(f"a position is a non-negative 64-bit integer, not {value!r}")
    return value


Position = NewType("Position", int)
POSITION_SCALAR = strawberry.scalar(
    name="Position",
    description="A place in the one global, ordered log: a non-negative 64-bit integer, sent as a JSON number.",
    serialize=int,
    parse_value=_position,
)

Role = strawberry.enum(access.Role, name="Role")
CommunityKind = strawberry.enum(community.CommunityKind, name="CommunityKind")
DutyListKind = strawberry.enum(community.DutyListKind, name="DutyListKind")
TaskBasis = strawberry.enum(task.TaskBasis, name="TaskBasis")
TaskStatus = strawberry.enum(task.TaskStatus, name="TaskStatus")
OrganizationCategory = strawberry.enum(organization.OrganizationCategory, name="OrganizationCategory")
OrganizationStatus = strawberry.enum(organization.OrganizationStatus, name="OrganizationStatus")
EvaluationTargetKind = strawberry.enum(evaluation.EvaluationTargetKind, name="EvaluationTargetKind")
Satisfaction = strawberry.enum(evaluation.Satisfaction, name="Satisfaction")
del activity


@strawberry.type
class Actor:
    id: strawberry.ID
    role: Role
    scope: str


@strawberry.type
class DutyItem:
    code: str
    title: str
    list: DutyListKind


@strawberry.federation.type(keys=["code"])
class Community:
    code: strawberry.ID
    name: str
    kind: CommunityKind
    duty_list_version: int
    duty_items: list[DutyItem]
    open_tasks: int = strawberry.field(description="Delegated or accepted, not yet completed or declined.")
    organizations: int
    activities_held: int

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, code: strawberry.ID) -> Community | None:
        from backend.api import resolvers
        return await resolvers.community(info, code)


@strawberry.federation.type(keys=["id"])
class Task:
    id: strawberry.ID
    community_code: strawberry.ID
    title: str
    from_department: str
    basis: TaskBasis
    duty_item_code: str | None
    agreement_id: strawberry.ID | None
    status: TaskStatus
    delegated_at: datetime
    due_at: datetime | None
    version: int
    duty_list_version: int = strawberry.field(description="P3: the duty list version the task relied on.")
    decline_reason: str | None = None

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> Task | None:
        from backend.api import resolvers
        return await resolvers.task(info, id)


@strawberry.type
class ServiceAgreement:
    id: strawberry.ID
    community_code: strawberry.ID
    department: str
    scope: str
    funding_yuan: str
    valid_until: datetime
    signed_at: datetime = strawberry.field(
        description="When it was signed (its ServiceAgreementSigned event); an addition to the contract.")
    current: bool = strawberry.field(
        description="P4: whether validUntil is still ahead, as the server's clock says when it "
                    "answers (a task may be delegated under a current agreement only).")


@strawberry.federation.type(keys=["id"])
class Organization:
    id: strawberry.ID
    name: str
    category: OrganizationCategory
    status: OrganizationStatus
    community_code: strawberry.ID
    hub_id: strawberry.ID | None
    registered_at: datetime

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> Organization | None:
        from backend.api import resolvers
        return await resolvers.organization(info, id)


@strawberry.type
class Activity:
    id: strawberry.ID
    community_code: strawberry.ID
    title: str
    organizer_id: strawberry.ID | None
    held_at: datetime
    participants: int
    volunteer_hours: float


@strawberry.type
class EvaluationTarget:
    id: strawberry.ID
    name: str
    kind: EvaluationTargetKind


@strawberry.type
class EvaluationCampaign:
    id: strawberry.ID
    community_code: strawberry.ID
    title: str
    targets: list[EvaluationTarget]
    closes_at: datetime
    opened_at: datetime = strawberry.field(
        description="When it was opened (its EvaluationCampaignOpened event); an addition to the contract.")
    open: bool = strawberry.field(
        description="P26: whether closesAt is still ahead, as the server's clock says when it answers "
                    "(an open campaign takes ballots; a closed one only shows its results).")


@strawberry.type
class TargetResult:
    target: EvaluationTarget
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    total: int
    satisfaction_rate: float


@strawberry.type
class BurdenReport:
    scope: str
    tasks_delegated: int
    on_duty_list: int
    under_agreement: int
    refused_off_list: int
    declined: int
    agreement_funding_yuan: str


@strawberry.type
class Event:
    position: Position
    entity_id: strawberry.ID
    entity_type: str
    version: int
    type: str
    occurred_at: datetime
    actor: Actor
    data: JSON
    request_id: str | None = strawberry.field(default=None, description="The request that caused the event.")
    client_request_id: str | None = strawberry.field(
        default=None, description="The X-Request-Id the client sent with that request, if any (requestId is the "
                                  "server's own, which a client cannot set).")
    community_code: strawberry.ID | None = strawberry.field(default=None, description="The community it concerns.")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class TaskEdge:
    cursor: str
    node: Task


@strawberry.type
class TaskConnection:
    edges: list[TaskEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class OrganizationEdge:
    cursor: str
    node: Organization


@strawberry.type
class OrganizationConnection:
    edges: list[OrganizationEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class ActivityEdge:
    cursor: str
    node: Activity


@strawberry.type
class ActivityConnection:
    edges: list[ActivityEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class ServiceAgreementEdge:
    cursor: str
    node: ServiceAgreement


@strawberry.type
class ServiceAgreementConnection:
    edges: list[ServiceAgreementEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class EvaluationCampaignEdge:
    cursor: str
    node: EvaluationCampaign


@strawberry.type
class EvaluationCampaignConnection:
    edges: list[EvaluationCampaignEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class CommunityEdge:
    cursor: str
    node: Community


@strawberry.type
class CommunityConnection:
    edges: list[CommunityEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="What every command returns besides its entity: where its last event stands in the log.")
class Receipt:
    position: Position
    entity_id: strawberry.ID
    version: int


@strawberry.type
class CommunityResult:
    community: Community
    receipt: Receipt


@strawberry.type
class TaskResult:
    task: Task
    receipt: Receipt


@strawberry.type
class AgreementResult:
    agreement: ServiceAgreement
    receipt: Receipt


@strawberry.type
class OrganizationResult:
    organization: Organization
    receipt: Receipt


@strawberry.type
class ActivityResult:
    activity: Activity
    receipt: Receipt


@strawberry.type
class CampaignResult:
    campaign: EvaluationCampaign
    receipt: Receipt


# -- inputs ----------------------------------------------------------------------------------
@strawberry.input
class RegisterCommunityInput:
    code: strawberry.ID
    name: str
    kind: CommunityKind


@strawberry.input
class DutyItemInput:
    code: str
    title: str
    list: DutyListKind


@strawberry.input
class PublishDutyListInput:
    community_code: strawberry.ID
    items: list[DutyItemInput]


@strawberry.input
class SignServiceAgreementInput:
    community_code: strawberry.ID
    department: str
    scope: str
    funding_yuan: str
    valid_until: datetime


@strawberry.input
class DelegateTaskInput:
    community_code: strawberry.ID
    title: str
    from_department: str
    duty_item_code: str | None = None
    agreement_id: strawberry.ID | None = None
    due_at: datetime | None = None


@strawberry.input
class RegisterOrganizationInput:
    name: str
    category: OrganizationCategory
    community_code: strawberry.ID
    status: OrganizationStatus
    hub_id: strawberry.ID | None = None


@strawberry.input
class VolunteerHoursInput:
    volunteer_id: strawberry.ID
    hours: float


@strawberry.input
class RecordActivityInput:
    community_code: strawberry.ID
    title: str
    held_at: datetime
    participants: int
    organizer_id: strawberry.ID | None = None
    volunteer_hours: list[VolunteerHoursInput] | None = strawberry.field(default_factory=list)


@strawberry.input
class EvaluationTargetInput:
    id: strawberry.ID
    name: str
    kind: EvaluationTargetKind


@strawberry.input
class OpenEvaluationCampaignInput:
    community_code: strawberry.ID
    title: str
    targets: list[EvaluationTargetInput]
    closes_at: datetime


@strawberry.input
class CastEvaluationInput:
    campaign_id: strawberry.ID
    target_id: strawberry.ID
    satisfaction: Satisfaction
    comment: str | None = None


def enum_value(value: Enum | str) -> str:
    return value.value if isinstance(value, Enum) else value
