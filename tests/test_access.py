"""Who may do what, role by role, through the API (the table is backend/domain/access.py)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from backend.domain.access import PERMISSIONS, Action, Role
from tests import ops
from tests.harness import Client, connect, district, token

LOG_QUERY = "{ eventLog(first: 1) { position } }"


def forbidden_or_not(code: str | None) -> bool:
    return code == "FORBIDDEN"


async def attempt(gql: Client, query: str, variables: dict, tok: str) -> str | None:
    response = await gql.raw(query, variables, tok)
    assert response.status_code < 500
    errors = response.json().get("errors")
    return errors[0]["extensions"]["code"] if errors else None


@pytest.fixture(scope="module")
async def place(gql: Client) -> dict:
    c = await ops.community(gql)
    delegated = await ops.delegate(gql, c)
    task = delegated["task"]
    campaign = (await gql.call(ops.OPEN_CAMPAIGN, {"input": {
        "communityCode": c.code, "title": "评议", "closesAt": ops.iso(timedelta(days=1)),
        "targets": [{"id": f"t{n}", "name": "x", "kind": "RESIDENT_UNIT"} for n in range(len(Role))]}},
        c.committee))["openEvaluationCampaign"]["campaign"]
    agreement = (await ops.sign(gql, c, funding="100.00"))["agreement"]
    post = (await gql.call(ops.DEFINE_POST, {"input": {"communityCode": c.code, "title": "社区专职工作者",
                                                       "duties": ["居民事务受理"], "procedures": []}},
                           c.committee))["definePost"]["post"]
    staffed = await gql.call(ops.APPOINT_STAFF, {"input": {"postId": post["id"], "personId": "staff-1", "name": "王芳",
                                                           "phone": "13800000000"}}, c.committee)
    return {"c": c, "task": task, "campaign": campaign, "position": staffed["appointStaff"]["receipt"]["position"],
            "agreement": agreement, "post": post}


#: What an allowed role's attempt answers when the action's rule refuses it by its nature (P7: always).
REFUSED_BY_RULE = {Action.IMPOSE_TARGET_CONTRACT: "TARGET_CONTRACT_ABOLISHED"}


def mutations(place: dict, n: int) -> dict[Action, tuple[str, dict]]:
    c = place["c"]
    code = f"{c.street}{n + 100:03d}"
    return {
        Action.REGISTER_COMMUNITY: (ops.REGISTER, {"input": {"code": code, "name": "n", "kind": "URBAN"}}),
        Action.PUBLISH_DUTY_LIST: (ops.PUBLISH, {"input": {"communityCode": c.code, "items": [
            {"code": "SG-01", "title": "居民会议", "list": "SELF_GOVERNANCE"},
            {"code": "AG-01", "title": "协助人口普查", "list": "ASSIST_GOVERNMENT"}]}}),
        Action.SIGN_SERVICE_AGREEMENT: (ops.SIGN, {"input": {"communityCode": c.code, "department": "d", "scope": "s",
                                                             "fundingYuan": "1", "validUntil": ops.iso(timedelta(days=9))}}),
        Action.DELEGATE_TASK: (ops.DELEGATE, {"input": {"communityCode": c.code, "title": "t", "fromDepartment": "d",
                                                        "dutyItemCode": "AG-01"}}),
        Action.REGISTER_ORGANIZATION: (ops.REGISTER_ORG, {"input": {"name": "o", "category": "OTHER",
                                                                    "communityCode": c.code, "status": "REGISTERED"}}),
        Action.FILE_ORGANIZATION: (ops.REGISTER_ORG, {"input": {"name": "o", "category": "OTHER",
                                                                "communityCode": c.code, "status": "FILED"}}),
        Action.RECORD_ACTIVITY: (ops.RECORD_ACTIVITY, {"input": {"communityCode": c.code, "title": "a",
                                                                 "heldAt": ops.iso(), "participants": 1}}),
        Action.OPEN_EVALUATION_CAMPAIGN: (ops.OPEN_CAMPAIGN, {"input": {
            "communityCode": c.code, "title": "x", "closesAt": ops.iso(timedelta(days=1)),
            "targets": [{"id": "t", "name": "x", "kind": "RESIDENT_UNIT"}]}}),
        Action.CAST_EVALUATION: (ops.CAST, {"input": {"campaignId": place["campaign"]["id"], "targetId": f"t{n}",
                                                      "satisfaction": "SATISFIED"}}),
        Action.DECIDE_TASK: (ops.ACCEPT, {"id": place["task"]["id"]}),
        Action.RECORD_DISBURSEMENT: (ops.DISBURSE, {"input": {"agreementId": place["agreement"]["id"],
                                                              "amountYuan": "1.00"}}),
        Action.ESTABLISH_WORK_BODY: (ops.ESTABLISH_WORK_BODY, {"input": {"communityCode": c.code, "name": f"b{n}",
                                                                         "kind": "COMMITTEE_SUBCOMMITTEE"}}),
        Action.HANG_SIGNBOARD: (ops.HANG_SIGNBOARD, {"input": {"communityCode": c.code, "kind": "COMMUNITY_EMBLEM",
                                                               "text": "中国社区"}}),
        Action.IMPOSE_TARGET_CONTRACT: (ops.IMPOSE_TARGET_CONTRACT, {"input": {"communityCode": c.code,
                                                                               "title": "年度目标责任书"}}),
        Action.SET_INSPECTION_CAP: (ops.SET_INSPECTION_CAP, {"scope": c.street, "max": 50}),
        Action.RECORD_INSPECTION: (ops.RECORD_INSPECTION, {"input": {
            "communityCode": c.code, "inspectingBody": "区卫健委", "subject": "s", "date": ops.iso()}}),
        Action.RECORD_LEDGER_DEMAND: (ops.RECORD_LEDGER_DEMAND, {"input": {
            "communityCode": c.code, "department": "区民政局", "ledger": "l", "demandedAt": ops.iso()}}),
        Action.USE_SEAL: (ops.USE_SEAL, {"input": {"communityCode": c.code, "purpose": "居民会议决定",
                                                   "kind": "SELF_GOVERNANCE", "document": "d"}}),
        Action.DEFINE_POST: (ops.DEFINE_POST, {"input": {"communityCode": c.code, "title": "t", "duties": ["d"],
                                                         "procedures": []}}),
        Action.READ_STAFF: (ops.POSTS, {"c": c.code}),
        Action.ERASE_SUBJECT: (ops.ERASE_SUBJECT, {"input": {"subjectId": f"nobody-{c.code}-{n}",
                                                             "legalBasis": "《个人信息保护法》第四十七条"}}),
        Action.READ_LOG: (LOG_QUERY, {}),
        Action.READ_MODELS: ("query($c: ID!) { community(code: $c) { code } }", {"c": c.code}),
    }


@pytest.mark.parametrize("n, role", list(enumerate(Role)))
async def test_each_role_may_do_exactly_what_the_table_says(gql: Client, place: dict, n: int, role: Role) -> None:
    c = place["c"]
    tok = token(role, c.street if role is Role.STREET_OFFICE else c.district if role not in (
        Role.COMMITTEE, Role.RESIDENT, Role.PARTY_COMMITTEE, Role.SOCIAL_ORGANIZATION) else c.code)
    for action, (query, variables) in mutations(place, n).items():
        allowed = role in PERMISSIONS[action]
        if action is Action.READ_STAFF:  # P11: not refused; names and phones are null for the others
            response = await gql.raw(query, variables, tok, {"X-Consistent-After": str(place["position"])})
            staff = response.json()["data"]["posts"][0]["staff"][0]
            assert (staff["name"] is not None, staff["phone"] is not None) == (allowed, allowed), role
            continue
        # PIPL art. 47: an erasure is the whole province's act (the ADMIN's token has the province's scope)
        code = await attempt(gql, query, variables, token(role, "") if action is Action.ERASE_SUBJECT else tok)
        if allowed and code == REFUSED_BY_RULE.get(action):
            code = None
        assert (code != "FORBIDDEN") == allowed, f"{role.value} {action.value}: {code}"
        assert code is None or not allowed, f"{role.value} {action.value} failed with {code}"


async def test_committee_decides_its_own_tasks_only(gql: Client, place: dict) -> None:
    c = place["c"]
    other_committee = token(Role.COMMITTEE, f"{c.district}001002")
    assert await gql.code(ops.ACCEPT, {"id": place["task"]["id"]}, other_committee) == "FORBIDDEN"
    for role in (Role.STREET_OFFICE, Role.DEPARTMENT, Role.ADMIN, Role.RESIDENT):
        assert await gql.code(ops.ACCEPT, {"id": place["task"]["id"]}, token(role, "")) == "FORBIDDEN"


async def test_scope_outside_is_forbidden(gql: Client, place: dict) -> None:
    c = place["c"]
    elsewhere = district()
    office = token(Role.STREET_OFFICE, f"{elsewhere}001")
    assert await gql.code(ops.DELEGATE, {"input": {"communityCode": c.code, "title": "t", "fromDepartment": "d",
                                                   "dutyItemCode": "AG-01"}}, token(Role.DEPARTMENT, elsewhere)) == "FORBIDDEN"
    assert await gql.code("query($c: ID!) { community(code: $c) { code } }", {"c": c.code}, office) == "FORBIDDEN"
    assert await gql.code("query($s: String!) { burdenReport(scope: $s) { declined } }", {"s": c.district},
                          office) == "FORBIDDEN"
    auditor = token(Role.AUDITOR, elsewhere)
    assert await gql.code(ops.HISTORY, {"id": place["task"]["id"]}, auditor) == "FORBIDDEN"


async def test_residents_never_read_the_raw_log(gql: Client, place: dict) -> None:
    c = place["c"]
    resident = c.resident("someone")
    assert await gql.code(ops.HISTORY, {"id": place["task"]["id"]}, resident) == "FORBIDDEN"
    assert await gql.code(LOG_QUERY, {}, resident) == "FORBIDDEN"
    assert await gql.code('query($id: ID!) { entityAsOf(entityId: $id, asOf: "2030-01-01T00:00:00Z") }',
                          {"id": place["task"]["id"]}, resident) == "FORBIDDEN"
    data = await gql.call("query($s: String) { tasks(scope: $s) { totalCount } }", {"s": c.code}, resident,
                          headers={"X-Consistent-After": str(place["position"])})
    assert data["tasks"]["totalCount"] >= 1


async def test_expired_and_forged_tokens(gql: Client) -> None:
    from backend.api.auth import issue
    from tests.harness import SECRET
    expired = issue(SECRET, "x", Role.ADMIN, "", ttl_s=-10)
    forged = issue("another-secret-" + "y" * 40, "x", Role.ADMIN, "")
    for tok in (expired, forged):
        assert await gql.code("{ me { id } }", tok=tok) == "UNAUTHENTICATED"


async def test_a_token_that_expires_after_use_is_refused_then(gql: Client) -> None:
    """Verified tokens are remembered (backend/api/auth.py), but never past their expiry."""
    from backend.api.auth import issue
    from tests.harness import SECRET
    brief = issue(SECRET, "brief", Role.ADMIN, "", ttl_s=2)
    assert (await gql.call("{ me { id } }", tok=brief))["me"]["id"] == "brief"
    await asyncio.sleep(2.2)
    assert await gql.code("{ me { id } }", tok=brief) == "UNAUTHENTICATED"


def scope_of(role: Role, code: str) -> str:
    """The scope a token of `role` has for community `code`: its community, street or district."""
    if role in (Role.COMMITTEE, Role.RESIDENT, Role.PARTY_COMMITTEE, Role.SOCIAL_ORGANIZATION):
        return code
    return code[:9] if role is Role.STREET_OFFICE else code[:6]


@pytest.mark.parametrize("action", [a for a in PERMISSIONS if a not in (Action.READ_STAFF, Action.READ_LOG,
                                                                         Action.REGISTER_COMMUNITY)])
async def test_every_action_is_forbidden_outside_the_tokens_scope(gql: Client, place: dict, action: Action,
                                                                 direct_url: str) -> None:
    """Scope by scope: each role the table allows, with a token of another district, street or community (the same
    kind of scope, elsewhere), is FORBIDDEN, and nothing is appended."""
    query, variables = mutations(place, 40)[action]
    elsewhere = f"{district()}001001"
    conn = await connect(direct_url)
    try:
        for role in sorted(PERMISSIONS[action] - {Role.ADMIN}, key=lambda r: r.value):
            before = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM gongzhi_events")
            code = await attempt(gql, query, variables, token(role, scope_of(role, elsewhere)))
            assert code == "FORBIDDEN", f"{role.value} {action.value}: {code}"
            assert await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM gongzhi_events") == before
    finally:
        await conn.close()
    assert await attempt(gql, ops.HISTORY, {"id": place["task"]["id"]},
                         token(Role.AUDITOR, elsewhere[:6])) == "FORBIDDEN"
