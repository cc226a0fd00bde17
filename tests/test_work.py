"""P11 (社区工作规则): posts with their duties and service procedures, staff appointed to them, appraisals with
rewards and sanctions; a person's name and phone shown only to the community's committee and street office and to
the person themself, in the read model and in the raw log. Through real HTTP against a real server."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.domain.access import PERMISSIONS, Action, Role
from tests import ops
from tests.harness import Client, Subscription, district, token

POST = {"title": "综合服务岗", "duties": ["受理居民诉求", "协助开展人口普查"],
        "procedures": ["登记→办理→回访", "限时办结：3个工作日"]}
NAME, PHONE = "王小红", "139 1234 5678"


def role_token(c: ops.Community, role: Role, actor: str | None = None) -> str:
    scope = {Role.STREET_OFFICE: c.street, Role.DEPARTMENT: c.district, Role.AUDITOR: c.district,
             Role.INTEGRATOR: c.district, Role.ADMIN: ""}.get(role, c.code)
    return token(role, scope, actor or f"{role.value.lower()}-{c.code}")


def after(position: int) -> dict[str, str]:
    return {"X-Consistent-After": str(position)}


async def staffed(gql: Client, c: ops.Community, person: str = "person-1") -> tuple[dict, dict]:
    post = (await gql.call(ops.DEFINE_POST, {"input": {"communityCode": c.code, **POST}}, c.committee))["definePost"]
    staff = (await gql.call(ops.APPOINT_STAFF, {"input": {"postId": post["post"]["id"], "personId": person,
                                                          "name": NAME, "phone": PHONE}}, c.office))["appointStaff"]
    return post, staff


async def test_P11_define_post_appoint_staff_and_appraise(gql: Client) -> None:
    c = await ops.community(gql)
    post, staff = await staffed(gql, c)
    assert post["post"]["duties"] == POST["duties"] and post["post"]["procedures"] == POST["procedures"]
    assert post["receipt"]["entityId"] == post["post"]["id"] and post["post"]["staff"] == []
    member = staff["staff"]
    assert (member["postId"], member["personId"], member["name"], member["phone"]) == (
        post["post"]["id"], "person-1", NAME, PHONE)
    appraisal = (await gql.call(ops.RECORD_APPRAISAL, {"input": {
        "staffId": member["id"], "period": "2026年度", "result": "EXCELLENT", "reward": "通报表扬"}},
        c.committee))["recordAppraisal"]
    assert appraisal["appraisal"] == {**appraisal["appraisal"], "staffId": member["id"], "period": "2026年度",
                                      "result": "EXCELLENT", "reward": "通报表扬", "sanction": None}
    assert appraisal["receipt"]["entityId"] == member["id"] and appraisal["receipt"]["version"] == 2
    second = (await gql.call(ops.RECORD_APPRAISAL, {"input": {
        "staffId": member["id"], "period": "2027年度", "result": "INCOMPETENT", "sanction": "诫勉谈话"}},
        c.office))["recordAppraisal"]
    # one appraisal per period
    assert await gql.code(ops.RECORD_APPRAISAL, {"input": {"staffId": member["id"], "period": "2026年度",
                                                           "result": "COMPETENT"}}, c.committee) == "ALREADY_EXISTS"
    posts = (await gql.call(ops.POSTS, {"c": c.code}, c.committee, after(second["receipt"]["position"])))["posts"]
    assert [p["title"] for p in posts] == [POST["title"]]
    [listed] = posts[0]["staff"]
    assert (listed["id"], listed["name"], listed["phone"]) == (member["id"], NAME, PHONE)
    assert [(a["period"], a["result"], a["reward"], a["sanction"]) for a in listed["appraisals"]] == [
        ("2026年度", "EXCELLENT", "通报表扬", None), ("2027年度", "INCOMPETENT", None, "诫勉谈话")]
    history = (await gql.call(ops.HISTORY, {"id": member["id"]}, c.office))["history"]
    assert [e["type"] for e in history] == ["StaffAppointed", "AppraisalRecorded", "AppraisalRecorded"]


async def test_P11_roles_and_scope(gql: Client) -> None:
    """definePost, appointStaff and recordAppraisal: the roles of the table's row, in scope; every other role and a
    token of another scope FORBIDDEN, with nothing recorded."""
    c = await ops.community(gql)
    allowed = PERMISSIONS[Action.DEFINE_POST]
    post, staff = await staffed(gql, c)
    defined = 1
    for n, role in enumerate(Role):
        tok = role_token(c, role)
        response = await gql.raw(ops.DEFINE_POST, {"input": {"communityCode": c.code, **POST}}, tok)
        codes = [(response.json().get("errors") or [{"extensions": {"code": None}}])[0]["extensions"]["code"]]
        for query, variables in (
                (ops.APPOINT_STAFF, {"input": {"postId": post["post"]["id"], "personId": f"p{n}", "name": "李",
                                               "phone": "021-12345678"}}),
                (ops.RECORD_APPRAISAL, {"input": {"staffId": staff["staff"]["id"], "period": f"P{n}",
                                                  "result": "COMPETENT"}})):
            body = (await gql.raw(query, variables, tok)).json()
            codes.append(body["errors"][0]["extensions"]["code"] if body.get("errors") else None)
        assert codes == ([None] * 3 if role in allowed else ["FORBIDDEN"] * 3), (role, codes)
        defined += role in allowed
    other = ops.Community(f"{district()}001001")
    for tok in (other.committee, other.office):
        assert await gql.code(ops.DEFINE_POST, {"input": {"communityCode": c.code, **POST}}, tok) == "FORBIDDEN"
        assert await gql.code(ops.RECORD_APPRAISAL, {"input": {"staffId": staff["staff"]["id"], "period": "x",
                                                               "result": "COMPETENT"}}, tok) == "FORBIDDEN"
    last = (await gql.call(ops.DEFINE_POST, {"input": {"communityCode": c.code, **POST}}, c.committee))
    posts = (await gql.call(ops.POSTS, {"c": c.code}, c.committee, after(last["definePost"]["receipt"]["position"])))
    assert len(posts["posts"]) == defined + 1
    assert len(posts["posts"][0]["staff"]) == 1 + len(allowed)
    assert len(posts["posts"][0]["staff"][0]["appraisals"]) == len(allowed)
    assert await gql.code(ops.POSTS, {"c": c.code}, other.committee) == "FORBIDDEN"


async def test_P11_inputs_are_bounded(gql: Client) -> None:
    c = await ops.community(gql)
    post, staff = await staffed(gql, c)
    for change in ({"duties": []}, {"duties": ["x"] * 101}, {"procedures": ["x" * 1001]}, {"title": " "},
                   {"title": "x" * 201}):
        assert await gql.code(ops.DEFINE_POST, {"input": {"communityCode": c.code, **POST, **change}},
                              c.committee) == "INVALID_INPUT", change
    appoint = {"postId": post["post"]["id"], "personId": "p-9", "name": NAME, "phone": PHONE}
    for change in ({"phone": "not a phone"}, {"phone": "1" * 40}, {"name": ""}, {"personId": "张三"},
                   {"postId": "nope"}):
        assert await gql.code(ops.APPOINT_STAFF, {"input": {**appoint, **change}}, c.committee) == "INVALID_INPUT"
    assert await gql.code(ops.APPOINT_STAFF, {"input": {**appoint, "postId": staff["staff"]["id"]}},
                          c.committee) == "NOT_FOUND"
    appraise = {"staffId": staff["staff"]["id"], "period": "2026", "result": "COMPETENT"}
    for change in ({"period": "x" * 41}, {"reward": "x" * 501}, {"staffId": post["post"]["id"]}):
        code = await gql.code(ops.RECORD_APPRAISAL, {"input": {**appraise, **change}}, c.committee)
        assert code == ("NOT_FOUND" if "staffId" in change else "INVALID_INPUT"), change
    assert await gql.code(ops.RECORD_APPRAISAL, {"input": {**appraise, "result": "PERFECT"}},
                          c.committee) == "INVALID_INPUT"


async def test_P11_names_and_phones_only_for_the_committee_the_street_office_and_the_person(gql: Client) -> None:
    c = await ops.community(gql)
    _, staff = await staffed(gql, c, person="person-7")
    member, position = staff["staff"], staff["receipt"]["position"]
    seen = {"committee": c.committee, "office": c.office, "person": c.resident("person-7")}
    unseen = {"department": c.department, "auditor": c.auditor, "resident": c.resident("someone-else"),
              "integrator": role_token(c, Role.INTEGRATOR), "admin": role_token(c, Role.ADMIN),
              "party": role_token(c, Role.PARTY_COMMITTEE),
              "other street": token(Role.STREET_OFFICE, f"{c.district}999", "office-elsewhere"),
              "the district's office": token(Role.STREET_OFFICE, c.district, "office-district")}
    for who, tok in {**seen, **unseen}.items():
        data = await gql.raw(ops.POSTS, {"c": c.code}, tok, after(position))
        body = data.json()
        if who in ("other street",):
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            continue
        [listed] = body["data"]["posts"][0]["staff"]
        expected = (NAME, PHONE) if who in seen or who == "the district's office" else (None, None)
        assert (listed["name"], listed["phone"]) == expected, who
        assert listed["personId"] == "person-7"

    # the raw log: history, eventLog and entityAsOf hide them from every reader that may not see them
    raw = {"office": c.office, "the district's office": token(Role.STREET_OFFICE, c.district, "office-district"),
           "department": c.department, "auditor": c.auditor, "integrator": role_token(c, Role.INTEGRATOR),
           "admin": role_token(c, Role.ADMIN)}
    sees = {"office", "the district's office"}
    start = position - 1
    for who, tok in raw.items():
        [appointed] = (await gql.call(ops.HISTORY, {"id": member["id"]}, tok))["history"]
        logged = (await gql.call(ops.EVENT_LOG, {"after": start, "first": 1, "types": ["StaffAppointed"]},
                                 tok))["eventLog"]
        for event in (appointed, *logged):
            data = event["data"]
            assert (data["name"], data["phone"]) == ((NAME, PHONE) if who in sees else (None, None)), who
            assert data["personId"] == "person-7"
        state = (await gql.call("query($id: ID!, $at: DateTime!) { entityAsOf(entityId: $id, asOf: $at) }",
                                {"id": member["id"], "at": (datetime.now(UTC) + timedelta(minutes=1)).isoformat()},
                                tok))["entityAsOf"]
        assert state["personId"] == "person-7" and "name" not in state and "phone" not in state


async def test_P11_the_events_subscription_hides_names_and_phones_too(gql: Client) -> None:
    c = await ops.community(gql)
    _, staff = await staffed(gql, c, person="person-8")
    position = staff["receipt"]["position"]
    query = ("subscription($after: Position) { events(after: $after, types: [\"StaffAppointed\"]) "
             "{ position type data } }")
    for tok, expected in ((c.office, (NAME, PHONE)), (c.department, (None, None)), (c.auditor, (None, None))):
        async with Subscription(gql.url, query, {"after": position - 1}, tok) as sub:
            message = await sub.next()
            assert message["type"] == "next", message
            event = message["payload"]["data"]["events"]
            assert event["position"] == position
            assert (event["data"]["name"], event["data"]["phone"]) == expected
            assert event["data"]["personId"] == "person-8"
