"""Domain errors. Each carries the stable `code` that the API puts in `extensions.code`."""
from __future__ import annotations

from typing import Any


class GongzhiError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class Unauthenticated(GongzhiError):
    code = "UNAUTHENTICATED"


class Forbidden(GongzhiError):
    code = "FORBIDDEN"


class InvalidInput(GongzhiError):
    code = "INVALID_INPUT"


class NotFound(GongzhiError):
    code = "NOT_FOUND"


class AlreadyExists(GongzhiError):
    code = "ALREADY_EXISTS"


class InvalidState(GongzhiError):
    """The entity is not in a state that allows the change (a completed task accepted again)."""

    code = "INVALID_STATE"


class VersionConflict(GongzhiError):
    code = "VERSION_CONFLICT"


class RuleRefusal(GongzhiError):
    """A rule refused the attempt; the refusal is on the record (`extensions.position`, `extensions.refusalId`)."""


class OffListTask(RuleRefusal):
    """P1: neither the duty list nor a service agreement covers the task (清单外事项)."""

    code = "OFF_LIST_TASK"


class QuotaNotAllowed(RuleRefusal):
    """P1: a quota or ranking target (指标) on a task whose duty item or agreement does not provide for one."""

    code = "QUOTA_NOT_ALLOWED"


class OverDisbursed(GongzhiError):
    """P4: the disbursements of an agreement would exceed its agreed funding (费随事转)."""

    code = "OVER_DISBURSED"


class WorkBodyNotAllowed(RuleRefusal):
    """P5: a department's own work body in the community, with no law or regulation for it (不得另设工作机构)."""

    code = "WORK_BODY_NOT_ALLOWED"


class SignboardNotAllowed(RuleRefusal):
    """P6: a signboard of a kind the guideline does not allow (挂牌)."""

    code = "SIGNBOARD_NOT_ALLOWED"


class TargetContractAbolished(RuleRefusal):
    """P7: target-responsibility contracts with communities are abolished (取消目标责任书)."""

    code = "TARGET_CONTRACT_ABOLISHED"


class SealUseNotAllowed(RuleRefusal):
    """P10: the community seal may not certify legal or joint economic liability (规范公章)."""

    code = "SEAL_USE_NOT_ALLOWED"


class DuplicateEvaluation(GongzhiError):
    code = "DUPLICATE_EVALUATION"


class CampaignClosed(GongzhiError):
    code = "CAMPAIGN_CLOSED"


class Unavailable(GongzhiError):
    """The database cannot be reached just now (an outage, a restart, no free connection): try again."""

    code = "UNAVAILABLE"


class PersistedQueryNotFound(GongzhiError):
    """No persisted document (trusted document) has the id the request names."""

    code = "PERSISTED_QUERY_NOT_FOUND"


class PersistedQueryRequired(GongzhiError):
    """GONGZHI_TRUSTED_DOCUMENTS=only: a raw document is refused; the request must name a persisted one."""

    code = "PERSISTED_QUERY_REQUIRED"


class IdempotencyKeyReused(GongzhiError):
    """The actor sent this Idempotency-Key before with another operation or other variables."""

    code = "IDEMPOTENCY_KEY_REUSED"


class QueryTooComplex(GongzhiError):
    """The document asks for too much before it runs: too deep, too many aliases, or over its cost (HTTP 400)."""

    code = "QUERY_TOO_COMPLEX"


class RateLimited(GongzhiError):
    """Too many requests from this actor or this address just now (HTTP 429, `Retry-After`)."""

    code = "RATE_LIMITED"


def recorded(code: str, message: str, extensions: dict[str, Any]) -> GongzhiError:
    """A refusal as it was recorded (an idempotent command's first answer): its code, message and extensions."""
    error = GongzhiError(message, **extensions)
    error.code = code
    return error


#: Every code the API may put in `extensions.code`, with what it means (README lists them).
ERROR_CODES: dict[str, str] = {
    "UNAUTHENTICATED": "no bearer token, or one that is invalid or expired",
    "FORBIDDEN": "the actor's role or scope does not allow this",
    "INVALID_INPUT": "the request or one of its values is malformed or out of range",
    "NOT_FOUND": "the named entity does not exist",
    "ALREADY_EXISTS": "an entity with that identity exists already",
    "INVALID_STATE": "the entity's state does not allow this change",
    "VERSION_CONFLICT": "expectedVersion is stale, or a concurrent change won",
    "OFF_LIST_TASK": "P1: the task is on no duty list and under no agreement; refusal recorded",
    "QUOTA_NOT_ALLOWED": "P1: a quota or ranking target (指标) the task's duty item or agreement does not provide for; refusal recorded",
    "OVER_DISBURSED": "P4: the disbursements would exceed the agreement's agreed funding",
    "WORK_BODY_NOT_ALLOWED": "P5: a department's own work body in the community with no legal basis; refusal recorded",
    "SIGNBOARD_NOT_ALLOWED": "P6: a signboard of a kind the guideline does not allow; refusal recorded",
    "TARGET_CONTRACT_ABOLISHED": "P7: target-responsibility contracts are abolished; the attempt is recorded",
    "SEAL_USE_NOT_ALLOWED": "P10: the seal may not certify legal or joint economic liability; refusal recorded",
    "DUPLICATE_EVALUATION": "P26: this resident has evaluated this target in this campaign",
    "CAMPAIGN_CLOSED": "P26: the campaign's closesAt has passed",
    "UNAVAILABLE": "the database cannot be reached just now; try again (HTTP 503 if nothing was done)",
    "PERSISTED_QUERY_NOT_FOUND": "no persisted document has the id the request names (HTTP 400)",
    "PERSISTED_QUERY_REQUIRED": "the server runs persisted documents only; a raw document needs an ADMIN token (HTTP 400)",
    "IDEMPOTENCY_KEY_REUSED": "this Idempotency-Key was sent before with another operation or other variables",
    "QUERY_TOO_COMPLEX": "the document is too deep, has too many aliases or costs too much; refused before it ran (HTTP 400)",
    "RATE_LIMITED": "too many requests from this actor or address just now; retry after `Retry-After` seconds (HTTP 429)",
    "INTERNAL": "an unexpected server error (details are logged, never sent)",
}
