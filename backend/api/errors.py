"""Every GraphQL error leaves with a stable `extensions.code`; nothing else leaks.

Domain errors keep their message and code; parse, validation and coercion errors are
INVALID_INPUT (and a request that never reached execution answers HTTP 400); a database that
cannot be reached is UNAVAILABLE (HTTP 503 when nothing was done); anything unexpected is
logged and sent as INTERNAL with a generic message. Results streamed over the websocket get
their codes the same way, one result at a time.
"""
from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import eventsourcing.persistence
import psycopg
import structlog
from graphql import GraphQLError
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from backend.domain.errors import GongzhiError, Unavailable

log = structlog.get_logger("gongzhi.api")

#: Errors that say the database cannot be reached, whatever the statement was.
UNREACHABLE: tuple[type[BaseException], ...] = (
    ConnectionError, OSError,  # refused, reset, timed out (a pool's acquire timeout is a TimeoutError)
    asyncpg.PostgresConnectionError, asyncpg.InterfaceError,  # lost or closed connection, closing pool
    asyncpg.InternalClientError,  # what asyncpg says of a connection the server ended while it was idle
    eventsourcing.persistence.InterfaceError,
)
#: SQLSTATE classes of an outage: 08 connection exception, 53 insufficient resources (too many
#: connections), 57P operator intervention (shutdown, cannot connect now), 58 system error, and
#: 55000 (a database not accepting connections).
UNAVAILABLE_SQLSTATES = ("08", "53", "57P", "58", "55000")
#: Errors that are an outage when they carry no SQLSTATE of their own (psycopg's connection errors).
OPERATIONAL: tuple[type[BaseException], ...] = (psycopg.OperationalError, eventsourcing.persistence.OperationalError)


def is_unavailable(error: BaseException | None) -> bool:
    """Whether an error (or one it was raised from) means the database cannot be reached."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, UNREACHABLE):
            return True
        sqlstate = getattr(error, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(UNAVAILABLE_SQLSTATES):
            return True
        if isinstance(error, OPERATIONAL) and sqlstate is None and error.__cause__ is None:
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def as_graphql_error(error: GongzhiError) -> GraphQLError:
    return GraphQLError(error.message, extensions={**error.extensions, "code": error.code})


SUGGESTION = " Did you mean "


def without_suggestion(message: str) -> str:
    """A message without graphql-core's "Did you mean …?" (it names fields, arguments, types and enum values)."""
    at = message.find(SUGGESTION)
    return message if at < 0 else message[:at]


def with_code(error: GraphQLError, hide_suggestions: bool = False) -> GraphQLError:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if isinstance(original, GongzhiError):
        message, extensions = error.message, {**original.extensions, "code": original.code}
    elif original is None or isinstance(original, GraphQLError):
        message, extensions = error.message, {"code": "INVALID_INPUT", **(error.extensions or {})}
    elif is_unavailable(original):
        log.warning("database unavailable", path=error.path, error=repr(original))
        message, extensions = "The database cannot be reached just now; try again.", {"code": Unavailable.code}
    else:
        log.error("unexpected error", path=error.path, exc_info=original)
        message, extensions = "Internal error; it has been logged.", {"code": "INTERNAL"}
    if hide_suggestions:
        message = without_suggestion(message)
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, original_error=None, extensions=extensions)


def http_status(result: ExecutionResult) -> int | None:
    """The HTTP status of a result whose errors left nothing done: 503 if the database was
    unreachable, 400 if the request never reached execution; None otherwise (200)."""
    if result.data is not None or not result.errors:
        return None
    if any((e.extensions or {}).get("code") == Unavailable.code for e in result.errors):
        return 503
    if all(e.path is None for e in result.errors):
        return 400
    return None


class ErrorCodes(SchemaExtension):
    #: GONGZHI_ENV=production: no "Did you mean …" in any message (hiding_suggestions()).
    hide_suggestions = False

    @classmethod
    def hiding_suggestions(cls) -> type[ErrorCodes]:
        return type("ErrorCodesHidingSuggestions", (cls,), {"hide_suggestions": True})

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        result.errors = [with_code(e, self.hide_suggestions) for e in result.errors]
        status = http_status(result)
        if status is not None:
            response = getattr(self.execution_context.context, "response", None)
            if isinstance(response, Response):
                response.status_code = status

    def on_stream_result(self, result: object) -> Iterator[None]:
        """A subscription's results (and its refusal) over the websocket get their codes too."""
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [with_code(e, self.hide_suggestions) for e in errors]  # type: ignore[attr-defined]
        yield
