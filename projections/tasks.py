"""Tasks delegated to committees, with their current status and version."""
from __future__ import annotations

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes


class Tasks(Projection):
    name = "tasks"
    tables = ("tasks",)
    migrations = ("""
        CREATE TABLE tasks (
            id uuid PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            community_code text NOT NULL,
            title text NOT NULL,
            from_department text NOT NULL,
            basis text NOT NULL,
            duty_item_code text,
            duty_list_version int NOT NULL,
            agreement_id uuid,
            status text NOT NULL,
            delegated_at timestamptz NOT NULL,
            due_at timestamptz,
            version int NOT NULL,
            decline_reason text,
            updated_at timestamptz NOT NULL
        );
        CREATE INDEX tasks_community_position ON tasks (community_code text_pattern_ops, position);
        CREATE INDEX tasks_status ON tasks (status, community_code text_pattern_ops);
    """,
        # P1: the quota or ranking target a task carries (tasks before it carried none); P4: the tasks under an
        # agreement, for its view and for the unfunded ones.
        """ALTER TABLE tasks ADD COLUMN quota text;
           CREATE INDEX tasks_agreement ON tasks (agreement_id) WHERE agreement_id IS NOT NULL""",
    )

    def on_TaskDelegated(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        w.insert("tasks", id=d.originator_id, position=e.position, community_code=e.community_code, title=d.title,
                 from_department=d.from_department, basis=d.basis, duty_item_code=d.duty_item_code,
                 duty_list_version=d.duty_list_version, agreement_id=d.agreement_id, status="DELEGATED",
                 delegated_at=e.occurred_at, due_at=d.due_at, version=e.version, updated_at=e.occurred_at,
                 quota=getattr(d, "quota", None))  # tasks delegated before quotas carry none

    def _status(self, w: Writes, e: LoggedEvent, status: str, reason: str | None = None) -> None:
        w.execute(
            "UPDATE tasks SET status = $2, version = $3, updated_at = $4, decline_reason = coalesce($5, decline_reason)"
            " WHERE id = $1", e.domain_event.originator_id, status, e.version, e.occurred_at, reason)

    def on_TaskAccepted(self, w: Writes, e: LoggedEvent) -> None:
        self._status(w, e, "ACCEPTED")

    def on_TaskDeclined(self, w: Writes, e: LoggedEvent) -> None:
        self._status(w, e, "DECLINED", e.domain_event.reason)

    def on_TaskCompleted(self, w: Writes, e: LoggedEvent) -> None:
        self._status(w, e, "COMPLETED")
