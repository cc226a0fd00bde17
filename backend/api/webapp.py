"""The app at /app: the shipped build of `app/` (backend/api/static/app), served with a strict Content-Security-Policy.

Files of the build (its `assets/` and `icons/`, the web manifest, the service worker `sw.js`) are served as they
are; every other path under /app is one of the app's screens and answers the app's index.html. The service worker is
answered with `Cache-Control: no-cache` (a new version is found at the next start) and `Service-Worker-Allowed: /app`
(its scope is /app itself, which lies above /app/sw.js's folder). Every answer carries the security headers of
frontend-spec/sign-in.md: no inline script or style, connections only to this host (HTTP and its websocket), no
referrer, no framing.
"""
from __future__ import annotations

from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, request_response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUILD = Path(__file__).resolve().parent / "static" / "app"


def content_security_policy(host: str) -> str:
    """The app's policy; `host` (the request's Host) names the websocket it may open beside 'self'."""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            f"connect-src 'self' ws://{host} wss://{host}; worker-src 'self'; manifest-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def security_headers(host: str) -> dict[str, str]:
    return {"Content-Security-Policy": content_security_policy(host), "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


def request_host(scope: Scope) -> str:
    """The request's Host header, if it is a plain host[:port] (else the server's own address)."""
    for name, value in scope.get("headers", []):
        if name == b"host":
            host = value.decode("latin-1")
            if host and all(c.isalnum() or c in ".-:[]" for c in host):
                return host
    server = scope.get("server") or ("localhost", None)
    return f"{server[0]}:{server[1]}" if server[1] else str(server[0])


class Secured:
    """An ASGI app whose HTTP answers carry the app's security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(k.lower().encode(), v.encode()) for k, v in security_headers(request_host(scope)).items()]

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, secured)


# The build's own files at its top (beside index.html), with their types and headers; the rest of /app is screens.
TOP_FILES: dict[str, tuple[str, dict[str, str]]] = {
    "sw.js": ("text/javascript; charset=utf-8", {"Cache-Control": "no-cache", "Service-Worker-Allowed": "/app"}),
    "manifest.webmanifest": ("application/manifest+json", {"Cache-Control": "no-cache"}),
}


async def top_file(request: Request) -> Response:
    """A file the build writes beside index.html (the service worker, the web manifest)."""
    name = request.url.path.removeprefix("/app/")
    media_type, headers = TOP_FILES[name]
    path = BUILD / name
    if not path.is_file():
        return PlainTextResponse("the app is not built: cd app && npm ci && npm run build", status_code=404)
    return FileResponse(path, media_type=media_type, headers=headers)


async def index(request: Request) -> Response:
    """The app's page, for /app and every screen's path under it (the app's router reads the path)."""
    page = BUILD / "index.html"
    if not page.is_file():
        return PlainTextResponse("the app is not built: cd app && npm ci && npm run build", status_code=404)
    return FileResponse(page, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


def routes() -> list[BaseRoute]:
    """/app's routes, to follow any more specific /app route (such as /app/persisted-documents.json)."""
    return [
        # The build's scripts and styles go gzipped to a client that accepts it (a third of the bytes on a slow network).
        Mount("/app/assets", app=Secured(GZipMiddleware(StaticFiles(directory=BUILD / "assets", check_dir=False),
                                                        minimum_size=1024)), name="app-assets"),
        Mount("/app/icons", app=Secured(StaticFiles(directory=BUILD / "icons", check_dir=False)), name="app-icons"),
        *(Route(f"/app/{name}", Secured(request_response(top_file)), methods=["GET", "HEAD"]) for name in TOP_FILES),
        Route("/app", Secured(request_response(index)), methods=["GET", "HEAD"]),
        Route("/app/{path:path}", Secured(request_response(index)), methods=["GET", "HEAD"]),
    ]
