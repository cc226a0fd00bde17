"""The API of the burden put on communities (推进社区减负增效, P1, P4–P10): the oversight view a district's
burden-reduction office (减负办) reads — `burdenReport` per department (the actor's organization) and per
community, `burdenAlerts` for what needs action, `refusals` for every refused attempt — and the P4 command that
records money paid under an agreement. An area module, composed by schema.py; its SQL is in reads.py."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import asyncpg
import strawberry

from backend.api import reads
from backend.api.commanding import app, arguments, run
from backend.api.context import ctx
from backend.api.governance import AgreementResult, ServiceAgreement
from backend.api.types import Connection, Receipt
from backend.domain import values
from backend.domain.errors import InvalidInput
from projections.burden import MEASURES


@strawberry.type(description="The burden figures of one department, one community or a whole scope, over a period.")
class BurdenFigures:
    tasks_delegated: int = strawberry.field(description="P1/P3/P4: tasks delegated.")
    on_duty_list: int = strawberry.field(description="P3: on an item of the community's duty list.")
    under_agreement: int = strawberry.field(description="P4: under a service agreement.")
    refused_off_list: int = strawberry.field(description="P1: refused, on no duty list and under no agreement.")
    quota_refused: int = strawberry.field(description="P1: refused, a quota or ranking target (指标) not provided for.")
    declined: int = strawberry.field(description="P2: declined by the committee.")
    agreement_funding_yuan: str = strawberry.field(description="P4: funding agreed, in yuan.")
    disbursed_yuan: str = strawberry.field(description="P4: funding disbursed, in yuan (费随事转).")
    unfunded_tasks: int = strawberry.field(
        description="P4: tasks under an agreement with nothing disbursed after the grace period "
                    "(GONGZHI_UNFUNDED_GRACE_DAYS, 30 days by default).")
    work_bodies_refused: int = strawberry.field(description="P5: a department's own work body, refused.")
    signboards_refused: int = strawberry.field(description="P6: signboards refused.")
    target_contracts_refused: int = strawberry.field(description="P7: target-responsibility contracts refused.")
    inspections: int = strawberry.field(description="P8: inspections recorded.")
    inspections_over_cap: int = strawberry.field(description="P8: inspections past the cap of their quarter.")
    seal_uses_refused: int = strawberry.field(description="P10: uses of the seal to certify liability, refused.")
    paper_ledgers_demanded: int = strawberry.field(description="P9: paper ledgers (纸质台账) demanded.")


def figures(rows: list[asyncpg.Record], unfunded: int) -> dict[str, object]:
    """A figures type's fields from the sums of its measures (reads.burden_measures) and its unfunded tasks."""
    sums = {row["measure"]: row for row in rows}
    out: dict[str, object] = {}
    for measure, money in MEASURES.items():
        row = sums.get(measure)
        if money:
            name = "agreement_funding_yuan" if measure == "agreement_funding" else f"{measure}_yuan"
            out[name] = str(row["yuan"] if row else Decimal("0.00"))
        else:
            out[measure] = row["n"] if row else 0
    out["unfunded_tasks"] = unfunded
    return out


@strawberry.type(description="One department's burden figures (by the organization its actors' tokens name).")
class DepartmentBurden(BurdenFigures):
    department: str


@strawberry.type(description="One community's burden figures.")
class CommunityBurden(BurdenFigures):
    community_code: strawberry.ID


@strawberry.type(description="The burden figures of a scope over a period (P1–P10), in all, by department and "
                             "by community.")
class BurdenReport(BurdenFigures):
    scope: str
    from_: date | None = strawberry.field(name="from", description="The period's first day (China time), if any.")
    to: date | None = strawberry.field(description="The period's last day (China time), if any.")
    department: str | None = strawberry.field(description="The department the report is narrowed to, if any.")
    by_department: list[DepartmentBurden]
    by_community: list[CommunityBurden]


def grouped(rows: list[asyncpg.Record], unfunded: list[asyncpg.Record], key: str) -> dict[str, dict[str, object]]:
    keys = sorted({row["key"] for row in rows} | {row[key] for row in unfunded if row[key] is not None})
    return {k: figures([r for r in rows if r["key"] == k], sum(1 for u in unfunded if u[key] == k)) for k in keys}


@strawberry.enum(description="What a burden alert is about.")
class BurdenAlertKind(Enum):
    INSPECTION_CAP_EXCEEDED = "INSPECTION_CAP_EXCEEDED"  # P8: a community's quarter past its cap
    UNFUNDED_TASK = "UNFUNDED_TASK"  # P4: a task under an agreement with nothing disbursed after the grace period
    REPEATED_REFUSALS = "REPEATED_REFUSALS"  # P1, P5–P7, P10: one department refused again and again


@strawberry.type(description="Something in the scope that needs action (P4, P8, P1/P5–P7/P10).")
class BurdenAlert:
    kind: BurdenAlertKind
    community_code: strawberry.ID | None
    department: str | None
    count: int = strawberry.field(description="Inspections past the cap; 1 for a task; refusals of the department.")
    detail: str
    quarter: str | None = strawberry.field(default=None, description="P8: the quarter, as 2026Q4.")
    task_id: strawberry.ID | None = None
    agreement_id: strawberry.ID | None = None
    since: datetime | None = strawberry.field(default=None, description="P4: when the task was delegated; "
                                              "P1/P5–P7/P10: the department's latest refusal.")
    provisions: list[str] | None = None
    position: int | None = strawberry.field(default=None, description="The latest refusal's place in the log.")


@strawberry.type(description="A refused attempt as the burden read model keeps it (P1, P5, P6, P7, P10).")
class Refusal:
    position: int
    refusal_id: strawberry.ID
    type: str
    community_code: strawberry.ID
    department: str
    provision: str
    code: str
    reason: str
    actor_id: strawberry.ID
    actor_role: str
    occurred_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Refusal:
        return cls(position=row["position"], refusal_id=strawberry.ID(str(row["refusal_id"])), type=row["event_type"],
                   community_code=row["community_code"], department=row["department"], provision=row["provision"],
                   code=row["code"], reason=row["reason"], actor_id=row["actor_id"], actor_role=row["actor_role"],
                   occurred_at=row["occurred_at"])


@strawberry.input(description="P4: money paid to the community under an agreement (拨付).")
class RecordDisbursementInput:
    agreement_id: strawberry.ID
    amount_yuan: str = strawberry.field(description="A positive decimal with at most two places; the agreement's "
                                                    "disbursements may not exceed its funding (OVER_DISBURSED).")
    disbursed_at: datetime | None = strawberry.field(default=None, description="When it was paid (default: now).")
    note: str | None = None


@strawberry.type
class Query:
    @strawberry.field(description="The burden of the communities in a scope (P1–P10): tasks, refusals, funding, "
                                  "work bodies, signboards, target contracts, inspections, seals and paper ledgers, "
                                  "in all, per department (the actor's organization) and per community; over the "
                                  "days `from`–`to` (China time, both included; default: all), for one department "
                                  "if `department` is given (a department's own record).")
    async def burden_report(self, info: strawberry.Info, scope: str,
                            from_: Annotated[date | None, strawberry.argument(name="from")] = None,
                            to: date | None = None, department: str | None = None) -> BurdenReport:
        c = ctx(info)
        prefix = reads.burden_scope(c, scope)
        when = reads.period(from_, to)
        department = values.optional_text(department, "department", 200)
        rows = await reads.burden_measures(c, prefix, when, department, None)
        by_department = await reads.burden_measures(c, prefix, when, department, "department")
        by_community = await reads.burden_measures(c, prefix, when, department, "community_code")
        unfunded = await reads.unfunded_tasks(c, prefix, when, department)
        return BurdenReport(
            scope=scope, from_=from_, to=to, department=department, **figures(rows, len(unfunded)),
            by_department=[DepartmentBurden(department=k, **f)
                           for k, f in grouped(by_department, unfunded, "department").items()],
            by_community=[CommunityBurden(community_code=strawberry.ID(k), **f)
                          for k, f in grouped(by_community, unfunded, "community_code").items()])

    @strawberry.field(description="What needs action in a scope: communities over their inspection cap in a quarter "
                                  "(P8), tasks under an agreement still unfunded after the grace period (P4), and "
                                  "departments refused again and again (GONGZHI_REPEATED_REFUSALS, 3 by default; P1, "
                                  "P5–P7, P10).")
    async def burden_alerts(self, info: strawberry.Info, scope: str) -> list[BurdenAlert]:
        c = ctx(info)
        prefix = reads.burden_scope(c, scope)
        alerts = [BurdenAlert(kind=BurdenAlertKind.INSPECTION_CAP_EXCEEDED, community_code=row["community_code"],
                              department=None, count=row["n"], quarter=f"{row['year']}Q{row['quarter']}",
                              detail=f"{row['n']} inspection(s) past the cap in {row['year']}Q{row['quarter']} (P8)")
                  for row in await reads.caps_exceeded(c, prefix)]
        now = datetime.now(UTC)
        alerts += [BurdenAlert(kind=BurdenAlertKind.UNFUNDED_TASK, community_code=row["community_code"],
                               department=row["department"], count=1, task_id=strawberry.ID(str(row["task_id"])),
                               agreement_id=strawberry.ID(str(row["agreement_id"])), since=row["delegated_at"],
                               detail=f"{row['title']}: nothing of {row['funding_yuan']} yuan disbursed after "
                                      f"{(now - row['delegated_at']).days} days (P4)")
                   for row in await reads.unfunded_tasks(c, prefix, reads.Period(), None)]
        alerts += [BurdenAlert(kind=BurdenAlertKind.REPEATED_REFUSALS, community_code=None,
                               department=row["department"], count=row["n"], provisions=list(row["provisions"]),
                               since=row["last_at"], position=row["last_position"],
                               detail=f"{row['n']} refused attempts ({', '.join(row['provisions'])}) in "
                                      f"{len(row['communities'])} communities")
                   for row in await reads.repeated_refusals(c, prefix, c.platform.settings.repeated_refusals)]
        return alerts

    @strawberry.field(description="Every refused attempt in the scope (default: the actor's), newest first: what "
                                  "was refused in a community's name, by which department, under which provision.")
    async def refusals(self, info: strawberry.Info, scope: str | None = None, provision: str | None = None,
                       department: str | None = None, first: int | None = 50,
                       after: str | None = None) -> Connection[Refusal]:
        c = ctx(info)
        if provision is not None and not (provision[:1] == "P" and provision[1:].isascii()
                                          and provision[1:].isdigit() and 1 <= int(provision[1:]) <= 38):
            raise InvalidInput("provision is one of P1 to P38", field="provision")
        page = await reads.refusals(c, scope, provision, values.optional_text(department, "department", 200),
                                    first, after)
        return Connection.of(page, Refusal.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="P4 (费随事转): record money paid to the community under an agreement; the "
                                     "disbursements may not exceed its funding (OVER_DISBURSED).")
    async def record_disbursement(self, info: strawberry.Info, input: RecordDisbursementInput) -> AgreementResult:
        agreement, receipt = await run(info, app(info).record_disbursement, **arguments(input))
        return AgreementResult(agreement=ServiceAgreement.from_aggregate(agreement),
                               receipt=Receipt.from_receipt(receipt))
