"""Faults survived (issue 10, item 5): real server processes, real PostgreSQL, real HTTP and websockets, real
concurrency. Each test checks what the clients were told against the log itself (receipts against the rows at
their positions, one event per command, a subscription's deliveries against the log's positions) and the read
models against the log (a recount, a rebuild). PostgreSQL is stopped and restarted only in a private cluster of
the test's own (tests/pgcluster.py), never the shared one."""
from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests import ops
from tests.harness import Client, Server, Subscription, connect, server_env, until
from tests.pgcluster import Cluster, cluster
from tests.test_projections import settled, snapshot

WORKERS = 8  # clients sending commands at once
BOUND_S = 10.0  # hang detection: no request may take longer than this (the server's waits are shorter: 5 s)
LISTENING = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'"
EVENTS = "subscription($after: Position, $scope: String) { events(after: $after, scope: $scope) { position type } }"
TASK_UPDATED = "subscription($scope: String) { taskUpdated(scope: $scope) { id version status } }"
DELEGATED = ("SELECT notification_id, originator_id::text, originator_version FROM gongzhi_events"
             " WHERE community_code = $1 AND topic LIKE '%.TaskDelegated' ORDER BY notification_id")


# -- the command load --------------------------------------------------------------------------------------------
@dataclass
class Command:
    """One client command (a keyed delegateTask with a title of its own) and everything it was answered."""

    key: str
    title: str
    receipts: list[dict[str, Any]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # attempts with no answer (the connection failed)


@dataclass
class Load:
    """WORKERS clients sending keyed commands to `server` at once. With `retry`, a command that got UNAVAILABLE
    or no answer is sent again with its key until it gets a receipt; without, a worker stops at its first
    attempt with no answer (the server is gone)."""

    server: Server
    c: ops.Community
    per_worker: int
    retry: bool
    commands: list[Command] = field(default_factory=list)
    slowest: float = 0.0
    statuses: set[int] = field(default_factory=set)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def receipts(self) -> list[dict[str, Any]]:
        return [r for command in self.commands for r in command.receipts]

    async def send(self, http: httpx.AsyncClient, command: Command) -> bool:
        """One attempt; True once it got a receipt."""
        variables = {"input": {"communityCode": self.c.code, "title": command.title, "fromDepartment": "区统计局",
                               "dutyItemCode": "AG-01"}}
        started = time.monotonic()
        try:
            response = await http.post(self.server.url, json={"query": ops.DELEGATE, "variables": variables},
                                       headers={"Authorization": f"Bearer {self.c.department}",
                                                "Idempotency-Key": command.key})
        except httpx.TimeoutException as e:
            raise AssertionError(f"a request hung for {time.monotonic() - started:.1f} s: {e!r}") from e
        except httpx.TransportError as e:
            command.lost.append(repr(e))
            return False
        finally:
            self.slowest = max(self.slowest, time.monotonic() - started)
        self.statuses.add(response.status_code)
        body = response.json()
        if body.get("errors"):
            command.codes += [e.get("extensions", {}).get("code", "?") for e in body["errors"]]
            return False
        command.receipts.append(body["data"]["delegateTask"]["receipt"])
        return True

    async def worker(self, http: httpx.AsyncClient, n: int) -> None:
        for i in range(self.per_worker):
            if self.stop.is_set():
                return
            command = Command(f"fault-{uuid.uuid4()}", f"任务{n}-{i}")
            self.commands.append(command)
            while not await self.send(http, command):
                if not self.retry:
                    return
                await asyncio.sleep(0.2)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[asyncio.Task[list[None]]]:
        async with httpx.AsyncClient(timeout=BOUND_S) as http:
            task = asyncio.gather(*(self.worker(http, n) for n in range(WORKERS)))
            try:
                yield task
                await task
            finally:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def sent(self, count: int, timeout: float = 30) -> None:
        """Wait until `count` receipts were received."""
        async def enough() -> bool:
            return len(self.receipts) >= count
        await until(enough, timeout, f"{count} receipts")


async def check_receipts_in_the_log(conn: asyncpg.Connection, load: Load) -> list[asyncpg.Record]:
    """Every receipt a client received is the row at its position; returns the community's TaskDelegated rows."""
    rows = await conn.fetch(DELEGATED, load.c.code)
    logged = {r["notification_id"]: (r["originator_id"], r["originator_version"]) for r in rows}
    for receipt in load.receipts:
        assert logged.get(receipt["position"]) == (receipt["entityId"], receipt["version"]), \
            f"receipt {receipt} is not in the log"
    return rows


async def read_models_equal_a_rebuild(server: Server, conn: asyncpg.Connection, c: ops.Community,
                                      rows: list[asyncpg.Record]) -> None:
    """The tasks read model holds the log's tasks of `c`, and every read model equals one rebuilt from the log."""
    await settled(conn)
    tasks = {r["id"] for r in await conn.fetch("SELECT id::text FROM tasks WHERE community_code = $1", c.code)}
    assert tasks == {r["originator_id"] for r in rows}
    live = await snapshot(conn)
    assert "rebuilt every read model" in server.cli("projections", "rebuild").stderr
    assert await snapshot(conn) == live


# -- subscriptions -----------------------------------------------------------------------------------------------
@dataclass
class Heard:
    """What a subscription delivered, collected in the background: `next` payloads' data, any error message."""

    sub: Subscription
    field: str
    data: list[dict[str, Any]] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)

    async def collect(self) -> None:
        while True:
            message = await self.sub.next(timeout=3600)
            if message["type"] == "next" and not message["payload"].get("errors"):
                self.data.append(message["payload"]["data"][self.field])
            else:
                self.errors.append(message)
                return

    async def until(self, check: Any, timeout: float, what: str) -> None:
        async def done() -> bool:
            assert not self.errors, f"{self.field} ended: {self.errors}"
            return bool(check(self.data))
        await until(done, timeout, what)


@contextlib.asynccontextmanager
async def listening(server: Server, c: ops.Community, after: int) -> AsyncIterator[tuple[Heard, Heard]]:
    """An `events` subscription of c's scope after `after` (an auditor's) and a `taskUpdated` one (c's committee),
    started once the read models have applied `after` (so taskUpdated sends only what comes after it)."""
    async with httpx.AsyncClient(timeout=BOUND_S) as http:
        response = await http.post(server.url, json={"query": "{ __typename }"},
                                   headers={"X-Consistent-After": str(after)})
        assert int(response.headers["X-Consistent-Position"]) >= after, response.headers
    async with Subscription(server.url, EVENTS, {"after": after, "scope": c.code}, c.auditor) as events, \
            Subscription(server.url, TASK_UPDATED, {"scope": c.code}, c.committee) as tasks:
        heard = Heard(events, "events"), Heard(tasks, "taskUpdated")
        collecting = [asyncio.create_task(h.collect()) for h in heard]
        await asyncio.sleep(0.3)  # the subscriptions have started (a live model's stream starts when it does)
        try:
            yield heard
        finally:
            for task in collecting:
                task.cancel()


async def check_subscriptions(conn: asyncpg.Connection, c: ops.Community, after: int, events: Heard,
                              tasks: Heard, timeout: float = 15) -> None:
    """The events subscription delivered exactly the log's positions of c after `after`, in order (no gap, no
    duplicate); taskUpdated each task delegated once."""
    logged = [r[0] for r in await conn.fetch("SELECT notification_id FROM gongzhi_events WHERE community_code = $1"
                                             " AND notification_id > $2 ORDER BY 1", c.code, after)]
    await events.until(lambda data: len(data) >= len(logged), timeout, "every event on the subscription")
    assert [e["position"] for e in events.data] == logged
    ids = {r["originator_id"] for r in await conn.fetch(DELEGATED, c.code)
           if r["notification_id"] > after}
    await tasks.until(lambda data: len(data) >= len(ids), timeout, "every task on taskUpdated")
    delivered = [t["id"] for t in tasks.data]
    assert sorted(delivered) == sorted(ids), "a task missing or delivered twice"


async def head(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM gongzhi_events")


async def readyz(server: Server) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=BOUND_S) as http:
        response = await http.get(f"http://127.0.0.1:{server.port}/readyz")
    return response.status_code, response.json()


@pytest.fixture
def private_pg() -> Iterator[Cluster]:
    with cluster() as pg:
        yield pg


# -- 1. SIGKILL under load -----------------------------------------------------------------------------------------
async def test_a_server_killed_under_load_kept_every_receipt_once_and_its_read_models(fresh_url: str,
                                                                                     tmp_path: Path) -> None:
    env = server_env(tmp_path, fresh_url)
    server = Server(env).start()
    gql = Client(server.url)
    conn = await connect(fresh_url)
    try:
        c = await ops.community(gql)
        load = Load(server, c, per_worker=200, retry=False)
        async with load.running():
            await load.sent(40)
            await asyncio.to_thread(server.stop, kill=True)  # SIGKILL, commands in flight
        assert not any(command.codes for command in load.commands), [cmd.codes for cmd in load.commands]
        unanswered = [command for command in load.commands if not command.receipts]
        assert unanswered, "the kill came after the load"
        rows = await check_receipts_in_the_log(conn, load)
        assert len({r["originator_id"] for r in rows}) == len(rows) <= len(load.commands)

        await gql.close()
        server = Server(env).start()  # the same store, a new process
        gql = Client(server.url)
        await settled(conn)  # the read models caught up from where the killed process left them: the log's tasks
        assert {r["id"] for r in await conn.fetch("SELECT id::text FROM tasks WHERE community_code = $1", c.code)} \
            == {r["originator_id"] for r in rows}
        retried = Load(server, c, per_worker=0, retry=True)
        async with httpx.AsyncClient(timeout=BOUND_S) as http:
            for command in load.commands:  # every command again, with its key: each is applied once
                assert await retried.send(http, command), command
                assert command.receipts[-1] == command.receipts[0]
        rows = await check_receipts_in_the_log(conn, load)
        assert len(rows) == len(load.commands) == len({cmd.receipts[0]["entityId"] for cmd in load.commands})
        await read_models_equal_a_rebuild(server, conn, c, rows)
    finally:
        await conn.close()
        await gql.close()
        server.stop()


# -- 2. the LISTEN connections terminated ----------------------------------------------------------------------------
async def test_terminated_listen_connections_lose_no_projection_or_subscription_update(fresh_url: str,
                                                                                      tmp_path: Path) -> None:
    server = Server(server_env(tmp_path, fresh_url)).start()
    gql = Client(server.url)
    conn = await connect(fresh_url)
    try:
        c = await ops.community(gql)
        start = await head(conn)
        async with listening(server, c, start) as (events, tasks):
            # more commands than the three rounds take: the load is still running at the third termination, and
            # stopped (each worker after its command in flight) once the followers LISTEN again after it
            load = Load(server, c, per_worker=1000, retry=False)
            async with load.running() as running:
                for _ in range(3):  # terminated three times under the load, each time once all three LISTEN again
                    await load.sent(len(load.receipts) + 10)
                    killed = {r[0] for r in await conn.fetch(LISTENING)}
                    assert len(killed) == 3  # the projection runner's, the live feed's and the projections' watch
                    await conn.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid", list(killed))
                    await until(lambda: _listen_again(conn, killed), 10, "every follower to LISTEN again")
                await load.sent(len(load.receipts) + 10)  # commands answered after the last termination too
                load.stop.set()
                await running
            assert not any(cmd.codes or cmd.lost for cmd in load.commands), [c.codes or c.lost for c in load.commands]
            assert len(load.receipts) == len(load.commands) >= 40
            rows = await check_receipts_in_the_log(conn, load)
            await check_subscriptions(conn, c, start, events, tasks)
        status, ready = await readyz(server)
        assert status == 200 and ready["listening"] is True, ready
        await read_models_equal_a_rebuild(server, conn, c, rows)
    finally:
        await conn.close()
        await gql.close()
        server.stop()


async def _listen_again(conn: asyncpg.Connection, killed: set[int]) -> bool:
    """Whether three connections LISTEN, none of them one of those terminated."""
    pids = {r[0] for r in await conn.fetch(LISTENING)}
    return len(pids) == 3 and not pids & killed


# -- 3. PostgreSQL stopped -------------------------------------------------------------------------------------------
async def test_postgres_stopped_is_unavailable_at_once_and_recovered_without_a_restart(private_pg: Cluster,
                                                                                       tmp_path: Path) -> None:
    server = Server(server_env(tmp_path, private_pg.url)).start()
    gql = Client(server.url)
    try:
        c = await ops.community(gql)
        task = (await ops.delegate(gql, c))["task"]
        conn = await connect(private_pg.url)
        start = await head(conn)
        await conn.close()
        async with listening(server, c, start) as (events, tasks):
            await asyncio.to_thread(private_pg.stop)
            async with httpx.AsyncClient(timeout=BOUND_S) as http:
                requests = [  # reads, a command, a wait for a position not yet reached, the raw log
                    ("query($id: ID!) { task(id: $id) { id } }", {"id": task["id"]}, c.committee, {}),
                    ("{ communities { totalCount } }", {}, c.office, {}),
                    (ops.DELEGATE, {"input": {"communityCode": c.code, "title": "停电时", "fromDepartment": "区统计局",
                                              "dutyItemCode": "AG-01"}}, c.department, {}),
                    ("{ tasks { totalCount } }", {}, c.committee, {"X-Consistent-After": str(start + 1)}),
                    (ops.EVENT_LOG, {"after": 0, "first": 10}, c.auditor, {}),
                ] * 4
                for _ in range(2):  # at once, and again a little later (the pools trying to connect meanwhile)
                    answers = await asyncio.gather(*(timed(http, server, *r) for r in requests))
                    for took, status, body in answers:
                        # 503, or 200 for a nullable field that answered null with the error (see "Errors")
                        assert took < BOUND_S and status in (200, 503), (took, status, body)
                        assert not any((body.get("data") or {}).values()), body
                        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"], body
                    await asyncio.sleep(1.5)
                status, ready = await readyz(server)
                assert status == 503 and ready["status"] == "unavailable" and ready["error"], ready
                # a new subscription is refused with the code, at once
                started = time.monotonic()
                async with Subscription(server.url, EVENTS, {"after": 0, "scope": c.code}, c.auditor) as refused:
                    message = await refused.next(timeout=BOUND_S)
                assert time.monotonic() - started < BOUND_S
                assert message["type"] == "error" and message["payload"][0]["extensions"]["code"] == "UNAVAILABLE", \
                    message

            await asyncio.to_thread(private_pg.start)
            async def answers() -> dict[str, Any] | None:
                response = await gql.raw(ops.DELEGATE, {"input": {
                    "communityCode": c.code, "title": "来电后", "fromDepartment": "区统计局", "dutyItemCode": "AG-01"}},
                    c.department)
                return response.json()["data"]["delegateTask"] if response.status_code == 200 else None
            after = await until(answers, 30, "a command to succeed again")
            async def ready() -> bool:
                status, body = await readyz(server)
                return status == 200 and body["listening"] is True
            await until(ready, 15, "/readyz to be ready again")
            conn = await connect(private_pg.url)
            try:
                # the commands answered UNAVAILABLE while it was down left nothing: the one after is all there is
                assert [r[0] for r in await conn.fetch("SELECT notification_id FROM gongzhi_events"
                                                       " WHERE notification_id > $1", start)] \
                    == [after["receipt"]["position"]]
                # the read model has it without being asked to wait, and the subscriptions opened before go on
                async def projected() -> bool:
                    data = await gql.call("query($id: ID!) { task(id: $id) { id } }", {"id": after["task"]["id"]},
                                          c.committee)
                    return data["task"] is not None
                await until(projected, 10, "the tasks read model")
                await check_subscriptions(conn, c, start, events, tasks)
            finally:
                await conn.close()
    finally:
        await gql.close()
        server.stop()


async def timed(http: httpx.AsyncClient, server: Server, query: str, variables: dict[str, Any], tok: str,
                headers: dict[str, str]) -> tuple[float, int, dict[str, Any]]:
    started = time.monotonic()
    try:
        response = await http.post(server.url, json={"query": query, "variables": variables},
                                   headers={"Authorization": f"Bearer {tok}", **headers})
    except httpx.TimeoutException:
        return time.monotonic() - started, 0, {}
    return time.monotonic() - started, response.status_code, json.loads(response.content)


# -- 4. PostgreSQL restarted under load -------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_postgres_restarted_under_load_loses_no_acknowledged_write(private_pg: Cluster, tmp_path: Path,
                                                                         mode: str) -> None:
    """`fast`: sessions ended, open transactions rolled back; `immediate`: as a crash, recovered from the WAL."""
    server = Server(server_env(tmp_path, private_pg.url)).start()
    gql = Client(server.url)
    conn = await connect(private_pg.url)
    try:
        c = await ops.community(gql)
        start = await head(conn)
        await conn.close()
        async with listening(server, c, start) as (events, tasks):
            load = Load(server, c, per_worker=15, retry=True)
            async with load.running():
                await load.sent(30)
                await asyncio.to_thread(private_pg.restart, mode)  # the load goes on meanwhile
            assert load.slowest < BOUND_S, f"a request took {load.slowest:.1f} s"
            codes = {code for command in load.commands for code in command.codes}
            assert codes <= {"UNAVAILABLE"} and load.statuses <= {200, 503}, (codes, load.statuses)
            assert any(cmd.codes or cmd.lost for cmd in load.commands), "the restart missed the load"
            assert len(load.commands) == WORKERS * 15 and all(len(cmd.receipts) == 1 for cmd in load.commands)
            conn = await connect(private_pg.url)
            rows = await check_receipts_in_the_log(conn, load)
            assert len(rows) == len(load.commands)  # each command once, those retried after an error too
            await check_subscriptions(conn, c, start, events, tasks)
        await read_models_equal_a_rebuild(server, conn, c, rows)
        status, ready = await readyz(server)
        assert status == 200 and ready["listening"] is True, ready
    finally:
        await conn.close()
        await gql.close()
        server.stop()


# -- the appender's connection lost mid-batch -----------------------------------------------------------------------
async def test_a_writer_connection_lost_mid_batch_fails_that_batch_alone(fresh_url: str, tmp_path: Path) -> None:
    """The group commit's connection terminated while its batch waits in its transaction (for the table lock, held
    here): that batch's command is UNAVAILABLE and not in the log; the saves queued behind it are written on another
    connection and answered with their receipts (they used to fail too, on the dead connection)."""
    server = Server(server_env(tmp_path, fresh_url)).start()
    gql = Client(server.url)
    conn, locker = await connect(fresh_url), await connect(fresh_url)
    try:
        c = await ops.community(gql)
        load = Load(server, c, per_worker=0, retry=False)
        async with httpx.AsyncClient(timeout=BOUND_S) as http:
            locked = locker.transaction()
            await locked.start()
            await locker.execute("LOCK TABLE gongzhi_events IN EXCLUSIVE MODE")
            first = Command(f"fault-{uuid.uuid4()}", "批次一")
            sending = asyncio.create_task(load.send(http, first))

            async def writer() -> int | None:
                return await conn.fetchval(  # the appender's connection, in its transaction, waiting for the lock
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    " AND query LIKE '%LOCK TABLE%' AND pid <> $1", locker.get_server_pid())
            pid = await until(writer, 10, "the batch to wait for the lock")
            behind = [Command(f"fault-{uuid.uuid4()}", f"批次二{n}") for n in range(3)]
            queued = [asyncio.create_task(load.send(http, command)) for command in behind]
            await asyncio.sleep(0.5)  # their commands have loaded what they need and wait to be written
            await conn.execute("SELECT pg_terminate_backend($1)", pid)
            await locked.rollback()
            assert not await sending and first.codes == ["UNAVAILABLE"], first
            assert all(await asyncio.gather(*queued)), [(cmd.codes, cmd.lost) for cmd in behind]
        load.commands = [first, *behind]
        rows = await check_receipts_in_the_log(conn, load)
        assert len(rows) == len(behind)  # the terminated batch left nothing
    finally:
        await conn.close()
        await locker.close()
        await gql.close()
        server.stop()
