"""Who did a thing and in which request: stamped on every event."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

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


class StampedEvent(Protocol):
    """A governance event as stored: every event carries its Stamp's fields (`Stamp.on`) beside the library's own.
    The library's mapper hands events back as its generic protocol; readers cast them to this."""

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    actor: dict[str, Any]
    request_id: str
    community_code: str

    def mutate(self, aggregate: Any) -> Any: ...
