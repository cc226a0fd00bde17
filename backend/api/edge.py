"""The HTTP edge: what a request must be before the GraphQL layer spends anything on it.

`BodyLimit` refuses a body beyond the limit (413) while it is read, with or without a
Content-Length; `error_response` is the JSON GraphQL error every refusal at the edge answers
with (a code in `extensions.code`, as inside GraphQL); `consistent_after` reads the
`X-Consistent-After` header strictly.
"""
from __future__ import annotations

import re

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.domain.errors import GongzhiError, InvalidInput

#: The HTTP status of a request refused, by its code, before it ran.
STATUS_BY_CODE = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "UNAVAILABLE": 503}
POSITION = re.compile(r"[0-9]{1,19}")
#: A body over the limit is read on and dropped up to this many bytes (so the client hears the 413), then cut off.
DRAIN_BYTES = 64 * 2**20


def error_response(status: int, code: str, message: str) -> Response:
    """A GraphQL-shaped error body: `{"data": null, "errors": [{message, extensions: {code}}]}`."""
    body = orjson.dumps({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def refusal(error: GongzhiError) -> Response:
    return error_response(STATUS_BY_CODE.get(error.code, 400), error.code, error.message)


def consistent_after(value: str) -> int:
    """The log position an `X-Consistent-After` header names: ASCII digits, a 64-bit integer."""
    value = value.strip()
    if not POSITION.fullmatch(value) or int(value) >= 2**63:
        raise InvalidInput("X-Consistent-After must be a log position: a non-negative 64-bit integer",
                           field="X-Consistent-After")
    return int(value)


class BodyLimit:
    """Pure ASGI: an HTTP request body of more than `max_bytes` is refused with 413, counted as it
    arrives (a chunked body has no Content-Length to trust); a body within it is read whole and
    handed on, so nothing downstream reads more than the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), b"")
        over = declared.isdigit() and int(declared) > self.max_bytes
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay(message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            over = over or size > self.max_bytes
            if over:  # read on (and drop) what the client is still sending, so that it hears the answer
                chunks.clear()
                if size > DRAIN_BYTES:
                    break
            else:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        if over:
            await self.too_large(scope, receive, send, closing=size > DRAIN_BYTES)
            return
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        await self.app(scope, _replay({"type": "http.request", "body": body, "more_body": False}, receive), send)

    async def too_large(self, scope: Scope, receive: Receive, send: Send, closing: bool) -> None:
        response = error_response(413, "INVALID_INPUT", f"the request body is larger than {self.max_bytes} bytes")
        if closing:
            response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)


def _replay(first: Message, receive: Receive) -> Receive:
    """A receive that gives `first` once, then whatever the connection sends next (a disconnect)."""
    pending: list[Message] = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
