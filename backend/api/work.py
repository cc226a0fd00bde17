"""The API of how community work is run (P11 社区工作规则: posts, staff, appraisals): its types, inputs and
results, and the fields it adds to Query and Mutation (the commands: backend/application/work.py; the read model:
projections/work.py).

A staff member's name and phone are personal data: they are shown only to the committee and street office whose
scope covers the community and to the person themself (`shows_staff_to`, backend/domain/post.py); every other
reader gets null for them.

An area module of the schema (backend/api/schema.py composes it): it may define `Query`, `Mutation` and
`Subscription` strawberry types; a class it does not define, or one with no fields yet, adds nothing.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg
import strawberry

from backend.api import reads
from backend.api.commanding import app, arguments, run
from backend.api.context import ctx
from backend.api.types import Receipt
from backend.domain import post as post_domain
from backend.domain import values
from backend.domain.access import Action, Actor
from backend.domain.post import Post as PostAggregate
from backend.domain.post import StaffAppointment, shows_staff_to

AppraisalGrade = strawberry.enum(post_domain.AppraisalResult, name="AppraisalGrade",
                                 description="P11: 优秀 EXCELLENT, 称职 COMPETENT, 基本称职 BASICALLY_COMPETENT, "
                                             "不称职 INCOMPETENT.")
PERSONAL = "Personal data (P11): shown only to the community's committee and street office and to the person; null "\
           "for every other reader, and for everyone once the person is erased (eraseSubject)."


def _texts(value: Any) -> list[str]:
    return json.loads(value) if isinstance(value, str) else list(value)


@strawberry.type(description="P11 (考核): a staff member's appraisal for a period, with its reward or sanction.")
class Appraisal:
    staff_id: strawberry.ID
    period: str
    result: AppraisalGrade
    reward: str | None
    sanction: str | None
    recorded_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Appraisal:
        return cls(staff_id=strawberry.ID(str(row["staff_id"])), period=row["period"],
                   result=AppraisalGrade(row["result"]), reward=row["reward"], sanction=row["sanction"],
                   recorded_at=row["recorded_at"])


@strawberry.type(description="P11: a person appointed to a post of community work (its id is the staff id).")
class Staff:
    id: strawberry.ID
    post_id: strawberry.ID
    community_code: strawberry.ID
    person_id: strawberry.ID
    name: str | None = strawberry.field(description=PERSONAL)
    phone: str | None = strawberry.field(description=PERSONAL)
    appointed_at: datetime
    appraisals: list[Appraisal]

    @classmethod
    def from_row(cls, row: asyncpg.Record, reader: Actor, appraisals: list[Appraisal]) -> Staff:
        shown = shows_staff_to(reader, row["community_code"], row["person_id"])
        return cls(id=strawberry.ID(str(row["id"])), post_id=strawberry.ID(str(row["post_id"])),
                   community_code=row["community_code"], person_id=row["person_id"],
                   name=row["name"] if shown else None, phone=row["phone"] if shown else None,
                   appointed_at=row["appointed_at"], appraisals=appraisals)


@strawberry.type(description="P11 (社区工作规则): a post of community work with its duties (岗位职责) and service "
                             "procedures (服务流程), and the staff appointed to it.")
class Post:
    id: strawberry.ID
    community_code: strawberry.ID
    title: str
    duties: list[str]
    procedures: list[str]
    defined_at: datetime
    staff: list[Staff]

    @classmethod
    def from_row(cls, row: asyncpg.Record, staff: list[Staff]) -> Post:
        return cls(id=strawberry.ID(str(row["id"])), community_code=row["community_code"], title=row["title"],
                   duties=_texts(row["duties"]), procedures=_texts(row["procedures"]), defined_at=row["defined_at"],
                   staff=staff)

    @classmethod
    def from_aggregate(cls, post: PostAggregate) -> Post:
        return cls(id=strawberry.ID(str(post.id)), community_code=post.community_code, title=post.title,
                   duties=list(post.duties), procedures=list(post.procedures), defined_at=post.created_on, staff=[])


@strawberry.type
class PostResult:
    post: Post
    receipt: Receipt


@strawberry.type
class StaffResult:
    staff: Staff
    receipt: Receipt


@strawberry.type
class RecordAppraisalResult:
    appraisal: Appraisal
    receipt: Receipt


@strawberry.input(description="P11: a post with its duties (at least one) and service procedures (up to 100 each).")
class DefinePostInput:
    community_code: strawberry.ID
    title: str
    duties: list[str]
    procedures: list[str]


@strawberry.input(description="P11: a person appointed to a post; name and phone are personal data.")
class AppointStaffInput:
    post_id: strawberry.ID
    person_id: strawberry.ID
    name: str
    phone: str


@strawberry.input(description="P11: a staff member's appraisal for a period (one per period).")
class RecordAppraisalInput:
    staff_id: strawberry.ID
    period: str
    result: AppraisalGrade
    reward: str | None = None
    sanction: str | None = None


@strawberry.type
class Query:
    @strawberry.field(description="P11: the posts of a community with their staff and appraisals, in the order they "
                                  "were defined; staff names and phones only for the community's committee and "
                                  "street office and for the person themself (null for every other reader).")
    async def posts(self, info: strawberry.Info, community_code: strawberry.ID) -> list[Post]:
        c = ctx(info)
        reader = c.authorize(Action.READ_MODELS, values.division_code(community_code, "communityCode"))
        posts = await reads.of_community(c, "work_posts", community_code)
        staff = await reads.of_community(c, "work_staff", community_code)
        appraisals = await reads.of_community(c, "work_appraisals", community_code)
        by_staff: dict[Any, list[Appraisal]] = {}
        for row in appraisals:
            by_staff.setdefault(row["staff_id"], []).append(Appraisal.from_row(row))
        by_post: dict[Any, list[Staff]] = {}
        for row in staff:
            by_post.setdefault(row["post_id"], []).append(Staff.from_row(row, reader, by_staff.get(row["id"], [])))
        return [Post.from_row(row, by_post.get(row["id"], [])) for row in posts]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="P11: define a post of community work with its duties and service procedures.")
    async def define_post(self, info: strawberry.Info, input: DefinePostInput) -> PostResult:
        post, receipt = await run(info, app(info).define_post, **arguments(input))
        return PostResult(post=Post.from_aggregate(post), receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation(description="P11: appoint a person to a post (name and phone are personal data).")
    async def appoint_staff(self, info: strawberry.Info, input: AppointStaffInput) -> StaffResult:
        staff, receipt = await run(info, app(info).appoint_staff, **arguments(input))
        return StaffResult(staff=staff_of(staff, ctx(info).actor, input.name, input.phone),
                           receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation(description="P11: a staff member's appraisal for a period, with its reward or sanction.")
    async def record_appraisal(self, info: strawberry.Info, input: RecordAppraisalInput) -> RecordAppraisalResult:
        staff, receipt = await run(info, app(info).record_appraisal, **arguments(input))
        last: dict[str, Any] = staff.last_appraisal or {}
        appraisal = Appraisal(staff_id=strawberry.ID(str(staff.id)), period=last["period"],
                              result=AppraisalGrade(last["result"]), reward=last["reward"], sanction=last["sanction"],
                              recorded_at=staff.modified_on)
        return RecordAppraisalResult(appraisal=appraisal, receipt=Receipt.from_receipt(receipt))


def staff_of(staff: StaffAppointment, reader: Actor, name: str, phone: str) -> Staff:
    """The staff member a command appointed (its state holds no name or phone: they are the command's own, as
    checked), as the reader may see it."""
    shown = shows_staff_to(reader, staff.community_code, staff.person_id)
    return Staff(id=strawberry.ID(str(staff.id)), post_id=strawberry.ID(str(staff.post_id)),
                 community_code=staff.community_code, person_id=staff.person_id,
                 name=values.text(name, "name", 100) if shown else None,
                 phone=post_domain.phone(phone) if shown else None, appointed_at=staff.created_on, appraisals=[])
