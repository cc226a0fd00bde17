"""The API of the raw log, for auditors, integrators, administrators and government roles, each within its
scope: history, eventLog, entityAsOf and the events subscription (an area module, composed by schema.py).
Residents read the read models only. A ballot's voter is hidden from every reader but auditors and
administrators (P26).

The raw log reads by scope in SQL (backend/application/log.py), for at most RAW_LOG_BUDGET rows per operation
(context.py), each read under a statement timeout."""
from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from backend.api.context import ctx
from backend.api.errors import as_graphql_error
from backend.api.types import Event, Position
from backend.application.log import LoggedEvent, camel, jsonable
from backend.domain import values
from backend.domain.access import Action, Actor, Role, narrow
from backend.domain.catalog import AGGREGATES, own_events, topics_for
from backend.domain.community import Community as CommunityAggregate
from backend.domain.errors import GongzhiError, InvalidInput, NotFound
from backend.domain.evaluation import EvaluationBallot, EvaluationParticipation, SecretBallot

BALLOT = "EvaluationCast"
PARTICIPATION = "EvaluationParticipationRecorded"  # P26: who took part in a secret campaign (no choice)
SECRET_BALLOT = "SecretBallotCast"  # P26: a released secret ballot (no voter; its comment hidden as an open one's)
VOTER_FIELDS = frozenset({"resident_id", "comment"})  # P26: a ballot's voter and what they wrote
VOTER_READERS = frozenset({Role.AUDITOR, Role.ADMIN})  # who may see them, until ballots are secret
HIDDEN_VOTER = "resident"  # a ballot's actor id for every other reader (Actor.id is non-null)


def sees_voters(actor: Actor) -> bool:
    """P26: whether the actor may see who cast a ballot and their comment (an evaluated official
    must not, lest they retaliate): auditors and administrators only."""
    return actor.role in VOTER_READERS


def without_voter(e: LoggedEvent) -> LoggedEvent:
    """A ballot as readers who may not see its voter see it: no resident id, organization, comment or
    request ids (a client's id may name them; one request's ballots would be linked), the actor a
    placeholder. Any other event is unchanged."""
    if e.type == SECRET_BALLOT:
        return e._replace(hidden=frozenset({"comment"}))
    if e.type not in (BALLOT, PARTICIPATION):
        return e
    actor: dict[str, Any] = {**e.actor, "id": HIDDEN_VOTER, "organization": None}
    return e._replace(actor=actor, request_id=None, client_request_id=None, hidden=VOTER_FIELDS)


#: Event type -> its aggregate and the (camelCased) fields the aggregate declares personal (`PERSONAL_FIELDS`).
PERSONAL: dict[str, tuple[type, frozenset[str]]] = {
    name: (aggregate, frozenset(camel(f) for f in aggregate.PERSONAL_FIELDS))
    for aggregate in AGGREGATES if getattr(aggregate, "PERSONAL_FIELDS", None) for name in own_events(aggregate)}


def without_personal(actor: Actor, event: Event) -> Event:
    """An event with the fields its aggregate declares personal (`PERSONAL_FIELDS`, e.g. a staff member's name and
    phone, P11) null, unless the aggregate's `shows_personal_to(actor, community_code, subject)` allows this reader
    (the subject: the event's `PERSONAL_SUBJECT` field, the person the data is of). Any other event is unchanged."""
    declared = PERSONAL.get(event.type)
    if declared is None:
        return event
    aggregate, fields = declared
    subject = event.data.get(camel(getattr(aggregate, "PERSONAL_SUBJECT", "")))
    shows = getattr(aggregate, "shows_personal_to", None)
    if shows is not None and shows(actor, str(event.community_code), subject):
        return event
    return dataclasses.replace(event, data={k: None if k in fields else v for k, v in event.data.items()})


def as_read_by(actor: Actor, events: list[LoggedEvent]) -> list[Event]:
    """Events as the actor may read them."""
    if sees_voters(actor):
        return [without_personal(actor, Event.from_logged(e)) for e in events]
    return [without_personal(actor, Event.from_logged(without_voter(e))) for e in events]


def state_json(aggregate: Any, voter: bool = True) -> dict[str, Any]:
    """An aggregate's state as JSON; without a ballot's voter and comment unless `voter` (P26)."""
    hidden = (VOTER_FIELDS if isinstance(aggregate, (EvaluationBallot, EvaluationParticipation, SecretBallot))
              and not voter else frozenset())
    state = {"id": str(aggregate.id), "version": aggregate.version,
             "createdOn": aggregate.created_on.isoformat(), "modifiedOn": aggregate.modified_on.isoformat()}
    state.update({camel(k): jsonable(v) for k, v in vars(aggregate).items()
                  if not k.startswith("_") and k not in hidden})
    if isinstance(aggregate, CommunityAggregate):
        state["id"] = aggregate.code
    return state


async def entity_events(info: strawberry.Info, entity_id: str, what: str) -> tuple[Actor, list[LoggedEvent]]:
    """Every event of one entity, oldest first, for a reader of the raw log whose scope covers its community;
    they count against the operation's raw-log budget."""
    c = ctx(info)
    actor = c.authorize(Action.READ_LOG)
    events = await c.platform.events.stream_bounded(c.platform.app.stream_id(entity_id), c.raw_log_left(info) + 1)
    if events and not actor.covers(events[0].community_code):
        c.authorize(Action.READ_LOG, events[0].community_code)
    c.spend_raw_log(info, len(events), f"{what} of {entity_id}")
    return actor, events


HISTORY_DOC = ("Every event of one entity, oldest first. The raw log (history, eventLog, entityAsOf,\n"
               "  the events subscription) is for auditors, integrators, administrators and government\n"
               "  roles, each within its scope; residents read the read models only.")


@strawberry.type
class Query:
    @strawberry.field(description=HISTORY_DOC)
    async def history(self, info: strawberry.Info, entity_id: strawberry.ID) -> list[Event]:
        actor, events = await entity_events(info, entity_id, "history")
        return as_read_by(actor, events)

    @strawberry.field(description="The global log, in order, after a position.")
    async def event_log(self, info: strawberry.Info, after: Position | None = 0, first: int | None = 100,
                        types: list[str] | None = None) -> list[Event]:
        c = ctx(info)
        actor = c.authorize(Action.READ_LOG)
        first = 100 if first is None else first
        if not 0 <= first <= 1000:
            raise InvalidInput("first must be between 0 and 1000", field="first")
        topics = topics_for(types)
        c.spend_raw_log(info, first, f"eventLog(first: {first})")
        return as_read_by(actor, await c.platform.events.read_bounded(after or 0, first, topics, actor.scope))

    @strawberry.field(description="The entity's state as it stood at a moment, rebuilt from its events.")
    async def entity_as_of(self, info: strawberry.Info, entity_id: strawberry.ID, as_of: datetime) -> JSON | None:
        ctx(info).authorize(Action.READ_LOG)
        values.aware(as_of, "asOf")
        actor, events = await entity_events(info, entity_id, "entityAsOf")
        if not events:
            raise NotFound(f"no entity {entity_id}")
        aggregate = None
        for e in events:
            if e.occurred_at > as_of:
                break
            aggregate = e.domain_event.mutate(aggregate)
        return state_json(aggregate, sees_voters(actor)) if aggregate is not None else None


# -- the events subscription ---------------------------------------------------------------------
async def after_head(info: strawberry.Info, after: int) -> None:
    """A subscription starts at or before the log's head: an `after` beyond it is INVALID_INPUT."""
    head = await ctx(info).platform.events.head()
    if after > head:
        raise InvalidInput(f"after ({after}) is beyond the log's head ({head})", field="after")


async def live_events(info: strawberry.Info, after: int, types: list[str] | None,
                      scope: str | None) -> AsyncGenerator[Event, None]:
    """The log's events after `after`, live, in the actor's scope narrowed to `scope`, of the given types."""
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
        yield without_personal(actor, live_event(e, redacted))


_live_events: dict[tuple[int, bool], Event] = {}


def live_event(e: LoggedEvent, redacted: bool = False) -> Event:
    """One API object per recent log position and view, shared by every subscriber it reaches, so
    that their executions of the same document can be shared too (backend/api/execution.py). A
    ballot has two views (with its voter, for auditors and administrators, and without, P26); any
    other event, one."""
    key = (e.position, redacted and e.type == BALLOT)
    event = _live_events.get(key)
    if event is None:
        if len(_live_events) >= 4096:
            del _live_events[next(iter(_live_events))]
        event = _live_events[key] = Event.from_logged(without_voter(e) if key[1] else e)
    return event


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Live events in log order, starting after a position (0: from the start), "
                                         "so a client that reconnects misses nothing.")
    async def events(self, info: strawberry.Info, after: Position | None = 0, types: list[str] | None = None,
                     scope: str | None = None) -> AsyncGenerator[Event, None]:
        # Refused before it starts (token, role, an `after` beyond the head): the client gets an `error` message.
        try:
            ctx(info).authorize(Action.READ_LOG)
            await after_head(info, after or 0)
        except GongzhiError as e:
            raise as_graphql_error(e) from None
        return live_events(info, after or 0, types, scope)
