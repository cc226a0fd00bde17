"""The GraphQL schema: the contract's Query, Mutation and Subscription, as a Federation v2 subgraph."""
from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cachetools
import strawberry
from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
    max_aliases,
    query_depth_limiter,
)
from strawberry.federation.schema import FederationAny
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document

from backend.api import resolvers as r
from backend.api import types as t
from backend.api.context import ctx
from backend.api.errors import ErrorCodes, as_graphql_error
from backend.api.execution import GongzhiExecutionContext
from backend.domain.access import Action
from backend.domain.errors import GongzhiError, InvalidInput

#: Only documents up to this many characters are kept parsed (GraphiQL's introspection is ~2,000) ...
CACHED_DOCUMENT_CHARS = 10_000
#: ... and at most this many characters of them in all: a parsed document takes up to ~320 bytes a
#: character, so the cache holds at most ~65 MB however many different documents clients send.
CACHED_CHARS = 200_000


@dataclass
class CachedDocument:
    """A document as clients send it again and again: parsed once, validated once."""

    document: DocumentNode
    size: int
    errors: list[GraphQLError] | None = None


_documents: cachetools.LRUCache[str, CachedDocument] = cachetools.LRUCache(
    maxsize=CACHED_CHARS, getsizeof=lambda entry: entry.size)


class DocumentCache(SchemaExtension):
    """Parse and validate each small document once (the validation rules are the schema's, made once).
    A document that does not parse takes strawberry's own path (and gets its code)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query and len(query) <= CACHED_DOCUMENT_CHARS:
            entry = _documents.get(query)
            if entry is None:
                try:
                    entry = CachedDocument(parse(query, **context.parse_options), len(query))
                except GraphQLError:
                    entry = None  # left unparsed: strawberry parses it again and reports the error as usual
                else:
                    _documents[query] = entry
            if entry is not None:
                context.graphql_document = entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = _documents.get(context.query) if context.query else None
        if entry is not None and entry.document is context.graphql_document:
            if entry.errors is None:
                entry.errors = validate_document(context.schema._schema, entry.document, context.validation_rules)
            context.pre_execution_errors = list(entry.errors)
        yield


HISTORY_DOC = ("Every event of one entity, oldest first. The raw log (history, eventLog, entityAsOf,\n"
               "  the events subscription) is for auditors, integrators, administrators and government\n"
               "  roles, each within its scope; residents read the read models only.")


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

    @strawberry.field
    async def burden_report(self, info: strawberry.Info, scope: str) -> t.BurdenReport:
        return await r.burden_report(info, scope)

    @strawberry.field(description=HISTORY_DOC)
    async def history(self, info: strawberry.Info, entity_id: strawberry.ID) -> list[t.Event]:
        return await r.history(info, entity_id)

    @strawberry.field(description="The global log, in order, after a position.")
    async def event_log(self, info: strawberry.Info, after: t.Position | None = 0, first: int | None = 100,
                        types: list[str] | None = None) -> list[t.Event]:
        return await r.event_log(info, after or 0, 100 if first is None else first, types)

    @strawberry.field(description="The entity's state as it stood at a moment, rebuilt from its events.")
    async def entity_as_of(self, info: strawberry.Info, entity_id: strawberry.ID, as_of: datetime) -> JSON | None:
        return await r.entity_as_of(info, entity_id, as_of)


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
    @strawberry.subscription(description="Live events in log order, starting after a position (0: from the start), "
                                         "so a client that reconnects misses nothing.")
    async def events(self, info: strawberry.Info, after: t.Position | None = 0, types: list[str] | None = None,
                     scope: str | None = None) -> AsyncGenerator[t.Event, None]:
        # Refused before it starts (token, role, an `after` beyond the head): the client gets an `error` message.
        try:
            ctx(info).authorize(Action.READ_LOG)
            await r.after_head(info, after or 0)
        except GongzhiError as e:
            raise as_graphql_error(e) from None
        return r.events(info, after or 0, types, scope)

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


#: The federation entities and their keys: a representation names one of them and carries exactly its key.
ENTITY_KEYS: dict[str, str] = {"Community": "code", "Task": "id", "Organization": "id"}


def representation(value: object) -> None:
    """Refuse (INVALID_INPUT) a representation that is not `{__typename, <its key>}` with a short string key."""
    if not isinstance(value, dict):
        raise InvalidInput("a representation is an object with __typename and the entity's key")
    typename = value.get("__typename")
    key = ENTITY_KEYS.get(typename) if isinstance(typename, str) else None
    if key is None:
        raise InvalidInput(f"__typename must be one of {', '.join(ENTITY_KEYS)}", field="__typename")
    if value.keys() != {"__typename", key} or not isinstance(value[key], str) or len(value[key]) > 100:
        raise InvalidInput(f"a {typename} representation carries __typename and {key} (a string), nothing else")


class GongzhiSchema(strawberry.federation.Schema):
    def entities_resolver(self, info: strawberry.Info,
                          representations: list[FederationAny]) -> list[FederationAny]:
        """Federation's `_entities`, after every representation was checked (before any is resolved)."""
        try:
            for value in representations:
                representation(value)
        except InvalidInput as e:
            raise as_graphql_error(e) from None
        return super().entities_resolver(info, [FederationAny(dict(value)) for value in representations])

    def process_errors(self, errors: list[GraphQLError], execution_context: object = None) -> None:
        """Strawberry logs every error with its traceback; a refused command is not a server fault.
        Unexpected errors are logged where they get their code (backend/api/errors.py)."""


def build_schema(max_depth: int = 10, max_tokens: int = 5_000, plain: bool = False) -> strawberry.federation.Schema:
    """The served schema; `plain` runs graphql-core's own execution (GONGZHI_PLAIN_EXECUTION) instead of
    GongzhiExecutionContext's shortcuts."""
    # The limit rules are made once, so a document's validation can be kept with it (DocumentCache).
    # Clients send the same few documents again and again, so each is parsed and validated once;
    # a document of more than `max_tokens` tokens is refused while it is parsed.
    limits = [query_depth_limiter.create_validator(max_depth, None), max_aliases.create_validator(30)]
    return GongzhiSchema(
        query=Query, mutation=Mutation, subscription=Subscription,
        config=StrawberryConfig(scalar_map={t.Position: t.POSITION_SCALAR}),
        execution_context_class=None if plain else GongzhiExecutionContext,
        extensions=[ErrorCodes, lambda: MaxTokensLimiter(max_tokens), lambda: AddValidationRules(limits),
                    DocumentCache],
    )


schema = build_schema()
__all__ = ["build_schema", "schema"]
