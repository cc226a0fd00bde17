"""The wiring of governance actions (issue 9, its preamble): an action is declared once, and what is not derived
from its declaration is checked here, so a forgotten registration fails a test instead of failing silently.

- Aggregates are found by the catalog (backend/domain/catalog.py) and read models by projections/__init__.py;
  here: each projection's `on_<Event>` handlers name event types the domain has (a misspelt handler never runs).
- Each command (`@command(Action...)` on Gongzhi) names rows of the permission table, has its mutation, and
  each row of the table has its case in the access test's map (tests/test_access.py).
- Each aggregate's docstring names its provision (P1–P38); the API's types never import its resolvers.
"""
from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from eventsourcing.domain import Aggregate

import backend.domain
from backend.api.schema import schema
from backend.application.governance import Gongzhi
from backend.application.log import camel
from backend.application.steps import Command
from backend.domain.access import PERMISSIONS, Action
from backend.domain.catalog import AGGREGATES, event_classes, own_events
from projections import ALL
from tests import test_access

ROOT = Path(__file__).resolve().parent.parent


def commands() -> dict[str, Command]:
    found: dict[str, Command] = {}
    for cls in reversed(Gongzhi.__mro__):
        found.update({name: value for name, value in vars(cls).items() if isinstance(value, Command)})
    return found


def test_every_aggregate_of_the_domain_is_in_the_catalog() -> None:
    """The catalog finds every aggregate a domain module defines, with each of its event types, none twice."""
    defined = []
    for path in sorted((ROOT / "backend" / "domain").glob("*.py")):
        module = __import__(f"backend.domain.{path.stem}", fromlist=["_"])
        defined += [cls for cls in vars(module).values() if isinstance(cls, type) and issubclass(cls, Aggregate)
                    and cls.__module__ == module.__name__ and own_events(cls)]
    assert set(defined) == set(AGGREGATES) and len(AGGREGATES) >= 8
    assert sum(len(own_events(cls)) for cls in AGGREGATES) == len(event_classes())
    assert backend.domain.__path__


def test_every_projection_handler_names_an_event_type() -> None:
    known = set(event_classes())
    handlers = {(p.name, name.removeprefix("on_")) for p in ALL for name in dir(p) if name.startswith("on_")}
    assert handlers, "no read model handles any event"
    assert {(p, t) for p, t in handlers if t not in known} == set()


def test_every_event_type_changes_some_read_model() -> None:
    """An event type no read model takes is on the record but in no view (the audit index takes every event)."""
    taken = {name.removeprefix("on_") for p in ALL if p.name != "audit" for name in dir(p) if name.startswith("on_")}
    assert sorted(set(event_classes()) - taken) == []


def test_every_command_names_rows_of_the_permission_table_and_has_its_mutation() -> None:
    mutation = schema.get_type_by_name("Mutation")
    fields = {f.graphql_name or camel(f.python_name) for f in mutation.fields}
    found = commands()
    assert len(found) >= 12
    for name, command in found.items():
        if name == "community":  # a read
            assert command.actions == ()
            continue
        assert command.actions, f"{name} names no row of the permission table"
        assert set(command.actions) <= set(PERMISSIONS), name
        assert camel(name) in fields, f"command {name} has no mutation {camel(name)}"
    actions = {action for command in found.values() for action in command.actions}
    assert actions == set(PERMISSIONS) - {Action.READ_MODELS, Action.READ_LOG, Action.READ_STAFF}


def test_every_mutation_runs_a_command() -> None:
    mutation = schema.get_type_by_name("Mutation")
    names = {camel(name) for name in commands()}
    assert sorted(f.graphql_name or camel(f.python_name) for f in mutation.fields
                  if (f.graphql_name or camel(f.python_name)) not in names) == []


def test_every_row_of_the_permission_table_has_its_case_in_the_access_test() -> None:
    source = inspect.getsource(test_access.mutations)
    cases = set(re.findall(r"Action\.([A-Z_]+):", source))
    assert cases == {action.name for action in PERMISSIONS}


def test_every_aggregate_names_its_provision() -> None:
    """Every record and rule names its provision id in its docstring (grep -rn P6 finds it)."""
    assert [cls.__name__ for cls in AGGREGATES if not re.search(r"\bP\d{1,2}\b", cls.__doc__ or "")] == []


def test_the_api_types_never_import_their_resolvers() -> None:
    """backend/api/types.py builds types from rows and aggregates; it imports no module that imports it back."""
    tree = ast.parse((ROOT / "backend" / "api" / "types.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {f"backend.api.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 and node.module == "backend.api" for alias in node.names}
    api = {m for m in imported if m.startswith("backend.api")}
    assert api <= {"backend.api.reads", "backend.api.context", "backend.api.errors", "backend.api"}, api
    assert not (ROOT / "backend" / "api" / "resolvers.py").exists() or "backend.api.resolvers" not in api
