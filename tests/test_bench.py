"""The benchmark is not part of the test run; this only checks that it starts, runs every
phase on a token load, and writes every key of its JSON."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.harness import ROOT

KEYS = {
    "append": {"events_per_s", "p50_ms", "p99_ms", "raw_insert_per_s", "ratio"},
    "command_http": {"commands_per_s", "p50_ms", "p99_ms"},
    "query": {"rps", "p50_ms", "p99_ms", "bare_rps", "ratio"},
    "rebuild": {"events_per_s", "raw_scan_rows_per_s", "ratio", "events"},
    "fanout": {"subscribers", "p50_ms", "p99_ms", "peak_rss_mb"},
    "growth": {"events", "append_events_per_s", "query_p50_ms", "small_append_events_per_s", "small_query_p50_ms"},
}


def test_bench_smoke_writes_every_key(tmp_path) -> None:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if k != "GONGZHI_SECRET"}
    result = subprocess.run([sys.executable, "-m", "backend", "bench", "--tiny", "--json", str(out)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert set(figures) == set(KEYS)
    for section, keys in KEYS.items():
        assert keys <= set(figures[section]), (section, figures[section])
        assert all(isinstance(figures[section][k], (int, float)) for k in keys)
    assert figures["append"]["events_per_s"] > 0 and figures["rebuild"]["events"] >= 800
    assert figures["fanout"]["subscribers"] == 5
