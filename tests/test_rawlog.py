"""The raw log read by scope in SQL and bounded per request (issue 7, item 5), and a ballot's voter
hidden from the officials it evaluates (P26, issue 7, item 6)."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from backend import bootstrap, config, database
from backend.api.context import RAW_LOG_BUDGET
from backend.application.governance import Gongzhi
from backend.application.log import RAW_LOG_TIMEOUT_MS, SCOPE_FUNCTION, SCOPE_INDEX, select_after
from backend.domain.access import Actor, Role
from backend.domain.stamp import Stamp
from tests import ops
from tests.harness import SECRET, Client, GraphQLError, Subscription, connect, district, token

OUTSIDE = 3_000  # events appended outside the narrow scope


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def events_table(url: str) -> str:
    """The events table, as the library's recorder names it (the platform reads the name there too)."""
    app = Gongzhi(database.eventsourcing_env(url, 1))
    try:
        return app.recorder.events_table_name
    finally:
        app.close()


async def explain(url: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    conn = await connect(url)
    try:
        plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args)
    finally:
        await conn.close()
    return list(plan_nodes(json.loads(plan)[0]["Plan"]))


async def test_event_log_reads_a_narrow_scope_in_sql_among_many_events_outside_it(
        gql: Client, direct_url: str, data_dir: Path) -> None:
    mine = await ops.community(gql)
    start = (await ops.delegate(gql, mine))["receipt"]["position"] - 1
    other = await ops.community(gql, f"{mine.street}002")  # the same street, another community
    # thousands of events outside the narrow scope, appended through the store (the API's write path)
    platform = await bootstrap.start(config.Settings(database_url=direct_url, data_dir=data_dir, secret=SECRET),
                                     follow=False)
    try:
        committee = Stamp(Actor("c", Role.COMMITTEE, other.code), "t")
        held_at = datetime.now(UTC)

        async def writer() -> None:
            for _ in range(OUTSIDE // 30):
                await platform.commands.run(platform.app.record_activity, committee, other.code, "议事协商",
                                            None, held_at, 5, [])

        await asyncio.gather(*(writer() for _ in range(30)))
        table = platform.events.table
    finally:
        await platform.stop()
    for _ in range(2):
        await ops.delegate(gql, mine)
    auditor = token(Role.AUDITOR, mine.code)
    events = (await gql.call("query($after: Position) { eventLog(after: $after, first: 1000) { type communityCode } }",
                             {"after": start}, auditor))["eventLog"]
    assert events == [{"type": "TaskDelegated", "communityCode": mine.code}] * 3
    # the read is the scope's own rows through the scope's index, not a scan of the log after `start`
    for scope, expected in ((mine.code, 3), (mine.street, 3 + OUTSIDE)):
        nodes = await explain(direct_url, *select_after(table, start, 1000, (), scope))
        assert any(node.get("Index Name") == SCOPE_INDEX for node in nodes), nodes
        read = max(node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0) for node in nodes
                   if node["Node Type"].endswith("Scan"))  # the rows the scans examined
        assert read <= expected + 10, (scope, read, nodes)
    nodes = await explain(direct_url, *select_after(table, start, 1000, (), mine.code))
    assert sum(node.get("Rows Removed by Filter", 0) for node in nodes) == 0


async def test_raw_log_rows_are_bounded_per_request_not_per_field(gql: Client) -> None:
    c = await ops.community(gql)
    first = 1000
    aliases = " ".join(f"a{i}: eventLog(after: 0, first: {first}) {{ position }}" for i in range(30))
    started = time.monotonic()
    response = await gql.raw(f"{{ {aliases} }}", tok=c.auditor)
    elapsed = time.monotonic() - started
    body = response.json()
    within = RAW_LOG_BUDGET // first
    refused = {e["path"][0] for e in body["errors"]}
    assert all(e["extensions"]["code"] == "INVALID_INPUT" and "budget" in e["message"] for e in body["errors"])
    # eventLog is non-null in the contract, so one refused alias nulls the data; none within the budget fails
    assert refused and refused <= {f"a{i}" for i in range(within, 30)}, refused
    assert elapsed < 5, elapsed
    # the budget is the request's: its fields share it, the next request has its own
    assert (await gql.call("{ a: eventLog(first: 1000) { position } b: eventLog(first: 1000) { position } }",
                           tok=c.auditor))
    with pytest.raises(GraphQLError, match="budget"):
        await gql.call("{ a: eventLog(first: 1000) { position } b: eventLog(first: 999) { position }"
                       f" h: history(entityId: \"{c.code}\") {{ position }} }}", tok=c.auditor)
    assert (await gql.call("{ a: eventLog(first: 1000) { position } b: eventLog(first: 998) { position }"
                           f" h: history(entityId: \"{c.code}\") {{ position }} }}", tok=c.auditor))["h"]


async def test_a_raw_log_read_is_stopped_at_its_statement_timeout(gql: Client, direct_url: str) -> None:
    """No raw-log read runs for seconds: here one waits on a lock of the events table."""
    c = await ops.community(gql)
    limit = RAW_LOG_TIMEOUT_MS / 1000
    conn = await connect(direct_url)
    try:
        async with conn.transaction():
            await conn.execute(f"LOCK TABLE {await asyncio.to_thread(events_table, direct_url)} IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            error = await asyncio.wait_for(gql.error(ops.EVENT_LOG, {"after": 0, "first": 10}, c.auditor), limit + 5)
            elapsed = time.monotonic() - started
    finally:
        await conn.close()
    assert error["extensions"]["code"] == "INVALID_INPUT" and f"{RAW_LOG_TIMEOUT_MS} ms" in error["message"], error
    assert limit <= elapsed < limit + 3, elapsed


async def test_the_scope_column_is_derived_from_every_row_and_added_to_an_old_store(fresh_url: str,
                                                                                     data_dir: Path) -> None:
    """Both write paths fill the column; a store made before it gets it at start; no stored state
    fails it (an old row may hold \\u0000, which a JSON parse in PostgreSQL refuses, or NaN)."""
    settings = config.Settings(database_url=fresh_url, data_dir=data_dir, secret=SECRET)
    platform = await bootstrap.start(settings, follow=False)
    code = "320102001001"
    office = Stamp(Actor("o", Role.STREET_OFFICE, "320102001"), "t")
    try:
        async with platform.pool.acquire() as conn:
            await conn.execute(f"DROP INDEX {SCOPE_INDEX}; ALTER TABLE {platform.events.table} DROP COLUMN community_code;"
                               f" DROP FUNCTION {SCOPE_FUNCTION}")
        await asyncio.to_thread(platform.app.register_community, office, code, "社区", "URBAN")  # the library's
        await platform.events.prepare()  # what a start does: the old store gets the column and its index
        await platform.events.prepare()  # and a second start changes nothing
        committee = Stamp(Actor("c", Role.COMMITTEE, code), "t")
        await platform.commands.run(platform.app.record_activity, committee, code, "议事协商", None,  # store.py
                                    datetime.now(UTC), 5, [])
        async with platform.pool.acquire() as conn:
            codes = await conn.fetch(f"SELECT community_code FROM {platform.events.table} ORDER BY notification_id")
            assert [r[0] for r in codes] == [code, code]
            derived = await conn.fetch(
                f"SELECT {SCOPE_FUNCTION}(convert_to(s, 'UTF8')) FROM unnest($1::text[]) AS s",
                ['{"title":"a\\u0000b","community_code":"320102001001"}',
                 '{"hours":NaN,"note":"\\"community_code\\":\\"999\\"","community_code":"320102001002"}'])
            assert [r[0] for r in derived] == ["320102001001", "320102001002"]
            assert await conn.fetchval(f"SELECT {SCOPE_FUNCTION}('\\xff00'::bytea)") is None
    finally:
        await platform.stop()


async def ballot(gql: Client, direct_url: str) -> tuple[ops.Community, str, int]:
    """A resident's open ballot (a campaign of before secret ballots, P26) with a comment on the street office:
    (community, ballot id, its position)."""
    c = await ops.community(gql, f"{district()}001001")
    campaign = ops.open_ballot_campaign(direct_url, c)
    cast = (await gql.call(ops.CAST, {"input": {"campaignId": campaign["id"], "targetId": "office",
                                                "satisfaction": "DISSATISFIED", "comment": "办事拖拉"}},
                           c.resident("resident-li-4")))["castEvaluation"]
    return c, cast["entityId"], cast["position"]


RAW_LOG = """query($id: ID!, $after: Position, $t: DateTime!) {
  history(entityId: $id) { type actor { id role } data requestId }
  eventLog(after: $after, first: 1, types: ["EvaluationCast"]) { type actor { id role } data requestId }
  entityAsOf(entityId: $id, asOf: $t) }"""
LIVE = """subscription($after: Position, $scope: String) { events(after: $after, scope: $scope) {
  type actor { id role } data requestId } }"""


async def test_p26_only_auditors_and_admins_see_a_ballots_voter_and_comment(gql: Client, server,
                                                                           direct_url: str) -> None:
    c, ballot_id, position = await ballot(gql, direct_url)
    readers = [(Role.AUDITOR, c.district), (Role.STREET_OFFICE, c.street), (Role.DEPARTMENT, c.district),
               (Role.INTEGRATOR, ""), (Role.ADMIN, "")]  # an auditor first: its view must not reach the others
    for role, scope in readers:
        tok = token(role, scope)
        sees = role in (Role.AUDITOR, Role.ADMIN)
        data = await gql.call(RAW_LOG, {"id": ballot_id, "after": position - 1, "t": ops.iso()}, tok)
        async with Subscription(server.url, LIVE, {"after": position - 1, "scope": c.code}, tok) as sub:
            message = await sub.next()
            assert message["type"] == "next", message
            live = message["payload"]["data"]["events"]
        views = [*data["history"], *data["eventLog"], live]
        assert [v["type"] for v in views] == ["EvaluationCast"] * 3, (role, views)
        for view in views:
            assert view["data"]["satisfaction"] == "DISSATISFIED" and view["actor"]["role"] == "RESIDENT"
            if sees:
                assert view["actor"]["id"] == "resident-li-4" and view["data"]["residentId"] == "resident-li-4"
                assert view["data"]["comment"] == "办事拖拉" and view["requestId"]
            else:
                assert view["actor"]["id"] != "resident-li-4" and view["requestId"] is None, (role, view)
                assert "residentId" not in view["data"] and "comment" not in view["data"], (role, view)
                assert "resident-li-4" not in json.dumps(view, ensure_ascii=False)
        state = data["entityAsOf"]
        assert state["satisfaction"] == "DISSATISFIED"
        if sees:
            assert state["residentId"] == "resident-li-4" and state["comment"] == "办事拖拉"
        else:
            assert "residentId" not in state and "comment" not in state, (role, state)
            assert "resident-li-4" not in json.dumps(state, ensure_ascii=False)
