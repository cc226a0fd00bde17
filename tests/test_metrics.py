"""/metrics (backend/api/metrics.py) over real HTTP from a real server: the request counters by operation, kind and
code (refusals at the edge too), their latency histograms, the events appended and the group commit's batches, the
projections' positions against their tracking rows, relay lag, live subscriptions, websockets and pool gauges; and
the same figures summed over `gongzhi serve --workers 2` (prometheus-client's multiprocess mode)."""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend.api import metrics
from backend.bootstrap import READ_POOL_SIZE
from backend.domain.access import Role
from tests import ops
from tests.harness import Client, Server, Subscription, connect, district, server_env, token

ME = "query Me { me { id role scope } }"  # a persisted document's name (frontend-spec/operations/Me.graphql)
ME_UNNAMED = "{ me { id } }"  # labelled by its first root field


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when the series is not there yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def series(samples: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


async def scrape(base: str) -> tuple[str, Samples]:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(f"{base}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == metrics.CONTENT_TYPE_LATEST, response.headers  # Prometheus' text format
    return response.text, parse(response.text)


async def caught_up(base: str, direct: str, timeout: float = 30) -> Samples:
    """A scrape once every projection's lag is 0 and the log's head is the table's."""
    conn = await connect(direct)
    try:
        deadline = time.monotonic() + timeout
        while True:
            _, samples = await scrape(base)
            lags = series(samples, "gongzhi_projection_lag")
            head = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM gongzhi_events")
            if lags and not any(lags.values()) and value(samples, "gongzhi_log_head") == head:
                return samples
            assert time.monotonic() < deadline, f"projections still lag: {lags}"
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


@pytest.fixture
def metered(fresh_url: str, tmp_path: Path) -> Iterator[Server]:
    """A server of its own on an empty database; an actor may send 5 requests a minute (the 6th is RATE_LIMITED),
    a body may be at most 64 KiB."""
    env = server_env(tmp_path, fresh_url) | {"GONGZHI_RATE_LIMIT_ACTOR": "5/minute",
                                             "GONGZHI_MAX_BODY_BYTES": str(64 * 1024)}
    server = Server(env).start()
    yield server
    server.stop()


async def test_requests_events_projections_pools_and_live_subscriptions(metered: Server, fresh_url: str) -> None:
    base = metered.url.removesuffix("/graphql")
    gql = Client(metered.url)
    conn = await connect(fresh_url)
    try:
        _, before = await scrape(base)
        events_before = await conn.fetchval("SELECT count(*) FROM gongzhi_events")
        # a mutation: two commands (registerCommunity, publishDutyList), each one event, and a read of one's own write
        c = await ops.community(gql, f"{district()}001001")
        for _ in range(3):
            await gql.call(ME, tok=c.auditor)
        await gql.call(ME_UNNAMED, tok=c.committee)
        # refusals: inside GraphQL (FORBIDDEN), by the token check (401), by the rate limit (429), by the body
        # limit (413), and a document that does not validate
        assert await gql.code(ops.REGISTER, {"input": {"code": f"{district()}001001", "name": "x", "kind": "URBAN"}},
                              c.committee) == "FORBIDDEN"
        assert (await gql.raw(ME_UNNAMED, tok="not-a-token")).status_code == 401
        limited = token(Role.AUDITOR, c.district, "auditor-limited")
        answers = [(await gql.raw(ME, tok=limited)).status_code for _ in range(6)]
        assert answers == [200] * 5 + [429], answers
        assert (await gql.http.post(gql.url, content=b"{" + b" " * (65 * 1024) + b"}",
                                    headers={"content-type": "application/json"})).status_code == 413
        assert (await gql.raw("{ noSuchField }", tok=c.auditor)).status_code == 400
        events_appended = await conn.fetchval("SELECT count(*) FROM gongzhi_events") - events_before

        # a live subscription, on its websocket
        async with Subscription(metered.url, "subscription($s: String) { taskUpdated(scope: $s) { id } }",
                                {"s": c.code}, c.committee):
            deadline = time.monotonic() + 10
            while True:
                text, during = await scrape(base)
                if value(during, "gongzhi_live_subscriptions") == 1:
                    break
                assert time.monotonic() < deadline, "the live subscription is not counted"
                await asyncio.sleep(0.1)
            assert value(during, "gongzhi_websocket_connections") == 1

        deadline = time.monotonic() + 10
        while True:  # the websocket closed: its connection and its subscription are let go
            _, gone = await scrape(base)
            if value(gone, "gongzhi_websocket_connections") == 0 == value(gone, "gongzhi_live_subscriptions"):
                break
            assert time.monotonic() < deadline, "the closed subscription is still counted"
            await asyncio.sleep(0.1)
        after = await caught_up(base, fresh_url)
        text, _ = await scrape(base)
        tracking = {r["name"]: r["position"] for r in await conn.fetch("SELECT name, position FROM projection_tracking")}
        head = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM gongzhi_events")
    finally:
        await conn.close()
        await gql.close()

    def grown(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    total = "gongzhi_requests_total"
    assert grown(total, operation="registerCommunity", kind="mutation", code="ok") == 1
    assert grown(total, operation="publishDutyList", kind="mutation", code="ok") == 1
    assert grown(total, operation="Me", kind="query", code="ok") == 3 + 5  # the persisted document's name
    # no name: its first root field; once here and once in ops.community's read-your-writes wait
    assert grown(total, operation="me", kind="query", code="ok") == 1 + 1
    assert grown(total, operation="registerCommunity", kind="mutation", code="FORBIDDEN") == 1
    assert grown(total, operation="me", kind="query", code="UNAUTHENTICATED") == 1
    assert grown(total, operation="other", kind="other", code="RATE_LIMITED") == 1  # refused before it was read
    assert grown(total, operation="other", kind="other", code="INVALID_INPUT") == 1  # the body over the limit
    assert grown(total, operation="other", kind="query", code="INVALID_INPUT") == 1  # noSuchField: no known label
    assert sum(series(after, total).values()) - sum(series(before, total).values()) == 2 + 1 + 3 + 1 + 1 + 1 + 6 + 1 + 1
    # the latency histogram: cumulative buckets ending at +Inf with every request, beside _count and _sum
    buckets = sorted(((float(dict(labels)["le"]), v) for labels, v in series(after, "gongzhi_request_seconds_bucket")
                      .items() if dict(labels)["operation"] == "Me"), key=lambda b: b[0])
    assert [le for le, _ in buckets] == [*metrics.LATENCY_BUCKETS, float("inf")]
    assert all(a <= b for (_, a), (_, b) in itertools.pairwise(buckets))
    assert buckets[-1][1] == value(after, "gongzhi_request_seconds_count", operation="Me", kind="query") == 3 + 5
    assert 0 < value(after, "gongzhi_request_seconds_sum", operation="Me", kind="query") < 30
    # the events appended and the group commit's transactions
    assert grown("gongzhi_events_appended_total") == events_appended == 2
    assert grown("gongzhi_append_batch_saves_count") >= 1
    assert grown("gongzhi_append_batch_events_sum") == events_appended
    # every projection at its tracking row, lag 0, none stalled
    positions = {dict(labels)["projection"]: v for labels, v in series(after, "gongzhi_projection_position").items()}
    assert positions == tracking and positions
    assert value(after, "gongzhi_log_head") == head
    assert set(series(after, "gongzhi_projection_stalled").values()) == {0}
    assert value(after, "gongzhi_metrics_database_up") == 1
    # pools, the websocket and the subscription gone, the process collectors
    assert value(after, "gongzhi_db_pool_connections", pool="primary", state="max") == 12
    assert 1 <= value(after, "gongzhi_db_pool_connections", pool="primary", state="open") <= 12
    assert value(after, "gongzhi_db_pool_connections", pool="primary", state="idle") <= value(
        after, "gongzhi_db_pool_connections", pool="primary", state="open")
    assert value(after, "gongzhi_db_pool_connections", pool="events", state="max") >= 1
    assert value(after, "process_resident_memory_bytes") > 0
    # nothing personal: no division code nor actor in any label, no token anywhere
    label_values = {v for (_, labels) in after for _, v in labels}
    assert not {v for v in label_values if c.district in v or "auditor" in v or "committee" in v}
    assert "Bearer" not in text and c.auditor not in text and c.auditor.split(".")[1] not in text


async def test_relay_lag_from_its_tracking_table(metered: Server, fresh_url: str) -> None:
    """No relay_tracking table, no relay series; with one (the relay's, `name, position, updated_at`), each stream's
    position and its lag behind the log's head."""
    base = metered.url.removesuffix("/graphql")
    gql = Client(metered.url)
    await ops.community(gql, f"{district()}001001")
    await gql.close()
    conn = await connect(fresh_url)
    try:
        if await conn.fetchval("SELECT to_regclass('relay_tracking') IS NULL"):
            _, samples = await scrape(base)
            assert not series(samples, "gongzhi_relay_position") and not series(samples, "gongzhi_relay_lag")
            await conn.execute("CREATE TABLE relay_tracking (name text PRIMARY KEY, position bigint NOT NULL,"
                               " updated_at timestamptz NOT NULL DEFAULT now())")
        await conn.execute("INSERT INTO relay_tracking (name, position) VALUES ('metrics-test', 1)")
        head = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM gongzhi_events")
    finally:
        await conn.close()
    _, samples = await scrape(base)
    assert value(samples, "gongzhi_relay_position", stream="metrics-test") == 1
    assert value(samples, "gongzhi_relay_lag", stream="metrics-test") == head - 1 > 0


def test_a_stalled_projection_and_a_database_that_does_not_answer() -> None:
    """The positions' gauges as a scrape builds them: stalled 1 for a projection at a failed event; a database that
    did not answer shows `gongzhi_metrics_database_up 0` and no positions (the scrape itself still answers)."""
    stalled = metrics.Positions(head=10, projections=[("tasks", 4, True), ("communities", 10, False)], answered=True)
    samples = parse(metrics.generate_latest(metrics.PositionsCollector(stalled)).decode())
    assert value(samples, "gongzhi_projection_stalled", projection="tasks") == 1
    assert value(samples, "gongzhi_projection_stalled", projection="communities") == 0
    assert value(samples, "gongzhi_projection_lag", projection="tasks") == 6
    down = parse(metrics.generate_latest(metrics.PositionsCollector(metrics.Positions())).decode())
    assert down == {("gongzhi_metrics_database_up", frozenset()): 0.0}


def test_operation_labels_are_bounded() -> None:
    """A client's own operation names and unknown fields do not become labels: only the persisted documents'
    names and the schema's root fields do."""
    assert metrics.labels_of("query Me { me { id } }", None) == ("Me", "query")
    assert metrics.labels_of("query Mine { me { id } }", "Mine") == ("me", "query")
    assert metrics.labels_of("query A { me { id } } query B { __typename }", "B") == ("other", "query")
    assert metrics.labels_of("query A { me { id } } query B { me { id } }", None) == ("other", "other")
    assert metrics.labels_of("mutation { recordActivity(input: {}) { receipt { position } } }", None) == (
        "recordActivity", "mutation")
    assert metrics.labels_of("subscription { taskUpdated { id } }", None) == ("taskUpdated", "subscription")
    assert metrics.labels_of("{", None) == ("other", "other")
    labels = {metrics.labels_of(f"query Q{i} {{ f{i} }}", f"Q{i}")[0] for i in range(1000)}
    assert labels == {"other"}
    assert metrics.code_of("FORBIDDEN") == "FORBIDDEN" and metrics.code_of("<script>") == "OTHER"


def test_the_requests_added_cost_is_tens_of_microseconds() -> None:
    """What Measure, identify and conclude add to a request, measured around an ASGI app that answers at once (the
    figure the README quotes): well under 100 µs a request on this machine."""
    from strawberry.http import GraphQLRequestData
    from strawberry.types.execution import ExecutionResult

    request = GraphQLRequestData(query=ME, variables={}, operation_name="Me", extensions=None)
    result = ExecutionResult(data={"me": None}, errors=None)
    start = {"type": "http.response.start", "status": 200, "headers": []}
    body = {"type": "http.response.body", "body": b"{}"}

    async def app(scope: dict, receive: object, send: object) -> None:
        metrics.identify(scope, request)
        metrics.conclude(scope, result)
        await send(start)  # type: ignore[operator]
        await send(body)  # type: ignore[operator]

    async def bare(scope: dict, receive: object, send: object) -> None:
        await send(start)  # type: ignore[operator]
        await send(body)  # type: ignore[operator]

    async def sent(message: object) -> None:
        return None

    def scope() -> dict:
        return {"type": "http", "path": "/graphql", "method": "POST", "headers": []}

    async def per_request(asgi: object, n: int = 20_000) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            await asgi(scope(), None, sent)  # type: ignore[operator]
        return (time.perf_counter() - t0) / n

    async def measure() -> tuple[float, float]:
        await per_request(metrics.Measure(app), 1000)  # warm up: labels' children made
        return await per_request(metrics.Measure(app)), await per_request(bare)

    measured, plain = asyncio.run(measure())
    added_us = (measured - plain) * 1e6
    print(json.dumps({"metrics_added_us_per_request": round(added_us, 1)}))
    assert added_us < 100, added_us


async def test_workers_are_summed_in_one_scrape(fresh_url: str, tmp_path: Path) -> None:
    """`gongzhi serve --workers 2` sets PROMETHEUS_MULTIPROC_DIR: a scrape of either worker counts every worker's
    requests, and the pool gauges are summed over both."""
    env = server_env(tmp_path, fresh_url) | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")}
    (tmp_path / "prometheus").mkdir()
    server = Server(env, args=("--workers", "2")).start()
    try:
        base = server.url.removesuffix("/graphql")
        tok = token(Role.AUDITOR, "320102", "auditor-workers")
        for _ in range(40):  # a new connection each: the kernel hands them to either worker
            async with httpx.AsyncClient(timeout=10) as one:
                response = await one.post(server.url, json={"query": ME}, headers={"Authorization": f"Bearer {tok}"})
                assert response.status_code == 200, response.text
        deadline = time.monotonic() + 10
        while True:  # each worker writes its gauges every REFRESH_S
            _, samples = await scrape(base)
            pools = value(samples, "gongzhi_db_pool_connections", pool="primary", state="max")
            if pools == 2 * READ_POOL_SIZE or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
        # one scrape, answered by one worker, sums both workers' pools and counts every request, whoever answered
        assert pools == 2 * READ_POOL_SIZE
        assert value(samples, "gongzhi_requests_total", operation="Me", kind="query", code="ok") == 40
        assert value(samples, "gongzhi_request_seconds_count", operation="Me", kind="query") == 40
    finally:
        server.stop()
