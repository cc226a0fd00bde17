"""Races, for real: many simultaneous HTTP requests against one server and one store."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests import ops
from tests.harness import Client

RACERS = 16


async def codes_of(gql: Client, query: str, variables: dict, tok: str, n: int = RACERS) -> Counter:
    responses = await asyncio.gather(*(gql.raw(query, variables, tok) for _ in range(n)))
    outcomes = Counter()
    for response in responses:
        assert response.status_code == 200, response.text
        errors = response.json().get("errors")
        outcomes[errors[0]["extensions"]["code"] if errors else "OK"] += 1
    return outcomes


@pytest.mark.parametrize("round_", range(3))
async def test_simultaneous_accepts_of_one_version_leave_one_accept(gql: Client, round_: int) -> None:
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    outcomes = await codes_of(gql, ops.ACCEPT, {"id": task["id"], "v": 1}, c.committee)
    assert outcomes == Counter({"OK": 1, "VERSION_CONFLICT": RACERS - 1})
    history = (await gql.call(ops.HISTORY, {"id": task["id"]}, c.auditor))["history"]
    assert [e["type"] for e in history] == ["TaskDelegated", "TaskAccepted"]


async def test_simultaneous_accepts_without_expected_version_still_one(gql: Client) -> None:
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    outcomes = await codes_of(gql, ops.ACCEPT, {"id": task["id"]}, c.committee)
    assert outcomes["OK"] == 1 and set(outcomes) <= {"OK", "VERSION_CONFLICT", "INVALID_STATE"}
    history = (await gql.call(ops.HISTORY, {"id": task["id"]}, c.auditor))["history"]
    assert [e["type"] for e in history].count("TaskAccepted") == 1


@pytest.mark.parametrize("round_", range(3))
async def test_simultaneous_evaluations_by_one_resident_leave_one(gql: Client, round_: int) -> None:
    c = await ops.community(gql)
    campaign = await ops.campaign(gql, c)
    outcomes = await codes_of(gql, ops.CAST, {"input": {"campaignId": campaign["id"], "targetId": "office",
                                                        "satisfaction": "SATISFIED"}}, c.resident("same-resident"))
    assert outcomes == Counter({"OK": 1, "DUPLICATE_EVALUATION": RACERS - 1})
    log = (await gql.call(ops.EVENT_LOG, {"types": ["EvaluationCast"], "first": 1000}, c.auditor))["eventLog"]
    mine = [e for e in log if e["data"]["campaignId"] == campaign["id"]]
    assert len(mine) == 1 and mine[0]["data"]["residentId"] == "same-resident"
    results = (await gql.call("query($id: ID!) { evaluationResults(campaignId: $id) { total } }",
                              {"id": campaign["id"]}, c.committee,
                              headers={"X-Consistent-After": str(mine[0]["position"])}))["evaluationResults"]
    assert results == [{"total": 1}]


async def test_many_residents_at_once_all_count(gql: Client) -> None:
    c = await ops.community(gql)
    campaign = await ops.campaign(gql, c)
    variables = {"input": {"campaignId": campaign["id"], "targetId": "office", "satisfaction": "DISSATISFIED"}}
    responses = await asyncio.gather(*(gql.raw(ops.CAST, variables, c.resident(f"r{n}")) for n in range(RACERS)))
    positions = [r.json()["data"]["castEvaluation"]["position"] for r in responses]
    assert len(set(positions)) == RACERS
    results = (await gql.call("query($id: ID!) { evaluationResults(campaignId: $id) { total dissatisfied } }",
                              {"id": campaign["id"]}, c.committee,
                              headers={"X-Consistent-After": str(max(positions))}))["evaluationResults"]
    assert results == [{"total": RACERS, "dissatisfied": RACERS}]


async def test_a_conflict_does_not_sink_the_saves_committed_beside_it(gql: Client) -> None:
    c = await ops.community(gql)
    campaign = await ops.campaign(gql, c)
    variables = {"input": {"campaignId": campaign["id"], "targetId": "office", "satisfaction": "SATISFIED"}}
    calls = [gql.raw(ops.CAST, variables, c.resident(f"r{n}")) for n in range(RACERS)]
    calls += [gql.raw(ops.CAST, variables, c.resident("twice")) for _ in range(RACERS)]
    outcomes = Counter()
    for response in await asyncio.gather(*calls):
        errors = response.json().get("errors")
        outcomes[errors[0]["extensions"]["code"] if errors else "OK"] += 1
    assert outcomes == Counter({"OK": RACERS + 1, "DUPLICATE_EVALUATION": RACERS - 1})
