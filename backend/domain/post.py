"""How community work is run, P11 (社区工作规则): the posts of community work with their duties (岗位职责) and
service procedures (服务流程), the staff appointed to them, and their appraisals (考核) with rewards and sanctions
(奖惩).

A record: `PostDefined`, `StaffAppointed`, `AppraisalRecorded`. A person's name and phone on `StaffAppointed` are
personal data (个人信息): the aggregate declares them (`PERSONAL_FIELDS`), the aggregate's state never holds them
(so an entity's state as of a time shows none), and they are shown only to the committee and the street office
whose scope covers the community, and to the person themself (`shows_personal_to`); every other reader (a
department, an auditor, an integrator, a resident) gets null for them, in the read model's queries and in the raw
log alike (backend/api/auditing.py hides the fields any aggregate declares personal).
"""
from __future__ import annotations

import re
from enum import Enum
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.access import PERMISSIONS, Action, Actor
from backend.domain.errors import AlreadyExists, InvalidInput
from backend.domain.stamp import Stamp

#: Most duties or procedures a post lists, and the longest one (P11).
MAX_POST_ITEMS = 100
MAX_POST_ITEM = 1_000
PHONE = re.compile(r"\+?[0-9][0-9 ()-]{2,30}")


class AppraisalResult(str, Enum):
    """P11: the grades of a staff member's appraisal (考核结果)."""

    EXCELLENT = "EXCELLENT"  # 优秀
    COMPETENT = "COMPETENT"  # 称职
    BASICALLY_COMPETENT = "BASICALLY_COMPETENT"  # 基本称职
    INCOMPETENT = "INCOMPETENT"  # 不称职


def post_items(value: Any, field: str, at_least: int = 0) -> list[str]:
    """P11: a post's duties or procedures: a list of at most MAX_POST_ITEMS texts (each up to MAX_POST_ITEM
    characters, newlines allowed)."""
    if not isinstance(value, (list, tuple)):
        raise InvalidInput(f"{field} must be a list of texts", field=field)
    if len(value) > MAX_POST_ITEMS:
        raise InvalidInput(f"{field} holds at most {MAX_POST_ITEMS} entries", field=field)
    if len(value) < at_least:
        raise InvalidInput(f"{field} needs at least {at_least} entry", field=field)
    return [values.text(item, field, MAX_POST_ITEM, multiline=True) for item in value]


def phone(value: Any, field: str = "phone") -> str:
    """A phone number: 3 to 32 digits, spaces, hyphens or parentheses, an optional leading +."""
    text = values.text(value, field, 32)
    if not PHONE.fullmatch(text):
        raise InvalidInput(f"{field} is a phone number (digits, spaces, - ( ) and a leading +)", field=field)
    return text


def shows_staff_to(actor: Actor, community_code: str, person_id: str | None) -> bool:
    """P11: whether the actor may see a staff member's name and phone: the committee and the street office whose
    scope covers the community (Action.READ_STAFF), and the person themself (the actor's id is the person's)."""
    return ((actor.role in PERMISSIONS[Action.READ_STAFF] and actor.covers(community_code))
            or (person_id is not None and actor.id == person_id))


class Post(Aggregate):
    """P11 (社区工作规则): a post of community work (岗位) with its duties (岗位职责) and its service procedures
    (服务流程)."""

    @event("PostDefined")
    def __init__(self, title: str, duties: list[str], procedures: list[str], actor: dict[str, Any],
                 request_id: str, community_code: str, client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.title = title
        self.duties = duties
        self.procedures = procedures

    @classmethod
    def define(cls, community_code: str, title: str, duties: list[str], procedures: list[str],
               by: Stamp) -> Post:
        return cls(title=values.text(title, "title", 200), duties=post_items(duties, "duties", 1),
                   procedures=post_items(procedures, "procedures"),
                   **by.on(values.division_code(community_code, "communityCode")))


class StaffAppointment(Aggregate):
    """P11 (社区工作规则): a person appointed to a post (聘任/任职), and that staff member's appraisals (考核) with
    their rewards (奖励) and sanctions (惩戒). Its id is the staff id appraisals name.

    The person's name and phone are personal data (`PERSONAL_FIELDS`, on `StaffAppointed`): they are in the event
    only, never in this aggregate's state, and shown only to whom `shows_personal_to` allows."""

    PERSONAL_FIELDS: ClassVar[frozenset[str]] = frozenset({"name", "phone"})
    #: The field of an event naming whose personal data it holds (that person may see it).
    PERSONAL_SUBJECT: ClassVar[str] = "person_id"

    @staticmethod
    def shows_personal_to(actor: Actor, community_code: str, subject: str | None) -> bool:
        """Whether the actor may see the personal fields of this aggregate's events (P11)."""
        return shows_staff_to(actor, community_code, subject)

    @event("StaffAppointed")
    def __init__(self, post_id: UUID, post_title: str, person_id: str, name: str, phone: str,
                 actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.post_id = post_id
        self.post_title = post_title
        self.person_id = person_id  # name and phone are not kept in the state (personal data: see the class)
        self.periods: list[str] = []
        self.last_appraisal: dict[str, Any] | None = None

    @classmethod
    def appoint(cls, post: Post, person_id: str, name: str, phone_: str, by: Stamp) -> StaffAppointment:
        return cls(post_id=post.id, post_title=post.title, person_id=values.identifier(person_id, "personId"),
                   name=values.text(name, "name", 100), phone=phone(phone_), **by.on(post.community_code))

    def appraise(self, period: str, result: str, reward: str | None, sanction: str | None, by: Stamp) -> None:
        """P11: the staff member's appraisal for a period (one per period), with its reward or sanction."""
        period = values.text(period, "period", 40)
        if period in self.periods:
            raise AlreadyExists(f"this staff member has an appraisal for {period} already")
        self._appraised(period=period, result=values.choice(result, AppraisalResult, "result"),
                        reward=values.optional_text(reward, "reward", 500),
                        sanction=values.optional_text(sanction, "sanction", 500), **by.on(self.community_code))

    @event("AppraisalRecorded")
    def _appraised(self, period: str, result: str, reward: str | None, sanction: str | None,
                   actor: dict[str, Any], request_id: str, community_code: str,
                   client_request_id: str | None = None) -> None:
        self.periods.append(period)
        self.last_appraisal = {"period": period, "result": result, "reward": reward, "sanction": sanction}
