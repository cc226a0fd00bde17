"""Issue 8 item 3b: live read models. `taskUpdated` (and `activityRecorded`, `organizationRegistered`)
deliver a row's new state once its read model has applied it, equal to what a query then returns, to every
role that may read it in the subscriber's scope; refusals come as coded `error` messages; a stalled
projection publishes nothing it has not applied; a slow subscriber never holds the runner."""
from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from backend import bootstrap, config
from backend.domain.errors import Unavailable
from projections.live import Subscriber
from tests import ops
from tests.harness import SECRET, Client, Subscription
from tests.test_projection_failure import CODE, COMMITTEE, OFFICE, POISON, BrokenTasks, with_double

TASK = """id communityCode title fromDepartment basis dutyItemCode agreementId status delegatedAt dueAt version
  dutyListVersion declineReason"""
TASK_UPDATED = "subscription($scope: String) { taskUpdated(scope: $scope) { " + TASK + " } }"
TASK_QUERY = "query($id: ID!) { task(id: $id) { " + TASK + " } }"
TASKS_QUERY = "query($scope: String) { tasks(scope: $scope, first: 1) { edges { node { " + TASK + " } } } }"
ACTIVITY = "id communityCode title organizerId heldAt participants volunteerHours"
ORGANIZATION = "id name category status communityCode hubId registeredAt"
ACTIVITY_RECORDED = "subscription($scope: String) { activityRecorded(scope: $scope) { " + ACTIVITY + " } }"
ORGANIZATION_REGISTERED = ("subscription($scope: String) { organizationRegistered(scope: $scope) { "
                           + ORGANIZATION + " } }")


async def delivered(sub: Subscription, field: str) -> dict[str, Any]:
    message = await sub.next()
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"][field]


async def test_task_updated_delivers_what_a_query_then_returns_to_every_reader_in_scope(
        gql: Client, server) -> None:
    c = await ops.community(gql)
    other = await ops.community(gql)
    resident = c.resident(f"resident-{uuid.uuid4().hex[:6]}")
    async with Subscription(server.url, TASK_UPDATED, {"scope": c.code}, c.committee) as committee, \
            Subscription(server.url, TASK_UPDATED, {}, resident) as neighbour, \
            Subscription(server.url, TASK_UPDATED, {"scope": c.street}, c.office, in_header=True) as office, \
            Subscription(server.url, TASK_UPDATED, {}, other.committee) as elsewhere:
        task_id = (await ops.delegate(gql, c))["task"]["id"]
        seen = [await delivered(sub, "taskUpdated") for sub in (committee, neighbour, office)]
        now = (await gql.call(TASK_QUERY, {"id": task_id}, c.committee))["task"]
        assert seen == [now] * 3 and now["status"] == "DELEGATED" and now["id"] == task_id

        await gql.call(ops.ACCEPT, {"id": task_id}, c.committee)
        seen = [await delivered(sub, "taskUpdated") for sub in (committee, neighbour, office)]
        now = (await gql.call(TASK_QUERY, {"id": task_id}, c.committee))["task"]
        listed = (await gql.call(TASKS_QUERY, {"scope": c.code}, c.committee))["tasks"]["edges"][0]["node"]
        assert seen == [now] * 3 and listed == now and now["status"] == "ACCEPTED" and now["version"] == 2

        # Another community's committee got nothing of c's: its first delivery is its own task.
        own = (await ops.delegate(gql, other))["task"]["id"]
        assert (await delivered(elsewhere, "taskUpdated"))["id"] == own


async def test_task_updated_is_refused_with_a_code_before_it_starts(gql: Client, server) -> None:
    c = await ops.community(gql)
    for variables, tok, code in (({}, None, "UNAUTHENTICATED"),
                                 ({"scope": c.district}, c.committee, "FORBIDDEN"),
                                 ({"scope": "32010２"}, c.office, "INVALID_INPUT")):
        async with Subscription(server.url, TASK_UPDATED, variables, tok) as sub:
            message = await sub.next()
            assert message["type"] == "error", message
            assert message["payload"][0]["extensions"]["code"] == code, message


async def test_activity_recorded_and_organization_registered_deliver_what_the_lists_then_show(
        gql: Client, server) -> None:
    c = await ops.community(gql)
    resident = c.resident(f"resident-{uuid.uuid4().hex[:6]}")
    async with Subscription(server.url, ACTIVITY_RECORDED, {}, resident) as activities, \
            Subscription(server.url, ORGANIZATION_REGISTERED, {"scope": c.code}, c.committee) as organizations:
        await gql.call(ops.RECORD_ACTIVITY, {"input": {
            "communityCode": c.code, "title": "邻里节", "organizerId": "committee", "heldAt": ops.iso(),
            "participants": 40, "volunteerHours": [{"volunteerId": "v1", "hours": 2.5}]}}, c.committee)
        activity = await delivered(activities, "activityRecorded")
        listed = await gql.call("query($s: String) { activities(scope: $s, first: 1) { edges { node { "
                                + ACTIVITY + " } } } }", {"s": c.code}, resident)
        assert activity == listed["activities"]["edges"][0]["node"] and activity["volunteerHours"] == 2.5

        await gql.call(ops.REGISTER_ORG, {"input": {"communityCode": c.code, "name": "银发志愿队",
                                                    "category": "MEDIATION", "status": "FILED"}}, c.committee)
        organization = await delivered(organizations, "organizationRegistered")
        listed = await gql.call("query($s: String) { organizations(scope: $s, first: 1) { edges { node { "
                                + ORGANIZATION + " } } } }", {"s": c.code}, resident)
        assert organization == listed["organizations"]["edges"][0]["node"]


async def test_a_stalled_tasks_projection_publishes_only_what_it_applied_P1(fresh_url: str, tmp_path: Path) -> None:
    """A task changed after the event the tasks read model is stuck at is not published (its row still
    holds the earlier state); once the projection resumes, the changes come in log order."""
    code, office, committee = CODE, OFFICE, COMMITTEE
    double = BrokenTasks()
    settings = config.Settings(database_url=fresh_url, data_dir=tmp_path, secret=SECRET)
    platform = await bootstrap.start(settings, projections=with_double(double))
    try:
        app, run = platform.app, platform.commands.run
        await run(app.register_community, office, code, "长江路社区", "URBAN")
        await run(app.publish_duty_list, office, code, [{"code": "A", "title": "协助", "list": "ASSIST_GOVERNMENT"}])
        sub = platform.live.subscribe("tasks", code)
        rows = sub.rows()
        first = (await run(app.delegate_task, office, code, "任务", "区统计局", "A"))[0].id
        row = await asyncio.wait_for(anext(rows), 10)
        assert (row["id"], row["status"]) == (first, "DELEGATED")

        poison = (await run(app.delegate_task, office, code, POISON, "区统计局", "A"))[0].id
        accepted = (await run(app.accept_task, committee, str(first)))[1].position
        assert await platform.projections.wait_for(accepted, 5)  # the others are past it; tasks is stalled
        assert [s["name"] for s in platform.projections.stalled] == ["tasks"]

        double.fixed = True
        platform.projections.poke()
        got = [await asyncio.wait_for(anext(rows), 10) for _ in range(2)]
        assert [(r["id"], r["status"], r["version"]) for r in got] == [(poison, "DELEGATED", 1),
                                                                      (first, "ACCEPTED", 2)]
    finally:
        await platform.stop()


def row(id: int, state: str) -> dict[str, Any]:
    return {"id": id, "community_code": "320102001001", "status": state}


async def test_a_slow_subscriber_keeps_the_latest_state_of_each_row_and_is_dropped_past_its_limit() -> None:
    sub = Subscriber("tasks", "320102", limit=3)
    for r in (row(1, "DELEGATED"), row(2, "DELEGATED"), row(1, "ACCEPTED"), row(3, "DELEGATED")):
        sub.offer(r)  # never waits, whether or not anyone reads
    rows = sub.rows()
    assert [await anext(rows) for _ in range(3)] == [row(2, "DELEGATED"), row(1, "ACCEPTED"), row(3, "DELEGATED")]
    for i in range(4):
        sub.offer(row(10 + i, "DELEGATED"))
    with pytest.raises(Unavailable):
        await anext(rows)
