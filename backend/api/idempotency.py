"""The `Idempotency-Key` header of an HTTP request: checked here, carried on the command's Stamp,
and honoured by the application (backend/application/idempotency.py runs the command once)."""
from __future__ import annotations

from graphql import FieldNode, GraphQLError, OperationType, get_operation_ast, parse
from starlette.requests import HTTPConnection, Request

from backend.domain import values
from backend.domain.errors import InvalidInput

HEADER = "idempotency-key"


def header_key(request: HTTPConnection) -> str | None:
    """The request's key (None without one; INVALID_INPUT if it is malformed). A websocket's operations
    carry none: its upgrade request's headers are not any one operation's."""
    if not isinstance(request, Request):
        return None
    value = request.headers.get(HEADER)
    return None if value is None else values.idempotency_key(value)


def one_mutation_field(query: str, operation_name: str | None) -> None:
    """A request with a key runs one mutation field, the command the key names: a mutation with more
    (or with a fragment at its root) is refused with INVALID_INPUT before anything runs. A document
    that does not parse, or names no such operation, is left to GraphQL's own refusal."""
    try:
        operation = get_operation_ast(parse(query, no_location=True), operation_name)
    except GraphQLError:
        return
    if operation is None or operation.operation is not OperationType.MUTATION:
        return
    selections = operation.selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        raise InvalidInput("a request with an Idempotency-Key holds one mutation field (no fragment at its root);"
                           " send each mutation in a request of its own, with a key of its own",
                           field="Idempotency-Key")
