"""The ASGI application: /graphql (HTTP and websocket), /healthz, /readyz."""
from __future__ import annotations

import contextlib
import gc
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from backend import bootstrap, config
from backend.api.context import Context
from backend.api.schema import build_schema
from backend.bootstrap import Platform
from projections import ALL, Projection

READY_MAX_LAG = 1_000
# CPython's cyclic collector runs every 700 allocations by default and, in time, walks every
# object the server holds; a request allocates thousands. With what start-up made frozen out of
# its sight and the thresholds raised, collections are rarer and shorter (bench/README.md).
GC_THRESHOLDS = (10_000, 5, 10)
CONSISTENT_AFTER = "x-consistent-after"
CLIENT_REQUEST_ID_MAX = 128
CLIENT_REQUEST_ID = re.compile(rf"[\x21-\x7e]{{1,{CLIENT_REQUEST_ID_MAX}}}", re.ASCII)


def client_request_id(value: str | None) -> str | None:
    """A client's X-Request-Id, kept beside the server's own request id (never instead of it):
    printable ASCII, at most CLIENT_REQUEST_ID_MAX characters; anything else is not kept."""
    if value and CLIENT_REQUEST_ID.fullmatch(value):
        return value
    return None


class GongzhiGraphQL(GraphQL):
    """Strawberry's ASGI view, with our context and read-your-writes, and orjson for JSON."""

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # its JSONDecodeError is json's, which strawberry turns into a 400

    def encode_json(self, data: object) -> str:
        try:
            return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # what orjson will not write (integers beyond 64 bits) json may
            return json.dumps(data, separators=(",", ":"))

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        platform: Platform = request.app.state.platform
        context = Context(platform, request, response)
        context.client_request_id = client_request_id(request.headers.get("x-request-id"))
        if isinstance(response, Response):
            response.headers["X-Request-Id"] = context.request_id
        reached = request.scope.get("state", {}).get("consistent")
        if reached is not None:
            response.headers["X-Consistent-Position"] = str(platform.projections.position)
            if not reached:
                response.headers["X-Consistency-Timeout"] = "true"
        return context


class ReadYourWrites:
    """Before an HTTP request with `X-Consistent-After: N` runs, wait (up to a bound) until
    every read model has processed log position N; then hand it to GraphQL."""

    def __init__(self, graphql: GraphQL) -> None:
        self.graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            wanted = request.headers.get(CONSISTENT_AFTER)
            if wanted is not None:
                if not wanted.strip().isdigit():
                    response = PlainTextResponse("X-Consistent-After must be a non-negative integer", 400)
                    await response(scope, receive, send)
                    return
                platform: Platform = request.app.state.platform
                scope.setdefault("state", {})["consistent"] = await platform.projections.wait_for(
                    int(wanted), platform.settings.consistency_wait_s)
        await self.graphql(scope, receive, send)


def create_app(settings: config.Settings | None = None,
               on_start: Callable[[Platform], Awaitable[None]] | None = None,
               projections: Sequence[Projection] = ALL) -> Starlette:
    settings = settings or config.load()
    schema = build_schema(settings.max_query_depth)
    graphql = GongzhiGraphQL(schema, graphql_ide="graphiql")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        platform = await bootstrap.start(settings, projections=projections)
        app.state.platform = platform
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            if on_start is not None:
                await on_start(platform)
            yield
        finally:
            await platform.stop()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        platform: Platform = request.app.state.platform
        try:
            head = await platform.events.head()
        except Exception as e:  # noqa: BLE001 - any failure means not ready
            return JSONResponse({"status": "unavailable", "database": type(e).__name__}, status_code=503)
        runner = platform.projections
        lag = max(0, head - runner.position)
        stalled = runner.stalled
        listening = runner.listening and platform.feed.listening
        status = ("projection stalled" if stalled else "not listening" if not listening
                  else "catching up" if lag > READY_MAX_LAG else "ready")
        return JSONResponse({"status": status, "database": "ok", "head": head, "projected": runner.position,
                             "lag": lag, "listening": listening, "stalled": stalled},
                            status_code=200 if status == "ready" else 503)

    return Starlette(
        routes=[
            Route("/graphql", ReadYourWrites(graphql), methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
