"""Every GraphQL error leaves with a stable `extensions.code`; nothing else leaks.

Domain errors keep their message and code; parse, validation and coercion errors are
INVALID_INPUT (and a request that never reached execution answers HTTP 400); anything
unexpected is logged and sent as INTERNAL with a generic message.
"""
from __future__ import annotations

from collections.abc import Iterator

import structlog
from graphql import GraphQLError
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from backend.domain.errors import GongzhiError

log = structlog.get_logger("gongzhi.api")


def as_graphql_error(error: GongzhiError) -> GraphQLError:
    return GraphQLError(error.message, extensions={**error.extensions, "code": error.code})


def with_code(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if isinstance(original, GongzhiError):
        message, extensions = error.message, {**original.extensions, "code": original.code}
    elif original is None or isinstance(original, GraphQLError):
        message, extensions = error.message, {"code": "INVALID_INPUT", **(error.extensions or {})}
    else:
        log.error("unexpected error", path=error.path, exc_info=original)
        message, extensions = "Internal error; it has been logged.", {"code": "INTERNAL"}
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, original_error=None, extensions=extensions)


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        result.errors = [with_code(e) for e in result.errors]
        if result.data is None and all(e.path is None for e in result.errors):
            response = getattr(self.execution_context.context, "response", None)
            if isinstance(response, Response):
                response.status_code = 400
