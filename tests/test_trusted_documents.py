"""Trusted documents (issue 8, 3c): a request names a persisted document (frontend-spec/operations/) by
`extensions.persistedQuery.sha256Hash` or `documentId: "sha256:<hex>"`, over HTTP POST and GET and in a
websocket subscribe; GONGZHI_TRUSTED_DOCUMENTS off, allow and only decide what else runs. One server per
mode, over real HTTP."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from backend.api.documents import MANIFEST, OPERATIONS, PersistedDocuments, document_id
from backend.domain.access import Role
from backend.domain.errors import InvalidInput, PersistedQueryNotFound
from tests.harness import Server, district, server_env, token

MODES = ("off", "allow", "only")
ME = (OPERATIONS / "Me.graphql").read_text(encoding="utf-8")
ME_ID = document_id(ME)
UNKNOWN_ID = document_id("query Unknown { me { id } }")
RAW = "{ me { role } }"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, database_url: str | None, data_dir: Path) -> Iterator[dict]:
    """A server per mode, on the session's database: the first makes the tables, the others start side by side.
    Each with a small command pool: these requests are few, and the database's connections are shared."""
    started = {mode: Server(server_env(data_dir, database_url) | {"GONGZHI_TRUSTED_DOCUMENTS": mode,
                                                                  "GONGZHI_POOL_SIZE": "2"})
               for mode in MODES}
    first, *others = started.values()
    first.start()
    with ThreadPoolExecutor(len(others)) as pool:
        list(pool.map(Server.start, others))
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def bearer(role: Role, scope: str = "320102") -> dict[str, str]:
    """A token of `role` in `scope` (an administrator's for the whole province)."""
    return {"Authorization": f"Bearer {token(role, '' if role is Role.ADMIN else scope)}"}


def apollo(sha: str) -> dict[str, Any]:
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}


def proposal(sha: str) -> dict[str, Any]:
    return {"documentId": f"sha256:{sha}"}


def code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def post(http: httpx.AsyncClient, server: Server, body: dict, role: Role = Role.COMMITTEE) -> httpx.Response:
    return await http.post(server.url, json=body, headers=bearer(role))


async def get(http: httpx.AsyncClient, server: Server, params: dict, role: Role = Role.COMMITTEE) -> httpx.Response:
    params = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return await http.get(server.url, params=params, headers=bearer(role) | {"Accept": "application/json"})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("form", [apollo, proposal], ids=["apollo", "documentId"])
async def test_a_persisted_document_runs_by_its_id_over_post_and_get_in_every_mode(
        servers: dict, http: httpx.AsyncClient, mode: str, form: Any) -> None:
    for response in (await post(http, servers[mode], form(ME_ID)), await get(http, servers[mode], form(ME_ID))):
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"me": {"id": response.json()["data"]["me"]["id"], "role": "COMMITTEE",
                                                   "scope": "320102"}}}
    upper = await post(http, servers[mode], form(ME_ID.upper()))  # hex is hex, in either case
    assert upper.status_code == 200 and upper.json()["data"]["me"]["role"] == "COMMITTEE"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("form", [apollo, proposal], ids=["apollo", "documentId"])
async def test_an_unknown_id_is_persisted_query_not_found_in_every_mode(
        servers: dict, http: httpx.AsyncClient, mode: str, form: Any) -> None:
    for response in (await post(http, servers[mode], form(UNKNOWN_ID)), await get(http, servers[mode],
                                                                                    form(UNKNOWN_ID))):
        assert response.status_code == 400 and code(response) == "PERSISTED_QUERY_NOT_FOUND", response.text
        assert response.json()["data"] is None


@pytest.mark.parametrize("mode", ["off", "allow"])
async def test_a_raw_document_runs_in_off_and_allow(servers: dict, http: httpx.AsyncClient, mode: str) -> None:
    for response in (await post(http, servers[mode], {"query": RAW}), await get(http, servers[mode], {"query": RAW})):
        assert response.status_code == 200 and response.json() == {"data": {"me": {"role": "COMMITTEE"}}}
    anonymous = await http.post(servers[mode].url, json={"query": "{ __typename }"})  # GraphiQL, a gateway: as before
    assert anonymous.json() == {"data": {"__typename": "Query"}}


async def test_only_refuses_a_raw_document_unless_an_admin_sends_it(servers: dict, http: httpx.AsyncClient) -> None:
    only = servers["only"]
    for role in (Role.COMMITTEE, Role.AUDITOR, Role.STREET_OFFICE):
        for response in (await post(http, only, {"query": RAW}, role), await get(http, only, {"query": RAW}, role)):
            assert response.status_code == 400 and code(response) == "PERSISTED_QUERY_REQUIRED", response.text
    anonymous = await http.post(only.url, json={"query": "{ __typename }"})
    assert anonymous.status_code == 400 and code(anonymous) == "PERSISTED_QUERY_REQUIRED"
    admin = await post(http, only, {"query": RAW}, Role.ADMIN)
    assert admin.status_code == 200 and admin.json() == {"data": {"me": {"role": "ADMIN"}}}
    forged = await http.post(only.url, json={"query": RAW}, headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401 and code(forged) == "UNAUTHENTICATED"


async def test_only_runs_a_persisted_document_sent_with_its_text(servers: dict, http: httpx.AsyncClient) -> None:
    """Apollo's client sends the text beside the id after a miss: a persisted one runs, another is still raw."""
    response = await post(http, servers["only"], {"query": ME} | apollo(ME_ID))
    assert response.status_code == 200 and response.json()["data"]["me"]["role"] == "COMMITTEE"
    raw = await post(http, servers["only"], {"query": RAW} | proposal(document_id(RAW)))
    assert raw.status_code == 400 and code(raw) == "PERSISTED_QUERY_REQUIRED"
    allowed = await post(http, servers["allow"], {"query": RAW} | proposal(document_id(RAW)))
    assert allowed.status_code == 200 and allowed.json() == {"data": {"me": {"role": "COMMITTEE"}}}


@pytest.mark.parametrize("mode", MODES)
async def test_a_wrong_hash_is_invalid_input(servers: dict, http: httpx.AsyncClient, mode: str) -> None:
    server = servers[mode]
    wrong = [
        {"query": ME} | apollo(UNKNOWN_ID),  # a text whose SHA-256 is not the id beside it
        {"query": ME} | proposal(UNKNOWN_ID),
        proposal(ME_ID[:-1]),  # 63 digits
        {"documentId": ME_ID},  # no "sha256:"
        {"documentId": f"md5:{ME_ID}"},
        apollo("g" * 64),
        {"extensions": {"persistedQuery": {"version": 1}}},
        {"extensions": {"persistedQuery": "x"}},
        {"documentId": 7},
        apollo(ME_ID) | proposal(UNKNOWN_ID),  # two ids that differ
    ]
    for body in wrong:
        response = await post(http, server, body)
        assert response.status_code == 400 and code(response) == "INVALID_INPUT", (body, response.text)
    response = await get(http, server, {"documentId": "sha256:zz"})
    assert response.status_code == 400 and code(response) == "INVALID_INPUT"


async def test_only_runs_the_apps_mutation_by_id_and_refuses_it_raw(servers: dict, http: httpx.AsyncClient) -> None:
    only = servers["only"]
    code_ = f"{district()}001001"
    admin = await post(http, only, {"query": "mutation($i: RegisterCommunityInput!) { registerCommunity(input: $i)"
                                             " { community { code } } }",
                                    "variables": {"i": {"code": code_, "name": "可信社区", "kind": "URBAN"}}}, Role.ADMIN)
    assert admin.status_code == 200 and "errors" not in admin.json(), admin.text
    body = (OPERATIONS / "BurdenReport.graphql").read_text(encoding="utf-8")
    by_id = await http.post(only.url, json=proposal(document_id(body)) | {"variables": {"scope": code_}},
                            headers=bearer(Role.STREET_OFFICE, code_[:9]))
    assert by_id.status_code == 200 and by_id.json()["data"]["burdenReport"]["tasksDelegated"] == 0, by_id.text
    mutation = (OPERATIONS / "FileOrganization.graphql").read_text(encoding="utf-8")
    variables = {"name": "可信文档志愿队", "category": "OTHER", "communityCode": code_}
    raw = await http.post(only.url, json={"query": mutation.replace("FileOrganization", "Again"), "variables": variables},
                          headers=bearer(Role.COMMITTEE, code_))
    assert raw.status_code == 400 and code(raw) == "PERSISTED_QUERY_REQUIRED"
    filed = await http.post(only.url, json=apollo(document_id(mutation)) | {"variables": variables},
                            headers=bearer(Role.COMMITTEE, code_))
    assert filed.status_code == 200, filed.text
    assert filed.json()["data"]["registerOrganization"]["organization"]["status"] == "FILED"
    over_get = await get(http, only, apollo(document_id(mutation)) | {"variables": variables})
    assert over_get.status_code == 400 and code(over_get) == "INVALID_INPUT"  # a mutation is never sent by GET


async def subscribe(server: Server, payload: dict, role: Role = Role.AUDITOR, scope: str = "320102") -> dict:
    """The first message a subscribe with `payload` answers (a `next` or an `error`)."""
    async with websockets.connect(server.url.replace("http://", "ws://"), subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token(role, scope)}"}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if message["type"] != "ping":
                return message


@pytest.mark.parametrize("mode", MODES)
async def test_a_subscription_runs_by_its_id_and_only_refuses_one_raw(servers: dict, http: httpx.AsyncClient,
                                                                      mode: str) -> None:
    server, scope = servers[mode], district()
    created = await post(http, server, {"query": "mutation($i: RegisterCommunityInput!) { registerCommunity(input: $i)"
                                                 " { receipt { position } } }",
                                        "variables": {"i": {"code": f"{scope}001001", "name": "订阅社区",
                                                            "kind": "RURAL"}}}, Role.ADMIN)
    assert "errors" not in created.json(), created.text
    live = (OPERATIONS / "LiveEvents.graphql").read_text(encoding="utf-8")
    variables = {"scope": scope, "types": ["CommunityRegistered"]}
    for ids in (apollo(document_id(live)), proposal(document_id(live))):
        message = await subscribe(server, ids | {"variables": variables}, scope=scope)
        assert message["type"] == "next", message
        assert message["payload"]["data"]["events"]["communityCode"] == f"{scope}001001"
    unknown = await subscribe(server, proposal(UNKNOWN_ID) | {"variables": variables}, scope=scope)
    assert unknown["type"] == "error" and unknown["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    wrong = await subscribe(server, {"query": live} | proposal(UNKNOWN_ID), scope=scope)
    assert wrong["type"] == "error" and wrong["payload"][0]["extensions"]["code"] == "INVALID_INPUT"
    raw = await subscribe(server, {"query": live, "variables": variables}, scope=scope)
    if mode == "only":
        assert raw["type"] == "error" and raw["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
        admin = await subscribe(server, {"query": live, "variables": variables}, Role.ADMIN, "")
        assert admin["type"] == "next", admin
    else:
        assert raw["type"] == "next", raw


async def test_the_older_graphql_ws_protocol_keeps_the_rule_too(servers: dict, http: httpx.AsyncClient) -> None:
    """A client on the older `graphql-ws` subprotocol cannot slip a raw document past `only`."""
    live = (OPERATIONS / "LiveEvents.graphql").read_text(encoding="utf-8")
    scope = district()
    variables = {"scope": scope, "types": ["CommunityRegistered"]}
    created = await post(http, servers["only"], {"query": "mutation($i: RegisterCommunityInput!) { registerCommunity("
                                                          "input: $i) { receipt { position } } }",
                                                 "variables": {"i": {"code": f"{scope}001001", "name": "旧协议社区",
                                                                     "kind": "URBAN"}}}, Role.ADMIN)
    assert "errors" not in created.json(), created.text

    async def start(server: Server, payload: dict) -> dict:
        async with websockets.connect(server.url.replace("http://", "ws://"), subprotocols=["graphql-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": f"Bearer {token(Role.AUDITOR, scope)}"}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "start", "payload": payload | {"variables": variables}}))
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message["type"] != "ka":
                    return message

    raw = await start(servers["only"], {"query": live})
    assert raw["type"] == "error" and raw["payload"]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED", raw
    unknown = await start(servers["only"], proposal(UNKNOWN_ID))
    assert unknown["type"] == "error" and unknown["payload"]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    by_id = await start(servers["only"], apollo(document_id(live)) | {"variables": variables})
    assert by_id["type"] == "data" and by_id["payload"]["data"]["events"]["communityCode"] == f"{scope}001001", by_id
    assert (await start(servers["off"], {"query": live}))["type"] == "data"


async def test_the_manifest_is_served_with_the_app(servers: dict, http: httpx.AsyncClient) -> None:
    for server in servers.values():
        response = await http.get(server.url.replace("/graphql", "/app/persisted-documents.json"))
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        assert response.content == MANIFEST.read_bytes()


def test_a_server_refuses_an_unknown_mode_at_start(data_dir: Path, database_url: str | None) -> None:
    server = Server(server_env(data_dir, database_url) | {"GONGZHI_TRUSTED_DOCUMENTS": "sometimes"})
    with pytest.raises(RuntimeError, match="server exited"):
        server.start(timeout=30)


@pytest.mark.parametrize("text", ["nonsense", "[]", "{}", '{"format": "apollo-persisted-query-manifest", "version": 1, '
                                  '"operations": [{"id": "x", "body": "query X { me { id } }"}]}'])
def test_a_broken_manifest_is_one_coded_error_at_start(tmp_path: Path, text: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match="run gongzhi operations manifest"):
        PersistedDocuments.load("off", path)


def test_without_a_manifest_only_cannot_start_and_the_others_run_no_persisted_document(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="needs the manifest"):
        PersistedDocuments.load("only", tmp_path / "absent.json")
    documents = PersistedDocuments.load("allow", tmp_path / "absent.json")
    with pytest.raises(PersistedQueryNotFound):
        documents.resolve(None, None, f"sha256:{ME_ID}", lambda: False)
    assert documents.resolve(RAW, None, None, lambda: False) == RAW
