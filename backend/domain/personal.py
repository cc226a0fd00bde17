"""Personal data (个人信息) and its erasure (PIPL art. 47; P31 and P35 protect the people served, P11 staff).

Which fields are personal is declared by their aggregate, beside its events: `PERSONAL_FIELDS` (e.g. a staff
member's `name` and `phone`, backend/domain/post.py) and `PERSONAL_SUBJECT`, the field naming whose data they are
(the data subject: a pseudonymous account id, the one the person's tokens carry as their actor id). `personal()`
says it per event class. The application (backend/application/personal.py) writes those fields to the log sealed
with the subject's own key (AES-256-GCM); the domain never sees the ciphertext and stays pure.

A data subject's erasure is a record of its own, `SubjectErased` (an entity of its own): its appending destroys the subject's keys
in the same transaction, after which every field sealed with them reads as erased (None), in the read models and
the raw log alike. The events stay and still verify: the log's hashes cover the ciphertext.

Actor ids are pseudonymous account ids and are not personal fields here: the platform keeps no name, phone or ID
number of an actor, and the audit trail (who did what) needs them in the clear. The person an id stands for is
known to the identity provider that issues tokens, which erases its own mapping.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from typing import Any

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.stamp import Stamp

#: The longest legal basis an erasure names (e.g. 《个人信息保护法》第四十七条 with the request's reference).
MAX_LEGAL_BASIS = 500
#: The community code of an erasure's event: none (a subject's data may be in any community; it is the whole
#: province's record, read by readers of the whole province's log).
NO_COMMUNITY = ""


@dataclass(frozen=True)
class Personal:
    """An event class's personal fields and the field naming their data subject."""

    fields: tuple[str, ...]
    subject: str


_PERSONAL: dict[type, Personal | None] = {}


def personal(event_class: type) -> Personal | None:
    """The personal fields of an event class (None if it has none): those of its own fields that its aggregate
    declares personal (`PERSONAL_FIELDS`), with the aggregate's `PERSONAL_SUBJECT`."""
    try:
        return _PERSONAL[event_class]
    except KeyError:
        found = _PERSONAL[event_class] = _personal(event_class)
        return found


def _personal(event_class: type) -> Personal | None:
    owner = _owner(event_class)
    declared = getattr(owner, "PERSONAL_FIELDS", None) if owner is not None else None
    subject = getattr(owner, "PERSONAL_SUBJECT", None) if owner is not None else None
    if not declared or not subject:
        return None
    own = {f.name for f in dataclasses.fields(event_class)}
    fields = tuple(sorted(f for f in declared if f in own))
    return Personal(fields, subject) if fields and subject in own else None


def _owner(event_class: type) -> type | None:
    """The aggregate class an event class is declared in (`StaffAppointment.StaffAppointed` -> StaffAppointment)."""
    module = sys.modules.get(event_class.__module__)
    owner: Any = module
    for part in event_class.__qualname__.split(".")[:-1]:
        owner = getattr(owner, part, None)
    return owner if isinstance(owner, type) and issubclass(owner, Aggregate) else None


class SubjectErasure(Aggregate):
    """PIPL art. 47 (删除权), P31, P35 (the people served): the erasure of a data subject's personal data, at an
    administrator's command with its legal basis (`SubjectErased`; each erasure an entity of its own, so a subject
    erased again, after data was recorded anew, has two). Appending it destroys the subject's keys
    (backend/application/personal.py): what was sealed with them reads as erased from then on."""

    @event("SubjectErased")
    def __init__(self, subject_id: str, legal_basis: str, actor: dict[str, Any], request_id: str,
                 community_code: str, client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.subject_id = subject_id
        self.legal_basis = legal_basis

    @classmethod
    def erase(cls, subject_id: str, legal_basis: str, by: Stamp) -> SubjectErasure:
        return cls(subject_id=values.identifier(subject_id, "subjectId"),
                   legal_basis=values.text(legal_basis, "legalBasis", MAX_LEGAL_BASIS), **by.on(NO_COMMUNITY))
