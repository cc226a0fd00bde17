"""With no GONGZHI_DATABASE_URL the platform runs its own PostgreSQL in the data folder (`pg/`),
keeps its data across restarts, and every way out stops what it started: a SIGTERM, the last user
leaving after another was killed with SIGKILL, a CLI command ended by SIGTERM. The embedded server
is quiet unless GONGZHI_LOG_LEVEL=DEBUG, and the CLI's stdout carries only JSON lines."""
from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from backend import database
from tests import ops
from tests.harness import ROOT, Client, Server, server_env


@pytest.fixture
def folder() -> Iterator[Path]:
    """A data folder outside pytest's base temp (which a concurrent pytest session resets to 0700,
    out of reach of the postgres user pgserver runs as under root); afterwards, even after a
    failure, any postgres still serving it is stopped and the folder removed."""
    path = Path(tempfile.mkdtemp(prefix="gongzhi-embedded-"))
    yield path
    for pid in postgres_running((path / "pg").resolve()):
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).terminate()
    shutil.rmtree(path, ignore_errors=True)


def embedded_env(data_dir: Path, level: str = "WARNING") -> dict[str, str]:
    env = server_env(data_dir, None)
    env.pop("GONGZHI_DATABASE_URL", None)
    env["GONGZHI_LOG_LEVEL"] = level
    return env


def postgres_running(pgdata: Path) -> list[int]:
    """PIDs of postgres processes serving `pgdata` (by their command line)."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and str(pgdata) in cmdline:
            found.append(proc.pid)
    return found


def handles(pgdata: Path) -> list[int]:
    """The handle list's PIDs (empty while pgserver is rewriting the file)."""
    try:
        return database.handle_pids(pgdata)
    except ValueError:
        return []


def assert_all_stopped(pgdata: Path) -> None:
    assert not (pgdata / "postmaster.pid").exists(), "the embedded PostgreSQL is still running"
    assert postgres_running(pgdata) == [], "a postgres process is left for this data folder"
    assert handles(pgdata) == [], "a PID is left in the handle list"


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backend", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def json_lines(stdout: str) -> list[dict]:
    """Every line of a command's stdout, as JSON (fails on a line that is not, such as a log line)."""
    return [json.loads(line) for line in stdout.splitlines()]


def terminate(process: subprocess.Popen) -> int:
    """SIGTERM, as `timeout` or a service manager sends it; its exit code (killed if it does not exit)."""
    process.terminate()
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


async def test_embedded_postgres_starts_keeps_data_and_stops(folder) -> None:
    env = embedded_env(folder)
    pgdata = (folder / "pg").resolve()
    server = Server(env).start()
    gql = Client(server.url)
    try:
        assert (pgdata / "postmaster.pid").exists()
        c = await ops.community(gql)
    finally:
        server.stop()  # SIGTERM, as a service manager sends it
        await gql.close()
    assert_all_stopped(pgdata)
    server = Server(env).start()
    gql = Client(server.url)
    try:
        history = (await gql.call(ops.HISTORY, {"id": c.code}, c.auditor))["history"]
        assert [e["type"] for e in history] == ["CommunityRegistered", "DutyListPublished"]
    finally:
        server.stop()
        await gql.close()
    assert_all_stopped(pgdata)


async def test_kill_9_then_restart_then_sigterm_leaves_no_postgres_and_cli_stdout_is_json(folder) -> None:
    """A server killed with SIGKILL leaves its PID in the handle list; the next process prunes it,
    so the last live user still stops the server. At INFO the embedded server writes none of
    pgserver's chatter; `events export`, `history` and `events tail` write only JSON lines on stdout,
    their logs on stderr; a `tail` ended by SIGTERM lets go of the server."""
    env = embedded_env(folder, "INFO")
    pgdata = (folder / "pg").resolve()
    server = Server(env).start()
    gql = Client(server.url)
    try:
        c = await ops.community(gql)
        killed = server.process.pid
        server.stop(kill=True)
        assert killed in handles(pgdata)  # what SIGKILL leaves behind
        server = Server(env).start()
        assert killed not in handles(pgdata)

        log = Path(env["GONGZHI_DATA_DIR"], f"server-{server.port}.log").read_text()
        for chatter in ("Running commandline", "pg_ctl", "PG_VERSION", "XDG_RUNTIME_DIR"):
            assert chatter not in log, log

        export = cli(env, "events", "export")
        assert export.returncode == 0, export.stderr
        assert {"CommunityRegistered", "DutyListPublished"} <= {e["type"] for e in json_lines(export.stdout)}
        assert "embedded PostgreSQL" in export.stderr  # the log line went to stderr
        history = cli(env, "history", c.code)
        assert history.returncode == 0, history.stderr
        assert [e["type"] for e in json_lines(history.stdout)] == ["CommunityRegistered", "DutyListPublished"]

        tail = subprocess.Popen([sys.executable, "-m", "backend", "events", "tail", "--after", "0"], env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            first = json.loads(tail.stdout.readline())  # a log line here would not parse
            assert first["type"] == "CommunityRegistered" and first["entityId"]
            assert tail.pid in handles(pgdata)
        finally:
            assert terminate(tail) == 128 + signal.SIGTERM
        assert tail.pid not in handles(pgdata)
    finally:
        server.stop()  # SIGTERM: the last live user stops the server
        await gql.close()
    assert_all_stopped(pgdata)


def test_sigterm_of_a_cli_command_that_started_the_embedded_server_stops_it(folder) -> None:
    """`gongzhi events tail` with no GONGZHI_DATABASE_URL starts the embedded server; under
    `timeout` (SIGTERM) it must stop it on its way out."""
    env = embedded_env(folder)
    pgdata = (folder / "pg").resolve()
    tail = subprocess.Popen([sys.executable, "-m", "backend", "events", "tail"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        until(lambda: tail.pid in handles(pgdata) or tail.poll() is not None)
        assert tail.poll() is None, tail.stderr.read()
        assert postgres_running(pgdata)
    finally:
        code = terminate(tail)
    assert_all_stopped(pgdata)
    assert code == 128 + signal.SIGTERM  # it left through SystemExit, not the signal's default action
