"""The exported schema and event catalog match the code; the served schema keeps the contract."""
from __future__ import annotations

import pytest
from graphql import build_schema, find_breaking_changes

from backend import schema_artifacts
from backend.domain.access import Role
from tests.harness import ROOT, Client, token

CONTRACT = ROOT.parent / "shared" / "contract" / "gongzhi.graphql"


def build(sdl: str):
    return build_schema(sdl, assume_valid_sdl=True)  # federation directives are not defined in the SDL


def test_exported_sdl_is_what_the_code_serves() -> None:
    exported = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")
    assert exported == schema_artifacts.sdl(), "run `gongzhi schema export`"


def test_event_catalog_is_what_the_code_defines() -> None:
    folder = ROOT / "schema" / "events"
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.json")}
    assert on_disk == schema_artifacts.catalog(), "run `gongzhi schema export`"
    names = {name.removesuffix(".json") for name in on_disk}
    assert names == {"CommunityRegistered", "DutyListPublished", "ServiceAgreementSigned", "TaskDelegated",
                     "TaskDelegationRefused", "TaskAccepted", "TaskDeclined", "TaskCompleted",
                     "OrganizationRegistered", "ActivityHeld", "EvaluationCampaignOpened", "EvaluationCast"}


@pytest.mark.skipif(not CONTRACT.exists(), reason="../shared/contract is not beside this checkout")
def test_no_breaking_change_against_the_contract() -> None:
    contract = build_schema(CONTRACT.read_text(encoding="utf-8"))
    served = build(schema_artifacts.sdl())
    assert [c.description for c in find_breaking_changes(contract, served)] == []


async def test_served_sdl_over_http_is_the_exported_one(gql: Client) -> None:
    sdl = (await gql.call("{ _service { sdl } }"))["_service"]["sdl"]
    assert sdl.strip() == schema_artifacts.sdl().strip()
    assert '@key(fields: "code")' in sdl and "federation/v2" in sdl


async def test_federation_entities_resolve_by_key(gql: Client) -> None:
    from tests import ops
    c = await ops.community(gql)
    delegated = await ops.delegate(gql, c)
    task = delegated["task"]
    data = await gql.call(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Community { code name }"
        " ... on Task { id status } } }",
        {"r": [{"__typename": "Community", "code": c.code}, {"__typename": "Task", "id": task["id"]}]},
        token(Role.ADMIN, ""), headers={"X-Consistent-After": str(delegated["receipt"]["position"])})
    assert data["_entities"][0] == {"code": c.code, "name": "长江路社区"}
    assert data["_entities"][1]["id"] == task["id"]

