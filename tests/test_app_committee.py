"""Issue 8: the committee's screens of the app at /app, in Debian's Chromium (Playwright) at a 390x844 touch viewport:
decline a task with a reason (P2), file an organization (P28), open an evaluation campaign and get the residents'
link (P26), the community home with its published duty list (P3) and an activity arriving live (P22). Every screen
visited: no serious or critical axe-core violation (WCAG 2.1 AA), no target under 44 px, nothing scrolls sideways
at 360 px. What the app did is checked in the log (one event per command)."""
from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests import ops
from tests.browser import (
    PHONE,
    TIMEOUT_MS,
    browser,
    no_horizontal_scroll,
    serious_axe_violations,
    small_targets,
    until_live,
)
from tests.harness import Client, Server

__all__ = ["browser"]  # the fixture, imported for pytest


async def phone(browser: Browser) -> BrowserContext:
    context = await browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    return context


async def open_as(context: BrowserContext, server: Server, path: str, token: str) -> Page:
    """Opens `path` of the app signed in by a link's token (the fragment), as `./start`'s links do. The page counts
    the graphql-ws `subscribe` frames it sends (`subscribed(page, n)` waits for them)."""
    page = await context.new_page()
    frames: list[dict[str, Any]] = []
    page.subscribe_frames = frames

    def socket(ws: Any) -> None:
        def sent(payload: str | bytes) -> None:
            frame = json.loads(payload)
            if frame.get("type") == "subscribe":
                frames.append(frame)
        ws.on("framesent", sent)
    page.on("websocket", socket)
    await page.goto(f"{server.url.removesuffix('/graphql')}{path}#token={token}")
    return page


async def subscribed(page: Page, count: int) -> None:
    """Waits (10 s at most) until the page has sent `count` subscriptions, then a moment for the server to start
    them (a live read model delivers from when its subscription starts)."""
    frames = page.subscribe_frames
    for _ in range(100):
        if len(frames) >= count:
            await asyncio.sleep(0.2)
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{len(frames)} subscriptions sent, {count} expected")


async def screen_is_usable(page: Page) -> None:
    """The screen as it is now: no serious/critical axe violation, every target at least 44 px, and at 360 px wide
    nothing scrolls sideways (the viewport is set back to 390 afterwards)."""
    assert await serious_axe_violations(page) == []
    assert await small_targets(page) == []
    await page.set_viewport_size({"width": 360, "height": 740})
    try:
        assert await no_horizontal_scroll(page)
    finally:
        await page.set_viewport_size(PHONE["viewport"])


async def history(gql: Client, c: ops.Community, entity: str) -> list[dict[str, Any]]:
    return (await gql.call(ops.HISTORY, {"id": entity}, c.auditor))["history"]


async def test_p2_committee_declines_a_task_with_a_reason_kept_on_the_record(server: Server, gql: Client,
                                                                               browser: Browser) -> None:
    """P2: 退回 asks for a reason (a blank one is refused on the phone, in words); the declined task shows 已退回 and
    the reason; the log holds exactly one TaskDeclined carrying that reason, sent with an Idempotency-Key."""
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    context = await phone(browser)
    page = await open_as(context, server, f"/app/task/{task['id']}", c.committee)
    keys: list[str] = []
    page.on("request", lambda r: keys.append(r.headers["idempotency-key"]) if "idempotency-key" in r.headers else None)
    await expect(page.locator(".status")).to_have_text("待接收")
    await page.get_by_role("button", name="退回", exact=True).tap()
    reason = page.get_by_label("退回理由")
    await expect(reason).to_be_visible()
    await screen_is_usable(page)
    await page.get_by_role("button", name="确认退回").tap()
    await expect(page.get_by_role("alert")).to_have_text("请填写退回理由")
    assert keys == []  # nothing was sent for a blank reason
    await screen_is_usable(page)  # the error state too

    await reason.fill("该事项不属于社区职责清单，请由区统计局直接办理")
    await page.get_by_role("button", name="确认退回").tap()
    await expect(page.locator(".status")).to_have_text("已退回")
    await expect(page.locator(".reason")).to_have_text("退回理由：该事项不属于社区职责清单，请由区统计局直接办理")
    await expect(page.get_by_role("button", name="接收")).to_have_count(0)
    await screen_is_usable(page)
    await context.close()

    events = [e for e in await history(gql, c, task["id"]) if e["type"] == "TaskDeclined"]
    assert len(events) == 1, events
    assert events[0]["data"]["reason"] == "该事项不属于社区职责清单，请由区统计局直接办理"
    assert len(keys) == 1



async def test_p2_a_decline_made_offline_shows_its_intended_status_queued_then_reaches_the_log_once(
        server: Server, gql: Client, browser: Browser) -> None:
    """P2 offline: declining without network queues the command (outbox): the task shows 已退回 with 待发送 and the
    reason, its buttons are gone; back online it is sent once: exactly one TaskDeclined, and the task shows 已退回
    from the server's answer."""
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    context = await phone(browser)
    page = await open_as(context, server, f"/app/task/{task['id']}", c.committee)
    await expect(page.locator(".status")).to_have_text("待接收")
    await context.set_offline(True)
    await page.get_by_role("button", name="退回", exact=True).tap()
    await page.get_by_label("退回理由").fill("人手不足，请改派")
    await page.get_by_role("button", name="确认退回").tap()
    await expect(page.locator(".status")).to_have_text("已退回")
    await expect(page.locator("[data-queued]")).to_have_text("待发送")
    await expect(page.locator(".reason")).to_have_text("退回理由：人手不足，请改派")
    await expect(page.get_by_role("button", name="接收")).to_have_count(0)
    await screen_is_usable(page)
    assert [e for e in await history(gql, c, task["id"]) if e["type"] == "TaskDeclined"] == []

    await context.set_offline(False)
    await expect(page.locator("[data-queued]")).to_have_count(0)
    await expect(page.locator(".status")).to_have_text("已退回")
    await context.close()
    declined = [e for e in await history(gql, c, task["id"]) if e["type"] == "TaskDeclined"]
    assert len(declined) == 1 and declined[0]["data"]["reason"] == "人手不足，请改派", declined

async def test_p28_committee_files_an_organization_under_a_hub(server: Server, gql: Client, browser: Browser) -> None:
    """P28: 社会组织备案 from the community home: name, category, a hub picked from the community's organizations;
    the app says it is filed (已备案); one OrganizationRegistered with status FILED and that hub is in the log, and
    the home lists the organization."""
    c = await ops.community(gql)
    hub = (await gql.call(ops.REGISTER_ORG, {"input": {"name": "长江路社区社会组织联合会", "category": "COMMUNITY_SERVICE",
                                                      "communityCode": c.code, "status": "REGISTERED"}},
                          c.department))["registerOrganization"]["organization"]
    context = await phone(browser)
    page = await open_as(context, server, "/app/home", c.committee)
    await expect(page.locator(f'[data-organization="{hub["id"]}"]')).to_contain_text("长江路社区社会组织联合会")
    await page.get_by_role("link", name="社会组织备案").tap()
    await expect(page.get_by_role("heading", name="社会组织备案")).to_be_visible()
    await expect(page.locator(f'#org-hub option[value="{hub["id"]}"]')).to_have_count(1)
    await screen_is_usable(page)

    await page.get_by_role("button", name="提交备案").tap()
    await expect(page.get_by_role("alert")).to_have_text("请填写组织名称")
    await page.get_by_label("组织名称").fill("银龄志愿服务队")
    await page.get_by_label("类别").select_option("PUBLIC_WELFARE")
    await page.get_by_label("枢纽组织（可不填）").select_option(hub["id"])
    await page.get_by_role("button", name="提交备案").tap()
    filed = page.locator("[data-filed]")
    await expect(filed).to_contain_text("“银龄志愿服务队”已备案")
    await expect(filed).to_contain_text("公益慈善类 · 已备案")
    await screen_is_usable(page)
    org_id = await filed.get_attribute("data-filed")
    assert org_id

    await page.get_by_role("button", name="返回").tap()
    await expect(page.locator(f'[data-organization="{org_id}"]')).to_contain_text("银龄志愿服务队")
    await context.close()

    events = await history(gql, c, org_id)
    assert [e["type"] for e in events] == ["OrganizationRegistered"], events
    assert events[0]["data"]["status"] == "FILED" and events[0]["data"]["hubId"] == hub["id"], events[0]


async def test_p26_committee_opens_a_campaign_and_gets_the_residents_link(server: Server, gql: Client,
                                                                            browser: Browser) -> None:
    """P26: 评议 -> 发起评议: title, closing time, two targets; the app answers with the link residents open
    (/app/campaign/<id>) and the campaign is listed; one EvaluationCampaignOpened with both targets is in the log."""
    c = await ops.community(gql)
    context = await phone(browser)
    page = await open_as(context, server, "/app", c.committee)
    await page.get_by_role("link", name="评议").tap()
    await expect(page.get_by_text("本社区还没有评议")).to_be_visible()
    await screen_is_usable(page)
    await page.get_by_role("link", name="发起评议").tap()
    await expect(page.get_by_role("heading", name="发起评议")).to_be_visible()
    await page.get_by_label("评议名称").fill("2026 年度街道部门服务评议")
    await page.get_by_label("对象编号").fill("street-office")
    await page.get_by_label("对象名称").fill("街道办事处")
    await page.get_by_role("button", name="添加评议对象").tap()
    second = page.locator('[data-target-index="1"]')
    await second.get_by_label("对象编号").fill("water-company")
    await second.get_by_label("对象名称").fill("自来水公司")
    await second.get_by_label("对象类型").select_option("MUNICIPAL_SERVICE")
    await screen_is_usable(page)
    await page.get_by_role("button", name="发起评议").tap()

    opened = page.locator("[data-campaign]")
    await expect(opened).to_contain_text("评议已发起，请把链接发给居民")
    campaign_id = await opened.get_attribute("data-campaign")
    assert campaign_id
    base = server.url.removesuffix("/graphql")
    await expect(page.get_by_label("评议链接")).to_have_value(f"{base}/app/campaign/{campaign_id}")
    await expect(page.get_by_role("button", name="复制链接")).to_be_visible()
    await screen_is_usable(page)

    await page.get_by_role("button", name="返回").tap()
    listed = page.locator(f'li[data-campaign="{campaign_id}"]')
    await expect(listed).to_contain_text("2026 年度街道部门服务评议")
    await expect(listed).to_contain_text("进行中")
    await screen_is_usable(page)
    # The link opens the campaign: the committee sees the targets (it cannot cast, P26: residents only).
    await listed.get_by_role("link", name="打开评议").tap()
    await expect(page.locator('[data-target="water-company"]')).to_contain_text("自来水公司")
    await expect(page.get_by_text("只有本社区居民可以评价，其他身份可以查看结果")).to_be_visible()
    await screen_is_usable(page)
    await context.close()

    events = await history(gql, c, campaign_id)
    assert [e["type"] for e in events] == ["EvaluationCampaignOpened"], events
    assert [t["id"] for t in events[0]["data"]["targets"]] == ["street-office", "water-company"], events[0]


async def test_p3_committee_community_home_shows_the_duty_list_and_an_activity_live(server: Server, gql: Client,
                                                                                      browser: Browser) -> None:
    """P3 and P22: 首页 shows the community, its published duty lists by kind with their version and its counts; an
    activity recorded by another client appears without a reload (op:ActivityRecorded)."""
    c = await ops.community(gql)
    context = await phone(browser)
    page = await open_as(context, server, "/app", c.committee)
    await page.get_by_role("link", name="首页").tap()
    await expect(page.get_by_role("heading", name="社区工作事项清单（第 1 版）")).to_be_visible()
    await expect(page.locator('[data-list="SELF_GOVERNANCE"]')).to_contain_text("居民会议")
    await expect(page.locator('[data-list="ASSIST_GOVERNMENT"]')).to_contain_text("协助人口普查")
    await expect(page.get_by_text("还没有活动记录")).to_be_visible()
    await page.evaluate("window.sameDocument = true")
    await screen_is_usable(page)

    # Wait until the subscriptions are on (the live note says so), then record an activity from another client.
    await expect(page.get_by_text("新的活动和社会组织会自动出现")).to_be_visible()
    await subscribed(page, 2)  # ActivityRecorded and OrganizationRegistered

    async def probe() -> Locator:
        made = (await gql.call(ops.RECORD_ACTIVITY, {"input": {
            "communityCode": c.code, "title": "探测活动", "heldAt": ops.iso(), "participants": 1,
            "volunteerHours": []}}, c.committee))["recordActivity"]["activity"]
        return page.locator(f'[data-activity="{made["id"]}"]')

    await until_live(probe)  # a subscribe frame sent is not yet a subscription the server runs
    activity = (await gql.call(ops.RECORD_ACTIVITY, {"input": {
        "communityCode": c.code, "title": "重阳节敬老活动", "heldAt": ops.iso(), "participants": 42,
        "volunteerHours": [{"volunteerId": "v-1", "hours": 3}]}}, c.committee))["recordActivity"]["activity"]
    arrived = page.locator(f'[data-activity="{activity["id"]}"]')
    await expect(arrived).to_contain_text("重阳节敬老活动")
    await expect(arrived).to_contain_text("42 人参加")
    assert await page.evaluate("window.sameDocument") is True
    await screen_is_usable(page)
    await context.close()


def test_committee_screens_name_only_catalog_keys() -> None:
    """Every t("...") key this helper's screens use is in the catalog (so no raw key reaches the user)."""
    import json

    from tests.harness import ROOT
    catalog = json.loads((ROOT / "frontend-spec/messages/zh-CN.json").read_text(encoding="utf-8"))
    for name in ("home", "task", "organization", "open-campaign", "campaign", "results"):
        source = (ROOT / "app/src/screens" / f"{name}.tsx").read_text(encoding="utf-8")
        for key in re.findall(r'\bt\("([\w.]+)"', source):
            assert key in catalog, f"{name}.tsx: {key}"


NAV = {
    "COMMITTEE": ["待办", "活动", "评议", "减负", "首页"],
    "RESIDENT": ["首页", "评议"],
    "PARTY_COMMITTEE": ["首页", "活动", "减负"],
    "SOCIAL_ORGANIZATION": ["首页", "活动"],
}


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
async def test_every_screen_of_the_community_roles_is_accessible_and_fits_360_px(server: Server, gql: Client,
                                                                                 browser: Browser, elder: bool) -> None:
    """WCAG 2.1 AA and the touch budget on each bottom-navigation screen of COMMITTEE, RESIDENT, PARTY_COMMITTEE and
    SOCIAL_ORGANIZATION (with data: a task, an activity, an organization, a campaign), in standard and in elder mode
    (长辈版: larger type must not clip or overflow): the navigation is screens.md's, in its order; no serious/critical
    axe violation, no target under 44 px, nothing scrolls sideways at 360 px."""
    from backend.domain.access import Role
    from tests.harness import token
    c = await ops.community(gql)
    await ops.delegate(gql, c)
    await ops.campaign(gql, c)
    await gql.call(ops.RECORD_ACTIVITY, {"input": {"communityCode": c.code, "title": "垃圾分类宣传", "heldAt": ops.iso(),
                                                   "participants": 12}}, c.committee)
    tokens = {"COMMITTEE": c.committee, "RESIDENT": c.resident("resident-nav"),
              "PARTY_COMMITTEE": token(Role.PARTY_COMMITTEE, c.code, "party-nav"),
              "SOCIAL_ORGANIZATION": token(Role.SOCIAL_ORGANIZATION, c.code, "org-nav")}
    context = await phone(browser)
    if elder:  # before the app's scripts run, as the settings switch leaves it
        await context.add_init_script("localStorage.setItem('gongzhi.elder', '1')")
    for role, labels in NAV.items():
        page = await open_as(context, server, "/app", tokens[role])
        nav = page.get_by_role("navigation", name="主导航")
        await expect(nav.get_by_role("link")).to_have_text(labels)
        if elder:
            await expect(page.locator("html")).to_have_attribute("data-elder", "")
        for label in labels:
            await nav.get_by_role("link", name=label, exact=True).tap()
            await expect(page.locator("main h2")).to_have_count(1)
            await expect(page.locator("main [aria-busy=true]")).to_have_count(0)
            try:
                await screen_is_usable(page)
            except AssertionError as failure:
                raise AssertionError(f"{role} {label}: {failure}") from failure
        await page.close()
    await context.close()
