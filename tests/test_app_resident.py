"""Issue 8: the resident's screens of the app at /app, in Debian's Chromium (Playwright) at a 390x844 touch viewport:
the community home with its published duty lists and their version (P3) and an organization arriving live (P28);
evaluating a campaign from the committee's link (P26: once per target; a second attempt, from another phone, is
explained as a duplicate in words and leaves one ballot in the log); the results (tally and rate, no voter). Every
screen visited: no serious or critical axe-core violation, no target under 44 px, nothing scrolls sideways at 360 px."""
from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, Locator, expect

from backend.domain.access import Role
from tests import ops
from tests.browser import browser, until_live
from tests.harness import Client, Server, token
from tests.test_app_committee import open_as, phone, screen_is_usable, subscribed

__all__ = ["browser"]  # the fixture, imported for pytest


async def test_p3_resident_home_shows_the_published_duty_lists_with_their_version(server: Server, gql: Client,
                                                                                   browser: Browser) -> None:
    """P3: the resident's home (its first screen) lists the current duty lists by kind with the version published;
    after a republication the home, refreshed, shows the new version and items. P28: an organization filed by the
    committee appears without a reload."""
    c = await ops.community(gql)
    context = await phone(browser)
    page = await open_as(context, server, "/app", c.resident("resident-home"))
    await expect(page.get_by_role("heading", name="社区工作事项清单（第 1 版）")).to_be_visible()
    await expect(page.locator('[data-list="SELF_GOVERNANCE"]')).to_contain_text("居民自治事项清单")
    await expect(page.locator('[data-list="SELF_GOVERNANCE"]')).to_contain_text("SG-01 居民会议")
    await expect(page.locator('[data-list="ASSIST_GOVERNMENT"]')).to_contain_text("AG-01 协助人口普查")
    await expect(page.get_by_text("长江路社区（城市社区）")).to_be_visible()
    await expect(page.get_by_text("还没有社会组织")).to_be_visible()
    await screen_is_usable(page)

    await expect(page.get_by_text("新的活动和社会组织会自动出现")).to_be_visible()
    await subscribed(page, 2)  # ActivityRecorded and OrganizationRegistered

    async def probe() -> Locator:
        made = (await gql.call(ops.REGISTER_ORG, {"input": {"name": "探测组织", "category": "COMMUNITY_SERVICE",
                                                           "communityCode": c.code, "status": "FILED"}},
                               c.committee))["registerOrganization"]["organization"]
        return page.locator(f'[data-organization="{made["id"]}"]')

    await until_live(probe)  # a subscribe frame sent is not yet a subscription the server runs
    org = (await gql.call(ops.REGISTER_ORG, {"input": {"name": "邻里互助会", "category": "COMMUNITY_SERVICE",
                                                      "communityCode": c.code, "status": "FILED"}},
                          c.committee))["registerOrganization"]["organization"]
    await expect(page.locator(f'[data-organization="{org["id"]}"]')).to_contain_text("社区服务类 · 已备案")

    await gql.call(ops.PUBLISH, {"input": {"communityCode": c.code, "items": [
        {"code": "SG-01", "title": "居民会议", "list": "SELF_GOVERNANCE"},
        {"code": "SG-02", "title": "邻里纠纷调解", "list": "SELF_GOVERNANCE"}]}}, c.office)
    await page.get_by_role("button", name="刷新").tap()
    await expect(page.get_by_role("heading", name="社区工作事项清单（第 2 版）")).to_be_visible()
    await expect(page.locator('[data-list="SELF_GOVERNANCE"]')).to_contain_text("SG-02 邻里纠纷调解")
    await expect(page.locator('[data-list="ASSIST_GOVERNMENT"]')).to_have_count(0)
    await screen_is_usable(page)

    # 长辈版 from the home's own switch: larger type, the item codes give way to the words; still usable.
    size = "parseFloat(getComputedStyle(document.querySelector('.duty-list li')).fontSize)"
    standard = await page.evaluate(size)
    switch = page.get_by_role("switch", name="长辈版")
    await expect(switch).to_have_attribute("aria-checked", "false")
    await switch.tap()
    await expect(page.locator("html")).to_have_attribute("data-elder", "")
    await expect(switch).to_have_attribute("aria-checked", "true")
    assert await page.evaluate(size) >= standard * 1.2
    await expect(page.locator('[data-list="SELF_GOVERNANCE"] .code').first).to_be_hidden()
    await expect(page.locator('[data-list="SELF_GOVERNANCE"]')).to_contain_text("邻里纠纷调解")
    await screen_is_usable(page)
    await context.close()


async def test_p26_resident_casts_once_and_a_second_attempt_is_explained_as_a_duplicate(server: Server, gql: Client,
                                                                                         browser: Browser) -> None:
    """P26: a resident opens the committee's link, evaluates a target (满意, with a comment): it shows 已评价 and offers
    no second form. On another phone (which does not remember it) the same resident tries again: the server answers
    DUPLICATE_EVALUATION, shown in words with the target's name, and the target shows 已评价. The campaign is secret:
    the first phone shows the ballot's receipt and, checked, that it waits in the ballot box; the log holds exactly
    one participation of that resident for that target, and no choice of theirs. The results count no ballot until
    the box is released."""
    c = await ops.community(gql)
    opened = (await gql.call(ops.OPEN_CAMPAIGN, {"input": {
        "communityCode": c.code, "title": "社区服务满意度评议", "closesAt": ops.iso(timedelta(days=3)),
        "targets": [{"id": "office", "name": "街道办", "kind": "GOVERNMENT_DEPARTMENT"},
                    {"id": "water", "name": "自来水公司", "kind": "MUNICIPAL_SERVICE"}]}},
        c.committee))["openEvaluationCampaign"]
    campaign, after = opened["campaign"], opened["receipt"]["position"]
    resident = c.resident("resident-ballot")

    first = await phone(browser)
    page = await open_as(first, server, f"/app/campaign/{campaign['id']}", resident)
    office = page.locator('[data-target="office"]')
    await expect(page.get_by_role("heading", name="社区服务满意度评议")).to_be_visible()
    await expect(office.get_by_role("radio", name="满意", exact=True)).to_be_visible()
    await screen_is_usable(page)
    await office.get_by_role("button", name="提交评价").tap()
    await expect(office.get_by_role("alert")).to_have_text("请先选择满意程度")
    await office.get_by_role("radio", name="满意", exact=True).check()
    await office.get_by_label("意见建议（可不填）").fill("办事很快")
    await office.get_by_role("button", name="提交评价").tap()
    await expect(office.locator(".done")).to_have_text("已评价")
    await expect(office.get_by_role("button", name="提交评价")).to_have_count(0)
    # P26: a secret ballot: the phone shows its receipt, and checks that it waits in the ballot box.
    await expect(page.locator("[data-secret]")).to_contain_text("无记名投票")
    receipt = await office.locator("[data-receipt]").get_attribute("data-receipt")
    assert receipt and len(receipt) >= 16
    await expect(office.locator("[data-receipt]")).to_contain_text(f"投票凭证：{receipt}")
    await office.get_by_role("button", name="核对是否计入").tap()
    await expect(office.get_by_role("status")).to_have_text("待公布：选票在票箱中，攒满一批或评议截止后公布")
    # The other target is still open to evaluate.
    await expect(page.locator('[data-target="water"]').get_by_role("button", name="提交评价")).to_be_visible()
    await screen_is_usable(page)
    # The same phone, reopened: it remembers the target it evaluated.
    await page.reload()
    await expect(office.locator(".done")).to_have_text("已评价")
    await first.close()

    second = await phone(browser)
    page = await open_as(second, server, f"/app/campaign/{campaign['id']}", resident)
    office = page.locator('[data-target="office"]')
    await office.get_by_role("radio", name="不满意").check()
    await office.get_by_role("button", name="提交评价").tap()
    await expect(office.get_by_role("alert")).to_have_text("您已评价过“街道办”，每个评议对象只能评价一次")
    await expect(office.locator(".done")).to_have_text("已评价")
    await screen_is_usable(page)

    # Results: the ballot waits in the box (one of a batch of 10, or the close), so nothing counts yet; no voter.
    await page.get_by_role("link", name="评议结果").tap()
    result = page.locator('[data-result="office"]')
    await expect(result).to_contain_text("满意 0 · 基本满意 0 · 不满意 0（共 0 票）")
    await expect(page.locator("[data-secret]")).to_contain_text("无记名投票")
    await expect(page.locator('[data-result="water"]')).to_contain_text("（共 0 票）")
    assert "办事很快" not in await page.content() and "resident-ballot" not in await page.locator("main").inner_text()
    await screen_is_usable(page)
    await second.close()

    log = (await gql.call(ops.EVENT_LOG, {"after": after, "first": 1000,
                                          "types": ["EvaluationParticipationRecorded", "EvaluationCast"]},
                          c.auditor))["eventLog"]
    ballots = [e for e in log if e["data"].get("campaignId") == campaign["id"]]
    assert [e["type"] for e in ballots] == ["EvaluationParticipationRecorded"], ballots
    assert ballots[0]["data"]["targetId"] == "office" and "satisfaction" not in ballots[0]["data"]
    assert ballots[0]["actor"]["id"] == "resident-ballot"


async def test_p26_resident_finds_the_open_campaigns_of_the_community(server: Server, gql: Client,
                                                                       browser: Browser) -> None:
    """P26: 评议 lists the community's campaigns (op:CommunityCampaigns) with whether each is open; an open one opens
    to evaluate, a wrong link says the campaign was not found."""
    c = await ops.community(gql)
    campaign = await ops.campaign(gql, c)
    context = await phone(browser)
    page = await open_as(context, server, "/app", c.resident("resident-list"))
    await page.get_by_role("link", name="评议", exact=True).tap()
    listed = page.locator(f'li[data-campaign="{campaign["id"]}"]')
    await expect(listed).to_contain_text("进行中")
    await screen_is_usable(page)
    await listed.get_by_role("link", name="打开评议").tap()
    await expect(page.locator('[data-target="office"]')).to_contain_text("街道办")
    # A wrong link: an id that is no campaign id, and a well-formed id of no campaign.
    for wrong in ("no-such-campaign", str(uuid.uuid4())):
        await page.goto(server.url.removesuffix("/graphql") + f"/app/campaign/{wrong}")
        await expect(page.get_by_role("alert")).to_have_text("没有找到这次评议")
        await screen_is_usable(page)
    await context.close()


async def test_p26_targets_of_two_campaigns_with_the_same_id_keep_their_own_names(server: Server, gql: Client,
                                                                                    browser: Browser) -> None:
    """P26: a target id is the campaign's own (two campaigns may both name a target "office", for different
    offices): the campaigns list, each campaign and its results show each campaign's own names (the app's cache must
    not merge the two targets into one)."""
    c = await ops.community(gql)
    names = {}
    for title, name in (("上半年评议", "街道办事处"), ("下半年评议", "城管执法中队")):
        opened = (await gql.call(ops.OPEN_CAMPAIGN, {"input": {
            "communityCode": c.code, "title": title, "closesAt": ops.iso(timedelta(days=3)),
            "targets": [{"id": "office", "name": name, "kind": "GOVERNMENT_DEPARTMENT"}]}},
            c.committee))["openEvaluationCampaign"]["campaign"]
        names[opened["id"]] = name
    context = await phone(browser)
    page = await open_as(context, server, "/app/campaigns", c.resident("resident-same-id"))
    for campaign_id, name in names.items():
        await expect(page.locator(f'li[data-campaign="{campaign_id}"]')).to_contain_text(name)
    for campaign_id, name in [*names.items(), *names.items()]:  # each twice: from the network, then the cache
        await page.locator(f'li[data-campaign="{campaign_id}"]').get_by_role("link", name="打开评议").tap()
        await expect(page.locator('[data-target="office"] h3')).to_have_text(name)
        await page.get_by_role("link", name="评议结果").tap()
        await expect(page.locator('[data-result="office"] h3')).to_have_text(name)
        await page.locator(".bottom").get_by_role("link", name="评议").tap()
        for other, other_name in names.items():
            await expect(page.locator(f'li[data-campaign="{other}"]')).to_contain_text(other_name)
    await context.close()


async def test_p26_a_ballot_cast_after_the_campaign_closed_is_refused_and_the_results_open(server: Server, gql: Client,
                                                                                         browser: Browser) -> None:
    """P26: a resident who opened the campaign while it was open and submits after its closing time gets
    CAMPAIGN_CLOSED: the app opens the results (no ballot in the log); reopening the link says it is closed."""
    c = await ops.community(gql)
    opened = (await gql.call(ops.OPEN_CAMPAIGN, {"input": {
        "communityCode": c.code, "title": "短期评议", "closesAt": ops.iso(timedelta(seconds=4)),
        "targets": [{"id": "office", "name": "街道办", "kind": "GOVERNMENT_DEPARTMENT"}]}},
        c.committee))["openEvaluationCampaign"]
    campaign, after = opened["campaign"], opened["receipt"]["position"]
    context = await phone(browser)
    page = await open_as(context, server, f"/app/campaign/{campaign['id']}", c.resident("resident-late"))
    office = page.locator('[data-target="office"]')
    await office.get_by_role("radio", name="基本满意").check()
    await asyncio.sleep(max(0.0, (datetime.fromisoformat(campaign["closesAt"]) - datetime.now(UTC))
                            .total_seconds()) + 0.5)
    await office.get_by_role("button", name="提交评价").tap()
    await expect(page.get_by_role("heading", name="评议结果")).to_be_visible()
    await expect(page.locator('[data-result="office"]')).to_contain_text("（共 0 票）")
    await page.goto(server.url.removesuffix("/graphql") + f"/app/campaign/{campaign['id']}")
    await expect(page.get_by_role("alert")).to_have_text("这次评议已经截止，不能再评价，可以查看评议结果")
    await expect(page.get_by_role("button", name="提交评价")).to_have_count(0)
    await screen_is_usable(page)
    await context.close()
    log = (await gql.call(ops.EVENT_LOG, {"after": after, "first": 1000, "types": [
        "EvaluationCast", "EvaluationParticipationRecorded", "SecretBallotCast"]}, c.auditor))["eventLog"]
    assert [e for e in log if e["data"].get("campaignId") == campaign["id"]] == []


async def test_p3_a_resident_with_a_broader_scope_picks_the_community_first(server: Server, gql: Client,
                                                                            browser: Browser) -> None:
    """P3: a resident whose token covers a street (not one community) first picks a community (op:Communities),
    then sees its home with the published duty lists."""
    c = await ops.community(gql)
    context = await phone(browser)
    page = await open_as(context, server, "/app", token(Role.RESIDENT, c.street, "resident-street"))
    await expect(page.get_by_role("heading", name="请选择社区")).to_be_visible()
    await screen_is_usable(page)
    await page.get_by_role("button", name=re.compile(c.code)).tap()
    await expect(page.get_by_role("heading", name="社区工作事项清单（第 1 版）")).to_be_visible()
    await expect(page.locator('[data-list="SELF_GOVERNANCE"]')).to_contain_text("SG-01 居民会议")
    await context.close()
