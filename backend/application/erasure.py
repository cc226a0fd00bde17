"""The command of personal data (PIPL art. 47; P31, P35): erasing a data subject (backend/domain/personal.py,
backend/application/personal.py)."""
from __future__ import annotations

from backend.application.base import GovernanceApplication, Receipt, acting
from backend.application.steps import Steps, command
from backend.domain import values
from backend.domain.access import Action, authorize
from backend.domain.personal import MAX_LEGAL_BASIS, NO_COMMUNITY, SubjectErasure
from backend.domain.stamp import Stamp


class PersonalData(GovernanceApplication):
    """PIPL art. 47: the erasure command; Gongzhi (governance.py) has it."""

    @command(Action.ERASE_SUBJECT)
    def erase_subject(self, by: Stamp, *, subject_id: str,
                      legal_basis: str) -> Steps[tuple[SubjectErasure, Receipt]]:
        """Erase a data subject's personal data (`SubjectErased`): an administrator of the whole province, naming
        the legal basis. Appending the event destroys the subject's keys in the same transaction; every field
        sealed with them reads as erased from then on (the read models after their next catch-up)."""
        subject_id = values.identifier(subject_id, "subjectId")
        legal_basis = values.text(legal_basis, "legalBasis", MAX_LEGAL_BASIS)
        authorize(acting(by).actor, Action.ERASE_SUBJECT, NO_COMMUNITY)
        erasure = SubjectErasure.erase(subject_id, legal_basis, by)
        return erasure, (yield from self._commit_change(erasure))
