"""Service agreements for off-list work (P4, 权随责走、费随事转)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.stamp import Stamp


class ServiceAgreement(Aggregate):
    """An agreement between a department and a community: scope, funding and term."""

    @event("ServiceAgreementSigned")
    def __init__(self, department: str, scope: str, funding_yuan: str, valid_until: datetime,
                 actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.department = department
        self.scope = scope
        self.funding_yuan = funding_yuan
        self.valid_until = valid_until

    @classmethod
    def sign(cls, community_code: str, department: str, scope: str, funding_yuan: str,
             valid_until: datetime, by: Stamp) -> ServiceAgreement:
        values.moment(valid_until, "validUntil")  # an expired agreement may be recorded; it carries no task
        return cls(
            department=values.text(department, "department", 200),
            scope=values.text(scope, "scope", 1000, multiline=True),
            funding_yuan=values.yuan(funding_yuan),
            valid_until=valid_until,
            **by.on(community_code),
        )

    def covers(self, community_code: str, now: datetime) -> bool:
        return self.community_code == community_code and self.valid_until > now
