"""What a projection is: a name, its tables, its migrations, and an `on_<EventType>` handler for
each event type that changes them.

A handler does no I/O: it states the statements the event calls for on a `Writes`. The runner
applies a whole batch's statements inside its transaction, with the new tracking position, and
sends each run of identical statements as one `executemany`: the order of a projection's
statements is kept, and a batch costs a few round trips instead of one per event.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from backend.application.log import LoggedEvent


class Writes:
    """A projection's statements for one batch, in order."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, list[tuple[Any, ...]]]] = []

    def execute(self, sql: str, *args: Any) -> None:
        if self.runs and self.runs[-1][0] == sql:
            self.runs[-1][1].append(args)
        else:
            self.runs.append((sql, [args]))

    async def apply(self, conn: asyncpg.Connection) -> None:
        for sql, rows in self.runs:
            if len(rows) == 1:
                await conn.execute(sql, *rows[0])
            else:
                await conn.executemany(sql, rows)
        self.runs.clear()


Handler = Callable[[Writes, LoggedEvent], None]


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
