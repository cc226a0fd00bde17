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
    """A projection's statements for one batch, in order, and its counter increments, summed."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, list[tuple[Any, ...]]]] = []
        self.increments: dict[tuple[str, tuple[Any, ...]], list[Any]] = {}

    def execute(self, sql: str, *args: Any) -> None:
        if self.runs and self.runs[-1][0] == sql:
            self.runs[-1][1].append(args)
        else:
            self.runs.append((sql, [args]))

    def increment(self, sql: str, key: tuple[Any, ...], *deltas: Any) -> None:
        """Add `deltas` to the counters of row `key`: `sql` takes the key's values first, then the
        deltas. Increments commute, so a batch's are summed per row and applied after its other
        statements: one UPDATE per row and batch, however many events touched it (updating one
        row many times in a transaction is quadratic in PostgreSQL)."""
        summed = self.increments.get((sql, key))
        if summed is None:
            self.increments[(sql, key)] = list(deltas)
        else:
            for i, delta in enumerate(deltas):
                summed[i] += delta

    async def apply(self, conn: asyncpg.Connection) -> None:
        for sql, rows in self.runs:
            await self._run(conn, sql, rows)
        by_sql: dict[str, list[tuple[Any, ...]]] = {}
        for (sql, key), deltas in self.increments.items():
            by_sql.setdefault(sql, []).append((*key, *deltas))
        for sql, rows in by_sql.items():
            await self._run(conn, sql, rows)
        self.runs.clear()
        self.increments.clear()

    @staticmethod
    async def _run(conn: asyncpg.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if len(rows) == 1:
            await conn.execute(sql, *rows[0])
        else:
            await conn.executemany(sql, rows)


Handler = Callable[[Writes, LoggedEvent], None]


class Projection:
    name: str = ""
    #: Tables this projection owns (emptied on rebuild, compared in tests).
    tables: tuple[str, ...] = ()
    #: Versioned DDL: migration N is migrations[N - 1]; append, never edit.
    migrations: tuple[str, ...] = ()

    def handler(self, event_type: str) -> Handler | None:
        return getattr(self, f"on_{event_type}", None)

