"""Issue 10, item 4: the role x scope x operation matrix, generated from the served schema and the permission table.

Every root field of Query, Mutation and Subscription, and federation's `_entities`, is sent by every role with a
token scoped to community A (its community, street or district, as the role is scoped) naming community B of
another district: B's code as scope or community, B's entities by id (a task, a campaign, an agreement, a post, a
signboard, ...), B's log positions. A document is made for each field from the schema (its arguments by name and
type, a selection of every field three levels deep), so a new field is covered with nothing to add here; a
mutation that tests/test_access.py has valid inputs for is sent with those (so its refusal is by scope, not by
input). Then:

- no answer holds B's code or any of B's entity ids (no data from outside the token's scope);
- no answer is a 5xx; every error's code is documented (ERROR_CODES), none INTERNAL;
- every mutation with valid inputs is FORBIDDEN, and no attempt appended anything to the log;
- every subscription naming B's scope is refused with FORBIDDEN, and one in the token's own scope receives nothing
  of B's while B's events are appended.
"""
from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
import websockets
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
    parse,
)

from backend.api.schema import schema
from backend.domain.access import PERMISSIONS, Role
from backend.domain.errors import ERROR_CODES
from tests import ops
from tests.harness import Client, Server, connect, district, token
from tests.test_access import mutations as access_cases
from tests.test_access import place, scope_of  # noqa: F401 - `place` is the fixture this module's tests use

SERVED = schema._schema
CONCURRENCY = 12
SELECTION_DEPTH = 3
#: What a refused mutation with valid inputs answers to a token of another scope.
SCOPE_REFUSALS = {"FORBIDDEN"}


# -- documents made from the schema ----------------------------------------------------------------------------------
def selection(type_: GraphQLOutputType, depth: int = SELECTION_DEPTH, leave_out: frozenset[str] | set[str] = frozenset()
              ) -> str:
    """Every field of the type that takes no required argument, `depth` levels deep; pages of 5."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if isinstance(named, GraphQLUnionType):  # the members' fields of one name and different types are left out
        kinds: dict[str, set[str]] = {}
        for member in named.types:
            for name, field in member.fields.items():
                kinds.setdefault(name, set()).add(str(field.type))
        clash = {name for name, types in kinds.items() if len(types) > 1}
        return "{ __typename " + " ".join(f"... on {t.name} {selection(t, depth, clash)}" for t in named.types) + " }"
    assert isinstance(named, GraphQLObjectType)
    parts = ["__typename"]
    for name, field in named.fields.items():
        if name in leave_out:
            continue
        if any(is_non_null_type(a.type) and a.default_value is Undefined for a in field.args.values()):
            continue
        arguments = "(first: 5)" if "first" in field.args else ""
        if is_leaf_type(get_named_type(field.type)):
            parts.append(name + arguments)
        elif depth > 1:
            parts.append(f"{name}{arguments} {selection(field.type, depth - 1)}")
    return "{ " + " ".join(parts) + " }"


class Target:
    """Community B and its entities: what a token of A names, and must never be answered."""

    def __init__(self, code: str, ids: dict[str, str], positions: list[int]) -> None:
        self.code, self.ids, self.positions = code, ids, positions

    def entity(self, field: str, argument: str) -> str:
        """The id of the kind of entity an argument names (by its own name or its field's)."""
        for kind in ("campaign", "agreement", "post", "signboard", "organization", "task"):
            if kind in argument.lower() or kind in field.lower():
                return self.ids.get(kind, self.ids["task"])
        return self.ids["task"]

    @property
    def secrets(self) -> list[str]:
        return [self.code, *self.ids.values()]


def literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def value_for(name: str, type_: GraphQLInputType, field: str, target: Target) -> str:
    """A literal for an argument or input field, by its name first (B's scope, code, ids), else by its type."""
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    lowered = name.lower()
    if name in ("scope", "communityCode", "code"):
        return literal(target.code)
    if name in ("position", "from", "after") and get_named_type(inner).name in ("Position", "Int"):
        return str(target.positions[0])
    if isinstance(inner, GraphQLList):
        return "[" + value_for(name, inner.of_type, field, target) + "]"
    named = get_named_type(inner)
    if isinstance(named, GraphQLInputObjectType):
        fields = [f"{key}: {value_for(key, f.type, field, target)}" for key, f in named.fields.items()
                  if is_non_null_type(f.type) or key in ("communityCode", "scope")]
        return "{" + ", ".join(fields) + "}"
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    if "phone" in lowered:
        return literal("13800000000")
    if named.name == "ID" or lowered.endswith("id"):
        return literal(target.entity(field, name))
    return {"String": literal("矩阵"), "Int": "1", "Float": "1.0", "Boolean": "true",
            "DateTime": literal(ops.iso(timedelta(days=1))), "Date": literal("2026-12-01"),
            "Position": str(target.positions[0]), "JSON": literal("x")}.get(named.name, literal("x"))


def document(kind: str, name: str, field: GraphQLField, target: Target) -> str:
    arguments = [f"{arg}: {value_for(arg, a.type, name, target)}" for arg, a in field.args.items()
                 if (is_non_null_type(a.type) and a.default_value is Undefined) or arg in ("scope", "communityCode")]
    if "first" in field.args:
        arguments.append("first: 5")
    head = f"{name}({', '.join(arguments)})" if arguments else name
    return f"{kind} {{ {head} {selection(field.type)} }}"


def entities_document(target: Target) -> str:
    representations = ", ".join([f'{{__typename: "Community", code: {literal(target.code)}}}',
                                 f'{{__typename: "Task", id: {literal(target.ids["task"])}}}',
                                 f'{{__typename: "Organization", id: {literal(target.ids.get("organization", "x"))}}}'])
    return f"{{ _entities(representations: [{representations}]) {selection(SERVED.type_map['_Entity'])} }}"


def valid_mutations(place: dict) -> dict[str, tuple[str, dict]]:
    """tests/test_access.py's valid inputs, by the mutation field they send."""
    found: dict[str, tuple[str, dict]] = {}
    for query, variables in access_cases(place, 60).values():
        operation = parse(query).definitions[0]
        if getattr(operation, "operation", None) and operation.operation.value == "mutation":
            found.setdefault(operation.selection_set.selections[0].name.value, (query, variables))
    return found


def operations(place: dict, target: Target) -> list[tuple[str, str, dict]]:
    """(the field, its document, its variables): every root field of the served schema, and `_entities`."""
    valid = valid_mutations(place)
    found = [("_entities", entities_document(target), {})]
    for kind, root in (("query", SERVED.query_type), ("mutation", SERVED.mutation_type)):
        for name, field in root.fields.items():
            if name == "_entities":
                continue
            if kind == "mutation" and name in valid:
                found.append((name, *valid[name]))
            else:
                found.append((name, document(kind, name, field, target), {}))
    return found


# -- community B, and the tokens of A -------------------------------------------------------------------------------
def ids_in(value: Any, into: dict[str, str], kind: str = "entity") -> None:
    """Every id in an answer: under its kind (the key it was found under: `task`, `signboard`, ...) the first one,
    and each under `<kind>:<id>` (all of them are B's, never to be answered to A)."""
    if isinstance(value, dict):
        for key in ("id", "entityId"):
            if isinstance(value.get(key), str) and len(value[key]) >= 8:
                into.setdefault(kind, value[key])
                into[f"{kind}:{value[key]}"] = value[key]
        for key, inner in value.items():
            ids_in(inner, into, key.lower() if key not in ("receipt", "node", "edges") else kind)
    elif isinstance(value, list):
        for inner in value:
            ids_in(inner, into, kind)


@pytest.fixture(scope="module")
async def target(gql: Client, place: dict) -> Target:
    """Community B with something of every kind, made by roles of B's own scope through tests/test_access.py's
    inputs; its ids and positions gathered from the answers."""
    c = place["c"]
    ids: dict[str, str] = {"task": place["task"]["id"], "campaign": place["campaign"]["id"],
                           "agreement": place["agreement"]["id"], "post": place["post"]["id"]}
    positions = [place["position"]]
    for action, (query, variables) in access_cases(place, 61).items():
        allowed = sorted(PERMISSIONS[action] - {Role.ADMIN}, key=lambda r: r.value) or [Role.ADMIN]
        role = allowed[0]
        response = await gql.raw(query, variables, token(role, "" if role is Role.ADMIN else scope_of(role, c.code)))
        data = response.json().get("data") or {}
        ids_in(data, ids)
        receipt = next((r.get("receipt") for r in data.values() if isinstance(r, dict)), None)
        if isinstance(receipt, dict):
            positions.append(receipt["position"])
    return Target(c.code, ids, positions)


def tokens_of_a(code: str) -> dict[Role, str]:
    """A token of every role, scoped to community A (its community, street or district; ADMIN its district)."""
    return {role: token(role, code[:6] if role is Role.ADMIN else scope_of(role, code),
                        f"matrix-{role.value.lower()}-{uuid.uuid4().hex[:6]}") for role in Role}


@pytest.fixture(scope="module")
async def community_a(gql: Client) -> ops.Community:
    return await ops.community(gql, f"{district()}001001")


# -- the matrix ------------------------------------------------------------------------------------------------------
def leaks(body: Any, target: Target) -> list[str]:
    text = json.dumps(body.get("data"), ensure_ascii=False) if isinstance(body, dict) else str(body)
    return [secret for secret in target.secrets if secret in text]


async def test_every_operation_for_every_role_from_another_scope(gql: Client, place: dict, target: Target,
                                                                community_a: ops.Community, direct_url: str) -> None:
    plan = operations(place, target)
    assert len(plan) >= len(SERVED.query_type.fields) + len(SERVED.mutation_type.fields)
    tokens = tokens_of_a(community_a.code)
    gate = asyncio.Semaphore(CONCURRENCY)
    mutations = set(SERVED.mutation_type.fields)
    valid = set(valid_mutations(place))

    async def attempt(role: Role, name: str, query: str, variables: dict) -> list[str]:
        async with gate:
            response = await gql.raw(query, variables, tokens[role])
        wrong = []
        if response.status_code >= 500:
            return [f"{role.value} {name}: HTTP {response.status_code}"]
        body = response.json()
        codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
        wrong += [f"{role.value} {name}: code {code!r}" for code in codes if code not in ERROR_CODES
                  or code == "INTERNAL"]
        wrong += [f"{role.value} {name}: answered B's {secret}" for secret in leaks(body, target)]
        if name in mutations and name in valid and not set(codes) & SCOPE_REFUSALS:
            wrong.append(f"{role.value} {name}: {codes or 'done'}, not FORBIDDEN")
        if name in ("_entities",) and body.get("data") and any(body["data"]["_entities"] or []):
            wrong.append(f"{role.value} _entities: answered {body['data']}")
        return wrong

    conn = await connect(direct_url)
    try:
        before = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM gongzhi_events")
        results = await asyncio.gather(*(attempt(role, name, query, variables) for role in Role
                                         for name, query, variables in plan))
        after = await conn.fetchval("SELECT coalesce(max(notification_id), 0) FROM gongzhi_events")
    finally:
        await conn.close()
    problems = [problem for found in results for problem in found]
    assert problems == [], "\n".join(problems[:40])
    assert after == before, "a token of another scope appended to the log"
    # the checks can fail: B's own committee is answered B's data, and the detector sees it
    mine = await gql.raw(document("query", "community", SERVED.query_type.fields["community"], target), {},
                         place["c"].committee)
    assert leaks(mine.json(), target), mine.text


async def test_every_subscription_for_every_role_from_another_scope(server: Server, gql: Client, place: dict,
                                                                   target: Target,
                                                                   community_a: ops.Community) -> None:
    fields = SERVED.subscription_type.fields
    tokens = tokens_of_a(community_a.code)
    url = server.url.replace("http://", "ws://")
    gate = asyncio.Semaphore(CONCURRENCY)

    async def open_one(role: Role, name: str, query: str) -> tuple[Any, Any]:
        async with gate:
            ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
            await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {tokens[role]}"}}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert ack["type"] == "connection_ack", ack
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
            return ws, (role, name)

    async def first_message(ws: Any, seconds: float) -> dict | None:
        try:
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), seconds))
                if message["type"] != "ping":
                    return message
                await ws.send(json.dumps({"type": "pong"}))
        except TimeoutError:
            return None

    # naming B's scope: refused, with FORBIDDEN
    named = await asyncio.gather(*(open_one(role, name, document("subscription", name, field, target))
                                   for role in Role for name, field in fields.items()))
    problems = []
    for ws, (role, name) in named:
        message = await first_message(ws, 10)
        payload = (message or {}).get("payload")
        errors = payload if isinstance(payload, list) else (payload or {}).get("errors") or []
        codes = [e.get("extensions", {}).get("code") for e in errors]  # an `error`, or a `next` with errors only
        if codes != ["FORBIDDEN"]:
            problems.append(f"{role.value} {name}(scope: B): {message}")
        await ws.close()
    # in the token's own scope: nothing of B's arrives while B's events are appended
    own = {name: f"subscription {{ {name} {selection(field.type)} }}" for name, field in fields.items()}
    listening = await asyncio.gather(*(open_one(role, name, query) for role in Role for name, query in own.items()))
    await asyncio.sleep(0.5)
    c = place["c"]
    await ops.delegate(gql, c)
    await gql.call(ops.RECORD_ACTIVITY, {"input": {"communityCode": c.code, "title": "矩阵", "heldAt": ops.iso(),
                                                   "participants": 1}}, c.committee)
    await gql.call(ops.REGISTER_ORG, {"input": {"name": "矩阵", "category": "OTHER", "communityCode": c.code,
                                                "status": "FILED"}}, c.committee)
    heard = await asyncio.gather(*(first_message(ws, 1.5) for ws, _ in listening))
    for (ws, (role, name)), message in zip(listening, heard, strict=True):
        if message is not None and (message["type"] == "error" and any(
                e.get("extensions", {}).get("code") not in ERROR_CODES for e in message.get("payload") or [])
                or leaks({"data": message.get("payload")}, target) or c.code in json.dumps(message)):
            problems.append(f"{role.value} {name}: {message}")
        await ws.close()
    assert problems == [], "\n".join(problems[:40])
