"""Rebuilding read models beside the live ones, then swapping them in.

A rebuild loads every event into empty copies of the projections' tables in a schema of their
own (`gongzhi_rebuild`), found first on the rebuilding connection's search path, so the
projections' statements reach the copies by the same unqualified names. The copies keep their
tables' keys and unique constraints (the statements rely on them), but their other indexes are
built once after the load instead of row by row during it (bulk loading, as PostgreSQL's
manual advises). Then, still in the rebuild's transaction, each live table is dropped and its
copy moved into its place: readers see the old tables, untouched, until the commit, and the
new ones, whole and indexed, after it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

SCHEMA = "gongzhi_rebuild"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Shadow:
    """The copies of `tables` in SCHEMA, and the deferred indexes to build on them."""

    live_schema: str
    search_path: str
    tables: tuple[str, ...]
    deferred_indexes: tuple[str, ...]  # CREATE INDEX statements, on the copies

    @classmethod
    async def create(cls, conn: asyncpg.Connection, tables: Sequence[str]) -> Shadow:
        """Inside a transaction: empty copies of `tables`, found first by unqualified name."""
        live_schema = await conn.fetchval("SELECT current_schema()")
        path = await conn.fetchval("SHOW search_path")
        await conn.execute(f"CREATE SCHEMA {SCHEMA}")
        deferred: list[str] = []
        for table in tables:
            live = await conn.fetchval("SELECT quote_ident($1) || '.' || quote_ident($2)", live_schema, table)
            copy = f"{SCHEMA}.{quote(table)}"
            await conn.execute(f"CREATE TABLE {copy} (LIKE {live} INCLUDING ALL EXCLUDING INDEXES)")
            for name, definition in await conn.fetch(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x') ORDER BY conname", live):
                await conn.execute(f"ALTER TABLE {copy} ADD CONSTRAINT {quote(name)} {definition}")
            for (definition,) in await conn.fetch(
                    "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = $1::regclass"
                    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
                    " ORDER BY i.indexrelid", live):
                deferred.append(definition.replace(f" ON {live} ", f" ON {copy} ", 1))
        await conn.execute(f"SET LOCAL search_path TO {SCHEMA}, {path}")
        return cls(live_schema, path, tuple(tables), tuple(deferred))

    async def swap(self, conn: asyncpg.Connection) -> None:
        """Index the copies and put them in the live tables' places (same transaction)."""
        for statement in self.deferred_indexes:
            await conn.execute(statement)
        for table in self.tables:
            await conn.execute(f"ANALYZE {SCHEMA}.{quote(table)}")
            await conn.execute(f"DROP TABLE {quote(self.live_schema)}.{quote(table)}")
            await conn.execute(f"ALTER TABLE {SCHEMA}.{quote(table)} SET SCHEMA {quote(self.live_schema)}")
        await conn.execute(f"DROP SCHEMA {SCHEMA}")
        await conn.execute(f"SET LOCAL search_path TO {self.search_path}")
