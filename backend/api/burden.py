"""The API of the burden put on communities (P1–P4 so far): the burden report, summed over the communities of a
scope from the burden_by_community read model (an area module, composed by schema.py)."""
from __future__ import annotations

import asyncpg
import strawberry

from backend.api import reads
from backend.api.context import ctx


@strawberry.type
class BurdenReport:
    scope: str
    tasks_delegated: int
    on_duty_list: int
    under_agreement: int
    refused_off_list: int
    declined: int
    agreement_funding_yuan: str

    @classmethod
    def from_row(cls, scope: str, row: asyncpg.Record) -> BurdenReport:
        """The scope's sums (`reads.burden_sums`)."""
        return cls(
            scope=scope, tasks_delegated=row["tasks_delegated"], on_duty_list=row["on_duty_list"],
            under_agreement=row["under_agreement"], refused_off_list=row["refused_off_list"],
            declined=row["declined"], agreement_funding_yuan=str(row["funding"]))


@strawberry.type
class Query:
    @strawberry.field
    async def burden_report(self, info: strawberry.Info, scope: str) -> BurdenReport:
        return BurdenReport.from_row(scope, await reads.burden_sums(ctx(info), scope))
