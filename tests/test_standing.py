"""What stands in a community (backend/domain/standing.py): P5 work bodies, P6 signboards (with the P36 fact of
village and enterprises separated), P7 target-responsibility contracts, P10 the seal. The rules' edge cases in the
domain and through the synchronous application on a real PostgreSQL; then each action through real HTTP."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from backend import bootstrap
from backend.api.auth import issue
from backend.application.governance import Gongzhi
from backend.domain.access import PERMISSIONS, Action, Actor, Role
from backend.domain.community import Community
from backend.domain.errors import (
    Forbidden,
    InvalidInput,
    InvalidState,
    NotFound,
    SealUseNotAllowed,
    SignboardNotAllowed,
    TargetContractAbolished,
    WorkBodyNotAllowed,
)
from backend.domain.stamp import Stamp
from backend.domain.standing import (
    MAX_CONTRACT_TARGETS,
    SealUse,
    SealUseKind,
    SealUseRefusal,
    Signboard,
    SignboardKind,
    SignboardRefusal,
    TargetContractRefusal,
    WorkBody,
    WorkBodyKind,
    WorkBodyRefusal,
    names_law_or_regulation,
    signboard_refusal,
    work_body_refusal,
)
from tests import ops
from tests.harness import SECRET, Client, district, token

CODE = "320102001001"
OFFICE = Stamp(Actor("office-1", Role.STREET_OFFICE, "320102001", "玄武区梅园新村街道办事处"), "req-1")
DEPARTMENT = Stamp(Actor("dept-1", Role.DEPARTMENT, "320102", "区民政局"), "req-2")
COMMITTEE = Stamp(Actor("committee-1", Role.COMMITTEE, CODE), "req-3")


def community(kind: str = "URBAN", separated: bool | None = None, code: str = CODE) -> Community:
    return Community.register(code, "长江路社区", kind, OFFICE, separated)


# -- P5 不得另设工作机构, in the domain ----------------------------------------------------------------------

@pytest.mark.parametrize("basis", [
    "《中华人民共和国城市居民委员会组织法》",
    "依据《中华人民共和国人民调解法》第八条设立",
    "《江苏省社区服务条例》",
    "《江苏省实施〈中华人民共和国村民委员会组织法〉办法》",
])
def test_P5_a_legal_basis_names_a_law_or_regulation_in_book_title_marks(basis: str) -> None:
    assert names_law_or_regulation(basis)
    assert work_body_refusal(WorkBodyKind.DEPARTMENT_BODY, basis) is None


@pytest.mark.parametrize("basis", [None, "区委办〔2025〕12号文件", "中华人民共和国城市居民委员会组织法", "《法》",
                                   "《关于加强社区工作的通知》", "《 法》", "《条例》",
                                   "《南京市社区工作站管理办法》", "《区民政局社区事务工作办法》"])
def test_P5_a_department_body_without_a_law_or_regulation_is_refused(basis: str | None) -> None:
    assert not names_law_or_regulation(basis)
    reason = work_body_refusal(WorkBodyKind.DEPARTMENT_BODY, basis)
    assert reason is not None and "P5" in reason


@pytest.mark.parametrize("kind", [k for k in WorkBodyKind if k is not WorkBodyKind.DEPARTMENT_BODY])
def test_P5_the_bodies_the_law_provides_for_need_no_basis(kind: WorkBodyKind) -> None:
    body = WorkBody.establish(CODE, "社区服务站", kind, None, OFFICE)
    assert isinstance(body, WorkBody) and body.kind == kind.value and body.legal_basis is None


def test_P5_the_refusal_keeps_the_attempt_its_provision_and_the_actors_organization() -> None:
    refusal = WorkBody.establish(CODE, "区市场监管局社区工作站", WorkBodyKind.DEPARTMENT_BODY, "局党组会议纪要", DEPARTMENT)
    assert isinstance(refusal, WorkBodyRefusal)
    assert (refusal.provision, refusal.code, refusal.name, refusal.legal_basis) == (
        "P5", "WORK_BODY_NOT_ALLOWED", "区市场监管局社区工作站", "局党组会议纪要")
    [event] = refusal.collect_events()
    assert type(event).__name__ == "WorkBodyRefused" and event.actor["organization"] == "区民政局"
    error = refusal.error(42)
    assert isinstance(error, WorkBodyNotAllowed)
    assert error.extensions == {"position": 42, "refusalId": str(refusal.id), "provision": "P5"}


# -- P6 挂牌 and the P36 fact, in the domain -------------------------------------------------------------------

ALWAYS = [SignboardKind.PARTY_ORGANIZATION, SignboardKind.RESIDENTS_COMMITTEE, SignboardKind.VILLAGERS_COMMITTEE,
          SignboardKind.SERVICE_STATION, SignboardKind.COMMUNITY_EMBLEM]


@pytest.mark.parametrize("where", [("URBAN", None), ("RURAL", None), ("RURAL", True), ("RURAL", False)])
def test_P6_the_prescribed_signboards_hang_anywhere_and_no_other(where: tuple[str, bool | None]) -> None:
    c = community(*where)
    for kind in ALWAYS:
        assert signboard_refusal(c, kind) is None
    assert "P6" in (signboard_refusal(c, SignboardKind.OTHER) or "")


def test_P6_P36_the_collective_economic_organization_only_where_village_and_enterprises_are_not_separated() -> None:
    kind = SignboardKind.COLLECTIVE_ECONOMIC_ORGANIZATION
    assert signboard_refusal(community("RURAL", False), kind) is None
    assert "URBAN" in (signboard_refusal(community("URBAN"), kind) or "")
    assert "separated" in (signboard_refusal(community("RURAL"), kind) or "")  # separated is the default
    assert signboard_refusal(community("RURAL", True), kind) is not None
    c = community("RURAL")
    c.record_village_enterprise_separation(False, OFFICE)
    assert c.rural_unseparated and signboard_refusal(c, kind) is None
    c.record_village_enterprise_separation(True, OFFICE)
    assert signboard_refusal(c, kind) is not None
    assert [type(e).__name__ for e in c.collect_events()] == [
        "CommunityRegistered", "VillageEnterpriseSeparationRecorded", "VillageEnterpriseSeparationRecorded"]


def test_P36_an_urban_community_has_no_village_to_separate() -> None:
    with pytest.raises(InvalidInput) as raised:
        community("URBAN", False)
    assert raised.value.extensions["field"] == "villageEnterpriseSeparated"
    assert community("URBAN", True).village_enterprise_separated
    with pytest.raises(InvalidState):
        community("URBAN").record_village_enterprise_separation(False, OFFICE)
    with pytest.raises(InvalidInput):
        Community.register(CODE, "x", "RURAL", OFFICE, "no")  # type: ignore[arg-type]


def test_P36_a_registration_stored_before_the_fact_reads_as_separated() -> None:
    """A CommunityRegistered of an older release has no village_enterprise_separated: it decodes as separated."""
    event = community("RURAL", False).collect_events()[0]
    state = {k: v for k, v in vars(event).items() if k != "village_enterprise_separated"}
    old = object.__new__(type(event))
    object.__setattr__(old, "__dict__", state)
    c = old.mutate(None)
    assert c.village_enterprise_separated is True and not c.rural_unseparated


def test_P6_a_signboard_is_removed_once_saying_why() -> None:
    sign = Signboard.hang(community(), SignboardKind.SERVICE_STATION, "长江路社区服务站", COMMITTEE)
    assert isinstance(sign, Signboard)
    with pytest.raises(InvalidInput):
        sign.remove("  ", COMMITTEE)
    sign.remove("换新牌", COMMITTEE)
    assert sign.removed and sign.removal_reason == "换新牌"
    with pytest.raises(InvalidState):
        sign.remove("again", COMMITTEE)


def test_P6_the_refusal_records_the_kind_and_the_fact_it_was_judged_on() -> None:
    refusal = Signboard.hang(community("RURAL"), SignboardKind.COLLECTIVE_ECONOMIC_ORGANIZATION, "股份经济合作社",
                             OFFICE)
    assert isinstance(refusal, SignboardRefusal)
    assert (refusal.provision, refusal.code, refusal.community_kind, refusal.village_enterprise_separated) == (
        "P6", "SIGNBOARD_NOT_ALLOWED", "RURAL", True)
    assert isinstance(refusal.error(1), SignboardNotAllowed)


# -- P7 取消目标责任书, in the domain --------------------------------------------------------------------------

def test_P7_a_target_contract_is_only_ever_its_refusal() -> None:
    refusal = TargetContractRefusal.impose(CODE, "2026年度社区工作目标责任书", ["创卫达标率100%", "信访零上访"], OFFICE)
    assert (refusal.provision, refusal.code, refusal.targets) == (
        "P7", "TARGET_CONTRACT_ABOLISHED", ["创卫达标率100%", "信访零上访"])
    assert isinstance(refusal.error(1), TargetContractAbolished)
    assert TargetContractRefusal.impose(CODE, "责任书", None, OFFICE).targets == []
    for bad in ("创卫", ["ok", ""], ["x"] * (MAX_CONTRACT_TARGETS + 1), [1]):
        with pytest.raises(InvalidInput) as raised:
            TargetContractRefusal.impose(CODE, "责任书", bad, OFFICE)  # type: ignore[arg-type]
        assert raised.value.extensions["field"] == "targets"


# -- P10 规范公章, in the domain -----------------------------------------------------------------------------

def test_P10_self_governance_uses_the_seal_liability_certificates_are_refused() -> None:
    use = SealUse.use(CODE, "居民会议决议公示", SealUseKind.SELF_GOVERNANCE, "关于加装电梯的决议", None, COMMITTEE)
    assert isinstance(use, SealUse) and use.requested_by is None  # the committee's token names no organization
    for kind in (SealUseKind.LEGAL_LIABILITY_CERTIFICATE, SealUseKind.ECONOMIC_LIABILITY_CERTIFICATE):
        refusal = SealUse.use(CODE, "为辖区企业贷款出具担保", kind, "担保函", None, DEPARTMENT)
        assert isinstance(refusal, SealUseRefusal)
        assert (refusal.provision, refusal.code, refusal.kind) == ("P10", "SEAL_USE_NOT_ALLOWED", kind.value)
        assert refusal.requested_by == "区民政局"  # the actor's organization, when no one else is named
        assert isinstance(refusal.error(1), SealUseNotAllowed)
    named = SealUse.use(CODE, "无犯罪记录证明", SealUseKind.LEGAL_LIABILITY_CERTIFICATE, "证明", "区公安分局",
                        DEPARTMENT)
    assert named.requested_by == "区公安分局"


# -- through the synchronous application, on a real PostgreSQL ------------------------------------------------

@pytest.fixture(scope="module")
def app(direct_url: str) -> Iterator[Gongzhi]:
    application = bootstrap.open_application(direct_url, 1)
    yield application
    application.close()


def stamps(code: str) -> tuple[Stamp, Stamp, Stamp]:
    office = Stamp(Actor(f"office-{code[:9]}", Role.STREET_OFFICE, code[:9], "梅园新村街道办事处"), "req-a")
    department = Stamp(Actor(f"dept-{code[:6]}", Role.DEPARTMENT, code[:6], "区市场监管局"), "req-b")
    committee = Stamp(Actor(f"committee-{code}", Role.COMMITTEE, code), "req-c")
    return office, department, committee


def registered(app: Gongzhi, kind: str = "URBAN", separated: bool | None = None) -> tuple[str, Stamp, Stamp, Stamp]:
    code = f"{district()}001001"
    office, department, committee = stamps(code)
    app.register_community(office, code, "长江路社区", kind, village_enterprise_separated=separated)
    return code, office, department, committee


def refusal_at(app: Gongzhi, error: Exception) -> object:
    """The refusal an error points at, as the store has it."""
    extensions = error.extensions  # type: ignore[attr-defined]
    refusal = app.repository.get(UUID(extensions["refusalId"]))
    assert app.recorder.max_notification_id() >= extensions["position"]
    return refusal


def test_P5_application_records_lawful_bodies_and_refuses_a_departments_own(app: Gongzhi) -> None:
    code, office, department, committee = registered(app)
    body, receipt = app.establish_work_body(committee, community_code=code, name="人民调解委员会",
                                            kind="COMMITTEE_SUBCOMMITTEE")
    assert receipt.entity_id == str(body.id) and receipt.version == 1
    lawful, _ = app.establish_work_body(department, community_code=code, name="社区警务室", kind="DEPARTMENT_BODY",
                                        legal_basis="《中华人民共和国人民警察法》")
    assert lawful.legal_basis == "《中华人民共和国人民警察法》"
    with pytest.raises(WorkBodyNotAllowed) as raised:
        app.establish_work_body(department, community_code=code, name="市场监管社区工作站", kind="DEPARTMENT_BODY")
    refusal = refusal_at(app, raised.value)
    assert isinstance(refusal, WorkBodyRefusal) and refusal.community_code == code and refusal.provision == "P5"
    with pytest.raises(InvalidInput) as bad:
        app.establish_work_body(department, community_code=code, name="x", kind="BUREAU")
    assert bad.value.extensions["field"] == "kind"
    with pytest.raises(NotFound):
        app.establish_work_body(office, community_code=f"{code[:9]}999", name="x", kind="SERVICE_STATION")
    resident = Stamp(Actor("r", Role.RESIDENT, code), "req")
    with pytest.raises(Forbidden):
        app.establish_work_body(resident, community_code=code, name="x", kind="DEPARTMENT_BODY")


def test_P6_P36_application_hangs_refuses_and_removes_by_the_communitys_fact(app: Gongzhi) -> None:
    code, office, _, committee = registered(app, "RURAL")
    kind = "COLLECTIVE_ECONOMIC_ORGANIZATION"
    with pytest.raises(SignboardNotAllowed) as raised:
        app.hang_signboard(committee, community_code=code, kind=kind, text="某村股份经济合作社")
    refusal = refusal_at(app, raised.value)
    assert isinstance(refusal, SignboardRefusal) and refusal.village_enterprise_separated is True
    community, receipt = app.record_village_enterprise_separation(office, community_code=code, separated=False)
    assert community.rural_unseparated and receipt.entity_id == code and receipt.version == 2
    sign, receipt = app.hang_signboard(committee, community_code=code, kind=kind, text="某村股份经济合作社")
    assert sign.kind == kind and receipt.version == 1
    removed, receipt = app.remove_signboard(office, signboard_id=str(sign.id), reason="村企分开后摘牌")
    assert removed.removed and receipt.version == 2
    with pytest.raises(InvalidState):
        app.remove_signboard(office, signboard_id=str(sign.id), reason="again")
    other_street = Stamp(Actor("o2", Role.STREET_OFFICE, "999999999"), "req")
    with pytest.raises(Forbidden):
        app.remove_signboard(other_street, signboard_id=str(sign.id), reason="x")
    with pytest.raises(InvalidInput):
        app.record_village_enterprise_separation(office, community_code=code, separated="yes")  # type: ignore[arg-type]


def test_P36_application_registers_the_fact_and_refuses_it_on_an_urban_community(app: Gongzhi) -> None:
    code, office, _, committee = registered(app, "RURAL", separated=False)
    assert app.community(code).rural_unseparated
    sign, _ = app.hang_signboard(committee, community_code=code, kind="COLLECTIVE_ECONOMIC_ORGANIZATION", text="合作社")
    assert isinstance(sign, Signboard)
    urban, office, _, _ = registered(app)
    with pytest.raises(InvalidState):
        app.record_village_enterprise_separation(office, community_code=urban, separated=True)
    with pytest.raises(InvalidInput):
        registered(app, "URBAN", separated=False)


def test_P7_application_refuses_and_records_every_target_contract(app: Gongzhi) -> None:
    code, office, department, committee = registered(app)
    for by in (office, department):
        with pytest.raises(TargetContractAbolished) as raised:
            app.impose_target_contract(by, community_code=code, title="2026年目标管理责任书", targets=["综治考核"])
        refusal = refusal_at(app, raised.value)
        assert isinstance(refusal, TargetContractRefusal) and refusal.targets == ["综治考核"]
        assert raised.value.extensions["provision"] == "P7"
    with pytest.raises(Forbidden):
        app.impose_target_contract(committee, community_code=code, title="x")


def test_P10_application_keeps_the_seal_ledger_and_refuses_liability(app: Gongzhi) -> None:
    code, _, department, committee = registered(app)
    use, receipt = app.use_seal(committee, community_code=code, purpose="居务公开", kind="SELF_GOVERNANCE",
                                document="2026年第三季度居务公开表")
    assert use.kind == "SELF_GOVERNANCE" and receipt.entity_id == str(use.id)
    with pytest.raises(SealUseNotAllowed) as raised:
        app.use_seal(committee, community_code=code, purpose="为居民经营贷款作担保",
                     kind="ECONOMIC_LIABILITY_CERTIFICATE", document="担保函", requested_by="某农商银行")
    refusal = refusal_at(app, raised.value)
    assert isinstance(refusal, SealUseRefusal) and refusal.requested_by == "某农商银行"
    with pytest.raises(SealUseNotAllowed) as raised:
        app.use_seal(department, community_code=code, purpose="证明某商户无违法经营",
                     kind="LEGAL_LIABILITY_CERTIFICATE", document="证明")
    assert refusal_at(app, raised.value).requested_by == "区市场监管局"  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput) as bad:
        app.use_seal(committee, community_code=code, purpose="x", kind="SELF_GOVERNANCE", document="\u202e")
    assert bad.value.extensions["field"] == "document"


# -- through real HTTP ------------------------------------------------------------------------------------------

def org_token(role: Role, scope: str, actor: str, organization: str | None) -> str:
    return issue(SECRET, actor, role, scope, organization=organization)


class Parties:
    """A community's parties over HTTP, each token naming its organization (所属单位), except the committee's."""

    def __init__(self, c: ops.Community) -> None:
        self.c = c
        self.office = org_token(Role.STREET_OFFICE, c.street, f"office-{c.street}", "梅园新村街道办事处")
        self.department = org_token(Role.DEPARTMENT, c.district, f"dept-{c.district}", "区市场监管局")
        self.committee = c.committee
        self.party = org_token(Role.PARTY_COMMITTEE, c.code, f"party-{c.code}", "长江路社区党委")
        self.auditor = c.auditor


async def parties(gql: Client, kind: str = "URBAN", separated: bool | None = None) -> Parties:
    c = ops.Community(f"{district()}001001")
    registration: dict[str, Any] = {"code": c.code, "name": "长江路社区", "kind": kind}
    if separated is not None:
        registration["villageEnterpriseSeparated"] = separated
    await gql.call(ops.REGISTER, {"input": registration}, c.office)
    return Parties(c)


async def refusal_recorded(gql: Client, p: Parties, error: dict[str, Any], code: str, provision: str,
                           event_type: str, organization: str | None) -> dict[str, Any]:
    """The refusal an error names, at its position in the log: its event's provision, code and actor's organization."""
    extensions = error["extensions"]
    assert extensions["code"] == code and extensions["provision"] == provision
    assert isinstance(extensions["position"], int)
    [event] = (await gql.call(ops.HISTORY_WITH_ORG, {"id": extensions["refusalId"]}, p.auditor))["history"]
    assert event["position"] == extensions["position"] and event["type"] == event_type
    assert event["data"]["provision"] == provision and event["data"]["code"] == code
    assert event["actor"]["organization"] == organization
    logged = (await gql.call(ops.EVENT_LOG, {"after": extensions["position"] - 1, "first": 1, "types": [event_type]},
                             p.auditor))["eventLog"]
    assert [e["position"] for e in logged] == [extensions["position"]]
    return event


def consistent(receipt_or_position: dict[str, Any] | int) -> dict[str, str]:
    position = receipt_or_position if isinstance(receipt_or_position, int) else receipt_or_position["position"]
    return {"X-Consistent-After": str(position)}


async def test_P5_lawful_work_bodies_are_recorded_and_listed(gql: Client) -> None:
    p = await parties(gql)
    done = (await gql.call(ops.ESTABLISH_WORK_BODY, {"input": {
        "communityCode": p.c.code, "name": "长江路社区服务站", "kind": "SERVICE_STATION"}}, p.office))["establishWorkBody"]
    body, receipt = done["workBody"], done["receipt"]
    assert receipt["entityId"] == body["id"] and receipt["version"] == 1
    assert body["establishedBy"] == {"actorId": f"office-{p.c.street}", "role": "STREET_OFFICE",
                                     "organization": "梅园新村街道办事处"}
    lawful = (await gql.call(ops.ESTABLISH_WORK_BODY, {"input": {
        "communityCode": p.c.code, "name": "社区警务室", "kind": "DEPARTMENT_BODY",
        "legalBasis": "《中华人民共和国人民警察法》"}}, p.department))["establishWorkBody"]
    bodies = (await gql.call(ops.WORK_BODIES, {"c": p.c.code}, p.c.resident("r1"),
                             headers=consistent(lawful["receipt"])))["workBodies"]
    assert [(b["name"], b["kind"], b["legalBasis"]) for b in bodies] == [
        ("长江路社区服务站", "SERVICE_STATION", None), ("社区警务室", "DEPARTMENT_BODY", "《中华人民共和国人民警察法》")]
    assert bodies[0] == body


async def test_P5_a_departments_own_work_body_is_refused_and_recorded(gql: Client) -> None:
    p = await parties(gql)
    error = await gql.error(ops.ESTABLISH_WORK_BODY, {"input": {
        "communityCode": p.c.code, "name": "市场监管社区工作站", "kind": "DEPARTMENT_BODY",
        "legalBasis": "区局党组会议纪要"}}, p.department)
    event = await refusal_recorded(gql, p, error, "WORK_BODY_NOT_ALLOWED", "P5", "WorkBodyRefused", "区市场监管局")
    assert event["data"]["name"] == "市场监管社区工作站" and event["data"]["legalBasis"] == "区局党组会议纪要"
    bodies = (await gql.call(ops.WORK_BODIES, {"c": p.c.code}, p.committee,
                             headers=consistent(error["extensions"]["position"])))["workBodies"]
    assert bodies == []


async def test_P6_signboards_hang_and_are_removed_in_the_inventory(gql: Client) -> None:
    p = await parties(gql)
    hung = []
    for kind, text, tok in [("PARTY_ORGANIZATION", "中共长江路社区委员会", p.party),
                            ("RESIDENTS_COMMITTEE", "长江路社区居民委员会", p.committee),
                            ("SERVICE_STATION", "长江路社区服务站", p.office),
                            ("COMMUNITY_EMBLEM", "中国社区", p.committee)]:
        done = (await gql.call(ops.HANG_SIGNBOARD, {"input": {"communityCode": p.c.code, "kind": kind, "text": text}},
                               tok))["hangSignboard"]
        assert done["receipt"]["entityId"] == done["signboard"]["id"] and done["signboard"]["kind"] == kind
        assert not done["signboard"]["removed"] and done["signboard"]["removedBy"] is None
        hung.append(done)
    assert hung[0]["signboard"]["hungBy"] == {"actorId": f"party-{p.c.code}", "role": "PARTY_COMMITTEE",
                                              "organization": "长江路社区党委"}
    removed = (await gql.call(ops.REMOVE_SIGNBOARD, {"id": hung[3]["signboard"]["id"], "reason": "旧牌更换"},
                              p.office))["removeSignboard"]
    assert removed["receipt"] == {"position": removed["receipt"]["position"], "entityId": hung[3]["signboard"]["id"],
                                  "version": 2}
    sign = removed["signboard"]
    assert sign["removed"] and sign["removalReason"] == "旧牌更换" and sign["removedBy"]["role"] == "STREET_OFFICE"
    assert sign["hungBy"]["actorId"] == f"committee-{p.c.code}"
    assert await gql.code(ops.REMOVE_SIGNBOARD, {"id": sign["id"], "reason": "again"}, p.office) == "INVALID_STATE"
    now = (await gql.call(ops.SIGNBOARDS, {"c": p.c.code}, p.c.resident("r1"),
                          headers=consistent(removed["receipt"])))["signboards"]
    assert [s["kind"] for s in now] == ["PARTY_ORGANIZATION", "RESIDENTS_COMMITTEE", "SERVICE_STATION"]
    assert now[0] == hung[0]["signboard"]
    everything = (await gql.call(ops.SIGNBOARDS, {"c": p.c.code, "all": True}, p.auditor))["signboards"]
    assert len(everything) == 4 and everything[3] == sign


async def test_P6_signboard_of_another_kind_is_refused_and_recorded(gql: Client) -> None:
    p = await parties(gql)
    attempt = {"input": {"communityCode": p.c.code, "kind": "OTHER", "text": "市场监管工作站"}}
    error = await gql.error(ops.HANG_SIGNBOARD, attempt, p.department)
    event = await refusal_recorded(gql, p, error, "SIGNBOARD_NOT_ALLOWED", "P6", "SignboardRefused", "区市场监管局")
    assert event["data"]["kind"] == "OTHER" and event["data"]["text"] == "市场监管工作站"
    assert event["data"]["communityKind"] == "URBAN"
    collective = await gql.error(ops.HANG_SIGNBOARD, {"input": {
        "communityCode": p.c.code, "kind": "COLLECTIVE_ECONOMIC_ORGANIZATION", "text": "股份经济合作社"}}, p.committee)
    await refusal_recorded(gql, p, collective, "SIGNBOARD_NOT_ALLOWED", "P6", "SignboardRefused", None)
    inventory = (await gql.call(ops.SIGNBOARDS, {"c": p.c.code, "all": True}, p.committee,
                                headers=consistent(collective["extensions"]["position"])))["signboards"]
    assert inventory == []


async def test_P6_a_refused_signboard_sent_again_with_its_key_is_the_same_refusal(gql: Client) -> None:
    p = await parties(gql)
    attempt = {"input": {"communityCode": p.c.code, "kind": "OTHER", "text": "xx之家"}}
    headers = {"Idempotency-Key": f"sign-{p.c.code}", "Authorization": f"Bearer {p.department}"}
    first, again = [(await gql.raw(ops.HANG_SIGNBOARD, attempt, headers=headers)).json()["errors"][0]
                    for _ in range(2)]
    assert first["extensions"] == again["extensions"] and first["extensions"]["code"] == "SIGNBOARD_NOT_ALLOWED"
    logged = (await gql.call(ops.EVENT_LOG, {"types": ["SignboardRefused"], "first": 1000}, p.auditor))["eventLog"]
    assert [e["position"] for e in logged] == [first["extensions"]["position"]]


async def test_P6_P36_a_rural_community_with_village_and_enterprises_unseparated_adds_its_collective(
        gql: Client) -> None:
    p = await parties(gql, "RURAL", separated=False)
    collective = {"input": {"communityCode": p.c.code, "kind": "COLLECTIVE_ECONOMIC_ORGANIZATION",
                            "text": "长江村股份经济合作社"}}
    done = (await gql.call(ops.HANG_SIGNBOARD, collective, p.committee))["hangSignboard"]
    assert done["signboard"]["kind"] == "COLLECTIVE_ECONOMIC_ORGANIZATION"
    separated = (await gql.call(ops.RECORD_SEPARATION, {"c": p.c.code, "separated": True},
                                p.office))["recordVillageEnterpriseSeparation"]
    assert separated["villageEnterpriseSeparated"] is True and separated["community"] == {"code": p.c.code,
                                                                                         "kind": "RURAL"}
    assert separated["receipt"]["entityId"] == p.c.code and separated["receipt"]["version"] == 2
    history = (await gql.call(ops.HISTORY_WITH_ORG, {"id": p.c.code}, p.auditor))["history"]
    assert [(e["type"], e["data"].get("villageEnterpriseSeparated")) for e in history] == [
        ("CommunityRegistered", False), ("VillageEnterpriseSeparationRecorded", True)]
    error = await gql.error(ops.HANG_SIGNBOARD, collective, p.committee)
    event = await refusal_recorded(gql, p, error, "SIGNBOARD_NOT_ALLOWED", "P6", "SignboardRefused", None)
    assert event["data"]["communityKind"] == "RURAL" and event["data"]["villageEnterpriseSeparated"] is True
    inventory = (await gql.call(ops.SIGNBOARDS, {"c": p.c.code}, p.committee,
                                headers=consistent(error["extensions"]["position"])))["signboards"]
    assert [s["id"] for s in inventory] == [done["signboard"]["id"]]  # what hung before the fact changed stays


async def test_P36_separation_is_only_a_rural_communitys_fact(gql: Client) -> None:
    p = await parties(gql)
    assert await gql.code(ops.RECORD_SEPARATION, {"c": p.c.code, "separated": False}, p.office) == "INVALID_STATE"
    c = ops.Community(f"{district()}001001")
    error = await gql.error(ops.REGISTER, {"input": {"code": c.code, "name": "x", "kind": "URBAN",
                                                     "villageEnterpriseSeparated": False}}, c.office)
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == "villageEnterpriseSeparated"
    rural = await parties(gql, "RURAL")
    for role in (Role.COMMITTEE, Role.DEPARTMENT, Role.AUDITOR):
        tok = token(role, rural.c.code)
        assert await gql.code(ops.RECORD_SEPARATION, {"c": rural.c.code, "separated": False}, tok) == "FORBIDDEN"


async def test_P36_the_community_shows_whether_its_village_and_enterprises_are_separated(gql: Client) -> None:
    """Community.villageEnterpriseSeparated: null for an URBAN community, the recorded fact for a RURAL one."""
    query = "query($c: ID!) { community(code: $c) { kind villageEnterpriseSeparated } }"
    urban = await parties(gql)
    rural = ops.Community(f"{district()}001001")
    registered = await gql.call(ops.REGISTER.replace("openTasks", "openTasks villageEnterpriseSeparated"), {"input": {
        "code": rural.code, "name": "青山村", "kind": "RURAL", "villageEnterpriseSeparated": False}}, rural.office)
    assert registered["registerCommunity"]["community"]["villageEnterpriseSeparated"] is False
    recorded = await gql.call(ops.RECORD_SEPARATION, {"c": rural.code, "separated": True}, rural.office)
    wait = {"X-Consistent-After": str(recorded["recordVillageEnterpriseSeparation"]["receipt"]["position"])}
    assert (await gql.call(query, {"c": rural.code}, rural.committee, headers=wait))["community"] == {
        "kind": "RURAL", "villageEnterpriseSeparated": True}
    assert (await gql.call(query, {"c": urban.c.code}, urban.c.committee, headers=wait))["community"] == {
        "kind": "URBAN", "villageEnterpriseSeparated": None}


async def test_P7_a_target_contract_is_refused_and_recorded(gql: Client) -> None:
    p = await parties(gql)
    for tok, organization in ((p.office, "梅园新村街道办事处"), (p.department, "区市场监管局")):
        error = await gql.error(ops.IMPOSE_TARGET_CONTRACT, {"input": {
            "communityCode": p.c.code, "title": "2026年度社区工作目标责任书", "targets": ["创文测评达标", "信访零上访"]}}, tok)
        event = await refusal_recorded(gql, p, error, "TARGET_CONTRACT_ABOLISHED", "P7", "TargetContractRefused",
                                       organization)
        assert event["data"]["targets"] == ["创文测评达标", "信访零上访"]
    error = await gql.error(ops.IMPOSE_TARGET_CONTRACT, {"input": {"communityCode": p.c.code, "title": "责任状"}},
                            p.office)
    assert error["extensions"]["code"] == "TARGET_CONTRACT_ABOLISHED"
    unknown = f"{p.c.code[:9]}999"
    assert await gql.code(ops.IMPOSE_TARGET_CONTRACT, {"input": {"communityCode": unknown, "title": "x"}},
                          p.office) == "NOT_FOUND"


async def test_P10_a_self_governance_use_of_the_seal_is_in_the_ledger(gql: Client) -> None:
    p = await parties(gql)
    uses = []
    for document in ("居民会议决议", "居务公开表", "居民公约"):
        done = (await gql.call(ops.USE_SEAL, {"input": {"communityCode": p.c.code, "purpose": "居民自治",
                                                        "kind": "SELF_GOVERNANCE", "document": document}},
                               p.committee))["useSeal"]
        assert done["receipt"]["entityId"] == done["sealUse"]["id"] and done["sealUse"]["requestedBy"] is None
        uses.append(done)
    named = (await gql.call(ops.USE_SEAL, {"input": {"communityCode": p.c.code, "purpose": "楼道议事会纪要",
                                                     "kind": "SELF_GOVERNANCE", "document": "纪要",
                                                     "requestedBy": "3号楼议事会"}}, p.office))["useSeal"]
    assert named["sealUse"]["requestedBy"] == "3号楼议事会"
    assert named["sealUse"]["usedBy"]["organization"] == "梅园新村街道办事处"
    first = (await gql.call(ops.SEAL_LEDGER, {"c": p.c.code, "first": 2}, p.c.resident("r1"),
                            headers=consistent(named["receipt"])))["sealLedger"]
    assert first["totalCount"] == 4 and first["pageInfo"]["hasNextPage"]
    assert [e["node"]["document"] for e in first["edges"]] == ["纪要", "居民公约"]  # newest first
    assert first["edges"][0]["node"] == named["sealUse"]
    rest = (await gql.call(ops.SEAL_LEDGER, {"c": p.c.code, "after": first["pageInfo"]["endCursor"]},
                           p.committee))["sealLedger"]
    assert [e["node"]["document"] for e in rest["edges"]] == ["居务公开表", "居民会议决议"]
    assert not rest["pageInfo"]["hasNextPage"]


async def test_P10_a_liability_certificate_is_refused_recorded_and_counted_against_the_asker(gql: Client) -> None:
    p = await parties(gql)
    error = await gql.error(ops.USE_SEAL, {"input": {
        "communityCode": p.c.code, "purpose": "为辖区商户贷款出具担保", "kind": "ECONOMIC_LIABILITY_CERTIFICATE",
        "document": "担保函", "requestedBy": "某农村商业银行"}}, p.committee)
    event = await refusal_recorded(gql, p, error, "SEAL_USE_NOT_ALLOWED", "P10", "SealUseRefused", None)
    assert event["data"]["requestedBy"] == "某农村商业银行"
    error = await gql.error(ops.USE_SEAL, {"input": {
        "communityCode": p.c.code, "purpose": "证明某商户无违法经营记录", "kind": "LEGAL_LIABILITY_CERTIFICATE",
        "document": "证明"}}, p.department)
    event = await refusal_recorded(gql, p, error, "SEAL_USE_NOT_ALLOWED", "P10", "SealUseRefused", "区市场监管局")
    assert event["data"]["requestedBy"] == "区市场监管局"  # the actor's organization when no one else is named
    ledger = (await gql.call(ops.SEAL_LEDGER, {"c": p.c.code}, p.committee,
                             headers=consistent(error["extensions"]["position"])))["sealLedger"]
    assert ledger["totalCount"] == 0


async def test_P5_P6_P7_P10_read_models_are_read_within_the_scope(gql: Client) -> None:
    p = await parties(gql)
    other = f"{district()}001001"
    for query in (ops.SIGNBOARDS, ops.WORK_BODIES, ops.SEAL_LEDGER):
        for role in Role:
            assert "errors" not in (await gql.raw(query, {"c": p.c.code}, token(role, p.c.code))).json()
        assert await gql.code(query, {"c": p.c.code}, token(Role.COMMITTEE, other)) == "FORBIDDEN"
        assert await gql.code(query, {"c": "32010200100"}, p.committee) == "INVALID_INPUT"


def attempts(code: str, signboard_id: str) -> dict[Action, list[tuple[str, dict[str, Any]]]]:
    """One attempt of each action of this area on community `code` (a removal: of `signboard_id`)."""
    return {
        Action.ESTABLISH_WORK_BODY: [(ops.ESTABLISH_WORK_BODY, {"input": {
            "communityCode": code, "name": "调解委员会", "kind": "COMMITTEE_SUBCOMMITTEE"}})],
        Action.HANG_SIGNBOARD: [
            (ops.HANG_SIGNBOARD, {"input": {"communityCode": code, "kind": "COMMUNITY_EMBLEM", "text": "中国社区"}}),
            (ops.REMOVE_SIGNBOARD, {"id": signboard_id, "reason": "更换"})],
        Action.IMPOSE_TARGET_CONTRACT: [(ops.IMPOSE_TARGET_CONTRACT, {"input": {
            "communityCode": code, "title": "目标责任书"}})],
        Action.USE_SEAL: [(ops.USE_SEAL, {"input": {"communityCode": code, "purpose": "居务公开",
                                                    "kind": "SELF_GOVERNANCE", "document": "公开表"}})],
        Action.REGISTER_COMMUNITY: [(ops.RECORD_SEPARATION, {"c": code, "separated": False})],
    }


async def test_P5_P6_P7_P10_P36_role_by_role_forbidden_records_nothing(gql: Client) -> None:
    p = await parties(gql, "RURAL")
    sign = (await gql.call(ops.HANG_SIGNBOARD, {"input": {"communityCode": p.c.code, "kind": "SERVICE_STATION",
                                                          "text": "服务站"}}, p.committee))["hangSignboard"]
    head = sign["receipt"]["position"]
    other = ops.Community(f"{p.c.district}001999")  # another community of the same district, so the auditor sees it
    await gql.call(ops.REGISTER, {"input": {"code": other.code, "name": "别的社区", "kind": "RURAL"}}, other.office)
    other_sign = (await gql.call(ops.HANG_SIGNBOARD, {"input": {"communityCode": other.code,
                                                                "kind": "SERVICE_STATION", "text": "服务站"}},
                                 other.committee))["hangSignboard"]
    head = other_sign["receipt"]["position"]
    for action, tries in attempts(p.c.code, sign["signboard"]["id"]).items():
        for role in Role:
            if role in PERMISSIONS[action]:
                continue
            for query, variables in tries:
                tok = token(role, p.c.code, f"{role.value.lower()}-{p.c.code}")
                assert await gql.code(query, variables, tok) == "FORBIDDEN", (action, role, query)
    for action, tries in attempts(p.c.code, sign["signboard"]["id"]).items():
        for role in PERMISSIONS[action]:
            scope = other.code  # allowed by role, but the token covers another community
            for query, variables in tries:
                tok = token(role, scope, f"{role.value.lower()}-{scope}")
                assert await gql.code(query, variables, tok) == "FORBIDDEN", (action, role, query)
    since = (await gql.call(ops.EVENT_LOG, {"after": head, "first": 1000}, p.auditor))["eventLog"]
    assert since == []  # nothing recorded, no refusal either


async def test_P5_P6_P7_P10_P36_each_allowed_role_acts(gql: Client) -> None:
    """Every role of each action's row acts (or is refused by the rule, P7, and recorded), within its scope."""
    p = await parties(gql, "RURAL")
    scopes = {Role.STREET_OFFICE: p.c.street, Role.DEPARTMENT: p.c.district}
    for action in (Action.ESTABLISH_WORK_BODY, Action.HANG_SIGNBOARD, Action.IMPOSE_TARGET_CONTRACT,
                   Action.USE_SEAL, Action.REGISTER_COMMUNITY):
        for role in sorted(PERMISSIONS[action]):
            tok = token(role, scopes.get(role, p.c.code if role is not Role.ADMIN else ""))
            sign = (await gql.call(ops.HANG_SIGNBOARD, {"input": {"communityCode": p.c.code, "kind": "SERVICE_STATION",
                                                                  "text": "服务站"}}, p.committee))["hangSignboard"]
            for query, variables in attempts(p.c.code, sign["signboard"]["id"])[action]:
                response = (await gql.raw(query, variables, tok)).json()
                if action is Action.IMPOSE_TARGET_CONTRACT:
                    assert response["errors"][0]["extensions"]["code"] == "TARGET_CONTRACT_ABOLISHED"
                else:
                    assert "errors" not in response, (action, role, response)
