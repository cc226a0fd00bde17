"""The fan-out measure: many live subscribers, each with its own token, across roles and scopes.

Every subscriber is a different actor, so no two share an execution (backend/api/execution.py shares an event's
result only among subscribers with the same document, variables and actor). Four kinds, in turn:
- a community committee on `activityRecorded` (its own community's activities, from the read model), one of every
  community of the store: some see the measured activities, some none;
- a street office on `events` (the raw log under its street), one of every street: the last street gets none;
- a district auditor on `events` (the whole district);
- an integrator on `events`, scoped to the country, the province, the city, the district or one street.
Each then counts exactly what its scope allows: an `events` subscriber every row of the log in its scope after the
starting position, a committee the measured activities of its community; nothing more, nothing less, each once."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import websockets

from backend.api.auth import issue
from backend.domain.access import Role
from bench.common import DISTRICT, SECRET, Process, ms, percentile

EVENTS = "subscription($after: Position) { events(after: $after) { position type } }"
ACTIVITIES = "subscription { activityRecorded { id communityCode } }"
RECORD = ("mutation($i: RecordActivityInput!) { recordActivity(input: $i) { receipt { position entityId } } }")
KINDS = ("committee", "street", "auditor", "integrator")


@dataclass
class Subscriber:
    """One subscriber: who it is, what it reads, and what reached it (position or activity id, arrival time)."""

    kind: str
    actor: str
    role: Role
    scope: str
    received: list[tuple[Any, float]] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)

    @property
    def query(self) -> str:
        return ACTIVITIES if self.kind == "committee" else EVENTS


def plan(codes: Sequence[str], count: int) -> list[Subscriber]:
    """`count` subscribers, the four kinds in turn, each kind cycling through its scopes (see the module)."""
    streets = sorted({code[:9] for code in codes})
    scopes = {"committee": list(codes), "street": streets, "auditor": [DISTRICT],
              "integrator": ["", DISTRICT[:2], DISTRICT[:4], DISTRICT, streets[0], streets[-1]]}
    roles = {"committee": Role.COMMITTEE, "street": Role.STREET_OFFICE, "auditor": Role.AUDITOR,
             "integrator": Role.INTEGRATOR}
    subscribers = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        options = scopes[kind]
        subscribers.append(Subscriber(kind, f"{kind}-{n}", roles[kind], options[(n // len(KINDS)) % len(options)]))
    return subscribers


def measured_communities(codes: Sequence[str]) -> list[str]:
    """The communities the measured activities go to: three of each street but the last (which then sees none)."""
    streets = sorted({code[:9] for code in codes})
    return [code for street in streets[:-1] for code in [c for c in codes if c.startswith(street)][:3]]


async def bench_fanout(url: str, server: Process, pool: asyncpg.Pool, events_table: str, codes: Sequence[str],
                       count: int, mutations: int) -> dict[str, Any]:
    ws_url = url.replace("http://", "ws://")
    subscribers = plan(codes, count)
    targets = measured_communities(codes)
    committees = {code: issue(SECRET, f"committee-{code}", Role.COMMITTEE, code) for code in codes}
    peak = [server.rss_mb]
    start = int(await pool.fetchval(f"SELECT coalesce(max(notification_id), 0) FROM {events_table}"))
    sockets = []
    for s in subscribers:
        ws = await websockets.connect(ws_url, subprotocols=["graphql-transport-ws"], max_queue=None)
        token = issue(SECRET, s.actor, s.role, s.scope)
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        await ws.recv()
        variables = {"after": start} if s.kind != "committee" else {}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": s.query,
                                                                              "variables": variables}}))
        sockets.append(ws)

    async def reader(ws: websockets.ClientConnection, s: Subscriber) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "next":
                data = message["payload"].get("data") or {}
                if "errors" in message["payload"]:
                    s.errors.append(message["payload"]["errors"])
                elif s.kind == "committee":
                    s.received.append((data["activityRecorded"]["id"], time.perf_counter()))
                else:
                    s.received.append((data["events"]["position"], time.perf_counter()))
            elif message.get("type") == "error":
                s.errors.append(message.get("payload"))

    readers = [asyncio.create_task(reader(ws, s)) for ws, s in zip(sockets, subscribers, strict=True)]
    async with httpx.AsyncClient(timeout=60) as http:
        async def record(code: str, title: str) -> tuple[int, str]:
            response = await http.post(url, json={"query": RECORD, "variables": {"i": {
                "communityCode": code, "title": title, "participants": 1, "heldAt": datetime.now(UTC).isoformat()}}},
                headers={"Authorization": f"Bearer {committees[code]}"})
            receipt = response.json()["data"]["recordActivity"]["receipt"]
            return receipt["position"], receipt["entityId"]

        # `activityRecorded` streams from when it starts: the measure begins once every committee has had one
        waiting = [s for s in subscribers if s.kind == "committee"]
        warm_up: set[str] = set()
        for _ in range(10):
            for code in sorted({s.scope for s in waiting}):
                warm_up.add((await record(code, "起点"))[1])
            for _ in range(50):
                waiting = [s for s in waiting if not s.received]
                if not waiting:
                    break
                await asyncio.sleep(0.1)
            if not waiting:
                break
        if waiting:
            raise RuntimeError(f"{len(waiting)} committee subscriptions never started")
        committed: dict[int, float] = {}
        activity: dict[str, tuple[int, str]] = {}  # a measured activity's id: its position and community
        for n in range(mutations):
            code = targets[n % len(targets)]
            t0 = time.perf_counter()
            position, entity = await record(code, "扇出")
            committed[position], activity[entity] = t0, (position, code)
            peak.append(server.rss_mb)
            await asyncio.sleep(0.1)
    log = await pool.fetch(f"SELECT notification_id, community_code FROM {events_table} WHERE notification_id > $1",
                           start)
    expected: list[set[int]] = []
    for s in subscribers:
        if s.kind == "committee":
            expected.append({pos for pos, code in activity.values() if code == s.scope})
        else:
            expected.append({r[0] for r in log if (r[1] or "").startswith(s.scope)})

    def got(s: Subscriber) -> list[int]:
        if s.kind != "committee":
            return [item for item, _ in s.received]
        return [activity[item][0] for item, _ in s.received if item in activity]  # the warm-up's left out

    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline and any(len(got(s)) < len(want) for s, want in zip(subscribers, expected,
                                                                                             strict=True)):
        peak.append(server.rss_mb)
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)  # anything beyond what was expected would arrive now
    for task in readers:
        task.cancel()
    for ws in sockets:
        await ws.close()

    arrived: list[dict[int, float]] = []  # each subscriber's measured positions, with when each reached it
    wrong = 0
    for s, want in zip(subscribers, expected, strict=True):
        seen = got(s)
        stray = s.kind == "committee" and any(item not in activity and item not in warm_up for item, _ in s.received)
        if sorted(seen) != sorted(want) or len(seen) != len(set(seen)) or s.errors or stray:
            wrong += 1
        pairs = [(activity[item][0], t) for item, t in s.received if item in activity] if s.kind == "committee" \
            else s.received
        arrived.append({position: t for position, t in reversed(pairs)})  # the first arrival of each

    def delays(kinds: Sequence[str]) -> list[float]:
        """Per measured mutation, from its commit to its last delivery among the subscribers of `kinds` it is
        for (one never delivered counts as the deadline)."""
        out = []
        for position, t in committed.items():
            entitled = [n for n, s in enumerate(subscribers) if s.kind in kinds and position in expected[n]]
            if entitled:
                out.append(max(arrived[n].get(position, deadline) for n in entitled) - t)
        return out

    everyone = delays(KINDS)
    by_kind = {}
    for kind in KINDS:
        mine = delays([kind])
        by_kind[kind] = {"subscribers": sum(s.kind == kind for s in subscribers),
                         "scopes": len({s.scope for s in subscribers if s.kind == kind}),
                         "expected": sum(len(w) for s, w in zip(subscribers, expected, strict=True) if s.kind == kind),
                         "delivered": sum(len(got(s)) for s in subscribers if s.kind == kind),
                         "p50_ms": ms(percentile(mine, 50)), "p99_ms": ms(percentile(mine, 99))}
    return {"subscribers": len(subscribers), "distinct_tokens": len({s.actor for s in subscribers}),
            "p50_ms": ms(percentile(everyone, 50)), "p99_ms": ms(percentile(everyone, 99)),
            "peak_rss_mb": round(max(peak), 1), "mutations": mutations,
            "delivered": sum(len(got(s)) for s in subscribers), "expected": sum(len(w) for w in expected),
            "exact": wrong == 0, "subscribers_wrong": wrong, "by_kind": by_kind}
