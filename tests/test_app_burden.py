"""Issue 9 (burden reduction, P1, P4–P11) in the app at /app, in Debian's Chromium (Playwright) at a 390x844 touch
viewport: the burden screen's figures, by department and by community, its alerts and its refusals (every role with
减负); the delegate form's quota and its refusal card (P1); an agreement's disbursements (P4); a community's standing
(P5 work bodies, P6 signboards, P7 target contracts, P8 inspections and their cap, P9 paper ledgers, P10 the seal)
for the government, the committee and (its signboards and work bodies) the party committee, with a RURAL community's
village and enterprises separated or not (P36), recorded by the street office; posts and staff (P11) for the committee
and the street office (not the department). Each flow is driven in the browser,
then the log or the read models are checked through the API. Every screen: no serious or critical axe-core
violation, no target under 44 px, nothing scrolls sideways at 360 px."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from backend.domain.access import Role
from tests import ops
from tests.browser import NARROW_PHONE, PHONE, TIMEOUT_MS, browser, fine, sign_in
from tests.harness import Client, Server, district, token

__all__ = ["browser"]  # the fixture, imported for pytest

FIGURES = """tasksDelegated onDutyList underAgreement refusedOffList quotaRefused declined agreementFundingYuan
  disbursedYuan unfundedTasks workBodiesRefused signboardsRefused targetContractsRefused inspections inspectionsOverCap
  sealUsesRefused paperLedgersDemanded"""
BURDEN = ("query($scope: String!) { burdenReport(scope: $scope) { scope " + FIGURES
          + " byDepartment { department " + FIGURES + " } byCommunity { communityCode " + FIGURES + " } } }")
ALERTS = """query($scope: String!) { burdenAlerts(scope: $scope) { kind communityCode department count quarter
  position } }"""
REFUSALS = """query($scope: String, $provision: String) { refusals(scope: $scope, provision: $provision, first: 200) {
  totalCount edges { node { position refusalId provision code communityCode department } } } }"""
COMMUNITY_SEPARATION = "query($c: ID!) { community(code: $c) { kind villageEnterpriseSeparated } }"
AGREEMENT = """query($id: ID!) { agreement(id: $id) { id fundingYuan disbursedYuan outstandingYuan
  disbursements { amountYuan note } } }"""


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(**PHONE, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    await context.close()


async def readable(gql: Client, c: ops.Community) -> None:
    for _ in range(100):
        data = await gql.call("query($c: ID!) { community(code: $c) { dutyListVersion } }", {"c": c.code}, c.office)
        if data["community"] and data["community"]["dutyListVersion"] >= 1:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"community {c.code} never reached the read models")


async def figures_match(root: Page, selector: str, expected: dict) -> None:
    figures = root.locator(selector)
    for key, value in expected.items():
        if key in ("scope", "department", "communityCode", "byDepartment", "byCommunity"):
            continue
        await expect(figures.locator(f'li[data-figure="{key}"]')).to_have_attribute("data-value", str(value))


# -- 减负: the figures, by department and community, alerts, refusals (P1, P4–P10) --------------------------------

async def test_P1_P7_P8_the_burden_screen_shows_every_figure_by_department_and_community_its_alerts_and_refusals(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    await ops.delegate(gql, c)
    # A department of its own (its token's org claim) tries three target contracts: refused each time (P7), and
    # refused again and again, an alert.
    civil = token(Role.DEPARTMENT, c.district, f"dept-civil-{c.district}", organization="区民政局")
    last = 0
    for title in ("年度目标责任书", "安全目标责任书", "创建目标责任书"):
        refused = await gql.raw(ops.IMPOSE_TARGET_CONTRACT, {"input": {"communityCode": c.code, "title": title}}, civil)
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "TARGET_CONTRACT_ABOLISHED", error
        last = error["extensions"]["position"]
    # Two inspections over a cap of one (P8).
    await gql.call(ops.SET_INSPECTION_CAP, {"scope": c.street, "max": 1}, c.office)
    await ops.inspect(gql, c)
    done = await ops.inspect(gql, c, body="区消防救援大队")
    assert done["inspection"]["exceeded"] is True
    await ops.caught_up(gql, c.office, max(last, done["receipt"]["position"]))

    office = await sign_in(phone, server, c.office, "/app/burden")
    expected = (await gql.call(BURDEN, {"scope": c.street}, c.office))["burdenReport"]
    assert expected["targetContractsRefused"] == 3 and expected["inspections"] == 2, expected
    assert expected["inspectionsOverCap"] == 1, expected
    await figures_match(office, f'ul.figures[data-scope="{c.street}"]', expected)
    whole = office.locator(f'ul.figures[data-scope="{c.street}"]')
    await expect(whole).to_contain_text("目标责任书被拒绝 3 次")
    await expect(whole).to_contain_text("超出检查上限 1 次")

    # By department: 区民政局's row, its figures on tap.
    row = office.locator('li[data-department="区民政局"]')
    await expect(row).to_contain_text("被拒绝 3 次")
    await row.get_by_role("button").tap()
    mine = next(d for d in expected["byDepartment"] if d["department"] == "区民政局")
    await figures_match(office, 'ul.figures[data-department="区民政局"]', mine)

    # By community: its line, and its own report on tap.
    line = office.locator(f'li[data-community="{c.code}"]')
    await expect(line).to_contain_text("派发 1 件 · 被拒绝 3 次 · 检查 2 次")
    await line.get_by_role("button").tap()
    own = (await gql.call(BURDEN, {"scope": c.code}, c.office))["burdenReport"]
    await figures_match(office, f'ul.figures[data-scope="{c.code}"]', own)

    # Alerts: the cap exceeded in the community, 区民政局 refused again and again.
    alerts = (await gql.call(ALERTS, {"scope": c.street}, c.office))["burdenAlerts"]
    kinds = sorted(a["kind"] for a in alerts)
    assert kinds == ["INSPECTION_CAP_EXCEEDED", "REPEATED_REFUSALS"], alerts
    cap = office.locator(f'li[data-alert="INSPECTION_CAP_EXCEEDED"][data-alert-community="{c.code}"]')
    await expect(cap).to_contain_text("检查超出上限 1 次")
    repeated = office.locator('li[data-alert="REPEATED_REFUSALS"]')
    await expect(repeated).to_contain_text("区民政局已被拒绝 3 次（P7）")
    await expect(repeated).to_contain_text(f"日志位置 {last}")

    # Refusals: the three, newest first, each linking to its record; narrowed to P1 there are none.
    listed = (await gql.call(REFUSALS, {"scope": c.street}, c.office))["refusals"]
    assert listed["totalCount"] == 3
    shown = office.locator("ul.refusals li")
    await expect(shown).to_have_count(3)
    assert [int(p) for p in await shown.evaluate_all("els => els.map(e => e.dataset.position)")] == [
        e["node"]["position"] for e in listed["edges"]]
    await expect(shown.first).to_contain_text("P7 · 目标责任书")
    await fine(office)
    await office.get_by_label("依据条款").select_option("P1")
    await expect(office.get_by_text("没有被拒绝的记录")).to_be_visible()
    await office.get_by_label("依据条款").select_option("P7")
    await expect(shown).to_have_count(3)
    await shown.first.get_by_role("link", name="查看记录").first.tap()
    await expect(office.locator("li.event").first).to_contain_text("目标责任书被拒绝")


async def test_P7_the_committee_and_the_auditor_see_their_scopes_refusals_on_the_burden_screen_in_elder_mode_too(
        server: Server, gql: Client, browser: Browser) -> None:
    c = await ops.community(gql)
    refused = await gql.raw(ops.IMPOSE_TARGET_CONTRACT, {"input": {"communityCode": c.code, "title": "目标责任书"}},
                            c.office)
    position = refused.json()["errors"][0]["extensions"]["position"]
    await ops.caught_up(gql, c.office, position)
    for elder in (False, True):
        context = await browser.new_context(**NARROW_PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        if elder:
            await context.add_init_script("localStorage.setItem('gongzhi.elder', '1')")
        try:
            for tok, scope in ((c.committee, c.code), (c.auditor, c.district)):
                page = await sign_in(context, server, tok, "/app/burden")
                figures = page.locator(f'ul.figures[data-scope="{scope}"]')
                await expect(figures.locator('li[data-figure="targetContractsRefused"]')).to_have_attribute(
                    "data-value", "1")
                await expect(page.locator(f'ul.refusals li[data-position="{position}"]')).to_contain_text("P7")
                # The committee reads no raw log: no link to the record; the auditor has one.
                links = page.locator("ul.refusals li").get_by_role("link", name="查看记录")
                await expect(links).to_have_count(0 if tok == c.committee else 1)
                await fine(page)
                await page.close()
        finally:
            await context.close()


# -- 派发 with a quota (P1) and 拨付 (P4) --------------------------------------------------------------------------

async def test_P1_a_quota_the_item_does_not_provide_for_is_shown_refused_and_one_it_provides_for_is_delegated(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql, items=[
        {"code": "AG-01", "title": "协助人口普查", "list": "ASSIST_GOVERNMENT"},
        {"code": "AG-02", "title": "协助征兵", "list": "ASSIST_GOVERNMENT", "allowsQuota": True}])
    await readable(gql, c)
    office = await sign_in(phone, server, c.office, f"/app/delegate?community={c.code}")
    await expect(office.get_by_text("当前职责清单：第 1 版")).to_be_visible()
    await office.get_by_label("清单事项", exact=True).select_option("AG-01")
    await office.get_by_label("事项名称").fill("人口普查入户")
    await office.get_by_label("派发单位").fill("区统计局")
    await office.get_by_label("指标或排名要求（可不填）").fill("入户率100%")
    await fine(office)
    await office.get_by_role("button", name="派发", exact=True).tap()
    card = office.locator('section.panel.refused[data-code="QUOTA_NOT_ALLOWED"]')
    await expect(card).to_contain_text("所选依据没有规定可以附带指标“入户率100%”")
    await expect(card).to_contain_text("不得向社区下达职责清单和服务协议规定之外的指标")
    record = card.locator(".refusal-record")
    position = int(await record.get_attribute("data-position"))
    await expect(record).to_contain_text(f"日志位置 {position}")
    await fine(office)
    await ops.caught_up(gql, c.office, position)
    refusals = (await gql.call(REFUSALS, {"scope": c.code, "provision": "P1"}, c.office))["refusals"]["edges"]
    assert [(e["node"]["position"], e["node"]["code"]) for e in refusals] == [(position, "QUOTA_NOT_ALLOWED")]
    assert (await gql.call(BURDEN, {"scope": c.code}, c.office))["burdenReport"]["quotaRefused"] == 1

    # Back to the form: on the item that provides for a quota the hint says so, and the task carries it.
    await card.get_by_role("button", name="返回").tap()
    await office.get_by_label("清单事项", exact=True).select_option("AG-02")
    await expect(office.get_by_text("这项依据规定可以附带指标")).to_be_visible()
    await office.get_by_role("button", name="派发", exact=True).tap()
    sent = office.locator("section.panel.ok")
    await expect(sent).to_contain_text("事项已派发")
    task_id = await sent.get_attribute("data-task")
    for _ in range(100):  # the tasks read model catches up with the answer the page showed
        task = (await gql.call("query($id: ID!) { task(id: $id) { quota dutyItemCode } }", {"id": task_id},
                               c.office))["task"]
        if task is not None:
            break
        await asyncio.sleep(0.1)
    assert task == {"quota": "入户率100%", "dutyItemCode": "AG-02"}


async def test_P4_a_department_records_disbursements_and_one_past_the_funding_is_refused_in_words(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    signed = await ops.sign(gql, c, funding="1000.00")
    agreement_id = signed["agreement"]["id"]
    await ops.caught_up(gql, c.department, signed["receipt"]["position"])
    dept = await sign_in(phone, server, c.department, "/app/agreements")
    row = office_row = dept.locator(f'ul.agreements li[data-agreement="{agreement_id}"]')
    await expect(row.locator(".disbursed")).to_have_attribute("data-outstanding", "1000.00")
    await row.get_by_role("button", name="拨付经费").tap()
    await expect(row.get_by_text("还没有拨付记录")).to_be_visible()
    await row.get_by_label("拨付金额（元）").fill("600.00")
    await row.get_by_label("备注（可不填）").fill("第一期")
    await fine(dept)
    await row.get_by_role("button", name="记录拨付").tap()
    await expect(row.locator("p.panel.ok")).to_contain_text("已拨付 600.00 元，尚未拨付 400.00 元")
    await expect(office_row.locator(".disbursed")).to_have_attribute("data-outstanding", "400.00")
    await expect(row.locator("ul.disbursements li")).to_have_count(1)
    await expect(row.locator("ul.disbursements li")).to_contain_text("拨付 600.00 元")

    # More than is outstanding: refused in words with what is outstanding, nothing recorded.
    await row.get_by_label("拨付金额（元）").fill("500.00")
    await row.get_by_role("button", name="记录拨付").tap()
    refused = row.locator('p.error[data-code="OVER_DISBURSED"]')
    await expect(refused).to_contain_text("还可拨付 400.00 元")
    await fine(dept)
    data = (await gql.call(AGREEMENT, {"id": agreement_id}, c.department))["agreement"]
    assert (data["disbursedYuan"], data["outstandingYuan"]) == ("600.00", "400.00")
    assert data["disbursements"] == [{"amountYuan": "600.00", "note": "第一期"}]
    events = (await gql.call(ops.HISTORY, {"id": agreement_id}, c.auditor))["history"]
    assert [e["type"] for e in events] == ["ServiceAgreementSigned", "DisbursementRecorded"]


# -- 社区事务: a community's standing (P5–P10) ------------------------------------------------------------------------

async def refusal_at(gql: Client, c: ops.Community, position: int, code: str) -> dict:
    """The refusal the read model lists at `position` (after waiting for it), checked to carry `code`."""
    await ops.caught_up(gql, c.office, position)
    edges = (await gql.call(REFUSALS, {"scope": c.code}, c.office))["refusals"]["edges"]
    found = [e["node"] for e in edges if e["node"]["position"] == position]
    assert len(found) == 1 and found[0]["code"] == code, edges
    return found[0]


async def refused_card(page: Page, code: str) -> int:
    """The refusal card on the page: its log position (it says so in words)."""
    card = page.locator("section.panel.refused")
    await expect(card).to_contain_text("已被拒绝")
    record = card.locator(".refusal-record")
    position = int(await record.get_attribute("data-position"))
    await expect(record).to_contain_text(f"日志位置 {position}")
    return position


async def test_P6_committee_hangs_a_signboard_takes_it_down_and_a_refused_one_shows_its_record(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    page = await sign_in(phone, server, c.committee, "/app/home")
    await page.get_by_role("link", name="社区事务").tap()
    await expect(page.get_by_role("button", name="牌子", exact=True)).to_have_attribute("aria-pressed", "true")
    await expect(page.get_by_text("还没有挂牌记录")).to_be_visible()
    await page.get_by_label("牌子类型").select_option("RESIDENTS_COMMITTEE")
    await page.get_by_label("牌子上的文字").fill("长江路社区居民委员会")
    await fine(page)
    await page.locator("form").get_by_role("button", name="挂牌").tap()
    hung = page.locator("p.panel.ok[data-signboard]")
    await expect(hung).to_contain_text("已挂牌")
    board = await hung.get_attribute("data-signboard")
    row = page.locator(f'li[data-signboard="{board}"]')
    await expect(row).to_contain_text("长江路社区居民委员会")

    # A kind the guideline does not allow: the card, its place in the log, the refusal in the read model.
    await page.get_by_label("牌子类型").select_option("OTHER")
    await page.get_by_label("牌子上的文字").fill("市场监管工作站")
    await page.locator("form").get_by_role("button", name="挂牌").tap()
    position = await refused_card(page, "SIGNBOARD_NOT_ALLOWED")
    card = page.locator("section.panel.refused")
    await expect(card).to_contain_text("这种牌子不得在社区挂牌")
    await expect(card.get_by_role("link", name="查看记录")).to_have_count(0)  # the committee reads no raw log
    await fine(page)
    refusal = await refusal_at(gql, c, position, "SIGNBOARD_NOT_ALLOWED")
    assert refusal["provision"] == "P6"
    await card.get_by_role("button", name="返回").tap()

    # 摘牌 with a reason.
    await row.get_by_role("button", name="摘牌").tap()
    await row.get_by_label("摘牌理由").fill("更换新牌")
    await fine(page)
    await row.get_by_role("button", name="确认摘牌").tap()
    await expect(page.get_by_text("已摘牌")).to_be_visible()
    await expect(row).to_have_count(0)
    await page.get_by_label("显示已摘下的牌子").check()
    await expect(row).to_contain_text("更换新牌")
    boards = (await gql.call(ops.SIGNBOARDS, {"c": c.code, "all": True}, c.committee))["signboards"]
    assert [(b["id"], b["kind"], b["removed"], b["removalReason"]) for b in boards] == [
        (board, "RESIDENTS_COMMITTEE", True, "更换新牌")]
    events = (await gql.call(ops.HISTORY, {"id": board}, c.auditor))["history"]
    assert [e["type"] for e in events] == ["SignboardHung", "SignboardRemoved"]


async def test_P5_P10_committee_sets_up_a_work_body_uses_the_seal_and_the_refused_ones_show_their_records(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    page = await sign_in(phone, server, c.committee, "/app/standing")
    await page.get_by_role("button", name="工作机构").tap()
    await page.get_by_label("机构名称").fill("长江路社区服务站")
    await page.get_by_label("机构类型").select_option("SERVICE_STATION")
    await page.get_by_role("button", name="设立").tap()
    body = await page.locator("p.panel.ok[data-work-body]").get_attribute("data-work-body")
    await expect(page.locator(f'li[data-work-body="{body}"]')).to_contain_text("长江路社区服务站")
    await page.get_by_label("机构名称").fill("市场监管社区工作站")
    await page.get_by_label("机构类型").select_option("DEPARTMENT_BODY")
    await page.get_by_role("button", name="设立").tap()
    position = await refused_card(page, "WORK_BODY_NOT_ALLOWED")
    await expect(page.locator("section.panel.refused")).to_contain_text("不得在社区另设工作机构")
    await fine(page)
    await refusal_at(gql, c, position, "WORK_BODY_NOT_ALLOWED")
    bodies = (await gql.call(ops.WORK_BODIES, {"c": c.code}, c.committee))["workBodies"]
    assert [(b["id"], b["kind"]) for b in bodies] == [(body, "SERVICE_STATION")]

    await page.get_by_role("button", name="用印登记").tap()
    await expect(page.get_by_text("还没有用印记录")).to_be_visible()
    await page.get_by_label("用途").fill("居民会议决议")
    await page.get_by_label("用印类别").select_option("SELF_GOVERNANCE")
    await page.get_by_label("文件名称").fill("关于加装电梯的决议")
    await fine(page)
    await page.get_by_role("button", name="用印", exact=True).tap()
    use = await page.locator("p.panel.ok[data-seal-use]").get_attribute("data-seal-use")
    await expect(page.locator(f'li[data-seal-use="{use}"]')).to_contain_text("关于加装电梯的决议")
    await page.get_by_label("用途").fill("开具证明")
    await page.get_by_label("用印类别").select_option("ECONOMIC_LIABILITY_CERTIFICATE")
    await page.get_by_label("文件名称").fill("担保证明")
    await page.get_by_label("申请单位（可不填，默认为本单位）").fill("区金融办")
    await page.get_by_role("button", name="用印", exact=True).tap()
    position = await refused_card(page, "SEAL_USE_NOT_ALLOWED")
    await expect(page.locator("section.panel.refused")).to_contain_text("社区公章不得用于证明法律责任或经济连带责任")
    await fine(page)
    refusal = await refusal_at(gql, c, position, "SEAL_USE_NOT_ALLOWED")
    assert refusal["department"] == "区金融办" and refusal["provision"] == "P10", refusal
    ledger = (await gql.call(ops.SEAL_LEDGER, {"c": c.code, "first": 10}, c.committee))["sealLedger"]
    assert [e["node"]["id"] for e in ledger["edges"]] == [use]


async def test_P7_P8_P9_government_is_refused_a_target_contract_sets_the_inspection_cap_and_records_inspections(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    await readable(gql, c)
    office = await sign_in(phone, server, c.office)
    await expect(office.locator(f'li[data-community="{c.code}"]')).to_be_visible()
    await office.get_by_role("link", name="社区事务").tap()
    await office.get_by_label("社区", exact=True).select_option(c.code)

    # P7: always refused, the card with its record.
    await office.get_by_role("button", name="目标责任书").tap()
    await office.get_by_label("责任书名称").fill("年度综合目标责任书")
    await office.get_by_label("考核指标（每行一项，可不填）").fill("信访零发生\n创建达标")
    await fine(office)
    await office.get_by_role("button", name="要求签订").tap()
    position = await refused_card(office, "TARGET_CONTRACT_ABOLISHED")
    card = office.locator("section.panel.refused")
    await expect(card).to_contain_text("目标责任书已经取消")
    await fine(office)
    refusal = await refusal_at(gql, c, position, "TARGET_CONTRACT_ABOLISHED")
    await card.get_by_role("link", name="查看记录").tap()
    event = office.locator(f'li.event[data-position="{position}"]')
    await expect(event).to_contain_text("目标责任书被拒绝")
    await expect(event).to_contain_text("年度综合目标责任书")
    assert refusal["refusalId"]

    # P8: the street's cap of one, then two inspections: the second is past it.
    await office.goto(f"{server.url.removesuffix('/graphql')}/app/standing?community={c.code}&part=inspections")
    await office.get_by_label("每季度最多检查次数").fill("1")
    await office.get_by_role("button", name="设定上限").tap()
    await expect(office.get_by_text("已设定：每个社区每季度最多 1 次")).to_be_visible()
    for body, ordinal in (("区卫健委", 1), ("区消防救援大队", 2)):
        await office.get_by_label("检查单位").fill(body)
        await office.get_by_label("检查内容").fill("安全检查")
        await office.get_by_role("button", name="记录检查").tap()
        await expect(office.locator("div.panel.ok[data-inspection]")).to_contain_text(f"本季度第 {ordinal} 次")
    await expect(office.locator("div.panel.ok")).to_contain_text("这次检查超出了上限")
    quarter = office.locator("li[data-quarter]").first
    await expect(quarter).to_have_attribute("data-count", "2")
    await expect(quarter).to_contain_text("上限 1 次 · 已超出上限")
    await fine(office)
    counts = (await gql.call(ops.INSPECTION_COUNTS, {"scope": c.code}, c.office))["inspectionCounts"]["edges"]
    assert [(e["node"]["inspections"], e["node"]["cap"], e["node"]["exceeded"]) for e in counts] == [(2, 1, True)]

    # P9: a paper ledger demanded, counted in the burden report.
    await office.get_by_role("button", name="纸质台账").tap()
    await office.get_by_label("提出要求的单位").fill("区档案局")
    await office.get_by_label("台账名称").fill("居民档案纸质台账")
    await office.get_by_label("页数（可不填）").fill("120")
    await fine(office)
    await office.get_by_role("button", name="记录", exact=True).tap()
    done = office.locator("p.panel.ok[data-ledger-demand]")
    await expect(done).to_contain_text("区档案局要求提供“居民档案纸质台账”")
    history = (await gql.call(ops.HISTORY, {"id": await done.get_attribute("data-ledger-demand")}, c.auditor))["history"]
    assert [e["type"] for e in history] == ["LedgerDemandRecorded"] and history[0]["data"]["pages"] == 120
    await ops.caught_up(gql, c.office, history[0]["position"])
    report = (await gql.call(BURDEN, {"scope": c.code}, c.office))["burdenReport"]
    assert (report["paperLedgersDemanded"], report["inspections"], report["inspectionsOverCap"],
            report["targetContractsRefused"]) == (1, 2, 1, 1), report


async def test_P36_the_street_office_records_that_a_rural_communitys_village_and_enterprises_are_separated(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    village = ops.Community(f"{district()}001002")
    await gql.call(ops.REGISTER, {"input": {"code": village.code, "name": "青山村", "kind": "RURAL",
                                            "villageEnterpriseSeparated": False}}, village.office)
    for _ in range(100):
        if (await gql.call(COMMUNITY_SEPARATION, {"c": village.code}, village.office))["community"]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the village never reached the read models")

    # The committee sees the fact and what it means (P6), with no control; it may hang the collective's signboard.
    page = await sign_in(phone, server, village.committee, "/app/standing")
    fact = page.locator("section.separation")
    await expect(fact).to_have_attribute("data-separated", "false")
    await expect(fact).to_contain_text("本村尚未实行村企分开")
    await expect(fact).to_contain_text("可以增挂集体经济组织的牌子")
    await expect(fact.locator("form")).to_have_count(0)
    await page.get_by_label("牌子类型").select_option("COLLECTIVE_ECONOMIC_ORGANIZATION")
    await page.get_by_label("牌子上的文字").fill("青山村股份经济合作社")
    await fine(page)
    await page.get_by_role("button", name="挂牌", exact=True).tap()
    await expect(page.locator("p.panel.ok[data-signboard]")).to_contain_text("已挂牌")
    await page.close()

    # The street office records the village and enterprises separated, through the outbox; the fact changes.
    office = await sign_in(phone, server, village.office, f"/app/standing?community={village.code}")
    fact = office.locator("section.separation")
    await expect(fact).to_contain_text("本村尚未实行村企分开")
    await expect(fact.get_by_role("button", name="确认记录")).to_be_disabled()
    await fact.get_by_label("已实行村企分开").check()
    await fine(office)
    await fact.get_by_role("button", name="确认记录").tap()
    await expect(fact.locator('p.panel.ok[data-separated="true"]')).to_contain_text("已记录：本村已实行村企分开")
    await expect(fact).to_have_attribute("data-separated", "true")
    await expect(fact.locator(".separation-fact")).to_contain_text("本村已实行村企分开")
    await expect(fact).to_contain_text("不再增挂集体经济组织的牌子")
    await fine(office)

    # Now the collective's signboard is refused (P6 turns on P36), on the record.
    await office.get_by_label("牌子类型").select_option("COLLECTIVE_ECONOMIC_ORGANIZATION")
    await office.get_by_label("牌子上的文字").fill("青山村经济联合社")
    await office.get_by_role("button", name="挂牌", exact=True).tap()
    position = await refused_card(office, "SIGNBOARD_NOT_ALLOWED")
    await refusal_at(gql, village, position, "SIGNBOARD_NOT_ALLOWED")

    # The log and the read model.
    events = (await gql.call(ops.HISTORY_WITH_ORG, {"id": village.code}, village.auditor))["history"]
    recorded = [e for e in events if e["type"] == "VillageEnterpriseSeparationRecorded"]
    assert len(recorded) == 1 and recorded[0]["actor"]["role"] == "STREET_OFFICE", events
    assert recorded[0]["data"]["villageEnterpriseSeparated"] is True, recorded
    await ops.caught_up(gql, village.office, recorded[0]["position"])
    community = (await gql.call(COMMUNITY_SEPARATION, {"c": village.code}, village.department))["community"]
    assert community == {"kind": "RURAL", "villageEnterpriseSeparated": True}, community

    # The department sees the fact, not the control; an URBAN community shows none.
    dept = await sign_in(phone, server, village.department, f"/app/standing?community={village.code}")
    await expect(dept.locator("section.separation")).to_contain_text("本村已实行村企分开")
    await expect(dept.get_by_role("button", name="确认记录")).to_have_count(0)
    await fine(dept)
    town = await ops.community(gql)
    assert (await gql.call(COMMUNITY_SEPARATION, {"c": town.code}, town.office))["community"][
        "villageEnterpriseSeparated"] is None
    urban = await sign_in(phone, server, town.committee, "/app/standing")
    await expect(urban.get_by_text("还没有挂牌记录")).to_be_visible()
    await expect(urban.locator("section.separation")).to_have_count(0)


async def test_P5_P6_the_party_committee_hangs_a_signboard_and_sets_up_a_work_body_on_its_two_tabs(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    party = token(Role.PARTY_COMMITTEE, c.code, f"party-{c.code}", organization="长江路社区党委")
    page = await sign_in(phone, server, party)
    await page.get_by_role("link", name="社区事务").tap()
    tabs = page.locator("nav.standing-tabs button")
    await expect(tabs).to_have_count(2)
    assert await tabs.all_inner_texts() == ["牌子", "工作机构"]
    await page.get_by_label("牌子类型").select_option("PARTY_ORGANIZATION")
    await page.get_by_label("牌子上的文字").fill("中共长江路社区委员会")
    await fine(page)
    await page.locator("form").get_by_role("button", name="挂牌").tap()
    board = await page.locator("p.panel.ok[data-signboard]").get_attribute("data-signboard")
    await expect(page.locator(f'li[data-signboard="{board}"]')).to_contain_text("由长江路社区党委挂牌")

    await page.get_by_role("button", name="工作机构").tap()
    await page.get_by_label("机构名称").fill("长江路社区党群服务站")
    await page.get_by_label("机构类型").select_option("SERVICE_STATION")
    await fine(page)
    await page.get_by_role("button", name="设立").tap()
    body = await page.locator("p.panel.ok[data-work-body]").get_attribute("data-work-body")
    await expect(page.locator(f'li[data-work-body="{body}"]')).to_contain_text("长江路社区党群服务站")

    boards = (await gql.call(ops.SIGNBOARDS, {"c": c.code, "all": False}, c.committee))["signboards"]
    assert [(b["id"], b["kind"], b["hungBy"]["role"]) for b in boards] == [
        (board, "PARTY_ORGANIZATION", "PARTY_COMMITTEE")]
    bodies = (await gql.call(ops.WORK_BODIES, {"c": c.code}, c.committee))["workBodies"]
    assert [(b["id"], b["kind"], b["establishedBy"]["role"]) for b in bodies] == [
        (body, "SERVICE_STATION", "PARTY_COMMITTEE")]
    # A part it may not use, asked for in the address, opens its signboards instead.
    page = await sign_in(phone, server, party, "/app/standing?part=seal")
    await expect(page.get_by_role("button", name="牌子", exact=True)).to_have_attribute("aria-pressed", "true")
    await expect(page.get_by_role("button", name="用印登记")).to_have_count(0)


async def test_P5_P6_P8_P10_every_part_of_the_standing_screen_fits_360_px_in_elder_mode_too(
        server: Server, gql: Client, browser: Browser) -> None:
    c = await ops.community(gql)
    for elder in (False, True):
        context = await browser.new_context(**NARROW_PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        if elder:
            await context.add_init_script("localStorage.setItem('gongzhi.elder', '1')")
        try:
            for tok, parts in ((c.committee, ["牌子", "工作机构", "用印登记", "检查", "纸质台账"]),
                               (c.department, ["牌子", "工作机构", "用印登记", "检查", "纸质台账", "目标责任书"])):
                page = await sign_in(context, server, tok, f"/app/standing?community={c.code}")
                for name in parts:
                    await page.get_by_role("button", name=name, exact=True).tap()
                    await expect(page.locator("#part-title")).to_be_visible()
                    await fine(page)
                await page.close()
        finally:
            await context.close()


# -- 岗位和人员: posts, staff and appraisals (P11) --------------------------------------------------------------------

async def test_P11_committee_defines_a_post_appoints_staff_and_records_an_appraisal_and_only_it_sees_the_name(
        server: Server, gql: Client, browser: Browser) -> None:
    c = await ops.community(gql)
    for elder in (False, True):
        context = await browser.new_context(**(NARROW_PHONE if elder else PHONE))
        context.set_default_timeout(TIMEOUT_MS)
        if elder:
            await context.add_init_script("localStorage.setItem('gongzhi.elder', '1')")
        try:
            page = await sign_in(context, server, c.committee, "/app/home")
            await page.get_by_role("link", name="岗位和人员").tap()
            if elder:  # what the first pass made, in elder mode at 360 px
                await expect(page.locator("li[data-post]")).to_have_count(1)
                await page.get_by_role("button", name="记录考核").first.tap()
                await fine(page)
                continue
            await expect(page.get_by_text("还没有设立岗位")).to_be_visible()
            await page.get_by_label("岗位名称").fill("综合受理岗")
            await page.get_by_label("岗位职责（每行一项）").fill("受理居民事项\n一次告知")
            await page.get_by_label("服务流程（每行一项，可不填）").fill("登记\n办理\n回访")
            await fine(page)
            await page.get_by_role("button", name="设立岗位", exact=True).last.tap()
            post_id = await page.locator("p.panel.ok[data-post]").get_attribute("data-post")
            post = page.locator(f'li[data-post="{post_id}"]')
            await expect(post).to_contain_text("一次告知")
            await post.get_by_role("button", name="安排人员").tap()
            await post.get_by_label("人员编号").fill("staff-001")
            await post.get_by_label("姓名").fill("王小红")
            await post.get_by_label("电话").fill("13800138000")
            await fine(page)
            await post.get_by_role("button", name="确认安排").tap()
            staff = post.locator('li[data-person="staff-001"]')
            await expect(staff).to_contain_text("王小红 · 13800138000")
            await staff.get_by_role("button", name="记录考核").tap()
            await staff.get_by_label("考核期间，例如 2026").fill("2026")
            await staff.get_by_label("考核结果").select_option("EXCELLENT")
            await staff.get_by_label("奖励（可不填）").fill("通报表扬")
            await fine(page)
            await staff.get_by_role("button", name="记录考核", exact=True).last.tap()
            await expect(staff.locator('p[data-appraisal="2026"]')).to_contain_text("2026：优秀 · 通报表扬")
        finally:
            await context.close()

    mine = (await gql.call(ops.POSTS, {"c": c.code}, c.committee))["posts"]
    assert [(p["title"], p["duties"], p["procedures"]) for p in mine] == [
        ("综合受理岗", ["受理居民事项", "一次告知"], ["登记", "办理", "回访"])]
    (staff,) = mine[0]["staff"]
    assert (staff["personId"], staff["name"], staff["phone"]) == ("staff-001", "王小红", "13800138000")
    assert [(a["period"], a["result"], a["reward"]) for a in staff["appraisals"]] == [("2026", "EXCELLENT", "通报表扬")]
    # Personal data: a department reads the post and the person's id, not the name or phone.
    theirs = (await gql.call(ops.POSTS, {"c": c.code}, c.department))["posts"][0]["staff"][0]
    assert (theirs["personId"], theirs["name"], theirs["phone"]) == ("staff-001", None, None)


async def test_P11_the_street_office_picks_a_community_defines_a_post_appoints_staff_and_records_an_appraisal(
        server: Server, gql: Client, phone: BrowserContext) -> None:
    c = await ops.community(gql)
    await readable(gql, c)
    office = await sign_in(phone, server, c.office)
    await expect(office.locator(f'li[data-community="{c.code}"]')).to_be_visible()
    await office.get_by_role("link", name="岗位和人员").tap()
    await office.get_by_label("社区", exact=True).select_option(c.code)
    await expect(office.get_by_text("还没有设立岗位")).to_be_visible()
    await office.get_by_label("岗位名称").fill("社区网格员")
    await office.get_by_label("岗位职责（每行一项）").fill("网格巡查")
    await fine(office)
    await office.get_by_role("button", name="设立岗位", exact=True).last.tap()
    post_id = await office.locator("p.panel.ok[data-post]").get_attribute("data-post")
    post = office.locator(f'li[data-post="{post_id}"]')
    await post.get_by_role("button", name="安排人员").tap()
    await post.get_by_label("人员编号").fill("staff-101")
    await post.get_by_label("姓名").fill("李明")
    await post.get_by_label("电话").fill("13900139000")
    await post.get_by_role("button", name="确认安排").tap()
    staff = post.locator('li[data-person="staff-101"]')
    await expect(staff).to_contain_text("李明 · 13900139000")  # the street office may read names and phones
    await staff.get_by_role("button", name="记录考核").tap()
    await staff.get_by_label("考核期间，例如 2026").fill("2026")
    await staff.get_by_label("考核结果").select_option("COMPETENT")
    await fine(office)
    await staff.get_by_role("button", name="记录考核", exact=True).last.tap()
    await expect(staff.locator('p[data-appraisal="2026"]')).to_contain_text("2026：称职")
    await fine(office)

    (mine,) = (await gql.call(ops.POSTS, {"c": c.code}, c.committee))["posts"]
    assert (mine["id"], mine["title"], mine["duties"]) == (post_id, "社区网格员", ["网格巡查"])
    (person,) = mine["staff"]
    assert (person["personId"], person["name"], person["phone"]) == ("staff-101", "李明", "13900139000")
    assert [(a["period"], a["result"]) for a in person["appraisals"]] == [("2026", "COMPETENT")]
    events = (await gql.call(ops.HISTORY_WITH_ORG, {"id": post_id}, c.auditor))["history"]
    assert (events[0]["type"], events[0]["actor"]["role"]) == ("PostDefined", "STREET_OFFICE"), events

    # The department may not define posts: no link, and /app/posts is not one of its screens.
    dept = await sign_in(phone, server, c.department)
    await expect(dept.locator(f'li[data-community="{c.code}"]')).to_be_visible()
    await expect(dept.get_by_role("link", name="社区事务")).to_be_visible()
    await expect(dept.get_by_role("link", name="岗位和人员")).to_have_count(0)
    await fine(dept)
    await dept.evaluate("path => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }",
                        "/app/posts")
    await expect(dept.get_by_role("heading", level=2)).to_have_text("辖区社区")
