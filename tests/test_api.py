"""Every operation of the contract, end to end over HTTP against the running server."""
from __future__ import annotations

from datetime import timedelta

from backend.domain.access import Role
from tests import ops
from tests.harness import Client, district, token


async def read(gql: Client, query: str, variables: dict, tok: str, after: int) -> dict:
    """A read that sees at least log position `after` (read-your-writes)."""
    return await gql.call(query, variables, tok, headers={"X-Consistent-After": str(after)})


async def test_me(gql: Client) -> None:
    tok = token(Role.COMMITTEE, "320102001001", "staff-7")
    assert (await gql.call("{ me { id role scope } }", tok=tok))["me"] == {
        "id": "staff-7", "role": "COMMITTEE", "scope": "320102001001"}


async def test_register_and_publish_then_read_community(gql: Client) -> None:
    code = f"{district()}001001"
    c = ops.Community(code)
    reg = (await gql.call(ops.REGISTER, {"input": {"code": code, "name": "雍园社区", "kind": "RURAL"}},
                          c.office))["registerCommunity"]
    assert reg["community"] == {"code": code, "name": "雍园社区", "kind": "RURAL", "dutyListVersion": 0,
                                "openTasks": 0}
    assert reg["receipt"]["entityId"] == code and reg["receipt"]["version"] == 1
    items = [{"code": "SG-01", "title": "居民会议", "list": "SELF_GOVERNANCE"}]
    pub = (await gql.call(ops.PUBLISH, {"input": {"communityCode": code, "items": items}}, c.office))["publishDutyList"]
    assert pub["community"]["dutyListVersion"] == 1 and pub["community"]["dutyItems"] == items
    assert pub["receipt"]["position"] > reg["receipt"]["position"]
    data = await read(gql, "query($c: ID!) { community(code: $c) { code name kind dutyListVersion dutyItems { code }"
                           " openTasks organizations activitiesHeld } }", {"c": code}, c.committee,
                      pub["receipt"]["position"])
    assert data["community"] == {"code": code, "name": "雍园社区", "kind": "RURAL", "dutyListVersion": 1,
                                 "dutyItems": [{"code": "SG-01"}], "openTasks": 0, "organizations": 0,
                                 "activitiesHeld": 0}
    assert await gql.code(ops.REGISTER, {"input": {"code": code, "name": "again", "kind": "URBAN"}},
                          c.office) == "ALREADY_EXISTS"


async def test_community_that_does_not_exist_is_null(gql: Client) -> None:
    code = f"{district()}001001"
    assert (await gql.call("query($c: ID!) { community(code: $c) { code } }", {"c": code},
                           token(Role.ADMIN, "")))["community"] is None


async def test_task_on_duty_list_accept_complete(gql: Client) -> None:
    c = await ops.community(gql)
    delegated = await ops.delegate(gql, c)
    task = delegated["task"]
    assert task["basis"] == "DUTY_LIST" and task["dutyItemCode"] == "AG-01" and task["status"] == "DELEGATED"
    assert task["version"] == 1 == delegated["receipt"]["version"]
    accepted = (await gql.call(ops.ACCEPT, {"id": task["id"], "v": 1}, c.committee))["acceptTask"]
    assert accepted["task"]["status"] == "ACCEPTED" and accepted["task"]["version"] == 2
    done = (await gql.call(ops.COMPLETE, {"id": task["id"], "v": 2}, c.committee))["completeTask"]
    assert done["task"]["status"] == "COMPLETED" and done["receipt"]["version"] == 3
    assert await gql.code(ops.ACCEPT, {"id": task["id"], "v": 1}, c.committee) == "VERSION_CONFLICT"
    assert await gql.code(ops.ACCEPT, {"id": task["id"]}, c.committee) == "INVALID_STATE"
    data = await read(gql, "query($s: String) { tasks(scope: $s) { totalCount edges { node { id status version } } } }",
                      {"s": c.code}, c.committee, done["receipt"]["position"])
    assert data["tasks"]["totalCount"] == 1
    assert data["tasks"]["edges"][0]["node"] == {"id": task["id"], "status": "COMPLETED", "version": 3}


async def test_decline_with_reason_and_open_task_count(gql: Client) -> None:
    c = await ops.community(gql)
    one = (await ops.delegate(gql, c))["task"]
    await ops.delegate(gql, c, "SG-01")
    declined = (await gql.call(ops.DECLINE, {"id": one["id"], "r": "属于自治事项"}, c.committee))["declineTask"]
    assert declined["task"]["status"] == "DECLINED"
    assert await gql.code(ops.DECLINE, {"id": one["id"], "r": ""}, c.committee) in {"INVALID_INPUT", "INVALID_STATE"}
    data = await read(gql, "query($c: ID!) { community(code: $c) { openTasks } }", {"c": c.code}, c.committee,
                      declined["receipt"]["position"])
    assert data["community"]["openTasks"] == 1


async def test_off_list_task_is_refused_and_the_refusal_is_on_record(gql: Client) -> None:
    c = await ops.community(gql)
    error = await gql.error(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "招商引资指标",
                                                     "fromDepartment": "区商务局", "dutyItemCode": "XX-99"}},
                            c.department)
    assert error["extensions"]["code"] == "OFF_LIST_TASK"
    position = error["extensions"]["position"]
    assert isinstance(position, int) and position > 0
    log = await gql.call(ops.EVENT_LOG, {"after": position - 1, "first": 1}, c.auditor)
    refused = log["eventLog"][0]
    assert refused["type"] == "TaskDelegationRefused" and refused["position"] == position
    assert refused["data"]["title"] == "招商引资指标" and refused["actor"]["role"] == "DEPARTMENT"
    assert await gql.code(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "无依据",
                                                   "fromDepartment": "区商务局"}}, c.department) == "OFF_LIST_TASK"
    data = await read(gql, "query($s: String!) { burdenReport(scope: $s) { refusedOffList tasksDelegated } }",
                      {"s": c.code}, c.auditor, position + 1)
    assert data["burdenReport"] == {"refusedOffList": 2, "tasksDelegated": 0}


async def test_task_under_service_agreement_and_burden_report(gql: Client) -> None:
    c = await ops.community(gql)
    signed = await ops.sign(gql, c, "1200.5")
    agreement = signed["agreement"]
    assert agreement["fundingYuan"] == "1200.50" and agreement["communityCode"] == c.code
    task = (await ops.delegate(gql, c, None, agreement["id"]))["task"]
    assert task["basis"] == "SERVICE_AGREEMENT" and task["agreementId"] == agreement["id"]
    await ops.delegate(gql, c)
    other = await ops.community(gql, f"{c.district}001002")
    assert await gql.code(ops.DELEGATE, {"input": {"communityCode": other.code, "title": "借用他社区协议",
                                                   "fromDepartment": "区住建局", "agreementId": agreement["id"]}},
                          other.department) == "OFF_LIST_TASK"
    declined = await gql.call(ops.DECLINE, {"id": task["id"], "r": "经费不足"}, c.committee)
    data = await read(gql, "query($s: String!) { burdenReport(scope: $s) { scope tasksDelegated onDutyList"
                           " underAgreement refusedOffList declined agreementFundingYuan } }",
                      {"s": c.district}, c.auditor, declined["declineTask"]["receipt"]["position"])
    assert data["burdenReport"] == {"scope": c.district, "tasksDelegated": 2, "onDutyList": 1, "underAgreement": 1,
                                    "refusedOffList": 1, "declined": 1, "agreementFundingYuan": "1200.50"}


async def test_agreement_input_is_checked(gql: Client) -> None:
    c = await ops.community(gql)
    for funding in ("0", "-1", "12.345", "lots"):
        assert await gql.code(ops.SIGN, {"input": {"communityCode": c.code, "department": "d", "scope": "s",
                                                   "fundingYuan": funding, "validUntil": ops.iso(timedelta(days=1))}},
                              c.department) == "INVALID_INPUT"
    assert await gql.code(ops.SIGN, {"input": {"communityCode": c.code, "department": "d", "scope": "s",
                                               "fundingYuan": "1", "validUntil": "2030-01-01T00:00:00"}},
                          c.department) == "INVALID_INPUT"  # no time zone


async def test_an_expired_agreement_is_recorded_but_carries_no_task(gql: Client) -> None:
    c = await ops.community(gql)
    expired = (await ops.sign(gql, c, days=-1))["agreement"]
    error = await gql.error(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "过期协议的任务",
                                                     "fromDepartment": "区住建局", "agreementId": expired["id"]}},
                            c.department)
    assert error["extensions"]["code"] == "OFF_LIST_TASK" and "expired" in error["message"]


async def test_organizations_registered_filed_and_hub(gql: Client) -> None:
    c = await ops.community(gql)
    hub = (await gql.call(ops.REGISTER_ORG, {"input": {"name": "社会组织服务中心", "category": "COMMUNITY_SERVICE",
                                                       "communityCode": c.code, "status": "REGISTERED"}},
                          c.office))["registerOrganization"]["organization"]
    filed = (await gql.call(ops.REGISTER_ORG, {"input": {"name": "调解室", "category": "MEDIATION",
                                                         "communityCode": c.code, "status": "FILED",
                                                         "hubId": hub["id"]}}, c.committee))["registerOrganization"]
    assert filed["organization"]["hubId"] == hub["id"] and filed["organization"]["status"] == "FILED"
    assert await gql.code(ops.REGISTER_ORG, {"input": {"name": "x", "category": "OTHER", "communityCode": c.code,
                                                       "status": "REGISTERED"}}, c.committee) == "FORBIDDEN"
    data = await read(gql, "query($s: String) { organizations(scope: $s, category: MEDIATION) { totalCount"
                           " edges { node { id name hubId } } } community(code: \"" + c.code + "\") { organizations } }",
                      {"s": c.code}, c.committee, filed["receipt"]["position"])
    assert data["organizations"]["totalCount"] == 1
    assert data["organizations"]["edges"][0]["node"]["id"] == filed["organization"]["id"]
    assert data["community"]["organizations"] == 2


async def test_activity_with_volunteer_hours(gql: Client) -> None:
    c = await ops.community(gql)
    result = (await gql.call(ops.RECORD_ACTIVITY, {"input": {
        "communityCode": c.code, "title": "垃圾分类宣传", "heldAt": ops.iso(), "participants": 40,
        "volunteerHours": [{"volunteerId": "v1", "hours": 2.5}, {"volunteerId": "v2", "hours": 1}]}},
        c.committee))["recordActivity"]
    assert result["activity"]["volunteerHours"] == 3.5 and result["activity"]["participants"] == 40
    assert await gql.code(ops.RECORD_ACTIVITY, {"input": {"communityCode": c.code, "title": "x", "heldAt": ops.iso(),
                                                          "participants": -1}}, c.committee) == "INVALID_INPUT"
    assert await gql.code(ops.RECORD_ACTIVITY, {"input": {
        "communityCode": c.code, "title": "x", "heldAt": ops.iso(), "participants": 1,
        "volunteerHours": [{"volunteerId": "v1", "hours": -2}]}}, c.committee) == "INVALID_INPUT"
    data = await read(gql, "query($s: String) { activities(scope: $s) { totalCount edges { node { id title"
                           " volunteerHours participants } } } }", {"s": c.code}, c.committee,
                      result["receipt"]["position"])
    assert data["activities"]["edges"][0]["node"] == {"id": result["activity"]["id"], "title": "垃圾分类宣传",
                                                      "volunteerHours": 3.5, "participants": 40}


async def test_evaluation_campaign_results_and_rules(gql: Client) -> None:
    c = await ops.community(gql)
    campaign = (await gql.call(ops.OPEN_CAMPAIGN, {"input": {
        "communityCode": c.code, "title": "年度民主评议", "closesAt": ops.iso(timedelta(seconds=5)),
        "targets": [{"id": "office", "name": "街道办", "kind": "GOVERNMENT_DEPARTMENT"},
                    {"id": "water", "name": "供水", "kind": "MUNICIPAL_SERVICE"}]}},
        c.committee))["openEvaluationCampaign"]["campaign"]
    last = 0
    for n, satisfaction in enumerate(["SATISFIED", "BASICALLY_SATISFIED", "DISSATISFIED", "SATISFIED"]):
        receipt = (await gql.call(ops.CAST, {"input": {"campaignId": campaign["id"], "targetId": "office",
                                                       "satisfaction": satisfaction}},
                                  c.resident(f"r{n}")))["castEvaluation"]
        assert receipt["version"] == 1
        last = receipt["position"]
    assert await gql.code(ops.CAST, {"input": {"campaignId": campaign["id"], "targetId": "office",
                                               "satisfaction": "SATISFIED"}}, c.resident("r0")) == "DUPLICATE_EVALUATION"
    assert await gql.code(ops.CAST, {"input": {"campaignId": campaign["id"], "targetId": "nobody",
                                               "satisfaction": "SATISFIED"}}, c.resident("r0")) == "INVALID_INPUT"
    outsider = token(Role.RESIDENT, f"{c.district}001009", "r-out")
    assert await gql.code(ops.CAST, {"input": {"campaignId": campaign["id"], "targetId": "office",
                                               "satisfaction": "SATISFIED"}}, outsider) == "FORBIDDEN"
    await ops.ballots_released(gql, c, campaign["id"], 4)  # P26: secret ballots, released at the close (5 s)
    data = await read(gql, "query($id: ID!) { evaluationResults(campaignId: $id) { target { id name kind }"
                           " satisfied basicallySatisfied dissatisfied total satisfactionRate } }",
                      {"id": campaign["id"]}, c.resident("r0"), last)
    office, water = data["evaluationResults"]
    assert office == {"target": {"id": "office", "name": "街道办", "kind": "GOVERNMENT_DEPARTMENT"}, "satisfied": 2,
                      "basicallySatisfied": 1, "dissatisfied": 1, "total": 4, "satisfactionRate": 0.75}
    assert water["total"] == 0 and water["satisfactionRate"] == 0


async def test_campaign_closed(gql: Client) -> None:
    c = await ops.community(gql)
    campaign = (await gql.call(ops.OPEN_CAMPAIGN, {"input": {
        "communityCode": c.code, "title": "已结束的评议", "closesAt": ops.iso(timedelta(seconds=-1)),
        "targets": [{"id": "t", "name": "物业", "kind": "RESIDENT_UNIT"}]}}, c.committee))
    assert await gql.code(ops.CAST, {"input": {"campaignId": campaign["openEvaluationCampaign"]["campaign"]["id"],
                                               "targetId": "t", "satisfaction": "SATISFIED"}},
                          c.resident("late")) == "CAMPAIGN_CLOSED"


async def test_pagination_walks_every_task_once(gql: Client) -> None:
    c = await ops.community(gql)
    delegated = [await ops.delegate(gql, c) for _ in range(5)]
    ids = [d["task"]["id"] for d in delegated]
    last = str(delegated[-1]["receipt"]["position"])
    seen, after = [], None
    query = ("query($s: String, $a: String) { tasks(scope: $s, first: 2, after: $a) { totalCount"
             " edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }")
    while True:
        page = (await gql.call(query, {"s": c.code, "a": after}, c.committee,
                               headers={"X-Consistent-After": last}))["tasks"]
        assert page["totalCount"] == 5
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    assert await gql.code("{ tasks(first: 100000) { totalCount } }", tok=c.committee) == "INVALID_INPUT"
    assert await gql.code('{ tasks(after: "garbage!") { totalCount } }', tok=c.committee) == "INVALID_INPUT"


async def test_communities_connection_in_scope(gql: Client) -> None:
    d = district()
    for n in (1, 2, 3):
        await ops.community(gql, f"{d}001{n:03d}")
    last = await ops.community(gql, f"{d}002001")
    position = (await gql.call(ops.HISTORY, {"id": last.code}, last.auditor))["history"][-1]["position"]
    office = token(Role.STREET_OFFICE, f"{d}001")
    data = await gql.call("{ communities { totalCount edges { node { code } } } }", tok=office,
                          headers={"X-Consistent-After": str(position)})
    assert [e["node"]["code"] for e in data["communities"]["edges"]] == [f"{d}001001", f"{d}001002", f"{d}001003"]
    assert await gql.code('query($s: String) { communities(scope: $s) { totalCount } }', {"s": d}, office) == "FORBIDDEN"


async def test_unknown_entities_and_bad_ids(gql: Client) -> None:
    c = await ops.community(gql)
    assert await gql.code(ops.ACCEPT, {"id": "not-a-uuid"}, c.committee) == "INVALID_INPUT"
    assert await gql.code(ops.ACCEPT, {"id": "00000000-0000-0000-0000-000000000000"}, c.committee) == "NOT_FOUND"
    assert await gql.code(ops.DELEGATE, {"input": {"communityCode": f"{c.district}009009", "title": "t",
                                                   "fromDepartment": "d", "dutyItemCode": "AG-01"}},
                          c.department) == "NOT_FOUND"
    assert await gql.code(ops.DELEGATE, {"input": {"communityCode": "12", "title": "t", "fromDepartment": "d"}},
                          c.department) == "INVALID_INPUT"


async def test_errors_are_coded_and_never_500(gql: Client) -> None:
    assert await gql.code("{ me { id } }") == "UNAUTHENTICATED"
    assert await gql.code("{ me { id } }", tok="not.a.jwt") == "UNAUTHENTICATED"
    for document in ("{ me { id ", "{ me { id ", "{ nope }", "{ nope }"):  # twice: parse and validation are cached
        response = await gql.raw(document)
        assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    response = await gql.http.post(gql.url, content=b"{not json", headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    response = await gql.raw("{ me { id } }", headers={"X-Consistent-After": "soon"})
    assert response.status_code == 400
    many = "{ " + " ".join(f"a{n}: me {{ id }}" for n in range(40)) + " }"
    response = await gql.raw(many, tok=token(Role.ADMIN, ""))
    assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_read_your_writes_header(gql: Client) -> None:
    c = await ops.community(gql)
    position = (await ops.delegate(gql, c))["receipt"]["position"]
    response = await gql.raw("query($s: String) { tasks(scope: $s) { totalCount } }", {"s": c.code}, c.committee,
                             headers={"X-Consistent-After": str(position)})
    assert int(response.headers["x-consistent-position"]) >= position
    assert response.json()["data"]["tasks"]["totalCount"] == 1


async def test_health_and_readiness(server) -> None:
    import httpx
    async with httpx.AsyncClient() as http:
        base = server.url.removesuffix("/graphql")
        assert (await http.get(base + "/healthz")).json() == {"status": "ok"}
        ready = (await http.get(base + "/readyz")).json()
        assert ready["database"] == "ok" and ready["lag"] >= 0


async def test_a_malformed_delegation_is_not_recorded_as_a_refusal(gql: Client) -> None:
    c = await ops.community(gql)
    assert await gql.code(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "  ", "fromDepartment": "d"}},
                          c.department) == "INVALID_INPUT"
    history = (await gql.call(ops.EVENT_LOG, {"first": 1000, "types": ["TaskDelegationRefused"]}, c.auditor))
    assert history["eventLog"] == []  # a fresh district: nothing refused, nothing recorded
