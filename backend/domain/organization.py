"""Community social organizations (P28, P30)."""
from __future__ import annotations

from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.stamp import Stamp


class OrganizationCategory(str, Enum):
    COMMUNITY_SERVICE = "COMMUNITY_SERVICE"
    PUBLIC_WELFARE = "PUBLIC_WELFARE"
    CULTURE_SPORTS = "CULTURE_SPORTS"
    LEGAL_SERVICE = "LEGAL_SERVICE"
    MEDIATION = "MEDIATION"
    OTHER = "OTHER"


class OrganizationStatus(str, Enum):
    REGISTERED = "REGISTERED"  # 登记
    FILED = "FILED"  # 备案


class Organization(Aggregate):
    """A social organization registered (登记) or filed (备案) in a community (P28), perhaps under a hub (P30)."""

    @event("OrganizationRegistered")
    def __init__(self, name: str, category: str, status: str, hub_id: UUID | None,
                 actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.name = name
        self.category = category
        self.status = status
        self.hub_id = hub_id

    @classmethod
    def register(cls, community_code: str, name: str, category: OrganizationCategory,
                 status: OrganizationStatus, hub_id: UUID | None, by: Stamp) -> Organization:
        return cls(name=values.text(name, "name", 200),
                   category=values.choice(category, OrganizationCategory, "category"),
                   status=values.choice(status, OrganizationStatus, "status"),
                   hub_id=values.optional_uuid(hub_id, "hubId"), **by.on(community_code))
