"""The API of the records of the burden put on communities (P8 inspections and their cap, P9 paper ledgers):
their types, inputs and results, and the fields they add to Query and Mutation (the commands:
backend/application/inspections.py; the read model: projections/inspections.py).

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
from backend.api.types import Connection, Receipt
from backend.domain.inspection import InspectionCap as CapAggregate
from backend.domain.inspection import InspectionQuarter, optional_quarter
from backend.domain.inspection import LedgerDemand as LedgerDemandAggregate


# -- P8: inspections (精简检查) ------------------------------------------------------------------------------
@strawberry.type(description="P8 (精简检查): an inspection of a community, as recorded, with its place among the "
                             "community's inspections of its quarter (in China, UTC+8) and the cap then in force.")
class Inspection:
    id: strawberry.ID
    community_code: strawberry.ID
    inspecting_body: str
    subject: str
    date: datetime
    quarter: str = strawberry.field(description="The quarter of `date` in China (UTC+8), e.g. 2026Q3.")
    materials_requested: list[str]
    ordinal: int = strawberry.field(description="Its place among the community's inspections of the quarter (1 is "
                                                "the first).")
    cap: int | None = strawberry.field(description="The cap in force when it was recorded (inspections per "
                                                   "community per quarter; null: none set).")
    cap_scope: str | None = strawberry.field(description="Who set that cap: a district (6 digits) or street (9).")
    exceeded: bool = strawberry.field(description="Whether it was above the cap (an InspectionCapExceeded alert "
                                                  "was recorded with it).")
    organization: str | None = strawberry.field(description="The organization of whoever recorded it.")
    recorded_at: datetime
    tally_id: strawberry.ID = strawberry.field(description="The stream of the community's inspections of the "
                                                           "quarter (history(entityId) shows them and their alerts).")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Inspection:
        materials = row["materials_requested"]
        return cls(id=strawberry.ID(str(row["id"])), community_code=row["community_code"],
                   inspecting_body=row["inspecting_body"], subject=row["subject"], date=row["date"],
                   quarter=row["quarter"],
                   materials_requested=json.loads(materials) if isinstance(materials, str) else list(materials),
                   ordinal=row["ordinal"], cap=row["cap"], cap_scope=row["cap_scope"], exceeded=row["exceeded"],
                   organization=row["organization"], recorded_at=row["recorded_at"],
                   tally_id=strawberry.ID(str(row["tally_id"])))

    @classmethod
    def from_aggregate(cls, tally: InspectionQuarter) -> Inspection:
        """The inspection a command recorded: the last of its quarter's tally."""
        last: dict[str, Any] = tally.last or {}
        return cls(id=strawberry.ID(str(last["inspection_id"])), community_code=tally.community_code,
                   inspecting_body=last["inspecting_body"], subject=last["subject"], date=last["date"],
                   quarter=tally.quarter, materials_requested=list(last["materials_requested"]),
                   ordinal=last["ordinal"], cap=last["cap"], cap_scope=last["cap_scope"], exceeded=last["exceeded"],
                   organization=last["organization"], recorded_at=tally.modified_on,
                   tally_id=strawberry.ID(str(tally.id)))


@strawberry.type(description="P8: how many inspections one inspecting body made of a community in a quarter.")
class InspectionBodyCount:
    inspecting_body: str
    inspections: int


@strawberry.type(description="P8: a community's inspections in a quarter (in China, UTC+8): how many, by which "
                             "bodies, the cap in force at the last one, and whether it was exceeded.")
class InspectionCount:
    community_code: strawberry.ID
    quarter: str
    inspections: int
    cap: int | None = strawberry.field(description="The cap in force when the last inspection was recorded.")
    cap_scope: str | None
    alerts: int = strawberry.field(description="InspectionCapExceeded alerts raised (one per inspection above it).")
    exceeded: bool
    by_body: list[InspectionBodyCount]

    @classmethod
    def from_row(cls, row: asyncpg.Record, bodies: list[InspectionBodyCount]) -> InspectionCount:
        return cls(community_code=row["community_code"], quarter=row["quarter"], inspections=row["inspections"],
                   cap=row["cap"], cap_scope=row["cap_scope"], alerts=row["alerts"], exceeded=row["alerts"] > 0,
                   by_body=bodies)


@strawberry.type(description="P8: the most inspections per community per quarter a district (6 digits) or street "
                             "(9 digits) sets for its communities; a street's cap wins over its district's.")
class InspectionCap:
    scope: str
    max_per_quarter: int
    set_at: datetime

    @classmethod
    def from_aggregate(cls, cap: CapAggregate) -> InspectionCap:
        return cls(scope=cap.scope, max_per_quarter=cap.max_per_quarter, set_at=cap.modified_on)


@strawberry.type
class InspectionCapResult:
    cap: InspectionCap
    receipt: Receipt


@strawberry.type
class InspectionResult:
    inspection: Inspection = strawberry.field(description="The inspection; `exceeded` says whether it was above the "
                                                          "cap (the alert is in the log beside it).")
    receipt: Receipt


@strawberry.input(description="P8: an inspection of a community (by whom, of what, when, asking for what).")
class RecordInspectionInput:
    community_code: strawberry.ID
    inspecting_body: str
    subject: str
    date: datetime
    materials_requested: list[str] | None = None


# -- P9: paper ledgers (精简台账) ----------------------------------------------------------------------------
@strawberry.type(description="P9 (精简台账): a department's demand for a paper ledger from a community.")
class LedgerDemand:
    id: strawberry.ID
    community_code: strawberry.ID
    department: str
    ledger: str
    pages: int | None
    demanded_at: datetime
    recorded_at: datetime

    @classmethod
    def from_aggregate(cls, demand: LedgerDemandAggregate) -> LedgerDemand:
        return cls(id=strawberry.ID(str(demand.id)), community_code=demand.community_code,
                   department=demand.department, ledger=demand.ledger, pages=demand.pages,
                   demanded_at=demand.demanded_at, recorded_at=demand.created_on)


@strawberry.type
class LedgerDemandResult:
    ledger_demand: LedgerDemand
    receipt: Receipt


@strawberry.input(description="P9: a paper ledger a department demanded of a community (pages 0-1,000,000 if known).")
class RecordLedgerDemandInput:
    community_code: strawberry.ID
    department: str
    ledger: str
    demanded_at: datetime
    pages: int | None = None


# -- reads ---------------------------------------------------------------------------------------------------
def _where(c: Any, scope: str | None, quarter: str | None) -> tuple[list[str], list[Any]]:
    where, args = ["community_code LIKE $1"], [reads.read_scope(c, scope) + "%"]
    quarter = optional_quarter(quarter)
    if quarter is not None:
        args.append(quarter)
        where.append(f"quarter = ${len(args)}")
    return where, args


@strawberry.type
class Query:
    @strawberry.field(description="P8: the inspections of the communities in the scope (default: the actor's), in a "
                                  "quarter if one is named (e.g. 2026Q3, in China), newest first.")
    async def inspections(self, info: strawberry.Info, scope: str | None = None, quarter: str | None = None,
                          first: int | None = 50, after: str | None = None) -> Connection[Inspection]:
        c = ctx(info)
        where, args = _where(c, scope, quarter)
        page = await reads.page(c, "inspections", "position", where, args, first, after, True)
        return Connection.of(page, Inspection.from_row)

    @strawberry.field(description="P8: the inspections per community and quarter in the scope (default: the "
                                  "actor's), in a quarter if one is named: how many, by inspecting body, the cap "
                                  "in force and whether it was exceeded; by community code and quarter.")
    async def inspection_counts(self, info: strawberry.Info, scope: str | None = None, quarter: str | None = None,
                                first: int | None = 50, after: str | None = None) -> Connection[InspectionCount]:
        c = ctx(info)
        where, args = _where(c, scope, quarter)
        page = await reads.page(c, "inspection_quarters", "key", where, args, first, after, False)
        rows = await reads.inspection_bodies(c, [row["key"] for row in page.rows])
        bodies: dict[str, list[InspectionBodyCount]] = {}
        for row in rows:
            bodies.setdefault(f"{row['community_code']}:{row['quarter']}", []).append(
                InspectionBodyCount(inspecting_body=row["inspecting_body"], inspections=row["inspections"]))
        return Connection.of(page, lambda row: InspectionCount.from_row(row, bodies.get(row["key"], [])))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="P8: a district (6-digit scope) or street (9 digits) sets the most inspections "
                                     "per community per quarter; the street's cap wins over its district's.")
    async def set_inspection_cap(self, info: strawberry.Info, scope: str, max_per_quarter: int) -> InspectionCapResult:
        cap, receipt = await run(info, app(info).set_inspection_cap, scope=scope, max_per_quarter=max_per_quarter)
        return InspectionCapResult(cap=InspectionCap.from_aggregate(cap), receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation(description="P8: record an inspection of a community. Above the cap in force it is recorded "
                                     "all the same, with an InspectionCapExceeded alert (`inspection.exceeded`).")
    async def record_inspection(self, info: strawberry.Info, input: RecordInspectionInput) -> InspectionResult:
        tally, receipt = await run(info, app(info).record_inspection, **arguments(input))
        return InspectionResult(inspection=Inspection.from_aggregate(tally), receipt=Receipt.from_receipt(receipt))

    @strawberry.mutation(description="P9: record that a department demanded a paper ledger of a community.")
    async def record_ledger_demand(self, info: strawberry.Info, input: RecordLedgerDemandInput) -> LedgerDemandResult:
        demand, receipt = await run(info, app(info).record_ledger_demand, **arguments(input))
        return LedgerDemandResult(ledger_demand=LedgerDemand.from_aggregate(demand),
                                  receipt=Receipt.from_receipt(receipt))
