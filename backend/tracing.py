"""OpenTelemetry tracing of a request through its command, its append and the projection of its events.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set: then `setup()` (once per process: the API, a projector, the relay)
installs the SDK with a BatchSpanProcessor and the OTLP/HTTP exporter, which reads the standard `OTEL_EXPORTER_OTLP_*`
and `OTEL_BSP_*` variables itself; the service is named by `OTEL_SERVICE_NAME` (default `gongzhi`). Off, `span()`
returns one shared no-op context manager (no allocation beyond its call), so the code it wraps costs next to nothing
more.

`span(name, **attributes)` wraps a piece of work in a span, a child of the current one; each keyword is recorded as
attribute `gongzhi.<keyword>` (`position=[41, 42]` is `gongzhi.position`), and `record(span, ...)` adds more the same
way once they are known. The HTTP edge (backend/api/metrics.py) opens a request's span with `server_span`, continuing
the trace of the client's W3C `traceparent` header. The positions an append wrote are `gongzhi.position` on its
`store.append` span, so that a projection batch's span (`span("projection.batch", root=True)`, then
`record(span, events=..., first_position=..., last_position=...)`) can be matched with it.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import INVALID_SPAN, Link, Span, SpanContext, SpanKind
from opentelemetry.util.types import AttributeValue

ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
SERVICE = "gongzhi"
PREFIX = "gongzhi."
#: The request headers a trace's context is read from (W3C Trace Context and Baggage), as ASGI spells them.
PROPAGATED = frozenset({b"traceparent", b"tracestate", b"baggage"})

_OFF: AbstractContextManager[Span] = nullcontext(INVALID_SPAN)
_tracer: trace.Tracer | None = None
_provider: TracerProvider | None = None


def setup(service: str = SERVICE, exporter: SpanExporter | None = None) -> bool:
    """Turn tracing on in this process if `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or an `exporter` is given: a test's,
    whose spans are then exported one by one as they end); whether it is on. A second call changes nothing."""
    global _tracer, _provider
    if _tracer is not None:
        return True
    if exporter is None and not os.environ.get(ENDPOINT):
        return False
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME") or service}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)  # the process's own: other libraries' instrumentation reports there too
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    _provider, _tracer = provider, provider.get_tracer("gongzhi")
    return True


def shutdown() -> None:
    """Export what is still queued and turn tracing off (the SDK also does this at the process's exit)."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _tracer = _provider = None


def enabled() -> bool:
    return _tracer is not None


def attributes_of(attributes: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
    return {PREFIX + key: value for key, value in attributes.items()}


def span(name: str, /, *, links: Sequence[SpanContext] = (), root: bool = False,
         **attributes: AttributeValue) -> AbstractContextManager[Span]:
    """A span around the `with` block, the current span's child (a trace of its own if `root`), linked to `links`,
    with `attributes` as `gongzhi.<keyword>`. It ends with the block; an exception marks it failed. Off, a no-op whose
    span takes and ignores attributes."""
    if _tracer is None:
        return _OFF
    return _tracer.start_as_current_span(
        name, context=context.Context() if root else None, attributes=attributes_of(attributes),
        links=[Link(c) for c in links if c.is_valid])


def server_span(name: str, headers: Iterable[tuple[bytes, bytes]]) -> AbstractContextManager[Span]:
    """A request's span (kind SERVER), continuing the trace its `traceparent` header names, if any."""
    if _tracer is None:
        return _OFF
    carrier = {key.decode("latin-1"): value.decode("latin-1") for key, value in headers if key in PROPAGATED}
    return _tracer.start_as_current_span(name, context=propagate.extract(carrier), kind=SpanKind.SERVER)


def record(span: Span, **attributes: AttributeValue) -> None:
    """Add attributes (as `gongzhi.<keyword>`) to a span once they are known: the positions an append wrote."""
    if span.is_recording():
        span.set_attributes(attributes_of(attributes))


def current() -> SpanContext:
    """The current span's context (invalid when there is none, or tracing is off): what a later span may link to."""
    return trace.get_current_span().get_span_context()
