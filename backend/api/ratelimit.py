"""Rate limits on /graphql, per actor (the bearer token's subject) and per client address, with the `limits` library.

Every HTTP request to /graphql and every websocket connection attempt there counts once against its client address
(the address uvicorn sees: behind a proxy, run uvicorn with `--forwarded-allow-ips`) and, when it carries a valid
bearer token in `Authorization`, once against the token's subject. Over either limit, an HTTP request is answered
429 with `Retry-After` (whole seconds) and a GraphQL error `RATE_LIMITED` (`extensions.retryAfter`, `extensions.limit`
naming which); a websocket attempt is denied the same way (a 429 response where the server supports ASGI's websocket
denial response, else closed with 1013, try again later). Health endpoints, the app and GraphiQL's assets are not
counted. The counts live in the process by default (`memory://`: each server process counts alone, and a restart
forgets them); `GONGZHI_RATE_LIMIT_STORAGE` may name another storage `limits` supports (`redis://host:6379`, with
its client installed) for processes that share one count.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import orjson
from limits import RateLimitItem, parse_many
from limits.aio import strategies
from limits.aio.storage import Storage
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.api.auth import actor_from_header
from backend.domain.errors import RateLimited, Unauthenticated

STRATEGIES: dict[str, type[strategies.RateLimiter]] = {
    "fixed-window": strategies.FixedWindowRateLimiter,
    "moving-window": strategies.MovingWindowRateLimiter,
    "sliding-window-counter": strategies.SlidingWindowCounterRateLimiter,
}
#: The paths that are counted (the API); everything else (/healthz, /readyz, /app, /graphiql) is not.
LIMITED_PATHS = frozenset({"/graphql"})
#: The websocket close code for a refused attempt where no denial response can be sent: try again later.
TRY_AGAIN_LATER = 1013


def limits_of(name: str, value: str) -> list[RateLimitItem]:
    """Rate limits in `limits`' notation ("600/minute", "10/second;600/minute"); "", "off" or "0": none."""
    if value.strip().lower() in ("", "off", "0", "none"):
        return []
    try:
        return parse_many(value)
    except ValueError:
        raise SystemExit(f"{name} must be rate limits such as 600/minute or 10/second;600/minute, or off; "
                         f"not {value!r}") from None


@dataclass
class RateLimits:
    """The limits per actor and per address, counted by one strategy in one storage."""

    limiter: strategies.RateLimiter
    actor: list[RateLimitItem]
    address: list[RateLimitItem]

    @classmethod
    def configured(cls, actor: str, address: str, strategy: str = "fixed-window",
                   storage: str = "memory://") -> RateLimits | None:
        """From the settings (GONGZHI_RATE_LIMIT_*); None when both are off. A bad value stops the server."""
        per_actor = limits_of("GONGZHI_RATE_LIMIT_ACTOR", actor)
        per_address = limits_of("GONGZHI_RATE_LIMIT_ADDRESS", address)
        if not per_actor and not per_address:
            return None
        if strategy not in STRATEGIES:
            raise SystemExit(f"GONGZHI_RATE_LIMIT_STRATEGY must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
        uri = storage if storage.startswith("async+") else f"async+{storage}"
        try:
            store = storage_from_string(uri)
        except Exception as e:  # noqa: BLE001 - any storage `limits` cannot make is a setting to fix
            raise SystemExit(f"GONGZHI_RATE_LIMIT_STORAGE: {e}") from None
        assert isinstance(store, Storage)
        return cls(STRATEGIES[strategy](store), per_actor, per_address)

    async def wait(self, actor: str | None, address: str | None) -> tuple[str, int] | None:
        """Count one request; None if it is within every limit, else which limit ("actor" or "address") it is over
        and the seconds until that one's window lets it through."""
        over: tuple[str, int] | None = None
        for kind, key, items in (("address", address, self.address), ("actor", actor, self.actor)):
            if key is None:
                continue
            for item in items:
                if not await self.limiter.hit(item, kind, key):
                    stats = await self.limiter.get_window_stats(item, kind, key)
                    seconds = max(1, math.ceil(stats.reset_time - time.time()))
                    if over is None or seconds > over[1]:
                        over = (kind, seconds)
        return over


def subject(secret: str, scope: Scope) -> str | None:
    """The subject of the request's bearer token, when it carries a valid one in `Authorization`."""
    header = next((value for name, value in scope.get("headers", ()) if name == b"authorization"), None)
    if not header:
        return None
    try:
        return actor_from_header(secret, header.decode("latin-1")).id
    except Unauthenticated:
        return None  # counted by its address only; the request itself is refused later


def refusal(kind: str, seconds: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    error = RateLimited(f"too many requests from this {kind} just now; retry after {seconds} s",
                        retryAfter=seconds, limit=kind)
    body = orjson.dumps({"data": None, "errors": [
        {"message": error.message, "extensions": {**error.extensions, "code": error.code}}]})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"retry-after", str(seconds).encode())]
    return body, headers


class RateLimit:
    """Pure ASGI: counts each HTTP request and websocket attempt to /graphql; over a limit, 429 (see the module)."""

    def __init__(self, app: ASGIApp, limits: RateLimits, secret: str) -> None:
        self.app = app
        self.limits = limits
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path") not in LIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        over = await self.limits.wait(subject(self.secret, scope), client[0] if client else None)
        if over is None:
            await self.app(scope, receive, send)
            return
        body, headers = refusal(*over)
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": 429, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})


__all__ = ["RateLimit", "RateLimits", "limits_of"]
