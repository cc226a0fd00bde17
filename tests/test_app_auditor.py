"""Issue 8 item 2: the auditor's screens of the app at /app (P9: the log is the record), in Debian's Chromium
(Playwright) at a 390x844 touch viewport: an entity's history, the log filtered by type (paged by position) and an
entity's state as of a time each show what the API returns for the same inputs; the burden screen works for the
auditor's scope. Every screen: no serious or critical axe-core violation, nothing scrolls sideways at 360 px (long ids
wrap, JSON scrolls inside its own box), touch targets of 44 px."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests import ops
from tests.browser import (  # noqa: F401 (fixture)
    NARROW_PHONE,
    PHONE,
    TIMEOUT_MS,
    browser,
    fine,
    no_horizontal_scroll,
    serious_axe_violations,
    sign_in,
    small_targets,
)
from tests.harness import Client, Server
from tests.test_app_government import phone  # noqa: F401 (fixture: a phone on Shanghai's clock)

AS_OF = "query($id: ID!, $at: DateTime!) { entityAsOf(entityId: $id, asOf: $at) }"
SHANGHAI = timezone(timedelta(hours=8))





async def shown_events(page: Page) -> list[tuple[int, str]]:
    shown = await page.eval_on_selector_all(
        "li.event", "items => items.map(e => [Number(e.dataset.position), e.dataset.type])")
    return [(position, type_) for position, type_ in shown]


async def test_history_shows_the_entitys_events_oldest_first_as_the_api_returns_them_P9(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    await gql.call(ops.ACCEPT, {"id": task["id"], "v": 1}, c.committee)
    await gql.call(ops.COMPLETE, {"id": task["id"], "v": 2}, c.committee)
    api = (await gql.call(ops.HISTORY, {"id": task["id"]}, c.auditor))["history"]
    assert [e["type"] for e in api] == ["TaskDelegated", "TaskAccepted", "TaskCompleted"]

    page = await sign_in(phone, server, c.auditor, "/app/history")
    await page.get_by_label("实体编号或社区代码").fill(task["id"])
    await page.get_by_role("button", name="查看历史").tap()
    await expect(page.locator("li.event")).to_have_count(3)
    assert await shown_events(page) == [(e["position"], e["type"]) for e in api]
    first = page.locator("li.event").first
    await expect(first).to_contain_text("派发事项")
    await expect(first).to_contain_text(f"位置 {api[0]['position']}")
    await expect(first).to_contain_text(f"职能部门 dept-{c.district}")
    await expect(first).to_contain_text("人口普查入户登记")  # the recorded data, readable
    await expect(first).to_contain_text(task["id"])
    await fine(page)

    # A malformed id: the catalog's words beside the field.
    await page.get_by_label("实体编号或社区代码").fill("不是编号")
    await page.get_by_role("button", name="查看历史").tap()
    await expect(page.get_by_role("alert")).to_contain_text("填写有误")


async def test_the_log_by_type_shows_what_event_log_returns_and_pages_by_position_P9(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    first = (await ops.delegate(gql, c))["task"]
    second = (await ops.delegate(gql, c))["task"]
    start = (await gql.call(ops.HISTORY, {"id": first["id"]}, c.auditor))["history"][0]["position"] - 1
    api = (await gql.call(ops.EVENT_LOG, {"after": start, "first": 100, "types": ["TaskDelegated"]},
                          c.auditor))["eventLog"]
    assert {first["id"], second["id"]} <= {e["entityId"] for e in api}

    page = await sign_in(phone, server, c.auditor)
    await page.get_by_label("派发事项").check()
    await page.get_by_label("从日志位置之后开始（0 为从头开始）").fill(str(start))
    await fine(page)
    await page.get_by_role("button", name="查询日志").tap()
    await expect(page.locator("li.event").first).to_be_visible()
    shown = await shown_events(page)
    assert shown[:len(api)] == [(e["position"], e["type"]) for e in api] and all(t == "TaskDelegated" for _, t in shown)
    await fine(page)

    # 实时跟踪: events of the chosen types arrive after the last one shown (op:LiveEvents), others do not.
    await page.get_by_label("实时跟踪").check()
    await expect(page.get_by_text("正在实时跟踪新事件")).to_be_visible()
    await asyncio.sleep(0.5)  # the subscription's start (graphql-ws) before the new events
    third = (await ops.delegate(gql, c))["task"]
    await gql.call(ops.ACCEPT, {"id": third["id"], "v": 1}, c.committee)
    fourth = (await ops.delegate(gql, c))["task"]  # after the acceptance in the log
    for task in (third, fourth):
        await expect(page.locator('li.event[data-type="TaskDelegated"]', has_text=task["id"])).to_have_count(1)
    assert await page.locator('li.event[data-type="TaskAccepted"]').count() == 0
    await page.get_by_label("实时跟踪").uncheck()

    # Another type: only those.
    await page.get_by_label("派发事项").uncheck()
    await page.get_by_label("社区登记").check()
    await page.get_by_label("从日志位置之后开始（0 为从头开始）").fill("0")
    await page.get_by_role("button", name="查询日志").tap()
    await expect(page.locator('li.event[data-type="CommunityRegistered"]').first).to_be_visible()
    registered = (await gql.call(ops.EVENT_LOG, {"after": 0, "first": 100, "types": ["CommunityRegistered"]},
                                 c.auditor))["eventLog"]
    assert await shown_events(page) == [(e["position"], e["type"]) for e in registered]
    await expect(page.locator(f'li.event[data-position="{registered[-1]["position"]}"]')).to_contain_text(
        registered[-1]["entityId"])


async def test_the_log_pages_by_position_as_event_log_does_P9(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    """More than a page (100) of events: 加载更多 reads the next page after the last position shown, and the two
    pages together are what eventLog returns page by page for the same start."""
    c = await ops.community(gql)
    first = (await ops.delegate(gql, c))["task"]
    await asyncio.gather(*(ops.delegate(gql, c) for _ in range(104)))
    start = (await gql.call(ops.HISTORY, {"id": first["id"]}, c.auditor))["history"][0]["position"] - 1
    one = (await gql.call(ops.EVENT_LOG, {"after": start, "first": 100}, c.auditor))["eventLog"]
    two = (await gql.call(ops.EVENT_LOG, {"after": one[-1]["position"], "first": 100}, c.auditor))["eventLog"]
    assert len(one) == 100 and len(two) == 5, (len(one), len(two))

    page = await sign_in(phone, server, c.auditor)
    await page.get_by_label("从日志位置之后开始（0 为从头开始）").fill(str(start))
    await page.get_by_role("button", name="查询日志").tap()
    await expect(page.locator("li.event")).to_have_count(100)
    assert await shown_events(page) == [(e["position"], e["type"]) for e in one]
    await page.get_by_role("button", name="加载更多").tap()
    await expect(page.locator("li.event")).to_have_count(105)
    assert await shown_events(page) == [(e["position"], e["type"]) for e in one + two]
    await expect(page.get_by_role("button", name="加载更多")).to_have_count(0)


async def test_state_as_of_a_time_shows_what_entity_as_of_returns_P9(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    await asyncio.sleep(1.1)
    moment = datetime.now(SHANGHAI).replace(microsecond=0)
    await asyncio.sleep(1.1)
    await gql.call(ops.ACCEPT, {"id": task["id"], "v": 1}, c.committee)
    api = (await gql.call(AS_OF, {"id": task["id"], "at": moment.isoformat()}, c.auditor))["entityAsOf"]
    assert api and api.get("status", "DELEGATED") == "DELEGATED", api

    page = await sign_in(phone, server, c.auditor, "/app/as-of")
    await page.get_by_label("实体编号").fill(task["id"])
    await page.get_by_label("时刻").fill(moment.strftime("%Y-%m-%dT%H:%M:%S"))  # the phone's local time (Shanghai)
    await page.get_by_role("button", name="查看当时状态").tap()
    state = page.locator("pre.json")
    await expect(state).to_be_visible()
    assert json.loads(await state.inner_text()) == api
    section = page.locator("section[data-as-of]")
    assert datetime.fromisoformat(await section.get_attribute("data-as-of")) == moment
    await fine(page)

    # Before the entity existed: it did not exist yet.
    before = moment - timedelta(days=1)
    assert (await gql.call(AS_OF, {"id": task["id"], "at": before.isoformat()}, c.auditor))["entityAsOf"] is None
    await page.get_by_label("时刻").fill(before.strftime("%Y-%m-%dT%H:%M:%S"))
    await page.get_by_role("button", name="查看当时状态").tap()
    await expect(page.get_by_text("那时这个实体还不存在")).to_be_visible()


async def test_every_auditor_screen_fits_360_px_and_has_no_serious_axe_violation(
        server: Server, gql: Client, browser: Browser) -> None:
    """At 360 px, with long ids and JSON on screen: no sideways scroll, no serious or critical axe violation."""
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    context = await browser.new_context(**NARROW_PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = await sign_in(context, server, c.auditor)
        await fine(page)
        await page.get_by_role("button", name="查询日志").tap()
        await expect(page.locator("li.event").first).to_be_visible()
        await fine(page)
        await page.get_by_role("link", name="历史", exact=True).tap()
        await page.get_by_label("实体编号或社区代码").fill(task["id"])
        await page.get_by_role("button", name="查看历史").tap()
        await expect(page.locator("li.event").first).to_be_visible()
        await fine(page)
        await page.get_by_role("link", name="某时状态", exact=True).tap()
        await page.get_by_label("实体编号").fill(task["id"])
        await page.get_by_label("时刻").fill(datetime.now().strftime("%Y-%m-%dT%H:%M:%S"))
        await page.get_by_role("button", name="查看当时状态").tap()
        await expect(page.locator("pre.json")).to_be_visible()
        await fine(page)
        await page.get_by_role("link", name="减负", exact=True).tap()
        await expect(page.locator("ul.figures").first).to_be_visible()
        await fine(page)
    finally:
        await context.close()
