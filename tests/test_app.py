"""Issue 8 item 2: the app at /app, first slice. In Debian's Chromium (driven by Playwright) at a 390x844 touch
viewport, a committee signs in by its link, sees its inbox of delegated tasks, gets a task delegated by another client
live, accepts and completes one (each command once in the log); the token leaves the address bar and is in no URL;
the app sends persisted documents only. Over HTTP: /app's security headers. Without Node.js: the shipped build is
the build of the source."""
from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from backend.api.auth import actor_from_header
from backend.api.documents import MANIFEST
from tests import ops
from tests.browser import CHROMIUM, PHONE, browser, no_horizontal_scroll, small_targets, until_live
from tests.harness import ROOT, SECRET, Client, Server, server_env

__all__ = ["CHROMIUM", "PHONE", "browser"]  # the shared fixture and settings (tests/browser.py), for pytest
BUILD = ROOT / "backend" / "api" / "static" / "app"
# The inputs of the build, as app/stamp.mjs lists them (keep the two in step).
SOURCES = ["app/index.html", "app/package.json", "app/package-lock.json", "app/tsconfig.json", "app/vite.config.ts",
           "app/stamp.mjs", "app/codegen.ts", "app/codegen-names.cjs", "app/public", "app/src", "frontend-spec/messages/zh-CN.json",
           "frontend-spec/operations", "schema/schema.graphql"]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def digest(paths: list[Path]) -> str:
    """app/stamp.mjs's digest: the SHA-256 of "<sha256 of the file>  <path from the root>" lines, sorted by path."""
    names = sorted(path.relative_to(ROOT).as_posix() for path in paths)
    lines = "".join(f"{hashlib.sha256((ROOT / name).read_bytes()).hexdigest()}  {name}\n" for name in names)
    return hashlib.sha256(lines.encode()).hexdigest()


def files(path: Path) -> list[Path]:
    return [p for p in sorted(path.rglob("*")) if p.is_file()] if path.is_dir() else [path]


def test_shipped_build_is_the_build_of_the_source() -> None:
    """backend/api/static/app is what `npm run build` in app/ makes of the source: its stamp names the sources' digest
    and each file of the build (so a source edited without a rebuild, or a build edited by hand, fails here)."""
    stamp = json.loads((BUILD / "build-stamp.json").read_text(encoding="utf-8"))
    sources = digest([f for source in SOURCES for f in files(ROOT / source)])
    assert stamp["sources"] == sources, "app/ changed since the shipped build: run `cd app && npm ci && npm run build`"
    shipped = {p.relative_to(BUILD).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in files(BUILD) if p.name != "build-stamp.json"}
    assert shipped == stamp["outputs"], "backend/api/static/app differs from its build: rebuild it, do not edit it"


def test_the_app_names_only_operations_of_the_folder() -> None:
    """The app's source holds no GraphQL document of its own: it names operations of frontend-spec/operations/,
    whose persisted documents it loads from the server's manifest."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in files(ROOT / "app" / "src"))
    named = set(re.findall(r'document\("(\w+)"', source))
    union = re.search(r"export type OperationName =([^;]+);", source)
    assert union, "app/src/operations.ts names its operations in OperationName"
    named |= set(re.findall(r'"(\w+)"', union.group(1)))
    assert named and named <= {p.stem for p in MANIFEST.parent.glob("*.graphql")}, named
    assert not re.search(r"gql\s*`|[\"'`]\s*(query|mutation|subscription|fragment)\s+\w", source), \
        "a GraphQL document in app/src"


async def test_app_is_served_with_a_strict_content_security_policy(server: Server) -> None:
    base = server.url.removesuffix("/graphql")
    async with httpx.AsyncClient(base_url=base) as http:
        for path in ("/app", "/app/", "/app/task/some-task"):
            page = await http.get(path)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path
            csp = page.headers["content-security-policy"]
            assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
            assert f"connect-src 'self' ws://127.0.0.1:{server.port} " in csp
            assert "frame-ancestors 'none'" in csp and page.headers["referrer-policy"] == "no-referrer"
            assert page.headers["x-content-type-options"] == "nosniff"
            # No inline script or style: every script is a file of the build.
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) and "<style" not in page.text
        script = re.search(r'<script[^>]*src="(/app/assets/[^"]+\.js)"', page.text)
        assert script, page.text
        asset = await http.get(script.group(1))
        assert asset.status_code == 200 and "javascript" in asset.headers["content-type"]
        assert asset.headers["content-encoding"] == "gzip", "the build's script goes gzipped to a client that accepts it"
        assert "content-security-policy" in asset.headers
        # The persisted documents' route stands before the app's paths.
        manifest = await http.get("/app/persisted-documents.json")
        assert manifest.status_code == 200 and manifest.json()["format"] == "apollo-persisted-query-manifest"


def test_start_prints_the_committee_app_link(server: Server) -> None:
    """`gongzhi serve` (what ./start runs) prints a link that opens the app signed in as the demo committee."""
    log = Path(server.env["GONGZHI_DATA_DIR"], f"server-{server.port}.log").read_text(encoding="utf-8")
    link = re.search(rf"http://127\.0\.0\.1:{server.port}/app#token=(\S+)", log)
    assert link, log
    actor = actor_from_header(SECRET, f"Bearer {link.group(1)}")
    assert actor.role.value == "COMMITTEE" and actor.scope == "320102001001"


class Traffic:
    """What the page sent: every request (URL, headers, body) and every websocket frame."""

    def __init__(self, page: Page) -> None:
        self.requests: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []
        self.sockets: list[str] = []
        self.subscribed = asyncio.Event()
        page.on("request", lambda r: self.requests.append({"url": r.url, "headers": r.headers, "body": r.post_data}))
        page.on("websocket", self.socket)

    def socket(self, ws: Any) -> None:
        self.sockets.append(ws.url)
        ws.on("framesent", self.sent)

    def sent(self, payload: str | bytes) -> None:
        frame = json.loads(payload)
        self.frames.append(frame)
        if frame.get("type") == "subscribe":
            self.subscribed.set()

    def graphql(self) -> list[tuple[dict[str, str], dict[str, Any]]]:
        return [(r["headers"], json.loads(r["body"])) for r in self.requests if r["url"].endswith("/graphql")]


async def scrolls_sideways(page: Page) -> bool:
    return not await no_horizontal_scroll(page)


async def test_committee_inbox_live_accept_complete_in_chromium_P2(server: Server, gql: Client,
                                                                     browser: Browser) -> None:
    c = await ops.community(gql)
    first = (await ops.delegate(gql, c))["task"]
    context = await browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    page = await context.new_page()
    traffic = Traffic(page)
    base = server.url.removesuffix("/graphql")
    await page.goto(f"{base}/app#token={c.committee}")

    # Signed in from the link; the token has left the address bar and stays in the session's storage only.
    inbox = page.locator(f'a[data-task="{first["id"]}"]')
    await expect(inbox).to_contain_text(first["title"])
    assert page.url == f"{base}/app"
    assert await page.evaluate("sessionStorage.getItem('gongzhi.token')") == c.committee
    assert await page.evaluate("localStorage.length") == 0

    # Live: a task another client delegates appears without a reload.
    await page.evaluate("window.sameDocument = true")
    await asyncio.wait_for(traffic.subscribed.wait(), 10)

    async def probe() -> Locator:
        return page.locator(f'a[data-task="{(await ops.delegate(gql, c))["task"]["id"]}"]')

    await until_live(probe)
    second = (await gql.call(ops.DELEGATE, {"input": {
        "communityCode": c.code, "title": "独居老人走访登记", "fromDepartment": "区民政局", "dutyItemCode": "AG-01"}},
        c.department))["delegateTask"]["task"]
    arrived = page.locator(f'a[data-task="{second["id"]}"]')
    await expect(arrived).to_contain_text("独居老人走访登记")
    await expect(arrived).to_contain_text("新派发的事项")
    assert await page.evaluate("window.sameDocument") is True

    assert await small_targets(page) == [] and await scrolls_sideways(page) is False

    # Accept, then complete, from the task's detail (the app's router: the same document throughout).
    await inbox.tap()
    accept = page.get_by_role("button", name="接收")
    await expect(accept).to_be_visible()
    assert await small_targets(page) == [] and await scrolls_sideways(page) is False
    await accept.tap()
    await expect(page.locator(".status")).to_have_text("办理中")
    await page.get_by_role("button", name="办结").tap()
    await expect(page.locator(".status")).to_have_text("已办结")
    assert await page.evaluate("window.sameDocument") is True
    await context.close()

    history = (await gql.call(ops.HISTORY, {"id": first["id"]}, c.auditor))["history"]
    types = [event["type"] for event in history]
    assert types.count("TaskAccepted") == 1 and types.count("TaskCompleted") == 1, types

    # Over the wire: persisted documents only, the token in headers and connection_init, never in a URL;
    # each command with its own Idempotency-Key.
    ids = {op["id"] for op in json.loads(MANIFEST.read_text(encoding="utf-8"))["operations"]}
    assert all(c.committee not in r["url"] for r in traffic.requests) and all(c.committee not in u
                                                                              for u in traffic.sockets)
    keys = []
    for headers, body in traffic.graphql():
        assert "query" not in body and body["extensions"]["persistedQuery"]["sha256Hash"] in ids, body
        assert headers["authorization"] == f"Bearer {c.committee}"
        if "idempotency-key" in headers:
            keys.append(headers["idempotency-key"])
    assert len(keys) == 2 and len(set(keys)) == 2 and all(UUID.fullmatch(k) for k in keys), keys
    init = next(f for f in traffic.frames if f["type"] == "connection_init")
    assert init["payload"] == {"Authorization": f"Bearer {c.committee}"}
    subscribe = next(f for f in traffic.frames if f["type"] == "subscribe")["payload"]
    assert "query" not in subscribe and subscribe["extensions"]["persistedQuery"]["sha256Hash"] in ids


@pytest.fixture(scope="module")
def trusted_only(data_dir: Path, database_url: str | None) -> Iterator[Server]:
    """A second server on the session's database that runs persisted documents only (production's setting)."""
    server = Server(server_env(data_dir, database_url) | {"GONGZHI_TRUSTED_DOCUMENTS": "only",
                                                          "GONGZHI_POOL_SIZE": "2"}).start()
    yield server
    server.stop()


async def test_a_pasted_token_signs_in_on_a_server_that_runs_persisted_documents_only(
        gql: Client, trusted_only: Server, browser: Browser) -> None:
    """GONGZHI_TRUSTED_DOCUMENTS=only: the app's queries, commands and subscription all run (it sends ids only);
    a token that fails its check keeps the user on the sign-in screen with the catalog's words."""
    c = await ops.community(gql)
    task = await ops.delegate(gql, c)
    await ops.caught_up(gql, c.committee, task["receipt"]["position"])
    context = await browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    page = await context.new_page()
    traffic = Traffic(page)
    await page.goto(trusted_only.url.removesuffix("/graphql") + "/app")
    await page.get_by_label("请粘贴登录令牌").fill("not-a-token")
    await page.get_by_role("button", name="登录").tap()
    await expect(page.get_by_role("alert")).to_have_text("登录已失效，请重新登录")
    await page.get_by_label("请粘贴登录令牌").fill(c.committee)
    await page.get_by_role("button", name="登录").tap()
    await page.locator(f'a[data-task="{task["task"]["id"]}"]').tap()
    await page.get_by_role("button", name="接收").tap()
    await expect(page.locator(".status")).to_have_text("办理中")
    await asyncio.wait_for(traffic.subscribed.wait(), 10)
    await context.close()
