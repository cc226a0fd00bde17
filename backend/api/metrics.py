"""Prometheus metrics (prometheus-client) and the edge of a request's trace: `Measure`, the ASGI middleware that
times and counts each GraphQL request, and `endpoint`, which serves /metrics in Prometheus' text format.

What a scrape shows:

- `gongzhi_requests_total{operation,kind,code}` and `gongzhi_request_seconds{operation,kind}` (a histogram): every
  GraphQL request over HTTP (GET or POST /graphql), refusals at the edge included (a 429 from the rate limit, a 413
  from the body limit, a 401 for a bad token). `kind` is query, mutation, subscription or other (a request that was
  refused before its document was read); `operation` is the operation's name when it is one of the persisted
  documents' names (frontend-spec/operations), else its first root field, else `other`, so the labels are bounded by
  the manifest and the schema whatever clients send; `code` is `ok` or the first error's `extensions.code`.
  A subscription over a websocket is one long request: those are `gongzhi_websocket_connections` and
  `gongzhi_live_subscriptions`.
- `gongzhi_events_appended_total` and the group commit's `gongzhi_append_batch_events` / `gongzhi_append_batch_saves`
  (histograms of one INSERT transaction's events and saves; backend/application/store.py).
- read from the database at scrape time (within SCRAPE_DATABASE_S; `gongzhi_metrics_database_up` 0 when it did not
  answer): `gongzhi_log_head`, each projection's `gongzhi_projection_position`, `gongzhi_projection_lag` (head minus
  position) and `gongzhi_projection_stalled` (0/1) from `projection_tracking`; each relay stream's
  `gongzhi_relay_position` and `gongzhi_relay_lag` from `relay_tracking` (no series when that table does not exist).
- this process's `gongzhi_db_pool_connections{pool,state}` (pool `primary`, asyncpg; `replica`, the read models'
  pool when GONGZHI_READ_DATABASE_URL names one; `events`, the event store's psycopg pool; states open, idle, max), and prometheus-client's process, platform and GC collectors.

Several API workers on one port (`gongzhi serve --workers N`) each count in their own process: with
`PROMETHEUS_MULTIPROC_DIR` set (before prometheus_client is imported) the counts go to files there and a scrape of
any worker reads them all (prometheus-client's MultiProcessCollector); the per-process gauges are summed over the
live processes (`livesum`, refreshed every REFRESH_S), and the process collectors, which cannot be summed, are left
out. A worker that died must be given to `prometheus_client.multiprocess.mark_process_dead(pid)`.

/metrics needs no token (Prometheus' convention) and shows no personal data, no token and no division code: only
counts, positions and the operation names of the schema and the manifest. In production a NetworkPolicy keeps it to
the monitoring namespace. A projector or the relay mounts the same endpoint (`Route("/metrics", endpoint)`, with its
platform at `app.state.platform`, or none).
"""
from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http import GraphQLRequestData
from strawberry.types.execution import ExecutionResult

from backend import tracing
from backend.api.documents import MANIFEST

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"
SCRAPE_DATABASE_S = 2.0  # a scrape waits at most this long for the database, then shows what it has
REFRESH_S = 1.0  # how often a worker writes its own gauges in multiprocess mode
GRAPHQL_PATH = "/graphql"
OTHER = "other"
KINDS = frozenset({"query", "mutation", "subscription"})
CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
#: Documents up to this many characters have their labels kept (by text and operation name) ...
LABELLED_CHARS = 10_000
#: ... this many of them.
LABELLED_DOCUMENTS = 2048
REFUSAL_BYTES = 16_384  # a refusal's body is read for its code up to this size
#: A request's latency buckets (seconds): a query is ~5-10 ms here, a command's p99 target is 100 ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: HTTP statuses answered without a GraphQL body to read a code from.
CODE_BY_STATUS = {400: "INVALID_INPUT", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND",
                  405: "INVALID_INPUT", 413: "INVALID_INPUT", 429: "RATE_LIMITED", 503: "UNAVAILABLE"}
#: The scope key under which the GraphQL view tells this middleware what a request was and how it ended.
MEASURED = "gongzhi.measured"

REQUESTS = Counter("gongzhi_requests", "GraphQL requests over HTTP, by operation, kind and outcome code",
                   ["operation", "kind", "code"])
REQUEST_SECONDS = Histogram("gongzhi_request_seconds", "GraphQL requests' time in the server, by operation and kind",
                            ["operation", "kind"], buckets=LATENCY_BUCKETS)
WEBSOCKETS = Gauge("gongzhi_websocket_connections", "Websocket connections open", multiprocess_mode="livesum")
LIVE_SUBSCRIPTIONS = Gauge("gongzhi_live_subscriptions", "Live read-model subscriptions held",
                           multiprocess_mode="livesum")
POOL = Gauge("gongzhi_db_pool_connections", "Database pool connections, by pool and state", ["pool", "state"],
             multiprocess_mode="livesum")


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROCESS))


# -- what a request was -----------------------------------------------------------------------------------
@functools.cache
def known_operations() -> frozenset[str]:
    """The operation labels there may be: the persisted documents' names and the schema's root fields."""
    from backend.api.schema import schema

    served = schema._schema  # graphql-core's schema, as DocumentCache reads it
    names = {name for root in (served.query_type, served.mutation_type, served.subscription_type) if root is not None
             for name in root.fields}
    if MANIFEST.exists():
        names |= {op["name"] for op in json.loads(MANIFEST.read_text(encoding="utf-8"))["operations"]}
    return frozenset(names)


def labels_of(query: str, operation_name: str | None) -> tuple[str, str]:
    """(operation, kind) of a document (see the module); ("other", "other") if it does not parse or names none."""
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return OTHER, OTHER
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next((op for op in operations if op.name and op.name.value == operation_name), None) \
        if operation_name else operations[0] if len(operations) == 1 else None
    if chosen is None:
        return OTHER, OTHER
    known = known_operations()
    name = chosen.name.value if chosen.name else None
    if name not in known:
        first = next((s for s in chosen.selection_set.selections if isinstance(s, FieldNode)
                      and not s.name.value.startswith("__")), None)
        name = first.name.value if first is not None and first.name.value in known else OTHER
    return name, chosen.operation.value


_labels_cached = functools.lru_cache(maxsize=LABELLED_DOCUMENTS)(labels_of)


@dataclass(slots=True)
class Measured:
    """One request as the middleware learns it: what it was (from the GraphQL view) and how it ended."""

    operation: str = OTHER
    kind: str = OTHER
    code: str | None = None
    status: int = 0
    body: bytearray = field(default_factory=bytearray)
    graphql: bool = False  # the GraphQL view took it up (else a refusal at the edge, or the GraphiQL page)


def identify(scope: Scope, request: GraphQLRequestData) -> None:
    """Called by the GraphQL view as it starts a request: its operation and kind."""
    measured: Measured | None = scope.get(MEASURED)
    if measured is None:
        return
    measured.graphql = True
    query = request.query
    if query:
        measured.operation, measured.kind = (_labels_cached if len(query) <= LABELLED_CHARS else labels_of)(
            query, request.operation_name)


def conclude(scope: Scope, result: ExecutionResult) -> None:
    """Called by the GraphQL view with a request's result: `ok`, or its first error's code."""
    measured: Measured | None = scope.get(MEASURED)
    if measured is not None:
        measured.code = code_of((result.errors[0].extensions or {}).get("code")) if result.errors else "ok"


def code_of(value: object) -> str:
    """A code as a label: one of ours (upper-case words), else `OTHER`."""
    return value if isinstance(value, str) and CODE.fullmatch(value) else "OTHER"


def refusal_code(status: int, body: bytes) -> str:
    """The code of a response the GraphQL view did not conclude: its body's first error's, or its status's."""
    if status < 400:
        return "ok" if status else "INTERNAL"
    try:
        return code_of(orjson.loads(body)["errors"][0]["extensions"]["code"])
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        return CODE_BY_STATUS.get(status, "INTERNAL" if status >= 500 else "INVALID_INPUT")


class Children:
    """The labelled counter and histogram of each (operation, kind, code), made once (labels() takes a lock)."""

    def __init__(self) -> None:
        self._by_labels: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def __call__(self, operation: str, kind: str, code: str) -> tuple[Any, Any]:
        key = (operation, kind, code)
        children = self._by_labels.get(key)
        if children is None:
            children = self._by_labels[key] = (REQUESTS.labels(operation, kind, code),
                                               REQUEST_SECONDS.labels(operation, kind))
        return children


children = Children()


class Measure:
    """Pure ASGI, outermost: times each GraphQL HTTP request from its arrival to its last byte, counts it by
    operation, kind and code, and wraps it in its trace's server span; counts the websockets open; in multiprocess
    mode, writes this worker's gauges every REFRESH_S while the application runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http" and scope["path"] == GRAPHQL_PATH and scope["method"] in ("GET", "POST"):
            await self.request(scope, receive, send)
        elif kind == "websocket":
            WEBSOCKETS.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                WEBSOCKETS.dec()
        elif kind == "lifespan" and multiprocess():
            await self.lifespan(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def request(self, scope: Scope, receive: Receive, send: Send) -> None:
        measured = scope[MEASURED] = Measured()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                measured.status = message["status"]
            elif measured.status >= 400 and measured.code is None and len(measured.body) < REFUSAL_BYTES:
                measured.body += message.get("body", b"")
            await send(message)

        started = time.perf_counter()
        with tracing.server_span("graphql", scope["headers"]) as span:
            try:
                await self.app(scope, receive, sending)
            finally:
                seconds = time.perf_counter() - started
                code = measured.code or refusal_code(measured.status, bytes(measured.body))
                if measured.graphql or measured.status >= 400 or measured.status == 0:
                    counter, histogram = children(measured.operation, measured.kind, code)
                    counter.inc()
                    histogram.observe(seconds)
                if span.is_recording():
                    span.update_name(f"{measured.kind} {measured.operation}")
                    span.set_attributes({"graphql.operation.name": measured.operation,
                                         "graphql.operation.type": measured.kind,
                                         "http.response.status_code": measured.status, "gongzhi.code": code})

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        refreshing: asyncio.Task[None] | None = None

        async def sending(message: Message) -> None:
            nonlocal refreshing
            if message["type"] == "lifespan.startup.complete":
                refreshing = asyncio.create_task(refresh(scope["app"]))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if refreshing is not None:
                refreshing.cancel()


async def refresh(app: Any) -> None:
    """This worker's gauges, written every REFRESH_S (multiprocess mode: a scrape lands on any one worker)."""
    while True:
        sample_process(getattr(app.state, "platform", None))
        await asyncio.sleep(REFRESH_S)


def sample_process(platform: Any) -> None:
    """Set this process's gauges from its platform (no I/O): pools and live subscriptions."""
    if platform is None:
        return
    pools = {"primary": platform.pool}
    reads = getattr(platform, "reads", None)  # GONGZHI_READ_DATABASE_URL's replica, when it is another pool
    if reads is not None and reads is not platform.pool:
        pools["replica"] = reads
    for name, pool in pools.items():
        for state, value in (("open", pool.get_size()), ("idle", pool.get_idle_size()), ("max", pool.get_max_size())):
            POOL.labels(name, state).set(value)
    events = getattr(getattr(getattr(platform, "app", None), "recorder", None), "datastore", None)
    if events is not None:
        stats = events.pool.get_stats()
        for state, key in (("open", "pool_size"), ("idle", "pool_available"), ("max", "pool_max")):
            POOL.labels("events", state).set(stats.get(key, 0))
    live = getattr(platform, "live", None)
    if live is not None:
        LIVE_SUBSCRIPTIONS.set(live.count)


# -- what the database says -------------------------------------------------------------------------------
@dataclass
class Positions:
    """The log's head, each projection's tracking row and each relay stream's, as read at scrape time."""

    head: int = 0
    projections: list[tuple[str, int, bool]] = field(default_factory=list)  # name, position, stalled
    relays: list[tuple[str, int]] = field(default_factory=list)  # stream, position
    answered: bool = False


async def read_positions(platform: Any) -> Positions:
    """Positions from the database, within SCRAPE_DATABASE_S; unanswered (and empty) if it does not answer."""
    positions = Positions()
    try:
        async with asyncio.timeout(SCRAPE_DATABASE_S), platform.pool.acquire() as conn:
            positions.head = await platform.events.head(conn)
            positions.projections = [(r[0], r[1], r[2]) for r in await conn.fetch(
                "SELECT name, position, failed_position IS NOT NULL FROM projection_tracking ORDER BY name")]
            if await conn.fetchval("SELECT to_regclass('relay_tracking') IS NOT NULL"):
                positions.relays = [(r[0], r[1]) for r in await conn.fetch(
                    "SELECT name, position FROM relay_tracking ORDER BY name")]
            positions.answered = True
    except Exception:  # noqa: BLE001 - a scrape shows the database as down; it never fails nor hangs for it
        positions.projections, positions.relays = [], []
    return positions


class PositionsCollector(Collector):
    """One scrape's positions, as gauges."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions

    def collect(self) -> Iterator[Metric]:
        p = self.positions
        yield GaugeMetricFamily("gongzhi_metrics_database_up", "Whether the database answered this scrape",
                                value=int(p.answered))
        if not p.answered:
            return
        yield GaugeMetricFamily("gongzhi_log_head", "The log's last position", value=p.head)
        position = GaugeMetricFamily("gongzhi_projection_position", "A projection's tracked position",
                                     labels=["projection"])
        lag = GaugeMetricFamily("gongzhi_projection_lag", "Events in the log a projection has not processed",
                                labels=["projection"])
        stalled = GaugeMetricFamily("gongzhi_projection_stalled", "Whether a projection is stalled at an event",
                                    labels=["projection"])
        for name, at, failed in p.projections:
            position.add_metric([name], at)
            lag.add_metric([name], max(0, p.head - at))
            stalled.add_metric([name], int(failed))
        yield from (position, lag, stalled)
        if p.relays:
            relay = GaugeMetricFamily("gongzhi_relay_position", "A relay stream's published position", labels=["stream"])
            relay_lag = GaugeMetricFamily("gongzhi_relay_lag", "Events in the log a relay stream has not published",
                                          labels=["stream"])
            for stream, at in p.relays:
                relay.add_metric([stream], at)
                relay_lag.add_metric([stream], max(0, p.head - at))
            yield from (relay, relay_lag)


class Scrape(Collector):
    """What one scrape exposes: this process's registry (or, in multiprocess mode, every worker's files) and the
    positions read for it."""

    def __init__(self, sources: Iterable[Collector]) -> None:
        self.sources = tuple(sources)

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


async def endpoint(request: Request) -> Response:
    """GET /metrics: Prometheus' text format (see the module)."""
    platform = getattr(request.app.state, "platform", None)
    sample_process(platform)
    sources: list[Collector] = [MultiProcessCollector(None) if multiprocess() else REGISTRY]
    if platform is not None:
        sources.append(PositionsCollector(await read_positions(platform)))
    body = await asyncio.to_thread(generate_latest, Scrape(sources))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
