"""Versioned migrations of the read-model tables, run at start under an advisory lock.

The tracking table has versioned migrations of its own, recorded under the name TRACKING."""
from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from projections.base import Projection

LOCK_KEY = 0x67_6F_6E_67  # "gong"

BOOKKEEPING = """
    CREATE TABLE IF NOT EXISTS read_model_migrations (
        projection text NOT NULL,
        version int NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (projection, version)
    );
    CREATE TABLE IF NOT EXISTS projection_tracking (
        name text PRIMARY KEY,
        position bigint NOT NULL DEFAULT 0
    );
"""

TRACKING = "projection_tracking"
#: Migration N of the tracking table is TRACKING_MIGRATIONS[N - 1]; append, never edit.
TRACKING_MIGRATIONS = (
    # Where a projection stalled: the event it cannot take (its position and type), the error, since when.
    """ALTER TABLE projection_tracking ADD COLUMN failed_position bigint, ADD COLUMN failed_event_type text,
       ADD COLUMN error text, ADD COLUMN failed_since timestamptz""",
)


async def _apply(conn: asyncpg.Connection, name: str, migrations: tuple[str, ...]) -> list[str]:
    done = await conn.fetchval(
        "SELECT coalesce(max(version), 0) FROM read_model_migrations WHERE projection = $1", name)
    applied: list[str] = []
    for version, ddl in enumerate(migrations, start=1):
        if version > done:
            await conn.execute(ddl)
            await conn.execute("INSERT INTO read_model_migrations (projection, version) VALUES ($1, $2)",
                               name, version)
            applied.append(f"{name} {version}")
    return applied


async def migrate(conn: asyncpg.Connection, projections: Iterable[Projection]) -> list[str]:
    """Apply each projection's pending migrations; return what was applied."""
    applied: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
        await conn.execute(BOOKKEEPING)
        applied += await _apply(conn, TRACKING, TRACKING_MIGRATIONS)
        for projection in projections:
            applied += await _apply(conn, projection.name, projection.migrations)
            await conn.execute("INSERT INTO projection_tracking (name) VALUES ($1) ON CONFLICT DO NOTHING",
                               projection.name)
    return applied
