"""The benchmark is not part of the test run; this only checks that it starts, runs every
phase on a token load (the frontend phase's browser run once, in Debian's chromium), and writes every key of its
JSON: each measure beside its baseline of the same run (issue 11 item 8), a peer or a role that this machine or
checkout lacks said so in words, never a figure."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

from tests.harness import ROOT

KEYS = {
    "append": {"events_per_s", "p50_ms", "p99_ms", "raw_insert_per_s", "ratio"},
    # the bare command route (bench/bare.py) as command_http's baseline
    "command_http": {"commands_per_s", "p50_ms", "p99_ms", "bare_commands_per_s", "bare_p99_ms", "ratio"},
    "query": {"rps", "p50_ms", "p99_ms", "bare_rps", "ratio"},
    # the raw pass (scan, orjson, COPY) as the rebuild's baseline
    "rebuild": {"events_per_s", "raw_scan_rows_per_s", "ratio", "raw_pass_events_per_s", "raw_pass_ratio", "events"},
    "fanout": {"subscribers", "distinct_tokens", "p50_ms", "p99_ms", "peak_rss_mb", "delivered", "expected"},
    "growth": {"events", "append_events_per_s", "query_p50_ms", "small_append_events_per_s", "small_query_p50_ms"},
    # the app (issue 8 item 5): first load, first usable screen under the emulated phone, an idempotent repeat
    "frontend": {"first_load_gzip_kb", "first_load_budget_kb", "first_usable_ms", "first_usable_budget_ms"},
    # infra/CAPACITY.md's inputs
    "storage": {"events", "events_bytes_per_event", "events_index_bytes_per_event", "audit_bytes_per_event",
                "database_bytes_per_event"},
    "scale": set(),  # checked below: figures, or "not available: ..." where a role is missing
}
REPEAT_KEYS = {"plain_commands_per_s", "plain_p50_ms", "plain_p99_ms", "repeat_commands_per_s", "repeat_p50_ms",
               "repeat_p99_ms", "ratio"}
CHROMIUM = Path("/usr/bin/chromium")


def postgres_under(folder: Path) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name", "cmdline"])
            if p.info["name"] == "postgres" and any(str(folder) in arg for arg in p.info["cmdline"] or [])]


def test_bench_smoke_writes_every_key_and_stops_its_embedded_postgres(tmp_path) -> None:
    """On the embedded default (always, so both CI runs check it) the bench starts PostgreSQL in a
    temporary folder; it must stop it before the folder is deleted."""
    out = tmp_path / "bench.json"
    # the bench's temporary folder goes here (TMPDIR), so its postgres can be found; outside pytest's
    # base temp, which a concurrent pytest session resets to 0700 (out of reach of pgserver's user)
    work = Path(tempfile.mkdtemp(prefix="gongzhi-bench-test-"))
    env = {k: v for k, v in os.environ.items() if k not in ("GONGZHI_SECRET", "GONGZHI_DATABASE_URL")}
    env["TMPDIR"] = str(work)
    try:
        result = subprocess.run([sys.executable, "-m", "backend", "bench", "--tiny", "--json", str(out)], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=600)
        left = postgres_under(work)
        assert left == [], "the bench left its embedded PostgreSQL running"
    finally:
        for process in postgres_under(work):
            process.terminate()
        shutil.rmtree(work, ignore_errors=True)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert set(figures) == set(KEYS)
    for section, keys in KEYS.items():
        assert keys <= set(figures[section]), (section, figures[section])
        assert all(isinstance(figures[section][k], (int, float)) for k in keys - {"first_usable_ms"})
    assert figures["append"]["events_per_s"] > 0 and figures["rebuild"]["events"] >= 800
    fanout = figures["fanout"]
    assert fanout["subscribers"] == fanout["distinct_tokens"] == 5, fanout  # one token each, no shared execution
    assert fanout["exact"] is True and fanout["delivered"] == fanout["expected"] > 0, fanout
    assert set(fanout["by_kind"]) == {"committee", "street", "auditor", "integrator"}, fanout
    assert figures["command_http"]["bare_commands_per_s"] > 0 and figures["rebuild"]["raw_pass_events_per_s"] > 0
    check_peer(figures["query"])
    check_scale(figures["scale"])
    frontend = figures["frontend"]
    assert frontend["first_load_gzip_kb"] > 0 and frontend["first_load_files"], frontend
    repeat = frontend["idempotent_repeat"]
    assert REPEAT_KEYS <= set(repeat) and all(isinstance(repeat[k], (int, float)) and repeat[k] > 0
                                              for k in REPEAT_KEYS), repeat
    assert repeat["repeat_appended"] == 0 and repeat["repeats"] > 0  # repeats answered, nothing appended
    # Measured in Debian's chromium where there is one (./test installs it); never a made-up figure where there is not
    if CHROMIUM.exists():
        assert frontend["first_usable_ms"] > 0 and len(frontend["first_usable_runs_ms"]) == 1, frontend
        assert frontend["first_usable_waterfall"][-1][0] == "usable"
    else:
        assert frontend["first_usable_ms"] is None and frontend["first_usable_note"], frontend


def check_peer(query: dict) -> None:
    """PostGraphile beside the query where Node.js is (its answer checked equal before it is timed); where not,
    the reason in `peer` and no figure."""
    peer = query["peer"]
    if shutil.which("node") is None:
        assert peer == "skipped: no node" and "peer_rps" not in query, query
    elif peer.startswith("skipped:"):  # npm could not install it (no registry): said so
        assert "npm" in peer and "peer_rps" not in query, query
    else:
        assert peer.startswith("postgraphile 4."), query
        assert query["peer_rps"] > 0 and query["peer_p50_ms"] > 0 and query["peer_ratio"] > 0, query


def check_scale(scale: dict) -> None:
    """Each figure of `scale` measured where this checkout has its roles (and NATS answers, for the relay); a
    missing one is "not available: <why>"."""
    from bench.scale import missing_role

    def absent(value: object) -> bool:
        return isinstance(value, str) and value.startswith("not available: ")

    workers = missing_role("serve", needle="--workers") or missing_role("projector")
    for key, figure in (("command_http", "commands_per_s"), ("query", "rps")):
        if workers:
            assert absent(scale[key]), scale
        else:
            assert all(scale[key][f"workers_{n}"][figure] > 0 for n in (1, 2)) and scale[key]["speedup"] > 0, scale
    if missing_role("projector"):
        assert absent(scale["takeover_s"]), scale
    else:
        assert 0 < scale["takeover_s"] < 60 and len(scale["takeover_runs_s"]) == 1, scale
    if missing_role("relay") or "no NATS server" in str(scale["relay_ratio"]):
        assert absent(scale["relay_ratio"]), scale
    else:
        assert scale["relay_ratio"] > 0 and scale["relay_events_per_s"] > 0 and scale["raw_publish_per_s"] > 0, scale


async def test_first_load_counts_the_entry_and_its_static_imports_not_lazy_chunks(tmp_path: Path) -> None:
    """The first-load measure (bench/run.py) follows index.html's script, stylesheet and modulepreload tags and the
    scripts' static imports (Vite's shared chunks, an import cycle included), and leaves out what loads on demand
    (import()); each file counted once, gzipped."""
    import gzip
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from bench.run import STATIC_IMPORT, first_load

    assets = tmp_path / "app" / "assets"
    assets.mkdir(parents=True)
    (tmp_path / "app" / "index.html").write_text(
        '<!doctype html><link rel="stylesheet" href="/app/assets/s.css">'
        '<link rel="modulepreload" href="/app/assets/pre.js"><script type="module" src="/app/assets/entry.js"></script>')
    files = {"entry.js": 'import{a as b}from"./vendor.js";import"./side.js";const l=()=>import("./lazy.js");b(l);',
             "vendor.js": 'import{x}from"./entry.js";export const a=()=>x;' + "v" * 3000,
             "side.js": "console.log(1)", "pre.js": "export const p=1", "s.css": "body{margin:0}",
             "lazy.js": "export default 1;" + "z" * 9000}
    for name, text in files.items():
        (assets / name).write_text(text)
    assert STATIC_IMPORT.findall(files["entry.js"]) == ["./vendor.js", "./side.js"]

    class Handler(SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            return super().translate_path("/app/index.html" if path == "/app" else path)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        figures = await first_load(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
    counted = {f"/app/assets/{name}" for name in ("entry.js", "vendor.js", "side.js", "pre.js", "s.css")}
    assert set(figures["first_load_files"]) == counted
    gz = sum(len(gzip.compress(files[name.rsplit("/", 1)[1]].encode(), 9)) for name in counted)
    assert figures["first_load_gzip_kb"] == round(gz / 1024, 1)
    assert figures["first_load_raw_kb"] == round(sum(len(files[n.rsplit("/", 1)[1]]) for n in counted) / 1024, 1)
