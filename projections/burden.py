"""The burden read model (推进社区减负增效, P1, P4–P10): what governments and departments put on communities, counted
by department (the actor's organization) and by community, per day, so that a district's burden-reduction office
(减负办) sees every breach and a committee can show what was refused in its name.

- `burden_counts`: one row per (community, department, measure, day in China time) with a count and a sum in
  yuan. The measures are `MEASURES`; a report for a scope and a period sums its rows (backend/api/burden.py).
- `burden_refusals`: every refused attempt, one row each (P1 off-list and quota, P5, P6, P7, P10), with its
  provision, code, reason and who tried.
- `burden_tasks`, `burden_agreements`: who delegated each task and signed each agreement, so a decline and a
  disbursement count against the department they concern.

"Department" is the organization the actor's token named (`actor.organization`); for events whose actor named
none (events logged before organizations were recorded) the event's own department field stands in for it
(a task's `fromDepartment`, an agreement's `department`), else the actor's id.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from backend.application.log import LoggedEvent
from projections.base import Projection, Writes

CHINA = timezone(timedelta(hours=8))

#: Each measure the report sums: its name, and whether it is money (the `yuan` column) rather than a count.
MEASURES: dict[str, bool] = {
    "tasks_delegated": False,  # P1/P3/P4: delegations recorded
    "on_duty_list": False,  # P3: on an item of the community's duty list
    "under_agreement": False,  # P4: under a service agreement
    "refused_off_list": False,  # P1: refused, on no list and under no agreement (TaskDelegationRefused)
    "quota_refused": False,  # P1: refused, a quota or ranking target not provided for (TaskDelegationRefused)
    "declined": False,  # P2: declined by the committee, counted against the delegating department
    "agreement_funding": True,  # P4: funding agreed (ServiceAgreementSigned)
    "disbursed": True,  # P4: funding paid (DisbursementRecorded)
    "work_bodies_refused": False,  # P5 (WorkBodyRefused)
    "signboards_refused": False,  # P6 (SignboardRefused)
    "target_contracts_refused": False,  # P7 (TargetContractRefused)
    "inspections": False,  # P8 (InspectionRecorded), counted against the inspecting body
    "inspections_over_cap": False,  # P8 (InspectionCapExceeded)
    "seal_uses_refused": False,  # P10 (SealUseRefused), counted against whoever asked
    "paper_ledgers_demanded": False,  # P9 (LedgerDemandRecorded)
}
#: The refusal events (backend/domain/refusal.py) and the measure each counts in; TaskDelegationRefused's
#: measure depends on its code.
REFUSALS: dict[str, str] = {
    "WorkBodyRefused": "work_bodies_refused",
    "SignboardRefused": "signboards_refused",
    "TargetContractRefused": "target_contracts_refused",
    "SealUseRefused": "seal_uses_refused",
}
DELEGATION_REFUSALS = {"OFF_LIST_TASK": "refused_off_list", "QUOTA_NOT_ALLOWED": "quota_refused"}

COUNT = ("INSERT INTO burden_counts (community_code, department, measure, day, n, yuan) VALUES ($1, $2, $3, $4, $5, $6)"
         " ON CONFLICT (community_code, department, measure, day)"
         " DO UPDATE SET n = burden_counts.n + excluded.n, yuan = burden_counts.yuan + excluded.yuan")
#: A count against the department of a row of `lookup` (burden_tasks or burden_agreements), read in the batch.
COUNT_AGAINST = ("INSERT INTO burden_counts (community_code, department, measure, day, n, yuan)"
                 " SELECT community_code, department, $2, $3, 1, $4 FROM {lookup} WHERE id = $1"
                 " ON CONFLICT (community_code, department, measure, day)"
                 " DO UPDATE SET n = burden_counts.n + 1, yuan = burden_counts.yuan + excluded.yuan")


def china_day(moment: datetime) -> date:
    """The day a moment falls on in China (UTC+8): the report's periods are China's days."""
    return moment.astimezone(CHINA).date()


def department_of(e: LoggedEvent, fallback: str | None = None) -> str:
    """The department an event counts against: the actor's organization, else `fallback`, else the actor's id."""
    return str(e.actor.get("organization") or fallback or e.actor.get("id") or "")


class Burden(Projection):
    name = "burden"
    tables = ("burden_counts", "burden_refusals", "burden_tasks", "burden_agreements")
    migrations = ("""
        CREATE TABLE burden_by_community (
            community_code text PRIMARY KEY,
            tasks_delegated int NOT NULL DEFAULT 0,
            on_duty_list int NOT NULL DEFAULT 0,
            under_agreement int NOT NULL DEFAULT 0,
            refused_off_list int NOT NULL DEFAULT 0,
            declined int NOT NULL DEFAULT 0,
            agreement_funding_yuan numeric(17, 2) NOT NULL DEFAULT 0
        );
        CREATE INDEX burden_code_prefix ON burden_by_community (community_code text_pattern_ops);
    """,
        # Every sum of events fits: counters bigint, funding unbounded numeric.
        """ALTER TABLE burden_by_community ALTER COLUMN tasks_delegated TYPE bigint,
           ALTER COLUMN on_duty_list TYPE bigint, ALTER COLUMN under_agreement TYPE bigint,
           ALTER COLUMN refused_off_list TYPE bigint, ALTER COLUMN declined TYPE bigint,
           ALTER COLUMN agreement_funding_yuan TYPE numeric""",
        # Issue 9: by department and by community, per day, every measure of P1 and P4–P10, and every refusal.
        # The old per-community table goes; the read model is refilled from the log alone (its tracking row
        # back to 0; on a new store there is none yet and nothing is reset).
        """DROP TABLE burden_by_community;
           CREATE TABLE burden_counts (
               community_code text NOT NULL,
               department text NOT NULL,
               measure text NOT NULL,
               day date NOT NULL,
               n bigint NOT NULL DEFAULT 0,
               yuan numeric NOT NULL DEFAULT 0,
               PRIMARY KEY (community_code, department, measure, day)
           );
           CREATE INDEX burden_counts_scope ON burden_counts (community_code text_pattern_ops, day);
           CREATE TABLE burden_refusals (
               position bigint PRIMARY KEY,
               refusal_id uuid NOT NULL,
               event_type text NOT NULL,
               community_code text NOT NULL,
               department text NOT NULL,
               provision text NOT NULL,
               code text NOT NULL,
               reason text NOT NULL,
               actor_id text NOT NULL,
               actor_role text NOT NULL,
               occurred_at timestamptz NOT NULL
           );
           CREATE INDEX burden_refusals_scope ON burden_refusals (community_code text_pattern_ops, position);
           CREATE TABLE burden_tasks (id uuid PRIMARY KEY, community_code text NOT NULL, department text NOT NULL);
           CREATE TABLE burden_agreements (id uuid PRIMARY KEY, community_code text NOT NULL,
                                           department text NOT NULL);
           UPDATE projection_tracking SET position = 0, failed_position = NULL, failed_event_type = NULL,
                  error = NULL, failed_since = NULL WHERE name = 'burden'""",
    )

    def _count(self, w: Writes, e: LoggedEvent, department: str, measure: str, n: int = 1,
               yuan: Decimal = Decimal(0), day: date | None = None) -> None:
        w.increment(COUNT, (e.community_code, department, measure, day or china_day(e.occurred_at)), n, yuan)

    def _count_against(self, w: Writes, e: LoggedEvent, lookup: str, row_id: UUID, measure: str,
                       yuan: Decimal = Decimal(0)) -> None:
        w.execute(COUNT_AGAINST.format(lookup=lookup), row_id, measure, china_day(e.occurred_at), yuan)

    def _refused(self, w: Writes, e: LoggedEvent, measure: str, department: str) -> None:
        d: Any = e.domain_event
        self._count(w, e, department, measure)
        w.insert("burden_refusals", position=e.position, refusal_id=d.originator_id, event_type=e.type,
                 community_code=e.community_code, department=department,
                 provision=getattr(d, "provision", "P1"), code=getattr(d, "code", "OFF_LIST_TASK"),
                 reason=d.reason, actor_id=str(e.actor.get("id")), actor_role=str(e.actor.get("role")),
                 occurred_at=e.occurred_at)

    # -- P1, P2, P3: tasks --------------------------------------------------------------------
    def on_TaskDelegated(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        department = department_of(e, d.from_department)
        self._count(w, e, department, "tasks_delegated")
        self._count(w, e, department, "on_duty_list" if d.basis == "DUTY_LIST" else "under_agreement")
        w.insert("burden_tasks", id=d.originator_id, community_code=e.community_code, department=department)

    def on_TaskDelegationRefused(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        code = getattr(d, "code", "OFF_LIST_TASK")  # refusals logged before quotas were all off-list ones
        self._refused(w, e, DELEGATION_REFUSALS[code], department_of(e, d.from_department))

    def on_TaskDeclined(self, w: Writes, e: LoggedEvent) -> None:
        self._count_against(w, e, "burden_tasks", e.domain_event.originator_id, "declined")

    # -- P4: agreements and the money ------------------------------------------------------------
    def on_ServiceAgreementSigned(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        department = department_of(e, d.department)
        self._count(w, e, department, "agreement_funding", yuan=Decimal(d.funding_yuan))
        w.insert("burden_agreements", id=d.originator_id, community_code=e.community_code, department=department)

    def on_DisbursementRecorded(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        self._count_against(w, e, "burden_agreements", d.originator_id, "disbursed", Decimal(d.amount_yuan))

    # -- P5, P6, P7, P10: refused attempts ------------------------------------------------------------
    def on_WorkBodyRefused(self, w: Writes, e: LoggedEvent) -> None:
        self._refused(w, e, REFUSALS[e.type], department_of(e))

    def on_SignboardRefused(self, w: Writes, e: LoggedEvent) -> None:
        self._refused(w, e, REFUSALS[e.type], department_of(e))

    def on_TargetContractRefused(self, w: Writes, e: LoggedEvent) -> None:
        self._refused(w, e, REFUSALS[e.type], department_of(e))

    def on_SealUseRefused(self, w: Writes, e: LoggedEvent) -> None:
        """P10: counted against whoever asked for the seal (`requestedBy`), else the actor's organization."""
        requested_by = getattr(e.domain_event, "requested_by", None)
        self._refused(w, e, REFUSALS[e.type], str(requested_by) if requested_by else department_of(e))

    # -- P8, P9: inspections and paper ledgers -----------------------------------------------------------
    def on_InspectionRecorded(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        self._count(w, e, str(d.inspecting_body), "inspections", day=inspection_day(d, e))

    def on_InspectionCapExceeded(self, w: Writes, e: LoggedEvent) -> None:
        d = e.domain_event
        self._count(w, e, str(getattr(d, "inspecting_body", None) or department_of(e)), "inspections_over_cap",
                    day=inspection_day(d, e))

    def on_LedgerDemandRecorded(self, w: Writes, e: LoggedEvent) -> None:
        self._count(w, e, str(e.domain_event.department), "paper_ledgers_demanded")


def inspection_day(d: Any, e: LoggedEvent) -> date:
    """An inspection counts on the day it took place (its `date`), else on the day it was recorded."""
    when = getattr(d, "date", None)
    if isinstance(when, datetime):
        return china_day(when)
    if isinstance(when, date):
        return when
    return china_day(e.occurred_at)
