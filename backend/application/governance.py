"""The command side: one eventsourcing Application whose methods are the governance commands.

Each command checks access, loads what it needs, lets the aggregates decide, and saves.
What it returns says where the last event landed in the log (a Receipt). Commands are steps
(backend/application/steps.py): they yield their loads and commits, so the same command runs
synchronously here or on the event loop (backend/application/gateway.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from backend.application import ballots
from backend.application.base import Receipt, acting, entity_id_of, now
from backend.application.erasure import PersonalData
from backend.application.inspections import BurdenRecords
from backend.application.rules import BurdenRules
from backend.application.steps import Commit, Steps, command
from backend.application.store import RowsRecorder
from backend.application.work import CommunityWork
from backend.domain import values
from backend.domain.access import Action, authorize
from backend.domain.activity import Activity
from backend.domain.activity import volunteer_hours as checked_hours
from backend.domain.agreement import ServiceAgreement
from backend.domain.community import Community, CommunityKind, duty_items, village_enterprise_separation
from backend.domain.errors import AlreadyExists, DuplicateEvaluation, NotFound, OffListTask, QuotaNotAllowed
from backend.domain.evaluation import (
    EvaluationBallot,
    EvaluationCampaign,
    EvaluationParticipation,
    Satisfaction,
    checked_choice,
    evaluation_targets,
    receipt_hash,
)
from backend.domain.organization import Organization, OrganizationCategory, OrganizationStatus
from backend.domain.stamp import Stamp, StampedEvent
from backend.domain.task import DelegationRefusal, Task, basis_for, quota_refusal

__all__ = ["BallotReceipt", "Gongzhi", "Receipt", "entity_id_of", "now"]


@dataclass(frozen=True)
class BallotReceipt(Receipt):
    """A secret cast's receipt: where the participation stands, and the ballot's receipt (a random code the
    resident alone holds; its SHA-256 is on the ballot when it is released)."""

    ballot_receipt: str | None = None


class Gongzhi(BurdenRules, BurdenRecords, CommunityWork, PersonalData):
    """The event store of co-governance: every command appends here (table gongzhi_events). The commands of
    burden reduction (P5–P11) are in the groups it is made of: rules.py, inspections.py, work.py; the erasure of
    personal data (PIPL art. 47) in erasure.py."""

    name = "Gongzhi"

    # -- communities and duty lists (P3) -------------------------------------------
    @command(Action.REGISTER_COMMUNITY)
    def register_community(self, by: Stamp, code: str, name: str, kind: str, *,
                           village_enterprise_separated: bool | None = None) -> Steps[tuple[Community, Receipt]]:
        code, name = values.division_code(code), values.text(name, "name", 200)
        kind = values.choice(kind, CommunityKind, "kind")
        separated = village_enterprise_separation(village_enterprise_separated, kind, "villageEnterpriseSeparated")
        authorize(acting(by).actor, Action.REGISTER_COMMUNITY, code)
        community = Community.register(code, name, kind, by, separated)  # P36: 村企分开 (default: separated)
        return community, (yield from self._commit(community, AlreadyExists(f"community {code} is registered already")))

    @command(Action.PUBLISH_DUTY_LIST)
    def publish_duty_list(self, by: Stamp, community_code: str, items: list[dict[str, Any]]) -> Steps[tuple[Community, Receipt]]:
        code, items = values.division_code(community_code, "communityCode"), duty_items(items)
        authorize(acting(by).actor, Action.PUBLISH_DUTY_LIST, code)
        community = yield from self._community(code)
        community.publish_duty_list(items, by)
        return community, (yield from self._commit_change(community))

    # -- agreements (P4) ---------------------------------------------------------------
    @command(Action.SIGN_SERVICE_AGREEMENT)
    def sign_service_agreement(self, by: Stamp, community_code: str, department: str, scope: str,
                               funding_yuan: str, valid_until: datetime,
                               allows_quota: bool | None = None) -> Steps[tuple[ServiceAgreement, Receipt]]:
        community_code = values.division_code(community_code, "communityCode")
        department = values.text(department, "department", 200)
        scope = values.text(scope, "scope", 1000, multiline=True)
        funding_yuan, valid_until = values.yuan(funding_yuan), values.moment(valid_until, "validUntil")
        quota_ok = values.flag(allows_quota, "allowsQuota")
        authorize(acting(by).actor, Action.SIGN_SERVICE_AGREEMENT, community_code)
        yield from self._require_community(community_code)
        agreement = ServiceAgreement.sign(community_code, department, scope, funding_yuan, valid_until, by, quota_ok)
        return agreement, (yield from self._commit_change(agreement))

    @command(Action.RECORD_DISBURSEMENT)
    def record_disbursement(self, by: Stamp, *, agreement_id: str, amount_yuan: str,
                            disbursed_at: datetime | None = None,
                            note: str | None = None) -> Steps[tuple[ServiceAgreement, Receipt]]:
        """P4 (费随事转): money paid under an agreement; the total may not exceed its funding (OVER_DISBURSED)."""
        agreement_uuid, amount = values.uuid(agreement_id, "agreementId"), values.yuan(amount_yuan, "amountYuan")
        at = values.moment(disbursed_at, "disbursedAt") if disbursed_at is not None else now()
        note = values.optional_text(note, "note", 1000, multiline=True)
        acting(by)
        agreement = yield from self._get(ServiceAgreement, agreement_uuid, "agreement")
        authorize(by.actor, Action.RECORD_DISBURSEMENT, agreement.community_code)
        agreement.disburse(amount, at, note, by)
        return agreement, (yield from self._commit_change(agreement))

    # -- tasks (P1, P2) -----------------------------------------------------------------
    @command(Action.DELEGATE_TASK)
    def delegate_task(self, by: Stamp, community_code: str, title: str, from_department: str,
                      duty_item_code: str | None = None, agreement_id: str | None = None,
                      due_at: datetime | None = None, quota: str | None = None) -> Steps[tuple[Task, Receipt]]:
        """P1/P3/P4: a task on an item of the community's current duty list or under a current agreement, with a
        quota or ranking target (指标) only where that item or agreement provides for one; otherwise refused
        (OFF_LIST_TASK or QUOTA_NOT_ALLOWED) and the refusal recorded."""
        community_code = values.division_code(community_code, "communityCode")
        title, from_department = values.text(title, "title"), values.text(from_department, "fromDepartment", 200)
        duty_item_code = values.optional_identifier(duty_item_code, "dutyItemCode")
        agreement_uuid = values.optional_uuid(agreement_id, "agreementId")
        due_at = values.optional_moment(due_at, "dueAt")
        quota = values.optional_text(quota, "quota", 500)
        authorize(acting(by).actor, Action.DELEGATE_TASK, community_code)
        community = yield from self._community(community_code)
        agreement = None
        if agreement_uuid is not None:
            try:
                agreement = yield from self._get(ServiceAgreement, agreement_uuid, "agreement")
            except NotFound:
                agreement = None
        basis, reason = basis_for(community, duty_item_code, agreement, now())
        if agreement_uuid is not None and agreement is None and basis is None:
            reason = f"no service agreement {agreement_uuid}"
        code = OffListTask.code
        if basis is not None:
            reason = quota_refusal(community, basis, duty_item_code, agreement, quota)
            code = QuotaNotAllowed.code
        if basis is None or reason:
            yield from self._refuse(DelegationRefusal(
                title=title, from_department=from_department, duty_item_code=duty_item_code,
                agreement_id=agreement_uuid, duty_list_version=community.duty_list_version,
                reason=reason, quota=quota, code=code, **by.on(community_code)))
        assert basis is not None
        task = Task.delegate(community, title, from_department, basis, duty_item_code,
                             agreement_uuid, due_at, by, quota)
        return task, (yield from self._commit_change(task))

    def _decide_task(self, by: Stamp, task_id: str | UUID, expected_version: int | None,
                     decide: Any) -> Steps[tuple[Task, Receipt]]:
        task_id, expected_version = values.uuid(task_id, "id"), values.version(expected_version)
        acting(by)
        task = yield from self._get(Task, task_id, "task")
        authorize(by.actor, Action.DECIDE_TASK, task.community_code)
        task.check_version(expected_version)
        decide(task)
        return task, (yield from self._commit_change(task))

    @command(Action.DECIDE_TASK)
    def accept_task(self, by: Stamp, task_id: str, expected_version: int | None = None) -> Steps[tuple[Task, Receipt]]:
        return (yield from self._decide_task(by, task_id, expected_version, lambda t: t.accept(by)))

    @command(Action.DECIDE_TASK)
    def decline_task(self, by: Stamp, task_id: str, reason: str,
                     expected_version: int | None = None) -> Steps[tuple[Task, Receipt]]:
        reason = values.text(reason, "reason", 2000, multiline=True)
        return (yield from self._decide_task(by, task_id, expected_version, lambda t: t.decline(reason, by)))

    @command(Action.DECIDE_TASK)
    def complete_task(self, by: Stamp, task_id: str,
                      expected_version: int | None = None) -> Steps[tuple[Task, Receipt]]:
        return (yield from self._decide_task(by, task_id, expected_version, lambda t: t.complete(by)))

    # -- organizations (P28) --------------------------------------------------------------
    @command(Action.REGISTER_ORGANIZATION, Action.FILE_ORGANIZATION)
    def register_organization(self, by: Stamp, community_code: str, name: str, category: str,
                              status: str, hub_id: str | None = None) -> Steps[tuple[Organization, Receipt]]:
        community_code, name = values.division_code(community_code, "communityCode"), values.text(name, "name", 200)
        category_ = OrganizationCategory(values.choice(category, OrganizationCategory, "category"))
        status_ = OrganizationStatus(values.choice(status, OrganizationStatus, "status"))
        hub = values.optional_uuid(hub_id, "hubId")
        action = Action.REGISTER_ORGANIZATION if status_ is OrganizationStatus.REGISTERED else Action.FILE_ORGANIZATION
        authorize(acting(by).actor, action, community_code)
        yield from self._require_community(community_code)
        hub_uuid = (yield from self._get(Organization, hub, "hub organization")).id if hub else None
        organization = Organization.register(community_code, name, category_, status_, hub_uuid, by)
        return organization, (yield from self._commit_change(organization))

    # -- activities (P22, P34) ------------------------------------------------------------
    @command(Action.RECORD_ACTIVITY)
    def record_activity(self, by: Stamp, community_code: str, title: str, organizer_id: str | None,
                        held_at: datetime, participants: int,
                        volunteer_hours: list[dict[str, Any]]) -> Steps[tuple[Activity, Receipt]]:
        community_code, title = values.division_code(community_code, "communityCode"), values.text(title, "title")
        organizer_id = values.optional_identifier(organizer_id, "organizerId")
        held_at = values.moment(held_at, "heldAt")
        participants = values.count(participants, "participants", values.MAX_PARTICIPANTS)
        volunteer_hours = checked_hours(volunteer_hours)
        authorize(acting(by).actor, Action.RECORD_ACTIVITY, community_code)
        yield from self._require_community(community_code)
        activity = Activity.record(community_code, title, organizer_id, held_at, participants, volunteer_hours, by)
        return activity, (yield from self._commit_change(activity))

    # -- evaluation (P26) -------------------------------------------------------------------
    @command(Action.OPEN_EVALUATION_CAMPAIGN)
    def open_evaluation_campaign(self, by: Stamp, community_code: str, title: str, targets: list[dict[str, Any]],
                                 closes_at: datetime) -> Steps[tuple[EvaluationCampaign, Receipt]]:
        community_code, title = values.division_code(community_code, "communityCode"), values.text(title, "title")
        targets, closes_at = evaluation_targets(targets), values.moment(closes_at, "closesAt")
        authorize(acting(by).actor, Action.OPEN_EVALUATION_CAMPAIGN, community_code)
        yield from self._require_community(community_code)
        campaign = EvaluationCampaign.open(community_code, title, targets, closes_at, by)
        return campaign, (yield from self._commit_change(campaign))

    @command(Action.CAST_EVALUATION)
    def cast_evaluation(self, by: Stamp, campaign_id: str, target_id: str, satisfaction: str,
                        comment: str | None = None) -> Steps[Receipt]:
        """P26: a resident's evaluation of one target. In a secret campaign (every new one) the log gets the
        resident's participation and the ballot box the choice, in one transaction (backend/application/ballots.py);
        the answer carries the ballot's receipt, which nothing keeps but its hash. In an open-ballot campaign of
        before, the ballot is one event with its voter, as it was."""
        campaign_uuid, target_id = values.uuid(campaign_id, "campaignId"), values.identifier(target_id, "targetId")
        satisfaction_ = Satisfaction(values.choice(satisfaction, Satisfaction, "satisfaction"))
        comment = values.optional_text(comment, "comment", 2000, multiline=True)
        acting(by)
        campaign = yield from self._get(EvaluationCampaign, campaign_uuid, "campaign")
        authorize(by.actor, Action.CAST_EVALUATION, campaign.community_code)
        duplicate = DuplicateEvaluation("this resident has already evaluated this target in this campaign")
        if not getattr(campaign, "secret", False):
            ballot = EvaluationBallot.cast(campaign, target_id, satisfaction_, comment, now(), by)
            return (yield from self._commit(ballot, duplicate))
        participation = EvaluationParticipation.record(campaign, target_id, now(), by)
        choice, comment = checked_choice(satisfaction_, comment)
        code = ballots.new_receipt()
        try:
            positions = yield Commit(participation, (ballots.deposit(campaign, target_id, choice, comment,
                                                                     receipt_hash(code)),))
        except IntegrityError:
            raise duplicate from None
        return BallotReceipt(positions[-1], entity_id_of(participation), participation.version, code)

    # The synchronous path (the CLI, the demo loader) runs a commit's rows (a ballot into the box) in the library's
    # insert transaction: its recorder with a hook (backend/application/store.py, RowsRecorder).
    env: ClassVar[dict[str, str]] = {**BurdenRules.env,
                                     "APPLICATION_RECORDER_TOPIC": "backend.application.store:RowsRecorder"}
    _box_ready = False

    def commit_now(self, step: Commit) -> list[int]:
        if not step.rows:
            return super().commit_now(step)
        if not isinstance(self.recorder, RowsRecorder):
            raise TypeError("a commit with rows needs the PostgreSQL recorder (RowsRecorder)")
        if not self._box_ready:
            with self.recorder.datastore.transaction(commit=True) as curs:
                ballots.prepare_now(curs)
            self._box_ready = True
        return [recording.notification.id for recording in self.save(step.aggregate, rows=step.rows)]

    # -- reading the log ----------------------------------------------------------------------
    def stream_id(self, entity_id: str) -> UUID:
        """The stream of an entity named by its UUID, or of a community named by its code."""
        if values.is_division_code(entity_id):
            return values.community_id(entity_id)
        return values.uuid(entity_id, "entityId")

    def state_as_of(self, entity_id: str, as_of: datetime) -> tuple[Aggregate | None, str | None]:
        """The entity rebuilt from its events up to `as_of` (None if it did not exist yet),
        and its community's code (None if the entity never existed)."""
        aggregate = None
        community_code = None
        for stored in self.events.get(self.stream_id(entity_id)):
            domain_event = cast(StampedEvent, stored)
            community_code = community_code or domain_event.community_code
            if domain_event.timestamp > as_of:
                break
            aggregate = domain_event.mutate(aggregate)
        return aggregate, community_code
