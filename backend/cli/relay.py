"""`gongzhi relay`: the log on NATS JetStream for integrators (the relay itself: backend/application/relay.py).

    gongzhi relay [--stream NAME] [--port N [--host H]]

Needs GONGZHI_NATS_URL (without it: one line, exit 2). Any number may run on one store: one publishes, the others
stand by and take over when it ends. With --port, /healthz, /readyz and /metrics answer on it (readyz: 200 when the
relay publishes, `"status": "ready"`, or is a standby that could take over, `"standby"`; both with position, head,
lag; /metrics: `gongzhi_relay_active`, `gongzhi_relay_published_position` and `gongzhi_relay_behind` by stream, as
this process sees them, beside prometheus-client's process collectors).
SIGTERM, SIGINT or SIGHUP stop it: the batch in flight is finished and its position stored.

The wiring is here, not in the application layer, because the payload is the API's: each message carries the event
exactly as the GraphQL `Event` (every field selected) gives it to an INTEGRATOR (backend/api/auditing.py
`as_read_by`: a ballot's voter hidden, personal fields null), so an integrator gets over NATS nothing it could not
get over GraphQL.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import orjson
import typer
import uvicorn
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend import bootstrap, config, database, logs
from backend.api import metrics
from backend.api.auditing import as_read_by
from backend.api.types import Event
from backend.application.log import EventLog, LoggedEvent
from backend.application.relay import Relay, RelaySettings
from backend.domain.access import Actor, Role

#: Whom the relay reads the log as: an integrator of the whole country. Its id is not an identifier a person can have
#: (values.identifier has no spaces), so no staff member's "the person themself" rule (P11) ever matches it.
READER = Actor("gongzhi relay", Role.INTEGRATOR, "")
STREAM_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
POOL_SIZE = 3  # the LISTEN connection, reads and the tracking writes
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def event_json(event: Event) -> dict[str, Any]:
    """An `Event` as GraphQL serializes it with every field selected (`actor { id role scope organization }`)."""
    actor = event.actor
    return {"position": int(event.position), "entityId": str(event.entity_id), "entityType": event.entity_type,
            "version": event.version, "type": event.type, "occurredAt": event.occurred_at.isoformat(),
            "actor": {"id": str(actor.id), "role": actor.role.name, "scope": actor.scope,
                      "organization": actor.organization},
            "data": event.data, "requestId": event.request_id, "clientRequestId": event.client_request_id,
            "communityCode": None if event.community_code is None else str(event.community_code)}


def integrator_payload(e: LoggedEvent) -> bytes:
    """A message's payload: the event as an INTEGRATOR reads it over GraphQL, as JSON (orjson)."""
    (event,) = as_read_by(READER, [e])
    return orjson.dumps(event_json(event))


@contextlib.asynccontextmanager
async def running_relay(settings: config.Settings, stream: str | None = None) -> AsyncIterator[Relay]:
    """A started relay on the settings' store and NATS (standing by or publishing); stopped, and its connections
    closed, on leaving. Platform-less: the library's application only for its mapper and table names."""
    if not settings.nats_url:
        raise ValueError("GONGZHI_NATS_URL is not set")
    url = await asyncio.to_thread(bootstrap.database_url, settings)
    app = await asyncio.to_thread(bootstrap.open_application, url, 1)  # makes the library's tables if missing
    table, channel, mapper = app.recorder.events_table_name, app.recorder.channel_name, app.mapper
    await asyncio.to_thread(app.close)  # decoding needs only the mapper
    pool = await asyncpg.create_pool(**database.asyncpg_dsn(url), min_size=1, max_size=POOL_SIZE,
                                     reset=database.keep_session)
    relay = Relay(EventLog(pool, mapper, table, channel), database.asyncpg_dsn(url),
                  RelaySettings(settings.nats_url, stream or settings.events_stream, settings.events_subject,
                                settings.events_duplicate_window_s), integrator_payload)
    try:
        await relay.start()
        yield relay
    finally:
        try:
            await relay.stop()
        finally:
            await pool.close()


class RelayCollector(Collector):
    """This relay's state at scrape time: whether it publishes, the last position the stream acknowledged and how
    far that is behind the log's head as last seen."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    def collect(self) -> Iterator[Metric]:
        s, labels = self.relay.status(), [self.relay.settings.stream]
        for name, text, value in (
                ("gongzhi_relay_active", "Whether this relay publishes (1) or stands by (0)", s["role"] == "active"),
                ("gongzhi_relay_published_position", "The last log position the stream acknowledged", s["position"]),
                ("gongzhi_relay_behind", "Events of the log this relay has not published yet", s["lag"])):
            family = GaugeMetricFamily(name, text, labels=["stream"])
            family.add_metric(labels, int(value))
            yield family


def health_app(relay: Relay) -> Starlette:
    """/healthz (the process answers), /readyz (publishing, or a standby able to take over: 200) and /metrics."""
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        status = relay.status()
        state = ("ready" if relay.role == "active" else relay.role) if status.pop("ready") else "unavailable"
        return JSONResponse({"status": state, **status}, status_code=200 if state in ("ready", "standby") else 503)

    REGISTRY.register(RelayCollector(relay))  # one relay per process
    return Starlette(routes=[Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics.endpoint)])


class _HealthServer(uvicorn.Server):
    """uvicorn beside the relay in one event loop: the relay's own signal handlers stop both."""

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


async def _serve(settings: config.Settings, stream: str | None, host: str, port: int | None) -> None:
    loop, stopping = asyncio.get_running_loop(), asyncio.Event()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stopping.set)
    try:
        async with running_relay(settings, stream) as relay:
            server = None
            if port is not None:
                server = _HealthServer(uvicorn.Config(health_app(relay), host=host, port=port, access_log=False,
                                                      log_level=logs.level_name().lower(), lifespan="off"))
                serving = asyncio.create_task(server.serve())
            ended = asyncio.create_task(relay.wait())
            await asyncio.wait({ended, asyncio.create_task(stopping.wait())}, return_when=asyncio.FIRST_COMPLETED)
            if ended.done():
                ended.result()  # the relay's task failed: raised here
            if server is not None:
                server.should_exit = True
                await serving
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)


def relay(stream: str | None = typer.Option(None, help="The JetStream stream (default GONGZHI_EVENTS_STREAM, "
                                                       "GONGZHI_EVENTS)."),
          host: str = typer.Option("127.0.0.1", help="Address of /healthz and /readyz (with --port)."),
          port: int | None = typer.Option(None, help="Serve /healthz and /readyz on this port.")) -> None:
    """Publish every event of the log, in order, to NATS JetStream (GONGZHI_NATS_URL) for integrators.

    Subjects: GONGZHI_EVENTS_SUBJECT.<district>.<street>.<community>.<EventType> (`_` for a level the event's
    division code does not have). One relay publishes; any others stand by and take over."""
    from backend.cli import _fail

    settings = config.load(make_secret=False)
    if not settings.nats_url:
        _fail("GONGZHI_NATS_URL is not set: the relay publishes the log to NATS JetStream"
              " (e.g. GONGZHI_NATS_URL=nats://127.0.0.1:4222)", 2)
    if stream is not None and not STREAM_NAME.fullmatch(stream):
        _fail(f"--stream must be a JetStream stream name (1 to 64 letters, digits, _ and -), not {stream!r}", 2)
    asyncio.run(_serve(settings, stream, host, port))
