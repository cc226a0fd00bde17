"""Democratic evaluation (P26, 民主评议): campaigns and one ballot per resident and target.

A campaign opened since ballots became secret (`secret`, True for every new one; a campaign whose event lacks it
is an open-ballot campaign of before) records a cast as two things that nothing links: the resident's
participation (`EvaluationParticipation`, on the stream derived from campaign, target and resident, so the store
still refuses a second one) carrying the actor and no choice, and the choice itself, which waits in the ballot
box (backend/application/ballots.py, not the log) and is released into the log later, shuffled in batches, as
`SecretBallot`s on random streams with an anonymous actor, the batch's time and no request id.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

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


class BallotStatus(str, Enum):
    """A secret ballot, found by its receipt: released into the log, waiting in the ballot box, or no such one."""

    COUNTED = "COUNTED"
    PENDING = "PENDING"
    UNKNOWN = "UNKNOWN"


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
                 client_request_id: str | None = None, secret: bool = False) -> None:
        self.community_code = community_code
        self.title = title
        self.targets = targets
        self.closes_at = closes_at
        self.secret = secret  # an event from before secret ballots lacks it: an open-ballot campaign

    @classmethod
    def open(cls, community_code: str, title: str, targets: list[dict[str, Any]], closes_at: datetime,
             by: Stamp) -> EvaluationCampaign:
        values.moment(closes_at, "closesAt")  # a campaign may be recorded after it closed; it takes no ballot
        return cls(title=values.text(title, "title"), targets=evaluation_targets(targets), closes_at=closes_at,
                   secret=True, **by.on(community_code))

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


def receipt_hash(receipt: str) -> str:
    """What the log keeps of a ballot's receipt (the code only its resident holds): its SHA-256, hex."""
    return hashlib.sha256(receipt.encode()).hexdigest()


def checked_choice(satisfaction: Satisfaction | str, comment: str | None) -> tuple[str, str | None]:
    """A ballot's choice, checked: the satisfaction and the optional comment."""
    return (values.choice(satisfaction, Satisfaction, "satisfaction"),
            values.optional_text(comment, "comment", 2000, multiline=True))


class EvaluationParticipation(Aggregate):
    """That a resident took part in evaluating one target of a secret campaign (参与记录, P26): who, and no choice.
    Its stream id is the open ballot's (derived from campaign, target and resident), so the store refuses a second
    participation, and an open ballot and a participation exclude each other too."""

    @staticmethod
    def create_id(campaign_id: UUID, target_id: str, resident_id: str) -> UUID:
        return values.ballot_id(campaign_id, target_id, resident_id)

    @event("EvaluationParticipationRecorded")
    def __init__(self, campaign_id: UUID, target_id: str, resident_id: str, actor: dict[str, Any],
                 request_id: str, community_code: str, client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.campaign_id = campaign_id
        self.target_id = target_id
        self.resident_id = resident_id

    @classmethod
    def record(cls, campaign: EvaluationCampaign, target_id: str, now: datetime, by: Stamp) -> EvaluationParticipation:
        resident_id = values.identifier(by.actor.id, "actor")
        campaign.check_open(now)
        campaign.target(values.identifier(target_id, "targetId"))
        return cls(campaign_id=campaign.id, target_id=target_id, resident_id=resident_id,
                   **by.on(campaign.community_code))


#: The actor of every released secret ballot: a resident of the community, no one in particular.
ANONYMOUS = "anonymous"


def anonymous(community_code: str) -> dict[str, Any]:
    return {"id": ANONYMOUS, "role": "RESIDENT", "scope": community_code, "organization": None}


class SecretBallot(Aggregate):
    """A secret ballot as released into the log (P26, 无记名投票): the choice for one target of a campaign, on a
    random stream, its actor an anonymous resident of the community, its time the release's, no request id. It
    keeps the SHA-256 of the receipt its resident was given, the release (batch) it came in and its place there."""

    class SecretBallotCast(Aggregate.Created):
        campaign_id: UUID
        target_id: str
        satisfaction: str
        comment: str | None
        receipt_hash: str
        batch_id: UUID
        batch_size: int
        actor: dict[str, Any]
        request_id: str | None
        community_code: str
        client_request_id: str | None

    def __init__(self, campaign_id: UUID, target_id: str, satisfaction: str, comment: str | None,
                 receipt_hash: str, batch_id: UUID, batch_size: int, actor: dict[str, Any],
                 request_id: str | None, community_code: str, client_request_id: str | None) -> None:
        self.community_code = community_code
        self.campaign_id = campaign_id
        self.target_id = target_id
        self.satisfaction = satisfaction
        self.comment = comment
        self.receipt_hash = receipt_hash
        self.batch_id = batch_id
        self.batch_size = batch_size

    @classmethod
    def release(cls, community_code: str, campaign_id: UUID, target_id: str, satisfaction: str,
                comment: str | None, receipt_hash: str, batch_id: UUID, batch_size: int,
                at: datetime) -> SecretBallot:
        """One ballot of a release: every ballot of a batch has the batch's id and time."""
        return cls._create(cls.SecretBallotCast, id=uuid4(), timestamp=at, campaign_id=campaign_id, target_id=target_id,
                           satisfaction=satisfaction, comment=comment, receipt_hash=receipt_hash,
                           batch_id=batch_id, batch_size=batch_size, actor=anonymous(community_code),
                           request_id=None, community_code=community_code, client_request_id=None)
