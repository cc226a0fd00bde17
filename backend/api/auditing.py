"""The API of the raw log, for auditors, integrators, administrators and government roles: history, eventLog,
entityAsOf and the events subscription (an area module, composed by schema.py)."""
from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from backend.api import resolvers as r
from backend.api import types as t
from backend.api.context import ctx
from backend.api.errors import as_graphql_error
from backend.domain.access import Action
from backend.domain.errors import GongzhiError

HISTORY_DOC = ("Every event of one entity, oldest first. The raw log (history, eventLog, entityAsOf,\n"
               "  the events subscription) is for auditors, integrators, administrators and government\n"
               "  roles, each within its scope; residents read the read models only.")


@strawberry.type
class Query:
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
