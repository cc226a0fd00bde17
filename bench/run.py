"""`gongzhi bench`: starts its own database and server, loads data through the real commands,
and measures each hot path beside its physical baseline in the same run."""
from __future__ import annotations

import asyncio
import gzip
import json
import os
import platform as host
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import asyncpg
import httpx
import psutil
import websockets
from psycopg.conninfo import make_conninfo
from rich.console import Console
from rich.table import Table

from backend import bootstrap, config, database
from backend.api.auth import issue
from backend.domain.access import Actor, Role
from backend.domain.errors import RuleRefusal
from backend.domain.stamp import Stamp

console = Console(stderr=True)
SECRET = "bench-secret-" + "b" * 40
DISTRICT = "330106"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    seconds: float  # how long each throughput phase runs
    query_rows: int
    rebuild_events: int
    subscribers: int
    growth_events: int
    fanout_mutations: int

    @classmethod
    def pick(cls, quick: bool, tiny: bool = False) -> Sizes:
        if tiny:  # for the smoke test: every phase runs, briefly
            return cls(seconds=1, query_rows=100, rebuild_events=800, subscribers=5, growth_events=1_000,
                       fanout_mutations=3)
        if quick:
            return cls(seconds=5, query_rows=5_000, rebuild_events=20_000, subscribers=200, growth_events=50_000,
                       fanout_mutations=20)
        return cls(seconds=20, query_rows=5_000, rebuild_events=200_000, subscribers=1_000,
                   growth_events=1_000_000, fanout_mutations=50)


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def stamp(role: Role, scope: str, actor: str = "bench") -> Stamp:
    return Stamp(Actor(actor, role, scope), "bench")


# -- the database and the server -------------------------------------------------------------
@asynccontextmanager
async def fresh_database(work: Path):
    base = os.environ.get("GONGZHI_DATABASE_URL") or database.embedded_url(work)
    name = f"gongzhi_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(**database.asyncpg_dsn(base))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield make_conninfo(base, dbname=name)
    finally:
        conn = await asyncpg.connect(**database.asyncpg_dsn(base))
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


@contextmanager
def stopping_embedded(work: Path):
    """Stop the embedded PostgreSQL started in `work` (if one was) before the folder is deleted."""
    try:
        yield
    finally:
        database.stop_embedded(work)


class Process:
    def __init__(self, args: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.proc = subprocess.Popen([sys.executable, *args], env=env, cwd=ROOT, stdout=log.open("ab"),
                                     stderr=subprocess.STDOUT)

    async def ready(self, path: str = "/healthz") -> None:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                if self.proc.poll() is not None:
                    raise RuntimeError("a benchmark server exited; see its log")
                try:
                    await http.get(f"http://127.0.0.1:{self.port}{path}", timeout=1)
                    return
                except httpx.HTTPError:
                    await asyncio.sleep(0.2)
        raise RuntimeError("a benchmark server did not start")

    @property
    def rss_mb(self) -> float:
        return psutil.Process(self.proc.pid).memory_info().rss / 2**20

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(url: str, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
    env.update(GONGZHI_DATABASE_URL=url, GONGZHI_SECRET=SECRET, GONGZHI_DATA_DIR=str(work),
               GONGZHI_LOG_LEVEL="WARNING",
               # the bench drives ~1,000 requests a second from one address with few tokens: no rate limits
               GONGZHI_RATE_LIMIT_ACTOR="off", GONGZHI_RATE_LIMIT_ADDRESS="off")
    return env


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
    stop_at = time.perf_counter() + seconds

    async def writer() -> None:
        conn = await asyncpg.connect(**database.asyncpg_dsn(p.database_url))
        try:
            while time.perf_counter() < stop_at:
                await conn.execute("INSERT INTO bench_raw_events (originator_id, originator_version, topic, state)"
                                   " VALUES ($1, 1, $2, $3)", uuid.uuid4(), topic, state)
                count[0] += 1
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    elapsed = time.perf_counter() - started
    async with p.pool.acquire() as conn:
        await conn.execute("DROP TABLE bench_raw_events")
    return count[0] / elapsed


# -- commands over HTTP ---------------------------------------------------------------------------
DELEGATE = ("mutation($i: DelegateTaskInput!) { delegateTask(input: $i) { task { id version } "
            "receipt { position } } }")
ACCEPT = "mutation($id: ID!) { acceptTask(id: $id) { task { id version } receipt { position } } }"
ACTIVITY = "mutation($i: RecordActivityInput!) { recordActivity(input: $i) { receipt { position } } }"
CAST = "mutation($i: CastEvaluationInput!) { castEvaluation(input: $i) { position } }"
OPEN = ("mutation($i: OpenEvaluationCampaignInput!) { openEvaluationCampaign(input: $i) { campaign { id } "
        "receipt { position } } }")


async def bench_command_http(url: str, codes: list[str], seconds: float, clients: int = 64) -> dict[str, Any]:
    tokens = {code: {"dept": issue(SECRET, "dept", Role.DEPARTMENT, DISTRICT),
                     "committee": issue(SECRET, f"committee-{code}", Role.COMMITTEE, code)} for code in codes}
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        async def call(query: str, variables: dict, tok: str) -> dict:
            async with http.post(url, json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {tok}"}) as response:
                body = await response.json()
            if body.get("errors"):
                raise RuntimeError(body["errors"])
            return body["data"]

        campaigns = {}
        for code in codes:
            data = await call(OPEN, {"i": {"communityCode": code, "title": "评议", "targets": [
                {"id": "office", "name": "街道办", "kind": "GOVERNMENT_DEPARTMENT"}],
                "closesAt": (datetime.now(UTC) + timedelta(days=1)).isoformat()}},
                tokens[code]["committee"])
            campaigns[code] = data["openEvaluationCampaign"]["campaign"]["id"]
        latencies: list[float] = []
        stop_at = time.perf_counter() + seconds

        async def client(n: int) -> None:
            rng = random.Random(n)
            code = codes[n % len(codes)]
            tok = tokens[code]
            ballots = 0
            while time.perf_counter() < stop_at:
                kind = rng.randrange(4)
                t0 = time.perf_counter()
                if kind == 0:
                    await call(DELEGATE, {"i": {"communityCode": code, "title": "人口普查", "fromDepartment": "统计局",
                                                "dutyItemCode": "AG-01"}}, tok["dept"])
                elif kind == 1:
                    task = await call(DELEGATE, {"i": {"communityCode": code, "title": "人口普查",
                                                       "fromDepartment": "统计局", "dutyItemCode": "AG-01"}},
                                      tok["dept"])
                    latencies.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    await call(ACCEPT, {"id": task["delegateTask"]["task"]["id"]}, tok["committee"])
                elif kind == 2:
                    await call(ACTIVITY, {"i": {"communityCode": code, "title": "活动", "participants": 3,
                                                "heldAt": datetime.now(UTC).isoformat()}}, tok["committee"])
                else:
                    ballots += 1
                    resident = issue(SECRET, f"r-{n}-{ballots}", Role.RESIDENT, code)
                    await call(CAST, {"i": {"campaignId": campaigns[code], "targetId": "office",
                                            "satisfaction": "SATISFIED"}}, resident)
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return {"commands_per_s": round(len(latencies) / elapsed, 1), "p50_ms": ms(percentile(latencies, 50)),
            "p99_ms": ms(percentile(latencies, 99)), "clients": clients, "commands": len(latencies)}


# -- queries ---------------------------------------------------------------------------------------
TASKS_QUERY = ("query($scope: String) { tasks(scope: $scope, first: 50) { totalCount edges { cursor node { id "
               "communityCode title fromDepartment basis dutyItemCode agreementId status delegatedAt dueAt version } }"
               " pageInfo { hasNextPage endCursor } } }")


async def rps(url: str, headers: dict, body: dict, seconds: float, clients: int) -> float:
    count = [0]
    stop_at = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:
        async def client() -> None:
            while time.perf_counter() < stop_at:
                async with http.post(url, json=body, headers=headers) as response:
                    await response.read()
                    assert response.status == 200
                count[0] += 1
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return count[0] / (time.perf_counter() - started)


async def single_client_latency(url: str, headers: dict, body: dict, requests: int = 300) -> list[float]:
    samples = []
    async with aiohttp.ClientSession() as http:
        for _ in range(requests):
            t0 = time.perf_counter()
            async with http.post(url, json=body, headers=headers) as response:
                data = await response.json()
            samples.append(time.perf_counter() - t0)
            assert response.status == 200 and "errors" not in data, data
    return samples


async def settle(p: bootstrap.Platform) -> None:
    """After a write-heavy phase: a CHECKPOINT (PostgreSQL flushes what the appends left dirty now, not during the
    next measure) and fresh planner statistics (the service here runs without autovacuum)."""
    async with p.pool.acquire() as conn:
        try:
            await conn.execute("CHECKPOINT")
        except asyncpg.InsufficientPrivilegeError:
            pass
        await conn.execute("ANALYZE")


async def bench_query(url: str, bare_url: str, scope: str, seconds: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {issue(SECRET, 'auditor', Role.AUDITOR, DISTRICT)}"}
    body = {"query": TASKS_QUERY, "variables": {"scope": scope}}
    async with httpx.AsyncClient() as http:
        ours_json = (await http.post(url, json=body, headers=headers)).json()
        bare = (await http.post(bare_url, json=body)).json()
    if ours_json != bare:
        raise RuntimeError("the bare route does not return the same JSON as the GraphQL query")
    await single_client_latency(url, headers, body, 30)  # warm up
    await single_client_latency(bare_url, {}, body, 30)
    latencies = await single_client_latency(url, headers, body)
    # by turns, half the time each, so that neither gets the quieter half (a write-heavy phase before this one
    # leaves PostgreSQL flushing for a while)
    ours_rps = [await rps(url, headers, body, seconds / 2, 16)]
    bare_rps = [await rps(bare_url, {}, body, seconds / 2, 16)]
    ours_rps.append(await rps(url, headers, body, seconds / 2, 16))
    bare_rps.append(await rps(bare_url, {}, body, seconds / 2, 16))
    ours, bare_mean = sum(ours_rps) / 2, sum(bare_rps) / 2
    return {"rps": round(ours, 1), "p50_ms": ms(percentile(latencies, 50)),
            "p99_ms": ms(percentile(latencies, 99)), "bare_rps": round(bare_mean, 1),
            "ratio": round(ours / bare_mean, 3), "clients": 16, "rows": ours_json["data"]["tasks"]["totalCount"],
            "halves": [round(o / b, 3) for o, b in zip(ours_rps, bare_rps, strict=True)]}


# -- rebuild ----------------------------------------------------------------------------------------
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
    return {"events_per_s": round(events / elapsed, 1), "raw_scan_rows_per_s": round(scan, 1),
            "ratio": round(events / elapsed / scan, 4), "events": events}


# -- fan-out -----------------------------------------------------------------------------------------
SUBSCRIBE = "subscription($after: Position) { events(after: $after) { position type } }"


async def bench_fanout(url: str, server: Process, code: str, subscribers: int, mutations: int) -> dict[str, Any]:
    ws_url = url.replace("http://", "ws://")
    auditor = issue(SECRET, "integrator", Role.INTEGRATOR, "")
    committee = issue(SECRET, f"committee-{code}", Role.COMMITTEE, code)
    async with httpx.AsyncClient(timeout=60) as http:
        last = await http.post(url, json={"query": ACTIVITY, "variables": {"i": {
            "communityCode": code, "title": "起点", "participants": 1,
            "heldAt": datetime.now(UTC).isoformat()}}}, headers={"Authorization": f"Bearer {committee}"})
        after = last.json()["data"]["recordActivity"]["receipt"]["position"]
    arrivals: dict[int, list[float]] = {}
    peak = [server.rss_mb]
    sockets = []
    for _ in range(subscribers):
        ws = await websockets.connect(ws_url, subprotocols=["graphql-transport-ws"], max_queue=None)
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {auditor}"}}))
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": SUBSCRIBE, "variables": {"after": after}}}))
        sockets.append(ws)

    async def reader(ws: websockets.ClientConnection) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "next":
                arrivals.setdefault(message["payload"]["data"]["events"]["position"], []).append(time.perf_counter())

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    committed: dict[int, float] = {}
    async with httpx.AsyncClient(timeout=60) as http:
        for _ in range(mutations):
            response = await http.post(url, json={"query": ACTIVITY, "variables": {"i": {
                "communityCode": code, "title": "扇出", "participants": 1,
                "heldAt": datetime.now(UTC).isoformat()}}}, headers={"Authorization": f"Bearer {committee}"})
            committed[response.json()["data"]["recordActivity"]["receipt"]["position"]] = time.perf_counter()
            peak.append(server.rss_mb)
            await asyncio.sleep(0.1)
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline and any(len(arrivals.get(pos, [])) < subscribers for pos in committed):
        peak.append(server.rss_mb)
        await asyncio.sleep(0.2)
    for task in readers:
        task.cancel()
    for ws in sockets:
        await ws.close()
    delays = [max(arrivals.get(pos, [deadline])) - t for pos, t in committed.items()]
    delivered = sum(len(arrivals.get(pos, [])) for pos in committed)
    return {"subscribers": subscribers, "p50_ms": ms(percentile(delays, 50)), "p99_ms": ms(percentile(delays, 99)),
            "peak_rss_mb": round(max(peak), 1), "mutations": mutations,
            "delivered": delivered, "expected": mutations * subscribers}


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


# -- the run -----------------------------------------------------------------------------------------
async def main(quick: bool, json_path: Path | None, tiny: bool = False) -> dict[str, Any]:
    sizes = Sizes.pick(quick, tiny)
    results: dict[str, Any] = {}  # the issue's six measures and the app's (the machine goes in the table's title)
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-") as tmp, stopping_embedded(Path(tmp)):
        work = Path(tmp)
        async with fresh_database(work) as url:
            settings = replace(config.Settings(database_url=url, data_dir=work, secret=SECRET), pool_size=16)
            p = await bootstrap.start(settings, follow=False)
            server = bare = None
            try:
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

                console.print("[bold]append[/bold]")
                results["append"] = await bench_append(p, codes, sizes.seconds)

                port, bare_port = free_port(), free_port()
                env = env_for(url, work)
                server = Process(["-m", "backend", "serve", "--port", str(port)], env, port, work / "server.log")
                await server.ready("/readyz")
                bare = Process(["-m", "bench.bare", str(bare_port)], env, bare_port, work / "bare.log")
                await bare.ready()
                gql = f"http://127.0.0.1:{port}/graphql"
                await wait_projected(p)
                # growth compares like with like: appends while the server projects them, on the
                # small store here and on the grown store at the end
                small_append = (await bench_append(p, codes, sizes.seconds, baseline=False))["events_per_s"]
                await wait_projected(p)

                console.print("[bold]query[/bold]")
                await settle(p)
                results["query"] = await bench_query(gql, f"http://127.0.0.1:{bare_port}/graphql", query_scope,
                                                     sizes.seconds)
                small_query_p50 = results["query"]["p50_ms"]

                console.print("[bold]command_http[/bold]")
                results["command_http"] = await bench_command_http(gql, codes, sizes.seconds)

                console.print("[bold]frontend[/bold]")
                results["frontend"] = await bench_frontend(gql, p, query_scope, codes[2], sizes.seconds,
                                                           1 if tiny else 3)

                console.print("[bold]fanout[/bold]")
                results["fanout"] = await bench_fanout(gql, server, codes[1], sizes.subscribers,
                                                       sizes.fanout_mutations)

                console.print("[bold]rebuild[/bold]")
                have = await stored(p)
                if have < sizes.rebuild_events:
                    await load(p, codes, sizes.rebuild_events - have)
                await wait_projected(p)
                results["rebuild"] = await bench_rebuild(p)

                console.print("[bold]growth[/bold]")
                have = await stored(p)
                if have < sizes.growth_events:
                    await load(p, codes, sizes.growth_events - have, label="growing")
                await wait_projected(p)
                big_append = await bench_append(p, codes, sizes.seconds, baseline=False)
                await wait_projected(p)  # the query on the small store was measured with the read models caught up
                results["growth"] = {
                    "events": await stored(p), "append_events_per_s": big_append["events_per_s"],
                    "query_p50_ms": await query_p50(gql, query_scope),
                    "small_append_events_per_s": small_append, "small_query_p50_ms": small_query_p50,
                    "note": "" if sizes.growth_events >= 1_000_000 else
                    f"a smaller store ({sizes.growth_events} events) than the 1,000,000 of a full run",
                }
            finally:
                for process in (server, bare):
                    if process is not None:
                        process.stop()
                await p.stop()
    show(results, quick)
    if json_path:
        json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


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
    for key in ("append", "command_http", "query", "rebuild", "fanout", "growth", "frontend"):
        if key in results:
            table.add_row(key, ", ".join(f"{k}={v}" for k, v in results[key].items()
                                         if v != "" and not isinstance(v, list)))  # lists: in the JSON only
    Console().print(table)


def run(quick: bool = False, json_path: Path | None = None, tiny: bool = False) -> dict[str, Any]:
    import logging
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(main(quick, json_path, tiny))
