"""The value types of governance: every input a command takes is checked here, once, the same way.

A value that is not what the record can hold is refused with `InvalidInput` (INVALID_INPUT), naming the
input's GraphQL field. What passes is canonical (texts NFC-normalized and trimmed, money in fen), within
ranges PostgreSQL stores and the read models can sum, so no accepted command can stop a projection.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from backend.domain.errors import InvalidInput

# Codes are ASCII digits matched whole: `[0-9]`, never `\d` (full-width and Arabic-Indic digits match it),
# and `fullmatch`, never `$` (which matches before a trailing newline).
DIVISION_CODE = re.compile(r"[0-9]{12}")
SCOPE_PREFIX = re.compile(r"[0-9]{0,12}")
IDENTIFIER = re.compile(r"[A-Za-z0-9_.:@-]+")
UUID_TEXT = re.compile(r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}")
IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]+")
MAX_IDEMPOTENCY_KEY = 128
AMOUNT = re.compile(r"[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20}")
GONGZHI_NAMESPACE = uuid5(NAMESPACE_URL, "https://gongzhi.example/ns")

#: Longest identifier (organizerId, volunteer ids, target ids, duty item codes, actor ids).
MAX_IDENTIFIER = 64
#: Earliest and latest moment the platform records (dueAt, heldAt, validUntil, closesAt, asOf), as given and in UTC.
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(2200, 12, 31, 23, 59, 59, 999_999)
#: Largest single amount of money, in yuan: sums of many stay exact in the read models' numeric columns.
MAX_YUAN = Decimal("10000000000.00")
#: Most participants one activity records.
MAX_PARTICIPANTS = 1_000_000
#: Most volunteer hours one volunteer gives in one activity (a month of days).
MAX_VOLUNTEER_HOURS = 24 * 31
#: Most items a duty list holds, targets a campaign names, volunteers an activity records.
MAX_DUTY_ITEMS = 500
MAX_CAMPAIGN_TARGETS = 100
MAX_VOLUNTEER_ENTRIES = 1_000
#: Highest expectedVersion a client may name (GraphQL's Int).
MAX_VERSION = 2**31 - 1

#: Format characters (Cf) a text may hold: zero-width joiner and non-joiner, which emoji and some scripts need.
ALLOWED_FORMAT = frozenset("\u200c\u200d")
#: Characters that show nothing; a text of only these (and whitespace) is blank.
INVISIBLE = frozenset("\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f\u2060"
                      "\u2061\u2062\u2063\u2064\u3164\ufeff\uffa0\u2800")
#: Bidirectional embeddings, overrides and isolates: they make a text read other than it is stored.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

E = TypeVar("E", bound=Enum)


def _is_noncharacter(cp: int) -> bool:
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def _refusal(ch: str, multiline: bool) -> str | None:
    """Why a text may not hold this character (None: it may)."""
    cp = ord(ch)
    category = unicodedata.category(ch)
    if cp == 0:
        return "NUL"
    if category == "Cc":
        if multiline and ch in "\n\t":
            return None
        return f"the control character U+{cp:04X}"
    if ch in BIDI_CONTROLS:
        return f"the bidirectional control U+{cp:04X}"
    if category == "Cs":
        return f"the lone surrogate U+{cp:04X}"
    if category == "Cf" and ch not in ALLOWED_FORMAT:
        return f"the invisible format character U+{cp:04X}"
    if category in ("Zl", "Zp"):
        return f"the line separator U+{cp:04X}"
    if _is_noncharacter(cp):
        return f"the noncharacter U+{cp:04X}"
    return None


def text(value: Any, field: str, max_length: int = 500, multiline: bool = False) -> str:
    """A human text (a title, a name, a reason): NFC-normalized and trimmed; never blank, never holding
    control, bidirectional or invisible format characters (newline and tab only in a `multiline` text)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a text", field=field)
    if len(value) > 4 * max_length + 64:  # before normalizing: bounds the work a huge input costs
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    if multiline:
        value = value.replace("\r\n", "\n")
    for ch in value:
        if (why := _refusal(ch, multiline)) is not None:
            raise InvalidInput(f"{field} must not hold {why}", field=field)
    value = unicodedata.normalize("NFC", value).strip()
    if all(ch.isspace() or ch in INVISIBLE for ch in value):
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    return str(value)


def optional_text(value: Any, field: str, max_length: int = 500, multiline: bool = False) -> str | None:
    """A text that may be left out (None or ''), else as `text`."""
    return None if value is None or value == "" else text(value, field, max_length, multiline)


def identifier(value: Any, field: str, max_length: int = MAX_IDENTIFIER) -> str:
    """A machine identifier (organizerId, a volunteer's or target's id, a duty item code, an actor's id):
    1 to `max_length` ASCII letters, digits and `- _ . : @`."""
    if not isinstance(value, str) or not 0 < len(value) <= max_length or not IDENTIFIER.fullmatch(value):
        raise InvalidInput(f"{field} is 1 to {max_length} ASCII letters, digits or - _ . : @, not {value!r:.80}",
                           field=field)
    return value


def optional_identifier(value: Any, field: str, max_length: int = MAX_IDENTIFIER) -> str | None:
    return None if value is None else identifier(value, field, max_length)


def division_code(value: Any, field: str = "code") -> str:
    """A community's 12-digit statistical division code (统计用区划代码): ASCII digits only."""
    if not is_division_code(value):
        raise InvalidInput(f"a community code is 12 ASCII digits, not {value!r:.80}", field=field)
    return str(value)


def is_division_code(value: Any) -> bool:
    return isinstance(value, str) and DIVISION_CODE.fullmatch(value) is not None


def scope_prefix(value: Any, field: str = "scope") -> str:
    """A division-code prefix naming a district, street or community ('' is everywhere): ASCII digits only."""
    if not isinstance(value, str) or not SCOPE_PREFIX.fullmatch(value):
        raise InvalidInput(f"a scope is a prefix of up to 12 ASCII digits, not {value!r:.80}", field=field)
    return value


def choice(value: Any, kind: type[E], field: str) -> str:
    """One of an enumeration's names (a kind, category, status, list, satisfaction)."""
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str) or value not in kind.__members__:
        raise InvalidInput(f"{field} is one of {', '.join(kind.__members__)}, not {value!r:.80}", field=field)
    return value


def moment(value: Any, field: str) -> datetime:
    """A moment with its time zone offset, within 1900-01-01 and 2200-12-31 both as given and in UTC."""
    if not isinstance(value, datetime):
        raise InvalidInput(f"{field} is not a date and time", field=field)
    offset = value.utcoffset()
    if offset is None:
        raise InvalidInput(f"{field} needs a time zone offset", field=field)
    local = value.replace(tzinfo=None)
    try:
        utc = local - offset
    except OverflowError:
        utc = None
    if utc is None or not (EARLIEST <= local <= LATEST and EARLIEST <= utc <= LATEST):
        raise InvalidInput(f"{field} must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}", field=field)
    return value


def optional_moment(value: Any, field: str) -> datetime | None:
    return None if value is None else moment(value, field)


#: The former name: every caller of `aware` (e.g. entityAsOf's asOf) gets the range check too.
aware = moment


def yuan(value: Any, field: str = "fundingYuan") -> str:
    """Money in yuan as a decimal string with two places (fen); never a float; positive and at most MAX_YUAN."""
    raw = value.strip(" \t") if isinstance(value, str) else None
    if raw is None or not AMOUNT.fullmatch(raw):
        raise InvalidInput(f"{value!r:.80} is not a decimal amount in yuan", field=field)
    amount = Decimal(raw)
    if amount <= 0:
        raise InvalidInput(f"{field} must be a positive amount in yuan", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(f"{field} has at most two decimal places (fen)", field=field)
    if amount > MAX_YUAN:
        raise InvalidInput(f"{field} is at most {MAX_YUAN} yuan", field=field)
    return str(amount.quantize(Decimal("0.01")))


def flag(value: Any, field: str, default: bool = False) -> bool:
    """A yes or no (None: the default); nothing else passes for one."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false", field=field)
    return value


def count(value: Any, field: str, maximum: int) -> int:
    """A whole number from 0 to `maximum` (participants)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise InvalidInput(f"{field} must be a whole number from 0 to {maximum}", field=field)
    return value


def hours(value: Any, field: str = "hours") -> float:
    """Volunteer hours: a finite number from 0 to MAX_VOLUNTEER_HOURS."""
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or not 0 <= value <= MAX_VOLUNTEER_HOURS):
        raise InvalidInput(f"volunteer hours must be between 0 and {MAX_VOLUNTEER_HOURS}", field=field)
    return float(value)


def version(value: Any, field: str = "expectedVersion") -> int | None:
    """An entity version a client expects (None: any)."""
    return None if value is None else count(value, field, MAX_VERSION)


def items(value: Any, field: str, maximum: int) -> Sequence[dict[str, Any]]:
    """A list of records (duty items, targets, volunteer entries) of at most `maximum` entries."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(entry, dict) for entry in value):
        raise InvalidInput(f"{field} must be a list", field=field)
    if len(value) > maximum:
        raise InvalidInput(f"{field} holds at most {maximum} entries", field=field)
    return value


def uuid(value: Any, field: str) -> UUID:
    """An entity's UUID (ASCII hex, with or without its hyphens)."""
    if isinstance(value, UUID):
        return value
    if not isinstance(value, str) or not UUID_TEXT.fullmatch(value):
        raise InvalidInput(f"{field} is not a UUID: {value!r:.80}", field=field)
    return UUID(value)


def optional_uuid(value: Any, field: str) -> UUID | None:
    return None if value is None else uuid(value, field)


@lru_cache(maxsize=65_536)
def community_id(code: str) -> UUID:
    """The stream id of a community: derived from its code, so one code is one stream."""
    return uuid5(GONGZHI_NAMESPACE, f"community:{code}")


def ballot_id(campaign_id: UUID, target_id: str, resident_id: str) -> UUID:
    """One stream per (campaign, target, resident): a second ballot cannot be appended."""
    return uuid5(GONGZHI_NAMESPACE, f"ballot:{campaign_id}:{target_id}:{resident_id}")



def idempotency_key(value: Any, field: str = "Idempotency-Key") -> str:
    """A client's idempotency key: 1 to MAX_IDEMPOTENCY_KEY printable ASCII characters (space to tilde)."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_IDEMPOTENCY_KEY \
            or not IDEMPOTENCY_KEY.fullmatch(value):
        raise InvalidInput(f"{field} is 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters, not {value!r:.80}",
                           field=field)
    return value
