"""The `scale` measure: Gongzhi as several processes on one store (issue 11).

- `workers`: command_http's mix and the query, through `gongzhi serve --workers N --no-projections` beside one
  `gongzhi projector`, with N = 1 and N = 2 by turns (1, 2, 1, 2; half the time each), so that the two share the
  machine's day. Their ratio is what the second worker buys on this machine (two cores, shared with PostgreSQL,
  the projector and the load generator).
- `relay`: `gongzhi relay` publishing a loaded log to a JetStream stream of its own, from its first acked message
  to the `relay_events`-th, beside a raw nats-py publish of the same messages (the subjects, payloads and
  Nats-Msg-Id headers read back from that stream) to another stream, pipelined (`publish_async`), all acked.
- `takeover`: two `gongzhi projector` processes; the holder of the leases is SIGKILLed, one event is appended
  at once, and the time until every projection has applied it (the standby took over and caught up) is taken;
  then a new standby is started and it is done again.
A role this checkout's `gongzhi` does not have is reported "not available: <why>", never a figure."""
from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from backend import bootstrap
from backend.api.auth import issue
from backend.domain.access import Role
from bench.common import (
    DISTRICT,
    SECRET,
    TASKS_QUERY,
    Process,
    command_mix,
    free_port,
    ms,
    percentile,
    python,
    rps,
    single_client_latency,
    stamp,
)

NATS_URL = "nats://127.0.0.1:4222"
TAKEOVER_TARGET_S = 5.0


def missing_role(*command: str, needle: str = "") -> str | None:
    """Why `gongzhi <command>` cannot be used here (None if its --help runs and mentions `needle`)."""
    done = subprocess.run(python("-m", "backend", *command, "--help"), capture_output=True, text=True, check=False,
                          timeout=120)
    if done.returncode != 0:
        return f"not available: `gongzhi {' '.join(command)}` is not a command of this checkout"
    if needle and needle not in done.stdout:
        return f"not available: `gongzhi {' '.join(command)}` has no {needle}"
    return None


async def readyz(port: int) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        body: dict[str, Any] = (await http.get(f"http://127.0.0.1:{port}/readyz", timeout=5)).json()
        return body


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str, every: float = 0.02) -> float:
    """Poll `check` until it holds; the time when it did (perf_counter). RuntimeError after `timeout`."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if await check():
            return time.perf_counter()
        await asyncio.sleep(every)
    raise RuntimeError(f"{what}: not within {timeout} s")


class Cluster:
    """Processes of Gongzhi's roles started by the bench in one folder, all stopped at the end."""

    def __init__(self, env: dict[str, str], work: Path) -> None:
        self.env, self.work, self.started = env, work, 0
        self.processes: list[Process] = []

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> Process:
        self.started += 1
        port = free_port()
        process = Process(python("-m", "backend", *args, "--port", str(port)), env or self.env, port,
                          self.work / f"{name}-{self.started}.log")
        self.processes.append(process)
        return process

    async def projector(self) -> Process:
        process = self.start("projector", "projector")
        await process.ready("/readyz")
        return process

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


# -- API workers ---------------------------------------------------------------------------------------------
async def workers(env: dict[str, str], work: Path, codes: list[str], scope: str,
                  seconds: float, settle: Callable[[], Awaitable[None]],
                  projected: Callable[[], Awaitable[None]]) -> dict[str, Any]:
    reason = missing_role("serve", needle="--workers") or missing_role("serve", needle="--no-projections") \
        or missing_role("projector")
    if reason:
        return {"command_http": reason, "query": reason}
    headers = {"Authorization": f"Bearer {issue(SECRET, 'auditor', Role.AUDITOR, DISTRICT)}"}
    body = {"query": TASKS_QUERY, "variables": {"scope": scope}}
    commands: dict[int, list[tuple[list[float], float]]] = {1: [], 2: []}
    queries: dict[int, list[float]] = {1: [], 2: []}
    latency: dict[int, list[float]] = {1: [], 2: []}
    for n in (1, 2, 1, 2):
        cluster = Cluster(env, work)
        try:
            await cluster.projector()
            api = cluster.start(f"api-{n}", "serve", "--workers", str(n), "--no-projections")
            await api.ready("/readyz")
            gql = f"http://127.0.0.1:{api.port}/graphql"
            try:
                commands[n].append(await command_mix(gql, codes, seconds / 2))
            except RuntimeError as e:
                raise RuntimeError(f"{e}; the API's log: {api.tail()}") from e
            await projected()
            await settle()
            await single_client_latency(gql, headers, body, 30)  # warm up (each worker its caches)
            latency[n] += await single_client_latency(gql, headers, body, 100)
            queries[n].append(await rps(gql, headers, body, seconds / 2, 16))
        finally:
            cluster.stop()
    out: dict[str, Any] = {"command_http": {}, "query": {}}
    for n in (1, 2):
        done = sum(len(lat) for lat, _ in commands[n])
        lats = [x for lat, _ in commands[n] for x in lat]
        out["command_http"][f"workers_{n}"] = {
            "commands_per_s": round(done / sum(t for _, t in commands[n]), 1),
            "p50_ms": ms(percentile(lats, 50)), "p99_ms": ms(percentile(lats, 99)), "commands": done}
        out["query"][f"workers_{n}"] = {"rps": round(sum(queries[n]) / 2, 1),
                                        "p50_ms": ms(percentile(latency[n], 50))}
    for key, figure in (("command_http", "commands_per_s"), ("query", "rps")):
        out[key]["speedup"] = round(out[key]["workers_2"][figure] / out[key]["workers_1"][figure], 3)
    out["command_http"]["clients"], out["query"]["clients"] = 64, 16
    return out


# -- the relay ----------------------------------------------------------------------------------------------------
async def relay(p: bootstrap.Platform, env: dict[str, str], work: Path, count: int) -> dict[str, Any]:
    import nats
    from nats.js.api import StreamConfig

    reason = missing_role("relay")
    if reason:
        return {"relay_ratio": reason}
    url = os.environ.get("GONGZHI_NATS_URL") or NATS_URL
    try:
        nc = await nats.connect(url, connect_timeout=3, max_reconnect_attempts=0)
    except Exception as e:  # noqa: BLE001 - no NATS here: said so, not measured
        return {"relay_ratio": f"not available: no NATS server answers at {url} ({type(e).__name__})"}
    js = nc.jetstream(publish_async_max_pending=4000)
    stream = f"BENCH_RELAY_{uuid.uuid4().hex[:8].upper()}"
    raw_stream = f"{stream}_RAW"
    cluster = Cluster(env, work)
    try:
        # a stream and subjects of its own: a stream's subjects may not overlap another's on a shared server
        relay_env = env | {"GONGZHI_NATS_URL": url, "GONGZHI_EVENTS_STREAM": stream,
                           "GONGZHI_EVENTS_SUBJECT": f"{stream.lower()}.events"}
        cluster.start("relay", "relay", env=relay_env)

        async def acked() -> int:
            try:
                return int((await js.stream_info(stream)).state.messages)
            except Exception:  # noqa: BLE001 - the relay has not made its stream yet
                return 0

        first_count = [0]

        async def some() -> bool:
            first_count[0] = await acked()
            return first_count[0] > 0

        t_first = await until(some, 120, "the relay's first message")
        t_all = await until(lambda: _at_least(acked, count), 600, f"the relay's {count} messages", every=0.05)
        cluster.stop()
        # the same messages, read back from the relay's stream, published raw to a stream of their own
        messages = []
        stored_at = []  # when the stream stored each (its timestamp, from the message's metadata)
        subjects = (await js.stream_info(stream)).config.subjects or [">"]
        sub = await js.pull_subscribe(subjects[0], stream=stream)
        while len(messages) < count:
            for m in await sub.fetch(min(1000, count - len(messages)), timeout=10):
                messages.append((m.subject, m.data, dict(m.headers or {})))
                stored_at.append(m.metadata.timestamp)
                await m.ack()
        await sub.unsubscribe()
        if first_count[0] < count:  # from the first acked messages to the last, as polled
            relay_rate = (count - first_count[0]) / (t_all - t_first)
            timed = "polled"
        else:  # a log that went out in the first batches (a token load): from the stream's own timestamps
            span = (max(stored_at) - min(stored_at)).total_seconds()
            relay_rate = (count - 1) / span if span > 0 else 0.0
            timed = "stream timestamps"
        await js.add_stream(StreamConfig(name=raw_stream, subjects=["benchraw.>"]))
        started = time.perf_counter()
        for subject, data, headers in messages:
            await js.publish_async(f"benchraw.{subject}", data, headers=headers, stream=raw_stream)
        await js.publish_async_completed()
        raw_rate = count / (time.perf_counter() - started)
        if (await js.stream_info(raw_stream)).state.messages != count:
            raise RuntimeError("the raw publish did not store every message")
        sizes = [len(data) for _, data, _ in messages]
        return {"relay_events_per_s": round(relay_rate, 1), "raw_publish_per_s": round(raw_rate, 1),
                "relay_ratio": round(relay_rate / raw_rate, 3), "relay_events": count,
                "payload_mean_bytes": round(sum(sizes) / len(sizes), 1), "relay_nats": url, "relay_timed": timed}
    finally:
        cluster.stop()
        for name in (stream, raw_stream):
            with contextlib.suppress(Exception):  # one that was never made
                await js.delete_stream(name)
        await nc.close()


async def applied(p: bootstrap.Platform, position: int) -> bool:
    """Whether every projection has applied the log up to `position`."""
    low = await p.pool.fetchval("SELECT min(position) FROM projection_tracking")
    return bool(low is not None and low >= position)


async def _at_least(count: Callable[[], Awaitable[int]], wanted: int) -> bool:
    return await count() >= wanted


# -- projector takeover --------------------------------------------------------------------------------------------
async def takeover(p: bootstrap.Platform, env: dict[str, str], work: Path, code: str, rounds: int) -> dict[str, Any]:
    reason = missing_role("projector")
    if reason:
        return {"takeover_s": reason}
    committee = stamp(Role.COMMITTEE, code, f"committee-{code}")
    cluster = Cluster(env, work)
    times = []
    try:
        holder = await cluster.projector()

        async def holds(process: Process) -> bool:
            status = await readyz(process.port)
            return status.get("status") == "ready" and bool(status.get("held"))
        await until(lambda: holds(holder), 120, "the first projector's leases", every=0.2)
        standby = await cluster.projector()
        for _ in range(rounds):
            if (await readyz(standby.port)).get("held"):
                raise RuntimeError("the standby holds a lease before the holder's end")
            holder.kill()
            killed = time.perf_counter()
            await p.commands.run(p.app.record_activity, committee, code, "接管", None, datetime.now(UTC), 1, [])
            times.append(await until(partial(applied, p, await p.events.head()), 60, "the standby's takeover")
                         - killed)
            holder, standby = standby, await cluster.projector()
    finally:
        cluster.stop()
    return {"takeover_s": round(max(times), 3), "takeover_runs_s": [round(t, 3) for t in times],
            "takeover_target_s": TAKEOVER_TARGET_S}
