"""Activities held in a community, with who took part and volunteer hours (P22, P34)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.errors import InvalidInput
from backend.domain.stamp import Stamp

MAX_HOURS = 24 * 31


def volunteer_hours(entries: list[dict]) -> list[dict]:
    checked = []
    for entry in entries:
        hours = entry.get("hours")
        if not isinstance(hours, (int, float)) or hours != hours or not 0 <= hours <= MAX_HOURS:
            raise InvalidInput(f"volunteer hours must be between 0 and {MAX_HOURS}", field="volunteerHours")
        checked.append({"volunteer_id": values.text(entry.get("volunteer_id", ""), "volunteerId", 64),
                        "hours": float(hours)})
    return checked


class Activity(Aggregate):
    """An activity held in a community (社区活动)."""

    @event("ActivityHeld")
    def __init__(self, title: str, organizer_id: str | None, held_at: datetime, participants: int,
                 volunteer_hours: list, actor: dict, request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.title = title
        self.organizer_id = organizer_id
        self.held_at = held_at
        self.participants = participants
        self.volunteer_hours = volunteer_hours

    @classmethod
    def record(cls, community_code: str, title: str, organizer_id: str | None, held_at: datetime,
               participants: int, hours: list[dict], by: Stamp) -> "Activity":
        if not isinstance(participants, int) or participants < 0:
            raise InvalidInput("participants must be 0 or more", field="participants")
        return cls(title=values.text(title, "title"), organizer_id=organizer_id or None,
                   held_at=values.aware(held_at, "heldAt"), participants=participants,
                   volunteer_hours=volunteer_hours(hours), **by.on(community_code))

    @property
    def total_volunteer_hours(self) -> float:
        return float(sum(Decimal(str(e["hours"])) for e in self.volunteer_hours))
