"""How results are completed: the GraphQL execution, with two shortcuts that change nothing a
client sees.

**Plain objects in one pass.** graphql-core completes every field of every object through the
same general machinery (a resolve-info object, the resolver, awaitable checks, the type's
completion), which is most of a list query's time: `tasks(first: 50)` is 600 fields. For an
object whose selected fields are all plain attributes (strawberry's basic fields: no resolver,
no arguments, no field extensions, no middleware) of scalar, enum or plain object type, the
result is built in one pass: read the attribute, coerce it with the type's own output
coercion. A selection is planned where it is first completed (a connection, its edges' list and
their nodes all in one plan, so a page is completed in one pass), once per document where the
document has no directives (its selections then do not depend on the variables), once per
execution otherwise. Anything irregular (a null where the type forbids one, a value
that will not coerce, an abstract type, @defer) gives that object back to graphql-core, which
reports it as it always would.

**Events executed once per document, not once per subscriber.** graphql-core executes a subscription's selection set again for every subscriber and event. When
a thousand integrators follow the log with the same document, that is a thousand identical
executions per event. The result depends only on the operation, its variables, the actor
(authorization happens once, when the subscription starts; the fields of an event are the
event's own data) and the event itself, so the first subscriber's execution is shared with
the others. Events reach the resolver as one API object per log position (auditing.py), which
carries its shared results and takes them along when no subscriber holds it any more.

Also: graphql-core gives each per-event execution the subscription's memo of collected
subfields, keyed on lists that are new each event, so it would grow for as long as the
subscription lives; here each event's execution gets a memo of its own.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from enum import Enum
from typing import Any

from cachetools import LRUCache
from graphql import (
    ExecutionResult,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    is_leaf_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

SHARED = "_shared_executions"  # on an event's API object: its results by (operation, variables, actor)


Plan = list[tuple[str, str, Any]]  # (response key, attribute, how to complete its value)
TYPENAME, LEAF, OBJECT, LIST, SAME = 0, 1, 2, 3, 4
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class Irregular(Exception):
    """A value the one-pass completion leaves to graphql-core."""


def complete_plain(plan: Plan, source: Any) -> dict[str, Any]:
    out = {}
    for key, attribute, how in plan:
        kind = how[0]
        if kind == TYPENAME:
            out[key] = how[1]
            continue
        value = getattr(source, attribute)
        if kind == SAME and type(value) is how[3]:
            out[key] = value  # a value its type's coercion returns unchanged (a str for String and ID, ...)
        elif kind == LEAF and value is not None and not isinstance(value, Exception):
            coerced = how[2](value)
            if coerced is None:
                raise Irregular
            out[key] = coerced
        else:
            out[key] = complete_value(how, value)
    return out


def complete_value(how: tuple[Any, ...], value: Any) -> Any:
    kind, nullable = how[0], how[1]
    if value is None:
        if nullable:
            return None
        raise Irregular
    if isinstance(value, Exception):
        raise Irregular
    if kind == LEAF or kind == SAME:
        coerced = how[2](value)
        if coerced is None:
            raise Irregular
        return coerced
    if kind == OBJECT:
        is_type_of = how[3]
        if is_type_of is not None and not is_type_of(value, None):
            raise Irregular
        return complete_plain(how[2], value)
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise Irregular
    return [complete_value(how[2], item) for item in value]


# Plans by operation, for documents without directives: what a selection collects then depends on the document
# alone, not on the variables (@include, @skip, @defer), so an operation's plans hold for all its executions. An
# entry keeps its operation and fragments alive, so the ids of their nodes (the plans' keys) stay theirs.
SHARED_PLANS: LRUCache[int, tuple[Any, Any, dict[Any, Plan | None]]] = LRUCache(maxsize=512)


def document_plans(operation: Any, fragments: Any) -> dict[Any, Plan | None]:
    """The plans of an operation's selections: shared by its executions where its document has no directives
    (the parse cache hands out one document per text), the execution's own otherwise."""
    source = getattr(operation.loc, "source", None)
    if source is None or "@" in source.body:
        return {}
    entry = SHARED_PLANS.get(id(operation))
    if entry is None or entry[0] is not operation:
        entry = SHARED_PLANS[id(operation)] = (operation, fragments, {})
    return entry[2]


@functools.cache
def leaf_coercion(type_: GraphQLLeafType) -> tuple[Callable[[Any], Any], type | None]:
    """The type's output coercion, with a shortcut for the values it returns as they are (its plain Python
    type), and for an enum's members (looked up by member instead of strawberry's scan of the values)."""
    if type_ in (GraphQLString, GraphQLID):
        return type_.coerce_output_value, str
    if type_ is GraphQLBoolean:
        return type_.coerce_output_value, bool
    general = type_.coerce_output_value
    if type_ is GraphQLInt:
        def coerce_int(value: Any) -> Any:
            if type(value) is int and INT_MIN <= value <= INT_MAX:
                return value
            return general(value)
        return coerce_int, None
    wrapped = getattr(type_, "wrapped_cls", None)  # strawberry's enums
    if isinstance(type_, GraphQLEnumType) and isinstance(wrapped, type) and issubclass(wrapped, Enum):
        names = {member: name for name, value in type_.values.items() for member in wrapped
                 if member.value == value.value}

        def coerce_enum(value: Any) -> Any:
            name = names.get(value) if type(value) is wrapped else None
            return general(value) if name is None else name
        return coerce_enum, None
    return general, None


class GongzhiExecutionContext(StrawberryGraphQLCoreExecutionContext):
    # -- plain objects in one pass ----------------------------------------------------------
    def collect_and_execute_subfields(self, return_type: GraphQLObjectType, field_details_list: Any, path: Any,
                                      result: Any, position_context: Any) -> Any:
        plan = self._plan(return_type, field_details_list)
        if plan is not None:
            try:
                return complete_plain(plan, result)
            except Exception:  # noqa: BLE001, S110 - graphql-core completes it again, and reports what it finds
                pass
        return super().collect_and_execute_subfields(return_type, field_details_list, path, result,
                                                     position_context)

    def _plan(self, return_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        plans = self.__dict__.get("_plans")
        if plans is None:
            plans = self._plans = document_plans(self.operation, self.fragment_definitions)
        key = (return_type, *(id(d.node) for d in field_details_list))
        if key not in plans:
            plans[key] = self._make_plan(return_type, field_details_list)
        return plans[key]

    def _make_plan(self, return_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            return None
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(return_type, field_details_list)
        if new_defer_usages:
            return None
        plan: Plan = []
        for response_key, details in grouped_field_set.items():
            if any(d.defer_usage is not None for d in details):
                return None
            name = details[0].node.name.value
            if name == "__typename":
                plan.append((response_key, name, (TYPENAME, return_type.name)))
                continue
            field = return_type.fields.get(name)
            definition = field.extensions.get("strawberry-definition") if field is not None else None
            if (definition is None or field.args or not getattr(field.resolve, "_is_default", False)
                    or not definition.is_basic_field or definition.default_resolver is not getattr):
                return None
            how = self._how(field.type, details)
            if how is None:
                return None
            plan.append((response_key, definition.python_name, how))
        return plan

    def _how(self, type_: GraphQLOutputType, details: Any) -> tuple[Any, ...] | None:
        nullable = not isinstance(type_, GraphQLNonNull)
        if not nullable:
            type_ = type_.of_type
        if is_leaf_type(type_):
            coerce, same = leaf_coercion(type_)
            return (LEAF, nullable, coerce) if same is None else (SAME, nullable, coerce, same)
        if isinstance(type_, GraphQLObjectType):
            plan = self._plan(type_, details)
            return None if plan is None else (OBJECT, nullable, plan, type_.is_type_of)
        if isinstance(type_, GraphQLList):
            item = self._how(type_.of_type, details)
            return None if item is None else (LIST, nullable, item)
        return None  # interfaces and unions: graphql-core resolves the type

    # -- events executed once per document ------------------------------------------------------
    def build_per_event_executor(self, payload: Any) -> GongzhiExecutionContext:
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        executor._plans = {}
        executor._sharing_key = self._subscription_key()
        return executor

    def _subscription_key(self) -> tuple[Any, ...]:
        key = self.__dict__.get("_own_key")
        if key is None:
            variables = json.dumps(self.variable_values.coerced, sort_keys=True, default=str)
            key = self._own_key = (self.operation, variables, getattr(self.context_value, "_actor", None))
        return key

    def execute_operation(self, serially: bool | None = None) -> Any:
        key = getattr(self, "_sharing_key", None)
        if key is None:  # a query or a mutation, or the subscription's start
            return super().execute_operation(serially)
        results = getattr(self.root_value, SHARED, None)
        if results is None:
            try:
                setattr(self.root_value, SHARED, results := {})
            except AttributeError:  # a payload that cannot carry them is executed for each subscriber
                return super().execute_operation(serially)
        shared = results.get(key)
        if shared is None:
            result = super().execute_operation(serially)
            if self.is_awaitable(result):
                return self._remember(results, key, result)
            shared = results[key] = result
        return shared

    @staticmethod
    async def _remember(results: dict[tuple[Any, ...], ExecutionResult], key: tuple[Any, ...], pending: Any) -> Any:
        result = await pending
        results[key] = result
        return result
