"""Idempotent commands (issue 8, 3a): a repeat of an actor's Idempotency-Key answers the first answer
and appends nothing, also when the repeats arrive together, at one server or at two."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from backend.domain.access import Role
from tests import ops
from tests.harness import Client, Server, connect, server_env, token

ACTIVITY_FIELDS = ("activity { id communityCode title heldAt participants volunteerHours }"
                   " receipt { position entityId version }")
RECORD = ("mutation($input: RecordActivityInput!) { recordActivity(input: $input) { " + ACTIVITY_FIELDS + " } }")


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"phone-1:{uuid.uuid4()}"}


def activity(c: ops.Community, title: str = "重阳节敬老活动") -> dict:
    return {"input": {"communityCode": c.code, "title": title, "heldAt": "2026-10-29T09:00:00+08:00",
                      "participants": 40, "volunteerHours": [{"volunteerId": "v-1", "hours": 3}]}}


async def answer(gql: Client, query: str, variables: dict, tok: str, headers: dict) -> dict:
    """The whole body of a call (data or errors), over HTTP."""
    response = await gql.raw(query, variables, tok, headers)
    assert response.status_code == 200, response.text
    return response.json()


async def events(direct_url: str, community: str, event_type: str) -> int:
    conn = await connect(direct_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM gongzhi_events WHERE community_code = $1 AND topic LIKE $2",
                                   community, f"%.{event_type}")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def second_server(data_dir: Path, direct_url: str) -> Iterator[Server]:
    """Another server process on the same store (by URL: on the embedded default it holds no handle of
    the session's PostgreSQL): repeats may reach either."""
    other = Server(server_env(data_dir, direct_url)).start()
    yield other
    other.stop()


@pytest.fixture
async def other_gql(second_server: Server) -> AsyncIterator[Client]:
    client = Client(second_server.url)
    yield client
    await client.close()


async def test_sequential_repeats_answer_the_first_answer_and_append_once(gql: Client, direct_url: str) -> None:
    c = await ops.community(gql)
    k = key()
    first = await answer(gql, RECORD, activity(c), c.committee, k)
    repeats = [await answer(gql, RECORD, activity(c), c.committee, k) for _ in range(3)]
    assert "errors" not in first and all(r == first for r in repeats)
    assert await events(direct_url, c.code, "ActivityHeld") == 1
    conn = await connect(direct_url)  # the key is on record with the event it produced (one transaction)
    try:
        recorded = await conn.fetchrow("SELECT k.position, e.originator_id FROM gongzhi_idempotency k JOIN"
                                       " gongzhi_events e ON e.notification_id = k.position WHERE k.key = $1",
                                       k["Idempotency-Key"])
    finally:
        await conn.close()
    receipt = first["data"]["recordActivity"]["receipt"]
    assert (recorded["position"], str(recorded["originator_id"])) == (receipt["position"], receipt["entityId"])
    other = await answer(gql, RECORD, activity(c), c.committee, key())  # a new key is a new command
    assert other["data"]["recordActivity"]["activity"]["id"] != first["data"]["recordActivity"]["activity"]["id"]
    assert await events(direct_url, c.code, "ActivityHeld") == 2


async def test_sixteen_concurrent_repeats_append_one_event(gql: Client, direct_url: str) -> None:
    c = await ops.community(gql)
    k = key()
    bodies = await asyncio.gather(*(answer(gql, RECORD, activity(c), c.committee, k) for _ in range(16)))
    assert "errors" not in bodies[0] and all(b == bodies[0] for b in bodies)
    assert await events(direct_url, c.code, "ActivityHeld") == 1


async def test_concurrent_repeats_at_two_servers_append_one_event(gql: Client, other_gql: Client,
                                                                  direct_url: str) -> None:
    """Across processes the key's record, committed with the events, decides; a retry at a server
    that never saw the first request answers it too (the record is in the store, not in memory)."""
    c = await ops.community(gql)
    k = key()
    bodies = await asyncio.gather(*(answer(client, ops.DELEGATE, {"input": {
        "communityCode": c.code, "title": "人口普查入户登记", "fromDepartment": "区统计局", "dutyItemCode": "AG-01"}},
        c.department, k) for client in (gql, other_gql) * 8))
    assert "errors" not in bodies[0] and all(b == bodies[0] for b in bodies)
    assert await events(direct_url, c.code, "TaskDelegated") == 1


async def test_a_repeat_answers_the_entity_as_the_first_answer_left_it(gql: Client) -> None:
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    k = key()
    accepted = await answer(gql, ops.ACCEPT, {"id": task["id"], "v": 1}, c.committee, k)
    await gql.call(ops.COMPLETE, {"id": task["id"], "v": 2}, c.committee)
    again = await answer(gql, ops.ACCEPT, {"id": task["id"], "v": 1}, c.committee, k)
    assert again == accepted and again["data"]["acceptTask"]["task"]["status"] == "ACCEPTED"


async def test_p26_a_repeated_ballot_answers_its_receipt_not_a_duplicate(gql: Client, direct_url: str) -> None:
    c = await ops.community(gql)
    campaign = await ops.campaign(gql, c)
    resident, k = c.resident(f"r-{uuid.uuid4().hex[:8]}"), key()
    ballot = {"input": {"campaignId": campaign["id"], "targetId": "office", "satisfaction": "SATISFIED"}}
    first = await answer(gql, ops.CAST, ballot, resident, k)
    assert "errors" not in first and await answer(gql, ops.CAST, ballot, resident, k) == first
    assert (await answer(gql, ops.CAST, ballot, resident, key()))["errors"][0]["extensions"]["code"] \
        == "DUPLICATE_EVALUATION"
    assert await events(direct_url, c.code, "EvaluationParticipationRecorded") == 1  # P26: a secret campaign


async def test_p1_a_repeated_off_list_delegation_is_the_same_refusal_recorded_once(gql: Client,
                                                                                   direct_url: str) -> None:
    c = await ops.community(gql)
    off_list = {"input": {"communityCode": c.code, "title": "招商引资指标", "fromDepartment": "区商务局",
                          "dutyItemCode": "XX-99"}}
    k = key()
    first = await answer(gql, ops.DELEGATE, off_list, c.department, k)
    error = first["errors"][0]
    assert error["extensions"]["code"] == "OFF_LIST_TASK" and error["extensions"]["position"] > 0
    repeats = await asyncio.gather(*(answer(gql, ops.DELEGATE, off_list, c.department, k) for _ in range(4)))
    assert all(r == first for r in repeats)
    assert await events(direct_url, c.code, "TaskDelegationRefused") == 1
    other = await answer(gql, ops.DELEGATE, off_list, c.department, key())  # a new key: a new refusal
    assert other["errors"][0]["extensions"]["position"] > error["extensions"]["position"]
    assert await events(direct_url, c.code, "TaskDelegationRefused") == 2


async def test_the_key_with_other_variables_or_another_operation_is_reused(gql: Client, direct_url: str) -> None:
    c = await ops.community(gql)
    k = key()
    assert "errors" not in await answer(gql, RECORD, activity(c), c.committee, k)
    for query, variables in ((RECORD, activity(c, "另一场活动")),
                             (ops.OPEN_CAMPAIGN, {"input": {"communityCode": c.code, "title": "评议",
                                                            "closesAt": ops.iso(), "targets": []}})):
        body = await answer(gql, query, variables, c.committee, k)
        assert body["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED", body
    assert await events(direct_url, c.code, "ActivityHeld") == 1
    # the key is the actor's own: another actor's same key is another command
    other = token(Role.COMMITTEE, c.code, f"committee-2-{c.code}")
    assert "errors" not in await answer(gql, RECORD, activity(c, "另一场活动"), other, k)
    assert await events(direct_url, c.code, "ActivityHeld") == 2


async def test_a_command_that_appended_nothing_runs_again(gql: Client, direct_url: str) -> None:
    code = f"{ops.district()}001001"
    c = ops.Community(code)
    k = key()
    refused = await answer(gql, RECORD, activity(c), c.committee, k)
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    await ops.community(gql, code)
    done = await answer(gql, RECORD, activity(c), c.committee, k)
    assert "errors" not in done and await events(direct_url, code, "ActivityHeld") == 1


@pytest.mark.parametrize("value", ["", "x" * 129, b"caf\xc3\xa9", b"tab\there"])
async def test_a_malformed_key_is_invalid_input(gql: Client, direct_url: str, value: str | bytes) -> None:
    c = await ops.community(gql)
    response = await gql.raw(RECORD, activity(c), c.committee, {"Idempotency-Key": value})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert await events(direct_url, c.code, "ActivityHeld") == 0


async def test_a_key_of_128_printable_characters_is_taken(gql: Client) -> None:
    c = await ops.community(gql)
    k = {"Idempotency-Key": ("a b~!" * 26)[:127] + uuid.uuid4().hex[0]}
    first = await answer(gql, RECORD, activity(c), c.committee, k)
    assert "errors" not in first and await answer(gql, RECORD, activity(c), c.committee, k) == first


async def test_a_keyed_request_with_two_mutation_fields_is_refused(gql: Client, direct_url: str) -> None:
    c = await ops.community(gql)
    two = ("mutation($input: RecordActivityInput!) { a: recordActivity(input: $input) { receipt { position } }"
           " b: recordActivity(input: $input) { receipt { position } } }")
    response = await gql.raw(two, activity(c), c.committee, key())
    assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert await events(direct_url, c.code, "ActivityHeld") == 0


async def test_retries_after_a_crash_apply_once(gql: Client, data_dir: Path, direct_url: str) -> None:
    """A server killed while keyed commands are in flight (some committed, some answered, some neither):
    every key retried at another server appends at most what its first request did: one event per key."""
    c = await ops.community(gql)
    victim = Server(server_env(data_dir, direct_url)).start()  # by URL: its SIGKILL leaves no embedded handle
    client = Client(victim.url)
    keys = [key() for _ in range(40)]
    try:
        sent = [asyncio.create_task(client.raw(RECORD, activity(c, f"活动{i}"), c.committee, k))
                for i, k in enumerate(keys)]
        for _ in range(5_000):  # killed as soon as one has committed (or after ~5 s of polls, whatever stands)
            if await events(direct_url, c.code, "ActivityHeld"):
                break
        victim.stop(kill=True)
        await asyncio.gather(*sent, return_exceptions=True)
    finally:
        victim.stop(kill=True)
        await client.close()
    retried = await asyncio.gather(*(answer(gql, RECORD, activity(c, f"活动{i}"), c.committee, k)
                                     for i, k in enumerate(keys)))
    assert all("errors" not in body for body in retried)
    assert len({body["data"]["recordActivity"]["activity"]["id"] for body in retried}) == 40
    assert await events(direct_url, c.code, "ActivityHeld") == 40
