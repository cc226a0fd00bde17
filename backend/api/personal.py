"""The API of personal data (PIPL art. 47; P31, P35): `eraseSubject`, an administrator's erasure of a data subject's
personal data (the command: backend/application/erasure.py; how personal fields are sealed and erased:
backend/application/personal.py). An area module of the schema (backend/api/schema.py composes it)."""
from __future__ import annotations

from datetime import datetime

import strawberry

from backend.api.commanding import app, arguments, run
from backend.api.types import Receipt
from backend.domain.personal import SubjectErasure


@strawberry.type(description="PIPL art. 47: a data subject's erasure (SubjectErased): the subject's keys are "
                             "destroyed, and every personal field sealed with them reads as null from then on.")
class Erasure:
    id: strawberry.ID
    subject_id: strawberry.ID
    legal_basis: str
    erased_at: datetime

    @classmethod
    def from_aggregate(cls, erasure: SubjectErasure) -> Erasure:
        return cls(id=strawberry.ID(str(erasure.id)), subject_id=strawberry.ID(erasure.subject_id),
                   legal_basis=erasure.legal_basis, erased_at=erasure.created_on)


@strawberry.type
class EraseSubjectResult:
    erasure: Erasure
    receipt: Receipt


@strawberry.input(description="PIPL art. 47: whose personal data to erase (the id their personal data names, e.g. a "
                              "staff member's personId: the actor id of their tokens) and the legal basis (up to "
                              "500 characters).")
class EraseSubjectInput:
    subject_id: strawberry.ID
    legal_basis: str


@strawberry.type
class Mutation:
    @strawberry.mutation(description="PIPL art. 47 (ADMIN of the whole province only): erase a data subject's "
                                     "personal data. Their keys are destroyed in the erasure's transaction; the "
                                     "events stay and still verify (their hashes cover the ciphertext); read models "
                                     "and the raw log show the fields as null after the next catch-up.")
    async def erase_subject(self, info: strawberry.Info, input: EraseSubjectInput) -> EraseSubjectResult:
        erasure, receipt = await run(info, app(info).erase_subject, **arguments(input))
        return EraseSubjectResult(erasure=Erasure.from_aggregate(erasure), receipt=Receipt.from_receipt(receipt))
