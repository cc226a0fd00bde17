"""The API of the burden-reduction rules about what may stand in a community (P5 work bodies, P6
signboards, P7 target-responsibility contracts, P10 the seal): their types, inputs and results, and the fields
they add to Query and Mutation (the commands: backend/application/rules.py).

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
