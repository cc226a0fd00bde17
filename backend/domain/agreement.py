"""Service agreements for off-list work (P4, 权随责走、费随事转): the authority and the money go with the task."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.errors import OverDisbursed
from backend.domain.stamp import Stamp


class ServiceAgreement(Aggregate):
    """An agreement between a department and a community (服务协议): scope, funding and term (P4), and what was
    paid under it (拨付). `allows_quota`: the agreement provides for a quota or ranking target on its tasks (P1)."""

    @event("ServiceAgreementSigned")
    def __init__(self, department: str, scope: str, funding_yuan: str, valid_until: datetime,
                 actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None, allows_quota: bool = False) -> None:
        self.community_code = community_code
        self.department = department
        self.scope = scope
        self.funding_yuan = funding_yuan
        self.valid_until = valid_until
        self.allows_quota = allows_quota
        self.disbursed_yuan = "0.00"

    @classmethod
    def sign(cls, community_code: str, department: str, scope: str, funding_yuan: str,
             valid_until: datetime, by: Stamp, allows_quota: bool = False) -> ServiceAgreement:
        values.moment(valid_until, "validUntil")  # an expired agreement may be recorded; it carries no task
        return cls(
            department=values.text(department, "department", 200),
            scope=values.text(scope, "scope", 1000, multiline=True),
            funding_yuan=values.yuan(funding_yuan),
            valid_until=valid_until,
            allows_quota=values.flag(allows_quota, "allowsQuota"),
            **by.on(community_code),
        )

    def covers(self, community_code: str, now: datetime) -> bool:
        return self.community_code == community_code and self.valid_until > now

    @property
    def outstanding_yuan(self) -> str:
        """P4: agreed funding not yet disbursed."""
        return str(Decimal(self.funding_yuan) - Decimal(self.disbursed_yuan))

    def disburse(self, amount_yuan: str, disbursed_at: datetime, note: str | None, by: Stamp) -> None:
        """P4 (费随事转): money paid to the community under the agreement. The total may not exceed the agreed
        funding (OVER_DISBURSED); the stream's version makes two concurrent payments take turns."""
        amount = values.yuan(amount_yuan, "amountYuan")
        if Decimal(self.disbursed_yuan) + Decimal(amount) > Decimal(self.funding_yuan):
            raise OverDisbursed(
                f"P4: {amount} yuan would take the disbursements past the agreed {self.funding_yuan} yuan"
                f" ({self.disbursed_yuan} disbursed, {self.outstanding_yuan} outstanding)",
                field="amountYuan", outstandingYuan=self.outstanding_yuan, agreedYuan=self.funding_yuan)
        self._disbursed(amount, values.moment(disbursed_at, "disbursedAt"),
                        values.optional_text(note, "note", 1000, multiline=True), **by.on(self.community_code))

    @event("DisbursementRecorded")
    def _disbursed(self, amount_yuan: str, disbursed_at: datetime, note: str | None, actor: dict[str, Any],
                   request_id: str, community_code: str, client_request_id: str | None = None) -> None:
        """P4: a disbursement (拨付) under the agreement."""
        self.disbursed_yuan = str(Decimal(self.disbursed_yuan) + Decimal(amount_yuan))
