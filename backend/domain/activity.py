"""Activities held in a community, with who took part and volunteer hours (P22, P34)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.stamp import Stamp

MAX_HOURS = values.MAX_VOLUNTEER_HOURS


def volunteer_hours(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Checks who volunteered and for how long: at most MAX_VOLUNTEER_ENTRIES entries."""
    return [{"volunteer_id": values.identifier(entry.get("volunteer_id"), "volunteerId"),
             "hours": values.hours(entry.get("hours"), "hours")}
            for entry in values.items(entries, "volunteerHours", values.MAX_VOLUNTEER_ENTRIES)]


class Activity(Aggregate):
    """An activity held in a community (社区活动, P22), with its volunteers' hours (P34)."""

    @event("ActivityHeld")
    def __init__(self, title: str, organizer_id: str | None, held_at: datetime, participants: int,
                 volunteer_hours: list[dict[str, Any]], actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.title = title
        self.organizer_id = organizer_id
        self.held_at = held_at
        self.participants = participants
        self.volunteer_hours = volunteer_hours

    @classmethod
    def record(cls, community_code: str, title: str, organizer_id: str | None, held_at: datetime,
               participants: int, hours: list[dict[str, Any]], by: Stamp) -> Activity:
        return cls(title=values.text(title, "title"),
                   organizer_id=values.optional_identifier(organizer_id, "organizerId"),
                   held_at=values.moment(held_at, "heldAt"),
                   participants=values.count(participants, "participants", values.MAX_PARTICIPANTS),
                   volunteer_hours=volunteer_hours(hours), **by.on(community_code))

    @property
    def total_volunteer_hours(self) -> float:
        return float(sum(Decimal(str(e["hours"])) for e in self.volunteer_hours))
