"""Value checks shared by the aggregates."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

from backend.domain.errors import InvalidInput

DIVISION_CODE = re.compile(r"^\d{12}$")
SCOPE_PREFIX = re.compile(r"^\d{0,12}$")
GONGZHI_NAMESPACE = uuid5(NAMESPACE_URL, "https://gongzhi.example/ns")


def division_code(value: str) -> str:
    """A community's 12-digit statistical division code (统计用区划代码)."""
    if not isinstance(value, str) or not DIVISION_CODE.match(value):
        raise InvalidInput(f"a community code is 12 digits, not {value!r}", field="code")
    return value


def scope_prefix(value: str) -> str:
    """A division-code prefix naming a district, street or community ('' is everywhere)."""
    if not isinstance(value, str) or not SCOPE_PREFIX.match(value):
        raise InvalidInput(f"a scope is a prefix of up to 12 digits, not {value!r}", field="scope")
    return value


def text(value: str, field: str, max_length: int = 500) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    return value


def yuan(value: str) -> str:
    """Money in yuan as a decimal string with two places (fen); never a float."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{value!r} is not a decimal amount in yuan", field="fundingYuan") from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput("funding must be a positive amount in yuan", field="fundingYuan")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput("funding has at most two decimal places (fen)", field="fundingYuan")
    if amount >= Decimal("1e15"):
        raise InvalidInput("funding is out of range", field="fundingYuan")
    return str(amount.quantize(Decimal("0.01")))


def aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone offset", field=field)
    return value


def uuid(value: str, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(f"{field} is not a UUID: {value!r}", field=field) from None


@lru_cache(maxsize=65_536)
def community_id(code: str) -> UUID:
    """The stream id of a community: derived from its code, so one code is one stream."""
    return uuid5(GONGZHI_NAMESPACE, f"community:{code}")


def ballot_id(campaign_id: UUID, target_id: str, resident_id: str) -> UUID:
    """One stream per (campaign, target, resident): a second ballot cannot be appended."""
    return uuid5(GONGZHI_NAMESPACE, f"ballot:{campaign_id}:{target_id}:{resident_id}")
