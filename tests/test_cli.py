"""The `gongzhi` command against the running platform's database."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backend import bootstrap, config
from backend.api.auth import actor_from_header
from backend.cli import demo
from backend.domain.access import Actor, Role
from backend.domain.errors import AlreadyExists, OffListTask, VersionConflict
from backend.domain.stamp import Stamp
from tests import ops
from tests.harness import ROOT, SECRET, Client, Server


def test_token_prints_a_token_for_the_configured_secret(server: Server) -> None:
    out = server.cli("token", "--role", "STREET_OFFICE", "--scope", "320102001", "--actor", "so-1").stdout.strip()
    actor = actor_from_header(SECRET, f"Bearer {out}")
    assert (actor.id, actor.role.value, actor.scope) == ("so-1", "STREET_OFFICE", "320102001")
    assert server.cli("token", "--role", "NOBODY", "--actor", "x", check=False).returncode != 0
    # no token is made for an actor id that no command would accept (issue 7, item 1: ids are bounded ASCII)
    refused = server.cli("token", "--role", "RESIDENT", "--scope", "320102001001", "--actor", "张三", check=False)
    assert refused.returncode == 2 and "actor" in refused.stderr
    assert server.cli("token", "--role", "ADMIN", "--scope", "32x", "--actor", "x", check=False).returncode != 0


async def test_token_org_names_the_actors_organization_which_every_event_records(gql: Client, server: Server) -> None:
    """`gongzhi token --org 区民政局`: the token carries the organization, `me` shows it and the events the actor
    causes record it (issue 9: "by department" is a fact of the log); a malformed one is refused, exit 2."""
    from tests import ops
    c = await ops.community(gql)
    out = server.cli("token", "--role", "DEPARTMENT", "--scope", c.district, "--actor", "dept-x",
                     "--org", "区民政局").stdout.strip()
    assert actor_from_header(SECRET, f"Bearer {out}").organization == "区民政局"
    assert (await gql.call("{ me { organization } }", tok=out))["me"] == {"organization": "区民政局"}
    delegated = (await gql.call(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "t", "fromDepartment": "区民政局",
                                                         "dutyItemCode": "AG-01"}}, out))["delegateTask"]
    history = await gql.call("query($id: ID!) { history(entityId: $id) { actor { id role organization } } }",
                             {"id": delegated["task"]["id"]}, c.auditor)
    assert history["history"] == [{"actor": {"id": "dept-x", "role": "DEPARTMENT", "organization": "区民政局"}}]
    refused = server.cli("token", "--role", "DEPARTMENT", "--actor", "x", "--org", "区民\u202e政局", check=False)
    assert refused.returncode == 2 and "organization" in refused.stderr


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


def test_bad_input_is_one_line_on_stderr_exit_2_no_traceback(server: Server, tmp_path) -> None:
    """`gongzhi history not-a-uuid` (and other bad input) says what is wrong in one line, no traceback."""
    for args, code in ((("history", "not-a-uuid"), 2),
                       (("token", "--role", "ADMIN", "--scope", "32x", "--actor", "x"), 2),
                       (("events", "export", "--output", str(tmp_path / "no-such-folder" / "out.jsonl")), 1)):
        result = server.cli(*args, check=False)
        assert result.returncode == code, (args, result.stderr)
        assert result.stdout == "" and "Traceback" not in result.stderr, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)


def token_env(data_dir: Path, secret: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
    env["GONGZHI_DATA_DIR"] = str(data_dir)
    if secret:
        env["GONGZHI_SECRET"] = secret
    return env


def run_token(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backend", "token", "--role", "ADMIN", "--actor", "a", *extra],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_token_says_which_secret_and_will_not_invent_one_unasked(tmp_path) -> None:
    """Without the server's GONGZHI_DATA_DIR or GONGZHI_SECRET, `gongzhi token` refuses (exit 2,
    one line) rather than sign with a new secret the server would not know; --new-secret makes one."""
    env = token_env(tmp_path / "data")
    secret_file = tmp_path / "data" / "secret"
    refused = run_token(env)
    assert refused.returncode == 2 and refused.stdout == "", refused
    assert len(refused.stderr.strip().splitlines()) == 1 and "--new-secret" in refused.stderr
    assert not secret_file.exists()

    made = run_token(env, "--new-secret")
    assert made.returncode == 0, made.stderr
    assert made.stderr.strip() == f"secret: {secret_file} (made now)"
    secret = secret_file.read_text().strip()
    assert actor_from_header(secret, f"Bearer {made.stdout.strip()}").id == "a"

    again = run_token(env)  # the secret the server made (or this made) is used, and named
    assert again.returncode == 0 and again.stderr.strip() == f"secret: {secret_file}"
    assert actor_from_header(secret, f"Bearer {again.stdout.strip()}").role is Role.ADMIN
    assert secret_file.read_text().strip() == secret

    named = run_token(token_env(tmp_path / "other", SECRET))
    assert named.returncode == 0 and named.stderr.strip() == "secret: GONGZHI_SECRET"
    assert actor_from_header(SECRET, f"Bearer {named.stdout.strip()}").id == "a"
    assert not (tmp_path / "other" / "secret").exists()


@pytest.mark.parametrize("script", ["start", "test"])
def test_setup_scripts_reinstall_only_when_the_project_changed(tmp_path, script: str) -> None:
    """`./start` and `./test` run pip only when pyproject.toml differs from the last install (a
    checksum kept in .venv); here on a copy of the script with a .venv whose python records its calls."""
    shutil.copy(ROOT / script, tmp_path / script)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    calls = tmp_path / "calls"
    for tool in ("python", "gongzhi"):
        (bin_dir / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\n')
        (bin_dir / tool).chmod(0o755)

    def pip_runs() -> int:
        calls.write_text("")
        subprocess.run([str(tmp_path / script), "--version"], check=True, timeout=60, capture_output=True)
        lines = calls.read_text().splitlines()
        assert lines[-1].endswith("--version")  # it went on to run the platform, or pytest
        return sum("-m pip install" in line for line in lines)

    assert pip_runs() == 2  # first run: pip itself, then the project
    assert pip_runs() == 0
    assert pip_runs() == 0
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2"\n')
    assert pip_runs() == 2
    assert pip_runs() == 0
