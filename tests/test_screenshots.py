"""`gongzhi screenshots` (issue 8 item 1: screenshots of every screen at 390x844, made by a command from the running
demo): run against a server holding the demo data, it writes one PNG per row of its table, each 390 px wide and
844 px high, and not blank; against no server it fails in one line."""
from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend import bootstrap, config
from backend.cli import demo
from backend.cli.screenshots import SCREENS
from tests.harness import ROOT, SECRET, Server, server_env


@pytest.fixture
async def demo_server(fresh_url: str, data_dir: Path) -> AsyncIterator[Server]:
    """A server on a database of its own holding the demo data (loaded as `serve --demo` loads it)."""
    platform = await bootstrap.start(config.Settings(database_url=fresh_url, data_dir=data_dir, secret=SECRET),
                                     follow=False)
    try:
        assert await platform.commands.run(demo.seed, platform.app) == 12
    finally:
        await platform.stop()
    server = Server(server_env(data_dir, fresh_url) | {"GONGZHI_POOL_SIZE": "2"}).start()
    yield server
    server.stop()


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (no image library needed)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    return struct.unpack(">II", head[16:24])


def screenshots(url: str, out: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend", "screenshots", "--url", url, "--out", str(out), *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def test_screenshots_of_every_screen_at_390_px_from_the_demo(demo_server: Server, tmp_path: Path) -> None:
    """Every screen of the table is written as `<file>.png`, 390x844, more than a blank page's few kilobytes (the
    committee's inbox with the demo's tasks, the task detail reached by tapping the first task, the sign-in screen,
    the inbox in elder mode); the files are named on stdout."""
    out = tmp_path / "screens"
    done = screenshots(demo_server.url.removesuffix("/graphql"), out, demo_server.env)
    assert done.returncode == 0, done.stderr[-3000:]
    expected = {f"{screen.file}.png" for screen in SCREENS}
    assert {"sign-in.png", "committee-inbox.png", "committee-inbox-elder.png", "committee-task.png"} <= expected
    assert {p.name for p in out.iterdir()} == expected
    assert {Path(line).name for line in done.stdout.split()} == expected
    for name in expected:
        assert png_size(out / name) == (390, 844), name
        assert (out / name).stat().st_size > 10_000, (name, (out / name).stat().st_size)
    # Different screens, different pictures.
    assert len({(out / name).read_bytes() for name in expected - {"committee-inbox-elder.png"}}) == len(expected) - 1


def test_screenshots_without_a_server_fail_in_one_line(data_dir: Path, tmp_path: Path) -> None:
    env = server_env(data_dir, None)
    done = screenshots("http://127.0.0.1:9", tmp_path, env, "--only", "sign-in")
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr, done.stderr
    assert not list(tmp_path.glob("*.png"))
