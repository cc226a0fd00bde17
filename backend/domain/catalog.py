"""The catalog of aggregates and event types: what the log may hold."""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

import backend.domain
from backend.domain.errors import InvalidInput

LIBRARY_EVENTS = ("Event", "Created")


def own_events(aggregate: type[Aggregate]) -> dict[str, type[Aggregate.Event]]:
    """The event classes an aggregate class declares itself (by `@event` on its methods)."""
    return {name: value for name, value in vars(aggregate).items()
            if isinstance(value, type) and issubclass(value, Aggregate.Event) and name not in LIBRARY_EVENTS}


def _aggregates() -> tuple[type[Aggregate], ...]:
    """Every aggregate class that a module of backend/domain defines with events of its own: an aggregate is
    declared once, beside its events, and the catalog finds it (no list to keep)."""
    for module in pkgutil.iter_modules(backend.domain.__path__):
        importlib.import_module(f"backend.domain.{module.name}")
    found: list[type[Aggregate]] = []

    def walk(cls: type[Aggregate]) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("backend.domain.") and own_events(sub) and sub not in found:
                found.append(sub)
            walk(sub)
    walk(Aggregate)
    return tuple(sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__)))


AGGREGATES: tuple[type[Aggregate], ...] = _aggregates()
#: How an event's personal fields are stored (backend/application/personal.py), as the event catalog says it.
PERSONAL_STORAGE = ("sealed: each personal field is stored as {\"sealed\": 1, \"kid\", \"iv\", \"ct\"}, AES-256-GCM of its"
                    " JSON value under its data subject's key (associated data \"<stream id>/<field>\"); keys are kept"
                    " outside the log and destroyed by eraseSubject (SubjectErased), after which the field reads as"
                    " null")
#: Fields every governance event carries besides its own.
COMMON_FIELDS = ("originator_id", "originator_version", "timestamp", "actor", "request_id",
                 "client_request_id", "community_code")


def event_classes() -> dict[str, type[Aggregate.Event]]:
    """Event type name -> class, for every aggregate's events."""
    found: dict[str, type[Aggregate.Event]] = {}
    for aggregate in AGGREGATES:
        for name, value in own_events(aggregate).items():
            if name in found:
                raise TypeError(f"two aggregates declare the event type {name}")
            found[name] = value
    return found


def topics_for(types: list[str] | None) -> list[str]:
    """The stored topics of the named event types ([] when no filter)."""
    if not types:
        return []
    classes = event_classes()
    unknown = sorted(set(types) - set(classes))
    if unknown:
        raise InvalidInput(f"unknown event types {unknown}; known: {sorted(classes)}", field="types")
    return [get_topic(classes[name]) for name in types]


def describe() -> dict[str, dict[str, Any]]:
    """Each event type: its entity type, its own fields with their annotated types, its provision ids (from its
    aggregate's docstring and its own), and the fields that are personal data (an aggregate's `PERSONAL_FIELDS`:
    shown only to whom the aggregate's `shows_personal_to` allows), with the field naming their data subject and
    how they are stored (sealed with the subject's key; null once the subject is erased)."""
    catalog = {}
    owners = {name: aggregate for aggregate in AGGREGATES for name in own_events(aggregate)}
    for name, cls in sorted(event_classes().items()):
        fields = {f.name: str(f.type) for f in dataclasses.fields(cls)
                  if f.name not in COMMON_FIELDS and f.name != "originator_topic"}
        aggregate = owners[name]
        personal = sorted(set(getattr(aggregate, "PERSONAL_FIELDS", ())) & set(fields))
        provisions = sorted(set(re.findall(r"\bP\d{1,2}\b", f"{aggregate.__doc__ or ''} {cls.__doc__ or ''}")),
                            key=lambda p: int(p[1:]))
        entry: dict[str, Any] = {"entityType": cls.__qualname__.split(".")[0], "topic": get_topic(cls),
                                 "fields": fields, "provisions": provisions, "personalFields": personal}
        if personal:  # PIPL art. 47: how they are stored, and whose they are (backend/domain/personal.py)
            entry["personalSubject"] = getattr(aggregate, "PERSONAL_SUBJECT", None)
            entry["personalStorage"] = PERSONAL_STORAGE
        catalog[name] = entry
    return catalog
