"""The API of co-governance: communities and their duty lists, service agreements, tasks, organizations,
activities, evaluations, and the live read models' subscriptions (an area module, composed by schema.py)."""
from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any

import strawberry

from backend.api import resolvers as r
from backend.api import types as t
from backend.api.context import ctx


@strawberry.type
class Query:
    @strawberry.field
    def me(self, info: strawberry.Info) -> t.Actor:
        actor = ctx(info).actor
        return t.Actor(id=actor.id, role=t.Role(actor.role), scope=actor.scope)

    @strawberry.field
    async def community(self, info: strawberry.Info, code: strawberry.ID) -> t.Community | None:
        return await r.community(info, code)

    @strawberry.field
    async def communities(self, info: strawberry.Info, scope: str | None = None, first: int | None = 50,
                          after: str | None = None) -> t.CommunityConnection:
        return await r.communities(info, scope, first, after)

    @strawberry.field
    async def tasks(self, info: strawberry.Info, scope: str | None = None, status: t.TaskStatus | None = None,
                    first: int | None = 50, after: str | None = None) -> t.TaskConnection:
        return await r.tasks(info, scope, status, first, after)

    @strawberry.field(description="One task by id (an addition to the contract).")
    async def task(self, info: strawberry.Info, id: strawberry.ID) -> t.Task | None:
        return await r.task(info, id)

    @strawberry.field
    async def organizations(self, info: strawberry.Info, scope: str | None = None,
                            category: t.OrganizationCategory | None = None, first: int | None = 50,
                            after: str | None = None) -> t.OrganizationConnection:
        return await r.organizations(info, scope, category, first, after)

    @strawberry.field
    async def activities(self, info: strawberry.Info, scope: str | None = None, first: int | None = 50,
                         after: str | None = None) -> t.ActivityConnection:
        return await r.activities(info, scope, first, after)

    @strawberry.field(description="P4: the service agreements of the communities in the scope (default: the actor's), "
                                  "newest first; read like `tasks` (an addition to the contract).")
    async def agreements(self, info: strawberry.Info, scope: str | None = None, first: int | None = 50,
                         after: str | None = None) -> t.ServiceAgreementConnection:
        return await r.agreements(info, scope, first, after)

    @strawberry.field(description="P26: the evaluation campaigns of the communities in the scope (default: the "
                                  "actor's), newest first, for every role that reads the read models, residents too; "
                                  "no voter (an addition to the contract).")
    async def evaluation_campaigns(self, info: strawberry.Info, scope: str | None = None, first: int | None = 50,
                                   after: str | None = None) -> t.EvaluationCampaignConnection:
        return await r.evaluation_campaigns(info, scope, first, after)

    @strawberry.field(description="One evaluation campaign by id, for a reader whose scope covers its community "
                                  "(an addition to the contract).")
    async def evaluation_campaign(self, info: strawberry.Info, id: strawberry.ID) -> t.EvaluationCampaign | None:
        return await r.evaluation_campaign(info, id)

    @strawberry.field
    async def evaluation_results(self, info: strawberry.Info, campaign_id: strawberry.ID) -> list[t.TargetResult]:
        return await r.evaluation_results(info, campaign_id)


async def task_command(info: strawberry.Info, command: Callable[..., tuple[Any, Any]], *args: Any) -> t.TaskResult:
    """Run a task command as the request's actor; the task as it now stands, and its receipt."""
    c = ctx(info)
    task, receipt = await c.platform.commands.run(command, c.stamp, *args)
    return t.TaskResult(task=r.task_from_aggregate(task), receipt=r.receipt(receipt))


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register_community(self, info: strawberry.Info, input: t.RegisterCommunityInput) -> t.CommunityResult:
        c = ctx(info)
        community, receipt = await c.platform.commands.run(
            c.platform.app.register_community, c.stamp, input.code, input.name, t.enum_value(input.kind))
        return t.CommunityResult(community=await r.community_counts(c, community), receipt=r.receipt(receipt))

    @strawberry.mutation
    async def publish_duty_list(self, info: strawberry.Info, input: t.PublishDutyListInput) -> t.CommunityResult:
        c = ctx(info)
        items = [{"code": i.code, "title": i.title, "list": t.enum_value(i.list)} for i in input.items]
        community, receipt = await c.platform.commands.run(
            c.platform.app.publish_duty_list, c.stamp, input.community_code, items)
        return t.CommunityResult(community=await r.community_counts(c, community), receipt=r.receipt(receipt))

    @strawberry.mutation
    async def sign_service_agreement(self, info: strawberry.Info,
                                     input: t.SignServiceAgreementInput) -> t.AgreementResult:
        c = ctx(info)
        a, receipt = await c.platform.commands.run(
            c.platform.app.sign_service_agreement, c.stamp, input.community_code, input.department, input.scope,
            input.funding_yuan, input.valid_until)
        return t.AgreementResult(
            agreement=t.ServiceAgreement(id=str(a.id), community_code=a.community_code, department=a.department,
                                         scope=a.scope, funding_yuan=a.funding_yuan, valid_until=a.valid_until,
                                         signed_at=a.created_on, current=a.valid_until > a.created_on),
            receipt=r.receipt(receipt))

    @strawberry.mutation
    async def delegate_task(self, info: strawberry.Info, input: t.DelegateTaskInput) -> t.TaskResult:
        return await task_command(info, ctx(info).platform.app.delegate_task, input.community_code, input.title,
                                  input.from_department, input.duty_item_code, input.agreement_id, input.due_at)

    @strawberry.mutation
    async def accept_task(self, info: strawberry.Info, id: strawberry.ID,
                          expected_version: int | None = None) -> t.TaskResult:
        return await task_command(info, ctx(info).platform.app.accept_task, id, expected_version)

    @strawberry.mutation
    async def decline_task(self, info: strawberry.Info, id: strawberry.ID, reason: str,
                           expected_version: int | None = None) -> t.TaskResult:
        return await task_command(info, ctx(info).platform.app.decline_task, id, reason, expected_version)

    @strawberry.mutation
    async def complete_task(self, info: strawberry.Info, id: strawberry.ID,
                            expected_version: int | None = None) -> t.TaskResult:
        return await task_command(info, ctx(info).platform.app.complete_task, id, expected_version)

    @strawberry.mutation
    async def register_organization(self, info: strawberry.Info,
                                    input: t.RegisterOrganizationInput) -> t.OrganizationResult:
        c = ctx(info)
        o, receipt = await c.platform.commands.run(
            c.platform.app.register_organization, c.stamp, input.community_code, input.name,
            t.enum_value(input.category), t.enum_value(input.status), input.hub_id)
        return t.OrganizationResult(
            organization=t.Organization(
                id=str(o.id), name=o.name, category=t.OrganizationCategory(o.category),
                status=t.OrganizationStatus(o.status), community_code=o.community_code,
                hub_id=str(o.hub_id) if o.hub_id else None, registered_at=o.created_on),
            receipt=r.receipt(receipt))

    @strawberry.mutation
    async def record_activity(self, info: strawberry.Info, input: t.RecordActivityInput) -> t.ActivityResult:
        c = ctx(info)
        hours = [{"volunteer_id": v.volunteer_id, "hours": v.hours} for v in (input.volunteer_hours or [])]
        a, receipt = await c.platform.commands.run(
            c.platform.app.record_activity, c.stamp, input.community_code, input.title, input.organizer_id,
            input.held_at, input.participants, hours)
        return t.ActivityResult(
            activity=t.Activity(id=str(a.id), community_code=a.community_code, title=a.title,
                                organizer_id=a.organizer_id, held_at=a.held_at, participants=a.participants,
                                volunteer_hours=a.total_volunteer_hours),
            receipt=r.receipt(receipt))

    @strawberry.mutation
    async def open_evaluation_campaign(self, info: strawberry.Info,
                                       input: t.OpenEvaluationCampaignInput) -> t.CampaignResult:
        c = ctx(info)
        targets = [{"id": x.id, "name": x.name, "kind": t.enum_value(x.kind)} for x in input.targets]
        campaign, receipt = await c.platform.commands.run(
            c.platform.app.open_evaluation_campaign, c.stamp, input.community_code, input.title, targets,
            input.closes_at)
        return t.CampaignResult(
            campaign=t.EvaluationCampaign(
                id=str(campaign.id), community_code=campaign.community_code, title=campaign.title,
                targets=r.targets_of(campaign.targets), closes_at=campaign.closes_at, opened_at=campaign.created_on,
                open=campaign.closes_at > campaign.created_on),
            receipt=r.receipt(receipt))

    @strawberry.mutation
    async def cast_evaluation(self, info: strawberry.Info, input: t.CastEvaluationInput) -> t.Receipt:
        c = ctx(info)
        receipt = await c.platform.commands.run(
            c.platform.app.cast_evaluation, c.stamp, input.campaign_id, input.target_id,
            t.enum_value(input.satisfaction), input.comment)
        return r.receipt(receipt)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Each task's new state once the tasks read model has applied it (what `task` "
                                         "and `tasks` then return), for tasks in the scope (default: the actor's); "
                                         "from when the subscription starts.")
    async def task_updated(self, info: strawberry.Info, scope: str | None = None) -> AsyncGenerator[t.Task, None]:
        return r.task_updates(r.live_subscriber(info, "tasks", scope))

    @strawberry.subscription(description="Each activity once the activities read model has it (as `activities` then "
                                         "lists it), in the scope (default: the actor's); from when it starts.")
    async def activity_recorded(self, info: strawberry.Info,
                                scope: str | None = None) -> AsyncGenerator[t.Activity, None]:
        return r.activities_recorded(r.live_subscriber(info, "activities", scope))

    @strawberry.subscription(description="Each organization once the organizations read model has it (as "
                                         "`organizations` then lists it), in the scope (default: the actor's); "
                                         "from when it starts.")
    async def organization_registered(self, info: strawberry.Info,
                                      scope: str | None = None) -> AsyncGenerator[t.Organization, None]:
        return r.organizations_registered(r.live_subscriber(info, "organizations", scope))
