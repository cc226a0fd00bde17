"""`gongzhi relay` (backend/application/relay.py, backend/cli/relay.py): every event of the log, in log order, on a
NATS JetStream stream, against the NATS server on 127.0.0.1:4222 (skipped, with the reason, only when none answers).

Each test has a stream and a subject prefix of its own (GONGZHI_EVENTS_STREAM, GONGZHI_EVENTS_SUBJECT: two streams
cannot share subjects), deleted afterwards; the module has a database and a `gongzhi serve` of its own, so the log
holds this module's events only. Events are appended through real HTTP mutations; relays run as `gongzhi relay`
processes, killed with SIGKILL where the test says so."""
from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import nats.js.errors
import psycopg
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from psycopg.conninfo import make_conninfo

from backend.application.relay import first_sequence_after, subject_for
from backend.domain.access import Role
from tests import ops
from tests.harness import ROOT, Client, Server, connect, district, free_port, server_env, token, until

NATS = "nats://127.0.0.1:4222"
EVENT_FIELDS = ("position entityId entityType version type occurredAt actor { id role scope organization } data"
                " requestId clientRequestId communityCode")
EVENT_LOG = ("query($after: Position, $first: Int) { eventLog(after: $after, first: $first) { " + EVENT_FIELDS
             + " } }")


# -- fixtures ----------------------------------------------------------------------------------------------------
@dataclass
class Store:
    """The module's database and its `gongzhi serve`."""

    url: str
    data_dir: Path
    server: Server


@pytest.fixture(scope="module")
def store(direct_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    name = f"gongzhi_relay_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(direct_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(direct_url, dbname=name)
    data_dir = tmp_path_factory.mktemp("relay")
    server = Server(server_env(data_dir, url)).start()
    try:
        yield Store(url, data_dir, server)
    finally:
        server.stop()
        with psycopg.connect(direct_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def gql(store: Store) -> AsyncIterator[Client]:
    client = Client(store.server.url)
    yield client
    await client.close()


@dataclass
class Stream:
    """A stream of this test's own and its subject prefix; `js` a JetStream context on the NATS server."""

    name: str
    prefix: str
    nc: Any
    js: Any


@pytest.fixture
async def stream() -> AsyncIterator[Stream]:
    try:
        nc = await nats.connect(NATS, connect_timeout=2, allow_reconnect=False, max_reconnect_attempts=0)
    except Exception as e:  # noqa: BLE001 - no NATS here: skipped, with the reason
        pytest.skip(f"no NATS server with JetStream answers at {NATS} ({type(e).__name__}: {e})")
    tag = uuid.uuid4().hex[:10]
    s = Stream(f"GONGZHI_EVENTS_T{tag.upper()}", f"gtest.{tag}.events", nc, nc.jetstream())
    yield s
    with contextlib.suppress(nats.js.errors.NotFoundError):  # never made: nothing to remove
        await s.js.delete_stream(s.name)
    await nc.close()


@dataclass
class RelayProcess:
    """A `gongzhi relay --port N` process on the module's store, publishing into the test's stream."""

    env: dict[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def start(self) -> RelayProcess:
        log = open(self.log_dir / f"relay-{self.port}.log", "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "backend", "relay", "--port", str(self.port)],
                                        env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        return self

    async def readyz(self) -> dict[str, Any] | None:
        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2)).json()
        except httpx.HTTPError:
            return None

    async def until_status(self, status: str, timeout: float = 60) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            assert self.process is not None and self.process.poll() is None, f"relay exited; see {self.log_dir}"
            body = await self.readyz()
            return body if body is not None and body.get("status") == status else None
        return await until(reached, timeout, f"relay on {self.port} {status}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int:
        """SIGTERM and wait; the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(60)


@pytest.fixture
def relays(store: Store, stream: Stream) -> Iterator[Callable[[], RelayProcess]]:
    """Starts relays on the store and the stream (stopped, or killed, at the end)."""
    env = server_env(store.data_dir, store.url) | {
        "GONGZHI_NATS_URL": NATS, "GONGZHI_EVENTS_STREAM": stream.name, "GONGZHI_EVENTS_SUBJECT": stream.prefix,
        "GONGZHI_LOG_LEVEL": "INFO"}
    started: list[RelayProcess] = []

    def start() -> RelayProcess:
        started.append(RelayProcess(env, store.data_dir).start())
        return started[-1]
    yield start
    for r in started:
        if r.process is not None and r.process.poll() is None:
            r.process.kill()
            r.process.wait(30)


# -- reading the log and the stream --------------------------------------------------------------------------------
async def log_positions(store: Store) -> list[int]:
    conn = await connect(store.url)
    try:
        return [r[0] for r in await conn.fetch("SELECT notification_id FROM gongzhi_events ORDER BY notification_id")]
    finally:
        await conn.close()


async def tracked(store: Store, name: str) -> int | None:
    conn = await connect(store.url)
    try:
        return await conn.fetchval("SELECT position FROM relay_tracking WHERE name = $1", name)
    finally:
        await conn.close()


@dataclass
class Message:
    seq: int
    subject: str
    headers: dict[str, str]
    payload: dict[str, Any]

    @property
    def position(self) -> int:
        return int(self.headers["Gongzhi-Position"])


async def consume(s: Stream, subject: str, config: ConsumerConfig | None = None) -> list[Message]:
    """Every message a durable pull consumer filtered to `subject` gets, as an integrator's would."""
    durable = f"it-{uuid.uuid4().hex[:8]}"
    sub = await s.js.pull_subscribe(subject, durable=durable, stream=s.name, config=config)
    found: list[Message] = []
    try:
        while True:
            try:
                batch = await sub.fetch(500, timeout=1)
            except (nats.errors.TimeoutError, TimeoutError):  # nats-py raises either when nothing is left
                break
            for m in batch:
                found.append(Message(m.metadata.sequence.stream, m.subject, dict(m.headers or {}), json.loads(m.data)))
                await m.ack()
    finally:
        await sub.unsubscribe()
        await s.js.delete_consumer(s.name, durable)
    return found


async def published_up_to(s: Stream, position: int) -> bool:
    """Whether the stream's last message is (at least) at log position `position`."""
    try:
        info = await s.js.stream_info(s.name)
        if not info.state.messages:
            return False
        last = await s.js.get_msg(s.name, info.state.last_seq)
    except nats.js.errors.NotFoundError:
        return False
    return int((last.headers or {})["Gongzhi-Position"]) >= position


def expected_subject(prefix: str, code: str | None, event_type: str) -> str:
    """The documented layout, written out again: district (6), street (9), community (12), `_` where missing."""
    code = code or ""
    levels = [code[:n] if len(code) >= n else "_" for n in (6, 9, 12)]
    return ".".join([prefix, *levels, event_type])


async def graphql_log(gql: Client) -> dict[int, dict[str, Any]]:
    """The whole log as GraphQL's eventLog gives it to an INTEGRATOR of the whole country, by position."""
    integrator, after, found = token(Role.INTEGRATOR, "", "integrator-relay-test"), 0, {}
    while page := (await gql.call(EVENT_LOG, {"after": after, "first": 1000}, integrator))["eventLog"]:
        found.update({e["position"]: e for e in page})
        after = page[-1]["position"]
    return found


def assert_exactly_once_in_order(messages: list[Message], positions: list[int]) -> None:
    assert [m.position for m in messages] == positions  # each position once, in log order, none missing
    assert [m.seq for m in messages] == list(range(1, len(positions) + 1))  # the stream has nothing else
    assert all(m.headers["Nats-Msg-Id"] == f"gongzhi-{m.position}" for m in messages)


# -- tests -----------------------------------------------------------------------------------------------------------
def test_subjects_split_the_division_code_by_level() -> None:
    assert subject_for("gongzhi.events", "320102001001", "TaskDelegated") == \
        "gongzhi.events.320102.320102001.320102001001.TaskDelegated"
    assert subject_for("gongzhi.events", "320102001", "InspectionCapSet") == \
        "gongzhi.events.320102.320102001._.InspectionCapSet"
    assert subject_for("gongzhi.events", "320102", "InspectionCapSet") == "gongzhi.events.320102._._.InspectionCapSet"
    assert subject_for("gongzhi.events", "", "SubjectErased") == "gongzhi.events._._._.SubjectErased"
    assert subject_for("gongzhi.events", None, "X") == "gongzhi.events._._._.X"
    # what validation makes impossible is still never put into a subject (a wildcard, a dot, a space)
    assert subject_for("p", "32010>.01001", "Task.*") == "p._._._._"
    assert subject_for("p", "320102 01001", "T") == "p.320102._._.T"


def test_relay_without_nats_url_is_one_line_and_exit_2(store: Store) -> None:
    env = {k: v for k, v in server_env(store.data_dir, store.url).items() if k != "GONGZHI_NATS_URL"}
    done = subprocess.run([sys.executable, "-m", "backend", "relay"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "GONGZHI_NATS_URL" in done.stderr, done.stderr


async def test_every_event_in_log_order_with_subject_headers_and_the_integrators_payload(
        store: Store, gql: Client, stream: Stream, relays: Callable[[], RelayProcess]) -> None:
    c = await ops.community(gql)
    await ops.every_action(gql, c, store.url)  # every event type: ballots, staff (personal fields), an erasure, ...
    await ops.community(gql)  # another district
    positions = await log_positions(store)
    relay = relays()
    await relay.until_status("ready")
    await until(lambda: published_up_to(stream, positions[-1]), 60, "the whole log on the stream")
    messages = await consume(stream, f"{stream.prefix}.>")
    assert_exactly_once_in_order(messages, positions)
    read = await graphql_log(gql)
    assert sorted(read) == positions
    for m in messages:
        event = read[m.position]
        assert m.payload == event, m.position  # the JSON of GraphQL's Event, as an integrator reads it
        assert m.subject == expected_subject(stream.prefix, event["communityCode"], event["type"])
        assert m.headers["Gongzhi-Event-Type"] == event["type"]
        assert m.headers["Gongzhi-Community-Code"] == (event["communityCode"] or "")
    by_type: dict[str, list[Message]] = {}
    for m in messages:
        by_type.setdefault(m.payload["type"], []).append(m)
    # what an integrator may not read is not on the stream either (P26, P11; backend/api/auditing.py)
    (cast,) = by_type["EvaluationCast"]
    assert cast.payload["actor"]["id"] == "resident" and "residentId" not in cast.payload["data"]
    assert cast.payload["requestId"] is None
    assert all(m.payload["data"]["name"] is None and m.payload["data"]["phone"] is None
               for m in by_type["StaffAppointed"])
    assert {m.subject for m in by_type["InspectionCapSet"]} == {
        f"{stream.prefix}.{c.district}.{c.street}._.InspectionCapSet"}
    assert {m.subject for m in by_type["SubjectErased"]} == {f"{stream.prefix}._._._.SubjectErased"}
    assert await tracked(store, stream.name) == positions[-1]
    assert relay.stop() == 0  # SIGTERM: a clean stop


async def test_district_and_type_filters_and_resuming_by_position(
        store: Store, gql: Client, stream: Stream, relays: Callable[[], RelayProcess]) -> None:
    here, there = await ops.community(gql), await ops.community(gql)
    for c in (here, there, here):
        await ops.delegate(gql, c)
    street_cap = await gql.call(ops.SET_INSPECTION_CAP, {"scope": here.street, "max": 3}, here.office)
    assert street_cap["setInspectionCap"]
    relays()
    positions = await log_positions(store)
    await until(lambda: published_up_to(stream, positions[-1]), 60, "the whole log on the stream")
    everything = await consume(stream, f"{stream.prefix}.>")
    assert [m.position for m in everything] == positions

    district_ = await consume(stream, f"{stream.prefix}.{here.district}.>")
    assert district_ == [m for m in everything if (m.payload["communityCode"] or "").startswith(here.district)]
    assert any(m.payload["type"] == "InspectionCapSet" for m in district_)  # a street's own event is in it
    assert not any(m.payload["communityCode"].startswith(there.district) for m in district_)
    street = await consume(stream, f"{stream.prefix}.*.{here.street}.>")
    assert street == [m for m in everything if (m.payload["communityCode"] or "").startswith(here.street)]
    delegated = await consume(stream, f"{stream.prefix}.*.*.*.TaskDelegated")
    assert delegated == [m for m in everything if m.payload["type"] == "TaskDelegated"]
    assert {m.payload["communityCode"] for m in delegated} >= {here.code, there.code} and len(delegated) >= 3

    # An integrator resuming after log position P: the stream is in log order, so it starts at the sequence of the
    # first message whose Gongzhi-Position is beyond P (first_sequence_after: a binary search on the headers).
    after = delegated[0].position
    start = await first_sequence_after(stream.js, stream.name, after)
    assert start == next(m.seq for m in everything if m.position > after)
    for p in (0, *positions[:-1]):  # every position: the same as reading the headers one by one
        assert await first_sequence_after(stream.js, stream.name, p) == next(m.seq for m in everything
                                                                           if m.position > p)
    assert await first_sequence_after(stream.js, stream.name, positions[-1]) is None
    resumed = await consume(stream, f"{stream.prefix}.*.*.*.TaskDelegated",
                            ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start))
    assert resumed == delegated[1:]


async def appending(gql: Client, code: str, stop: asyncio.Event, clients: int = 4) -> int:
    """Delegates tasks to a fresh community through HTTP from `clients` clients until `stop`; how many."""
    c = await ops.community(gql, f"{code}001001")
    count = 0

    async def one_client() -> None:
        nonlocal count
        while not stop.is_set():
            await ops.delegate(gql, c)
            count += 1
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return count


async def test_a_relay_killed_mid_stream_and_restarted_publishes_each_position_once_in_order(
        store: Store, gql: Client, stream: Stream, relays: Callable[[], RelayProcess]) -> None:
    stop = asyncio.Event()
    writer = asyncio.create_task(appending(gql, district(), stop))
    kills_mid_stream = 0
    try:
        for round_ in range(4):
            await asyncio.sleep(0.5)  # a backlog grows while no relay runs
            before = await stored(stream)
            relay = relays()
            await until(lambda: _more(stored(stream), before), 60, "the (restarted) relay publishing", every=0.01)
            await asyncio.sleep(0.03 * round_)  # killed at different places of its batches
            relay.kill()  # SIGKILL: no chance to store its position, maybe acks in flight
            if not await published_up_to(stream, (await log_positions(store))[-1]):
                kills_mid_stream += 1
    finally:
        stop.set()
        appended = await writer
    assert appended > 0
    assert kills_mid_stream >= 2, "the relay was never killed while it had events left to publish"
    relay = relays()
    positions = await log_positions(store)
    await until(lambda: published_up_to(stream, positions[-1]), 120, "the whole log after the restarts")
    assert_exactly_once_in_order(await consume(stream, f"{stream.prefix}.>"), positions)
    await until(lambda: _equal(tracked(store, stream.name), positions[-1]), 10, "the tracked position")
    assert relay.stop() == 0


async def relay_metrics(relay: RelayProcess) -> dict[tuple[str, str], float]:
    """The relay's own gauges from its /metrics, by (name, stream)."""
    from prometheus_client.parser import text_string_to_metric_families
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{relay.port}/metrics", timeout=5)).text
    return {(s.name, s.labels.get("stream", "")): s.value for family in text_string_to_metric_families(text)
            for s in family.samples if s.name.startswith("gongzhi_relay_")}


async def _equal(value: Awaitable[Any], wanted: Any) -> bool:
    return await value == wanted


async def _more(value: Awaitable[int], than: int) -> bool:
    return await value > than


async def stored(s: Stream) -> int:
    """How many messages the stream holds (0 before the relay made it)."""
    try:
        return int((await s.js.stream_info(s.name)).state.messages)
    except nats.js.errors.NotFoundError:
        return 0


async def test_a_standby_relay_takes_over_when_the_active_one_is_killed(
        store: Store, gql: Client, stream: Stream, relays: Callable[[], RelayProcess]) -> None:
    c = await ops.community(gql)
    first = relays()
    await first.until_status("ready")
    second = relays()
    standing = await second.until_status("standby")
    assert standing["role"] == "standby"
    head = (await log_positions(store))[-1]
    await until(lambda: published_up_to(stream, head), 60, "the log on the stream")

    first.kill()
    killed_at = time.monotonic()
    task = (await ops.delegate(gql, c))["receipt"]["position"]
    await until(lambda: published_up_to(stream, task), 10, "the event appended after the kill", every=0.05)
    took_over_s = time.monotonic() - killed_at
    assert took_over_s < 5, took_over_s
    status = await second.until_status("ready", 5)
    assert status["role"] == "active" and status["position"] >= task
    samples = await relay_metrics(second)  # its /metrics says the same
    assert samples[("gongzhi_relay_active", stream.name)] == 1
    assert samples[("gongzhi_relay_published_position", stream.name)] >= task
    assert samples[("gongzhi_relay_behind", stream.name)] >= 0
    positions = await log_positions(store)
    assert_exactly_once_in_order(await consume(stream, f"{stream.prefix}.>"), positions)

    third = relays()  # a new standby, and a clean stop of the active one hands over too
    await third.until_status("standby")
    assert (await relay_metrics(third))[("gongzhi_relay_active", stream.name)] == 0
    assert second.stop() == 0
    await third.until_status("ready", 10)
    more = (await ops.delegate(gql, c))["receipt"]["position"]
    await until(lambda: published_up_to(stream, more), 10, "the event appended after the handover")
    assert_exactly_once_in_order(await consume(stream, f"{stream.prefix}.>"), await log_positions(store))
