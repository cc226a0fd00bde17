"""The catalog of aggregates and event types: what the log may hold."""
from __future__ import annotations

import dataclasses
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from backend.domain.activity import Activity
from backend.domain.agreement import ServiceAgreement
from backend.domain.community import Community
from backend.domain.errors import InvalidInput
from backend.domain.evaluation import EvaluationBallot, EvaluationCampaign
from backend.domain.organization import Organization
from backend.domain.task import DelegationRefusal, Task

AGGREGATES: tuple[type[Aggregate], ...] = (
    Community, ServiceAgreement, Task, DelegationRefusal, Organization, Activity,
    EvaluationCampaign, EvaluationBallot,
)
#: Fields every governance event carries besides its own.
COMMON_FIELDS = ("originator_id", "originator_version", "timestamp", "actor", "request_id",
                 "client_request_id", "community_code")


def event_classes() -> dict[str, type[Aggregate.Event]]:
    """Event type name -> class, for every aggregate's events."""
    found: dict[str, type[Aggregate.Event]] = {}
    for aggregate in AGGREGATES:
        for name, value in vars(aggregate).items():
            if (isinstance(value, type) and issubclass(value, Aggregate.Event)
                    and name not in ("Event", "Created")):
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
    """Each event type: its entity type and its own fields with their annotated types."""
    catalog = {}
    for name, cls in sorted(event_classes().items()):
        fields = {f.name: str(f.type) for f in dataclasses.fields(cls)
                  if f.name not in COMMON_FIELDS and f.name != "originator_topic"}
        catalog[name] = {"entityType": cls.__qualname__.split(".")[0], "topic": get_topic(cls), "fields": fields}
    return catalog
