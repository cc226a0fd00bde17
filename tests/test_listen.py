"""Item 4 of issue 7: a lost LISTEN connection comes back (re-LISTEN, catch up, /readyz in between)."""
from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import asyncpg
import httpx

from tests import ops
from tests.harness import Client, Server, Subscription, connect, server_env
from tests.test_log import SUBSCRIBE

LISTENING = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'"
SAMPLES = 5
FAST_S = 0.1


async def until(check, timeout: float = 15, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(every)
    return result


async def seen_without_waiting(gql: Client, c: ops.Community, task_id: str) -> bool:
    """Whether the tasks read model shows `task_id` now (no X-Consistent-After: nothing pokes the runner)."""
    data = await gql.call("query($id: ID!) { task(id: $id) { id } }", {"id": task_id}, c.committee)
    return data["task"] is not None


async def test_lost_listen_connections_come_back_and_latency_recovers(fresh_url: str, tmp_path: Path) -> None:
    server = Server(server_env(tmp_path, fresh_url)).start()
    gql = Client(server.url)
    db = await connect(fresh_url)
    name = await db.fetchval("SELECT current_database()")
    try:
        # the projection runner's, the live feed's and the watch of the read models' positions (projections/watch.py)
        assert await db.fetchval(LISTENING, name) == 3
        c = await ops.community(gql)
        killed = await db.fetch("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1"
                                " AND query LIKE 'LISTEN%'", name)
        assert len(killed) == 3
        await until(lambda: _count(db, name, 3))  # (a) all LISTEN again
        async with httpx.AsyncClient() as http:
            async def ready() -> bool:
                response = await http.get(f"http://127.0.0.1:{server.port}/readyz")
                return response.status_code == 200 and response.json()["listening"] is True
            await until(ready)  # (b)

        # (c) an accepted write reaches the read models with nothing but the NOTIFY to wake the runner
        latencies = []
        for _ in range(SAMPLES):
            task = (await ops.delegate(gql, c))["task"]
            started = time.monotonic()
            await until(lambda: seen_without_waiting(gql, c, task["id"]), timeout=5, every=0.005)
            latencies.append(time.monotonic() - started)
        assert statistics.median(latencies) < FAST_S, latencies

        # ... and read-your-writes answers quickly
        latencies = []
        for _ in range(SAMPLES):
            started = time.monotonic()
            position = (await ops.delegate(gql, c))["receipt"]["position"]
            response = await gql.raw("{ tasks(first: 1) { totalCount } }", tok=c.committee,
                                     headers={"X-Consistent-After": str(position)})
            assert int(response.headers["X-Consistent-Position"]) >= position
            latencies.append(time.monotonic() - started)
        assert statistics.median(latencies) < FAST_S, latencies

        # ... and a subscriber hears of a new event quickly
        head = (await gql.call(ops.EVENT_LOG, {"after": 0, "first": 1000}, c.auditor))["eventLog"][-1]["position"]
        async with Subscription(server.url, SUBSCRIBE, {"after": head, "scope": c.code}, c.auditor) as sub:
            latencies = []
            for _ in range(SAMPLES):
                started = time.monotonic()
                position = (await ops.delegate(gql, c))["receipt"]["position"]
                message = await sub.next(timeout=5)
                assert message["type"] == "next", message
                assert message["payload"]["data"]["events"]["position"] == position
                latencies.append(time.monotonic() - started)
        assert statistics.median(latencies) < FAST_S, latencies
    finally:
        await db.close()
        await gql.close()
        server.stop()


async def _count(db: asyncpg.Connection, name: str, expected: int) -> bool:
    return await db.fetchval(LISTENING, name) == expected
