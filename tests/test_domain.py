"""The domain's rules, without I/O."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.domain import values
from backend.domain.access import Action, Actor, Role, authorize, narrow
from backend.domain.agreement import ServiceAgreement
from backend.domain.community import Community
from backend.domain.errors import CampaignClosed, Forbidden, InvalidInput, InvalidState, VersionConflict
from backend.domain.evaluation import EvaluationBallot, EvaluationCampaign, Satisfaction
from backend.domain.stamp import Stamp
from backend.domain.task import Task, TaskBasis, basis_for

NOW = datetime(2026, 11, 25, tzinfo=UTC)
CODE = "320102001001"
OFFICE = Stamp(Actor("o", Role.STREET_OFFICE, "320102001"), "r")
COMMITTEE = Stamp(Actor("c", Role.COMMITTEE, CODE), "r")


def community() -> Community:
    c = Community.register(CODE, "长江路社区", "URBAN", OFFICE)
    c.publish_duty_list([{"code": "AG-01", "title": "协助", "list": "ASSIST_GOVERNMENT"}], OFFICE)
    return c


def test_community_code_must_be_twelve_digits() -> None:
    with pytest.raises(InvalidInput):
        Community.register("3201020010", "x", "URBAN", OFFICE)
    with pytest.raises(InvalidInput):
        Community.register(CODE, "x", "SUBURBAN", OFFICE)


def test_duty_list_versions_count_up_and_reject_duplicates() -> None:
    c = community()
    assert c.duty_list_version == 1
    c.publish_duty_list([], OFFICE)
    assert c.duty_list_version == 2 and c.duty_items == []
    with pytest.raises(InvalidInput):
        c.publish_duty_list([{"code": "A", "title": "t", "list": "SELF_GOVERNANCE"}] * 2, OFFICE)


def test_every_event_carries_actor_request_and_community() -> None:
    c = community()
    for event in c.collect_events():
        assert event.actor == {"id": "o", "role": "STREET_OFFICE", "scope": "320102001", "organization": None}
        assert event.request_id == "r" and event.community_code == CODE


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.234", "NaN", "Infinity"])
def test_funding_is_a_positive_decimal_in_yuan(amount: str) -> None:
    with pytest.raises(InvalidInput):
        values.yuan(amount)


def test_funding_is_normalized_to_fen() -> None:
    assert values.yuan("1200") == "1200.00"
    assert values.yuan(" 0.1 ") == "0.10"


def test_delegation_basis_duty_list_agreement_or_nothing() -> None:
    c = community()
    agreement = ServiceAgreement.sign(CODE, "住建局", "加装电梯", "100", NOW + timedelta(days=1), OFFICE)
    assert basis_for(c, "AG-01", None, NOW)[0] is TaskBasis.DUTY_LIST
    assert basis_for(c, "ZZ-99", None, NOW)[0] is None
    assert basis_for(c, None, None, NOW)[0] is None
    assert basis_for(c, None, agreement, NOW)[0] is TaskBasis.SERVICE_AGREEMENT
    assert basis_for(c, "ZZ-99", agreement, NOW)[0] is TaskBasis.SERVICE_AGREEMENT
    assert basis_for(c, None, agreement, NOW + timedelta(days=2))[0] is None  # expired
    other = ServiceAgreement.sign("320102001002", "住建局", "x", "100", NOW + timedelta(days=1), OFFICE)
    assert basis_for(c, None, other, NOW)[0] is None


def test_task_lifecycle_and_versions() -> None:
    task = Task.delegate(community(), "普查", "统计局", TaskBasis.DUTY_LIST, "AG-01", None, None, OFFICE)
    assert task.version == 1 and task.duty_list_version == 1
    with pytest.raises(VersionConflict):
        task.check_version(2)
    with pytest.raises(InvalidState):
        task.complete(COMMITTEE)
    task.accept(COMMITTEE)
    with pytest.raises(InvalidState):
        task.decline("no", COMMITTEE)
    task.complete(COMMITTEE)
    assert (task.status, task.version) == ("COMPLETED", 3)


def test_decline_needs_a_reason() -> None:
    task = Task.delegate(community(), "普查", "统计局", TaskBasis.DUTY_LIST, "AG-01", None, None, OFFICE)
    with pytest.raises(InvalidInput):
        task.decline("  ", COMMITTEE)


def test_campaign_closes_and_checks_targets() -> None:
    campaign = EvaluationCampaign.open(CODE, "评议", [{"id": "t1", "name": "街道", "kind": "GOVERNMENT_DEPARTMENT"}],
                                       NOW + timedelta(hours=1), COMMITTEE)
    resident = Stamp(Actor("r1", Role.RESIDENT, CODE), "r")
    ballot = EvaluationBallot.cast(campaign, "t1", Satisfaction.SATISFIED, None, NOW, resident)
    assert ballot.id == values.ballot_id(campaign.id, "t1", "r1")
    with pytest.raises(InvalidInput):
        EvaluationBallot.cast(campaign, "t9", Satisfaction.SATISFIED, None, NOW, resident)
    with pytest.raises(CampaignClosed):
        EvaluationBallot.cast(campaign, "t1", Satisfaction.SATISFIED, None, NOW + timedelta(hours=2), resident)
    with pytest.raises(InvalidInput):
        EvaluationCampaign.open(CODE, "评议", [], NOW + timedelta(hours=1), COMMITTEE)


def test_scope_is_a_prefix_and_narrowing_never_widens() -> None:
    actor = Actor("o", Role.STREET_OFFICE, "320102001")
    authorize(actor, Action.DELEGATE_TASK, CODE)
    with pytest.raises(Forbidden):
        authorize(actor, Action.DELEGATE_TASK, "320102002001")
    with pytest.raises(Forbidden):
        authorize(actor, Action.CAST_EVALUATION, CODE)
    assert narrow(actor, None) == "320102001"
    assert narrow(actor, CODE) == CODE
    with pytest.raises(Forbidden):
        narrow(actor, "320102")
