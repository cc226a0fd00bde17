"""The execution shortcuts (backend/api/execution.py) give exactly what graphql-core gives:
the same data and the same errors, at the same paths, for regular and irregular values."""
from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from backend.api.execution import GongzhiExecutionContext


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Leaf(Named):
    name: str
    colour: Colour
    at: datetime
    note: str | None = None
    size: int = 1
    code: strawberry.ID = strawberry.ID("k")
    flag: bool = True


@strawberry.type
class Branch:
    title: str
    leaf: Leaf
    maybe: Leaf | None
    leaves: list[Leaf]
    named: list[Named]
    tags: list[str | None]
    strict: str  # set to None in one case below: a non-null violation

    @strawberry.field
    def shout(self, suffix: str = "!") -> str:
        return self.title.upper() + suffix


AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def leaf(name: str, colour: Any = Colour.RED) -> Leaf:
    return Leaf(name=name, colour=colour, at=AT)


def branches() -> list[Branch]:
    regular = Branch(title="a", leaf=leaf("x"), maybe=None, leaves=[leaf("y"), leaf("z", Colour.BLUE)],
                     named=[leaf("n")], tags=["t", None], strict="s")
    no_strict = Branch(title="b", leaf=leaf("x"), maybe=leaf("m"), leaves=[], named=[], tags=[], strict=None)
    bad_enum = Branch(title="c", leaf=leaf("x", "PURPLE"), maybe=None, leaves=[leaf("q")], named=[], tags=[],
                      strict="s")
    null_item = Branch(title="d", leaf=leaf("x"), maybe=None, leaves=[leaf("q"), None], named=[], tags=[],
                       strict="s")
    # values the types' own coercion converts (an int for an ID and a String, 0 for a Boolean) or refuses (an Int
    # beyond 32 bits)
    coerced = Branch(title=7, leaf=Leaf(name=8, colour=Colour.BLUE, at=AT, size=3, code=9, flag=0), maybe=None,
                     leaves=[], named=[], tags=[], strict="s")
    too_big = Branch(title="e", leaf=leaf("x"), maybe=None, leaves=[Leaf(name="w", colour=Colour.RED, at=AT, size=2**40)],
                     named=[], tags=[], strict="s")
    return [regular, no_strict, bad_enum, null_item, coerced, too_big]


@strawberry.type
class Query:
    @strawberry.field
    def branches(self) -> list[Branch | None]:
        return branches()


QUERIES = [
    "{ branches { title strict leaf { name colour at note } maybe { name } leaves { name colour } tags } }",
    "{ branches { title leaf { name size code flag } leaves { size code flag } } }",
    "{ branches { t: title l: leaf { n: name __typename } __typename } }",
    "{ branches { title shout(suffix: \"?\") leaves { name } } }",
    "{ branches { named { name ... on Leaf { colour } } } }",
    "query($with: Boolean!) { branches { title leaf @include(if: $with) { name } ...F } }"
    " fragment F on Branch { leaves { at } }",
]


def run(context_class: type, query: str) -> dict[str, Any]:
    schema = strawberry.Schema(query=Query, execution_context_class=context_class)
    result = schema.execute_sync(query, variable_values={"with": True})
    return {"data": result.data,
            "errors": sorted((e.message, tuple(e.path or ())) for e in result.errors or [])}


@pytest.mark.parametrize("query", QUERIES)
def test_same_data_and_errors_as_graphql_core(query: str) -> None:
    ours, theirs = run(GongzhiExecutionContext, query), run(StrawberryGraphQLCoreExecutionContext, query)
    assert ours == theirs
    assert ours["data"] is not None


def test_the_irregular_cases_are_errors_where_graphql_core_puts_them() -> None:
    result = run(GongzhiExecutionContext, QUERIES[0])
    paths = {path for _, path in result["errors"]}
    assert ("branches", 1, "strict") in paths  # a null in a non-null field
    assert ("branches", 2, "leaf", "colour") in paths  # a value the enum does not know
    assert ("branches", 3, "leaves", 1) in paths  # a null item in a list of non-null items
    assert result["data"]["branches"][0]["leaves"][1] == {"name": "z", "colour": "BLUE"}
    assert result["data"]["branches"][1] is None and result["data"]["branches"][2] is None
    coerced = run(GongzhiExecutionContext, QUERIES[1])
    assert coerced["data"]["branches"][4]["leaf"] == {"name": "8", "size": 3, "code": "9", "flag": False}
    assert ("branches", 5, "leaves", 0, "size") in {path for _, path in coerced["errors"]}  # beyond 32 bits


def test_build_schema_plain_uses_graphql_cores_own_execution() -> None:
    """GONGZHI_PLAIN_EXECUTION's schema runs strawberry's graphql-core execution, the default runs the shortcuts."""
    from backend.api.schema import build_schema
    assert build_schema().execution_context_class is GongzhiExecutionContext
    assert build_schema(plain=True).execution_context_class is not GongzhiExecutionContext


async def test_a_server_with_plain_execution_gives_the_same_answers(server, data_dir, database_url, gql) -> None:
    """A server started with GONGZHI_PLAIN_EXECUTION=1 (to try a newer graphql-core or strawberry before moving the
    pins in pyproject.toml) answers what the default server answers, on the same database."""
    from tests import ops
    from tests.harness import Client, Server, server_env
    c = await ops.community(gql)
    task = (await ops.delegate(gql, c))["task"]
    query = ("query($scope: String, $id: ID!) { tasks(scope: $scope) { totalCount edges { cursor node { id title status"
             " basis dueAt version communityCode } } pageInfo { hasNextPage endCursor } } task(id: $id) { id title } }")
    plain = Server(server_env(data_dir, database_url) | {"GONGZHI_PLAIN_EXECUTION": "1", "GONGZHI_POOL_SIZE": "2"})
    plain.start()
    try:
        variables = {"scope": c.code, "id": task["id"]}
        expected = await gql.call(query, variables, c.auditor)
        got = await Client(plain.url).call(query, variables, c.auditor)
    finally:
        plain.stop()
    assert got == expected and expected["tasks"]["totalCount"] == 1


def test_plans_are_shared_by_executions_of_one_document_only_without_directives() -> None:
    """Executions of one parsed document (the server's parse cache hands out one per text) share its plans; a
    document with directives is planned per execution, since @include and @skip depend on the variables."""
    from backend.api.execution import SHARED_PLANS
    from backend.api.schema import DocumentCache
    ours = strawberry.Schema(query=Query, execution_context_class=GongzhiExecutionContext, extensions=[DocumentCache])
    theirs = strawberry.Schema(query=Query)
    plain = "{ branches { title leaves { name colour } } }"
    toggled = "query($with: Boolean!) { branches { title leaf @include(if: $with) { name } leaves { name } } }"
    before = len(SHARED_PLANS)
    for query, variables in [(plain, {}), (plain, {}), (toggled, {"with": True}), (toggled, {"with": False}),
                             (toggled, {"with": True})]:
        got, expected = ours.execute_sync(query, variables), theirs.execute_sync(query, variables)
        assert got.data == expected.data and got.data is not None
        assert [e.path for e in got.errors or []] == [e.path for e in expected.errors or []]
    assert len(SHARED_PLANS) == before + 1  # the plain document's operation; the toggled one keeps none


async def test_subscription_frames_are_text_frames(server) -> None:
    """The websocket's messages are text frames: browsers' graphql-ws clients read no binary ones (HTTP bodies are
    orjson's bytes as they are)."""
    import websockets
    url = server.url.replace("http://", "ws://")
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send('{"type": "connection_init", "payload": {}}')
        frame = await ws.recv()
    assert isinstance(frame, str) and '"connection_ack"' in frame
