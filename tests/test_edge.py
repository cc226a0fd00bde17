"""The HTTP and websocket edge holds (issue 7, items 2, 7, 8, 9, 11, 13, 16): a real server, real HTTP
and websockets; the memory bound measured on the server's own processes."""
from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import jwt
import psutil
import pytest
import websockets
from psycopg.conninfo import conninfo_to_dict

from backend.domain.access import Role
from tests import ops
from tests.harness import SECRET, Client, Server, connect, district, server_env, token

SUBSCRIBE = "subscription($a: Position) { events(after: $a) { position type } }"
CAP = 3  # the edge server's GONGZHI_MAX_SUBSCRIPTIONS_PER_CONNECTION
ORIGIN = "https://app.example.gov.cn"


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory: pytest.TempPathFactory, database_url: str | None, server: Server) -> Iterator[Server]:
    """A server of its own (so its memory is this module's), with CORS for one origin and a small subscription cap.
    On the embedded default it shares the session server's data folder, hence its PostgreSQL."""
    data_dir = Path(server.env["GONGZHI_DATA_DIR"]) if database_url is None else tmp_path_factory.mktemp("edge")
    env = server_env(data_dir, database_url)
    env.update(GONGZHI_CORS_ORIGINS=f"{ORIGIN}, https://other.example",
               GONGZHI_MAX_SUBSCRIPTIONS_PER_CONNECTION=str(CAP))
    edge = Server(env).start()
    yield edge
    edge.stop()


def server_rss(server: Server) -> int:
    """The resident memory of the server's own processes (the process and any Python child; not PostgreSQL's)."""
    root = psutil.Process(server.process.pid)
    processes = [root] + [p for p in root.children(recursive=True) if "postgres" not in p.name()]
    return sum(p.memory_info().rss for p in processes)


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


# -- item 2: memory without a token -------------------------------------------------------------
async def test_big_documents_leave_the_server_memory_bounded(edge_server: Server) -> None:
    """Twenty different ~1 MB documents without a token, then twenty long ones with a token: the
    server's memory stays where it was (it grew by ~1.2 GB when each was parsed and cached)."""
    admin = token(Role.ADMIN, "")
    async with httpx.AsyncClient(timeout=60) as http:
        for _ in range(3):
            assert (await http.post(edge_server.url, json={"query": "{ __typename }"})).status_code == 200
        before = server_rss(edge_server)
        for n in range(20):
            document = "{ " + f"n{n}: __typename " + "__typename " * (85_000 + n) + "}"
            response = await http.post(edge_server.url, json={"query": document})
            assert response.status_code == 401 and codes(response.json()) == ["UNAUTHENTICATED"]
        for n in range(20):
            document = "{ " + f"n{n}: __typename " + "__typename " * (4_000 + n) + "}"
            response = await http.post(edge_server.url, json={"query": document},
                                       headers={"Authorization": f"Bearer {admin}"})
            assert response.status_code < 500
        grown = server_rss(edge_server) - before
    assert grown < 80 * 2**20, f"the server grew by {grown / 2**20:.0f} MB"


async def test_a_body_over_the_limit_is_413_with_or_without_content_length(server: Server) -> None:
    big = json.dumps({"query": "{ __typename " + " " * (2 * 2**20) + "}"}).encode()

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the server counts as it reads
        for start in range(0, len(big), 64 * 1024):
            yield big[start:start + 64 * 1024]

    async with httpx.AsyncClient(timeout=30) as http:
        for content in (big, chunks()):
            response = await http.post(server.url, content=content, headers={"content-type": "application/json"})
            assert response.status_code == 413 and codes(response.json()) == ["INVALID_INPUT"]
        near = json.dumps({"query": "{ __typename " + " " * 900_000 + "}"})
        headers = {"content-type": "application/json", "Authorization": f"Bearer {token(Role.ADMIN, '')}"}
        assert (await http.post(server.url, content=near, headers=headers)).json() == {"data": {"__typename": "Query"}}


async def test_a_document_over_the_token_limit_is_invalid_input(gql: Client) -> None:
    long = "{ " + "__typename " * 6_000 + "}"  # 60 kB: under the body limit, over 5,000 tokens
    response = await gql.raw(long, tok=token(Role.ADMIN, ""))
    assert response.status_code == 400 and codes(response.json()) == ["INVALID_INPUT"]
    assert "tokens" in response.json()["errors"][0]["message"]
    anonymous = await gql.raw(long)  # without a token it is not even parsed
    assert anonymous.status_code == 401 and codes(anonymous.json()) == ["UNAUTHENTICATED"]
    bad_token = await gql.raw("{ __typename }", tok="not.a.jwt")  # a token is checked before the document
    assert bad_token.status_code == 401 and codes(bad_token.json()) == ["UNAUTHENTICATED"]
    assert (await gql.call("{ __schema { queryType { name } } }"))["__schema"]["queryType"]["name"] == "Query"


# -- item 7: a database outage is UNAVAILABLE --------------------------------------------------
async def test_a_database_outage_is_unavailable_and_the_server_recovers(fresh_url: str, direct_url: str,
                                                                        tmp_path: Path) -> None:
    name = conninfo_to_dict(fresh_url)["dbname"]
    own = Server(server_env(tmp_path, fresh_url) | {"GONGZHI_SECRET": SECRET}).start()
    client = Client(own.url)
    admin = token(Role.ADMIN, "")
    read = "{ communities { totalCount } }"
    register = {"input": {"code": f"{district()}001001", "name": "停电社区", "kind": "URBAN"}}
    admin_conn = await connect(direct_url)
    try:
        assert (await client.call(read, tok=admin))["communities"]["totalCount"] == 0
        await admin_conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin_conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
        for document, variables in ((read, None), (ops.REGISTER, register)):
            response = await client.raw(document, variables, admin)
            assert response.status_code == 503, response.text
            assert codes(response.json()) == ["UNAVAILABLE"]
        await admin_conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        deadline = time.monotonic() + 30
        while True:  # the pools connect again: the server answers again
            response = await client.raw(ops.REGISTER, register, admin)
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert response.json()["data"]["registerCommunity"]["receipt"]["version"] == 1, response.text
        assert (await client.call(read, tok=admin))["communities"]["totalCount"] >= 0
    finally:
        await admin_conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin_conn.close()
        await client.close()
        own.stop()


# -- item 8: every claim, with its type ------------------------------------------------------
@pytest.mark.parametrize("change", [
    {"scope": None}, {"sub": None}, {"role": None}, {"iat": None}, {"exp": None},
    {"exp": "EXP"}, {"iat": True}, {"sub": 7}, {"scope": 320102}, {"role": "KING"}])
async def test_a_token_needs_every_claim_with_its_type(gql: Client, change: dict) -> None:
    now = int(time.time())
    claims = {"sub": "x", "role": "ADMIN", "scope": "", "iat": now, "exp": now + 600}
    for key, value in change.items():
        if value is None:
            del claims[key]
        else:
            claims[key] = str(now + 600) if value == "EXP" else value
    forged = jwt.encode(claims, SECRET, algorithm="HS256")
    assert await gql.code("{ me { id scope } }", tok=forged) == "UNAUTHENTICATED"


# -- item 9: crafted requests are 400 / INVALID_INPUT, never 500 --------------------------------
async def test_crafted_bodies_and_headers_are_invalid_input(gql: Client) -> None:
    for body in (b"null", b'"{ __typename }"', b"3", b"[1]", b"true", b"{not json"):
        response = await gql.http.post(gql.url, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400 and codes(response.json()) == ["INVALID_INPUT"], body
    for value in (b"\xb2", b"\xd9\xa3", b"9" * 5000, b"-1", str(2**63).encode(), b"1e3", b""):
        response = await gql.http.post(gql.url, json={"query": "{ __typename }"},
                                       headers=[(b"X-Consistent-After", value)])
        assert response.status_code == 400 and codes(response.json()) == ["INVALID_INPUT"], value
    response = await gql.raw("{ __typename }", headers={"X-Consistent-After": "0"})
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_cursor_past_64_bits_is_invalid_input(gql: Client) -> None:
    tok = token(Role.ADMIN, "")
    for value in (str(2**64), "9" * 5000, "٣", "-1"):
        cursor = base64.urlsafe_b64encode(f"v1:{value}".encode()).decode()
        assert await gql.code("query($a: String) { tasks(after: $a) { totalCount } }", {"a": cursor},
                              tok) == "INVALID_INPUT", value


@pytest.mark.parametrize("with_token", [False, True])
async def test_malformed_entity_representations_are_invalid_input(gql: Client, with_token: bool) -> None:
    tok = token(Role.ADMIN, "") if with_token else None
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Community { code } } }"
    for representation in ({"__typename": "Nope", "code": "320102001001"}, {"code": "320102001001"},
                           {"__typename": "Community"}, {"__typename": "Community", "code": "1", "extra": 1},
                           {"__typename": "Community", "id": "1"}, {"__typename": "Task", "id": 7},
                           {"__typename": None}, "Community"):
        response = await gql.raw(query, {"r": [representation]}, tok)
        assert response.status_code < 500 and codes(response.json()) == ["INVALID_INPUT"], representation


# -- item 11: the websocket ------------------------------------------------------------------
async def ws_connect(server: Server, tok: str | None) -> websockets.ClientConnection:
    ws = await websockets.connect(server.url.replace("http://", "ws://"), subprotocols=["graphql-transport-ws"])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {tok}"} if tok else {}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    return ws


async def subscribe(ws: websockets.ClientConnection, id: str, query: str, variables: dict) -> None:
    await ws.send(json.dumps({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}))


async def reply(ws: websockets.ClientConnection) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] != "ping":
            return message


async def test_websocket_errors_carry_codes(edge_server: Server) -> None:
    cases = [(None, SUBSCRIBE, {"a": 0}, "UNAUTHENTICATED"),
             (token(Role.RESIDENT, ""), SUBSCRIBE, {"a": 0}, "FORBIDDEN"),
             (token(Role.AUDITOR, ""), SUBSCRIBE, {"a": 2**62}, "INVALID_INPUT"),  # beyond the log's head
             (token(Role.AUDITOR, ""), SUBSCRIBE, {"a": -1}, "INVALID_INPUT"),
             (token(Role.AUDITOR, ""), "subscription { events { nope } }", {}, "INVALID_INPUT")]
    for tok, query, variables, code in cases:
        ws = await ws_connect(edge_server, tok)
        try:
            await subscribe(ws, "1", query, variables)
            message = await reply(ws)
            assert message["type"] == "error" and message["id"] == "1", message
            assert [e["extensions"]["code"] for e in message["payload"]] == [code], message
        finally:
            await ws.close()


async def test_websocket_subscriptions_per_connection_are_capped(edge_server: Server) -> None:
    ws = await ws_connect(edge_server, token(Role.AUDITOR, ""))
    try:
        for n in range(CAP):
            await subscribe(ws, str(n), SUBSCRIBE, {"a": 0})
        await subscribe(ws, "over", SUBSCRIBE, {"a": 0})
        message = await reply(ws)
        while message.get("id") != "over":  # the others may be sending the log's events meanwhile
            message = await reply(ws)
        assert message["type"] == "error" and message["payload"][0]["extensions"]["code"] == "INVALID_INPUT", message
        await ws.send(json.dumps({"id": "0", "type": "complete"}))  # the connection stays, and has room again
        await subscribe(ws, "again", "subscription { events(after: 0, types: [\"NoSuchEvent\"]) { position } }", {})
        await ws.send(json.dumps({"type": "ping"}))
        message = await reply(ws)
        while message["type"] != "pong":
            assert message.get("id") != "again" or message["type"] == "next", message
            message = await reply(ws)
    finally:
        await ws.close()


# -- item 13: GraphiQL from the platform itself ----------------------------------------------
async def test_graphiql_is_served_from_the_platform(server: Server) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        page = await http.get(server.url, headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page.text), "an asset from another host"
        assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page.text)
        assert len(assets) >= 4
        for asset in assets:
            response = await http.get(httpx.URL(server.url).join(asset))
            assert response.status_code == 200 and len(response.content) > 1000, asset


# -- item 16: CORS ----------------------------------------------------------------------------
async def test_cors_for_configured_origins_only(edge_server: Server, server: Server) -> None:
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}
    async with httpx.AsyncClient(timeout=30) as http:
        allowed = await http.options(edge_server.url, headers={"Origin": ORIGIN, **preflight})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ORIGIN
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        posted = await http.post(edge_server.url, json={"query": "{ __typename }"}, headers={"Origin": ORIGIN})
        assert posted.headers["access-control-allow-origin"] == ORIGIN
        refused = await http.options(edge_server.url, headers={"Origin": "https://evil.example", **preflight})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
        default = await http.post(server.url, json={"query": "{ __typename }"}, headers={"Origin": ORIGIN})
        assert default.status_code == 200 and "access-control-allow-origin" not in default.headers
