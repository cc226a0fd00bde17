"""Issue 10, item 4: limits under attack: what a document may ask for (depth, aliases in fragments too, cost),
production mode (no introspection but `_service`, no suggestions), rate limits (429, Retry-After), and the pinned
strawberry. Real servers over real HTTP: the session's (default limits) and two of this module's own."""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
import websockets
from graphql import parse, validate
from packaging.version import Version
from psycopg.conninfo import make_conninfo

from backend.api import complexity
from backend.api.complexity import Limits, create_rule
from backend.api.schema import schema
from backend.domain.access import Role
from backend.domain.errors import ERROR_CODES
from tests.harness import ROOT, Client, Server, server_env, token

OPERATIONS = ROOT / "frontend-spec" / "operations"
TASK_FIELDS = "id communityCode title fromDepartment basis dutyItemCode status delegatedAt version dutyListVersion"


def test_strawberry_is_past_the_alias_limiter_fix() -> None:
    """CVE-2026-47707: strawberry before 0.315.7 did not count aliases inside fragments; pyproject pins past it."""
    assert Version(version("strawberry-graphql")) >= Version("0.315.7")
    assert "strawberry-graphql>=0.341" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_the_new_codes_are_documented() -> None:
    assert {"QUERY_TOO_COMPLEX", "RATE_LIMITED"} <= set(ERROR_CODES)
    assert complexity.CODE == "QUERY_TOO_COMPLEX"


def measured(document: str, limits: Limits) -> list[dict]:
    errors = validate(schema._schema, parse(document), [create_rule(limits)])
    return [e.extensions or {} for e in errors]


def test_every_persisted_operation_is_within_the_default_limits() -> None:
    for path in sorted(OPERATIONS.glob("*.graphql")):
        assert measured(path.read_text(encoding="utf-8"), Limits()) == [], path.name


def test_depth_is_counted_below_the_root_fields_as_strawberry_counts_it() -> None:
    document = "{ tasks { edges { node { id } } } }"  # node's fields are 3 levels below `tasks`
    assert measured(document, Limits(max_depth=3)) == []
    assert [e["limit"] for e in measured(document, Limits(max_depth=2))] == ["depth"]
    via_fragment = "{ ...Q } fragment Q on Query { tasks { ...C } } fragment C on TaskConnection { edges { node { id } } }"
    assert [e["limit"] for e in measured(via_fragment, Limits(max_depth=2))] == ["depth"]


def test_cost_multiplies_by_the_page_size() -> None:
    one = f"{{ tasks(first: 1) {{ edges {{ node {{ {TASK_FIELDS} }} }} }} }}"
    fifty = one.replace("first: 1", "first: 50")
    by_variable = one.replace("tasks(first: 1)", "tasks(first: $n)").replace("{", "query($n: Int) {", 1)
    cost = {name: measured(doc, Limits(max_cost=0))[0]["found"]
            for name, doc in (("one", one), ("fifty", fifty), ("variable", by_variable))}
    assert cost["one"] == 1 + 1 * (1 + 1 + 10)
    assert cost["fifty"] == 1 + 50 * 12
    assert cost["variable"] == 1 + 200 * 12  # a variable is taken at the page size limit
    default = one.replace("(first: 1)", "")
    assert measured(default, Limits(max_cost=0))[0]["found"] == cost["fifty"]  # `first`'s default is 50


def test_a_fragment_spread_everywhere_is_measured_once() -> None:
    """Fragments spreading the next one twice, 30 deep: 2**30 spreads in ~600 tokens; measured in milliseconds."""
    n = 30
    fragments = "\n".join(f"fragment F{i} on Query {{ __typename ...F{i + 1} ...F{i + 1} }}" for i in range(n))
    document = f"query {{ ...F0 }}\n{fragments}\nfragment F{n} on Query {{ a: __typename }}"
    started = time.monotonic()
    errors = measured(document, Limits())
    assert time.monotonic() - started < 0.5
    assert {"limit": "aliases", "found": 2**n, "allowed": 30}.items() <= errors[0].items()


async def test_fragments_that_multiply_are_refused_at_once(gql: Client) -> None:
    n = 40
    fragments = "\n".join(f"fragment F{i} on Query {{ tasks {{ totalCount }} ...F{i + 1} ...F{i + 1} }}"
                          for i in range(n))
    started = time.monotonic()
    response = await gql.raw(f"query {{ ...F0 }}\n{fragments}\nfragment F{n} on Query {{ __typename }}",
                             tok=token(Role.ADMIN, ""))
    assert time.monotonic() - started < 2
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_aliases_spread_over_fragments_beyond_the_limit_are_refused(gql: Client) -> None:
    tok = token(Role.ADMIN, "")
    fragments = [f"fragment F{i} on Query {{ " + " ".join(f"a{i}_{j}: __typename" for j in range(8)) + " }"
                 for i in range(4)]  # 32 aliases, none in the operation itself
    document = "query { ...F0 ...F1 ...F2 ...F3 }\n" + "\n".join(fragments)
    response = await gql.raw(document, tok=tok)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and error["extensions"]["limit"] == "aliases"
    within = "query { ...F0 ...F1 ...F2 }\n" + "\n".join(fragments[:3])  # 24 aliases
    assert (await gql.raw(within, tok=tok)).status_code == 200
    twice = "query { ...F0 ...F0 ...F1 ...F1 }\n" + "\n".join(fragments[:2])  # 16 aliases spread twice each
    assert (await gql.raw(twice, tok=tok)).json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_a_document_over_its_cost_is_refused_before_it_runs(gql: Client) -> None:
    tok = token(Role.ADMIN, "")
    pages = " ".join(f"p{i}: tasks(first: 200) {{ edges {{ node {{ {TASK_FIELDS} }} }} }}" for i in range(21))
    response = await gql.raw(f"{{ {pages} }}", tok=tok)  # 21 x (1 + 200 x 12) = 50,421
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["extensions"] | {"found": 0} == {"code": "QUERY_TOO_COMPLEX", "limit": "cost",
                                                             "found": 0, "allowed": 50_000}
    fewer = " ".join(f"p{i}: tasks(first: 200) {{ edges {{ node {{ id }} }} }}" for i in range(20))
    assert (await gql.raw(f"{{ {fewer} }}", tok=tok)).status_code == 200


async def test_a_batch_is_refused(gql: Client) -> None:
    response = await gql.http.post(gql.url, json=[{"query": "{ __typename }"}] * 50)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_introspection_and_suggestions_answer_outside_production(gql: Client) -> None:
    response = await gql.raw("{ __schema { queryType { name } } }")
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    error = await gql.error("{ taks { totalCount } }", tok=token(Role.ADMIN, ""))
    assert "Did you mean" in error["message"]


# -- servers of this module's own -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def own_database(direct_url: str) -> Iterator[Callable[[], str]]:
    """A database of this module's own servers (each server projects its own log)."""
    import psycopg
    names: list[str] = []

    def make() -> str:
        name = f"gongzhi_limits_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(direct_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        return make_conninfo(direct_url, dbname=name)

    yield make
    with psycopg.connect(direct_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def own_server(data_dir: Path, url: str, **env: str) -> Server:
    folder = data_dir / f"limits-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    settings = server_env(folder, url)
    settings.update(env)
    return Server(settings).start()


@pytest.fixture(scope="module")
def production(data_dir: Path, own_database: Callable[[], str]) -> Iterator[Server]:
    server = own_server(data_dir, own_database(), GONGZHI_ENV="production", GONGZHI_MAX_QUERY_DEPTH="2",
                        GONGZHI_RATE_LIMIT_ACTOR="off", GONGZHI_RATE_LIMIT_ADDRESS="off")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def limited(data_dir: Path, own_database: Callable[[], str]) -> Iterator[Server]:
    server = own_server(data_dir, own_database(), GONGZHI_RATE_LIMIT_ACTOR="3/minute",
                        GONGZHI_RATE_LIMIT_ADDRESS="8/minute")
    yield server
    server.stop()


@pytest.fixture
async def client(request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    server: Server = request.getfixturevalue(request.param)
    c = Client(server.url)
    yield c
    await c.close()


def test_production_prints_no_token_at_start(production: Server) -> None:
    """The development server prints sample tokens signed with its secret; a production one, none (its log is kept)."""
    printed = (Path(production.env["GONGZHI_DATA_DIR"]) / f"server-{production.port}.log").read_text()
    assert "GraphQL: http://" in printed and "not printed in production" in printed
    assert "Bearer" not in printed and "eyJ" not in printed  # a JWT's header starts eyJ


@pytest.mark.parametrize("client", ["production"], indirect=True)
async def test_production_refuses_introspection_but_answers_the_gateway(client: Client) -> None:
    admin = token(Role.ADMIN, "")
    for document in ("{ __schema { queryType { name } } }", '{ __type(name: "Task") { name } }',
                     "query { ...F } fragment F on Query { __schema { types { name } } }"):
        response = await client.raw(document, tok=admin)
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert "introspection" in response.json()["errors"][0]["message"]
    service = await client.call("{ _service { sdl } __typename }")
    assert "type Query" in service["_service"]["sdl"] and service["__typename"] == "Query"
    entities = await client.call('{ _entities(representations: [{__typename: "Community", code: "320102001001"}])'
                                 " { __typename } }", tok=admin)
    assert entities["_entities"] == [None]


@pytest.mark.parametrize("client", ["production"], indirect=True)
async def test_production_makes_no_suggestions(client: Client) -> None:
    admin = token(Role.ADMIN, "")
    for document in ("{ taks { totalCount } }", "{ tasks(firts: 1) { totalCount } }",
                     "{ tasks(status: DELEGATE) { totalCount } }", "{ tasks { totalCont } }"):
        response = await client.raw(document, tok=admin)
        error = response.json()["errors"][0]
        assert response.status_code == 400 and error["extensions"]["code"] == "INVALID_INPUT", response.text
        assert "Did you mean" not in response.text, response.text
    response = await client.raw("query($s: TaskStatus) { tasks(status: $s) { totalCount } }", {"s": "DELEGATE"},
                                tok=admin)
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "Did you mean" not in response.text, response.text


@pytest.mark.parametrize("client", ["production"], indirect=True)
async def test_the_depth_limit_is_a_setting(client: Client) -> None:
    """GONGZHI_MAX_QUERY_DEPTH=2 here."""
    admin = token(Role.ADMIN, "")
    response = await client.raw("{ tasks { edges { node { id } } } }", tok=admin)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"] | {"found": 3} == {
        "code": "QUERY_TOO_COMPLEX", "limit": "depth", "found": 3, "allowed": 2}
    assert (await client.raw("{ tasks { edges { cursor } } }", tok=admin)).status_code == 200


@pytest.mark.parametrize("client", ["limited"], indirect=True)
async def test_rate_limits_per_actor_and_per_address(client: Client, limited: Server) -> None:
    """GONGZHI_RATE_LIMIT_ACTOR=3/minute, GONGZHI_RATE_LIMIT_ADDRESS=8/minute here."""
    base = limited.url.removesuffix("/graphql")
    async with httpx.AsyncClient() as http:  # the health endpoints are never counted
        assert all(r.status_code == 200 for r in await asyncio.gather(
            *(http.get(f"{base}/healthz") for _ in range(10)), *(http.get(f"{base}/readyz") for _ in range(10))))
    one, other = token(Role.ADMIN, "", actor="flooder"), token(Role.ADMIN, "", actor="neighbour")
    for _ in range(3):
        assert (await client.call("{ me { id } }", tok=one))["me"]["id"] == "flooder"
    response = await client.raw("{ me { id } }", tok=one)
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "RATE_LIMITED", "limit": "actor",
                                   "retryAfter": int(response.headers["Retry-After"])}
    assert response.json()["data"] is None
    # another actor from the same address still gets through, until the address's limit (8: 4 counted so far)
    assert (await client.call("{ me { id } }", tok=other))["me"]["id"] == "neighbour"
    codes = [(r.status_code, r.json()["errors"][0]["extensions"] if r.status_code == 429 else None)
             for r in [await client.raw("{ __typename }") for _ in range(4)]]
    assert [status for status, _ in codes] == [200, 200, 200, 429], codes
    assert codes[-1][1]["limit"] == "address"
    # a websocket attempt counts, and is denied with the same answer
    with pytest.raises(websockets.InvalidStatus) as denied:
        async with websockets.connect(limited.url.replace("http://", "ws://"), subprotocols=["graphql-transport-ws"]):
            pass
    assert denied.value.response.status_code == 429
    assert denied.value.response.headers["Retry-After"]
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{base}/healthz")).status_code == 200
