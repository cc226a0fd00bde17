"""The `gongzhi` command against the running platform's database."""
from __future__ import annotations

import asyncio
import json

import pytest

from backend import bootstrap, config
from backend.api.auth import actor_from_header
from backend.cli import demo
from backend.domain.access import Actor, Role
from backend.domain.errors import AlreadyExists, OffListTask, VersionConflict
from backend.domain.stamp import Stamp
from tests import ops
from tests.harness import SECRET, Client, Server


def test_token_prints_a_token_for_the_configured_secret(server: Server) -> None:
    out = server.cli("token", "--role", "STREET_OFFICE", "--scope", "320102001", "--actor", "so-1").stdout.strip()
    actor = actor_from_header(SECRET, f"Bearer {out}")
    assert (actor.id, actor.role.value, actor.scope) == ("so-1", "STREET_OFFICE", "320102001")
    assert server.cli("token", "--role", "NOBODY", "--actor", "x", check=False).returncode != 0
    assert server.cli("token", "--role", "ADMIN", "--scope", "32x", "--actor", "x", check=False).returncode != 0


async def test_events_export_and_history(gql: Client, server: Server) -> None:
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    await gql.call(ops.ACCEPT, {"id": task["id"]}, c.committee)
    lines = [json.loads(line) for line in server.cli("events", "export").stdout.splitlines()]
    positions = [e["position"] for e in lines]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert {"TaskDelegated", "TaskAccepted", "CommunityRegistered"} <= {e["type"] for e in lines}
    history = [json.loads(line) for line in server.cli("history", task["id"]).stdout.splitlines()]
    assert [e["type"] for e in history] == ["TaskDelegated", "TaskAccepted"]
    assert history[1]["actor"]["role"] == "COMMITTEE"
    assert server.cli("history", "00000000-0000-0000-0000-000000000000", check=False).returncode == 1


async def test_events_tail_follows_the_log_live(gql: Client, server: Server) -> None:
    import asyncio
    import signal
    import subprocess
    import sys

    from tests.harness import ROOT
    c = await ops.community(gql)
    after = (await ops.delegate(gql, c))["receipt"]["position"]
    tail = subprocess.Popen([sys.executable, "-m", "backend", "events", "tail", "--after", str(after)],
                            env=server.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        await asyncio.sleep(1.5)
        live = (await ops.delegate(gql, c))["receipt"]["position"]
        line = await asyncio.wait_for(asyncio.to_thread(tail.stdout.readline), 20)
        event = json.loads(line)
        assert event["position"] == live and event["type"] == "TaskDelegated"
    finally:
        tail.send_signal(signal.SIGINT)  # Ctrl-C: it exits cleanly (and lets go of an embedded server)
        assert tail.wait(30) == 0


async def test_demo_loader_drives_commands_synchronously_on_the_store(fresh_url: str, data_dir) -> None:
    """The synchronous driver (backend/application/steps.py, what `serve --demo` and scripts use)
    through eventsourcing's own recorder, beside the API's async path: loads, commits, conflicts,
    refusals on the record, and the read models agree."""
    settings = config.Settings(database_url=fresh_url, data_dir=data_dir, secret=SECRET)
    platform = await bootstrap.start(settings, follow=False)
    try:
        app = platform.app
        assert await platform.commands.run(demo.seed, app) == 12
        assert await platform.commands.run(demo.seed, app) == 0  # seen as loaded: nothing twice
        office = Stamp(Actor("o", Role.STREET_OFFICE, "320102001"), "t")
        code = "320102001001"
        with pytest.raises(AlreadyExists):
            await asyncio.to_thread(app.register_community, office, code, "重名", "URBAN")
        task, receipt = await asyncio.to_thread(app.delegate_task, office, code, "核查", "区民政局", "AG-01")
        with pytest.raises(OffListTask) as refused:
            await asyncio.to_thread(app.delegate_task, office, code, "清扫", "区城管局", "NOT-ON-LIST")
        assert refused.value.extensions["position"] > receipt.position
        committee = Stamp(Actor("c", Role.COMMITTEE, code), "t")
        accepted, _ = await asyncio.to_thread(app.accept_task, committee, str(task.id), 1)
        assert accepted.version == 2
        with pytest.raises(VersionConflict):
            await asyncio.to_thread(app.decline_task, committee, str(task.id), "晚了", 1)
        # the same stream driven on the event loop sees what the synchronous path wrote
        completed, _ = await platform.commands.run(app.complete_task, committee, str(task.id), 2)
        assert completed.version == 3
        await platform.projections.catch_up()
        async with platform.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM communities") == 12
            assert await conn.fetchval("SELECT status FROM tasks WHERE id = $1", task.id) == "COMPLETED"
            refusals = await conn.fetchval("SELECT count(*) FROM audit_index WHERE event_type = "
                                           "'TaskDelegationRefused' AND community_code = $1", code)
            assert refusals >= 1
    finally:
        await platform.stop()
