"""The `gongzhi` command against the running platform's database."""
from __future__ import annotations

import json

from backend.api.auth import actor_from_header
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
