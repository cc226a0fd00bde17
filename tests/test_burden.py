"""Burden reduction through real HTTP (issue 9): P1 quotas, P4 money (disbursements, the agreement's view, unfunded
tasks), and the oversight view (burdenReport by department and community, burdenAlerts, refusals)."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.domain.access import Role
from tests import ops
from tests.harness import Client, Server, district, server_env, token

ITEMS = [{"code": "AG-01", "title": "协助人口普查", "list": "ASSIST_GOVERNMENT"},
         {"code": "AG-Q", "title": "协助开展创建文明城市测评", "list": "ASSIST_GOVERNMENT", "allowsQuota": True}]
AGREEMENT = """query($id: ID!) { agreement(id: $id) { id fundingYuan disbursedYuan outstandingYuan allowsQuota
  disbursements { amountYuan note organization } tasks { id title quota } } }"""
REPORT = """query($s: String!, $from: Date, $to: Date, $d: String) { burdenReport(scope: $s, from: $from, to: $to,
  department: $d) { scope tasksDelegated onDutyList underAgreement refusedOffList quotaRefused declined
  agreementFundingYuan disbursedYuan unfundedTasks
  byDepartment { department tasksDelegated refusedOffList quotaRefused declined agreementFundingYuan disbursedYuan
                 unfundedTasks }
  byCommunity { communityCode tasksDelegated quotaRefused } } }"""
ALERTS = """query($s: String!) { burdenAlerts(scope: $s) { kind communityCode department count taskId agreementId
  provisions position detail } }"""
REFUSALS = """query($s: String, $p: String) { refusals(scope: $s, provision: $p) { totalCount
  edges { node { position type provision code reason department communityCode actorRole } } } }"""


def department(c: ops.Community, name: str) -> str:
    """A department's token of the district, naming its organization."""
    return token(Role.DEPARTMENT, c.district, f"dept-{abs(hash(name)) % 10_000}", organization=name)


async def delegate(gql: Client, c: ops.Community, tok: str, **fields: object) -> dict:
    data = await gql.call(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "入户登记", "fromDepartment": "区统计局",
                                                   **fields}}, tok)
    return data["delegateTask"]


async def sign(gql: Client, c: ops.Community, tok: str, funding: str, allows_quota: bool | None = None) -> dict:
    data = await gql.call(ops.SIGN, {"input": {
        "communityCode": c.code, "department": "区住建局", "scope": "加装电梯意见征询", "fundingYuan": funding,
        "validUntil": ops.iso(timedelta(days=90)), "allowsQuota": allows_quota}}, tok)
    return data["signServiceAgreement"]


async def head(gql: Client, c: ops.Community) -> int:
    events = (await gql.call("{ eventLog(after: 0, first: 1000) { position } }", tok=c.auditor))["eventLog"]
    return events[-1]["position"] if events else 0


async def test_P1_a_quota_is_refused_unless_the_duty_item_provides_for_it(gql: Client) -> None:
    c = await ops.community(gql, items=ITEMS)
    statistics = department(c, "区统计局")
    error = await gql.error(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "入户登记", "fromDepartment": "区统计局",
                                                     "dutyItemCode": "AG-01", "quota": "完成入户登记2000户"}}, statistics)
    assert error["extensions"]["code"] == "QUOTA_NOT_ALLOWED" and error["extensions"]["provision"] == "P1"
    position = error["extensions"]["position"]
    logged = (await gql.call(ops.EVENT_LOG, {"after": position - 1, "first": 1}, c.auditor))["eventLog"][0]
    assert logged["position"] == position and logged["type"] == "TaskDelegationRefused"
    assert logged["data"]["code"] == "QUOTA_NOT_ALLOWED" and logged["data"]["quota"] == "完成入户登记2000户"
    assert logged["actor"]["role"] == "DEPARTMENT" and logged["data"]["provision"] == "P1"
    history = await gql.call("query($id: ID!) { history(entityId: $id) { actor { organization } } }",
                             {"id": error["extensions"]["refusalId"]}, c.auditor)
    assert history["history"] == [{"actor": {"organization": "区统计局"}}]
    allowed = await delegate(gql, c, statistics, dutyItemCode="AG-Q", quota="测评达标率95%")
    assert allowed["task"]["basis"] == "DUTY_LIST"
    task = await gql.call("query($id: ID!) { task(id: $id) { quota } }", {"id": allowed["task"]["id"]}, c.committee,
                          headers={"X-Consistent-After": str(allowed["receipt"]["position"])})
    assert task["task"]["quota"] == "测评达标率95%"
    without = await delegate(gql, c, statistics, dutyItemCode="AG-01")  # no quota: on the list as before
    assert without["task"]["basis"] == "DUTY_LIST"


async def test_P1_a_quota_under_an_agreement_needs_an_agreement_that_provides_for_it(gql: Client) -> None:
    c = await ops.community(gql, items=ITEMS)
    housing = department(c, "区住建局")
    plain = (await sign(gql, c, housing, "5000.00"))["agreement"]["id"]
    quota = (await sign(gql, c, housing, "5000.00", allows_quota=True))["agreement"]["id"]
    assert await gql.code(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "t", "fromDepartment": "区住建局",
                                                   "agreementId": plain, "quota": "50户"}}, housing) == "QUOTA_NOT_ALLOWED"
    assert (await delegate(gql, c, housing, agreementId=quota, quota="50户"))["task"]["basis"] == "SERVICE_AGREEMENT"
    # an off-list delegation with a quota is refused for being off the list, as before
    assert await gql.code(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "t", "fromDepartment": "d",
                                                   "dutyItemCode": "XX-99", "quota": "q"}}, housing) == "OFF_LIST_TASK"


async def test_P4_disbursements_up_to_the_agreed_funding_and_the_agreements_view(gql: Client) -> None:
    c = await ops.community(gql, items=ITEMS)
    housing = department(c, "区住建局")
    agreement = (await sign(gql, c, housing, "1000.00"))["agreement"]["id"]
    task = await delegate(gql, c, housing, agreementId=agreement, title="加装电梯入户征询")
    first = await gql.call(ops.DISBURSE, {"input": {"agreementId": agreement, "amountYuan": "400", "note": "首期"}}, housing)
    assert first["recordDisbursement"]["agreement"] == {"id": agreement, "fundingYuan": "1000.00",
                                                        "disbursedYuan": "400.00", "outstandingYuan": "600.00"}
    second = await gql.call(ops.DISBURSE, {"input": {"agreementId": agreement, "amountYuan": "600.00"}}, c.office)
    before = await head(gql, c)
    error = await gql.error(ops.DISBURSE, {"input": {"agreementId": agreement, "amountYuan": "0.01"}}, housing)
    assert error["extensions"]["code"] == "OVER_DISBURSED" and error["extensions"]["outstandingYuan"] == "0.00"
    assert await head(gql, c) == before  # nothing recorded
    for bad in ("0", "-5", "1.001", "1e3", "abc"):
        assert await gql.code(ops.DISBURSE, {"input": {"agreementId": agreement, "amountYuan": bad}},
                              housing) == "INVALID_INPUT"
    view = (await gql.call(AGREEMENT, {"id": agreement}, c.committee,
                           headers={"X-Consistent-After": str(second["recordDisbursement"]["receipt"]["position"])}))
    assert view["agreement"]["disbursedYuan"] == "1000.00" and view["agreement"]["outstandingYuan"] == "0.00"
    assert [(d["amountYuan"], d["note"], d["organization"]) for d in view["agreement"]["disbursements"]] == [
        ("400.00", "首期", "区住建局"), ("600.00", None, None)]
    assert [t["id"] for t in view["agreement"]["tasks"]] == [task["task"]["id"]]


async def test_P4_concurrent_disbursements_never_pass_the_funding(gql: Client) -> None:
    """Ten disbursements of 30 yuan at once against 100 yuan of funding: at most three land, and the total never
    passes the funding (each payment is a new version of the agreement's stream)."""
    c = await ops.community(gql, items=ITEMS)
    housing = department(c, "区住建局")
    agreement = (await sign(gql, c, housing, "100.00"))["agreement"]["id"]
    responses = await asyncio.gather(*(gql.raw(ops.DISBURSE, {"input": {"agreementId": agreement,
                                                                        "amountYuan": "30"}}, housing)
                                       for _ in range(10)))
    codes = [(r.json().get("errors") or [{"extensions": {"code": None}}])[0]["extensions"]["code"] for r in responses]
    assert all(r.status_code == 200 for r in responses)
    landed = codes.count(None)
    assert 1 <= landed <= 3 and set(codes) <= {None, "VERSION_CONFLICT", "OVER_DISBURSED"}
    history = await gql.call("query($id: ID!) { history(entityId: $id) { type } }", {"id": agreement}, c.auditor)
    assert [e["type"] for e in history["history"]].count("DisbursementRecorded") == landed


async def test_P1_P4_burden_report_by_department_and_community(gql: Client) -> None:
    """The report's figures, in all, by department (the token's organization) and by community, and in a period."""
    c = await ops.community(gql, items=ITEMS)
    other = await ops.community(gql, code=f"{c.street}002", items=ITEMS)
    statistics, housing = department(c, "区统计局"), department(c, "区住建局")
    await delegate(gql, c, statistics, dutyItemCode="AG-01")
    await delegate(gql, other, statistics, dutyItemCode="AG-01")
    declined = await delegate(gql, c, statistics, dutyItemCode="AG-Q")
    await gql.call(ops.DECLINE, {"id": declined["task"]["id"], "r": "不属于协助事项"}, c.committee)
    for _ in range(2):
        assert await gql.code(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "招商引资", "fromDepartment": "x"}},
                              housing) == "OFF_LIST_TASK"
    assert await gql.code(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "t", "fromDepartment": "x",
                                                   "dutyItemCode": "AG-01", "quota": "排名前三"}}, statistics) == "QUOTA_NOT_ALLOWED"
    agreement = (await sign(gql, c, housing, "800.00"))["agreement"]["id"]
    paid = await gql.call(ops.DISBURSE, {"input": {"agreementId": agreement, "amountYuan": "300"}}, housing)
    wait = {"X-Consistent-After": str(paid["recordDisbursement"]["receipt"]["position"])}
    report = (await gql.call(REPORT, {"s": c.street}, c.office, headers=wait))["burdenReport"]
    assert (report["tasksDelegated"], report["onDutyList"], report["refusedOffList"], report["quotaRefused"],
            report["declined"], report["agreementFundingYuan"], report["disbursedYuan"]) == (
        3, 3, 2, 1, 1, "800.00", "300.00")
    by_department = {d["department"]: d for d in report["byDepartment"]}
    assert set(by_department) == {"区统计局", "区住建局"}
    assert (by_department["区统计局"]["tasksDelegated"], by_department["区统计局"]["declined"],
            by_department["区统计局"]["quotaRefused"]) == (3, 1, 1)
    assert (by_department["区住建局"]["refusedOffList"], by_department["区住建局"]["disbursedYuan"]) == (2, "300.00")
    by_community = {x["communityCode"]: x for x in report["byCommunity"]}
    assert (by_community[c.code]["tasksDelegated"], by_community[other.code]["tasksDelegated"]) == (2, 1)
    own = (await gql.call(REPORT, {"s": c.district, "d": "区住建局"}, housing, headers=wait))["burdenReport"]
    assert (own["tasksDelegated"], own["refusedOffList"], [d["department"] for d in own["byDepartment"]]) == (
        0, 2, ["区住建局"])
    today = datetime.now(UTC).astimezone().date()
    later = (await gql.call(REPORT, {"s": c.street, "from": str(today + timedelta(days=2))}, c.office))["burdenReport"]
    assert later["tasksDelegated"] == 0 and later["byDepartment"] == []
    around = (await gql.call(REPORT, {"s": c.street, "from": str(today - timedelta(days=1)),
                                      "to": str(today + timedelta(days=1))}, c.office))["burdenReport"]
    assert around["tasksDelegated"] == 3
    assert await gql.code(REPORT, {"s": c.street, "from": str(today), "to": str(today - timedelta(days=1))},
                          c.office) == "INVALID_INPUT"
    assert await gql.code(REPORT, {"s": other.district[:5] + "9"}, c.office) == "FORBIDDEN"


async def test_P1_refusals_show_what_was_refused_in_a_communitys_name(gql: Client) -> None:
    c = await ops.community(gql, items=ITEMS)
    housing = department(c, "区住建局")
    error = await gql.error(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "招商引资", "fromDepartment": "x"}},
                            housing)
    listed = (await gql.call(REFUSALS, {"s": c.code, "p": "P1"}, c.committee,
                             headers={"X-Consistent-After": str(error["extensions"]["position"])}))["refusals"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"] == {
        "position": error["extensions"]["position"], "type": "TaskDelegationRefused", "provision": "P1",
        "code": "OFF_LIST_TASK", "reason": listed["edges"][0]["node"]["reason"], "department": "区住建局",
        "communityCode": c.code, "actorRole": "DEPARTMENT"}
    assert (await gql.call(REFUSALS, {"s": c.code, "p": "P6"}, c.committee))["refusals"]["totalCount"] == 0
    assert await gql.code(REFUSALS, {"s": c.code, "p": "P99"}, c.committee) == "INVALID_INPUT"
    assert await gql.code(REFUSALS, {"s": f"{c.street}002"}, c.committee) == "FORBIDDEN"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory, database_url: str | None, data_dir: Path) -> Iterator[Server]:
    """A server whose grace period is 0 days and which alerts at 2 refusals (on the session's database)."""
    env = server_env(data_dir, database_url)
    env.update(GONGZHI_UNFUNDED_GRACE_DAYS="0", GONGZHI_REPEATED_REFUSALS="2")
    server = Server(env).start()
    yield server
    server.stop()


async def test_P4_burden_alerts_unfunded_tasks_and_repeated_refusals(gql: Client, strict: Server) -> None:
    c = await ops.community(gql, code=f"{district()}001001", items=ITEMS)
    housing = department(c, "区住建局")
    agreement = (await sign(gql, c, housing, "900.00"))["agreement"]["id"]
    task = await delegate(gql, c, housing, agreementId=agreement)
    for _ in range(2):
        await gql.error(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "招商引资", "fromDepartment": "x"}},
                        housing)
    client = Client(strict.url)
    try:
        wait = {"X-Consistent-After": str(task["receipt"]["position"] + 2)}
        await client.call("{ me { id } }", tok=c.office, headers=wait)
        alerts = (await client.call(ALERTS, {"s": c.street}, c.office))["burdenAlerts"]
        kinds = {a["kind"]: a for a in alerts}
        assert kinds["UNFUNDED_TASK"]["taskId"] == task["task"]["id"]
        assert kinds["UNFUNDED_TASK"]["agreementId"] == agreement and kinds["UNFUNDED_TASK"]["department"] == "区住建局"
        assert kinds["REPEATED_REFUSALS"]["department"] == "区住建局" and kinds["REPEATED_REFUSALS"]["count"] == 2
        assert kinds["REPEATED_REFUSALS"]["provisions"] == ["P1"]
        report = (await client.call(REPORT, {"s": c.street}, c.office))["burdenReport"]
        assert report["unfundedTasks"] == 1 and report["byDepartment"][0]["unfundedTasks"] == 1
        paid = await client.call(ops.DISBURSE, {"input": {"agreementId": agreement, "amountYuan": "100"}}, housing)
        wait = {"X-Consistent-After": str(paid["recordDisbursement"]["receipt"]["position"])}
        alerts = (await client.call(ALERTS, {"s": c.street}, c.office, headers=wait))["burdenAlerts"]
        assert "UNFUNDED_TASK" not in {a["kind"] for a in alerts}
    finally:
        await client.close()
    # the session's server keeps the default grace of 30 days: the new task is not unfunded there
    assert (await gql.call(REPORT, {"s": c.street}, c.office))["burdenReport"]["unfundedTasks"] == 0


RULES = [  # (provision, document, variables of `c`, the token's attribute, code, the report's figure)
    ("P5", ops.ESTABLISH_WORK_BODY, lambda c: {"input": {"communityCode": c.code, "name": "区卫健委社区工作站",
                                                        "kind": "DEPARTMENT_BODY"}}, "WORK_BODY_NOT_ALLOWED",
     "workBodiesRefused"),
    ("P6", ops.HANG_SIGNBOARD, lambda c: {"input": {"communityCode": c.code, "kind": "OTHER", "text": "城市管理工作站"}},
     "SIGNBOARD_NOT_ALLOWED", "signboardsRefused"),
    ("P7", ops.IMPOSE_TARGET_CONTRACT, lambda c: {"input": {"communityCode": c.code, "title": "年度目标责任书"}},
     "TARGET_CONTRACT_ABOLISHED", "targetContractsRefused"),
    ("P10", ops.USE_SEAL, lambda c: {"input": {"communityCode": c.code, "purpose": "经营场所证明", "document": "证明",
                                               "kind": "ECONOMIC_LIABILITY_CERTIFICATE"}},
     "SEAL_USE_NOT_ALLOWED", "sealUsesRefused"),
]


@pytest.mark.parametrize("provision, document, variables, code, figure", RULES, ids=[r[0] for r in RULES])
async def test_P5_P6_P7_P10_each_rule_is_refused_recorded_and_counted_against_the_department(
        gql: Client, provision: str, document: str, variables, code: str, figure: str) -> None:
    """Each rule through real HTTP: refused with its code, its provision and its place in the log, the refusal in
    `refusals` and counted in burdenReport against the department (the token's organization) and the community."""
    c = await ops.community(gql, items=ITEMS)
    urban = department(c, "区城市管理局")
    error = await gql.error(document, variables(c), urban)
    assert (error["extensions"]["code"], error["extensions"]["provision"]) == (code, provision)
    wait = {"X-Consistent-After": str(error["extensions"]["position"])}
    logged = (await gql.call(ops.EVENT_LOG, {"after": error["extensions"]["position"] - 1, "first": 1}, c.auditor))
    assert logged["eventLog"][0]["data"]["provision"] == provision
    report = (await gql.call(REPORT.replace("byCommunity { communityCode", f"{figure} byCommunity {{ communityCode"),
                             {"s": c.code}, c.committee, headers=wait))["burdenReport"]
    assert report[figure] == 1
    listed = (await gql.call(REFUSALS, {"s": c.code, "p": provision}, c.committee))["refusals"]
    assert [(n["node"]["code"], n["node"]["department"]) for n in listed["edges"]] == [(code, "区城市管理局")]
