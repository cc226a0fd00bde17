"""The GraphQL schema: the contract's Query, Mutation and Subscription, as a Federation v2 subgraph, composed
from the API's area modules (AREAS): each defines its own types and the root fields of its area."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

import cachetools
import strawberry
from graphql import DocumentNode, GraphQLError, parse
from graphql.validation import MaxIntrospectionDepthRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.tools import merge_types

from backend.api import audit_trail, auditing, burden, governance, inspections, personal, rules, work
from backend.api import types as t
from backend.api.complexity import Limits, create_rule
from backend.api.errors import ErrorCodes, as_graphql_error
from backend.api.execution import GongzhiExecutionContext
from backend.domain.errors import InvalidInput

#: Only documents up to this many characters are kept parsed (GraphiQL's introspection is ~2,000) ...
CACHED_DOCUMENT_CHARS = 10_000
#: ... and at most this many characters of them in all: a parsed document takes up to ~320 bytes a
#: character, so the cache holds at most ~65 MB however many different documents clients send.
CACHED_CHARS = 200_000


@dataclass
class CachedDocument:
    """A document as clients send it again and again: parsed once, validated once."""

    document: DocumentNode
    size: int
    errors: list[GraphQLError] | None = None


_documents: cachetools.LRUCache[str, CachedDocument] = cachetools.LRUCache(
    maxsize=CACHED_CHARS, getsizeof=lambda entry: entry.size)


class DocumentCache(SchemaExtension):
    """Parse and validate each small document once (the validation rules are the schema's, made once).
    A document that does not parse takes strawberry's own path (and gets its code)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query and len(query) <= CACHED_DOCUMENT_CHARS:
            entry = _documents.get(query)
            if entry is None:
                try:
                    entry = CachedDocument(parse(query, **context.parse_options), len(query))
                except GraphQLError:
                    entry = None  # left unparsed: strawberry parses it again and reports the error as usual
                else:
                    _documents[query] = entry
            if entry is not None:
                context.graphql_document = entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = _documents.get(context.query) if context.query else None
        if entry is not None and entry.document is context.graphql_document:
            if entry.errors is None:
                entry.errors = validate_document(context.schema._schema, entry.document, context.validation_rules)
            context.pre_execution_errors = list(entry.errors)
        yield


#: The areas of the API, in the order their fields appear in the schema: each module may define `Query`,
#: `Mutation` and `Subscription` (strawberry types); a new area is one more module here.
AREAS: tuple[ModuleType, ...] = (governance, burden, auditing, rules, inspections, work, audit_trail, personal)


def compose(name: str, areas: tuple[ModuleType, ...] = AREAS) -> type | None:
    """The root type `name` (Query, Mutation, Subscription): the areas' classes of that name merged into one,
    their fields in the areas' order; the areas without one, or whose one has no fields yet, add nothing
    (None when none has fields). Two areas defining the same field is an error, not an override."""
    parts = [part for area in areas if (part := getattr(area, name, None)) is not None
             and part.__strawberry_definition__.fields]
    seen: dict[str, str] = {}
    for part in parts:
        for field in part.__strawberry_definition__.fields:
            if field.python_name in seen:
                raise TypeError(f"{name}.{field.python_name} is defined by {seen[field.python_name]} and "
                                f"{part.__module__}")
            seen[field.python_name] = part.__module__
    return merge_types(name, tuple(parts)) if parts else None


Query, Mutation, Subscription = compose("Query"), compose("Mutation"), compose("Subscription")


#: The federation entities and their keys: a representation names one of them and carries exactly its key.
ENTITY_KEYS: dict[str, str] = {"Community": "code", "Task": "id", "Organization": "id"}


def representation(value: object) -> None:
    """Refuse (INVALID_INPUT) a representation that is not `{__typename, <its key>}` with a short string key."""
    if not isinstance(value, dict):
        raise InvalidInput("a representation is an object with __typename and the entity's key")
    typename = value.get("__typename")
    key = ENTITY_KEYS.get(typename) if isinstance(typename, str) else None
    if key is None:
        raise InvalidInput(f"__typename must be one of {', '.join(ENTITY_KEYS)}", field="__typename")
    if value.keys() != {"__typename", key} or not isinstance(value[key], str) or len(value[key]) > 100:
        raise InvalidInput(f"a {typename} representation carries __typename and {key} (a string), nothing else")


class GongzhiSchema(strawberry.federation.Schema):
    def entities_resolver(self, info: strawberry.Info,
                          representations: list[FederationAny]) -> list[FederationAny]:
        """Federation's `_entities`, after every representation was checked (before any is resolved)."""
        try:
            for value in representations:
                representation(value)
        except InvalidInput as e:
            raise as_graphql_error(e) from None
        return super().entities_resolver(info, [FederationAny(dict(value)) for value in representations])

    def process_errors(self, errors: list[GraphQLError], execution_context: object = None) -> None:
        """Strawberry logs every error with its traceback; a refused command is not a server fault.
        Unexpected errors are logged where they get their code (backend/api/errors.py)."""


def build_schema(max_depth: int = 10, max_tokens: int = 5_000, plain: bool = False, limits: Limits | None = None,
                 production: bool = False) -> strawberry.federation.Schema:
    """The served schema; `plain` runs graphql-core's own execution (GONGZHI_PLAIN_EXECUTION) instead of
    GongzhiExecutionContext's shortcuts; `production` (GONGZHI_ENV) refuses introspection (`__schema`, `__type`;
    `__typename` and federation's `_service` still answer) and ErrorCodes drops "Did you mean …" from messages."""
    # The limit rules are made once, so a document's validation can be kept with it (DocumentCache).
    # Clients send the same few documents again and again, so each is parsed and validated once;
    # a document of more than `max_tokens` tokens is refused while it is parsed; depth, aliases and cost are
    # measured in one pass (backend/api/complexity.py: QUERY_TOO_COMPLEX).
    rules = [create_rule(limits or Limits(max_depth=max_depth)), MaxIntrospectionDepthRule,
             *([NoSchemaIntrospectionCustomRule] if production else [])]
    return GongzhiSchema(
        query=Query, mutation=Mutation, subscription=Subscription,
        config=StrawberryConfig(scalar_map={t.Position: t.POSITION_SCALAR}),
        execution_context_class=None if plain else GongzhiExecutionContext,
        extensions=[ErrorCodes.hiding_suggestions() if production else ErrorCodes,
                    lambda: MaxTokensLimiter(max_tokens), lambda: AddValidationRules(rules),
                    DocumentCache],
    )


schema = build_schema()
__all__ = ["build_schema", "schema"]
