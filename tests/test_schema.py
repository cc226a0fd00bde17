"""The exported schema and event catalog match the code; the served schema keeps the contract the
project carries (schema/contract.graphql, a copy of ../shared's when that is beside the clone); the
project's account of the policy (docs/provisions.md) names every provision and only paths that exist."""
from __future__ import annotations

import re

from graphql import build_schema, find_breaking_changes

from backend import schema_artifacts
from backend.domain.access import Role
from tests.harness import ROOT, Client, token

CONTRACT = ROOT / "schema" / "contract.graphql"  # the API contract the project promises, carried in the clone
SHARED_CONTRACT = ROOT.parent / "shared" / "contract" / "gongzhi.graphql"
PROVISIONS = ROOT / "docs" / "provisions.md"


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
    from backend.domain.catalog import event_classes
    assert names == set(event_classes()) and len(names) >= 28  # every event type of the domain has its entry


def test_no_breaking_change_against_the_contract() -> None:
    contract = build_schema(CONTRACT.read_text(encoding="utf-8"))
    served = build(schema_artifacts.sdl())
    assert [c.description for c in find_breaking_changes(contract, served)] == []


def test_the_contract_copy_is_the_shared_contract() -> None:
    """The project's copy is byte for byte ../shared's when that is beside the clone (a clone alone
    has only its copy, which must still be a whole schema)."""
    copy = CONTRACT.read_bytes()
    assert build_schema(copy.decode("utf-8")).query_type is not None
    if SHARED_CONTRACT.exists():
        assert copy == SHARED_CONTRACT.read_bytes(), "copy ../shared/contract/gongzhi.graphql to schema/contract.graphql"


def test_provisions_file_names_every_provision_and_only_existing_paths() -> None:
    """docs/provisions.md: a row for each of P1..P38, and every module path it names exists."""
    text = PROVISIONS.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (P\d+) \|", text, re.MULTILINE)
    assert rows == [f"P{n}" for n in range(1, 39)]
    paths = [p for p in re.findall(r"`([^`\s]+)`", text) if "/" in p or p.endswith(".py")]
    assert len(paths) > 20
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert missing == []


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

