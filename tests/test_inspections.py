"""P8 (精简检查): inspections recorded, the cap a district or street sets, the alert above it, the count under
concurrent records; P9 (精简台账): paper-ledger demands recorded. Through real HTTP against a real server."""
from __future__ import annotations

import asyncio

from backend.api.auth import issue
from backend.domain.access import PERMISSIONS, Action, Role
from tests import ops
from tests.harness import SECRET, Client, district, token

OTHER_ROLES_SCOPE = {Role.RESIDENT: "code", Role.COMMITTEE: "code", Role.PARTY_COMMITTEE: "code",
                     Role.SOCIAL_ORGANIZATION: "code", Role.STREET_OFFICE: "street", Role.DEPARTMENT: "district",
                     Role.AUDITOR: "district", Role.INTEGRATOR: "district", Role.ADMIN: "none"}


def role_token(c: ops.Community, role: Role) -> str:
    scope = {"code": c.code, "street": c.street, "district": c.district, "none": ""}[OTHER_ROLES_SCOPE[role]]
    return token(role, scope, f"{role.value.lower()}-{c.code}")


def after(position: int) -> dict[str, str]:
    return {"X-Consistent-After": str(position)}


async def counts(gql: Client, c: ops.Community, position: int, quarter: str = "2026Q3") -> dict:
    data = await gql.call(ops.INSPECTION_COUNTS, {"scope": c.code, "quarter": quarter}, c.auditor, after(position))
    edges = data["inspectionCounts"]["edges"]
    assert len(edges) <= 1
    return edges[0]["node"] if edges else {}


async def test_P8_record_inspection_roles_and_scope(gql: Client) -> None:
    """Each role the table allows records an inspection; every other role, and a token of another scope, is
    FORBIDDEN and nothing is recorded."""
    c = await ops.community(gql)
    allowed = PERMISSIONS[Action.RECORD_INSPECTION]
    recorded = 0
    for role in Role:
        response = await gql.raw(ops.RECORD_INSPECTION, {"input": {
            "communityCode": c.code, "inspectingBody": "区消防大队", "subject": "消防检查",
            "date": "2026-07-02T09:00:00+08:00", "materialsRequested": []}}, role_token(c, role))
        body = response.json()
        if role in allowed:
            assert not body.get("errors"), (role, body)
            recorded += 1
            assert body["data"]["recordInspection"]["inspection"]["ordinal"] == recorded
        else:
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, body)
    other = ops.Community(f"{district()}001001")
    for tok in (other.department, other.office, other.committee):
        assert await gql.code(ops.RECORD_INSPECTION, {"input": {
            "communityCode": c.code, "inspectingBody": "x", "subject": "y", "date": "2026-07-02T09:00:00+08:00"}},
            tok) == "FORBIDDEN"
    last = (await ops.inspect(gql, c))["receipt"]["position"]
    assert (await counts(gql, c, last))["inspections"] == recorded + 1


async def test_P8_set_inspection_cap_roles_and_scope(gql: Client) -> None:
    c = await ops.community(gql)
    allowed = PERMISSIONS[Action.SET_INSPECTION_CAP]
    for role in Role:
        response = await gql.raw(ops.SET_INSPECTION_CAP, {"scope": c.street, "max": 5}, role_token(c, role))
        body = response.json()
        if role in allowed:
            cap = body["data"]["setInspectionCap"]["cap"]
            assert (cap["scope"], cap["maxPerQuarter"]) == (c.street, 5), (role, body)
        else:
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, body)
    # a street office may not set its district's cap, nor another street's
    assert await gql.code(ops.SET_INSPECTION_CAP, {"scope": c.district, "max": 1}, c.office) == "FORBIDDEN"
    assert await gql.code(ops.SET_INSPECTION_CAP, {"scope": f"{c.district}999", "max": 1}, c.office) == "FORBIDDEN"
    # a cap is a district's (6 digits) or a street's (9); at most 1,000
    for scope, cap in ((c.code, 1), (c.district[:4], 1), (c.street, 1001), (c.street, -1)):
        assert await gql.code(ops.SET_INSPECTION_CAP, {"scope": scope, "max": cap}, c.department) == "INVALID_INPUT"
    history = await gql.call(ops.HISTORY, {"id": (await gql.call(ops.SET_INSPECTION_CAP, {
        "scope": c.street, "max": 2}, c.office))["setInspectionCap"]["receipt"]["entityId"]}, c.auditor)
    assert history["history"][0]["type"] == "InspectionCapSet"
    assert {e["type"] for e in history["history"][1:]} == {"InspectionCapChanged"}
    assert history["history"][-1]["data"]["maxPerQuarter"] == 2


async def test_P8_inspection_over_the_cap_is_recorded_and_alerts(gql: Client) -> None:
    c = await ops.community(gql)
    await gql.call(ops.SET_INSPECTION_CAP, {"scope": c.street, "max": 2}, c.office)
    first = await ops.inspect(gql, c, body="区卫健委")
    second = await ops.inspect(gql, c, body="区市场监管局", tok=c.committee)
    for n, result in enumerate((first, second), 1):
        inspection = result["inspection"]
        assert (inspection["ordinal"], inspection["cap"], inspection["capScope"], inspection["exceeded"]) == (
            n, 2, c.street, False)
    third = await ops.inspect(gql, c, body="区卫健委", materials=["台账", "照片"])
    inspection = third["inspection"]
    assert (inspection["ordinal"], inspection["exceeded"], inspection["quarter"]) == (3, True, "2026Q3")
    assert inspection["materialsRequested"] == ["台账", "照片"]
    assert third["receipt"]["entityId"] == inspection["tallyId"] == first["receipt"]["entityId"]

    # in the log: the third inspection and its alert in one commit, on the quarter's stream
    history = (await gql.call(ops.HISTORY, {"id": inspection["tallyId"]}, c.auditor))["history"]
    types = [e["type"] for e in history]
    assert types == ["InspectionQuarterOpened", "InspectionRecorded", "InspectionRecorded", "InspectionRecorded",
                     "InspectionCapExceeded"]
    alert = history[-1]
    assert alert["position"] == third["receipt"]["position"] == history[-2]["position"] + 1
    assert alert["data"]["inspectionId"] == inspection["id"]
    assert (alert["data"]["inspections"], alert["data"]["cap"], alert["data"]["capScope"]) == (3, 2, c.street)
    log = await gql.call(ops.EVENT_LOG, {"after": third["receipt"]["position"] - 1, "first": 5,
                                         "types": ["InspectionCapExceeded"]}, c.auditor)
    assert [e["data"]["inspectionId"] for e in log["eventLog"]][:1] == [inspection["id"]]

    # in the read model: the inspections, their counts per community, body and quarter, the cap and the alert
    position = third["receipt"]["position"]
    listed = (await gql.call(ops.INSPECTIONS, {"scope": c.code, "quarter": "2026Q3"}, c.office,
                             after(position)))["inspections"]
    assert listed["totalCount"] == 3
    assert [(e["node"]["ordinal"], e["node"]["exceeded"]) for e in listed["edges"]] == [(3, True), (2, False),
                                                                                        (1, False)]
    row = await counts(gql, c, position)
    assert (row["inspections"], row["cap"], row["capScope"], row["alerts"], row["exceeded"]) == (3, 2, c.street, 1,
                                                                                                 True)
    assert row["byBody"] == [{"inspectingBody": "区卫健委", "inspections": 2},
                             {"inspectingBody": "区市场监管局", "inspections": 1}]
    # another quarter of the same community is counted apart, under the same cap
    q4 = await ops.inspect(gql, c, date="2026-10-01T00:30:00+08:00")
    assert (q4["inspection"]["quarter"], q4["inspection"]["ordinal"], q4["inspection"]["exceeded"]) == (
        "2026Q4", 1, False)


async def test_P8_the_street_cap_wins_over_the_district_cap(gql: Client) -> None:
    c = await ops.community(gql)
    sibling = await ops.community(gql, f"{c.district}002001")  # another street of the same district
    await gql.call(ops.SET_INSPECTION_CAP, {"scope": c.district, "max": 1}, c.department)
    await gql.call(ops.SET_INSPECTION_CAP, {"scope": c.street, "max": 3}, c.office)
    for n in (1, 2, 3):
        result = (await ops.inspect(gql, c))["inspection"]
        assert (result["ordinal"], result["cap"], result["capScope"], result["exceeded"]) == (n, 3, c.street, False)
    assert (await ops.inspect(gql, c))["inspection"]["exceeded"] is True
    first, second = (await ops.inspect(gql, sibling))["inspection"], (await ops.inspect(gql, sibling))["inspection"]
    assert (first["cap"], first["capScope"], first["exceeded"]) == (1, c.district, False)
    assert (second["ordinal"], second["exceeded"]) == (2, True)


async def test_P8_concurrent_records_still_count_exactly(gql: Client) -> None:
    """Twelve inspections recorded at once over HTTP under a cap of 5: each has its own place 1..12, exactly the
    seven above the cap alert, and the read model counts twelve."""
    c = await ops.community(gql)
    await gql.call(ops.SET_INSPECTION_CAP, {"scope": c.street, "max": 5}, c.office)
    results = await asyncio.gather(*(ops.inspect(gql, c, body=f"检查组{n % 3}", tok=(c.department, c.office,
                                                                                    c.committee)[n % 3])
                                     for n in range(12)))
    ordinals = sorted(r["inspection"]["ordinal"] for r in results)
    assert ordinals == list(range(1, 13))
    assert sorted(r["inspection"]["ordinal"] for r in results if r["inspection"]["exceeded"]) == list(range(6, 13))
    position = max(r["receipt"]["position"] for r in results)
    history = (await gql.call(ops.HISTORY, {"id": results[0]["receipt"]["entityId"]}, c.auditor))["history"]
    assert sum(e["type"] == "InspectionRecorded" for e in history) == 12
    assert sum(e["type"] == "InspectionCapExceeded" for e in history) == 7
    row = await counts(gql, c, position)
    assert (row["inspections"], row["alerts"], row["exceeded"]) == (12, 7, True)
    assert sorted(b["inspections"] for b in row["byBody"]) == [4, 4, 4]


async def test_P8_the_quarter_is_the_quarter_in_China(gql: Client) -> None:
    c = await ops.community(gql)
    late = (await ops.inspect(gql, c, date="2026-03-31T16:30:00Z"))["inspection"]  # 00:30 on 1 April in China
    early = (await ops.inspect(gql, c, date="2026-03-31T15:59:59Z"))["inspection"]  # 23:59:59 on 31 March
    assert (late["quarter"], early["quarter"]) == ("2026Q2", "2026Q1")
    assert late["tallyId"] != early["tallyId"]
    receipt = (await ops.inspect(gql, c, date="2026-06-30T23:00:00+08:00"))["receipt"]
    listed = await gql.call(ops.INSPECTIONS, {"scope": c.code, "quarter": "2026Q2"}, c.committee,
                            after(receipt["position"]))
    assert [e["node"]["date"] for e in listed["inspections"]["edges"]] == ["2026-06-30T15:00:00+00:00",
                                                                          "2026-03-31T16:30:00+00:00"]
    assert await gql.code(ops.INSPECTIONS, {"scope": c.code, "quarter": "2026Q5"}, c.committee) == "INVALID_INPUT"


async def test_P8_inputs_are_bounded(gql: Client) -> None:
    c = await ops.community(gql)
    base = {"communityCode": c.code, "inspectingBody": "区卫健委", "subject": "检查", "date": "2026-08-01T10:00:00+08:00"}
    for change in ({"materialsRequested": ["x"] * 101}, {"materialsRequested": ["x" * 201]},
                   {"materialsRequested": [" "]}, {"inspectingBody": "x" * 201}, {"subject": ""},
                   {"date": "2026-08-01T10:00:00"}, {"date": "2300-01-01T00:00:00+08:00"},
                   {"communityCode": "32010200100１"}):
        error = await gql.error(ops.RECORD_INSPECTION, {"input": {**base, **change}}, c.department)
        assert error["extensions"]["code"] == "INVALID_INPUT", (change, error)
    accepted = await gql.call(ops.RECORD_INSPECTION, {"input": {**base, "materialsRequested": ["x" * 200] * 100}},
                              c.department)
    assert len(accepted["recordInspection"]["inspection"]["materialsRequested"]) == 100
    assert await gql.code(ops.RECORD_INSPECTION, {"input": {**base, "communityCode": f"{c.street}999"}},
                          c.department) == "NOT_FOUND"


async def test_P9_ledger_demand_is_recorded_with_the_department(gql: Client) -> None:
    c = await ops.community(gql)
    allowed = PERMISSIONS[Action.RECORD_LEDGER_DEMAND]
    demand = {"communityCode": c.code, "department": "区民政局", "ledger": "低保对象走访台账", "pages": 120,
              "demandedAt": "2026-05-06T09:00:00+08:00"}
    for role in Role:
        response = await gql.raw(ops.RECORD_LEDGER_DEMAND, {"input": demand}, role_token(c, role))
        body = response.json()
        if role in allowed:
            assert body["data"]["recordLedgerDemand"]["ledgerDemand"]["pages"] == 120, (role, body)
        else:
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, body)
    other = ops.Community(f"{district()}001001")
    assert await gql.code(ops.RECORD_LEDGER_DEMAND, {"input": demand}, other.department) == "FORBIDDEN"
    for change in ({"pages": 1_000_001}, {"pages": -1}, {"ledger": "x" * 501}, {"department": " "},
                   {"demandedAt": "2026-05-06T09:00:00"}):
        assert await gql.code(ops.RECORD_LEDGER_DEMAND, {"input": {**demand, **change}},
                              c.department) == "INVALID_INPUT", change
    with_org = issue(SECRET, f"dept-org-{c.district}", Role.DEPARTMENT, c.district, organization="区民政局")
    result = (await gql.call(ops.RECORD_LEDGER_DEMAND, {"input": {**demand, "pages": None}}, with_org))
    recorded = result["recordLedgerDemand"]
    assert recorded["ledgerDemand"]["pages"] is None and recorded["ledgerDemand"]["department"] == "区民政局"
    history = await gql.call("query($id: ID!) { history(entityId: $id) { type actor { id role organization } data } }",
                             {"id": recorded["receipt"]["entityId"]}, c.auditor)
    event = history["history"][0]
    assert event["type"] == "LedgerDemandRecorded"
    assert event["actor"]["organization"] == "区民政局" and event["data"]["ledger"] == "低保对象走访台账"
    log = await gql.call(ops.EVENT_LOG, {"after": 0, "first": 1000, "types": ["LedgerDemandRecorded"]}, c.auditor)
    assert len(log["eventLog"]) == len(allowed) + 1  # one by each allowed role, one with an organization
