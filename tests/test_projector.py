"""Leased projectors (`gongzhi projector`, backend/application/lease.py): any number run, one holds each projection, a
standby takes over when the holder is SIGKILLed mid-batch, and the read models come out exactly as a rebuild
makes them (no event applied twice, none skipped); an API process without projections serves from them
(`gongzhi serve --no-projections`, projections/watch.py): read-your-writes and live rows across processes."""
from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx

from projections import ALL
from tests import ops
from tests.harness import Client, Server, Subscription, connect, server_env, until
from tests.test_projections import snapshot

NAMES = sorted(p.name for p in ALL)
BACKLOG = 1_200  # tasks delegated while no projector runs: several batches to catch up, so a kill lands mid-way
KILLS = 3


def holders(projectors: list[Server]) -> dict[str, Server]:
    """Which running projector holds which projection, as their /readyz say."""
    held: dict[str, Server] = {}
    for p in projectors:
        if p.process is None or p.process.poll() is not None:
            continue
        try:
            body = httpx.get(f"http://127.0.0.1:{p.port}/readyz", timeout=2).json()
        except httpx.HTTPError:
            continue
        for name in body.get("held", ()):
            assert name not in held, f"{name} held by two projectors"
            held[name] = p
    return held


async def backlog(gql: Client, c: ops.Community, count: int) -> None:
    async def worker(n: int) -> None:
        for _ in range(n):
            await ops.delegate(gql, c)
    await asyncio.gather(*(worker(count // 8) for _ in range(8)))


async def test_a_standby_projector_takes_over_a_sigkilled_holder_with_nothing_twice_or_skipped(
        fresh_url: str, tmp_path: Path) -> None:
    env = server_env(tmp_path, fresh_url)
    api = Server(env, args=("--no-projections",)).start()
    gql = Client(api.url)
    projectors: list[Server] = []
    db = await connect(fresh_url)
    try:
        c = await ops.community(gql)
        await backlog(gql, c, BACKLOG)
        assert await db.fetchval("SELECT max(position) FROM projection_tracking") == 0  # nobody projects yet

        projectors = [Server(env, command="projector").start() for _ in range(2)]
        mid_batch = 0
        for _ in range(KILLS):
            held = await until(lambda: asyncio.to_thread(holders, projectors), 10, "a holder")
            assert set(held) <= set(NAMES)
            victim = held["tasks"]
            # The holder, frozen, keeps its leases while a backlog of several batches builds up; thawed, it is
            # killed as soon as its first batch of the backlog has committed: the next is in flight.
            before = await db.fetchval("SELECT position FROM projection_tracking WHERE name = 'tasks'")
            os.kill(victim.process.pid, signal.SIGSTOP)
            await backlog(gql, c, BACKLOG)
            head = await db.fetchval("SELECT max(notification_id) FROM gongzhi_events")
            os.kill(victim.process.pid, signal.SIGCONT)

            async def moved() -> bool:
                return await db.fetchval("SELECT position FROM projection_tracking WHERE name = 'tasks'") > before
            await until(moved, 20, "the holder to commit a batch", every=0.002)
            os.kill(victim.process.pid, signal.SIGKILL)
            if await db.fetchval("SELECT position FROM projection_tracking WHERE name = 'tasks'") < head:
                mid_batch += 1
            victim.process.wait(10)
            killed_at = time.monotonic()
            projectors.remove(victim)
            projectors.append(Server(env, command="projector").start())  # the next round's standby
            taken = await until(lambda: asyncio.to_thread(holders, projectors), 15, "a standby to take over")
            assert "tasks" in taken and taken["tasks"] is not victim
            assert time.monotonic() - killed_at < 15
        assert mid_batch, "no kill landed before the holder had caught up"
        head = await db.fetchval("SELECT max(notification_id) FROM gongzhi_events")

        async def caught_up() -> bool:
            return await db.fetchval("SELECT min(position) FROM projection_tracking WHERE name = ANY($1)",
                                     NAMES) >= head
        await until(caught_up, 60, "the projections to catch up")
        tasks = await db.fetchval("SELECT count(*) FROM tasks")
        assert tasks == BACKLOG // 8 * 8 * (KILLS + 1)
        live = await snapshot(db)

        # Every projection's held by exactly one of the running projectors, and an exact rebuild equals them.
        assert set(holders(projectors)) == set(NAMES)
        for p in projectors:
            p.stop()
        api.cli("projections", "rebuild")
        assert await snapshot(db) == live
    finally:
        for p in projectors:
            p.stop(kill=True)
        await gql.close()
        api.stop()
        await db.close()


async def test_an_api_without_projections_reads_its_writes_and_streams_live_rows(fresh_url: str,
                                                                                 tmp_path: Path) -> None:
    """Read-your-writes (X-Consistent-After) and a live read model (taskUpdated) through an API process that runs
    no projection, the projector being another process."""
    env = server_env(tmp_path, fresh_url)
    api = Server(env, args=("--no-projections",)).start()
    projector = Server(env, command="projector").start()
    gql = Client(api.url)
    try:
        c = await ops.community(gql)
        for _ in range(5):
            receipt = (await ops.delegate(gql, c))["receipt"]
            response = await gql.raw("query($id: ID!) { task(id: $id) { id } }", {"id": receipt["entityId"]},
                                     c.committee, headers={"X-Consistent-After": str(receipt["position"])})
            assert "X-Consistency-Timeout" not in response.headers
            assert int(response.headers["X-Consistent-Position"]) >= receipt["position"]
            assert response.json()["data"]["task"]["id"] == receipt["entityId"]
        query = "subscription($scope: String) { taskUpdated(scope: $scope) { id status } }"
        async with Subscription(api.url, query, {"scope": c.code}, c.committee) as sub:
            await asyncio.sleep(0.3)  # subscribed before the write
            task = (await ops.delegate(gql, c))["task"]
            message = await sub.next(timeout=10)
            assert message["payload"]["data"]["taskUpdated"] == {"id": task["id"], "status": "DELEGATED"}
        async with httpx.AsyncClient() as http:
            ready = (await http.get(f"http://127.0.0.1:{api.port}/readyz")).json()
            assert ready["status"] == "ready" and ready["lag"] == 0
            assert (await http.get(f"http://127.0.0.1:{projector.port}/readyz")).json()["held"] == NAMES
    finally:
        await gql.close()
        projector.stop()
        api.stop()
