"""P11 (社区工作规则): the posts of community work with their duties and service procedures, the staff appointed
to them and their appraisals with rewards and sanctions. The staff table holds names and phones (personal data:
null, with `personal_erased`, once the person is erased, backend/application/personal.py): the API shows them only
to the committee and street office of the community and to the person themself (backend/domain/post.py,
`shows_staff_to`)."""
from __future__ import annotations

import json

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes


class Work(Projection):
    name = "work"
    tables = ("work_posts", "work_staff", "work_appraisals")
    migrations = ("""
        CREATE TABLE work_posts (
            id uuid PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            community_code text NOT NULL,
            title text NOT NULL,
            duties jsonb NOT NULL,
            procedures jsonb NOT NULL,
            defined_at timestamptz NOT NULL
        );
        CREATE INDEX work_posts_community ON work_posts (community_code text_pattern_ops, position);
        CREATE TABLE work_staff (
            id uuid PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            post_id uuid NOT NULL,
            community_code text NOT NULL,
            person_id text NOT NULL,
            name text NOT NULL,
            phone text NOT NULL,
            appointed_at timestamptz NOT NULL
        );
        CREATE INDEX work_staff_post ON work_staff (post_id, position);
        CREATE TABLE work_appraisals (
            position bigint PRIMARY KEY,
            staff_id uuid NOT NULL,
            community_code text NOT NULL,
            period text NOT NULL,
            result text NOT NULL,
            reward text,
            sanction text,
            recorded_at timestamptz NOT NULL
        );
        CREATE INDEX work_appraisals_staff ON work_appraisals (staff_id, position);
    """,
        # Personal data can be erased (PIPL art. 47): a staff member's name and phone are null once the person is
        # erased, and `personal_erased` says so (backend/application/personal.py).
        """ALTER TABLE work_staff ALTER COLUMN name DROP NOT NULL, ALTER COLUMN phone DROP NOT NULL,
           ADD COLUMN personal_erased boolean NOT NULL DEFAULT false;
           CREATE INDEX work_staff_person ON work_staff (person_id)""",
    )

    def on_PostDefined(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.insert("work_posts", id=d.originator_id, position=e.position, community_code=e.community_code,
                 title=d.title,
                 duties=json.dumps(d.duties, ensure_ascii=False),
                 procedures=json.dumps(d.procedures, ensure_ascii=False), defined_at=e.occurred_at)

    def on_StaffAppointed(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.insert("work_staff", id=d.originator_id, position=e.position, post_id=d.post_id,
                 community_code=e.community_code,
                 person_id=d.person_id, name=d.name, phone=d.phone, appointed_at=e.occurred_at,
                 personal_erased=d.name is None and d.phone is None)

    def on_SubjectErased(self, w: Writes, e: LoggedEvent) -> None:
        """PIPL art. 47: the person's names and phones erased from the staff table (what a rebuild reads as
        erased already: their keys are gone)."""
        w.execute("UPDATE work_staff SET name = NULL, phone = NULL, personal_erased = true WHERE person_id = $1",
                  e.domain_event.subject_id)

    def on_AppraisalRecorded(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.insert("work_appraisals", position=e.position, staff_id=d.originator_id, community_code=e.community_code,
                 period=d.period, result=d.result, reward=d.reward, sanction=d.sanction, recorded_at=e.occurred_at)
