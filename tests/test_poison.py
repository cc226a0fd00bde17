"""Issue 7, items 1 and 3, over real HTTP: each poison input the issue found is refused with INVALID_INPUT
before it reaches the log, a token scoped by look-alike digits is refused, and afterwards every read model
has processed the whole log (no accepted command stopped a projection)."""
from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import jwt
import pytest

from backend.domain.access import Role
from tests import ops
from tests.harness import SECRET, Client, connect, district

NUL = "\x00"
#: How long a projection may take to reach the head of the log once the writes have stopped.
CATCH_UP_S = 15.0

Poison = tuple[str, dict[str, Any], str]  # document, variables, token


def poisons(c: ops.Community, task_free_community: str) -> dict[str, tuple[Poison, str]]:
    """Each poison input of the issue, as a request and the field its refusal names."""
    soon = ops.iso(timedelta(days=30))
    street = c.street
    return {
        "nul in a task's title": ((ops.DELEGATE, {"input": {
            "communityCode": c.code, "title": f"人口普查{NUL}入户", "fromDepartment": "区统计局",
            "dutyItemCode": "AG-01"}}, c.department), "title"),
        "nul in an activity's title": ((ops.RECORD_ACTIVITY, {"input": {
            "communityCode": c.code, "title": f"议事{NUL}协商", "heldAt": ops.iso(), "participants": 3}},
            c.committee), "title"),
        "nul in an activity's organizerId": ((ops.RECORD_ACTIVITY, {"input": {
            "communityCode": c.code, "title": "议事协商", "organizerId": f"org{NUL}1", "heldAt": ops.iso(),
            "participants": 3}}, c.committee), "organizerId"),
        "nul in an organization's name": ((ops.REGISTER_ORG, {"input": {
            "communityCode": c.code, "name": f"志愿{NUL}服务队", "category": "PUBLIC_WELFARE", "status": "FILED"}},
            c.committee), "name"),
        "nul in a duty-list item's title": ((ops.PUBLISH, {"input": {"communityCode": c.code, "items": [
            {"code": "SG-01", "title": f"居民{NUL}会议", "list": "SELF_GOVERNANCE"}]}}, c.office), "title"),
        "nul in a campaign target's name": ((ops.OPEN_CAMPAIGN, {"input": {
            "communityCode": c.code, "title": "评议", "closesAt": soon,
            "targets": [{"id": "office", "name": f"街道{NUL}办", "kind": "GOVERNMENT_DEPARTMENT"}]}}, c.committee),
            "name"),
        "dueAt in year 1": ((ops.DELEGATE, {"input": {
            "communityCode": c.code, "title": "人口普查入户", "fromDepartment": "区统计局", "dutyItemCode": "AG-01",
            "dueAt": "0001-01-01T00:00:00+14:00"}}, c.department), "dueAt"),
        "heldAt in year 9999": ((ops.RECORD_ACTIVITY, {"input": {
            "communityCode": c.code, "title": "议事协商", "heldAt": "9999-12-31T23:59:59-14:00", "participants": 3}},
            c.committee), "heldAt"),
        "fundingYuan past any sum's range": ((ops.SIGN, {"input": {
            "communityCode": c.code, "department": "区住建局", "scope": "加装电梯意见征询",
            "fundingYuan": "999999999999999.99", "validUntil": soon}}, c.department), "fundingYuan"),
        "community code with a trailing newline": ((ops.REGISTER, {"input": {
            "code": f"{task_free_community}\n", "name": "长江路社区", "kind": "URBAN"}}, c.office), "code"),
        "community code with full-width digits": ((ops.REGISTER, {"input": {
            "code": f"{street}００１", "name": "长江路社区", "kind": "URBAN"}}, c.office), "code"),
        "community code with Arabic-Indic digits": ((ops.REGISTER, {"input": {
            "code": f"{street}٠٠٢", "name": "长江路社区", "kind": "URBAN"}}, c.office), "code"),
    }


POISONS = list(poisons(ops.Community("100000001001"), "100000001009"))


@pytest.fixture(scope="module")
async def place(gql: Client) -> ops.Community:
    return await ops.community(gql)


async def refusal(gql: Client, poison: Poison) -> dict[str, Any]:
    response = await gql.raw(*poison)
    assert response.status_code < 500, response.text
    body = response.json()
    assert body.get("errors") and not any((body.get("data") or {}).values()), body
    return body["errors"][0]


@pytest.mark.parametrize("name", POISONS)
async def test_issue7_each_poison_input_is_invalid_input(gql: Client, place: ops.Community, name: str) -> None:
    poison, field = poisons(place, f"{place.street}009")[name]
    error = await refusal(gql, poison)
    assert error["extensions"]["code"] == "INVALID_INPUT", error
    assert error["extensions"].get("field") == field, error


async def test_two_agreements_of_the_largest_amount_are_accepted_and_their_sum_projected(
        gql: Client, direct_url: str) -> None:
    """The bound on one amount keeps every sum meaningful: two of the largest both pass, and the log stays read."""
    c = await ops.community(gql)
    largest = "10000000000.00"
    for _ in range(2):
        assert (await ops.sign(gql, c, largest))["agreement"]["fundingYuan"] == largest
    await projections_current(gql, direct_url, c.auditor)


LOOK_ALIKE_SCOPES = ["320102001\n", "320102００１", "320102٠٠١", "３２０１０２"]


@pytest.mark.parametrize("scope", LOOK_ALIKE_SCOPES)
async def test_issue7_a_token_scoped_by_look_alike_digits_is_unauthenticated(gql: Client, scope: str) -> None:
    now = int(time.time())
    forged = jwt.encode({"sub": "office-1", "role": Role.STREET_OFFICE.value, "scope": scope, "iat": now,
                         "exp": now + 600}, SECRET, algorithm="HS256")
    assert await gql.code("{ me { id scope } }", tok=forged) == "UNAUTHENTICATED"
    assert await gql.code(ops.REGISTER, {"input": {"code": f"{district()}001001", "name": "社区", "kind": "URBAN"}},
                          forged) == "UNAUTHENTICATED"


async def test_issue7_after_every_poison_every_projection_is_current(
        gql: Client, place: ops.Community, direct_url: str) -> None:
    for name, (poison, _) in poisons(place, f"{place.street}009").items():
        assert (await refusal(gql, poison))["extensions"]["code"] == "INVALID_INPUT", name
    task = (await ops.delegate(gql, place))["task"]  # the platform still takes a good command after them
    assert task["status"] == "DELEGATED"
    await projections_current(gql, direct_url, place.auditor)
    await gql.call("{ me { id } }", tok=place.auditor)


async def projections_current(gql: Client, direct_url: str, tok: str) -> dict[str, int]:
    """Every read model has processed every event in the log (its tracked position is the log's head).
    Reads projection_tracking directly, after a query that waits (X-Consistent-After) for the head."""
    conn = await connect(direct_url)
    try:
        head = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM gongzhi_events")
        response = await gql.raw("{ me { id } }", tok=tok, headers={"X-Consistent-After": str(head)})
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + CATCH_UP_S
        while True:
            rows = await conn.fetch("SELECT name, position FROM projection_tracking")
            tracked = {row["name"]: row["position"] for row in rows}
            behind = {name: position for name, position in tracked.items() if position < head}
            if tracked and not behind or time.monotonic() > deadline:
                break
            await gql.raw("{ me { id } }", tok=tok, headers={"X-Consistent-After": str(head)})
        assert tracked and not behind, f"projections behind the log's head {head}: {behind}"
        return tracked
    finally:
        await conn.close()
