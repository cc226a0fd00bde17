"""Reads of the read models (projections/*) with asyncpg: every SQL query the API runs, returning rows or plain
values, never GraphQL types (the types make themselves from rows: `Task.from_row`, ...). Access is checked here,
with each read, through the one permission table (backend/domain/access.py): a read names the scope it reads,
the actor's scope narrows it."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import UUID

import asyncpg

from backend.api.context import Context
from backend.domain import values
from backend.domain.access import Action, narrow
from backend.domain.errors import InvalidInput


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


@dataclass(frozen=True)
class Page:
    """One page of a read-model table in the order of its key (a column): its rows, whether more follow, and
    how many rows the whole list has."""

    rows: list[asyncpg.Record]
    key: str
    has_next: bool
    total: int

    def cursor(self, row: asyncpg.Record) -> str:
        """Where a row stands in the list (a client sends it back as `after`)."""
        return encode_cursor(row[self.key])

    @property
    def end_cursor(self) -> str | None:
        return self.cursor(self.rows[-1]) if self.rows else None


async def page(c: Context, table: str, key: str, where: list[str], args: list[Any], first: int | None,
               after: str | None, descending: bool) -> Page:
    """Keyset pagination over a read-model table."""
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
    return Page(rows[:size], key, len(rows) > size, total)


# -- scopes ------------------------------------------------------------------------------------
def read_scope(c: Context, scope: str | None) -> str:
    """The scope (a division-code prefix) a read covers: the one asked for, narrowed to the actor's (the
    actor's own if none is asked for); refused unless the actor may read the read models."""
    actor = c.authorize(Action.READ_MODELS)
    if scope is not None:
        values.scope_prefix(scope)
    return narrow(actor, scope)


def scope_filter(c: Context, scope: str | None, **equals: Any) -> tuple[list[str], list[Any]]:
    """WHERE clauses (and their arguments) for rows in the read scope whose columns equal the given
    values (an enum by its value); a None value is no condition."""
    where, args = ["community_code LIKE $1"], [read_scope(c, scope) + "%"]
    for column, value in equals.items():
        if value is not None:
            args.append(value.value if isinstance(value, Enum) else value)
            where.append(f"{column} = ${len(args)}")
    return where, args


async def newest_in_scope(c: Context, table: str, scope: str | None, first: int | None, after: str | None,
                          **equals: Any) -> Page:
    """A page of a read model's rows (tasks, organizations, activities, service_agreements,
    evaluation_campaigns) of the communities in the scope whose columns equal `equals`, newest first (by the
    log position of the event that made each row)."""
    where, args = scope_filter(c, scope, **equals)
    return await page(c, table, "position", where, args, first, after, True)


# -- rows ------------------------------------------------------------------------------------------
async def row_by_id(c: Context, table: str, id: str, field: str = "id") -> asyncpg.Record | None:
    """One read-model row by its UUID (the argument `field`), if the actor's scope covers its community."""
    c.authorize(Action.READ_MODELS)
    row: asyncpg.Record | None = await c.platform.pool.fetchrow(
        f"SELECT * FROM {table} WHERE id = $1", values.uuid(id, field))
    if row is not None:
        c.authorize(Action.READ_MODELS, row["community_code"])
    return row


async def community(c: Context, code: str) -> asyncpg.Record | None:
    """A community's row, if the actor's scope covers it."""
    c.authorize(Action.READ_MODELS, values.division_code(code))
    row: asyncpg.Record | None = await c.platform.pool.fetchrow("SELECT * FROM communities WHERE code = $1", code)
    return row


async def communities(c: Context, scope: str | None, first: int | None, after: str | None) -> Page:
    """A page of the communities in the scope, by code."""
    prefix = read_scope(c, scope)
    return await page(c, "communities", "code", ["code LIKE $1"], [prefix + "%"], first, after, False)


async def community_counts(c: Context, code: str) -> asyncpg.Record | None:
    """What the read model counts of a community (open tasks, organizations, activities held), for a command's
    result (the command checked its access)."""
    row: asyncpg.Record | None = await c.platform.pool.fetchrow(
        "SELECT open_tasks, organizations, activities_held FROM communities WHERE code = $1", code)
    return row


async def tallies(c: Context, campaign_id: UUID) -> dict[str, asyncpg.Record]:
    """An evaluation campaign's tallies by target id (a target without ballots has none)."""
    rows = await c.platform.pool.fetch("SELECT * FROM evaluation_tallies WHERE campaign_id = $1", campaign_id)
    return {row["target_id"]: row for row in rows}


async def burden_sums(c: Context, scope: str) -> asyncpg.Record:
    """The burden counters of the communities in the scope, summed (P1–P4: tasks delegated, on the duty list,
    under an agreement, refused off it, declined; the agreements' funding)."""
    prefix = read_scope(c, values.scope_prefix(scope))
    row: asyncpg.Record = await c.platform.pool.fetchrow(
        "SELECT coalesce(sum(tasks_delegated), 0)::bigint AS tasks_delegated,"
        " coalesce(sum(on_duty_list), 0)::bigint AS on_duty_list,"
        " coalesce(sum(under_agreement), 0)::bigint AS under_agreement,"
        " coalesce(sum(refused_off_list), 0)::bigint AS refused_off_list,"
        " coalesce(sum(declined), 0)::bigint AS declined,"
        " round(coalesce(sum(agreement_funding_yuan), 0), 2) AS funding"
        " FROM burden_by_community WHERE community_code LIKE $1", prefix + "%")
    return row
