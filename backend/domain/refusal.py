"""The shape every rule shares (P1, P5, P6, P7, P10): a refused attempt is an event of its own.

A rule is a domain method that refuses what its provision forbids. What was attempted is not lost: the
refusal is an aggregate of one event (`TaskDelegationRefused`, `WorkBodyRefused`, `SignboardRefused`,
`TargetContractRefused`, `SealUseRefused`), which carries the attempt's own fields, the provision it
broke (`provision`), the stable error code (`code`) and the reason, beside the stamp every event carries
(the actor with its role, scope and organization, the request). The command appends it, then answers
the error of that code with the refusal's place in the log (`extensions.position`, `refusalId`,
`provision`); the burden read model counts it by department (the actor's organization) and community.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import Aggregate

from backend.domain import errors


def rule_errors() -> dict[str, type[errors.RuleRefusal]]:
    """Each rule's error class by its code."""
    def walk(cls: type[errors.RuleRefusal]) -> list[type[errors.RuleRefusal]]:
        return [c for sub in cls.__subclasses__() for c in (sub, *walk(sub))]
    return {cls.code: cls for cls in walk(errors.RuleRefusal)}


class Refusal(Aggregate):
    """A refused attempt (被拒绝的尝试): the base of every rule's record of refusal.

    A subclass declares its one event on `__init__` (taking at least `provision`, `code` and `reason`, and
    the stamp's fields) and `PROVISION`, the provision its rule carries."""

    PROVISION: ClassVar[str] = ""
    if TYPE_CHECKING:  # set by each subclass's event (annotations here would make the library generate an __init__)
        provision: str
        code: str
        reason: str
        community_code: str

    def error(self, position: int, **extensions: Any) -> errors.RuleRefusal:
        """The error the API answers for this refusal, pointing at where it stands in the log."""
        cls = rule_errors()[self.code]
        return cls(f"refused ({self.provision}): {self.reason}", position=position, refusalId=str(self.id),
                   provision=self.provision, **extensions)
