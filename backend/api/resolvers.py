"""Resolvers: reads from the read models with asyncpg, commands through the gateway, the raw
log through the event log. Access is checked here, through the one permission table."""
from __future__ import annotations

import base64
import json
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import strawberry

from backend.api import types as t
from backend.api.context import Context, ctx
from backend.application.governance import Receipt
from backend.application.log import LoggedEvent, camel, jsonable
from backend.domain import values
from backend.domain.access import Action, Actor, Role, narrow
from backend.domain.catalog import topics_for
from backend.domain.community import Community as CommunityAggregate
from backend.domain.errors import InvalidInput, NotFound
from backend.domain.evaluation import EvaluationBallot
from projections.live import Subscriber


# -- conversions ---------------------------------------------------------------------------
def receipt(r: Receipt) -> t.Receipt:
    return t.Receipt(position=r.position, entity_id=strawberry.ID(r.entity_id), version=r.version)


def community_from_row(row: asyncpg.Record) -> t.Community:
    items = json.loads(row["duty_items"]) if isinstance(row["duty_items"], str) else row["duty_items"]
    return t.Community(
        code=row["code"], name=row["name"], kind=t.CommunityKind(row["kind"]),
        duty_list_version=row["duty_list_version"],
        duty_items=[t.DutyItem(code=i["code"], title=i["title"], list=t.DutyListKind(i["list"])) for i in items],
        open_tasks=row["open_tasks"], organizations=row["organizations"], activities_held=row["activities_held"])


def task_from_row(row: asyncpg.Record) -> t.Task:
    return t.Task(
        id=str(row["id"]), community_code=row["community_code"], title=row["title"],
        from_department=row["from_department"], basis=t.TaskBasis(row["basis"]),
        duty_item_code=row["duty_item_code"],
        agreement_id=str(row["agreement_id"]) if row["agreement_id"] else None,
        status=t.TaskStatus(row["status"]), delegated_at=row["delegated_at"], due_at=row["due_at"],
        version=row["version"], duty_list_version=row["duty_list_version"], decline_reason=row["decline_reason"])


def task_from_aggregate(task: Any) -> t.Task:
    return t.Task(
        id=str(task.id), community_code=task.community_code, title=task.title,
        from_department=task.from_department, basis=t.TaskBasis(task.basis), duty_item_code=task.duty_item_code,
        agreement_id=str(task.agreement_id) if task.agreement_id else None, status=t.TaskStatus(task.status),
        delegated_at=task.created_on, due_at=task.due_at, version=task.version,
        duty_list_version=task.duty_list_version, decline_reason=task.decline_reason)


def organization_from_row(row: asyncpg.Record) -> t.Organization:
    return t.Organization(
        id=str(row["id"]), name=row["name"], category=t.OrganizationCategory(row["category"]),
        status=t.OrganizationStatus(row["status"]), community_code=row["community_code"],
        hub_id=str(row["hub_id"]) if row["hub_id"] else None, registered_at=row["registered_at"])


def activity_from_row(row: asyncpg.Record) -> t.Activity:
    return t.Activity(
        id=str(row["id"]), community_code=row["community_code"], title=row["title"],
        organizer_id=row["organizer_id"], held_at=row["held_at"], participants=row["participants"],
        volunteer_hours=float(row["volunteer_hours"]))


def agreement_from_row(row: asyncpg.Record, now: datetime) -> t.ServiceAgreement:
    return t.ServiceAgreement(
        id=str(row["id"]), community_code=row["community_code"], department=row["department"], scope=row["scope"],
        funding_yuan=str(row["funding_yuan"]), valid_until=row["valid_until"], signed_at=row["signed_at"],
        current=row["valid_until"] > now)


def targets_of(targets: list[dict[str, str]]) -> list[t.EvaluationTarget]:
    return [t.EvaluationTarget(id=x["id"], name=x["name"], kind=t.EvaluationTargetKind(x["kind"])) for x in targets]


def campaign_from_row(row: asyncpg.Record, now: datetime) -> t.EvaluationCampaign:
    """A campaign as every reader of its community sees it: what it asks about and when, never who voted (P26)."""
    return t.EvaluationCampaign(
        id=str(row["id"]), community_code=row["community_code"], title=row["title"],
        targets=targets_of(json.loads(row["targets"])), closes_at=row["closes_at"], opened_at=row["opened_at"],
        open=row["closes_at"] > now)


def event_type(e: LoggedEvent) -> t.Event:
    return t.Event(
        position=e.position, entity_id=strawberry.ID(e.entity_id), entity_type=e.entity_type,
        version=e.version, type=e.type, occurred_at=e.occurred_at,
        actor=t.Actor(id=e.actor["id"], role=t.Role(e.actor["role"]), scope=e.actor["scope"]),
        data=e.data, request_id=e.request_id, client_request_id=e.client_request_id,
        community_code=strawberry.ID(e.community_code))


# -- pagination -------------------------------------------------------------------------------
def page_size(c: Context, first: int | None) -> int:
    limit = c.platform.settings.max_page_size
    if first is None:
        return 50
    if not 0 <= first <= limit:
        raise InvalidInput(f"first must be between 0 and {limit}", field="first")
    return first


def encode_cursor(value: int | str) -> str:
    return base64.urlsafe_b64encode(f"v1:{value}".encode()).decode()


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        tag, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("after is not a cursor this API issued", field="after") from None
    if tag != "v1" or not value:
        raise InvalidInput("after is not a cursor this API issued", field="after")
    return value


async def page(c: Context, table: str, key: str, where: list[str], args: list[Any], first: int | None,
               after: str | None, descending: bool) -> tuple[list[asyncpg.Record], bool, int]:
    """Keyset pagination over a read-model table: (rows, has next page, total count)."""
    size = page_size(c, first)
    filters = " AND ".join(where) or "TRUE"
    after_value = decode_cursor(after)
    paged_where, paged_args = filters, list(args)
    if after_value is not None:
        key_value: Any = after_value
        if key == "position":  # a log position: ASCII digits, within 64 bits
            if not (after_value.isascii() and after_value.isdigit() and len(after_value) <= 19
                    and int(after_value) < 2**63):
                raise InvalidInput("after is not a cursor this API issued", field="after")
            key_value = int(after_value)
        paged_args.append(key_value)
        paged_where += f" AND {key} {'<' if descending else '>'} ${len(paged_args)}"
    order = "DESC" if descending else "ASC"
    async with c.platform.pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT * FROM {table} WHERE {paged_where} ORDER BY {key} {order}"
                                f" LIMIT {size + 1}", *paged_args)
        total = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {filters}", *args)
    return rows[:size], len(rows) > size, total


def page_info(rows: list[asyncpg.Record], key: str, has_next: bool) -> t.PageInfo:
    return t.PageInfo(has_next_page=has_next, end_cursor=encode_cursor(rows[-1][key]) if rows else None)


def read_scope(c: Context, scope: str | None) -> str:
    actor = c.authorize(Action.READ_MODELS)
    if scope is not None:
        values.scope_prefix(scope)
    return narrow(actor, scope)


def scope_filter(c: Context, scope: str | None, **equals: Any) -> tuple[list[str], list[Any]]:
    """WHERE clauses (and their arguments) for rows in the read scope whose columns equal the given
    values; a None value is no condition."""
    where, args = ["community_code LIKE $1"], [read_scope(c, scope) + "%"]
    for column, value in equals.items():
        if value is not None:
            args.append(t.enum_value(value))
            where.append(f"{column} = ${len(args)}")
    return where, args


# -- queries -----------------------------------------------------------------------------------
async def community(info: strawberry.Info, code: str) -> t.Community | None:
    c = ctx(info)
    c.authorize(Action.READ_MODELS, values.division_code(code))
    row = await c.platform.pool.fetchrow("SELECT * FROM communities WHERE code = $1", code)
    return community_from_row(row) if row else None


async def communities(info: strawberry.Info, scope: str | None, first: int | None,
                      after: str | None) -> t.CommunityConnection:
    c = ctx(info)
    prefix = read_scope(c, scope)
    rows, more, total = await page(c, "communities", "code", ["code LIKE $1"], [prefix + "%"], first, after, False)
    return t.CommunityConnection(
        edges=[t.CommunityEdge(cursor=encode_cursor(r["code"]), node=community_from_row(r)) for r in rows],
        page_info=page_info(rows, "code", more), total_count=total)


async def row_by_id(info: strawberry.Info, table: str, id: str) -> asyncpg.Record | None:
    """One read-model row by its UUID, if the actor's scope covers its community."""
    c = ctx(info)
    c.authorize(Action.READ_MODELS)
    row = await c.platform.pool.fetchrow(f"SELECT * FROM {table} WHERE id = $1", values.uuid(id, "id"))
    if row is not None:
        c.authorize(Action.READ_MODELS, row["community_code"])
    return row


async def task(info: strawberry.Info, id: str) -> t.Task | None:
    row = await row_by_id(info, "tasks", id)
    return task_from_row(row) if row else None


async def tasks(info: strawberry.Info, scope: str | None, status: t.TaskStatus | None, first: int | None,
                after: str | None) -> t.TaskConnection:
    c = ctx(info)
    where, args = scope_filter(c, scope, status=status)
    rows, more, total = await page(c, "tasks", "position", where, args, first, after, True)
    return t.TaskConnection(
        edges=[t.TaskEdge(cursor=encode_cursor(r["position"]), node=task_from_row(r)) for r in rows],
        page_info=page_info(rows, "position", more), total_count=total)


async def organization(info: strawberry.Info, id: str) -> t.Organization | None:
    row = await row_by_id(info, "organizations", id)
    return organization_from_row(row) if row else None


async def organizations(info: strawberry.Info, scope: str | None, category: t.OrganizationCategory | None,
                        first: int | None, after: str | None) -> t.OrganizationConnection:
    c = ctx(info)
    where, args = scope_filter(c, scope, category=category)
    rows, more, total = await page(c, "organizations", "position", where, args, first, after, True)
    return t.OrganizationConnection(
        edges=[t.OrganizationEdge(cursor=encode_cursor(r["position"]), node=organization_from_row(r))
               for r in rows],
        page_info=page_info(rows, "position", more), total_count=total)


async def activities(info: strawberry.Info, scope: str | None, first: int | None,
                     after: str | None) -> t.ActivityConnection:
    c = ctx(info)
    rows, more, total = await page(c, "activities", "position", *scope_filter(c, scope), first, after, True)
    return t.ActivityConnection(
        edges=[t.ActivityEdge(cursor=encode_cursor(r["position"]), node=activity_from_row(r)) for r in rows],
        page_info=page_info(rows, "position", more), total_count=total)


async def agreements(info: strawberry.Info, scope: str | None, first: int | None,
                     after: str | None) -> t.ServiceAgreementConnection:
    """P4: the service agreements signed for communities in the scope, newest first (as `tasks` reads)."""
    c = ctx(info)
    rows, more, total = await page(c, "service_agreements", "position", *scope_filter(c, scope), first, after, True)
    now = datetime.now(UTC)
    return t.ServiceAgreementConnection(
        edges=[t.ServiceAgreementEdge(cursor=encode_cursor(r["position"]), node=agreement_from_row(r, now))
               for r in rows],
        page_info=page_info(rows, "position", more), total_count=total)


async def evaluation_campaigns(info: strawberry.Info, scope: str | None, first: int | None,
                               after: str | None) -> t.EvaluationCampaignConnection:
    """P26: the evaluation campaigns of communities in the scope, newest first (as `tasks` reads); every role
    that reads the read models, residents too, within its scope."""
    c = ctx(info)
    rows, more, total = await page(c, "evaluation_campaigns", "position", *scope_filter(c, scope), first, after,
                                   True)
    now = datetime.now(UTC)
    return t.EvaluationCampaignConnection(
        edges=[t.EvaluationCampaignEdge(cursor=encode_cursor(r["position"]), node=campaign_from_row(r, now))
               for r in rows],
        page_info=page_info(rows, "position", more), total_count=total)


async def evaluation_campaign(info: strawberry.Info, id: str) -> t.EvaluationCampaign | None:
    row = await row_by_id(info, "evaluation_campaigns", id)
    return campaign_from_row(row, datetime.now(UTC)) if row else None


async def evaluation_results(info: strawberry.Info, campaign_id: str) -> list[t.TargetResult]:
    c = ctx(info)
    c.authorize(Action.READ_MODELS)
    campaign = await c.platform.pool.fetchrow("SELECT * FROM evaluation_campaigns WHERE id = $1",
                                              values.uuid(campaign_id, "campaignId"))
    if campaign is None:
        raise NotFound(f"no evaluation campaign {campaign_id}")
    c.authorize(Action.READ_MODELS, campaign["community_code"])
    tallies = {r["target_id"]: r for r in await c.platform.pool.fetch(
        "SELECT * FROM evaluation_tallies WHERE campaign_id = $1", campaign["id"])}
    results = []
    for target in json.loads(campaign["targets"]):
        row = tallies.get(target["id"])
        s, b, d = (row["satisfied"], row["basically_satisfied"], row["dissatisfied"]) if row else (0, 0, 0)
        total = s + b + d
        results.append(t.TargetResult(
            target=t.EvaluationTarget(id=target["id"], name=target["name"],
                                      kind=t.EvaluationTargetKind(target["kind"])),
            satisfied=s, basically_satisfied=b, dissatisfied=d, total=total,
            satisfaction_rate=(s + b) / total if total else 0.0))
    return results


async def burden_report(info: strawberry.Info, scope: str) -> t.BurdenReport:
    c = ctx(info)
    prefix = read_scope(c, values.scope_prefix(scope))
    row = await c.platform.pool.fetchrow(
        "SELECT coalesce(sum(tasks_delegated), 0)::bigint AS tasks_delegated,"
        " coalesce(sum(on_duty_list), 0)::bigint AS on_duty_list,"
        " coalesce(sum(under_agreement), 0)::bigint AS under_agreement,"
        " coalesce(sum(refused_off_list), 0)::bigint AS refused_off_list,"
        " coalesce(sum(declined), 0)::bigint AS declined,"
        " round(coalesce(sum(agreement_funding_yuan), 0), 2) AS funding"
        " FROM burden_by_community WHERE community_code LIKE $1", prefix + "%")
    return t.BurdenReport(
        scope=scope, tasks_delegated=row["tasks_delegated"], on_duty_list=row["on_duty_list"],
        under_agreement=row["under_agreement"], refused_off_list=row["refused_off_list"],
        declined=row["declined"], agreement_funding_yuan=str(row["funding"]))


# -- the raw log ---------------------------------------------------------------------------------
# The raw log reads by scope in SQL, for at most RAW_LOG_BUDGET rows per operation (context.py),
# each read under a statement timeout (application/log.py).
BALLOT = "EvaluationCast"
VOTER_FIELDS = frozenset({"resident_id", "comment"})  # P26: a ballot's voter and what they wrote
VOTER_READERS = frozenset({Role.AUDITOR, Role.ADMIN})  # who may see them, until ballots are secret
HIDDEN_VOTER = "resident"  # a ballot's actor id for every other reader (Actor.id is non-null)


def sees_voters(actor: Actor) -> bool:
    """P26: whether the actor may see who cast a ballot and their comment (an evaluated official
    must not, lest they retaliate): auditors and administrators only."""
    return actor.role in VOTER_READERS


def without_voter(e: LoggedEvent) -> LoggedEvent:
    """A ballot as readers who may not see its voter see it: no resident id, comment or request
    ids (a client's id may name them; one request's ballots would be linked), the actor a
    placeholder. Any other event is unchanged."""
    if e.type != BALLOT:
        return e
    return e._replace(actor={**e.actor, "id": HIDDEN_VOTER}, request_id=None, client_request_id=None,
                      hidden=VOTER_FIELDS)


def as_read_by(actor: Actor, events: list[LoggedEvent]) -> list[t.Event]:
    """Events as the actor may read them."""
    if sees_voters(actor):
        return [event_type(e) for e in events]
    return [event_type(without_voter(e)) for e in events]


async def history(info: strawberry.Info, entity_id: str) -> list[t.Event]:
    c = ctx(info)
    actor = c.authorize(Action.READ_LOG)
    events = await c.platform.events.stream_bounded(c.platform.app.stream_id(entity_id), c.raw_log_left(info) + 1)
    if events and not actor.covers(events[0].community_code):
        c.authorize(Action.READ_LOG, events[0].community_code)
    c.spend_raw_log(info, len(events), f"history of {entity_id}")
    return as_read_by(actor, events)


async def event_log(info: strawberry.Info, after: int, first: int, types: list[str] | None) -> list[t.Event]:
    c = ctx(info)
    actor = c.authorize(Action.READ_LOG)
    if not 0 <= first <= 1000:
        raise InvalidInput("first must be between 0 and 1000", field="first")
    topics = topics_for(types)
    c.spend_raw_log(info, first, f"eventLog(first: {first})")
    return as_read_by(actor, await c.platform.events.read_bounded(after, first, topics, actor.scope))


def state_json(aggregate: Any, voter: bool = True) -> dict[str, Any]:
    """An aggregate's state as JSON; without a ballot's voter and comment unless `voter` (P26)."""
    hidden = VOTER_FIELDS if isinstance(aggregate, EvaluationBallot) and not voter else frozenset()
    state = {"id": str(aggregate.id), "version": aggregate.version,
             "createdOn": aggregate.created_on.isoformat(), "modifiedOn": aggregate.modified_on.isoformat()}
    state.update({camel(k): jsonable(v) for k, v in vars(aggregate).items()
                  if not k.startswith("_") and k not in hidden})
    if isinstance(aggregate, CommunityAggregate):
        state["id"] = aggregate.code
    return state


async def entity_as_of(info: strawberry.Info, entity_id: str, as_of: datetime) -> Any:
    c = ctx(info)
    actor = c.authorize(Action.READ_LOG)
    values.aware(as_of, "asOf")
    events = await c.platform.events.stream_bounded(c.platform.app.stream_id(entity_id), c.raw_log_left(info) + 1)
    if not events:
        raise NotFound(f"no entity {entity_id}")
    if not actor.covers(events[0].community_code):
        c.authorize(Action.READ_LOG, events[0].community_code)
    c.spend_raw_log(info, len(events), f"entityAsOf of {entity_id}")
    aggregate = None
    for e in events:
        if e.occurred_at > as_of:
            break
        aggregate = e.domain_event.mutate(aggregate)
    return state_json(aggregate, sees_voters(actor)) if aggregate is not None else None


async def after_head(info: strawberry.Info, after: int) -> None:
    """A subscription starts at or before the log's head: an `after` beyond it is INVALID_INPUT."""
    head = await ctx(info).platform.events.head()
    if after > head:
        raise InvalidInput(f"after ({after}) is beyond the log's head ({head})", field="after")


async def events(info: strawberry.Info, after: int, types: list[str] | None,
                 scope: str | None) -> AsyncGenerator[t.Event, None]:
    c = ctx(info)
    actor = c.authorize(Action.READ_LOG)
    if scope is not None:
        values.scope_prefix(scope)
    prefix = narrow(actor, scope)
    topics = set(topics_for(types))
    wanted_types = set(types or ())
    redacted = not sees_voters(actor)

    def wanted(e: LoggedEvent) -> bool:
        return e.community_code.startswith(prefix) and (not topics or e.type in wanted_types)

    async for e in c.platform.feed.follow(after, wanted, prefix):
        yield live_event(e, redacted)


_live_events: dict[tuple[int, bool], t.Event] = {}


def live_event(e: LoggedEvent, redacted: bool = False) -> t.Event:
    """One API object per recent log position and view, shared by every subscriber it reaches, so
    that their executions of the same document can be shared too (backend/api/execution.py). A
    ballot has two views (with its voter, for auditors and administrators, and without, P26); any
    other event, one."""
    key = (e.position, redacted and e.type == BALLOT)
    event = _live_events.get(key)
    if event is None:
        if len(_live_events) >= 4096:
            del _live_events[next(iter(_live_events))]
        event = _live_events[key] = event_type(without_voter(e) if key[1] else e)
    return event


async def community_counts(c: Context, community: CommunityAggregate) -> t.Community:
    row = await c.platform.pool.fetchrow(
        "SELECT open_tasks, organizations, activities_held FROM communities WHERE code = $1", community.code)
    return t.Community(
        code=community.code, name=community.name, kind=t.CommunityKind(community.kind),
        duty_list_version=community.duty_list_version,
        duty_items=[t.DutyItem(code=i["code"], title=i["title"], list=t.DutyListKind(i["list"]))
                    for i in community.duty_items],
        open_tasks=row["open_tasks"] if row else 0, organizations=row["organizations"] if row else 0,
        activities_held=row["activities_held"] if row else 0)


# -- live read models ------------------------------------------------------------------------------
# A subscriber is made when the subscription starts (so it misses nothing from then on) and lives as
# long as its generator (projections/live.py holds it weakly).
def live_subscriber(info: strawberry.Info, table: str, scope: str | None) -> Subscriber:
    """A subscriber to a live read model in the actor's read scope, narrowed like the queries';
    refused (UNAUTHENTICATED, FORBIDDEN, INVALID_INPUT) before the stream starts."""
    c = ctx(info)
    return c.platform.live.subscribe(table, read_scope(c, scope))


async def task_updates(subscriber: Subscriber) -> AsyncGenerator[t.Task, None]:
    """Each task's new state once the tasks read model has it, as `task(id:)` would then return it."""
    async for row in subscriber.rows():
        yield task_from_row(row)


async def activities_recorded(subscriber: Subscriber) -> AsyncGenerator[t.Activity, None]:
    """Each activity once the activities read model has it, as `activities` would then list it."""
    async for row in subscriber.rows():
        yield activity_from_row(row)


async def organizations_registered(subscriber: Subscriber) -> AsyncGenerator[t.Organization, None]:
    """Each organization once the organizations read model has it, as `organizations` would then list it."""
    async for row in subscriber.rows():
        yield organization_from_row(row)
