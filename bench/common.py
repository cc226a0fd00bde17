"""What the bench's measures share: its database and processes, the HTTP load generators (the same client code
drives Gongzhi and each baseline), and the figures' arithmetic."""
from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
import psutil
from psycopg.conninfo import make_conninfo
from rich.console import Console

from backend import database
from backend.api.auth import issue
from backend.domain.access import Actor, Role
from backend.domain.stamp import Stamp

console = Console(stderr=True)
SECRET = "bench-secret-" + "b" * 40
DISTRICT = "330106"
ROOT = Path(__file__).resolve().parent.parent


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def stamp(role: Role, scope: str, actor: str = "bench") -> Stamp:
    return Stamp(Actor(actor, role, scope), "bench")


# -- the database and the processes -----------------------------------------------------------------
@asynccontextmanager
async def fresh_database(work: Path) -> AsyncIterator[str]:
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
def stopping_embedded(work: Path) -> Iterator[None]:
    """Stop the embedded PostgreSQL started in `work` (if one was) before the folder is deleted."""
    try:
        yield
    finally:
        database.stop_embedded(work)


# The PostgreSQL service here is shared: other engineers' test runs hold tens of its max_connections (100) at
# times, and the bench's own peak (its pools, a server's, a baseline's, the raw INSERTs' 32 connections) is about
# 70. A phase waits for room before it starts, and one that still met "too many clients" is run again.
TOO_MANY = "too many clients"


async def free_connections(url: str) -> int:
    conn = await asyncpg.connect(**database.asyncpg_dsn(url))
    try:
        free: int = await conn.fetchval("SELECT current_setting('max_connections')::int - count(*)"
                                        " FROM pg_stat_activity")
        return free
    finally:
        await conn.close()


async def headroom(url: str, needed: int, timeout: float = 120) -> None:
    """Wait (up to `timeout`) until the server has `needed` connections free; then go on regardless."""
    deadline = time.perf_counter() + timeout
    said = False
    while time.perf_counter() < deadline:
        try:
            if await free_connections(url) >= needed:
                return
        except asyncpg.TooManyConnectionsError:
            pass
        if not said:
            console.print(f"  waiting for {needed} free connections on the shared PostgreSQL server")
            said = True
        await asyncio.sleep(2)


def too_many_clients(error: BaseException) -> bool:
    """Whether `error` (or what caused it, or a process's log quoted in it) is the server's connection limit."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, asyncpg.TooManyConnectionsError) or TOO_MANY in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def connect_retrying(url: str, timeout: float = 120) -> asyncpg.Connection:
    """asyncpg.connect, again after a pause while the shared server has no connection free."""
    deadline = time.perf_counter() + timeout
    while True:
        try:
            return await asyncpg.connect(**database.asyncpg_dsn(url))
        except asyncpg.TooManyConnectionsError:
            if time.perf_counter() > deadline:
                raise
            await asyncio.sleep(0.5)


def python(*args: str) -> list[str]:
    """A command line that runs this interpreter (the venv's) with `args`."""
    return [sys.executable, *args]


class Process:
    """A process the bench started (a server, a baseline, a role of Gongzhi's), its output in `log`."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT)

    async def ready(self, path: str = "/healthz", attempts: int = 300) -> None:
        async with httpx.AsyncClient() as http:
            for _ in range(attempts):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"a benchmark process exited ({self.log.name}): {self.tail()}")
                try:
                    response = await http.get(f"http://127.0.0.1:{self.port}{path}", timeout=1)
                    if response.status_code < 500:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"a benchmark process did not start ({self.log.name}): {self.tail()}")

    def tail(self, chars: int = 2000) -> str:
        """The end of its output (the bench's folder, and the log in it, is gone after the run)."""
        return self.log.read_text(errors="replace")[-chars:]

    @property
    def rss_mb(self) -> float:
        """Resident memory of the process and its children (a supervisor's workers)."""
        parent = psutil.Process(self.proc.pid)
        return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def kill(self) -> None:
        """SIGKILL: no shutdown of its own, as when a machine dies."""
        self.proc.kill()
        self.proc.wait(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def env_for(url: str, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
    env.update(GONGZHI_DATABASE_URL=url, GONGZHI_SECRET=SECRET, GONGZHI_DATA_DIR=str(work),
               GONGZHI_LOG_LEVEL="WARNING",
               # the bench drives ~1,000 requests a second from one address with few tokens: no rate limits
               GONGZHI_RATE_LIMIT_ACTOR="off", GONGZHI_RATE_LIMIT_ADDRESS="off")
    return env


# -- commands over HTTP: the 64 clients -----------------------------------------------------------------
DELEGATE = ("mutation($i: DelegateTaskInput!) { delegateTask(input: $i) { task { id version } "
            "receipt { position } } }")
ACCEPT = "mutation($id: ID!) { acceptTask(id: $id) { task { id version } receipt { position } } }"
ACTIVITY = "mutation($i: RecordActivityInput!) { recordActivity(input: $i) { receipt { position } } }"
CAST = "mutation($i: CastEvaluationInput!) { castEvaluation(input: $i) { position } }"
OPEN = ("mutation($i: OpenEvaluationCampaignInput!) { openEvaluationCampaign(input: $i) { campaign { id } "
        "receipt { position } } }")


async def command_mix(url: str, codes: list[str], seconds: float, clients: int = 64) -> tuple[list[float], float]:
    """`clients` clients sending the mix of delegate, delegate then accept, record activity and cast evaluation
    for `seconds` (after opening one campaign per community): each command's latency, and the time it took. The
    same code drives Gongzhi and the bare command route (bench/bare.py), which answers the same JSON."""
    tokens = {code: {"dept": issue(SECRET, "dept", Role.DEPARTMENT, DISTRICT),
                     "committee": issue(SECRET, f"committee-{code}", Role.COMMITTEE, code)} for code in codes}
    run = uuid.uuid4().hex[:8]  # residents new to every run: a ballot is one a resident, target and campaign
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        async def call(query: str, variables: dict[str, Any], tok: str) -> dict[str, Any]:
            async with http.post(url, json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {tok}"}) as response:
                body = await response.json()
            if body.get("errors"):
                raise RuntimeError(body["errors"])
            data: dict[str, Any] = body["data"]
            return data

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
                    resident = issue(SECRET, f"r-{run}-{n}-{ballots}", Role.RESIDENT, code)
                    await call(CAST, {"i": {"campaignId": campaigns[code], "targetId": "office",
                                            "satisfaction": "SATISFIED"}}, resident)
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        return latencies, time.perf_counter() - started


# -- queries: the 16 clients --------------------------------------------------------------------------------
TASKS_QUERY = ("query($scope: String) { tasks(scope: $scope, first: 50) { totalCount edges { cursor node { id "
               "communityCode title fromDepartment basis dutyItemCode agreementId status delegatedAt dueAt version } }"
               " pageInfo { hasNextPage endCursor } } }")


async def rps(url: str, headers: dict[str, str], body: dict[str, Any], seconds: float, clients: int) -> float:
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


async def single_client_latency(url: str, headers: dict[str, str], body: dict[str, Any],
                                requests: int = 300) -> list[float]:
    samples = []
    async with aiohttp.ClientSession() as http:
        for _ in range(requests):
            t0 = time.perf_counter()
            async with http.post(url, json=body, headers=headers) as response:
                data = await response.json()
            samples.append(time.perf_counter() - t0)
            assert response.status == 200 and "errors" not in data, data
    return samples


@dataclass(frozen=True)
class Target:
    """A query endpoint the 16 clients drive: its URL, headers and body."""

    url: str
    headers: dict[str, str]
    body: dict[str, Any]
