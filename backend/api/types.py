"""The API's shared basics (of the contract, ../shared/contract/gongzhi.graphql, and a few additions): the
Position scalar, Role and Actor, a command's Receipt, the raw log's Event, and the generic Connection and Edge
of every paged list. Each area module (backend/api/governance.py, auditing.py, ...) defines its own types on
these; this module imports none of them (nor resolvers or the schema), so it is imported first."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, NewType, TypeVar

import asyncpg
import strawberry
from strawberry.scalars import JSON

from backend.api.reads import Page
from backend.application.base import Receipt as CommandReceipt
from backend.application.log import LoggedEvent
from backend.domain import access
from backend.domain.errors import InvalidInput

T = TypeVar("T")


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


@strawberry.type
class Actor:
    id: strawberry.ID
    role: Role
    scope: str
    organization: str | None = strawberry.field(
        default=None, description="The department or office the actor belongs to (所属单位, the token's `org` "
                                  "claim), if its token names one; events recorded before it was kept have none "
                                  "(an addition to the contract).")

    @classmethod
    def from_actor(cls, actor: access.Actor) -> Actor:
        """The request's actor (`me`)."""
        return cls(id=strawberry.ID(actor.id), role=Role(actor.role), scope=actor.scope,
                   organization=actor.organization)

    @classmethod
    def from_record(cls, actor: dict[str, Any]) -> Actor:
        """An event's actor, as the log holds it (older events have no "organization")."""
        return cls(id=actor["id"], role=Role(actor["role"]), scope=actor["scope"],
                   organization=actor.get("organization"))


@strawberry.type(description="What every command returns besides its entity: where its last event stands in the log.")
class Receipt:
    position: Position
    entity_id: strawberry.ID
    version: int
    ballot_receipt: str | None = strawberry.field(
        default=None, description="P26: a secret ballot's receipt (castEvaluation in a secret campaign): a code only "
                                  "its resident holds (the server keeps its SHA-256 alone), to check with "
                                  "ballotCounted that the ballot was counted; null for every other command and for "
                                  "an idempotent repeat (an addition to the contract).")

    @classmethod
    def from_receipt(cls, receipt: CommandReceipt) -> Receipt:
        """A command's receipt (backend/application/base.py; a secret cast's carries its ballot's receipt)."""
        return cls(position=Position(receipt.position), entity_id=strawberry.ID(receipt.entity_id),
                   version=receipt.version, ballot_receipt=getattr(receipt, "ballot_receipt", None))


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

    @classmethod
    def from_logged(cls, e: LoggedEvent) -> Event:
        """An event of the log as its reader may see it (auditing.py hides a ballot's voter first)."""
        return cls(
            position=Position(e.position), entity_id=strawberry.ID(e.entity_id), entity_type=e.entity_type,
            version=e.version, type=e.type, occurred_at=e.occurred_at, actor=Actor.from_record(e.actor),
            data=e.data, request_id=e.request_id, client_request_id=e.client_request_id,
            community_code=strawberry.ID(e.community_code))


# -- paged lists: `Connection[Task]` is named TaskConnection in the schema, `Edge[Task]` TaskEdge -------------
@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, page: Page, node: Callable[[asyncpg.Record], T]) -> Connection[T]:
        """A page of read-model rows (backend/api/reads.py), each row made a node by `node` (e.g. Task.from_row)."""
        return cls(edges=[Edge(cursor=page.cursor(row), node=node(row)) for row in page.rows],
                   page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
                   total_count=page.total)
