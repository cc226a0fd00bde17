"""Every event records the server's own request id; a client's X-Request-Id is kept beside it as
clientRequestId and can never stand in for it (issue 7, item 10: audit correlation a client cannot forge)."""
from __future__ import annotations

import uuid

from tests import ops
from tests.harness import Client

HISTORY = "query($id: ID!) { history(entityId: $id) { type requestId clientRequestId } }"
DELEGATE = "mutation($input: DelegateTaskInput!) { delegateTask(input: $input) { task { id } receipt { position } } }"


async def delegate(gql: Client, c: ops.Community, headers: dict[str, str]) -> tuple[str, str]:
    """A delegation sent with `headers`: (the task's id, the X-Request-Id the server answered with)."""
    response = await gql.http.post(gql.url, json={"query": DELEGATE, "variables": {"input": {
        "communityCode": c.code, "title": "人口普查入户登记", "fromDepartment": "区统计局", "dutyItemCode": "AG-01"}}},
        headers={"Authorization": f"Bearer {c.department}", **headers})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["delegateTask"]["task"]["id"], response.headers["x-request-id"]


async def test_the_server_makes_the_request_id_and_keeps_the_clients_beside_it(gql: Client) -> None:
    c = await ops.community(gql)
    forged = "req-of-another-office-0001"
    task_id, answered = await delegate(gql, c, {"X-Request-Id": forged})
    [event] = (await gql.call(HISTORY, {"id": task_id}, c.auditor))["history"]
    assert event["requestId"] != forged
    assert uuid.UUID(event["requestId"]) and event["requestId"] == answered
    assert event["clientRequestId"] == forged


async def test_a_request_without_or_with_a_malformed_client_id_keeps_none(gql: Client) -> None:
    c = await ops.community(gql)
    plain, _ = await delegate(gql, c, {})
    odd, _ = await delegate(gql, c, {"X-Request-Id": "x" * 500})
    for task_id in (plain, odd):
        [event] = (await gql.call(HISTORY, {"id": task_id}, c.auditor))["history"]
        assert event["clientRequestId"] is None
        assert uuid.UUID(event["requestId"])
    ids = {(await gql.call(HISTORY, {"id": t}, c.auditor))["history"][0]["requestId"] for t in (plain, odd)}
    assert len(ids) == 2, "each request gets its own id"
