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
from backend.domain.stamp import Stamp


@dataclass
class Context:
    platform: Platform
    request: Request | WebSocket
    response: Any
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # the server's, always
    client_request_id: str | None = None  # the client's X-Request-Id, if it sent a well-formed one
    connection_params: dict[str, Any] | None = None  # set by the websocket protocol handler
    _actor: Actor | None = None

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
        return Stamp(self.actor, self.request_id, self.client_request_id)

    def authorize(self, action: Action, code: str | None = None) -> Actor:
        authorize(self.actor, action, code)
        return self.actor


def ctx(info: strawberry.Info) -> Context:
    return info.context
