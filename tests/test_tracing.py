"""OpenTelemetry tracing (backend/tracing.py): off by default and then a no-op; on, a mutation sent over real HTTP
with a W3C `traceparent` is one trace through the request, its command and its append (with the positions it wrote),
exported by the server's OTLP/HTTP exporter to a receiver the test runs (POST /v1/traces, protobuf bodies)."""
from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import INVALID_SPAN, StatusCode

from backend import tracing
from tests import ops
from tests.harness import Client, Server, district, free_port, server_env


def test_off_by_default_a_shared_no_op() -> None:
    """Without OTEL_EXPORTER_OTLP_ENDPOINT, span() is one shared no-op whose span ignores attributes."""
    assert not tracing.enabled()
    assert tracing.setup() is False  # the test process has no endpoint set
    first, second = tracing.span("a", position=1), tracing.span("b")
    assert first is second
    with first as span:
        assert span is INVALID_SPAN
        tracing.record(span, position=[1, 2])
        assert not span.is_recording()
    assert tracing.server_span("graphql", [(b"traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01")]) is first
    assert not tracing.current().is_valid


def test_spans_nest_carry_prefixed_attributes_and_links() -> None:
    exporter = InMemorySpanExporter()
    assert tracing.setup(exporter=exporter)
    try:
        with tracing.span("command", command="record_activity") as outer:
            with tracing.span("store.append", events=1) as inner:
                tracing.record(inner, position=[7])
            linked_to = tracing.current()
            with tracing.span("store.write", root=True, links=[linked_to], saves=2):
                pass
        with pytest.raises(ValueError), tracing.span("failing"):
            raise ValueError("no")
    finally:
        tracing.shutdown()
    assert not tracing.enabled()
    spans = {s.name: s for s in exporter.get_finished_spans()}
    command, append, write, failing = spans["command"], spans["store.append"], spans["store.write"], spans["failing"]
    assert command.attributes == {"gongzhi.command": "record_activity"}
    assert append.parent is not None and append.parent.span_id == command.context.span_id
    assert append.context.trace_id == command.context.trace_id
    assert append.attributes == {"gongzhi.events": 1, "gongzhi.position": (7,)}
    assert write.parent is None and write.context.trace_id != command.context.trace_id  # a trace of its own ...
    assert [link.context.span_id for link in write.links] == [outer.get_span_context().span_id]  # ... linked
    assert failing.status.status_code is StatusCode.ERROR


def plain(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [plain(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


class Receiver:
    """An OTLP/HTTP trace receiver: every span posted to /v1/traces, with its service's name."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.port = free_port()

    async def traces(self, request: web.Request) -> web.Response:
        export = ExportTraceServiceRequest.FromString(await request.read())
        for resource_spans in export.resource_spans:
            service = {a.key: plain(a.value) for a in resource_spans.resource.attributes}.get("service.name")
            for scope_spans in resource_spans.scope_spans:
                for s in scope_spans.spans:
                    self.spans.append({"name": s.name, "trace": s.trace_id.hex(), "id": s.span_id.hex(),
                                       "parent": s.parent_span_id.hex(), "kind": s.kind, "service": service,
                                       "attributes": {a.key: plain(a.value) for a in s.attributes}})
        return web.Response(body=b"", content_type="application/x-protobuf")

    async def until(self, predicate: Any, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"spans received: {[(s['name'], s['trace']) for s in self.spans]}"
            await asyncio.sleep(0.1)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    received = Receiver()
    app = web.Application()
    app.router.add_post("/v1/traces", received.traces)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", received.port).start()
    yield received
    await runner.cleanup()


async def test_a_mutation_is_one_trace_through_request_command_and_append(receiver: Receiver, fresh_url: str,
                                                                          tmp_path: Path) -> None:
    env = server_env(tmp_path, fresh_url) | {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}",
                                             "OTEL_SERVICE_NAME": "gongzhi-test", "OTEL_BSP_SCHEDULE_DELAY": "100"}
    server = Server(env).start()
    gql = Client(server.url)
    try:
        c = ops.Community(f"{district()}001001")
        trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
        registered = await gql.call(ops.REGISTER, {"input": {"code": c.code, "name": "雍园社区", "kind": "URBAN"}},
                                    c.office, headers={"traceparent": f"00-{trace_id}-{parent_id}-01"})
        position = registered["registerCommunity"]["receipt"]["position"]
        await gql.call("{ me { id } }", tok=c.office)  # no traceparent: a trace of its own

        def ours(name: str) -> list[dict[str, Any]]:
            return [s for s in receiver.spans if s["trace"] == trace_id and s["name"] == name]

        await receiver.until(lambda: ours("store.append") and ours("command") and ours("mutation registerCommunity")
                             and any(s["name"] == "query me" for s in receiver.spans))
    finally:
        await gql.close()
        server.stop()
    [request] = ours("mutation registerCommunity")
    [command] = ours("command")
    [append] = ours("store.append")
    assert request["parent"] == parent_id and request["kind"] == 2  # SPAN_KIND_SERVER, the client's span its parent
    assert request["attributes"] == {"graphql.operation.name": "registerCommunity",
                                     "graphql.operation.type": "mutation", "http.response.status_code": 200,
                                     "gongzhi.code": "ok"}
    assert command["parent"] == request["id"] and command["attributes"] == {"gongzhi.command": "register_community"}
    assert append["parent"] == command["id"]
    assert append["attributes"] == {"gongzhi.events": 1, "gongzhi.position": [position]}
    assert {s["service"] for s in receiver.spans} == {"gongzhi-test"}
    [query] = [s for s in receiver.spans if s["name"] == "query me"]
    assert query["trace"] != trace_id and query["parent"] == ""
    writes = [s for s in receiver.spans if s["name"] == "store.write"]
    assert writes and all(s["parent"] == "" and s["attributes"]["gongzhi.saves"] >= 1 for s in writes)
