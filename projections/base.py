"""What a projection is: a name, its tables, its migrations, and an `on_<EventType>` handler for
each event type that changes them.

A handler does no I/O: it states the statements the event calls for on a `Writes`. The runner
applies a whole batch's statements inside its transaction (each projection's in a savepoint of
its own), with the new tracking position, and
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

    COPY_FROM = 16  # rows in a run of inserts from which COPY beats an executemany

    def __init__(self) -> None:
        self.runs: list[tuple[tuple[str, ...], list[tuple[Any, ...]]]] = []
        self.increments: dict[tuple[str, tuple[Any, ...]], list[Any]] = {}

    @property
    def empty(self) -> bool:
        return not self.runs and not self.increments

    def _add(self, key: tuple[str, ...], row: tuple[Any, ...]) -> None:
        if self.runs and self.runs[-1][0] == key:
            self.runs[-1][1].append(row)
        else:
            self.runs.append((key, [row]))

    def execute(self, sql: str, *args: Any) -> None:
        self._add(("sql", sql), args)

    def insert(self, table: str, **row: Any) -> None:
        """A new row; a long run of them (a rebuild, a busy batch) goes in by COPY."""
        self._add(("insert", table, *row), tuple(row.values()))

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
        for key, rows in self.runs:
            if key[0] == "sql":
                await self._run(conn, key[1], rows)
            elif len(rows) >= self.COPY_FROM:
                await conn.copy_records_to_table(key[1], records=rows, columns=list(key[2:]))
            else:
                columns = key[2:]
                placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
                await self._run(conn, f"INSERT INTO {key[1]} ({', '.join(columns)}) VALUES ({placeholders})", rows)
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

