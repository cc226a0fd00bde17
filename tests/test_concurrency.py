"""Races, for real: many simultaneous HTTP requests against one server and one store."""
from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from backend import bootstrap, config
from backend.domain.access import Actor, Role
from backend.domain.stamp import Stamp
from tests import ops
from tests.harness import SECRET, Client

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
    # P26: a secret campaign: one participation in the log (who), one ballot in the box (what), nothing else
    log = (await gql.call(ops.EVENT_LOG, {"types": ["EvaluationParticipationRecorded"], "first": 1000},
                          c.auditor))["eventLog"]
    mine = [e for e in log if e["data"]["campaignId"] == campaign["id"]]
    assert len(mine) == 1 and mine[0]["data"]["residentId"] == "same-resident"
    check = (await gql.call(ops.VERIFY_COUNTS, {"id": campaign["id"]}, c.committee,
                            headers={"X-Consistent-After": str(mine[0]["position"])}))["verifyEvaluationCounts"]
    assert check == {"ok": True, "participations": 1, "releasedBallots": 0, "pendingBallots": 1, "problems": []}


async def test_many_residents_at_once_all_count(gql: Client) -> None:
    c = await ops.community(gql)
    campaign = await ops.campaign(gql, c, closes_in=timedelta(seconds=5))
    variables = {"input": {"campaignId": campaign["id"], "targetId": "office", "satisfaction": "DISSATISFIED"}}
    responses = await asyncio.gather(*(gql.raw(ops.CAST, variables, c.resident(f"r{n}")) for n in range(RACERS)))
    positions = [r.json()["data"]["castEvaluation"]["position"] for r in responses]
    assert len(set(positions)) == RACERS
    await ops.ballots_released(gql, c, campaign["id"], RACERS)  # P26: a batch while it is open, the rest at its close
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


async def test_commands_on_the_event_loop_commit_in_waves_and_none_is_lost(fresh_url: str, data_dir) -> None:
    """The async group commit (backend/application/store.py, AsyncAppender) with 32 writers in
    waves: every command commits once, at its own position, and none waits forever (appends that
    arrive while a batch's connection is being released must start the next batch)."""
    settings = config.Settings(database_url=fresh_url, data_dir=data_dir, secret=SECRET)
    platform = await bootstrap.start(settings, follow=False)
    try:
        code = "320102001001"
        office = Stamp(Actor("o", Role.STREET_OFFICE, "320102001"), "t")
        await platform.commands.run(platform.app.register_community, office, code, "社区", "URBAN")
        committee = Stamp(Actor("c", Role.COMMITTEE, code), "t")
        held_at = datetime.now(UTC)
        positions: list[int] = []

        async def writer(n: int, drift: bool) -> None:
            for i in range(40):
                _, receipt = await platform.commands.run(platform.app.record_activity, committee, code,
                                                         f"活动 {n}-{i}", None, held_at, 1, [])
                positions.append(receipt.position)
                if drift and i % 5 == n % 5:
                    await asyncio.sleep(0.002 * (n % 3))  # the writers drift apart: batches of every size

        for drift in (False, True):  # in lockstep (each batch drains the queue), then drifting
            await asyncio.wait_for(asyncio.gather(*(writer(n, drift) for n in range(32))), 60)
        assert len(positions) == len(set(positions)) == 2 * 32 * 40
        async with platform.pool.acquire() as conn:
            stored = await conn.fetch("SELECT notification_id FROM gongzhi_events WHERE topic LIKE '%ActivityHeld'")
        assert sorted(r[0] for r in stored) == sorted(positions)
    finally:
        await platform.stop()
