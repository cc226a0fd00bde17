"""Commands of how community work is run (P11 社区工作规则): posts, staff, appraisals."""
from __future__ import annotations

from backend.application.base import GovernanceApplication, Receipt, acting
from backend.application.steps import Steps, command
from backend.domain import values
from backend.domain.access import Action, authorize
from backend.domain.post import AppraisalResult, Post, StaffAppointment, post_items
from backend.domain.post import phone as phone_number
from backend.domain.stamp import Stamp


class CommunityWork(GovernanceApplication):
    """P11: the commands; Gongzhi (governance.py) has them."""

    @command(Action.DEFINE_POST)
    def define_post(self, by: Stamp, *, community_code: str, title: str, duties: list[str],
                    procedures: list[str]) -> Steps[tuple[Post, Receipt]]:
        """P11: define a post of community work with its duties (岗位职责) and service procedures (服务流程)."""
        code = values.division_code(community_code, "communityCode")
        title = values.text(title, "title", 200)
        duties, procedures = post_items(duties, "duties", 1), post_items(procedures, "procedures")
        authorize(acting(by).actor, Action.DEFINE_POST, code)
        yield from self._require_community(code)
        post = Post.define(code, title, duties, procedures, by)
        return post, (yield from self._commit_change(post))

    @command(Action.DEFINE_POST)
    def appoint_staff(self, by: Stamp, *, post_id: str, person_id: str, name: str,
                      phone: str) -> Steps[tuple[StaffAppointment, Receipt]]:
        """P11: appoint a person to a post (`StaffAppointed`; name and phone are personal data)."""
        post_uuid = values.uuid(post_id, "postId")
        person_id = values.identifier(person_id, "personId")
        name = values.text(name, "name", 100)
        phone_ = phone_number(phone)
        acting(by)
        post = yield from self._get(Post, post_uuid, "post")
        authorize(by.actor, Action.DEFINE_POST, post.community_code)
        staff = StaffAppointment.appoint(post, person_id, name, phone_, by)
        return staff, (yield from self._commit_change(staff))

    @command(Action.DEFINE_POST)
    def record_appraisal(self, by: Stamp, *, staff_id: str, period: str, result: str, reward: str | None = None,
                         sanction: str | None = None) -> Steps[tuple[StaffAppointment, Receipt]]:
        """P11: a staff member's appraisal (考核) for a period, with its reward (奖励) or sanction (惩戒)."""
        staff_uuid = values.uuid(staff_id, "staffId")
        period = values.text(period, "period", 40)
        result = values.choice(result, AppraisalResult, "result")
        reward = values.optional_text(reward, "reward", 500)
        sanction = values.optional_text(sanction, "sanction", 500)
        acting(by)
        staff = yield from self._get(StaffAppointment, staff_uuid, "staff member")
        authorize(by.actor, Action.DEFINE_POST, staff.community_code)
        staff.appraise(period, result, reward, sanction, by)
        return staff, (yield from self._commit_change(staff))
