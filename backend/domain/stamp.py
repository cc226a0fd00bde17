"""Who did a thing and in which request: stamped on every event."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.domain.access import Actor


@dataclass(frozen=True)
class Stamp:
    actor: Actor
    request_id: str  # made by the server for each request: audit correlation a client cannot forge
    client_request_id: str | None = None  # what the client sent as X-Request-Id, kept beside it
    idempotency_key: str | None = None  # the request's Idempotency-Key: not written into events (see gateway.py)

    def on(self, community_code: str) -> dict[str, Any]:
        """The metadata every governance event carries (who, which request, where)."""
        return {
            "actor": self.actor.as_dict(),
            "request_id": self.request_id,
            "client_request_id": self.client_request_id,
            "community_code": community_code,
        }
