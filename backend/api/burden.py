"""The API of the burden on communities (P1–P11): the burden report (an area module, composed by schema.py)."""
from __future__ import annotations

import strawberry

from backend.api import resolvers as r
from backend.api import types as t


@strawberry.type
class Query:
    @strawberry.field
    async def burden_report(self, info: strawberry.Info, scope: str) -> t.BurdenReport:
        return await r.burden_report(info, scope)
