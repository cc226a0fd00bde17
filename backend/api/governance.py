"""The API of co-governance: communities and their duty lists (P3), service agreements (P4), tasks (P1, P2),
organizations (P28), activities (P22, P34), evaluations (P26), and the live read models' subscriptions. Its
types, inputs and results, and its fields of Query, Mutation and Subscription (an area module, composed by
schema.py). Community (by `code`), Task and Organization (by `id`) are federation entities."""
from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import asyncpg
import strawberry

from backend.api import reads
from backend.api.commanding import app, arguments, run
from backend.api.context import ctx
from backend.api.types import Actor, Connection, Receipt
from backend.application.ballots import BallotBox
from backend.application.base import Receipt as CommandReceipt
from backend.domain import community, evaluation, organization, task
from backend.domain.access import Action
from backend.domain.activity import Activity as ActivityAggregate
from backend.domain.agreement import ServiceAgreement as AgreementAggregate
from backend.domain.community import Community as CommunityAggregate
from backend.domain.errors import InvalidInput, NotFound
from backend.domain.evaluation import EvaluationCampaign as CampaignAggregate
from backend.domain.organization import Organization as OrganizationAggregate
from backend.domain.task import Task as TaskAggregate
from projections.live import Subscriber

CommunityKind = strawberry.enum(community.CommunityKind, name="CommunityKind")
DutyListKind = strawberry.enum(community.DutyListKind, name="DutyListKind")
TaskBasis = strawberry.enum(task.TaskBasis, name="TaskBasis")
TaskStatus = strawberry.enum(task.TaskStatus, name="TaskStatus")
OrganizationCategory = strawberry.enum(organization.OrganizationCategory, name="OrganizationCategory")
OrganizationStatus = strawberry.enum(organization.OrganizationStatus, name="OrganizationStatus")
EvaluationTargetKind = strawberry.enum(evaluation.EvaluationTargetKind, name="EvaluationTargetKind")
Satisfaction = strawberry.enum(evaluation.Satisfaction, name="Satisfaction")


# -- types -------------------------------------------------------------------------------------
@strawberry.type
class DutyItem:
    code: str
    title: str
    list: DutyListKind
    allows_quota: bool = strawberry.field(
        default=False, description="P1: whether a task on this item may carry a quota or ranking target (指标).")

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> DutyItem:
        """An item as the community's row and aggregate hold it."""
        return cls(code=item["code"], title=item["title"], list=DutyListKind(item["list"]),
                   allows_quota=bool(item.get("allows_quota", False)))


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
    village_enterprise_separated: bool | None = strawberry.field(
        default=None, description="P36 (村企分开): whether a RURAL community's village and enterprises are separated "
                                  "(a community not yet separated may hang its collective economic organization's "
                                  "signboard, P6); null for an URBAN one.")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Community:
        """A row of the communities read model."""
        items = json.loads(row["duty_items"]) if isinstance(row["duty_items"], str) else row["duty_items"]
        return cls(
            code=row["code"], name=row["name"], kind=CommunityKind(row["kind"]),
            duty_list_version=row["duty_list_version"], duty_items=[DutyItem.from_dict(i) for i in items],
            open_tasks=row["open_tasks"], organizations=row["organizations"], activities_held=row["activities_held"],
            village_enterprise_separated=row["village_enterprise_separated"])

    @classmethod
    def from_aggregate(cls, aggregate: CommunityAggregate, counts: asyncpg.Record | None) -> Community:
        """A community as a command left it, with the read model's counts (`reads.community_counts`; none yet:
        zeros)."""
        return cls(
            code=strawberry.ID(aggregate.code), name=aggregate.name, kind=CommunityKind(aggregate.kind),
            duty_list_version=aggregate.duty_list_version,
            duty_items=[DutyItem.from_dict(i) for i in aggregate.duty_items],
            open_tasks=counts["open_tasks"] if counts else 0,
            organizations=counts["organizations"] if counts else 0,
            activities_held=counts["activities_held"] if counts else 0,
            village_enterprise_separated=aggregate.village_enterprise_separated if aggregate.kind == "RURAL" else None)

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, code: strawberry.ID) -> Community | None:
        row = await reads.community(ctx(info), code)
        return cls.from_row(row) if row else None


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
    quota: str | None = strawberry.field(
        default=None, description="P1: the quota or ranking target (指标) the task carries, where its duty item or "
                                  "agreement provides for one.")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Task:
        """A row of the tasks read model."""
        return cls(
            id=str(row["id"]), community_code=row["community_code"], title=row["title"],
            from_department=row["from_department"], basis=TaskBasis(row["basis"]),
            duty_item_code=row["duty_item_code"],
            agreement_id=str(row["agreement_id"]) if row["agreement_id"] else None,
            status=TaskStatus(row["status"]), delegated_at=row["delegated_at"], due_at=row["due_at"],
            version=row["version"], duty_list_version=row["duty_list_version"],
            decline_reason=row["decline_reason"], quota=row["quota"])

    @classmethod
    def from_aggregate(cls, aggregate: TaskAggregate) -> Task:
        """A task as a command left it."""
        return cls(
            id=strawberry.ID(str(aggregate.id)), community_code=aggregate.community_code, title=aggregate.title,
            from_department=aggregate.from_department, basis=TaskBasis(aggregate.basis),
            duty_item_code=aggregate.duty_item_code,
            agreement_id=strawberry.ID(str(aggregate.agreement_id)) if aggregate.agreement_id else None,
            status=TaskStatus(aggregate.status), delegated_at=aggregate.created_on, due_at=aggregate.due_at,
            version=aggregate.version, duty_list_version=aggregate.duty_list_version,
            decline_reason=aggregate.decline_reason, quota=aggregate.quota)

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> Task | None:
        row = await reads.row_by_id(ctx(info), "tasks", id)
        return cls.from_row(row) if row else None


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
    disbursed_yuan: str = strawberry.field(default="0.00", description="P4 (费随事转): the funding disbursed so far.")
    outstanding_yuan: str = strawberry.field(default="0.00", description="P4: the funding agreed, not yet disbursed.")
    allows_quota: bool = strawberry.field(
        default=False, description="P1: whether its tasks may carry a quota or ranking target (指标).")

    @classmethod
    def from_row(cls, row: asyncpg.Record, now: datetime) -> ServiceAgreement:
        """A row of the service_agreements read model, current or not at `now`."""
        return cls(
            id=str(row["id"]), community_code=row["community_code"], department=row["department"],
            scope=row["scope"], funding_yuan=str(row["funding_yuan"]), valid_until=row["valid_until"],
            signed_at=row["signed_at"], current=row["valid_until"] > now,
            disbursed_yuan=str(round(row["disbursed_yuan"], 2)),
            outstanding_yuan=str(round(row["funding_yuan"] - row["disbursed_yuan"], 2)),
            allows_quota=row["allows_quota"])

    @classmethod
    def from_aggregate(cls, aggregate: AgreementAggregate) -> ServiceAgreement:
        """An agreement as a command left it (current if valid beyond its signing)."""
        return cls(
            id=strawberry.ID(str(aggregate.id)), community_code=aggregate.community_code,
            department=aggregate.department, scope=aggregate.scope, funding_yuan=aggregate.funding_yuan,
            valid_until=aggregate.valid_until, signed_at=aggregate.created_on,
            current=aggregate.valid_until > aggregate.created_on, disbursed_yuan=aggregate.disbursed_yuan,
            outstanding_yuan=aggregate.outstanding_yuan, allows_quota=aggregate.allows_quota)

    @strawberry.field(description="P4: the disbursements under it, oldest first (at most 1,000).")
    async def disbursements(self, info: strawberry.Info) -> list[Disbursement]:
        return [Disbursement.from_row(row) for row in await reads.disbursements(ctx(info), uuid.UUID(self.id))]

    @strawberry.field(description="P4: the tasks delegated under it, oldest first (at most 1,000).")
    async def tasks(self, info: strawberry.Info) -> list[Task]:
        return [Task.from_row(row) for row in await reads.tasks_under(ctx(info), uuid.UUID(self.id))]


@strawberry.type(description="P4 (费随事转): money paid to the community under an agreement (拨付).")
class Disbursement:
    position: int
    agreement_id: strawberry.ID
    amount_yuan: str
    disbursed_at: datetime
    recorded_at: datetime
    note: str | None
    actor_id: strawberry.ID
    organization: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Disbursement:
        return cls(position=row["position"], agreement_id=strawberry.ID(str(row["agreement_id"])),
                   amount_yuan=str(round(row["amount_yuan"], 2)), disbursed_at=row["disbursed_at"],
                   recorded_at=row["recorded_at"], note=row["note"], actor_id=strawberry.ID(row["actor_id"]),
                   organization=row["organization"])


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
    def from_row(cls, row: asyncpg.Record) -> Organization:
        """A row of the organizations read model."""
        return cls(
            id=str(row["id"]), name=row["name"], category=OrganizationCategory(row["category"]),
            status=OrganizationStatus(row["status"]), community_code=row["community_code"],
            hub_id=str(row["hub_id"]) if row["hub_id"] else None, registered_at=row["registered_at"])

    @classmethod
    def from_aggregate(cls, aggregate: OrganizationAggregate) -> Organization:
        """An organization as its registration left it."""
        return cls(
            id=strawberry.ID(str(aggregate.id)), name=aggregate.name,
            category=OrganizationCategory(aggregate.category), status=OrganizationStatus(aggregate.status),
            community_code=aggregate.community_code,
            hub_id=strawberry.ID(str(aggregate.hub_id)) if aggregate.hub_id else None,
            registered_at=aggregate.created_on)

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> Organization | None:
        row = await reads.row_by_id(ctx(info), "organizations", id)
        return cls.from_row(row) if row else None


@strawberry.type
class Activity:
    id: strawberry.ID
    community_code: strawberry.ID
    title: str
    organizer_id: strawberry.ID | None
    held_at: datetime
    participants: int
    volunteer_hours: float

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Activity:
        """A row of the activities read model."""
        return cls(
            id=str(row["id"]), community_code=row["community_code"], title=row["title"],
            organizer_id=row["organizer_id"], held_at=row["held_at"], participants=row["participants"],
            volunteer_hours=float(row["volunteer_hours"]))

    @classmethod
    def from_aggregate(cls, aggregate: ActivityAggregate) -> Activity:
        """An activity as its recording left it."""
        return cls(
            id=strawberry.ID(str(aggregate.id)), community_code=aggregate.community_code, title=aggregate.title,
            organizer_id=aggregate.organizer_id, held_at=aggregate.held_at, participants=aggregate.participants,
            volunteer_hours=aggregate.total_volunteer_hours)


@strawberry.type
class EvaluationTarget:
    id: strawberry.ID
    name: str
    kind: EvaluationTargetKind

    @classmethod
    def from_dict(cls, target: dict[str, str]) -> EvaluationTarget:
        """A target as the campaign's row and aggregate hold it."""
        return cls(id=strawberry.ID(target["id"]), name=target["name"], kind=EvaluationTargetKind(target["kind"]))


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
    secret: bool = strawberry.field(
        default=False, description="P26: whether its ballots are secret (无记名投票: every campaign opened since; its "
                                   "ballots are released into the log in shuffled batches, with no voter) or open "
                                   "ballots (a campaign of before, each ballot with its voter); an addition.")

    @classmethod
    def from_row(cls, row: asyncpg.Record, now: datetime) -> EvaluationCampaign:
        """A campaign as every reader of its community sees it: what it asks about and when, never who voted
        (P26); open or not at `now`."""
        return cls(
            id=str(row["id"]), community_code=row["community_code"], title=row["title"],
            targets=[EvaluationTarget.from_dict(x) for x in json.loads(row["targets"])],
            closes_at=row["closes_at"], opened_at=row["opened_at"], open=row["closes_at"] > now,
            secret=row["secret"])

    @classmethod
    def from_aggregate(cls, aggregate: CampaignAggregate) -> EvaluationCampaign:
        """A campaign as its opening left it (open if it closes after the opening)."""
        return cls(
            id=strawberry.ID(str(aggregate.id)), community_code=aggregate.community_code, title=aggregate.title,
            targets=[EvaluationTarget.from_dict(x) for x in aggregate.targets], closes_at=aggregate.closes_at,
            opened_at=aggregate.created_on, open=aggregate.closes_at > aggregate.created_on,
            secret=bool(getattr(aggregate, "secret", False)))


@strawberry.type
class TargetResult:
    target: EvaluationTarget
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    total: int
    satisfaction_rate: float

    @classmethod
    def from_tally(cls, target: dict[str, str], tally: asyncpg.Record | None) -> TargetResult:
        """A target's result from its tally (`reads.tallies`; none: no ballots yet)."""
        s, b, d = (tally["satisfied"], tally["basically_satisfied"], tally["dissatisfied"]) if tally else (0, 0, 0)
        total = s + b + d
        return cls(target=EvaluationTarget.from_dict(target), satisfied=s, basically_satisfied=b, dissatisfied=d,
                   total=total, satisfaction_rate=(s + b) / total if total else 0.0)


BallotStatus = strawberry.enum(
    evaluation.BallotStatus, name="BallotStatus", description="P26: a secret ballot, by its receipt: COUNTED (released into the log), PENDING "
                                     "(in the ballot box until its batch is released), UNKNOWN (no such receipt).")


@strawberry.type(description="P26: where a secret ballot stands, found by its receipt (ballotCounted).")
class BallotCheck:
    status: BallotStatus
    campaign_id: strawberry.ID | None = None
    target_id: strawberry.ID | None = None
    satisfaction: Satisfaction | None = strawberry.field(
        default=None, description="The choice the ballot carries, as released (the receipt's holder knows it).")
    position: int | None = strawberry.field(
        default=None, description="The SecretBallotCast's position in the log (eventProof proves it is there).")
    batch_id: strawberry.ID | None = strawberry.field(default=None, description="The release it came in.")
    batch_size: int | None = None
    released_at: datetime | None = None


@strawberry.type
class CountCheck:
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    participations: int
    secret_ballots: int


@strawberry.type
class TargetCountCheck:
    target_id: strawberry.ID
    published: CountCheck = strawberry.field(description="The tallies evaluationResults answers.")
    logged: CountCheck = strawberry.field(description="The same, recomputed from the log's events.")


@strawberry.type(description="P26: a campaign's published counts checked against the log (verifyEvaluationCounts).")
class CountVerification:
    ok: bool
    position: int = strawberry.field(description="The log position the tallies (and the recount) stand at.")
    participations: int
    released_ballots: int
    pending_ballots: int = strawberry.field(description="Secret ballots still in the ballot box.")
    targets: list[TargetCountCheck]
    problems: list[str]


# -- results and inputs ---------------------------------------------------------------------------
@strawberry.type
class CommunityResult:
    community: Community
    receipt: Receipt


@strawberry.type
class TaskResult:
    task: Task
    receipt: Receipt

    @classmethod
    def of(cls, done: tuple[TaskAggregate, CommandReceipt]) -> TaskResult:
        """A task command's result: the task as it now stands, and its receipt."""
        aggregate, receipt = done
        return cls(task=Task.from_aggregate(aggregate), receipt=Receipt.from_receipt(receipt))


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


@strawberry.input
class RegisterCommunityInput:
    code: strawberry.ID
    name: str
    kind: CommunityKind
    village_enterprise_separated: bool | None = None  # P36 (村企分开): RURAL only; left out, separated


@strawberry.input
class DutyItemInput:
    code: str
    title: str
    list: DutyListKind
    allows_quota: bool | None = strawberry.field(
        default=None, description="P1: a task on this item may carry a quota or ranking target (default: no).")


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
    allows_quota: bool | None = strawberry.field(
        default=None, description="P1: its tasks may carry a quota or ranking target (default: no).")


@strawberry.input
class DelegateTaskInput:
    community_code: strawberry.ID
    title: str
    from_department: str
    duty_item_code: str | None = None
    agreement_id: strawberry.ID | None = None
    due_at: datetime | None = None
    quota: str | None = strawberry.field(
        default=None, description="P1: a quota or ranking target (指标); refused (QUOTA_NOT_ALLOWED, recorded) "
                                  "unless the duty item or agreement provides for one.")


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


# -- the fields ------------------------------------------------------------------------------------
@strawberry.type
class Query:
    @strawberry.field
    def me(self, info: strawberry.Info) -> Actor:
        return Actor.from_actor(ctx(info).actor)

    @strawberry.field
    async def community(self, info: strawberry.Info, code: strawberry.ID) -> Community | None:
        row = await reads.community(ctx(info), code)
        return Community.from_row(row) if row else None

    @strawberry.field
    async def communities(self, info: strawberry.Info, scope: str | None = None, first: int | None = 50,
                          after: str | None = None) -> Connection[Community]:
        return Connection.of(await reads.communities(ctx(info), scope, first, after), Community.from_row)

    @strawberry.field
    async def tasks(self, info: strawberry.Info, scope: str | None = None, status: TaskStatus | None = None,
                    first: int | None = 50, after: str | None = None) -> Connection[Task]:
        page = await reads.newest_in_scope(ctx(info), "tasks", scope, first, after, status=status)
        return Connection.of(page, Task.from_row)

    @strawberry.field(description="One task by id (an addition to the contract).")
    async def task(self, info: strawberry.Info, id: strawberry.ID) -> Task | None:
        row = await reads.row_by_id(ctx(info), "tasks", id)
        return Task.from_row(row) if row else None

    @strawberry.field
    async def organizations(self, info: strawberry.Info, scope: str | None = None,
                            category: OrganizationCategory | None = None, first: int | None = 50,
                            after: str | None = None) -> Connection[Organization]:
        page = await reads.newest_in_scope(ctx(info), "organizations", scope, first, after, category=category)
        return Connection.of(page, Organization.from_row)

    @strawberry.field
    async def activities(self, info: strawberry.Info, scope: str | None = None, first: int | None = 50,
                         after: str | None = None) -> Connection[Activity]:
        page = await reads.newest_in_scope(ctx(info), "activities", scope, first, after)
        return Connection.of(page, Activity.from_row)

    @strawberry.field(description="P4: the service agreements of the communities in the scope (default: the actor's), "
                                  "newest first; read like `tasks` (an addition to the contract).")
    async def agreements(self, info: strawberry.Info, scope: str | None = None, first: int | None = 50,
                         after: str | None = None) -> Connection[ServiceAgreement]:
        page = await reads.newest_in_scope(ctx(info), "service_agreements", scope, first, after)
        return Connection.of(page, partial(ServiceAgreement.from_row, now=datetime.now(UTC)))

    @strawberry.field(description="P4: one service agreement by id, with its funding agreed, disbursed and "
                                  "outstanding, its disbursements and the tasks delegated under it, for a reader "
                                  "whose scope covers its community.")
    async def agreement(self, info: strawberry.Info, id: strawberry.ID) -> ServiceAgreement | None:
        row = await reads.row_by_id(ctx(info), "service_agreements", id)
        return ServiceAgreement.from_row(row, datetime.now(UTC)) if row else None

    @strawberry.field(description="P26: the evaluation campaigns of the communities in the scope (default: the "
                                  "actor's), newest first, for every role that reads the read models, residents too; "
                                  "no voter (an addition to the contract).")
    async def evaluation_campaigns(self, info: strawberry.Info, scope: str | None = None, first: int | None = 50,
                                   after: str | None = None) -> Connection[EvaluationCampaign]:
        page = await reads.newest_in_scope(ctx(info), "evaluation_campaigns", scope, first, after)
        return Connection.of(page, partial(EvaluationCampaign.from_row, now=datetime.now(UTC)))

    @strawberry.field(description="One evaluation campaign by id, for a reader whose scope covers its community "
                                  "(an addition to the contract).")
    async def evaluation_campaign(self, info: strawberry.Info, id: strawberry.ID) -> EvaluationCampaign | None:
        row = await reads.row_by_id(ctx(info), "evaluation_campaigns", id)
        return EvaluationCampaign.from_row(row, datetime.now(UTC)) if row else None

    @strawberry.field(description="P26: whether the secret ballot with this receipt (castEvaluation's ballotReceipt) "
                                  "is counted: released into the log (where, in which batch), pending in the "
                                  "ballot box, or unknown. For every role that reads the read models; only the "
                                  "receipt's holder can ask about their ballot (an addition to the contract).")
    async def ballot_counted(self, info: strawberry.Info, receipt: str) -> BallotCheck:
        c = ctx(info)
        c.authorize(Action.READ_MODELS)
        if not 0 < len(receipt) <= 100:
            raise InvalidInput("a ballot receipt is 1 to 100 characters", field="receipt")
        found = await ballot_box(info).counted(evaluation.receipt_hash(receipt))
        if found["status"] != "COUNTED":
            return BallotCheck(status=BallotStatus[found["status"]])
        return BallotCheck(
            status=BallotStatus.COUNTED, campaign_id=strawberry.ID(str(found["campaign_id"])),
            target_id=strawberry.ID(found["target_id"]), satisfaction=Satisfaction(found["satisfaction"]),
            position=found["position"], batch_id=strawberry.ID(str(found["batch_id"])),
            batch_size=found["batch_size"], released_at=found["released_at"])

    @strawberry.field(description="P26: recount a campaign from the log (its open ballots, released secret ballots "
                                  "and participations, up to where the tallies stand) and compare with the published "
                                  "tallies, and the participations with the ballots released and pending; for every "
                                  "role that reads the read models of its community (an addition to the contract).")
    async def verify_evaluation_counts(self, info: strawberry.Info, campaign_id: strawberry.ID) -> CountVerification:
        c = ctx(info)
        campaign = await reads.row_by_id(c, "evaluation_campaigns", campaign_id, "campaignId")
        if campaign is None:
            raise NotFound(f"no evaluation campaign {campaign_id}")
        result = await ballot_box(info).verify(campaign["id"], campaign["community_code"])
        return CountVerification(
            ok=result["ok"], position=result["position"], participations=result["participations"],
            released_ballots=result["releasedBallots"], pending_ballots=result["pendingBallots"],
            targets=[TargetCountCheck(target_id=strawberry.ID(t["targetId"]), published=CountCheck(
                **{camel_to_snake(k): v for k, v in t["published"].items()}), logged=CountCheck(
                **{camel_to_snake(k): v for k, v in t["logged"].items()})) for t in result["targets"]],
            problems=result["problems"])

    @strawberry.field
    async def evaluation_results(self, info: strawberry.Info, campaign_id: strawberry.ID) -> list[TargetResult]:
        c = ctx(info)
        campaign = await reads.row_by_id(c, "evaluation_campaigns", campaign_id, "campaignId")
        if campaign is None:
            raise NotFound(f"no evaluation campaign {campaign_id}")
        tallies = await reads.tallies(c, campaign["id"])
        return [TargetResult.from_tally(target, tallies.get(target["id"]))
                for target in json.loads(campaign["targets"])]


async def community_now(info: strawberry.Info, aggregate: CommunityAggregate) -> Community:
    """A community as a command left it, with what the read model counts of it."""
    return Community.from_aggregate(aggregate, await reads.community_counts(ctx(info), aggregate.code))


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register_community(self, info: strawberry.Info, input: RegisterCommunityInput) -> CommunityResult:
        registered, receipt = await run(info, app(info).register_community, **arguments(input))
        return CommunityResult(community=await community_now(info, registered), receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation
    async def publish_duty_list(self, info: strawberry.Info, input: PublishDutyListInput) -> CommunityResult:
        published, receipt = await run(info, app(info).publish_duty_list, **arguments(input))
        return CommunityResult(community=await community_now(info, published), receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation
    async def sign_service_agreement(self, info: strawberry.Info,
                                     input: SignServiceAgreementInput) -> AgreementResult:
        signed, receipt = await run(info, app(info).sign_service_agreement, **arguments(input))
        return AgreementResult(agreement=ServiceAgreement.from_aggregate(signed),
                               receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation
    async def delegate_task(self, info: strawberry.Info, input: DelegateTaskInput) -> TaskResult:
        return TaskResult.of(await run(info, app(info).delegate_task, **arguments(input)))

    @strawberry.mutation
    async def accept_task(self, info: strawberry.Info, id: strawberry.ID,
                          expected_version: int | None = None) -> TaskResult:
        return TaskResult.of(await run(info, app(info).accept_task, task_id=id, expected_version=expected_version))

    @strawberry.mutation
    async def decline_task(self, info: strawberry.Info, id: strawberry.ID, reason: str,
                           expected_version: int | None = None) -> TaskResult:
        return TaskResult.of(await run(info, app(info).decline_task, task_id=id, reason=reason,
                                       expected_version=expected_version))

    @strawberry.mutation
    async def complete_task(self, info: strawberry.Info, id: strawberry.ID,
                            expected_version: int | None = None) -> TaskResult:
        return TaskResult.of(await run(info, app(info).complete_task, task_id=id, expected_version=expected_version))

    @strawberry.mutation
    async def register_organization(self, info: strawberry.Info,
                                    input: RegisterOrganizationInput) -> OrganizationResult:
        registered, receipt = await run(info, app(info).register_organization, **arguments(input))
        return OrganizationResult(organization=Organization.from_aggregate(registered),
                                  receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation
    async def record_activity(self, info: strawberry.Info, input: RecordActivityInput) -> ActivityResult:
        kwargs = arguments(input)
        kwargs["volunteer_hours"] = kwargs["volunteer_hours"] or []  # an explicit null: no one's hours
        recorded, receipt = await run(info, app(info).record_activity, **kwargs)
        return ActivityResult(activity=Activity.from_aggregate(recorded), receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation
    async def open_evaluation_campaign(self, info: strawberry.Info,
                                       input: OpenEvaluationCampaignInput) -> CampaignResult:
        opened, receipt = await run(info, app(info).open_evaluation_campaign, **arguments(input))
        return CampaignResult(campaign=EvaluationCampaign.from_aggregate(opened),
                              receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation
    async def cast_evaluation(self, info: strawberry.Info, input: CastEvaluationInput) -> Receipt:
        """P26: in a secret campaign, the answer's ballotReceipt is the ballot's receipt, given once."""
        receipt = Receipt.from_receipt(await run(info, app(info).cast_evaluation, **arguments(input)))
        if receipt.ballot_receipt is not None:
            ballot_box(info).nudge()  # a ballot went into the box: a release may be due
        return receipt


def ballot_box(info: strawberry.Info) -> BallotBox:
    box = ctx(info).platform.ballots
    assert box is not None
    return box


def camel_to_snake(name: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name)


# -- live read models ------------------------------------------------------------------------------
# A subscriber is made when the subscription starts (so it misses nothing from then on) and lives as
# long as its generator (projections/live.py holds it weakly).
def live_subscriber(info: strawberry.Info, table: str, scope: str | None) -> Subscriber:
    """A subscriber to a live read model in the actor's read scope, narrowed like the queries';
    refused (UNAUTHENTICATED, FORBIDDEN, INVALID_INPUT) before the stream starts."""
    c = ctx(info)
    return c.platform.live.subscribe(table, reads.read_scope(c, scope))


async def task_updates(subscriber: Subscriber) -> AsyncGenerator[Task, None]:
    """Each task's new state once the tasks read model has it, as `task(id:)` would then return it."""
    async for row in subscriber.rows():
        yield Task.from_row(row)


async def activities_recorded(subscriber: Subscriber) -> AsyncGenerator[Activity, None]:
    """Each activity once the activities read model has it, as `activities` would then list it."""
    async for row in subscriber.rows():
        yield Activity.from_row(row)


async def organizations_registered(subscriber: Subscriber) -> AsyncGenerator[Organization, None]:
    """Each organization once the organizations read model has it, as `organizations` would then list it."""
    async for row in subscriber.rows():
        yield Organization.from_row(row)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Each task's new state once the tasks read model has applied it (what `task` "
                                         "and `tasks` then return), for tasks in the scope (default: the actor's); "
                                         "from when the subscription starts.")
    async def task_updated(self, info: strawberry.Info, scope: str | None = None) -> AsyncGenerator[Task, None]:
        return task_updates(live_subscriber(info, "tasks", scope))

    @strawberry.subscription(description="Each activity once the activities read model has it (as `activities` then "
                                         "lists it), in the scope (default: the actor's); from when it starts.")
    async def activity_recorded(self, info: strawberry.Info,
                                scope: str | None = None) -> AsyncGenerator[Activity, None]:
        return activities_recorded(live_subscriber(info, "activities", scope))

    @strawberry.subscription(description="Each organization once the organizations read model has it (as "
                                         "`organizations` then lists it), in the scope (default: the actor's); "
                                         "from when it starts.")
    async def organization_registered(self, info: strawberry.Info,
                                      scope: str | None = None) -> AsyncGenerator[Organization, None]:
        return organizations_registered(live_subscriber(info, "organizations", scope))
