"""What a projection is: a name, its tables, its migrations, and an `on_<EventType>` handler
for each event type that changes them. Handlers write through the connection they are given,
inside the runner's transaction, so the read model and its position commit together."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from backend.application.log import LoggedEvent

Handler = Callable[[asyncpg.Connection, LoggedEvent], Awaitable[None]]


class Projection:
    name: str = ""
    #: Tables this projection owns (emptied on rebuild, compared in tests).
    tables: tuple[str, ...] = ()
    #: Versioned DDL: migration N is migrations[N - 1]; append, never edit.
    migrations: tuple[str, ...] = ()

    def handler(self, event_type: str) -> Handler | None:
        return getattr(self, f"on_{event_type}", None)

    def handles(self) -> set[str]:
        return {name[3:] for name in dir(self) if name.startswith("on_")}
