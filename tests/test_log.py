"""The raw log: history, eventLog, entityAsOf and the events subscription over a websocket."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from backend.domain.access import Role
from tests import ops
from tests.harness import Client, Subscription, token

SUBSCRIBE = """subscription($after: Position, $types: [String!], $scope: String) {
  events(after: $after, types: $types, scope: $scope) { position entityId entityType version type actor { id role }
  data } }"""


async def test_history_of_a_task_records_who_when_and_why(gql: Client) -> None:
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    await gql.call(ops.DECLINE, {"id": task["id"], "r": "自治事项，由居民会议决定"}, c.committee,
                   headers={"X-Request-ID": "req-decline-1"})
    events = (await gql.call(ops.HISTORY, {"id": task["id"]}, c.auditor))["history"]
    assert [(e["type"], e["version"]) for e in events] == [("TaskDelegated", 1), ("TaskDeclined", 2)]
    assert all(e["entityId"] == task["id"] and e["entityType"] == "Task" for e in events)
    assert events[0]["actor"] == {"id": f"dept-{c.district}", "role": "DEPARTMENT", "scope": c.district}
    assert events[1]["actor"]["role"] == "COMMITTEE" and events[1]["data"]["reason"] == "自治事项，由居民会议决定"
    assert events[0]["position"] < events[1]["position"]
    detail = (await gql.call("query($id: ID!) { history(entityId: $id) { requestId clientRequestId } }",
                             {"id": task["id"]}, c.auditor))["history"]
    assert detail[1]["clientRequestId"] == "req-decline-1" and detail[1]["requestId"] != "req-decline-1"


async def test_history_of_a_community_by_code(gql: Client) -> None:
    c = await ops.community(gql)
    events = (await gql.call(ops.HISTORY, {"id": c.code}, c.auditor))["history"]
    assert [e["type"] for e in events] == ["CommunityRegistered", "DutyListPublished"]
    assert {e["entityId"] for e in events} == {c.code}


async def test_event_log_in_order_with_type_filter_and_scope(gql: Client) -> None:
    c = await ops.community(gql)
    start = (await ops.delegate(gql, c))["receipt"]["position"] - 1
    task = (await ops.delegate(gql, c))["task"]
    await gql.call(ops.ACCEPT, {"id": task["id"]}, c.committee)
    events = (await gql.call(ops.EVENT_LOG, {"after": start, "first": 100}, c.auditor))["eventLog"]
    positions = [e["position"] for e in events]
    assert positions == sorted(positions) and positions[0] > start
    mine = [e for e in events if e["data"].get("title") or e["type"] == "TaskAccepted"]
    assert [e["type"] for e in mine][:3] == ["TaskDelegated", "TaskDelegated", "TaskAccepted"]
    accepted = (await gql.call(ops.EVENT_LOG, {"after": start, "types": ["TaskAccepted"]}, c.auditor))["eventLog"]
    assert accepted and all(e["type"] == "TaskAccepted" for e in accepted)
    assert await gql.code(ops.EVENT_LOG, {"types": ["NoSuchEvent"]}, c.auditor) == "INVALID_INPUT"
    other = await ops.community(gql)
    scoped = (await gql.call(ops.EVENT_LOG, {"after": 0, "first": 1000}, other.auditor))["eventLog"]
    assert scoped and all(e["data"].get("code", other.code) == other.code for e in scoped)
    assert not {e["entityId"] for e in scoped} & {task["id"], c.code}


async def test_entity_as_of_rebuilds_past_state(gql: Client) -> None:
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    await asyncio.sleep(0.05)
    between = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.05)
    await gql.call(ops.ACCEPT, {"id": task["id"]}, c.committee)
    query = "query($id: ID!, $t: DateTime!) { entityAsOf(entityId: $id, asOf: $t) }"
    past = (await gql.call(query, {"id": task["id"], "t": between}, c.auditor))["entityAsOf"]
    assert past["status"] == "DELEGATED" and past["version"] == 1 and past["id"] == task["id"]
    now = (await gql.call(query, {"id": task["id"], "t": ops.iso()}, c.auditor))["entityAsOf"]
    assert now["status"] == "ACCEPTED" and now["version"] == 2
    before = (await gql.call(query, {"id": task["id"], "t": "2000-01-01T00:00:00+00:00"}, c.auditor))["entityAsOf"]
    assert before is None
    assert await gql.code(query, {"id": "00000000-0000-0000-0000-000000000001", "t": ops.iso()},
                          c.auditor) == "NOT_FOUND"


async def test_subscription_replays_then_goes_live_without_gap_or_duplicate(gql: Client, server) -> None:
    c = await ops.community(gql)
    first = await ops.delegate(gql, c)
    after = first["receipt"]["position"] - 1
    for _ in range(3):
        await ops.delegate(gql, c)
    expected = (await gql.call(ops.EVENT_LOG, {"after": after, "first": 1000}, c.auditor))["eventLog"]
    async with Subscription(server.url, SUBSCRIBE, {"after": after, "scope": c.code}, c.auditor) as sub:
        received = []
        for _ in expected:
            message = await sub.next()
            assert message["type"] == "next", message
            received.append(message["payload"]["data"]["events"])
        live = []

        async def writer() -> None:
            for _ in range(5):
                live.append((await ops.delegate(gql, c))["receipt"]["position"])

        await writer()
        for _ in range(5):
            message = await sub.next()
            received.append(message["payload"]["data"]["events"])
    positions = [e["position"] for e in received]
    assert positions == sorted(set(positions)), "out of order or duplicated"
    assert positions[:len(expected)] == [e["position"] for e in expected]
    assert positions[-5:] == live
    assert all(e["type"] == "TaskDelegated" for e in received)


async def test_subscription_filters_types_and_takes_token_in_header(gql: Client, server) -> None:
    c = await ops.community(gql)
    start = (await ops.delegate(gql, c))["receipt"]["position"]
    task = (await ops.delegate(gql, c))["task"]
    accepted = (await gql.call(ops.ACCEPT, {"id": task["id"]}, c.committee))["acceptTask"]["receipt"]["position"]
    async with Subscription(server.url, SUBSCRIBE, {"after": start, "types": ["TaskAccepted"], "scope": c.code},
                            c.auditor, in_header=True) as sub:
        message = await sub.next()
        assert message["payload"]["data"]["events"]["position"] == accepted
        assert message["payload"]["data"]["events"]["type"] == "TaskAccepted"


async def test_subscription_refuses_residents_and_missing_tokens(gql: Client, server) -> None:
    c = await ops.community(gql)
    for tok in (c.resident("r"), None):
        async with Subscription(server.url, SUBSCRIBE, {"after": 0}, tok) as sub:
            message = await sub.next()
            assert message["type"] in ("error", "next"), message
            errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            assert errors[0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    outside = token(Role.AUDITOR, c.code)
    async with Subscription(server.url, SUBSCRIBE, {"after": 0, "scope": c.district}, outside) as sub:
        message = await sub.next()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_subscribers_with_different_documents_each_get_their_own_shape(gql: Client, server) -> None:
    """Executions are shared between subscribers of one document (backend/api/execution.py):
    never between different documents, variables or actors."""
    c = await ops.community(gql)
    after = (await ops.delegate(gql, c))["receipt"]["position"]
    narrow = "subscription($after: Position, $scope: String) { events(after: $after, scope: $scope) { position } }"
    aliased = ("subscription($after: Position, $scope: String) { events(after: $after, scope: $scope) "
               "{ at: position kind: type actor { role } } }")
    async with Subscription(server.url, SUBSCRIBE, {"after": after, "scope": c.code}, c.auditor) as full_1, \
            Subscription(server.url, SUBSCRIBE, {"after": after, "scope": c.code}, c.auditor) as full_2, \
            Subscription(server.url, SUBSCRIBE, {"after": after - 1, "scope": c.code}, c.auditor) as earlier, \
            Subscription(server.url, narrow, {"after": after, "scope": c.code}, c.auditor) as short, \
            Subscription(server.url, aliased, {"after": after, "scope": c.code}, token(Role.INTEGRATOR, "")) as renamed:
        first = await earlier.next()
        assert first["payload"]["data"]["events"]["position"] == after
        position = (await ops.delegate(gql, c))["receipt"]["position"]
        got = {name: (await sub.next())["payload"]["data"]["events"]
               for name, sub in (("full_1", full_1), ("full_2", full_2), ("earlier", earlier), ("short", short),
                                 ("renamed", renamed))}
    assert got["full_1"] == got["full_2"] == got["earlier"]
    assert got["full_1"]["position"] == position and got["full_1"]["type"] == "TaskDelegated"
    assert set(got["full_1"]) == {"position", "entityId", "entityType", "version", "type", "actor", "data"}
    assert got["short"] == {"position": position}
    assert got["renamed"] == {"at": position, "kind": "TaskDelegated", "actor": {"role": "DEPARTMENT"}}
