"""How an event reaches its subscribers: executed once per document, not once per subscriber.

graphql-core executes a subscription's selection set again for every subscriber and event. When
a thousand integrators follow the log with the same document, that is a thousand identical
executions per event. The result depends only on the operation, its variables, the actor
(authorization happens once, when the subscription starts; the fields of an event are the
event's own data) and the event itself, so the first subscriber's execution is shared with
the others. Events reach the resolver as one API object per log position (resolvers.py), which
carries its shared results and takes them along when no subscriber holds it any more.

Also: graphql-core gives each per-event execution the subscription's memo of collected
subfields, keyed on lists that are new each event, so it would grow for as long as the
subscription lives; here each event's execution gets a memo of its own.
"""
from __future__ import annotations

import json
from typing import Any

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

SHARED = "_shared_executions"  # on an event's API object: its results by (operation, variables, actor)


class GongzhiExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def build_per_event_executor(self, payload: Any) -> "GongzhiExecutionContext":
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
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
