"""`gongzhi bench`: starts its own database and server, loads data through the real commands,
and measures each hot path beside its physical baseline in the same run."""
from __future__ import annotations

import asyncio
import gzip
import json
import os
import platform as host
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import asyncpg
import httpx
import orjson
from rich.console import Console
from rich.table import Table

from backend import bootstrap, config
from backend.api.auth import issue
from backend.domain.access import Actor, Role
from backend.domain.errors import RuleRefusal
from backend.domain.stamp import Stamp
from bench import bare as bare_routes
from bench import fanout, peer, scale
from bench.common import (
    ACTIVITY,
    DISTRICT,
    SECRET,
    TASKS_QUERY,
    Process,
    command_mix,
    connect_retrying,
    console,
    env_for,
    free_port,
    fresh_database,
    headroom,
    ms,
    percentile,
    python,
    rps,
    single_client_latency,
    stamp,
    stopping_embedded,
    too_many_clients,
)

SECTIONS = ("append", "command_http", "query", "rebuild", "fanout", "growth", "frontend", "storage", "scale")


@dataclass(frozen=True)
class Sizes:
    seconds: float  # how long each throughput phase runs
    query_rows: int
    rebuild_events: int
    subscribers: int
    growth_events: int
    fanout_mutations: int
    relay_events: int  # the loaded log's events the relay publishes (scale)
    takeovers: int  # projector holders killed in turn (scale)

    @classmethod
    def pick(cls, quick: bool, tiny: bool = False) -> Sizes:
        if tiny:  # for the smoke test: every phase runs, briefly
            return cls(seconds=1, query_rows=100, rebuild_events=800, subscribers=5, growth_events=1_000,
                       fanout_mutations=3, relay_events=500, takeovers=1)
        if quick:
            return cls(seconds=5, query_rows=5_000, rebuild_events=20_000, subscribers=200, growth_events=50_000,
                       fanout_mutations=20, relay_events=20_000, takeovers=2)
        return cls(seconds=20, query_rows=5_000, rebuild_events=200_000, subscribers=1_000,
                   growth_events=1_000_000, fanout_mutations=50, relay_events=100_000, takeovers=3)


# -- loading through the real commands -------------------------------------------------------
async def register_communities(p: bootstrap.Platform, count: int) -> list[str]:
    office = stamp(Role.ADMIN, "")
    codes = [f"{DISTRICT}{street:03d}{n:03d}" for street in range(1, 5) for n in range(1, count // 4 + 2)][:count]
    items = [{"code": "AG-01", "title": "协助人口普查", "list": "ASSIST_GOVERNMENT"}]
    for code in codes:
        await p.commands.run(p.app.register_community, office, code, f"社区{code[-3:]}", "URBAN")
        await p.commands.run(p.app.publish_duty_list, office, code, items)
    return codes


async def load(p: bootstrap.Platform, codes: list[str], events: int, writers: int = 32,
               label: str = "loading") -> None:
    """Append about `events` events through the application's commands, in the grown mix of issue 9: per ten
    commands, five activities and one each of a delegation on the list, a delegation refused off the list (P1), a
    signboard refused (P6), a paper ledger demanded (P9) and a use of the seal (P10). Inspections (P8) stay out of
    the bulk: each counts in its community's quarter stream, which holds tens of events in life, and tens of
    thousands of them in one stream would measure loading a stream, not a store's growth."""
    remaining = [events]
    now = datetime.now(UTC)

    async def writer(n: int) -> None:
        code = codes[n % len(codes)]
        committee = stamp(Role.COMMITTEE, code, f"committee-{code}")
        department = Stamp(Actor("bench-dept", Role.DEPARTMENT, DISTRICT, "区城市管理局"), "bench")
        step = n
        while remaining[0] > 0:
            remaining[0] -= 1
            step += 1
            kind = step % 10
            try:
                if kind < 5:
                    await p.commands.run(p.app.record_activity, committee, code, "志愿服务", None, now, 10,
                                         [{"volunteer_id": "v1", "hours": 1.0}])
                elif kind == 5:
                    await p.commands.run(p.app.delegate_task, department, code, "人口普查入户登记", "区统计局", "AG-01")
                elif kind == 6:
                    await p.commands.run(p.app.delegate_task, department, code, "招商引资任务", "区商务局")
                elif kind == 7:
                    await p.commands.run(p.app.hang_signboard, department, community_code=code, kind="OTHER",
                                         text="城市管理工作站")
                elif kind == 8:
                    await p.commands.run(p.app.record_ledger_demand, committee, community_code=code,
                                         department="区卫生健康委", ledger="爱国卫生工作台账", pages=20, demanded_at=now)
                else:
                    await p.commands.run(p.app.use_seal, committee, community_code=code, purpose="居民会议决议",
                                         kind="SELF_GOVERNANCE", document="决议")
            except RuleRefusal:
                pass  # refused, and the refusal recorded: one event like any other

    started = time.perf_counter()
    task = asyncio.gather(*(writer(n) for n in range(writers)))
    while not task.done():
        await asyncio.sleep(5)
        if not task.done():
            done = events - max(remaining[0], 0)
            console.print(f"  {label}: {done}/{events} events ({done / (time.perf_counter() - started):.0f}/s)")
    await task


# -- append --------------------------------------------------------------------------------------
async def bench_append(p: bootstrap.Platform, codes: list[str], seconds: float, writers: int = 32,
                       baseline: bool = True) -> dict[str, Any]:
    """Appends by `writers` concurrent commands; with `baseline`, beside raw INSERTs, the two measured by turns (ours
    half the time, raw half, ours, raw), so that neither gets the quieter half of the machine's day."""
    if baseline:
        first, raw_first = await bench_append(p, codes, seconds / 2, writers, False), await raw_inserts(
            p, seconds / 2, writers)
        second, raw_second = await bench_append(p, codes, seconds / 2, writers, False), await raw_inserts(
            p, seconds / 2, writers)
        events = first["events"] + second["events"]
        events_per_s = events / (first["elapsed_s"] + second["elapsed_s"])
        raw = (raw_first + raw_second) / 2
        latencies = first["latencies"] + second["latencies"]
        # every appended event was hashed in its transaction by the leaf trigger (backend/audit/log.py): always on
        hashed = await p.audit.size() == await stored(p)
        return {"events_per_s": round(events_per_s, 1), "p50_ms": ms(percentile(latencies, 50)),
                "p99_ms": ms(percentile(latencies, 99)), "raw_insert_per_s": round(raw, 1),
                "ratio": round(events_per_s / raw, 3), "writers": writers, "events": events,
                "leaf_hashed": hashed, "halves": [round(first["events_per_s"] / raw_first, 3),
                                                   round(second["events_per_s"] / raw_second, 3)]}
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds
    now = datetime.now(UTC)

    async def writer(n: int) -> None:
        code = codes[n % len(codes)]
        by = stamp(Role.COMMITTEE, code, f"committee-{code}")
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            await p.commands.run(p.app.record_activity, by, code, "议事协商", None, now, 5, [])
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(writer(n) for n in range(writers)))
    elapsed = time.perf_counter() - started
    return {"events_per_s": round(len(latencies) / elapsed, 1), "p50_ms": ms(percentile(latencies, 50)),
            "p99_ms": ms(percentile(latencies, 99)), "events": len(latencies), "elapsed_s": elapsed,
            "latencies": latencies}


async def raw_inserts(p: bootstrap.Platform, seconds: float, writers: int) -> float:
    """The same rows (a stored event's columns and a typical state) inserted by 32 asyncpg
    connections, one committed INSERT each, into a table shaped like the events table."""
    async with p.pool.acquire() as conn:
        state = await conn.fetchval(f"SELECT state FROM {p.events.table} ORDER BY notification_id DESC LIMIT 1")
        topic = await conn.fetchval(f"SELECT topic FROM {p.events.table} ORDER BY notification_id DESC LIMIT 1")
        await conn.execute("DROP TABLE IF EXISTS bench_raw_events")
        await conn.execute("CREATE TABLE bench_raw_events (originator_id uuid NOT NULL, originator_version bigint"
                           " NOT NULL, topic text, state bytea, notification_id bigserial,"
                           " PRIMARY KEY (originator_id, originator_version))")
        await conn.execute("CREATE UNIQUE INDEX ON bench_raw_events (notification_id)")
    count = [0]
    # connected before the clock starts (on the shared server a connection may have to wait for a free slot)
    conns = [await connect_retrying(p.database_url) for _ in range(writers)]
    stop_at = time.perf_counter() + seconds

    async def writer(conn: asyncpg.Connection) -> None:
        while time.perf_counter() < stop_at:
            await conn.execute("INSERT INTO bench_raw_events (originator_id, originator_version, topic, state)"
                               " VALUES ($1, 1, $2, $3)", uuid.uuid4(), topic, state)
            count[0] += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(writer(conn) for conn in conns))
        elapsed = time.perf_counter() - started
    finally:
        for conn in conns:
            await conn.close()
    async with p.pool.acquire() as conn:
        await conn.execute("DROP TABLE bench_raw_events")
    return count[0] / elapsed


# -- commands over HTTP ---------------------------------------------------------------------------
async def bench_command_http(p: bootstrap.Platform, url: str, codes: list[str], seconds: float, env: dict[str, str],
                             work: Path, clients: int = 64) -> dict[str, Any]:
    """The mix from `clients` clients through Gongzhi and through the bare command route (bench/bare.py), by
    turns (ours half the time, bare half, ours, bare), the same client code for both. The bare route's table is
    copied from the store after ours' first half (so that it holds a stored event of every type of the mix) and
    dropped after the last."""
    ours = [await command_mix(url, codes, seconds / 2, clients)]
    async with p.pool.acquire() as conn:
        for statement in bare_routes.prepare_sql(p.events.table):
            await conn.execute(statement)
        copied = await conn.fetchval(f"SELECT max(notification_id) FROM {bare_routes.BARE_EVENTS}")
    port = free_port()
    baseline = Process(python("-m", "bench.bare", "command", str(port)), env, port, work / "bare-command.log")
    try:
        await baseline.ready("/graphql")  # 405 to a GET: up
        bare_url = f"http://127.0.0.1:{port}/graphql"
        bare = [await command_mix(bare_url, codes, seconds / 2, clients)]
        ours.append(await command_mix(url, codes, seconds / 2, clients))
        bare.append(await command_mix(bare_url, codes, seconds / 2, clients))
        # each command of the mix, and each campaign opened first, is one event row: the route did its work
        appended = await p.pool.fetchval(f"SELECT count(*) FROM {bare_routes.BARE_EVENTS} WHERE notification_id > $1",
                                         copied)
        if appended != sum(len(lat) for lat, _ in bare) + 2 * len(codes):
            raise RuntimeError(f"the bare route appended {appended} rows for {sum(len(lat) for lat, _ in bare)}"
                               " commands")
    finally:
        baseline.stop()
        async with p.pool.acquire() as conn:
            await conn.execute(f"DROP TABLE IF EXISTS {bare_routes.BARE_EVENTS}, {bare_routes.BARE_BOX}")

    def figures(runs: list[tuple[list[float], float]]) -> tuple[float, list[float]]:
        latencies = [x for lat, _ in runs for x in lat]
        return len(latencies) / sum(t for _, t in runs), latencies

    rate, latencies = figures(ours)
    bare_rate, bare_latencies = figures(bare)
    return {"commands_per_s": round(rate, 1), "p50_ms": ms(percentile(latencies, 50)),
            "p99_ms": ms(percentile(latencies, 99)), "bare_commands_per_s": round(bare_rate, 1),
            "bare_p50_ms": ms(percentile(bare_latencies, 50)), "bare_p99_ms": ms(percentile(bare_latencies, 99)),
            "ratio": round(rate / bare_rate, 3), "clients": clients, "commands": len(latencies),
            "halves": [round(len(o[0]) / o[1] / (len(b[0]) / b[1]), 3) for o, b in zip(ours, bare, strict=True)]}


# -- queries ---------------------------------------------------------------------------------------
async def settle(p: bootstrap.Platform) -> None:
    """Before a measure that reads loaded tables: a CHECKPOINT (PostgreSQL flushes what the appends left dirty now,
    not during the measure) and VACUUM ANALYZE (fresh planner statistics and visibility maps: the service here runs
    without autovacuum, and on stale statistics the planner sorted all 5,000 tasks on every request)."""
    async with p.pool.acquire() as conn:
        try:
            await conn.execute("CHECKPOINT")
        except asyncpg.InsufficientPrivilegeError:
            pass
        await conn.execute("VACUUM (ANALYZE)")


async def bench_query(p: bootstrap.Platform, url: str, bare_url: str, scope: str, seconds: float,
                      work: Path) -> dict[str, Any]:
    """`tasks(scope, first: 50)` from 16 clients beside the bare route and, where Node.js is present, PostGraphile 4
    on the same table (bench/peer.py), all by turns, the answers checked equal first."""
    headers = {"Authorization": f"Bearer {issue(SECRET, 'auditor', Role.AUDITOR, DISTRICT)}"}
    body = {"query": TASKS_QUERY, "variables": {"scope": scope}}
    script, peer_version = peer.install()
    peer_process = None
    try:
        if script is not None:
            async with p.pool.acquire() as conn:
                for statement in peer.PREPARE_SQL:
                    await conn.execute(statement)
            port = free_port()
            peer_process = peer.start(script, p.database_url, port, work / "postgraphile.log")
            await peer_process.ready("/graphql")
        return await _query_by_turns(url, bare_url, headers, body, scope, seconds, peer_process, peer_version)
    finally:
        if peer_process is not None:
            peer_process.stop()
        async with p.pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA IF EXISTS {peer.SCHEMA} CASCADE")


async def _query_by_turns(url: str, bare_url: str, headers: dict[str, str], body: dict[str, Any], scope: str,
                          seconds: float, peer_process: Process | None, peer_version: str) -> dict[str, Any]:
    peer_url = f"http://127.0.0.1:{peer_process.port}/graphql" if peer_process else None
    async with httpx.AsyncClient(timeout=30) as http:
        ours_json = (await http.post(url, json=body, headers=headers)).json()
        bare = (await http.post(bare_url, json=body)).json()
        if ours_json != bare:
            raise RuntimeError("the bare route does not return the same JSON as the GraphQL query")
        if peer_url:
            differs = peer.difference(ours_json, (await http.post(peer_url, json=peer.body(scope))).json())
            if differs:
                raise RuntimeError(f"PostGraphile's answer is not Gongzhi's: {differs}")
    await single_client_latency(url, headers, body, 30)  # warm up
    await single_client_latency(bare_url, {}, body, 30)
    latencies = await single_client_latency(url, headers, body)
    peer_latencies = []
    if peer_url:
        await single_client_latency(peer_url, {}, peer.body(scope), 30)
        peer_latencies = await single_client_latency(peer_url, {}, peer.body(scope))
    # by turns, half the time each, so that none gets the quieter half (a write-heavy phase before this one
    # leaves PostgreSQL flushing for a while)
    ours_rps: list[float] = []
    bare_rps: list[float] = []
    peer_rps: list[float] = []
    for _ in range(2):
        ours_rps.append(await rps(url, headers, body, seconds / 2, 16))
        bare_rps.append(await rps(bare_url, {}, body, seconds / 2, 16))
        if peer_url:
            peer_rps.append(await rps(peer_url, {}, peer.body(scope), seconds / 2, 16))
    ours, bare_mean = sum(ours_rps) / 2, sum(bare_rps) / 2
    figures: dict[str, Any] = {
        "rps": round(ours, 1), "p50_ms": ms(percentile(latencies, 50)), "p99_ms": ms(percentile(latencies, 99)),
        "bare_rps": round(bare_mean, 1), "ratio": round(ours / bare_mean, 3), "clients": 16,
        "rows": ours_json["data"]["tasks"]["totalCount"],
        "halves": [round(o / b, 3) for o, b in zip(ours_rps, bare_rps, strict=True)], "peer": peer_version}
    if peer_url:
        peer_mean = sum(peer_rps) / 2
        figures |= {"peer_rps": round(peer_mean, 1), "peer_p50_ms": ms(percentile(peer_latencies, 50)),
                    "peer_p99_ms": ms(percentile(peer_latencies, 99)), "peer_ratio": round(ours / peer_mean, 3),
                    "peer_halves": [round(o / q, 3) for o, q in zip(ours_rps, peer_rps, strict=True)]}
    return figures


# -- rebuild ----------------------------------------------------------------------------------------
RAW_MODELS = {"Task": "bench_raw_tasks", "Activity": "bench_raw_activities", "": "bench_raw_other"}
RAW_COLUMNS = ("position", "id", "version", "community_code", "type", "title", "at")


async def bench_rebuild(p: bootstrap.Platform) -> dict[str, Any]:
    started = time.perf_counter()
    events = await p.projections.rebuild()
    elapsed = time.perf_counter() - started
    t0 = time.perf_counter()
    rows = 0
    async with p.pool.acquire() as conn, conn.transaction():
        async for _ in conn.cursor(f"SELECT notification_id, originator_id, originator_version, topic, state"
                                   f" FROM {p.events.table} ORDER BY notification_id", prefetch=1000):
            rows += 1
    scan = rows / (time.perf_counter() - t0)
    rate, raw = events / elapsed, await raw_pass(p, events)
    return {"events_per_s": round(rate, 1), "raw_scan_rows_per_s": round(scan, 1),
            "ratio": round(rate / scan, 4), "raw_pass_events_per_s": round(raw, 1),
            "raw_pass_ratio": round(rate / raw, 3), "events": events}


async def raw_pass(p: bootstrap.Platform, events: int, chunk: int = 2000) -> float:
    """What a rebuild does at its physical minimum, in events/s: the first `events` rows of the log scanned in
    order, each stored state decoded by orjson, and one row per event COPYed into tables shaped like the read
    models (an entity's id and version, its community, its type, a title, a time; keyed by position), in one
    transaction that creates the tables, as a rebuild loads into copies of its own. Tasks, activities and the
    rest go to three tables, as events go to their read models."""
    ddl = ("(position bigint PRIMARY KEY, id uuid NOT NULL, version int NOT NULL, community_code text,"
           " type text NOT NULL, title text, at timestamptz)")
    started = time.perf_counter()
    async with p.pool.acquire() as conn:
        async with conn.transaction():
            for table in RAW_MODELS.values():
                await conn.execute(f"CREATE TABLE {table} {ddl}")
            cursor = await conn.cursor(f"SELECT notification_id, originator_id, originator_version, topic, state"
                                       f" FROM {p.events.table} ORDER BY notification_id LIMIT $1", events)
            while batch := await cursor.fetch(chunk):
                tables: dict[str, list[tuple[Any, ...]]] = {table: [] for table in RAW_MODELS.values()}
                for position, entity, version, topic, state in batch:
                    data = orjson.loads(state)
                    aggregate, _, kind = topic.rpartition(":")[2].partition(".")
                    moment = data.get("timestamp")
                    at = datetime.fromisoformat(moment["_data_"]) if isinstance(moment, dict) else None
                    title = data.get("title")
                    tables[RAW_MODELS.get(aggregate, RAW_MODELS[""])].append(
                        (position, entity, version, data.get("community_code"), kind,
                         title if isinstance(title, str) else None, at))
                for table, records in tables.items():
                    if records:
                        await conn.copy_records_to_table(table, records=records, columns=RAW_COLUMNS)
        elapsed = time.perf_counter() - started
        await conn.execute(f"DROP TABLE {', '.join(RAW_MODELS.values())}")
    return events / elapsed


# -- frontend -------------------------------------------------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")
FIRST_LOAD_BUDGET_KB = 150
FIRST_USABLE_BUDGET_MS = 3000
# Chrome DevTools' "Fast 3G" preset (Fast3GConditions in devtools-frontend's NetworkManager; frontend-spec/budgets.md):
# 562.5 ms latency, 1.44 Mbit/s down (180,000 bytes/s), 0.675 Mbit/s up (84,375 bytes/s); with a 4x CPU slowdown,
# DevTools' "mid-tier mobile".
FAST_3G = {"offline": False, "latency": 562.5, "downloadThroughput": 1_600_000 / 8 * 0.9,
           "uploadThroughput": 750_000 / 8 * 0.9}
CPU_SLOWDOWN = 4
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
         "locale": "zh-CN"}
# Set before the app's scripts run (an init script goes through the DevTools protocol, not the page's CSP): the time
# since navigation start (performance.now()) at which the inbox's first task link is first in the layout.
USABLE_PROBE = """(() => {
  const seen = () => {
    const link = document.querySelector('a[data-task]');
    if (!link) return false;
    const box = link.getBoundingClientRect();
    if (box.width > 0 && box.height > 0 && window.__firstUsable === undefined) window.__firstUsable = performance.now();
    return window.__firstUsable !== undefined;
  };
  if (!seen()) new MutationObserver((_, watcher) => { if (seen()) watcher.disconnect(); })
    .observe(document, { childList: true, subtree: true, attributes: true });
})();"""
# What the page fetched before it was usable, in ms from navigation start (the median run's, in the JSON): where the
# time goes (each round trip costs Fast 3G's 562.5 ms).
WATERFALL = """(() => {
  const rows = [["document", 0, Math.round(performance.getEntriesByType('navigation')[0].responseEnd)]];
  for (const r of performance.getEntriesByType('resource'))
    if (r.startTime < window.__firstUsable)
      rows.push([new URL(r.name).pathname + ' (' + r.initiatorType + ')', Math.round(r.startTime),
                 Math.round(r.responseEnd)]);
  rows.push(["usable", Math.round(window.__firstUsable), Math.round(window.__firstUsable)]);
  return rows;
})()"""
STATIC_IMPORT = re.compile(r"""(?:^|[;}\s)])(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^"']+\.(?:js|css))["']""")


async def first_load(base: str) -> dict[str, Any]:
    """The JS and CSS that /app's index.html loads before its first screen: its script and stylesheet (and
    modulepreload) tags, and the static imports of those scripts, followed to the end (dynamic import() chunks load
    later and are not counted); each file gzipped at level 9 (the budget's measure), beside the bytes the server
    actually sent for them (it compresses or not)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        page = await http.get("/app")
        page.raise_for_status()
        wanted = re.findall(r"""<script\b[^>]*\bsrc=["']([^"']+)["']""", page.text)
        wanted += [href for tag in re.findall(r"<link\b[^>]*>", page.text)
                   if re.search(r"""\brel=["'](?:stylesheet|modulepreload)["']""", tag)
                   for href in re.findall(r"""\bhref=["']([^"']+)["']""", tag)]
        seen: dict[str, bytes] = {}
        wire = 0  # bytes as served to a client that accepts gzip (the server may or may not compress)
        while wanted:
            url = urljoin(f"{base}/app/", wanted.pop(0))
            path = urlsplit(url).path
            if path in seen:
                continue
            response = await http.get(path)
            response.raise_for_status()
            seen[path] = response.content
            wire += response.num_bytes_downloaded
            if path.endswith(".js"):
                wanted += [urljoin(url, target) for target in STATIC_IMPORT.findall(response.text)]
    gzipped = {path: len(gzip.compress(body, 9)) for path, body in seen.items()}
    return {"first_load_gzip_kb": round(sum(gzipped.values()) / 1024, 1), "first_load_budget_kb": FIRST_LOAD_BUDGET_KB,
            "first_load_raw_kb": round(sum(len(b) for b in seen.values()) / 1024, 1),
            "first_load_served_kb": round(wire / 1024, 1),
            "first_load_files": {path: round(size / 1024, 1) for path, size in sorted(gzipped.items())}}


async def first_usable(base: str, token: str, runs: int) -> dict[str, Any]:
    """From navigation start to the committee's inbox usable (its first task link laid out), in Debian's chromium at
    390x844 with a 4x CPU slowdown and Fast 3G, each run in a new context (an empty cache, no service worker),
    opened by a sign-in link; the median of the runs. None, with the reason, where it cannot be measured."""
    figures: dict[str, Any] = {"first_usable_ms": None, "first_usable_budget_ms": FIRST_USABLE_BUDGET_MS,
                               "first_usable_runs_ms": [], "first_usable_note": "",
                               "emulation": f"{CPU_SLOWDOWN}x CPU slowdown; Fast 3G: latency 562.5 ms, down 180,000 B/s,"
                                            " up 84,375 B/s; 390x844, empty cache"}
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        figures["first_usable_note"] = "not measured: Playwright (a test extra) is not installed"
        return figures
    if not CHROMIUM.exists():
        figures["first_usable_note"] = f"not measured: {CHROMIUM} is missing (apt-get install chromium)"
        return figures
    waterfalls = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        try:
            for _ in range(runs):
                context = await browser.new_context(**PHONE)
                await context.add_init_script(USABLE_PROBE)
                page = await context.new_page()
                cdp = await context.new_cdp_session(page)
                await cdp.send("Network.enable")
                await cdp.send("Network.emulateNetworkConditions", FAST_3G)
                await cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
                await page.goto(f"{base}/app#token={token}", wait_until="commit", timeout=60_000)
                # Polled from here: wait_for_function evaluates its predicate in the page, which /app's CSP (no
                # 'unsafe-eval') refuses; the time itself was taken in the page by the probe.
                usable = None
                for _ in range(600):
                    if (usable := await page.evaluate("window.__firstUsable")) is not None:
                        break
                    await asyncio.sleep(0.1)
                if usable is None:
                    raise RuntimeError("the committee's inbox showed no task within 60 s")
                figures["first_usable_runs_ms"].append(round(usable, 1))
                waterfalls.append(await page.evaluate(WATERFALL))
                await context.close()
        finally:
            await browser.close()
    figures["first_usable_ms"] = statistics.median(figures["first_usable_runs_ms"])
    median_run = sorted(range(runs), key=lambda n: figures["first_usable_runs_ms"][n])[runs // 2]
    figures["first_usable_waterfall"] = waterfalls[median_run]
    return figures


async def idempotent_repeat(url: str, p: bootstrap.Platform, code: str, seconds: float,
                            clients: int = 16) -> dict[str, Any]:
    """The API's cost of a repeat: `clients` clients send recordActivity over HTTP for `seconds`, first each a new
    command (no key), then each the repeat of a keyed command it has already had answered (the same key, the same
    variables: the server answers from its record). Each repeat is checked to answer the first receipt, and the log
    to have grown by nothing."""
    committee = issue(SECRET, f"committee-{code}", Role.COMMITTEE, code)
    body = {"query": ACTIVITY, "variables": {"i": {"communityCode": code, "title": "重复", "participants": 2,
                                                   "heldAt": datetime.now(UTC).isoformat()}}}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients),
                                     timeout=aiohttp.ClientTimeout(total=60)) as http:
        async def send(headers: dict[str, str]) -> int:
            async with http.post(url, json=body, headers=headers) as response:
                data = await response.json()
            if data.get("errors"):
                raise RuntimeError(data["errors"])
            return data["data"]["recordActivity"]["receipt"]["position"]

        async def measure(keyed: bool) -> tuple[list[float], float, int]:
            latencies: list[float] = []
            headers = [{"Authorization": f"Bearer {committee}"} for _ in range(clients)]
            answered = []
            if keyed:
                for h in headers:
                    h["Idempotency-Key"] = f"bench-{uuid.uuid4()}"
                answered = [await send(h) for h in headers]
            before = await stored(p)
            stop_at = time.perf_counter() + seconds

            async def client(n: int) -> None:
                while time.perf_counter() < stop_at:
                    t0 = time.perf_counter()
                    position = await send(headers[n])
                    latencies.append(time.perf_counter() - t0)
                    if keyed and position != answered[n]:
                        raise RuntimeError("a repeat did not answer its first receipt")
            started = time.perf_counter()
            await asyncio.gather(*(client(n) for n in range(clients)))
            return latencies, time.perf_counter() - started, await stored(p) - before

        plain, plain_s, plain_appended = await measure(False)
        repeat, repeat_s, repeat_appended = await measure(True)
    if plain_appended != len(plain) or repeat_appended != 0:
        raise RuntimeError(f"appended {plain_appended} for {len(plain)} commands and {repeat_appended} for repeats")
    plain_rate, repeat_rate = len(plain) / plain_s, len(repeat) / repeat_s
    return {"plain_commands_per_s": round(plain_rate, 1), "plain_p50_ms": ms(percentile(plain, 50)),
            "plain_p99_ms": ms(percentile(plain, 99)), "repeat_commands_per_s": round(repeat_rate, 1),
            "repeat_p50_ms": ms(percentile(repeat, 50)), "repeat_p99_ms": ms(percentile(repeat, 99)),
            "ratio": round(repeat_rate / plain_rate, 3), "clients": clients, "plain_commands": len(plain),
            "repeats": len(repeat), "repeat_appended": repeat_appended}


async def bench_frontend(gql: str, p: bootstrap.Platform, inbox_code: str, code: str, seconds: float,
                         runs: int) -> dict[str, Any]:
    base = gql.removesuffix("/graphql")
    committee = issue(SECRET, f"committee-{inbox_code}", Role.COMMITTEE, inbox_code)
    return (await first_load(base) | await first_usable(base, committee, runs)
            | {"idempotent_repeat": await idempotent_repeat(gql, p, code, seconds)})


# -- growth ------------------------------------------------------------------------------------------
async def query_p50(url: str, scope: str) -> float:
    headers = {"Authorization": f"Bearer {issue(SECRET, 'auditor', Role.AUDITOR, DISTRICT)}"}
    samples = await single_client_latency(url, headers, {"query": TASKS_QUERY, "variables": {"scope": scope}}, 200)
    return ms(percentile(samples, 50))


# -- storage ------------------------------------------------------------------------------------------
AUDIT_TABLES = ("gongzhi_leaves", "gongzhi_tiles", "gongzhi_checkpoints")


async def bench_storage(p: bootstrap.Platform) -> dict[str, Any]:
    """What an event costs on disk, from this run's store (after VACUUM ANALYZE): the events table with its indexes
    and TOAST (pg_total_relation_size), the verifiable log's leaves, tiles and checkpoints, and the whole database
    (the read models, the ballot box, the keys, the catalogs), each divided by the events stored. The inputs of
    infra/CAPACITY.md's storage figures."""
    await settle(p)
    count = await stored(p)
    async with p.pool.acquire() as conn:
        events = await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", p.events.table)
        # the events table's heap (with its TOAST) and its indexes apart: the indexes are what must stay in memory
        indexes = await conn.fetchval("SELECT pg_indexes_size($1::regclass)", p.events.table)
        audit = sum([await conn.fetchval("SELECT coalesce(pg_total_relation_size(to_regclass($1)), 0)", t)
                     for t in AUDIT_TABLES])
        whole = await conn.fetchval("SELECT pg_database_size(current_database())")
        state = await conn.fetchval(f"SELECT avg(octet_length(state)) FROM {p.events.table}")
    return {"events": count, "events_bytes_per_event": round(events / count, 1),
            "events_index_bytes_per_event": round(indexes / count, 1),
            "events_heap_bytes_per_event": round((events - indexes) / count, 1),
            "audit_bytes_per_event": round(audit / count, 1),
            "read_models_bytes_per_event": round((whole - events - audit) / count, 1),
            "database_bytes_per_event": round(whole / count, 1), "state_mean_bytes": round(float(state), 1),
            "database_mb": round(whole / 2**20, 1)}


# -- the run -----------------------------------------------------------------------------------------
async def main(quick: bool, json_path: Path | None, tiny: bool = False,
               only: frozenset[str] | None = None) -> dict[str, Any]:
    """Every measure in SECTIONS, or those in `only` (with what they need: growth takes the small store's figures
    from the append and query phases, which then run without their baselines)."""
    sizes = Sizes.pick(quick, tiny)
    unknown = (only or frozenset()) - set(SECTIONS)
    if unknown:
        raise ValueError(f"no such measure: {sorted(unknown)} (the measures: {', '.join(SECTIONS)})")

    def want(section: str) -> bool:
        return only is None or section in only

    results: dict[str, Any] = {}  # the issue's measures and the app's (the machine goes in the table's title)
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-") as tmp, stopping_embedded(Path(tmp)):
        work = Path(tmp)
        async with fresh_database(work) as url:
            settings = replace(config.Settings(database_url=url, data_dir=work, secret=SECRET), pool_size=16)
            p = await bootstrap.start(settings, follow=False)
            server = bare = None
            env = env_for(url, work)
            async def phase(measure: Callable[[], Awaitable[Any]], needed: int = 15) -> Any:
                """A measure, after waiting for room on a shared server for the connections it opens beyond those
                this run holds (`needed`); run again if it met the connection limit all the same (what it measured
                then is not used)."""
                for attempt in range(3):
                    await headroom(url, needed)
                    try:
                        return await measure()
                    except Exception as e:
                        if attempt == 2 or not too_many_clients(e):
                            raise
                        console.print(f"  the server's connection limit was reached ({type(e).__name__}): again")
                raise AssertionError("unreachable")

            try:
                await headroom(url, 60)
                console.print("[bold]setup[/bold]: communities, and the query table through the commands")
                codes = await register_communities(p, 32)
                query_scope = codes[0]
                dept = stamp(Role.DEPARTMENT, DISTRICT)
                remaining = [sizes.query_rows]

                async def delegator() -> None:
                    while remaining[0] > 0:
                        remaining[0] -= 1
                        await p.commands.run(p.app.delegate_task, dept, query_scope, "人口普查入户登记", "区统计局", "AG-01")
                await asyncio.gather(*(delegator() for _ in range(16)))

                if want("append"):
                    console.print("[bold]append[/bold]")
                    results["append"] = await phase(lambda: bench_append(p, codes, sizes.seconds), 35)

                if not (only is not None and only <= {"append", "storage", "scale"}):
                    port, bare_port = free_port(), free_port()
                    server = Process(python("-m", "backend", "serve", "--port", str(port)), env, port,
                                     work / "server.log")
                    await server.ready("/readyz")
                    bare = Process(python("-m", "bench.bare", "query", str(bare_port)), env, bare_port,
                                   work / "bare.log")
                    await bare.ready()
                    gql = f"http://127.0.0.1:{port}/graphql"
                    await wait_projected(p)
                small_append = small_query_p50 = None
                if want("growth"):
                    # growth compares like with like: appends while the server projects them, on the
                    # small store here and on the grown store at the end
                    small_append = (await bench_append(p, codes, sizes.seconds, baseline=False))["events_per_s"]
                    await wait_projected(p)

                if want("query") or want("growth"):
                    await settle(p)
                if want("query"):
                    console.print("[bold]query[/bold]")
                    results["query"] = await phase(lambda: bench_query(p, gql, f"http://127.0.0.1:{bare_port}/graphql",
                                                                       query_scope, sizes.seconds, work))
                    small_query_p50 = results["query"]["p50_ms"]
                elif want("growth"):
                    small_query_p50 = await query_p50(gql, query_scope)

                if want("command_http"):
                    console.print("[bold]command_http[/bold]")
                    results["command_http"] = await phase(lambda: bench_command_http(p, gql, codes, sizes.seconds, env,
                                                                                     work))

                if want("frontend"):
                    console.print("[bold]frontend[/bold]")
                    results["frontend"] = await bench_frontend(gql, p, query_scope, codes[2], sizes.seconds,
                                                               1 if tiny else 3)

                if want("fanout"):
                    console.print("[bold]fanout[/bold]")
                    assert server is not None
                    results["fanout"] = await phase(lambda: fanout.bench_fanout(
                        gql, server, p.pool, p.events.table, codes, sizes.subscribers, sizes.fanout_mutations))

                if want("rebuild"):
                    console.print("[bold]rebuild[/bold]")
                    have = await stored(p)
                    if have < sizes.rebuild_events:
                        await load(p, codes, sizes.rebuild_events - have)
                    await wait_projected(p)
                    results["rebuild"] = await bench_rebuild(p)

                if want("growth"):
                    console.print("[bold]growth[/bold]")
                    have = await stored(p)
                    if have < sizes.growth_events:
                        await load(p, codes, sizes.growth_events - have, label="growing")
                    await wait_projected(p)
                    big_append = await bench_append(p, codes, sizes.seconds, baseline=False)
                    await wait_projected(p)  # the query on the small store was measured with the read models caught up
                    await settle(p)  # and on fresh statistics
                    results["growth"] = {
                        "events": await stored(p), "append_events_per_s": big_append["events_per_s"],
                        "query_p50_ms": await query_p50(gql, query_scope),
                        "small_append_events_per_s": small_append, "small_query_p50_ms": small_query_p50,
                        "note": "" if sizes.growth_events >= 1_000_000 else
                        f"a smaller store ({sizes.growth_events} events) than the 1,000,000 of a full run",
                    }

                if want("storage"):
                    console.print("[bold]storage[/bold]")
                    results["storage"] = await bench_storage(p)

                if want("scale"):
                    console.print("[bold]scale[/bold]: the roles as processes of their own")
                    for process in (server, bare):  # the one-process server's runner would hold the leases
                        if process is not None:
                            process.stop()
                    # the roles' pools (each API worker's and the projector's) must fit the server's
                    # max_connections beside others' work: this process keeps a small pool from here on
                    await p.stop()
                    p = await bootstrap.start(replace(settings, pool_size=2), follow=False)
                    scaled = p
                    results["scale"] = await phase(lambda: bench_scale(scaled, env, work, codes, query_scope, sizes),
                                                   60)
            finally:
                for process in (server, bare):
                    if process is not None:
                        process.stop()
                await p.stop()
    show(results, quick)
    if json_path:
        json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


async def bench_scale(p: bootstrap.Platform, env: dict[str, str], work: Path, codes: list[str], scope: str,
                      sizes: Sizes) -> dict[str, Any]:
    async def settled() -> None:
        await settle(p)

    async def projected() -> None:
        await wait_projected(p)

    figures: dict[str, Any] = {}
    figures |= await scale.workers(env, work, codes, scope, sizes.seconds, settled, projected)
    figures |= await scale.takeover(p, env, work, codes[3], sizes.takeovers)
    have = await stored(p)
    if have < sizes.relay_events:
        await load(p, codes, sizes.relay_events - have, label="loading the relay's log")
    figures |= await scale.relay(p, env, work, sizes.relay_events)
    return figures


async def stored(p: bootstrap.Platform) -> int:
    return await p.pool.fetchval(f"SELECT count(*) FROM {p.events.table}")


async def wait_projected(p: bootstrap.Platform) -> None:
    """Wait until the read models (kept by the server's runner) have caught up with the log."""
    head = await p.events.head()
    for _ in range(6000):
        low = await p.pool.fetchval("SELECT min(position) FROM projection_tracking")
        if low >= head:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("projections did not catch up")


def show(results: dict[str, Any], quick: bool) -> None:
    machine = f"{os.cpu_count()} CPUs, Python {host.python_version()}, {host.platform()}"
    table = Table("measure", "figures", title=f"gongzhi bench{' --quick' if quick else ''} ({machine})")
    for key in SECTIONS:
        if key in results:
            table.add_row(key, ", ".join(f"{k}={v}" for k, v in results[key].items()
                                         if v != "" and not isinstance(v, list)))  # lists: in the JSON only
    Console().print(table)


def run(quick: bool = False, json_path: Path | None = None, tiny: bool = False,
        only: frozenset[str] | None = None) -> dict[str, Any]:
    import logging
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(main(quick, json_path, tiny, only))
