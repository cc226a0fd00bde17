"""The per-request context: the platform, the request, and the actor its token names."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.websockets import WebSocket

from backend.api.auth import actor_from_header
from backend.bootstrap import Platform
from backend.domain.access import Action, Actor, authorize
from backend.domain.errors import InvalidInput
from backend.domain.stamp import Stamp

RAW_LOG_BUDGET = 2_000  # rows the raw-log fields of one operation may read, together
RAW_LOG_OPERATIONS = 64  # operations whose spending a (websocket) context remembers


@dataclass
class Context:
    platform: Platform
    request: Request | WebSocket
    response: Any
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # the server's, always
    client_request_id: str | None = None  # the client's X-Request-Id, if it sent a well-formed one
    idempotency_key: str | None = None  # the request's Idempotency-Key (backend/api/idempotency.py)
    connection_params: dict[str, Any] | None = None  # set by the websocket protocol handler
    _actor: Actor | None = None
    _raw_log_spent: dict[int, tuple[object, int]] = field(default_factory=dict)  # by operation: (it, rows)

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            self._actor = actor_from_header(self.platform.settings.secret, self._authorization())
        return self._actor

    def _authorization(self) -> str | None:
        header = self.request.headers.get("authorization")
        if header or not isinstance(self.request, WebSocket):
            return header
        params = self.connection_params or {}
        headers = params.get("headers") if isinstance(params.get("headers"), dict) else {}
        value = (params.get("Authorization") or params.get("authorization")
                 or headers.get("Authorization") or headers.get("authorization"))
        if isinstance(value, str) and " " not in value.strip():
            value = f"Bearer {value.strip()}"  # a bare token in connection_init is taken as a bearer token
        return value

    @property
    def stamp(self) -> Stamp:
        return Stamp(self.actor, self.request_id, self.client_request_id, self.idempotency_key)

    def authorize(self, action: Action, code: str | None = None) -> Actor:
        authorize(self.actor, action, code)
        return self.actor

    def raw_log_left(self, info: strawberry.Info) -> int:
        """What is left of the raw-log budget of the operation `info` belongs to: RAW_LOG_BUDGET
        rows for all its raw-log fields together. An HTTP request has a context of its own; a
        websocket's context serves each of its operations, told apart by their execution's
        variables (an object made for each execution)."""
        execution = info._raw_info.variable_values
        owner, spent = self._raw_log_spent.get(id(execution), (None, 0))
        return RAW_LOG_BUDGET - (spent if owner is execution else 0)

    def spend_raw_log(self, info: strawberry.Info, rows: int, what: str) -> None:
        """Take `rows` from the operation's raw-log budget, or refuse the field with INVALID_INPUT."""
        left = self.raw_log_left(info)
        if rows > left:
            raise InvalidInput(f"{what} would read more rows of the log than are left of this request's budget"
                               f" ({left} of {RAW_LOG_BUDGET} rows for all its raw-log fields together);"
                               " ask for fewer, or in another request")
        execution = info._raw_info.variable_values
        if len(self._raw_log_spent) >= RAW_LOG_OPERATIONS and id(execution) not in self._raw_log_spent:
            del self._raw_log_spent[next(iter(self._raw_log_spent))]
        self._raw_log_spent[id(execution)] = (execution, RAW_LOG_BUDGET - left + rows)


def ctx(info: strawberry.Info) -> Context:
    return info.context
