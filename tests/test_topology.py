"""The compose topology played natively (issue 11): two API processes (`gongzhi serve --no-projections`, one of them
with `--workers 2`), two leased projectors (`gongzhi projector`), the relay (`gongzhi relay`), the PostgreSQL service
and NATS JetStream on 127.0.0.1:4222 (skipped, with the reason, only when none answers).

Clients write through both APIs at once while one projector is SIGKILLed and later the relay too (then started
again). Afterwards everyone agrees on the same events in the same order, with no gap and no duplicate: the log; each
receipt (the row at its position); the `events` and `taskUpdated` subscriptions on both APIs; an integrator's
durable consumers on JetStream (the whole stream, and the district's subjects); read-your-writes from one API to the
other; and the read models, which equal a rebuild from the log."""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
from pathlib import Path
from typing import Any

import httpx

from tests import ops
from tests.harness import Client, Server, connect, server_env, until
from tests.test_faults import check_subscriptions, head, listening, read_models_equal_a_rebuild
from tests.test_projections import settled
from tests.test_projector import NAMES, holders
from tests.test_relay import NATS, RelayProcess, Stream, assert_exactly_once_in_order, consume, published_up_to, stream

__all__ = ["stream"]  # the NATS stream fixture of tests/test_relay.py (skips when no NATS answers)

WRITERS = 6  # clients writing at once, each through both APIs by turns
STEP = 40  # receipts between the faults


async def test_two_apis_two_projectors_and_the_relay_agree_on_every_event_in_order_through_a_projector_sigkill_and_a_relay_restart(
        fresh_url: str, tmp_path: Path, stream: Stream) -> None:
    env = server_env(tmp_path, fresh_url) | {"GONGZHI_NATS_URL": NATS, "GONGZHI_EVENTS_STREAM": stream.name,
                                             "GONGZHI_EVENTS_SUBJECT": stream.prefix,
                                             "GONGZHI_POOL_SIZE": "3"}  # six processes' pools in max_connections
    projectors = [Server(env, command="projector").start() for _ in range(2)]
    apis = [Server(env, args=("--no-projections", "--workers", "2")).start(),
            Server(env, args=("--no-projections",)).start()]
    relay = RelayProcess(env, tmp_path).start()
    clients = [Client(api.url) for api in apis]
    conn = await connect(fresh_url)
    stop = asyncio.Event()
    receipts: list[tuple[int, dict[str, Any]]] = []  # (the API that answered, its receipt)
    try:
        await relay.until_status("ready")
        c = await ops.community(clients[0])
        start = await head(conn)

        async def writer(n: int) -> None:
            for turn in itertools.count(n):
                if stop.is_set():
                    return
                api = turn % 2
                receipts.append((api, (await ops.delegate(clients[api], c))["receipt"]))

        async def written(count: int) -> None:
            async def enough() -> bool:
                assert not any(w.done() and w.exception() for w in writers), [w.exception() for w in writers]
                return len(receipts) >= count
            await until(enough, 60, f"{count} receipts")

        async with listening(apis[0], c, start) as (events_0, tasks_0), \
                listening(apis[1], c, start) as (events_1, tasks_1):
            writers = [asyncio.create_task(writer(n)) for n in range(WRITERS)]
            try:
                # 1. the projector that holds `tasks` SIGKILLed mid-stream; the other takes over; a new standby
                await written(STEP)
                held = await until(lambda: asyncio.to_thread(holders, projectors), 10, "a holder")
                victim = held["tasks"]
                victim.stop(kill=True)
                projectors.remove(victim)
                taken = await until(lambda: asyncio.to_thread(_all_held, projectors), 15, "the standby to take over")
                assert set(taken) == set(NAMES) and taken["tasks"] is projectors[0]
                projectors.append(Server(env, command="projector").start())

                # 2. the relay SIGKILLed mid-stream (no chance to store its position), and started again
                await written(len(receipts) + STEP)
                relay.kill()
                await written(len(receipts) + STEP)  # a backlog for the relay started again
                relay = RelayProcess(env, tmp_path).start()
                await relay.until_status("ready")
                await written(len(receipts) + STEP)
            finally:
                stop.set()
                await asyncio.gather(*writers)
            assert {api for api, _ in receipts} == {0, 1}

            # the log holds each receipt at its position, and nothing else of the community's tasks
            rows = await conn.fetch("SELECT notification_id, originator_id::text, originator_version, topic"
                                    " FROM gongzhi_events WHERE community_code = $1 AND topic LIKE '%.TaskDelegated'"
                                    " ORDER BY notification_id", c.code)
            logged = {r["notification_id"]: (r["originator_id"], r["originator_version"]) for r in rows}
            assert len(logged) == len(receipts)
            for _, receipt in receipts:
                assert logged[receipt["position"]] == (receipt["entityId"], receipt["version"]), receipt

            # the subscribers on both APIs: every event of the community once, in log order; every task once
            for events, tasks in ((events_0, tasks_0), (events_1, tasks_1)):
                await check_subscriptions(conn, c, start, events, tasks, timeout=30)

        # the integrator on JetStream: the whole stream is the log, position by position; the district's filter
        # is the district's part of it, with the same payloads
        log = await conn.fetch("SELECT notification_id, topic, community_code"
                               " FROM gongzhi_events ORDER BY notification_id")
        positions = [r["notification_id"] for r in log]
        await until(lambda: published_up_to(stream, positions[-1]), 60, "the whole log on the stream")
        assert_exactly_once_in_order(await consume(stream, f"{stream.prefix}.>"), positions)
        district = c.code[:6]
        mine = await consume(stream, f"{stream.prefix}.{district}.>")
        assert [m.position for m in mine] == [r["notification_id"] for r in log
                                              if (r["community_code"] or "").startswith(district)]
        by_position = {r["notification_id"]: r for r in log}
        for m in mine:
            row = by_position[m.position]
            assert (m.payload["position"], m.payload["communityCode"]) == (m.position, row["community_code"])
            assert row["topic"].endswith("." + m.payload["type"]) and m.headers["Gongzhi-Event-Type"] == \
                m.payload["type"]

        # read-your-writes from one API to the other: a write through each, read at once through the other
        async with httpx.AsyncClient(timeout=10) as http:
            for writer_api in (0, 1):
                receipt = (await ops.delegate(clients[writer_api], c))["receipt"]
                reader = apis[1 - writer_api]
                response = await http.post(reader.url, json={
                    "query": "query($id: ID!) { task(id: $id) { id status } }", "variables": {"id": receipt["entityId"]}},
                    headers={"Authorization": f"Bearer {c.committee}",
                             "X-Consistent-After": str(receipt["position"])})
                assert "X-Consistency-Timeout" not in response.headers
                assert response.json()["data"]["task"] == {"id": receipt["entityId"], "status": "DELEGATED"}

        # the read models the surviving projectors made equal a rebuild from the log (leases let go first)
        assert await until(lambda: asyncio.to_thread(_all_held, projectors), 15, "every projection held")
        await settled(conn)
        for p in projectors:
            p.stop()
        rows = await conn.fetch("SELECT notification_id, originator_id::text, originator_version FROM gongzhi_events"
                                " WHERE community_code = $1 AND topic LIKE '%.TaskDelegated' ORDER BY 1", c.code)
        await read_models_equal_a_rebuild(apis[1], conn, c, rows)
        assert relay.stop() == 0
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            relay.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        for client in clients:
            await client.close()
        for process in (*apis, *projectors):
            process.stop(kill=True)
        await conn.close()


def _all_held(projectors: list[Server]) -> dict[str, Server] | None:
    """Which projector holds each projection, once every projection is held by one of them."""
    held = holders(projectors)
    return held if set(held) == set(NAMES) else None

