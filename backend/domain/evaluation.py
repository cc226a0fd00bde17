"""Democratic evaluation (P26, 民主评议): campaigns and one ballot per resident and target."""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.errors import CampaignClosed, InvalidInput
from backend.domain.stamp import Stamp


class EvaluationTargetKind(str, Enum):
    GOVERNMENT_DEPARTMENT = "GOVERNMENT_DEPARTMENT"
    GOVERNMENT_STAFF = "GOVERNMENT_STAFF"
    RESIDENT_UNIT = "RESIDENT_UNIT"
    MUNICIPAL_SERVICE = "MUNICIPAL_SERVICE"


class Satisfaction(str, Enum):
    SATISFIED = "SATISFIED"
    BASICALLY_SATISFIED = "BASICALLY_SATISFIED"
    DISSATISFIED = "DISSATISFIED"


def evaluation_targets(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Checks a campaign's targets: 1 to MAX_CAMPAIGN_TARGETS, each an id, a name and a kind, no id twice."""
    if not values.items(targets, "targets", values.MAX_CAMPAIGN_TARGETS):
        raise InvalidInput("a campaign needs at least one target", field="targets")
    checked, seen = [], set()
    for target in targets:
        target_id = values.identifier(target.get("id"), "id")
        if target_id in seen:
            raise InvalidInput(f"target {target_id!r} appears twice", field="targets")
        seen.add(target_id)
        checked.append({"id": target_id, "name": values.text(target.get("name"), "name", 200),
                        "kind": values.choice(target.get("kind"), EvaluationTargetKind, "kind")})
    return checked


class EvaluationCampaign(Aggregate):
    """A campaign of democratic evaluation opened by the committee (评议活动, P26)."""

    @event("EvaluationCampaignOpened")
    def __init__(self, title: str, targets: list[dict[str, Any]], closes_at: datetime,
                 actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.title = title
        self.targets = targets
        self.closes_at = closes_at

    @classmethod
    def open(cls, community_code: str, title: str, targets: list[dict[str, Any]], closes_at: datetime,
             by: Stamp) -> EvaluationCampaign:
        values.moment(closes_at, "closesAt")  # a campaign may be recorded after it closed; it takes no ballot
        return cls(title=values.text(title, "title"), targets=evaluation_targets(targets), closes_at=closes_at,
                   **by.on(community_code))

    def target(self, target_id: str) -> dict[str, Any]:
        for target in self.targets:
            if target["id"] == target_id:
                return target
        raise InvalidInput(f"{target_id!r} is not a target of this campaign", field="targetId")

    def check_open(self, now: datetime) -> None:
        if now >= self.closes_at:
            raise CampaignClosed(f"the campaign closed at {self.closes_at.isoformat()}")


class EvaluationBallot(Aggregate):
    """One resident's evaluation of one target in one campaign (P26, 民主评议). Its stream id is derived from
    the three, so a second ballot is a second stream-start and the store refuses it."""

    @staticmethod
    def create_id(campaign_id: UUID, target_id: str, resident_id: str) -> UUID:
        return values.ballot_id(campaign_id, target_id, resident_id)

    @event("EvaluationCast")
    def __init__(self, campaign_id: UUID, target_id: str, resident_id: str, satisfaction: str,
                 comment: str | None, actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.campaign_id = campaign_id
        self.target_id = target_id
        self.resident_id = resident_id
        self.satisfaction = satisfaction
        self.comment = comment

    @classmethod
    def cast(cls, campaign: EvaluationCampaign, target_id: str, satisfaction: Satisfaction,
             comment: str | None, now: datetime, by: Stamp) -> EvaluationBallot:
        comment = values.optional_text(comment, "comment", 2000, multiline=True)
        satisfaction_ = values.choice(satisfaction, Satisfaction, "satisfaction")
        resident_id = values.identifier(by.actor.id, "actor")
        campaign.check_open(now)
        campaign.target(values.identifier(target_id, "targetId"))
        return cls(campaign_id=campaign.id, target_id=target_id, resident_id=resident_id,
                   satisfaction=satisfaction_, comment=comment,
                   **by.on(campaign.community_code))
