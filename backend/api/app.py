"""The ASGI application: /graphql (HTTP and websocket), /healthz, /readyz, /app/persisted-documents.json, the app at /app."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types.execution import ExecutionResult

from backend import bootstrap, config, tracing
from backend.api import metrics, webapp
from backend.api.auth import actor_from_header
from backend.api.complexity import Limits
from backend.api.context import Context
from backend.api.documents import PersistedDocuments
from backend.api.edge import BodyLimit, consistent_after, error_response, refusal
from backend.api.idempotency import header_key, one_mutation_field
from backend.api.ratelimit import RateLimit, RateLimits
from backend.api.schema import build_schema
from backend.bootstrap import Platform
from backend.domain.access import Role
from backend.domain.errors import GongzhiError, Unauthenticated
from projections import ALL, Projection

READY_MAX_LAG = 1_000
READY_DATABASE_S = 3.0  # /readyz answers "unavailable" when the database has not answered in this long
# CPython's cyclic collector runs every 700 allocations by default and, in time, walks every
# object the server holds; a request allocates thousands. With what start-up made frozen out of
# its sight and the thresholds raised, collections are rarer and shorter (bench/README.md).
GC_THRESHOLDS = (10_000, 5, 10)
CONSISTENT_AFTER = "x-consistent-after"
#: Without a token, a document may be at most this long: GraphiQL's introspection, a gateway's `_service`
#: and `_entities` fit. A longer one is refused (UNAUTHENTICATED, 401) before it is parsed.
ANONYMOUS_DOCUMENT_CHARS = 10_000
STATIC = Path(__file__).resolve().parent / "static"
GRAPHIQL_PAGE = (STATIC / "graphiql.html").read_text(encoding="utf-8")
CLIENT_REQUEST_ID_MAX = 128
CLIENT_REQUEST_ID = re.compile(rf"[\x21-\x7e]{{1,{CLIENT_REQUEST_ID_MAX}}}", re.ASCII)


def client_request_id(value: str | None) -> str | None:
    """A client's X-Request-Id, kept beside the server's own request id (never instead of it):
    printable ASCII, at most CLIENT_REQUEST_ID_MAX characters; anything else is not kept."""
    if value and CLIENT_REQUEST_ID.fullmatch(value):
        return value
    return None


class GongzhiTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with a code on every error: the subscription limit's too. A subscribe may
    name a persisted document instead of sending `query`, as over HTTP (backend/api/documents.py)."""

    async def handle_subscribe(self, message: Any) -> None:
        limit = self.max_subscriptions_per_connection
        if self.connection_acknowledged and limit is not None and len(self.operations) >= limit \
                and message.get("id") not in self.operations:
            await self.send_message({"id": message["id"], "type": "error", "payload": [{
                "message": f"at most {limit} subscriptions per connection", "extensions": {"code": "INVALID_INPUT"}}]})
            return
        if self.connection_acknowledged:
            try:
                message = trusted(self.view, self.context, message)  # type: ignore[arg-type]
            except GongzhiError as e:
                await self.send_message({"id": message["id"], "type": "error", "payload": [{
                    "message": e.message, "extensions": {"code": e.code}}]})
                return
        await super().handle_subscribe(message)

    async def send_message(self, message: Message) -> None:
        payload: Any = message.get("payload")
        errors = payload if message["type"] == "error" else payload.get("errors") if isinstance(payload, dict) else None
        for error in errors or ():
            if isinstance(error, dict) and "code" not in (error.get("extensions") or {}):
                error["extensions"] = {**(error.get("extensions") or {}), "code": "INVALID_INPUT"}
        await super().send_message(message)


class GongzhiLegacyWS(BaseGraphQLWSHandler[Context, None]):
    """The older graphql-ws protocol: a start may name a persisted document too, under the same rule."""

    async def handle_start(self, message: Any) -> None:
        if self.connection_acknowledged:
            try:
                message = trusted(self.view, self.context, message)  # type: ignore[arg-type]
            except GongzhiError as e:
                await self.send_message({"id": message["id"], "type": "error",  # type: ignore[typeddict-item]
                                         "payload": {"message": e.message, "extensions": {"code": e.code}}})
                return
        await super().handle_start(message)


def trusted(view: GongzhiGraphQL, context: Context, message: Any) -> Any:
    """A websocket subscribe (or start) message with the document the trusted-documents mode allows in
    its `query`: the persisted one it names, or its own (backend/api/documents.py)."""
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return message
    query = view.documents.resolve(payload.get("query"), payload.get("extensions"), payload.get("documentId"),
                                   lambda: context.actor.role is Role.ADMIN)
    return message if query is None else {**message, "payload": {**payload, "query": query}}


class GongzhiGraphQL(GraphQL):
    """Strawberry's ASGI view, with our context and read-your-writes, and orjson for JSON. A request
    refused before it runs (a body that is no JSON object, a token that fails) answers a JSON GraphQL
    error with its code; GraphiQL is our page, its assets served from here (backend/api/static)."""

    graphql_transport_ws_handler_class = GongzhiTransportWS
    graphql_ws_handler_class = GongzhiLegacyWS

    def __init__(self, schema: Any, documents: PersistedDocuments, secret: str, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.documents = documents
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as e:
            response = error_response(e.status_code, "INVALID_INPUT", e.reason)
        except GongzhiError as e:
            response = refusal(e)
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        value = super().parse_json(data)
        if not isinstance(value, (dict, list)):
            raise HTTPException(400, "the request must be a JSON object: {\"query\": ..., \"variables\": {...}}")
        return value

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Strawberry's parse, then the document the mode allows: a persisted one named by
        `documentId` or `extensions.persistedQuery`, or the request's own (backend/api/documents.py)."""
        data = await super().parse_http_body(request)
        if isinstance(data, list):  # batches are not enabled: strawberry refuses one before this
            return data
        document = None
        if request.method == "GET":
            document = request.query_params.get("documentId")
        else:
            body = await request.get_body()  # read once already, kept by the request
            if b"documentId" in body:  # decoded again only when it may name a document
                raw = self.decode_json(body)
                document = raw.get("documentId") if isinstance(raw, dict) else None
        query = self.documents.resolve(data.query, data.extensions, document, lambda: self.is_admin(request))
        return data if query is data.query else replace(data, query=query)

    def is_admin(self, request: Any) -> bool:
        """Whether the request's bearer token (verified; UNAUTHENTICATED if it fails) is an ADMIN's."""
        header = request.headers.get("authorization")
        return bool(header) and actor_from_header(self.secret, header).role is Role.ADMIN

    async def execute_single(self, request: Request, request_adapter: Any, sub_response: Any, context: Context,
                             root_value: Any, request_data: GraphQLRequestData) -> ExecutionResult:
        """The token is checked before the document is parsed; without one, only a short document is."""
        metrics.identify(request.scope, request_data)
        if request.headers.get("authorization"):
            context.actor  # noqa: B018 - verifies the token; Unauthenticated if it fails
        elif request_data.query and len(request_data.query) > ANONYMOUS_DOCUMENT_CHARS:
            raise Unauthenticated(f"a document of more than {ANONYMOUS_DOCUMENT_CHARS} characters needs a bearer "
                                  "token (Authorization: Bearer <token>)")
        if context.idempotency_key is not None and request_data.query:
            one_mutation_field(request_data.query, request_data.operation_name)
        result = await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                              request_data)
        metrics.conclude(request.scope, result)
        return result

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(GRAPHIQL_PAGE)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # its JSONDecodeError is json's, which strawberry turns into a 400

    def encode_json(self, data: object) -> str:
        """JSON as text: websocket frames are text frames (strawberry sends bytes as binary frames, which
        browsers' graphql-ws clients do not read)."""
        return self.encode_json_bytes(data).decode()

    @staticmethod
    def encode_json_bytes(data: object) -> bytes:
        try:
            return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:  # what orjson will not write (integers beyond 64 bits) json may
            return json.dumps(data, separators=(",", ":")).encode()

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """Strawberry's response, its body orjson's bytes as they are (not decoded to text and encoded again)."""
        response = Response(self.encode_json_bytes(response_data), status_code=200, media_type="application/json")
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        platform: Platform = request.app.state.platform
        context = Context(platform, request, response)
        context.client_request_id = client_request_id(request.headers.get("x-request-id"))
        context.idempotency_key = header_key(request)  # INVALID_INPUT (HTTP 400) if it is malformed
        if isinstance(response, Response):
            response.headers["X-Request-Id"] = context.request_id
        reached = request.scope.get("state", {}).get("consistent")
        if reached is not None:
            response.headers["X-Consistent-Position"] = str(platform.watch.position)
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
                try:
                    position = consistent_after(wanted)
                except GongzhiError as e:
                    await refusal(e)(scope, receive, send)
                    return
                platform: Platform = request.app.state.platform
                scope.setdefault("state", {})["consistent"] = await platform.watch.wait_for(
                    position, platform.settings.consistency_wait_s)
        await self.graphql(scope, receive, send)


def create_app(settings: config.Settings | None = None,
               on_start: Callable[[Platform], Awaitable[None]] | None = None,
               projections: Sequence[Projection] = ALL, run_projections: bool = True) -> Starlette:
    """The API. With `run_projections` False (`gongzhi serve --no-projections`) this process runs none: it serves
    from the read models that `gongzhi projector` processes keep, and knows how far they are from their tracking
    rows (projections/watch.py)."""
    settings = settings or config.load()
    tracing.setup()  # off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (backend/tracing.py)
    limits = Limits(settings.max_query_depth, settings.max_aliases, settings.max_query_cost, settings.max_page_size)
    schema = build_schema(settings.max_query_depth, settings.max_query_tokens, settings.plain_execution, limits,
                          production=settings.production)
    documents = PersistedDocuments.load(settings.trusted_documents)
    graphql = GongzhiGraphQL(schema, documents, settings.secret, graphql_ide=None if settings.production else "graphiql",
                             max_subscriptions_per_connection=settings.max_subscriptions_per_connection)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        platform = await bootstrap.start(settings, projections=projections, run_projections=run_projections)
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
            head = await asyncio.wait_for(platform.events.head(), READY_DATABASE_S)
        except Exception as e:  # noqa: BLE001 - any failure means not ready
            error = (f"no answer within {READY_DATABASE_S} s" if isinstance(e, TimeoutError)
                     else " ".join(f"{type(e).__name__}: {e}".split())[:300])  # why, in one line
            return JSONResponse({"status": "unavailable", "database": type(e).__name__, "error": error},
                                status_code=503)
        watch = platform.watch  # the read models as the tracking rows (on the read database) show them
        lag = max(0, head - watch.position)
        stalled = watch.stalled
        runner = platform.projections  # when this process runs projections, its runner must hear the log too
        listening = watch.listening and platform.feed.listening and (runner.listening or not runner.running)
        status = ("projection stalled" if stalled else "not listening" if not listening
                  else "catching up" if lag > READY_MAX_LAG else "ready")
        return JSONResponse({"status": status, "database": "ok", "head": head, "projected": watch.position,
                             "lag": lag, "listening": listening, "stalled": stalled},
                            status_code=200 if status == "ready" else 503)

    async def persisted_documents(request: Request) -> Response:
        """The app's persisted documents (Apollo's manifest format), as the server loaded them."""
        return Response(documents.manifest, media_type="application/json")

    return Starlette(
        routes=[
            Route("/graphql", ReadYourWrites(graphql), methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics.endpoint),
            Route("/app/persisted-documents.json", persisted_documents),
            *webapp.routes(),
            Mount("/graphiql", StaticFiles(directory=STATIC / "graphiql"), name="graphiql"),
        ],
        middleware=edge_middleware(settings),
        lifespan=lifespan,
    )


#: Set by `gongzhi serve --workers N` for its worker processes: "0" when they run no projections.
WORKER_PROJECTIONS = "GONGZHI_WORKER_PROJECTIONS"


def worker_app() -> Starlette:
    """The app of one of `gongzhi serve --workers N`'s processes (uvicorn imports this factory in each)."""
    from backend import logs
    logs.configure()
    return create_app(config.load(make_secret=False), run_projections=os.environ.get(WORKER_PROJECTIONS) != "0")


def create_projector_app(settings: config.Settings | None = None,
                         projections: Sequence[Projection] = ALL) -> Starlette:
    """`gongzhi projector`: the projections (leased), the checkpoints and the ballots' releases, and nothing of
    the API; /healthz, /readyz (the leases it holds, how far their projections are) and /metrics."""
    settings = settings or config.load()
    tracing.setup()  # off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (backend/tracing.py)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        platform = await bootstrap.start(settings, projections=projections, api=False)
        app.state.platform = platform
        try:
            yield
        finally:
            await platform.stop()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        """Ready when the database answers and what it holds is not stalled nor far behind; a standby holding no
        lease is ready too (it is what takes over)."""
        platform: Platform = request.app.state.platform
        runner = platform.projections
        try:
            status = await asyncio.wait_for(runner.status(), READY_DATABASE_S)
        except Exception as e:  # noqa: BLE001 - any failure means not ready
            return JSONResponse({"status": "unavailable", "database": type(e).__name__}, status_code=503)
        held = set(runner.held)
        mine = [row for row in status if row["name"] in held]
        stalled = [row["name"] for row in mine if row["state"] == "stalled"]
        lag = max((row["lag"] for row in mine), default=0)
        state = ("projection stalled" if stalled else "not listening" if not runner.listening
                 else "catching up" if lag > READY_MAX_LAG else "ready" if held else "standby")
        return JSONResponse({"status": state, "database": "ok", "held": sorted(held), "lag": lag,
                             "stalled": stalled, "head": status[0]["head"] if status else 0},
                            status_code=200 if state in ("ready", "standby") else 503)

    return Starlette(routes=[Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics.endpoint)],
                     lifespan=lifespan)


def edge_middleware(settings: config.Settings) -> list[Middleware]:
    """The metrics and the request's trace (backend/api/metrics.py), CORS for the configured origins (none by default:
    no CORS headers), then the rate limits, then the body limit."""
    middleware = [Middleware(BodyLimit, max_bytes=settings.max_body_bytes)]
    rate_limits = RateLimits.configured(settings.rate_limit_actor, settings.rate_limit_address,
                                        settings.rate_limit_strategy, settings.rate_limit_storage)
    if rate_limits is not None:
        middleware.insert(0, Middleware(RateLimit, limits=rate_limits, secret=settings.secret))
    if settings.cors_origins:
        middleware.insert(0, Middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Consistent-After",
                           "X-Request-Id"],
            expose_headers=["X-Consistent-Position", "X-Consistency-Timeout", "X-Request-Id", "Retry-After"],
            max_age=600))
    return [Middleware(metrics.Measure), *middleware]  # outermost: it times and counts the refusals too
