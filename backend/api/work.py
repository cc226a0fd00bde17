"""The API of how community work is run (P11 社区工作规则: posts, staff, appraisals): its types, inputs and
results, and the fields it adds to Query and Mutation (the commands: backend/application/work.py).

An area module of the schema (backend/api/schema.py composes it): it may define `Query`, `Mutation` and
`Subscription` strawberry types; a class it does not define, or one with no fields yet, adds nothing.
"""
from __future__ import annotations

import strawberry


@strawberry.type
class Query:
    """No fields yet (the composer skips a class without fields)."""


@strawberry.type
class Mutation:
    """No fields yet (the composer skips a class without fields)."""
