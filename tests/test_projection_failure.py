"""Issue 7 item 1 (projections): a projection that cannot take an event stops alone, at that event.

A test double of the tasks projection fails on one marked task until it is fixed. The platform runs in
this process under uvicorn (so /readyz is real HTTP) with the double among its projections; the command
line runs as a separate process on the same database.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn
from structlog.testing import capture_logs
from typer.testing import CliRunner

from backend import bootstrap, config
from backend.api.app import create_app
from backend.application.log import LoggedEvent
from backend.domain.access import Actor, Role
from backend.domain.stamp import Stamp
from projections import ALL, Projection
from projections.base import Writes
from projections.runner import ProjectionFailed, ProjectionRunner
from projections.tasks import Tasks
from tests.harness import ROOT, SECRET, free_port

CODE = "320102001001"
POISON = "无法投影的任务"
OFFICE = Stamp(Actor("office", Role.STREET_OFFICE, "320102001"), "test")
COMMITTEE = Stamp(Actor("committee", Role.COMMITTEE, CODE), "test")


class BrokenTasks(Tasks):
    """The tasks read model, with a handler that fails on the marked task until `fixed`."""

    fixed = False

    def on_TaskDelegated(self, w: Writes, e: LoggedEvent) -> None:
        if not self.fixed and e.domain_event.title == POISON:
            raise ValueError("cannot take this task")
        super().on_TaskDelegated(w, e)


def with_double(double: Projection) -> tuple[Projection, ...]:
    return tuple(double if p.name == double.name else p for p in ALL)


async def tracking(conn: asyncpg.Connection) -> dict[str, asyncpg.Record]:
    return {r["name"]: r for r in await conn.fetch("SELECT * FROM projection_tracking")}


async def table(conn: asyncpg.Connection, name: str) -> list[str]:
    return sorted(json.dumps(dict(r), default=str, sort_keys=True) for r in await conn.fetch(f"SELECT * FROM {name}"))


@asynccontextmanager
async def serving(settings: config.Settings, projections: Sequence[Projection]) -> AsyncIterator[tuple]:
    """The API in this process, on a free port: (its platform, its base URL)."""
    app = create_app(settings, projections=projections)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), serving.result()
        await asyncio.sleep(0.02)
    try:
        yield app.state.platform, f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        await serving


def cli(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
    env.update(GONGZHI_DATABASE_URL=url, GONGZHI_SECRET=SECRET, GONGZHI_DATA_DIR=str(data_dir),
               GONGZHI_LOG_LEVEL="WARNING")
    return subprocess.run([sys.executable, "-m", "backend", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


async def test_a_projection_failing_on_one_event_stops_alone_there_and_resumes_there_P1(
        fresh_url: str, tmp_path: Path) -> None:
    settings = config.Settings(database_url=fresh_url, data_dir=tmp_path, secret=SECRET)
    # The log, written before the runner starts: the poison lies in the middle of its first batch.
    platform = await bootstrap.start(settings, follow=False)
    try:
        app, run = platform.app, platform.commands.run
        await run(app.register_community, OFFICE, CODE, "长江路社区", "URBAN")
        await run(app.publish_duty_list, OFFICE, CODE, [{"code": "A", "title": "协助", "list": "ASSIST_GOVERNMENT"}])
        before = [(await run(app.delegate_task, OFFICE, CODE, f"任务{i}", "区统计局", "A"))[0].id for i in range(3)]
        bad = (await run(app.delegate_task, OFFICE, CODE, POISON, "区统计局", "A"))[1].position
        after = [(await run(app.delegate_task, OFFICE, CODE, f"任务{i}", "区统计局", "A"))[0].id for i in range(2)]
    finally:
        await platform.stop()

    double = BrokenTasks()
    with capture_logs() as logs:
        async with serving(settings, with_double(double)) as (platform, base), httpx.AsyncClient(base_url=base) as http:
            runner, run = platform.projections, platform.commands.run
            # The others go on, live, past the stalled one.
            accepted = (await run(platform.app.accept_task, COMMITTEE, str(after[0])))[1].position
            head = await platform.events.head()
            assert head == accepted
            assert await runner.wait_for(head, 5), "the healthy projections' position waits for the stalled one"
            async with platform.pool.acquire() as conn:
                rows = await tracking(conn)
                assert {name: row["position"] for name, row in rows.items() if name != "tasks"} == {
                    p.name: head for p in ALL if p.name != "tasks"}
                assert rows["tasks"]["position"] == bad - 1
                assert (rows["tasks"]["failed_position"], rows["tasks"]["failed_event_type"]) == (bad, "TaskDelegated")
                assert rows["tasks"]["error"] == "ValueError: cannot take this task"
                # its work up to just before the bad event committed, in the same batch
                assert {r["id"] for r in await conn.fetch("SELECT id FROM tasks")} == set(before)
                assert await conn.fetchval("SELECT open_tasks FROM communities") == 6

            stalled = {"name": "tasks", "position": bad, "eventType": "TaskDelegated",
                       "error": "ValueError: cannot take this task"}
            assert runner.stalled == [stalled]
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["status"] == "projection stalled" and ready.json()["stalled"] == [stalled]

            status = await asyncio.to_thread(cli, fresh_url, tmp_path, "projections", "status")
            assert status.returncode == 0, status.stderr
            line = next(line for line in status.stdout.splitlines() if " tasks " in line)
            for word in ("stalled", str(bad - 1), str(bad), "TaskDelegated", "ValueError: cannot take this task"):
                assert word in line, status.stdout
            assert sum(" ok " in line for line in status.stdout.splitlines()) == len(ALL) - 1, status.stdout

            # Retried (a poke tries at once), it fails again at the same event: logged once, not per retry.
            for _ in range(3):
                runner.poke()
                await runner.catch_up()
            assert [e for e in logs if e["event"] == "projection stalled"] == [
                {"event": "projection stalled", "log_level": "error", "projection": "tasks", "position": bad,
                 "event_type": "TaskDelegated", "error": "ValueError: cannot take this task"}]

            # A rebuild meeting the same event fails in one line, and leaves the live tables.
            async with platform.pool.acquire() as conn:
                live = {t: await table(conn, t) for p in ALL for t in p.tables}
            with pytest.raises(ProjectionFailed) as failed:
                await runner.rebuild()
            assert str(failed.value) == (f"projection tasks failed at position {bad} (TaskDelegated):"
                                         " ValueError: cannot take this task")
            async with platform.pool.acquire() as conn:
                assert {t: await table(conn, t) for p in ALL for t in p.tables} == live
                assert (await tracking(conn))["tasks"]["failed_position"] == bad

            # Fixed, and poked: it resumes exactly there.
            double.fixed = True
            runner.poke()
            await runner.catch_up()
            assert runner.stalled == [] and runner.position == head
            assert (await http.get("/readyz")).status_code == 200
            async with platform.pool.acquire() as conn:
                rows = await tracking(conn)
                assert {row["position"] for row in rows.values()} == {head}
                assert {row["failed_position"] for row in rows.values()} == {None}
                assert await conn.fetchval("SELECT count(*) FROM tasks") == 6
                assert await conn.fetchval("SELECT status FROM tasks WHERE id = $1", after[0]) == "ACCEPTED"
                resumed = await table(conn, "tasks")
            assert await runner.rebuild() == head
            async with platform.pool.acquire() as conn:
                assert await table(conn, "tasks") == resumed  # what it resumed to equals a rebuild of it
    assert [(e["event"], e.get("projection")) for e in logs if "projection" in e] == [
        ("projection stalled", "tasks"), ("projection resumed", "tasks")]


async def test_rebuild_command_names_the_event_it_cannot_take_in_one_line(fresh_url: str, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    settings = config.Settings(database_url=fresh_url, data_dir=tmp_path, secret=SECRET)
    platform = await bootstrap.start(settings, follow=False)
    try:
        app, run = platform.app, platform.commands.run
        await run(app.register_community, OFFICE, CODE, "长江路社区", "URBAN")
        await run(app.publish_duty_list, OFFICE, CODE, [{"code": "A", "title": "协助", "list": "ASSIST_GOVERNMENT"}])
        bad = (await run(app.delegate_task, OFFICE, CODE, POISON, "区统计局", "A"))[1].position
        await ProjectionRunner(platform.pool, platform.events, ALL).catch_up()
    finally:
        await platform.stop()
    from backend.cli import app as command
    monkeypatch.setenv("GONGZHI_DATABASE_URL", fresh_url)
    monkeypatch.setenv("GONGZHI_SECRET", SECRET)
    monkeypatch.setenv("GONGZHI_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(bootstrap, "start", partial(bootstrap.start, projections=with_double(BrokenTasks())))
    result = await asyncio.to_thread(CliRunner().invoke, command, ["projections", "rebuild"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (f"projection tasks failed at position {bad} (TaskDelegated):"
                                              " ValueError: cannot take this task")
    assert "Traceback" not in result.stderr + result.stdout
