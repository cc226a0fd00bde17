"""Reads beside the primary (GONGZHI_READ_DATABASE_URL): read-model queries go to a streaming replica, and
X-Consistent-After waits until the replica has replayed the projections' commit (projections/watch.py), so a
client reads its own writes across nodes. The replica's replay is paused to make its lag visible."""
from __future__ import annotations

import asyncio
from pathlib import Path

from tests import ops
from tests.harness import Client, Server, connect, server_env
from tests.pgcluster import replicated

TASK = "query($id: ID!) { task(id: $id) { id title } }"


async def until(check, timeout: float = 15) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def test_reads_go_to_the_replica_and_consistent_after_waits_for_its_replay(tmp_path: Path) -> None:
    with replicated() as (primary, replica):
        env = server_env(tmp_path, primary.url) | {"GONGZHI_READ_DATABASE_URL": replica.url}
        server = Server(env).start()
        gql = Client(server.url)
        standby = await connect(replica.url)
        try:
            assert await standby.fetchval("SELECT pg_is_in_recovery()")
            c = await ops.community(gql)
            first = (await ops.delegate(gql, c))["receipt"]
            shown = await gql.raw(TASK, {"id": first["entityId"]}, c.committee,
                                  headers={"X-Consistent-After": str(first["position"])})
            assert shown.json()["data"]["task"]["id"] == first["entityId"]  # replayed within the wait

            await standby.execute("SELECT pg_wal_replay_pause()")
            await until(lambda: standby.fetchval("SELECT pg_get_wal_replay_pause_state() = 'paused'"))
            receipt = (await ops.delegate(gql, c))["receipt"]
            # The primary's read model has it; the replica, paused, does not: so reads come from the replica.
            main = await connect(primary.url)
            try:
                async def projected() -> bool:
                    return bool(await main.fetchval("SELECT count(*) FROM tasks WHERE id = $1::uuid",
                                                    receipt["entityId"]))
                await until(projected)
            finally:
                await main.close()
            assert (await gql.call(TASK, {"id": receipt["entityId"]}, c.committee))["task"] is None

            waiting = asyncio.create_task(gql.raw(TASK, {"id": receipt["entityId"]}, c.committee,
                                                  headers={"X-Consistent-After": str(receipt["position"])}))
            await asyncio.sleep(1.0)
            assert not waiting.done(), "read-your-writes did not wait for the replica"
            await standby.execute("SELECT pg_wal_replay_resume()")
            response = await asyncio.wait_for(waiting, 10)
            assert "X-Consistency-Timeout" not in response.headers
            assert int(response.headers["X-Consistent-Position"]) >= receipt["position"]
            assert response.json()["data"]["task"]["id"] == receipt["entityId"]
        finally:
            await standby.close()
            await gql.close()
            server.stop()
