"""Issue 8 item 2: the street office's and the department's screens of the app at /app, in Debian's Chromium
(Playwright) at a 390x844 touch viewport: communities in scope, delegating a task on an item of a community's CURRENT
duty list (P1, P3) — which the committee's inbox, open on another phone, shows live — an off-list delegation shown as
refused with its reason and its place on the record (P1), signing a service agreement and delegating under it (P4),
the tasks delegated, and the burden screen's numbers beside the API's BurdenReport (P1, P4). Every screen: no serious
or critical axe-core violation, nothing scrolls sideways at 360 px, touch targets of 44 px."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, expect

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
    until_live,
)
from tests.harness import Client, Server

BURDEN = """query($scope: String!) { burdenReport(scope: $scope) { scope tasksDelegated onDutyList underAgreement
  refusedOffList declined agreementFundingYuan } }"""
AGREEMENTS = """query($scope: String) { agreements(scope: $scope) { edges { node { id communityCode department scope
  fundingYuan validUntil current } } } }"""


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(**PHONE, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    await context.close()


async def readable(gql: Client, c: ops.Community) -> None:
    """Waits (bounded) until the read models hold the community and its duty list, as the app will read them."""
    for _ in range(100):
        data = await gql.call("query($c: ID!) { community(code: $c) { dutyListVersion } }", {"c": c.code}, c.office)
        if data["community"] and data["community"]["dutyListVersion"] >= 1:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"community {c.code} never reached the read models")





async def log_of(gql: Client, c: ops.Community, types: list[str]) -> list[dict]:
    events = (await gql.call(ops.EVENT_LOG, {"after": 0, "first": 1000, "types": types}, c.auditor))["eventLog"]
    return [e for e in events if e["data"].get("communityCode", "").startswith(c.code) or e["entityId"] == c.code
            or c.code in str(e["data"])]


async def test_street_office_delegates_a_current_duty_list_item_and_the_committee_sees_it_live_P1_P3(
        server: Server, gql: Client, browser: Browser, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    await readable(gql, c)
    # The committee's inbox, open on another phone, subscribed.
    committee_context = await browser.new_context(**PHONE)
    committee_context.set_default_timeout(TIMEOUT_MS)
    committee = await committee_context.new_page()
    subscribed = asyncio.Event()
    committee.on("websocket", lambda ws: ws.on(
        "framesent", lambda frame: subscribed.set() if '"subscribe"' in str(frame) else None))
    await committee.goto(f"{server.url.removesuffix('/graphql')}/app#token={c.committee}")
    await asyncio.wait_for(subscribed.wait(), 10)

    async def probe() -> Locator:
        task = (await ops.delegate(gql, c))["task"]
        return committee.locator(f'a[data-task="{task["id"]}"]')

    await until_live(probe)

    office = await sign_in(phone, server, c.office)
    card = office.locator(f'li[data-community="{c.code}"]')
    await expect(card).to_contain_text("长江路社区")
    await expect(card).to_contain_text("职责清单第 1 版")
    await fine(office)
    await card.get_by_role("link").tap()
    await expect(office.get_by_label("选择社区")).to_have_value(c.code)
    await expect(office.get_by_text("当前职责清单：第 1 版")).to_be_visible()
    await office.get_by_label("清单事项", exact=True).select_option("AG-01")
    await office.get_by_label("事项名称").fill("高龄津贴入户核查")
    await office.get_by_label("派发单位").fill("区民政局")
    await fine(office)
    await office.get_by_role("button", name="派发", exact=True).tap()
    sent = office.locator("section.panel.ok")
    await expect(sent).to_contain_text("事项已派发")
    task_id = await sent.get_attribute("data-task")
    # Live in the committee's inbox within a second, without a reload.
    await expect(committee.locator(f'a[data-task="{task_id}"]')).to_contain_text("高龄津贴入户核查", timeout=1000)
    await committee_context.close()

    events = (await gql.call(ops.HISTORY, {"id": task_id}, c.auditor))["history"]
    assert [e["type"] for e in events] == ["TaskDelegated"]
    assert events[0]["data"]["dutyItemCode"] == "AG-01" and events[0]["data"]["basis"] == "DUTY_LIST", events[0]

    # The tasks it delegated (派发的事项), read only.
    await office.get_by_role("link", name="事项", exact=True).tap()
    await expect(office.locator(f'li[data-task="{task_id}"]')).to_contain_text("高龄津贴入户核查")
    await fine(office)


async def test_an_off_list_delegation_is_shown_refused_with_its_reason_and_on_the_record_P1(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    await readable(gql, c)
    office = await sign_in(phone, server, c.office, f"/app/delegate?community={c.code}")
    await expect(office.get_by_label("选择社区")).to_have_value(c.code)
    await office.get_by_label("都不选（清单外事项）").check()
    await office.get_by_label("事项名称").fill("代收物业费")
    await office.get_by_label("派发单位").fill("区住建局")
    await office.get_by_role("button", name="派发", exact=True).tap()

    card = office.locator("section.panel.refused")
    await expect(card).to_contain_text("派发被拒绝")
    await expect(card).to_contain_text("没有选择职责清单事项或服务协议")  # the reason, in words
    await expect(card).to_contain_text("清单外事项不得派发给社区")  # the rule
    record = card.locator(".refusal-record")
    await expect(record).to_contain_text("这次派发已被拒绝并记录在案")
    position = int(await record.get_attribute("data-position"))
    await expect(record).to_contain_text(f"日志位置 {position}")
    await fine(office)

    # Exactly one TaskDelegationRefused for this community, standing at the position the card shows.
    refusals = [e for e in (await gql.call(ops.EVENT_LOG, {"after": 0, "first": 1000,
                                                            "types": ["TaskDelegationRefused"]}, c.auditor))["eventLog"]
                if e["data"].get("title") == "代收物业费"]
    assert [e["position"] for e in refusals] == [position], refusals
    assert (await gql.call(BURDEN, {"scope": c.code}, c.office))["burdenReport"]["refusedOffList"] == 1

    # 查看记录: the refusal's own record.
    await card.get_by_role("link", name="查看记录").tap()
    event = office.locator(f'li.event[data-position="{position}"]')
    await expect(event).to_contain_text("清单外派发被拒绝")
    await expect(event).to_contain_text("代收物业费")
    assert await office.locator("li.event").count() == 1
    await fine(office)


async def test_a_department_signs_an_agreement_and_delegates_under_it_P4(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql, items=[])  # no duty list items: only an agreement can carry a task
    await readable(gql, c)
    dept = await sign_in(phone, server, c.department, f"/app/agreements?community={c.code}")
    await expect(dept.get_by_label("社区", exact=True)).to_have_value(c.code)
    await dept.get_by_label("委托单位").fill("区住建局")
    await dept.get_by_label("服务内容").fill("老旧小区加装电梯意见征询")
    await dept.get_by_label("经费（元）").fill("3600.50")
    await dept.get_by_label("有效期至").fill("2099-12-31")
    await fine(dept)
    await dept.get_by_role("button", name="签订协议").tap()
    signed = dept.locator("p.panel.ok")
    await expect(signed).to_contain_text("协议已签订")
    agreement_id = await signed.get_attribute("data-agreement")
    row = dept.locator(f'ul.agreements li[data-agreement="{agreement_id}"]')
    await expect(row).to_contain_text("老旧小区加装电梯意见征询")
    await expect(row).to_contain_text("有效")
    await expect(row).to_contain_text("经费 3600.50 元")
    await fine(dept)
    listed = (await gql.call(AGREEMENTS, {"scope": c.code}, c.department))["agreements"]["edges"]
    assert [(e["node"]["id"], e["node"]["fundingYuan"], e["node"]["department"], e["node"]["current"])
            for e in listed] == [(agreement_id, "3600.50", "区住建局", True)]
    assert listed[0]["node"]["validUntil"].startswith("2099-12-31T15:59:59")  # 23:59:59 in Shanghai, with its offset

    # The delegate screen offers it for that community; a task under it is accepted by the server.
    await dept.get_by_role("link", name="派发", exact=True).tap()
    await dept.get_by_label("选择社区").select_option(c.code)
    await expect(dept.get_by_text("该社区尚未公布职责清单，只能依据服务协议派发")).to_be_visible()
    await dept.get_by_label("购买服务协议").check()
    await dept.get_by_label("服务协议", exact=True).select_option(agreement_id)
    await dept.get_by_label("事项名称").fill("加装电梯入户征询")
    await dept.get_by_label("派发单位").fill("区住建局")
    await dept.get_by_role("button", name="派发", exact=True).tap()
    sent = dept.locator("section.panel.ok")
    await expect(sent).to_contain_text("事项已派发")
    task = (await gql.call(ops.HISTORY, {"id": await sent.get_attribute("data-task")}, c.auditor))["history"]
    assert task[0]["data"]["agreementId"] == agreement_id and task[0]["data"]["basis"] == "SERVICE_AGREEMENT"


async def test_the_burden_screen_shows_the_burden_report_of_the_scope_and_of_each_community_P1_P4(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    await ops.delegate(gql, c)
    await ops.sign(gql, c, funding="800.00")
    refused = await gql.raw(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "清单外", "fromDepartment": "区统计局",
                                                     "dutyItemCode": "XX-99"}}, c.department)
    position = refused.json()["errors"][0]["extensions"]["position"]
    await ops.caught_up(gql, c.office, position)
    office = await sign_in(phone, server, c.office, "/app/burden")
    for scope, root in ((c.street, office.locator("section").first),):
        expected = (await gql.call(BURDEN, {"scope": scope}, c.office))["burdenReport"]
        assert expected["tasksDelegated"] == 1 and expected["refusedOffList"] == 1, expected
        figures = root.locator(f'ul.figures[data-scope="{scope}"]')
        await expect(figures.locator('li[data-figure="tasksDelegated"]')).to_have_attribute("data-value", "1")
        for key, value in expected.items():
            if key != "scope":
                await expect(figures.locator(f'li[data-figure="{key}"]')).to_have_attribute("data-value", str(value))
        await expect(figures).to_contain_text("清单外被拒绝 1 次")
    await fine(office)
    # Per community, on tap.
    await office.locator(f'li[data-community="{c.code}"] button').tap()
    expected = (await gql.call(BURDEN, {"scope": c.code}, c.office))["burdenReport"]
    figures = office.locator(f'ul.figures[data-scope="{c.code}"]')
    for key, value in expected.items():
        if key != "scope":
            await expect(figures.locator(f'li[data-figure="{key}"]')).to_have_attribute("data-value", str(value))
    await expect(figures).to_contain_text("协议经费 800.00 元")
    await fine(office)


async def test_every_government_screen_fits_360_px_and_has_no_serious_axe_violation(
        server: Server, gql: Client, browser: Browser) -> None:
    """Each screen of the street office and the department at 360 px: no sideways scroll (long codes wrap), no
    serious or critical axe-core violation (WCAG 2.1 AA), targets of 44 px."""
    c = await ops.community(gql)
    await ops.delegate(gql, c)
    await readable(gql, c)
    context = await browser.new_context(**NARROW_PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        for tok in (c.office, c.department):
            page = await sign_in(context, server, tok)
            await expect(page.locator(f'li[data-community="{c.code}"]')).to_be_visible()
            await fine(page)
            for name, ready in (("派发", "#delegate-community"), ("协议", "#agreement-community"),
                                ("减负", "ul.figures"), ("事项", "ul.delegated li")):
                await page.get_by_role("link", name=name, exact=True).tap()
                await expect(page.locator(ready).first).to_be_visible()
                await fine(page)
            await page.close()
    finally:
        await context.close()


async def test_elder_mode_enlarges_the_delegate_form_and_it_still_fits_360_px(
        server: Server, gql: Client, browser: Browser) -> None:
    """长辈版 (the phone's preference, localStorage gongzhi.elder): the delegate form's type is larger than in the
    ordinary mode, and still nothing scrolls sideways at 360 px, no target under 44 px, no serious axe violation."""
    c = await ops.community(gql)
    await readable(gql, c)
    sizes = []
    for elder in (False, True):
        context = await browser.new_context(**NARROW_PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        if elder:
            await context.add_init_script("localStorage.setItem('gongzhi.elder', '1')")
        try:
            page = await sign_in(context, server, c.office, f"/app/delegate?community={c.code}")
            await expect(page.get_by_text("当前职责清单：第 1 版")).to_be_visible()
            sizes.append(await page.eval_on_selector(
                "label[for=delegate-title]", "e => parseFloat(getComputedStyle(e).fontSize)"))
            await fine(page)
        finally:
            await context.close()
    assert sizes[1] > sizes[0], sizes

