"""Issue 8, items 2 and 4: the app's shell offline, in Debian's Chromium (Playwright) at a 390x844 touch viewport.
An installable PWA (web manifest, icons, a service worker served with its headers); after a first visit the shell
opens offline and shows the last data it had, marked offline with its age; an activity recorded offline (P22, P34)
waits in the outbox (IndexedDB), is shown pending and reaches the log exactly once when the phone is back online,
also after the app was closed and reopened offline, and after a crash mid-send (the same Idempotency-Key sent again);
elder mode (长辈版) enlarges the type and persists; the pending and settings screens pass axe-core and fit 360 px."""
from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from tests import ops
from tests.browser import (
    NARROW_PHONE,
    PHONE,
    TIMEOUT_MS,
    browser,
    no_horizontal_scroll,
    serious_axe_violations,
    small_targets,
)
from tests.harness import Client, Server

__all__ = ["browser"]  # the fixture, imported for pytest

OFFLINE_BAR = "当前离线，显示的是 不到 1 分钟前的数据"


def base(server: Server) -> str:
    return server.url.removesuffix("/graphql")


async def phone(browser: Browser, **options: Any) -> BrowserContext:
    context = await browser.new_context(**(PHONE | options))
    context.set_default_timeout(TIMEOUT_MS)
    return context


async def open_as(context: BrowserContext, server: Server, path: str, token: str) -> Page:
    """Opens `path` of the app signed in by a link's token (the fragment), as `./start`'s links do."""
    page = await context.new_page()
    await page.goto(f"{base(server)}{path}#token={token}")
    return page


async def held(gql: Client, c: ops.Community, title: str) -> list[dict[str, Any]]:
    """The ActivityHeld events of the log with `title` (read by the community's auditor)."""
    events = (await gql.call(ops.EVENT_LOG, {"after": 0, "first": 1000, "types": ["ActivityHeld"]},
                             c.auditor))["eventLog"]
    return [e for e in events if e["data"].get("title") == title]


async def fill_activity(page: Page, title: str, participants: int = 12) -> None:
    await page.get_by_label("活动名称").fill(title)
    await page.get_by_label("参加人数").fill(str(participants))
    if await page.locator("#volunteer-0").count() == 0:
        await page.get_by_role("button", name="添加志愿者").tap()
    await page.get_by_label("志愿者 1 志愿者编号").fill("volunteer-1")
    await page.locator("#hours-0").fill("2.5")
    await page.locator("form").get_by_role("button", name="记录活动").tap()


async def outbox(page: Page) -> list[dict[str, Any]]:
    """The records of the app's outbox (IndexedDB "gongzhi", store "outbox")."""
    return await page.evaluate("""() => new Promise((done, fail) => {
        const open = indexedDB.open("gongzhi");
        open.onerror = () => fail(open.error);
        open.onsuccess = () => {
            const request = open.result.transaction("outbox").objectStore("outbox").getAll();
            request.onsuccess = () => { open.result.close(); done(request.result); };
        };
    })""")


async def test_manifest_icons_and_service_worker_are_served_for_an_installable_app(server: Server) -> None:
    """The web manifest (name 共治, zh-CN, start_url /app, standalone, 192/512 and maskable icons), the icons as PNG,
    and the service worker at /app/sw.js: JavaScript, never cached by HTTP, allowed the scope /app, under the CSP;
    it precaches the shell: the page, its script (which holds the trusted documents' manifest) and style, the icons."""
    async with httpx.AsyncClient(base_url=base(server)) as http:
        page = await http.get("/app")
        assert '<link rel="manifest" href="/app/manifest.webmanifest">' in page.text
        answer = await http.get("/app/manifest.webmanifest")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/manifest+json")
        manifest = answer.json()
        assert manifest["name"] == "共治" and manifest["lang"] == "zh-CN" and manifest["display"] == "standalone"
        assert manifest["start_url"] == "/app" and manifest["scope"] == "/app"
        icons = {(i["sizes"], i.get("purpose", "any")): i["src"] for i in manifest["icons"]}
        assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(icons)
        for src in icons.values():
            icon = await http.get(src)
            assert icon.status_code == 200 and icon.content.startswith(b"\x89PNG"), src
        sw = await http.get("/app/sw.js")
        assert sw.status_code == 200 and "javascript" in sw.headers["content-type"]
        assert sw.headers["cache-control"] == "no-cache" and sw.headers["service-worker-allowed"] == "/app"
        assert "script-src 'self';" in sw.headers["content-security-policy"]
        script = re.search(r'src="/app/(assets/[^"]+\.js)"', page.text)
        assert script and f'"{script.group(1)}"' in sw.text and '"index.html"' in sw.text
        assert '"icons/icon-192.png"' in sw.text and '"manifest.webmanifest"' in sw.text
        # A screen's path still answers the app's page (the router's), not a file.
        assert (await http.get("/app/sw.js/x")).headers["content-type"].startswith("text/html")


async def test_the_shell_opens_offline_after_a_first_visit_with_its_last_data_and_age(
        server: Server, gql: Client, browser: Browser) -> None:
    """After a first visit (the service worker installed, the inbox read), the phone goes offline and the app is
    reloaded: the shell comes from the service worker, the inbox shows the task it had (Graphcache's IndexedDB) and
    the bar says the data is offline with its age."""
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    context = await phone(browser)
    page = await open_as(context, server, "/app", c.committee)
    await expect(page.locator(f'a[data-task="{task["id"]}"]')).to_contain_text(task["title"])
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await expect(page.locator("[data-state=offline]")).to_have_count(0)
    await page.wait_for_timeout(500)  # Graphcache writes its IndexedDB after the answer

    await context.set_offline(True)
    await page.reload()
    assert await page.evaluate("navigator.serviceWorker.controller !== null"), "the page is the service worker's"
    await expect(page.locator(f'a[data-task="{task["id"]}"]')).to_contain_text(task["title"])
    await expect(page.locator("[data-state=offline]")).to_have_text(OFFLINE_BAR)
    # Another screen's path, never visited, opens from the cache too (navigateFallback).
    await page.goto(f"{base(server)}/app/settings")
    await expect(page.get_by_role("heading", name="设置")).to_be_visible()
    await context.close()


async def test_a_refresh_the_server_fails_while_online_marks_the_data_stale_with_its_age(
        server: Server, gql: Client, browser: Browser) -> None:
    """Online, but the server answers a refresh with an error (HTTP 503): the bar says the data on screen is from the
    last answer, with its age (msg:state.stale), not that the phone is offline; the next answer clears it."""
    c = await ops.community(gql)
    await ops.delegate(gql, c)
    context = await phone(browser, service_workers="block")
    page = await open_as(context, server, "/app", c.committee)
    await expect(page.locator("a[data-task]")).to_have_count(1)

    async def unavailable(route: Route) -> None:
        await route.fulfill(status=503, content_type="text/plain", body="unavailable")

    await page.route("**/graphql", unavailable)
    await page.get_by_role("button", name="办理中").tap()
    await expect(page.locator("[data-state=stale]")).to_have_text("数据更新于 不到 1 分钟前")
    await expect(page.locator("[data-state=offline]")).to_have_count(0)
    await page.unroute("**/graphql")
    await page.get_by_role("button", name="已办结").tap()
    await expect(page.locator("[data-state=stale]")).to_have_count(0)
    await context.close()


async def test_an_activity_recorded_offline_is_pending_then_reaches_the_log_once_P22(
        server: Server, gql: Client, browser: Browser) -> None:
    """Offline, the committee records an activity: it waits in the outbox (shown on the activity list and on the
    pending screen as 待发送); back online it is sent and the log holds exactly one ActivityHeld with its title."""
    c = await ops.community(gql)
    title = f"重阳节敬老活动-{uuid.uuid4().hex[:6]}"
    context = await phone(browser)
    page = await open_as(context, server, "/app/activities", c.committee)
    await expect(page.get_by_role("heading", name="记录活动")).to_be_visible()
    await expect(page.get_by_text("还没有记录活动")).to_be_visible()

    await context.set_offline(True)
    await fill_activity(page, title)
    await expect(page.get_by_role("status")).to_have_text("已保存在手机上，联网后自动提交")
    row = page.locator(".activity-row.queued")
    await expect(row).to_contain_text(title)
    await expect(row).to_contain_text("待发送")
    await expect(page.locator("[data-state=queued]")).to_have_text("有 1 项更改待发送，联网后自动提交")
    await page.locator("[data-state=queued]").tap()
    await expect(page.get_by_role("heading", name="待发送的更改")).to_be_visible()
    await expect(page.locator(".pending-item")).to_contain_text(f"记录活动：{title}")
    records = await outbox(page)
    assert len(records) == 1 and records[0]["state"] == "queued" and records[0]["name"] == "RecordActivity"
    assert await held(gql, c, title) == []

    await context.set_offline(False)
    await expect(page.get_by_text("没有待发送的更改")).to_be_visible()
    await expect(page.locator("[data-state=queued]")).to_have_count(0)
    assert await outbox(page) == []
    events = await held(gql, c, title)
    assert len(events) == 1 and events[0]["data"]["participants"] == 12, events
    # The activity list shows it from the answer (the cache), not from the queue.
    await page.locator(".bottom").get_by_role("link", name="活动").tap()
    await expect(page.locator(".bottom").get_by_role("link", name="活动")).to_have_attribute("aria-current", "page")
    await expect(page.locator(".activity-row").filter(has_text=title)).to_have_count(1)
    await context.close()


async def test_an_activity_queued_offline_survives_closing_the_app_and_is_sent_once_after_reopening_P22(
        server: Server, gql: Client, browser: Browser) -> None:
    """Offline, an activity is recorded and the app is closed; reopened offline (a new page, by the sign-in link)
    the app starts from the service worker with the actor read from the token, shows the queued change, and sends it
    once the phone is online: exactly one ActivityHeld."""
    c = await ops.community(gql)
    title = f"社区义诊-{uuid.uuid4().hex[:6]}"
    context = await phone(browser)
    page = await open_as(context, server, "/app/activities", c.committee)
    await expect(page.get_by_role("heading", name="记录活动")).to_be_visible()
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await context.set_offline(True)
    await fill_activity(page, title)
    await expect(page.locator("[data-state=queued]")).to_be_visible()
    await page.close()

    page = await open_as(context, server, "/app/pending", c.committee)
    await expect(page.get_by_role("heading", name="待发送的更改")).to_be_visible()
    await expect(page.locator(".pending-item")).to_contain_text(title)
    await expect(page.locator("[data-state=offline]")).to_be_visible()
    assert await held(gql, c, title) == []

    await context.set_offline(False)
    await expect(page.get_by_text("没有待发送的更改")).to_be_visible()
    assert len(await held(gql, c, title)) == 1
    await context.close()


async def test_a_command_left_sending_by_a_crash_is_sent_again_with_its_key_and_logged_once_P22(
        server: Server, gql: Client, browser: Browser) -> None:
    """The app is killed after the server committed a command but before it removed the command from the outbox (its
    record left "sending", with the key the server has already seen). Reopened, the app sends the record again with
    the same Idempotency-Key, the server answers its first answer and appends nothing: one ActivityHeld."""
    c = await ops.community(gql)
    title = f"垃圾分类宣传-{uuid.uuid4().hex[:6]}"
    context = await phone(browser)
    page = await open_as(context, server, "/app/activities", c.committee)
    await expect(page.get_by_role("heading", name="记录活动")).to_be_visible()
    await context.set_offline(True)
    await fill_activity(page, title)
    [record] = await outbox(page)
    await context.set_offline(False)  # sent: the server commits it, the app removes it
    await expect(page.locator("[data-state=queued]")).to_have_count(0)
    assert await outbox(page) == [] and len(await held(gql, c, title)) == 1

    # The state a crash mid-send leaves: the same record, "sending" (the answer never reached the outbox).
    await page.evaluate("""record => new Promise((done, fail) => {
        const open = indexedDB.open("gongzhi");
        open.onsuccess = () => {
            const tx = open.result.transaction("outbox", "readwrite");
            tx.objectStore("outbox").put(record);
            tx.oncomplete = () => { open.result.close(); done(); };
            tx.onerror = () => fail(tx.error);
        };
    })""", record | {"state": "sending"})
    await page.close()
    page = await context.new_page()
    sent: list[str] = []
    page.on("request", lambda r: r.url.endswith("/graphql") and "idempotency-key" in r.headers
            and sent.append(r.headers["idempotency-key"]))
    await page.goto(f"{base(server)}/app/pending#token={c.committee}")
    await expect(page.get_by_text("没有待发送的更改")).to_be_visible()
    assert await outbox(page) == []
    assert sent == [record["key"]], (sent, record["key"])
    assert len(await held(gql, c, title)) == 1
    await context.close()


async def test_a_command_whose_answer_is_lost_on_the_way_is_retried_with_its_key_and_logged_once_P22(
        server: Server, gql: Client, browser: Browser) -> None:
    """The server commits the activity, the answer is lost (the connection drops): the command stays queued, is sent
    again with the same Idempotency-Key after the backoff, the server answers its first answer, the queue empties and
    the log holds one ActivityHeld."""
    c = await ops.community(gql)
    title = f"消防演练-{uuid.uuid4().hex[:6]}"
    context = await phone(browser, service_workers="block")
    page = await open_as(context, server, "/app/activities", c.committee)
    await expect(page.get_by_role("heading", name="记录活动")).to_be_visible()
    keys: list[str] = []

    async def drop_the_first_answer(route: Route) -> None:
        key = route.request.headers.get("idempotency-key")
        if key:
            keys.append(key)
            if len(keys) == 1:
                await route.fetch()  # committed on the server
                await route.abort("connectionreset")
                return
        await route.continue_()

    await page.route("**/graphql", drop_the_first_answer)
    await fill_activity(page, title)
    await expect(page.get_by_role("status")).to_have_text("已保存在手机上，联网后自动提交")
    await expect(page.locator("[data-state=queued]")).to_have_count(0)  # sent again within the backoff (1 s)
    assert await outbox(page) == []
    assert len(keys) == 2 and keys[0] == keys[1], keys
    assert len(await held(gql, c, title)) == 1
    await context.close()


async def test_one_tab_sends_the_outbox_when_two_tabs_are_open_P22(
        server: Server, gql: Client, browser: Browser) -> None:
    """Two tabs of the app (one actor) while a change waits: back online, both tabs start sending, but the outbox is
    sent by one tab at a time (a Web Lock), so the change leaves the phone once; both tabs' bars follow the outbox."""
    c = await ops.community(gql)
    title = f"健康讲座-{uuid.uuid4().hex[:6]}"
    context = await phone(browser)
    sent: list[str] = []

    def watch(page: Page) -> Page:
        page.on("request", lambda r: r.url.endswith("/graphql") and "idempotency-key" in r.headers
                and sent.append(r.headers["idempotency-key"]))
        return page

    first = watch(await open_as(context, server, "/app/activities", c.committee))
    second = watch(await open_as(context, server, "/app/pending", c.committee))
    await expect(second.get_by_text("没有待发送的更改")).to_be_visible()
    await context.set_offline(True)
    await fill_activity(first, title)
    await expect(second.locator(".pending-item")).to_contain_text(title)  # told through the BroadcastChannel
    await context.set_offline(False)
    await expect(second.get_by_text("没有待发送的更改")).to_be_visible()
    await expect(first.locator("[data-state=queued]")).to_have_count(0)
    await first.wait_for_timeout(500)
    assert len(sent) == 1, sent
    assert len(await held(gql, c, title)) == 1
    await context.close()


async def test_elder_mode_enlarges_the_type_and_persists_across_a_reload(
        server: Server, gql: Client, browser: Browser) -> None:
    """Settings' 长辈版 switch: the body text grows (16 px → 20 px, MIIT: >= 18), <html> carries data-elder, the choice is
    remembered on the phone (localStorage['gongzhi.elder']) and holds after a reload; switching off restores it."""
    c = await ops.community(gql)
    context = await phone(browser)
    page = await open_as(context, server, "/app/settings", c.committee)
    switch = page.get_by_role("switch", name="长辈版")
    await expect(switch).to_have_attribute("aria-checked", "false")
    size = "() => parseFloat(getComputedStyle(document.body).fontSize)"
    title = "() => parseFloat(getComputedStyle(document.querySelector('h2')).fontSize)"
    assert await page.evaluate(size) == 16
    standard_title = await page.evaluate(title)
    await switch.tap()
    await expect(switch).to_have_attribute("aria-checked", "true")
    assert await page.evaluate(size) == 20 and await page.evaluate(title) >= 30 > standard_title
    assert await page.evaluate("localStorage.getItem('gongzhi.elder')") == "1"
    assert await small_targets(page) == []
    assert await page.evaluate("""[...document.querySelectorAll('button, a')].every(e => {
        const r = e.getBoundingClientRect(); return r.width === 0 || (r.width >= 60 && r.height >= 60) })""")
    await page.reload()
    await expect(page.get_by_role("switch", name="长辈版")).to_have_attribute("aria-checked", "true")
    assert await page.evaluate("document.documentElement.hasAttribute('data-elder')")
    assert await page.evaluate(size) == 20
    await page.get_by_role("switch", name="长辈版").tap()
    assert await page.evaluate(size) == 16
    assert await page.evaluate("localStorage.getItem('gongzhi.elder')") is None
    await context.close()


async def test_pending_settings_and_activity_screens_pass_axe_and_fit_360_px_in_both_modes(
        server: Server, gql: Client, browser: Browser) -> None:
    """The pending screen (with a queued and a failed change), the settings screen and the activity screen (offline,
    from the cache): no serious or critical axe-core violation (WCAG 2.1 AA), no target under 44 px, nothing scrolls
    sideways at 360 px; in standard and elder mode."""
    c = await ops.community(gql)
    context = await browser.new_context(**NARROW_PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = await open_as(context, server, "/app/activities", c.committee)
    await expect(page.get_by_role("heading", name="记录活动")).to_be_visible()
    # A refused change (participants over the limit: INVALID_INPUT) and a queued one (offline).
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await fill_activity(page, "参加人数过多的活动", participants=2_000_000)
    await expect(page.get_by_role("alert")).to_contain_text("参加人数")
    await context.set_offline(True)
    await fill_activity(page, "一项很长的活动名称" * 8)
    await expect(page.locator("[data-state=queued]")).to_be_visible()
    await expect(page.locator("[data-state=failed]")).to_be_visible()
    for elder in (False, True):
        if elder:
            await page.evaluate("localStorage.setItem('gongzhi.elder', '1')")
        for path, heading in (("/app/pending", "待发送的更改"), ("/app/settings", "设置"), ("/app/activities", "记录活动")):
            await page.goto(f"{base(server)}{path}")
            await expect(page.get_by_role("heading", name=heading)).to_be_visible()
            if path == "/app/pending":
                await expect(page.locator(".pending-item")).to_have_count(2)
                await expect(page.locator(".pending-item.failed [role=alert]")).to_have_text(
                    "“参加人数”填写有误，请检查后重新提交")
            assert await page.evaluate("document.documentElement.hasAttribute('data-elder')") is elder
            assert await serious_axe_violations(page) == [], (path, elder)
            assert await small_targets(page) == [], (path, elder)
            assert await no_horizontal_scroll(page), (path, elder)
    await context.close()


async def cached_records(page: Page, actor: str) -> int:
    """How many records the actor's Graphcache database holds (IndexedDB "gongzhi-cache-<actor>")."""
    return await page.evaluate("""name => new Promise((done, fail) => {
        const open = indexedDB.open(name);
        open.onerror = () => fail(open.error);
        open.onupgradeneeded = () => open.transaction.abort();
        open.onsuccess = () => {
            if (!open.result.objectStoreNames.contains("entries")) { open.result.close(); return done(0); }
            const request = open.result.transaction("entries").objectStore("entries").getAll();
            request.onsuccess = () => {
                open.result.close();
                done(request.result.reduce((n, day) => n + Object.keys(day || {}).length, 0));
            };
        };
    })""", f"gongzhi-cache-{actor}")


async def test_another_actors_queued_command_waits_for_that_actor_and_sign_out_drops_the_cache_P22(
        server: Server, gql: Client, browser: Browser) -> None:
    """Two actors on one phone: A records an activity offline and signs out (A's cached data is dropped, the queued
    change stays, shown as A's on the sign-in screen); B signs in online: A's change is not sent with B's token and
    B's cache is B's own; when A signs in again it is sent, once."""
    a, b = await ops.community(gql), await ops.community(gql)
    actor_a, actor_b = f"committee-{a.code}", f"committee-{b.code}"
    title = f"邻里节-{uuid.uuid4().hex[:6]}"
    context = await phone(browser)
    page = await open_as(context, server, "/app/activities", a.committee)
    await expect(page.get_by_text("还没有记录活动")).to_be_visible()
    await page.wait_for_timeout(300)  # Graphcache writes its IndexedDB after the answer
    assert await cached_records(page, actor_a) > 0
    await context.set_offline(True)
    await fill_activity(page, title)
    await expect(page.locator("[data-state=queued]")).to_be_visible()

    await page.get_by_role("link", name="设置", exact=True).tap()
    await page.get_by_role("button", name="退出登录").tap()
    await expect(page.get_by_label("请粘贴登录令牌")).to_be_visible()
    await expect(page.locator("[data-state=other]")).to_have_text(
        f"有 1 项更改由 {actor_a} 提交，需以该身份登录后才会发送")
    assert await cached_records(page, actor_a) == 0
    assert await page.evaluate("sessionStorage.getItem('gongzhi.token')") is None

    await context.set_offline(False)
    await page.get_by_label("请粘贴登录令牌").fill(b.committee)
    await page.get_by_role("button", name="登录").tap()
    await expect(page.locator("[data-state=other]")).to_contain_text(actor_a)
    await page.get_by_role("link", name="待发送", exact=True).tap()
    await expect(page.locator(".pending-item")).to_contain_text(title)
    await page.wait_for_timeout(1500)  # B's sender has run (start, online): it must leave A's record alone
    assert [r["state"] for r in await outbox(page)] == ["queued"]
    assert await held(gql, a, title) == []
    assert await cached_records(page, actor_a) == 0 and await cached_records(page, actor_b) > 0

    await page.get_by_role("link", name="设置", exact=True).tap()
    await page.get_by_role("button", name="退出登录").tap()
    await page.get_by_label("请粘贴登录令牌").fill(a.committee)
    await page.get_by_role("button", name="登录").tap()
    await expect(page.locator("[data-state=other]")).to_have_count(0)
    await page.get_by_role("link", name="待发送", exact=True).tap()
    await expect(page.get_by_text("没有待发送的更改")).to_be_visible()
    assert len(await held(gql, a, title)) == 1
    await context.close()
