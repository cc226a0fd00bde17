"""Read models: rebuilt equal to live, exactly once across crashes and restarts."""
from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from backend import bootstrap, config
from backend.application.log import LoggedEvent
from backend.domain.access import Actor, Role
from backend.domain.catalog import event_classes
from backend.domain.stamp import Stamp
from projections import ALL
from projections.base import Projection, Writes
from projections.runner import ProjectionFailed, ProjectionRunner
from tests import ops
from tests.harness import SECRET, Client, Server, connect, server_env

TABLES = [table for projection in ALL for table in projection.tables]


async def snapshot(conn: asyncpg.Connection) -> dict[str, list]:
    tables = {}
    for table in TABLES:
        rows = await conn.fetch(f"SELECT * FROM {table}")
        tables[table] = sorted(json.dumps(dict(r), default=str, sort_keys=True) for r in rows)
    return tables


async def indexes(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await conn.fetch("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1::text[])"
                            " ORDER BY indexname", TABLES)
    return [tuple(r) for r in rows]


async def settled(conn: asyncpg.Connection) -> None:
    for _ in range(200):
        head = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM gongzhi_events")
        low = await conn.fetchval("SELECT min(position) FROM projection_tracking")
        if low >= head:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("projections did not catch up")


async def test_rebuild_gives_identical_tables(gql: Client, server: Server, direct_url: str) -> None:
    """Every read model, rebuilt from a log that holds every event type, equals what the live runner made."""
    c = await ops.community(gql)
    await ops.every_action(gql, c, direct_url)
    await gql.code(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "x", "fromDepartment": "d"}},
                   c.department)
    conn = await connect(direct_url)
    try:
        topics = {r["topic"].rpartition(".")[2] for r in await conn.fetch("SELECT DISTINCT topic FROM gongzhi_events")}
        assert set(event_classes()) <= topics, f"the mix lacks {set(event_classes()) - topics}"
        await settled(conn)
        live, live_indexes = await snapshot(conn), await indexes(conn)
        assert live["tasks"] and live["burden_counts"] and live["audit_index"]
        assert len(live_indexes) > 2 * len(TABLES)
        result = server.cli("projections", "rebuild")
        assert "rebuilt every read model" in result.stderr
        await settled(conn)
        assert await snapshot(conn) == live
        assert await indexes(conn) == live_indexes  # built after the load, under their own names
        assert not await conn.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = 'gongzhi_rebuild'")
        status = server.cli("projections", "status").stdout
        for projection in ALL:
            assert projection.name in status
    finally:
        await conn.close()


async def test_restart_after_a_crash_loses_nothing(fresh_url: str, data_dir) -> None:
    env = server_env(data_dir, fresh_url)
    first = Server(env).start()
    gql = Client(first.url)
    try:
        c = await ops.community(gql)
        receipts = [await ops.delegate(gql, c) for _ in range(20)]
        for r in receipts[:5]:
            await gql.call(ops.ACCEPT, {"id": r["task"]["id"]}, c.committee)
        last = (await gql.call(ops.DECLINE, {"id": receipts[6]["task"]["id"], "r": "no"}, c.committee))
        position = last["declineTask"]["receipt"]["position"]
    finally:
        first.stop(kill=True)  # SIGKILL: no clean shutdown
        await gql.close()
    second = Server(env).start()
    gql = Client(second.url)
    try:
        data = await gql.call("query($s: String) { tasks(scope: $s, first: 100) { totalCount edges { node { status } } }"
                              " community(code: \"" + c.code + "\") { openTasks } }", {"s": c.code}, c.committee,
                              headers={"X-Consistent-After": str(position)})
        statuses = sorted(e["node"]["status"] for e in data["tasks"]["edges"])
        assert data["tasks"]["totalCount"] == 20
        assert statuses.count("ACCEPTED") == 5 and statuses.count("DECLINED") == 1
        assert data["community"]["openTasks"] == 19
        burden = await gql.call("query($s: String!) { burdenReport(scope: $s) { tasksDelegated declined } }",
                                {"s": c.code}, c.auditor)
        assert burden["burdenReport"] == {"tasksDelegated": 20, "declined": 1}
        log = await gql.call(ops.EVENT_LOG, {"first": 1000}, c.auditor)
        assert log["eventLog"][-1]["position"] == position and len(log["eventLog"]) == 2 + 20 + 5 + 1
    finally:
        second.stop()
        await gql.close()


class Exploding(Projection):
    """A projection whose statements fail in the database on one chosen event, until defused."""

    name = "exploding_test"
    tables = ("exploding_test",)
    migrations = ("CREATE TABLE exploding_test (position bigint PRIMARY KEY)",)
    bad_position = 0

    def on_TaskDelegated(self, w: Writes, e: LoggedEvent) -> None:
        if e.position == self.bad_position:
            w.execute("SELECT 1 / 0")  # fails in the database, after the batch's other statements ran
        w.execute("INSERT INTO exploding_test VALUES ($1)", e.position)


async def test_a_database_failure_stops_only_its_projection_at_its_event(fresh_url: str, data_dir) -> None:
    settings = config.Settings(database_url=fresh_url, data_dir=data_dir, secret=SECRET)
    platform = await bootstrap.start(settings, follow=False)
    try:
        office = Stamp(Actor("o", Role.STREET_OFFICE, "320102001"), "t")
        app = platform.app
        await platform.commands.run(app.register_community, office, "320102001001", "社区", "URBAN")
        await platform.commands.run(app.publish_duty_list, office, "320102001001",
                                    [{"code": "A", "title": "t", "list": "ASSIST_GOVERNMENT"}])
        positions = [(await platform.commands.run(app.delegate_task, office, "320102001001", "t", "d", "A"))[1].position
                     for _ in range(5)]
        exploding = Exploding()
        exploding.bad_position = positions[2]
        runner = ProjectionRunner(platform.pool, platform.events, (*ALL, exploding))
        await runner.migrate()
        assert await runner.catch_up() == 7  # one batch: the others take all of it, the exploding one stops
        async with platform.pool.acquire() as conn:
            assert [r[0] for r in await conn.fetch("SELECT position FROM exploding_test ORDER BY 1")] == positions[:2]
            assert await conn.fetchval("SELECT count(*) FROM tasks") == 5
            tracked = dict(await conn.fetch("SELECT name, position FROM projection_tracking"))
            assert tracked.pop("exploding_test") == positions[2] - 1 and set(tracked.values()) == {7}
            assert await conn.fetchval("SELECT error FROM projection_tracking WHERE name = 'exploding_test'") == (
                "DivisionByZeroError: division by zero")
        assert runner.position == 7
        assert runner.stalled == [{"name": "exploding_test", "position": positions[2], "eventType": "TaskDelegated",
                                   "error": "DivisionByZeroError: division by zero"}]
        assert await runner.catch_up() == 0  # not due again yet (backoff)
        async with platform.pool.acquire() as conn:
            before = await snapshot(conn)
        with pytest.raises(ProjectionFailed, match=f"^projection exploding_test failed at position {positions[2]}"
                                                   r" \(TaskDelegated\): DivisionByZeroError: division by zero$"):
            await runner.rebuild()  # a rebuild that fails half way leaves the live tables
        async with platform.pool.acquire() as conn:
            assert await snapshot(conn) == before
            assert not await conn.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = 'gongzhi_rebuild'")
        exploding.bad_position = 0
        runner.poke()
        assert await runner.catch_up() == 7 - positions[2] + 1  # from its event on
        assert runner.stalled == [] and runner.position == 7
        async with platform.pool.acquire() as conn:
            assert [r[0] for r in await conn.fetch("SELECT position FROM exploding_test ORDER BY 1")] == positions
            assert set(await conn.fetch("SELECT DISTINCT position FROM projection_tracking")) == {(7,)}
            assert await conn.fetchval("SELECT open_tasks FROM communities") == 5
            before = await snapshot(conn)
            exploded = await conn.fetch("SELECT * FROM exploding_test ORDER BY 1")
        assert await runner.rebuild() == 7
        async with platform.pool.acquire() as conn:
            assert await snapshot(conn) == before
            assert await conn.fetch("SELECT * FROM exploding_test ORDER BY 1") == exploded
    finally:
        await platform.stop()


async def test_sums_of_accepted_events_fit_their_columns(fresh_url: str, data_dir) -> None:
    """Counters are bigint and money sums unbounded numeric: no event the domain accepted overflows them."""
    settings = config.Settings(database_url=fresh_url, data_dir=data_dir, secret=SECRET)
    platform = await bootstrap.start(settings, follow=False)
    try:
        async with platform.pool.acquire() as conn:
            types = dict(await conn.fetch(
                "SELECT table_name || '.' || column_name, data_type || coalesce('(' || numeric_precision || ')', '')"
                " FROM information_schema.columns WHERE table_schema = current_schema()"))
    finally:
        await platform.stop()
    counters = ["burden_counts.n", "service_agreements.disbursements"]
    counters += ["communities.open_tasks", "communities.organizations", "communities.activities_held"]
    counters += ["evaluation_tallies." + c for c in ("satisfied", "basically_satisfied", "dissatisfied")]
    assert {c: types[c] for c in counters} == {c: "bigint(64)" for c in counters}
    money = ["burden_counts.yuan", "service_agreements.funding_yuan", "service_agreements.disbursed_yuan",
             "agreement_disbursements.amount_yuan", "activities.volunteer_hours"]
    assert {c: types[c] for c in money} == {c: "numeric" for c in money}
