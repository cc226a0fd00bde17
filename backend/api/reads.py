"""Reads of the read models (projections/*) with asyncpg: every SQL query the API runs, returning rows or plain
values, never GraphQL types (the types make themselves from rows: `Task.from_row`, ...). Access is checked here,
with each read, through the one permission table (backend/domain/access.py): a read names the scope it reads,
the actor's scope narrows it."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
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
    async with c.platform.reads.acquire() as conn:
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
    row: asyncpg.Record | None = await c.platform.reads.fetchrow(
        f"SELECT * FROM {table} WHERE id = $1", values.uuid(id, field))
    if row is not None:
        c.authorize(Action.READ_MODELS, row["community_code"])
    return row


async def community(c: Context, code: str) -> asyncpg.Record | None:
    """A community's row, if the actor's scope covers it."""
    c.authorize(Action.READ_MODELS, values.division_code(code))
    row: asyncpg.Record | None = await c.platform.reads.fetchrow("SELECT * FROM communities WHERE code = $1", code)
    return row


async def communities(c: Context, scope: str | None, first: int | None, after: str | None) -> Page:
    """A page of the communities in the scope, by code."""
    prefix = read_scope(c, scope)
    return await page(c, "communities", "code", ["code LIKE $1"], [prefix + "%"], first, after, False)


async def community_counts(c: Context, code: str) -> asyncpg.Record | None:
    """What the read model counts of a community (open tasks, organizations, activities held), for a command's
    result (the command checked its access)."""
    row: asyncpg.Record | None = await c.platform.reads.fetchrow(
        "SELECT open_tasks, organizations, activities_held FROM communities WHERE code = $1", code)
    return row


async def tallies(c: Context, campaign_id: UUID) -> dict[str, asyncpg.Record]:
    """An evaluation campaign's tallies by target id (a target without ballots has none)."""
    rows = await c.platform.reads.fetch("SELECT * FROM evaluation_tallies WHERE campaign_id = $1", campaign_id)
    return {row["target_id"]: row for row in rows}


# -- the burden of communities (projections/burden.py; P1, P4–P10) ---------------------------------------------
@dataclass(frozen=True)
class Period:
    """A report's period: China's days from `first` to `last`, both included (None: unbounded)."""

    first: date | None = None
    last: date | None = None

    def where(self, args: list[Any], column: str = "day") -> str:
        clauses = []
        if self.first is not None:
            args.append(self.first)
            clauses.append(f"{column} >= ${len(args)}")
        if self.last is not None:
            args.append(self.last)
            clauses.append(f"{column} <= ${len(args)}")
        return " AND ".join(clauses) or "TRUE"


def period(start: date | None, end: date | None) -> Period:
    """A period from the API's `from` and `to` (dates, both included), checked."""
    for value, field in ((start, "from"), (end, "to")):
        if value is not None and not values.EARLIEST.date() <= value <= values.LATEST.date():
            raise InvalidInput(f"{field} must lie within {values.EARLIEST.year}–{values.LATEST.year}", field=field)
    if start is not None and end is not None and end < start:
        raise InvalidInput("to comes before from", field="to")
    return Period(start, end)


def burden_scope(c: Context, scope: str) -> str:
    """The scope a burden read covers: the one asked for, inside the actor's (FORBIDDEN otherwise)."""
    return read_scope(c, values.scope_prefix(scope))


async def burden_measures(c: Context, prefix: str, when: Period, department: str | None,
                          by: str | None) -> list[asyncpg.Record]:
    """The sums of every measure in the scope and period, for one department if named; grouped by `by`
    ("department" or "community_code") besides the measure, or over the whole scope (None)."""
    args: list[Any] = [prefix + "%"]
    where = ["community_code LIKE $1", when.where(args)]
    if department is not None:
        args.append(department)
        where.append(f"department = ${len(args)}")
    group = f"{by}, measure" if by else "measure"
    key = f"{by} AS key, " if by else "NULL AS key, "
    return list(await c.platform.reads.fetch(
        f"SELECT {key}measure, sum(n)::bigint AS n, round(sum(yuan), 2) AS yuan FROM burden_counts"
        f" WHERE {' AND '.join(where)} GROUP BY {group} ORDER BY {group}", *args))


UNFUNDED = """
    SELECT t.id AS task_id, t.community_code, t.title, t.delegated_at, t.agreement_id, b.department,
           a.funding_yuan, a.disbursed_yuan
    FROM tasks t JOIN service_agreements a ON a.id = t.agreement_id
                 LEFT JOIN burden_tasks b ON b.id = t.id
    WHERE t.basis = 'SERVICE_AGREEMENT' AND a.disbursed_yuan = 0 AND t.delegated_at < now() - make_interval(days => $2)
      AND t.community_code LIKE $1"""


async def unfunded_tasks(c: Context, prefix: str, when: Period, department: str | None) -> list[asyncpg.Record]:
    """P4 (费随事转): tasks delegated under an agreement with nothing disbursed after the grace period
    (GONGZHI_UNFUNDED_GRACE_DAYS), oldest first; in the period by the day they were delegated."""
    args: list[Any] = [prefix + "%", c.platform.settings.unfunded_grace_days]
    sql = UNFUNDED + " AND " + when.where(args, "(t.delegated_at AT TIME ZONE 'Asia/Shanghai')::date")
    if department is not None:
        args.append(department)
        sql += f" AND b.department = ${len(args)}"
    return list(await c.platform.reads.fetch(sql + " ORDER BY t.delegated_at, t.id LIMIT 1000", *args))


async def caps_exceeded(c: Context, prefix: str) -> list[asyncpg.Record]:
    """P8: each community and quarter whose inspections went past the cap, with how many past it."""
    return list(await c.platform.reads.fetch(
        "SELECT community_code, extract(year FROM day)::int AS year, extract(quarter FROM day)::int AS quarter,"
        " sum(n)::bigint AS n FROM burden_counts WHERE measure = 'inspections_over_cap' AND community_code LIKE $1"
        " GROUP BY community_code, year, quarter ORDER BY year DESC, quarter DESC, community_code LIMIT 1000",
        prefix + "%"))


async def repeated_refusals(c: Context, prefix: str, at_least: int) -> list[asyncpg.Record]:
    """P1, P5–P7, P10: departments with at least `at_least` refused attempts in the scope, most first."""
    return list(await c.platform.reads.fetch(
        "SELECT department, count(*)::bigint AS n, array_agg(DISTINCT provision ORDER BY provision) AS provisions,"
        " array_agg(DISTINCT community_code ORDER BY community_code) AS communities, max(position) AS last_position,"
        " max(occurred_at) AS last_at FROM burden_refusals WHERE community_code LIKE $1 GROUP BY department"
        " HAVING count(*) >= $2 ORDER BY n DESC, department LIMIT 1000", prefix + "%", at_least))


async def refusals(c: Context, scope: str | None, provision: str | None, department: str | None,
                   first: int | None, after: str | None) -> Page:
    """Every refused attempt in the scope, newest first (a committee shows what was refused in its name)."""
    where, args = scope_filter(c, scope)
    if provision is not None:
        args.append(provision)
        where.append(f"provision = ${len(args)}")
    if department is not None:
        args.append(department)
        where.append(f"department = ${len(args)}")
    return await page(c, "burden_refusals", "position", where, args, first, after, True)


async def disbursements(c: Context, agreement_id: UUID) -> list[asyncpg.Record]:
    """P4: the disbursements of one agreement, in log order."""
    return list(await c.platform.reads.fetch(
        "SELECT * FROM agreement_disbursements WHERE agreement_id = $1 ORDER BY position LIMIT 1000", agreement_id))


async def tasks_under(c: Context, agreement_id: UUID) -> list[asyncpg.Record]:
    """P4: the tasks delegated under one agreement, in log order."""
    return list(await c.platform.reads.fetch(
        "SELECT * FROM tasks WHERE agreement_id = $1 ORDER BY position LIMIT 1000", agreement_id))


# -- a community's own lists (P5, P6, P8, P11) -------------------------------------------------------------------
#: Most rows a community's list answers (its signboards, work bodies, posts, staff, appraisals).
COMMUNITY_LIST = 1000


async def of_community(c: Context, table: str, code: str, condition: str = "TRUE") -> list[asyncpg.Record]:
    """The rows of a read-model table (a name in the code, never from a request) for one community whose read the
    caller has checked, in log order, at most COMMUNITY_LIST."""
    return list(await c.platform.reads.fetch(
        f"SELECT * FROM {table} WHERE community_code = $1 AND {condition} ORDER BY position LIMIT {COMMUNITY_LIST}",
        code))


async def inspection_bodies(c: Context, keys: list[str]) -> list[asyncpg.Record]:
    """P8: the inspections by inspecting body of the (community, quarter) keys `community:quarter`, most first."""
    return list(await c.platform.reads.fetch(
        "SELECT community_code, quarter, inspecting_body, inspections FROM inspection_bodies"
        " WHERE community_code || ':' || quarter = ANY($1::text[])"
        " ORDER BY inspections DESC, inspecting_body", keys))
