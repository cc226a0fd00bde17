"""GraphQL documents and small steps the tests share."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.domain.access import Actor, Role
from tests.harness import Client, district, token

REGISTER = """mutation($input: RegisterCommunityInput!) { registerCommunity(input: $input) {
  community { code name kind dutyListVersion openTasks } receipt { position entityId version } } }"""
PUBLISH = """mutation($input: PublishDutyListInput!) { publishDutyList(input: $input) {
  community { code dutyListVersion dutyItems { code title list } } receipt { position entityId version } } }"""
SIGN = """mutation($input: SignServiceAgreementInput!) { signServiceAgreement(input: $input) {
  agreement { id communityCode department scope fundingYuan validUntil } receipt { position entityId version } } }"""
TASK_FIELDS = """task { id communityCode title fromDepartment basis dutyItemCode agreementId status delegatedAt dueAt
  version } receipt { position entityId version }"""
DELEGATE = "mutation($input: DelegateTaskInput!) { delegateTask(input: $input) { " + TASK_FIELDS + " } }"
ACCEPT = "mutation($id: ID!, $v: Int) { acceptTask(id: $id, expectedVersion: $v) { " + TASK_FIELDS + " } }"
DECLINE = ("mutation($id: ID!, $r: String!, $v: Int) { declineTask(id: $id, reason: $r, expectedVersion: $v) { "
           + TASK_FIELDS + " } }")
COMPLETE = "mutation($id: ID!, $v: Int) { completeTask(id: $id, expectedVersion: $v) { " + TASK_FIELDS + " } }"
REGISTER_ORG = """mutation($input: RegisterOrganizationInput!) { registerOrganization(input: $input) {
  organization { id name category status communityCode hubId registeredAt } receipt { position entityId version } } }"""
RECORD_ACTIVITY = """mutation($input: RecordActivityInput!) { recordActivity(input: $input) {
  activity { id communityCode title organizerId heldAt participants volunteerHours }
  receipt { position entityId version } } }"""
OPEN_CAMPAIGN = """mutation($input: OpenEvaluationCampaignInput!) { openEvaluationCampaign(input: $input) {
  campaign { id communityCode title targets { id name kind } closesAt } receipt { position entityId version } } }"""
DISBURSE = """mutation($input: RecordDisbursementInput!) { recordDisbursement(input: $input) {
  agreement { id fundingYuan disbursedYuan outstandingYuan } receipt { position entityId version } } }"""
CAST = """mutation($input: CastEvaluationInput!) { castEvaluation(input: $input) { position entityId version } }"""
HISTORY = """query($id: ID!) { history(entityId: $id) { position entityId entityType version type occurredAt
  actor { id role scope } data } }"""
EVENT_LOG = """query($after: Position, $first: Int, $types: [String!]) { eventLog(after: $after, first: $first,
  types: $types) { position entityId entityType version type occurredAt actor { id role scope } data } }"""


def iso(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + delta).isoformat()


class Community:
    """A freshly registered community with a published duty list, and tokens for its parties."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.street = code[:9]
        self.district = code[:6]
        self.office = token(Role.STREET_OFFICE, self.street, f"office-{self.street}")
        self.department = token(Role.DEPARTMENT, self.district, f"dept-{self.district}")
        self.committee = token(Role.COMMITTEE, code, f"committee-{code}")
        self.auditor = token(Role.AUDITOR, self.district, f"auditor-{self.district}")

    def resident(self, name: str) -> str:
        return token(Role.RESIDENT, self.code, name)


async def community(gql: Client, code: str | None = None, items: list[dict] | None = None) -> Community:
    c = Community(code or f"{district()}001001")
    await gql.call(REGISTER, {"input": {"code": c.code, "name": "长江路社区", "kind": "URBAN"}}, c.office)
    published = await gql.call(PUBLISH, {"input": {"communityCode": c.code, "items": items if items is not None else [
        {"code": "SG-01", "title": "居民会议", "list": "SELF_GOVERNANCE"},
        {"code": "AG-01", "title": "协助人口普查", "list": "ASSIST_GOVERNMENT"}]}}, c.office)
    # Read-your-writes, as the app does it: the community is in the read models before a test reads it.
    await caught_up(gql, c.office, published["publishDutyList"]["receipt"]["position"])
    return c


async def caught_up(gql: Client, tok: str, position: int) -> None:
    """Waits until the read models have processed `position` (X-Consistent-After)."""
    await gql.call("{ me { id } }", tok=tok, headers={"X-Consistent-After": str(position)})


async def delegate(gql: Client, c: Community, item: str | None = "AG-01", agreement: str | None = None) -> dict:
    data = await gql.call(DELEGATE, {"input": {"communityCode": c.code, "title": "人口普查入户登记",
                                               "fromDepartment": "区统计局", "dutyItemCode": item,
                                               "agreementId": agreement}}, c.department)
    return data["delegateTask"]


async def sign(gql: Client, c: Community, funding: str = "1200.00", days: int = 365) -> dict:
    data = await gql.call(SIGN, {"input": {"communityCode": c.code, "department": "区住建局", "scope": "加装电梯意见征询",
                                           "fundingYuan": funding, "validUntil": iso(timedelta(days=days))}},
                          c.department)
    return data["signServiceAgreement"]


async def campaign(gql: Client, c: Community, closes_in: timedelta = timedelta(days=1)) -> dict:
    """An evaluation campaign of `c` with one target, "office"."""
    data = await gql.call(OPEN_CAMPAIGN, {"input": {
        "communityCode": c.code, "title": "评议", "closesAt": iso(closes_in),
        "targets": [{"id": "office", "name": "街道办", "kind": "GOVERNMENT_DEPARTMENT"}]}}, c.committee)
    return data["openEvaluationCampaign"]["campaign"]


def open_ballot_campaign(direct_url: str, c: Community, targets: tuple[str, ...] = ("office",)) -> dict:
    """P26: an evaluation campaign as one was opened before ballots became secret (its event has no `secret`): its
    ballots are open ballots (EvaluationCast, with their voter). Appended straight to the store, as the old code
    did; {"id": ...}."""
    from backend import database
    from backend.application.governance import Gongzhi
    from backend.domain.evaluation import EvaluationCampaign
    from backend.domain.stamp import Stamp
    app = Gongzhi(database.eventsourcing_env(direct_url, 1))
    try:
        by = Stamp(Actor(f"committee-{c.code}", Role.COMMITTEE, c.code), "legacy-request")
        campaign = EvaluationCampaign(title="旧评议", targets=[
            {"id": t, "name": f"对象{t}", "kind": "GOVERNMENT_DEPARTMENT"} for t in targets],
            closes_at=datetime.now(UTC) + timedelta(days=2), **by.on(c.code))
        (stored,) = [app.mapper.to_stored_event(e) for e in campaign.collect_events()]
        state = stored.state.replace(b',"secret":false', b"").replace(b'"secret":false,', b"")
        assert b'"secret"' not in state
        app.recorder.insert_events([stored.__class__(originator_id=stored.originator_id,
                                                     originator_version=stored.originator_version,
                                                     topic=stored.topic, state=state)])
    finally:
        app.close()
    return {"id": str(campaign.id)}


VERIFY_COUNTS = """query($id: ID!) { verifyEvaluationCounts(campaignId: $id) { ok participations releasedBallots
  pendingBallots problems } }"""


async def ballots_released(gql: Client, c: Community, campaign_id: str, ballots: int, timeout: float = 30) -> dict:
    """P26: wait until a secret campaign's ballot box is empty and `ballots` of its ballots are in the log and in
    its tallies (a target's ballots are released at GONGZHI_BALLOT_BATCH, 10, or at the campaign's close); its
    verifyEvaluationCounts."""
    import asyncio
    import time
    deadline = time.monotonic() + timeout
    query = VERIFY_COUNTS.replace("problems }", "problems targets { logged { secretBallots } } }")
    while True:
        check = (await gql.call(query, {"id": campaign_id}, c.auditor))["verifyEvaluationCounts"]
        tallied = sum(t["logged"]["secretBallots"] for t in check.pop("targets"))
        if check["pendingBallots"] == 0 and check["releasedBallots"] == ballots == tallied:
            return check
        assert time.monotonic() < deadline, check
        await asyncio.sleep(0.3)


# -- P8, P9: inspections and their cap, paper ledgers (tests/test_inspections.py, tests/test_archive.py) ---------
INSPECTION_FIELDS = """id communityCode inspectingBody subject date quarter materialsRequested ordinal cap capScope
  exceeded organization recordedAt tallyId"""
SET_INSPECTION_CAP = """mutation($scope: String!, $max: Int!) { setInspectionCap(scope: $scope, maxPerQuarter: $max) {
  cap { scope maxPerQuarter setAt } receipt { position entityId version } } }"""
RECORD_INSPECTION = ("mutation($input: RecordInspectionInput!) { recordInspection(input: $input) { inspection { "
                     + INSPECTION_FIELDS + " } receipt { position entityId version } } }")
INSPECTIONS = ("query($scope: String, $quarter: String, $first: Int, $after: String) { inspections(scope: $scope, "
               "quarter: $quarter, first: $first, after: $after) { totalCount edges { cursor node { "
               + INSPECTION_FIELDS + " } } pageInfo { hasNextPage endCursor } } }")
INSPECTION_COUNTS = """query($scope: String, $quarter: String, $first: Int, $after: String) {
  inspectionCounts(scope: $scope, quarter: $quarter, first: $first, after: $after) { totalCount
    edges { node { communityCode quarter inspections cap capScope alerts exceeded
      byBody { inspectingBody inspections } } } pageInfo { hasNextPage endCursor } } }"""
RECORD_LEDGER_DEMAND = """mutation($input: RecordLedgerDemandInput!) { recordLedgerDemand(input: $input) {
  ledgerDemand { id communityCode department ledger pages demandedAt recordedAt }
  receipt { position entityId version } } }"""


async def inspect(gql: Client, c: Community, tok: str | None = None, body: str = "区卫健委",
                  date: str = "2026-08-01T10:00:00+08:00", materials: list[str] | None = None) -> dict:
    """An inspection of `c` (by the district's department unless `tok` says who records it)."""
    data = await gql.call(RECORD_INSPECTION, {"input": {
        "communityCode": c.code, "inspectingBody": body, "subject": "卫生检查", "date": date,
        "materialsRequested": materials if materials is not None else ["消毒记录"]}}, tok or c.department)
    return data["recordInspection"]


# -- P11: posts, staff, appraisals (tests/test_work.py) ------------------------------------------------------
STAFF_FIELDS = "id postId communityCode personId name phone appointedAt"
DEFINE_POST = """mutation($input: DefinePostInput!) { definePost(input: $input) {
  post { id communityCode title duties procedures definedAt staff { id } } receipt { position entityId version } } }"""
APPOINT_STAFF = ("mutation($input: AppointStaffInput!) { appointStaff(input: $input) { staff { " + STAFF_FIELDS
                 + " appraisals { period } } receipt { position entityId version } } }")
RECORD_APPRAISAL = """mutation($input: RecordAppraisalInput!) { recordAppraisal(input: $input) {
  appraisal { staffId period result reward sanction recordedAt } receipt { position entityId version } } }"""
ERASE_SUBJECT = """mutation($input: EraseSubjectInput!) { eraseSubject(input: $input) {
  erasure { id subjectId legalBasis erasedAt } receipt { position entityId version } } }"""
POSTS = ("query($c: ID!) { posts(communityCode: $c) { id communityCode title duties procedures definedAt staff { "
         + STAFF_FIELDS + " appraisals { staffId period result reward sanction recordedAt } } } }")


# -- P5, P6, P7, P10 and P36: what stands in a community (tests/test_standing.py) -------------------------------
ACTED_BY = "actorId role organization"
WORK_BODY_FIELDS = f"id communityCode name kind legalBasis establishedBy {{ {ACTED_BY} }} establishedAt"
SIGNBOARD_FIELDS = (f"id communityCode kind text hungBy {{ {ACTED_BY} }} hungAt removed removedBy {{ {ACTED_BY} }}"
                    " removedAt removalReason version")
SEAL_USE_FIELDS = f"id communityCode purpose kind document requestedBy usedBy {{ {ACTED_BY} }} usedAt"
RECEIPT = "receipt { position entityId version }"
ESTABLISH_WORK_BODY = ("mutation($input: EstablishWorkBodyInput!) { establishWorkBody(input: $input) { workBody { "
                       + WORK_BODY_FIELDS + " } " + RECEIPT + " } }")
HANG_SIGNBOARD = ("mutation($input: HangSignboardInput!) { hangSignboard(input: $input) { signboard { "
                  + SIGNBOARD_FIELDS + " } " + RECEIPT + " } }")
REMOVE_SIGNBOARD = ("mutation($id: ID!, $reason: String!) { removeSignboard(id: $id, reason: $reason) { signboard { "
                    + SIGNBOARD_FIELDS + " } " + RECEIPT + " } }")
IMPOSE_TARGET_CONTRACT = ("mutation($input: ImposeTargetContractInput!) { imposeTargetContract(input: $input) { "
                          "contract { communityCode title targets } " + RECEIPT + " } }")
USE_SEAL = ("mutation($input: UseSealInput!) { useSeal(input: $input) { sealUse { " + SEAL_USE_FIELDS + " } "
            + RECEIPT + " } }")
RECORD_SEPARATION = ("mutation($c: ID!, $separated: Boolean!) { recordVillageEnterpriseSeparation(communityCode: $c,"
                     " separated: $separated) { community { code kind } villageEnterpriseSeparated " + RECEIPT + " } }")
SIGNBOARDS = ("query($c: ID!, $all: Boolean) { signboards(communityCode: $c, includeRemoved: $all) { "
              + SIGNBOARD_FIELDS + " } }")
WORK_BODIES = "query($c: ID!) { workBodies(communityCode: $c) { " + WORK_BODY_FIELDS + " } }"
SEAL_LEDGER = ("query($c: ID!, $first: Int, $after: String) { sealLedger(communityCode: $c, first: $first, after: $after)"
               " { totalCount edges { cursor node { " + SEAL_USE_FIELDS + " } } pageInfo { hasNextPage endCursor } } }")
HISTORY_WITH_ORG = """query($id: ID!) { history(entityId: $id) { position entityId entityType version type
  actor { id role scope organization } data } }"""


# -- every action once (the rebuild test's grown mix) -----------------------------------------------------------------
async def every_action(gql: Client, c: Community, direct_url: str | None = None) -> None:
    """Each governance action at least once on `c` (allowed and refused), so that the log holds every event type
    (with `direct_url`, also an open-ballot campaign of before secret ballots and its EvaluationCast)."""
    rural = Community(f"{c.street}{int(c.code[-3:]) % 900 + 50:03d}")
    await gql.call(REGISTER, {"input": {"code": rural.code, "name": "青山村", "kind": "RURAL",
                                        "villageEnterpriseSeparated": False}}, c.office)
    await gql.call(RECORD_SEPARATION, {"c": rural.code, "separated": True}, c.office)
    task = (await delegate(gql, c))["task"]
    await gql.call(ACCEPT, {"id": task["id"]}, c.committee)
    await gql.call(COMPLETE, {"id": task["id"]}, c.committee)
    await gql.error(DELEGATE, {"input": {"communityCode": c.code, "title": "t", "fromDepartment": "d",
                                         "dutyItemCode": "AG-01", "quota": "排名"}}, c.department)
    agreement = (await sign(gql, c, funding="500.00"))["agreement"]["id"]
    await gql.call(DISBURSE, {"input": {"agreementId": agreement, "amountYuan": "250"}}, c.department)
    await gql.call(ESTABLISH_WORK_BODY, {"input": {"communityCode": c.code, "name": "环境和物业管理委员会",
                                                   "kind": "COMMITTEE_SUBCOMMITTEE"}}, c.committee)
    await gql.error(ESTABLISH_WORK_BODY, {"input": {"communityCode": c.code, "name": "工作站",
                                                    "kind": "DEPARTMENT_BODY"}}, c.department)
    board = await gql.call(HANG_SIGNBOARD, {"input": {"communityCode": c.code, "kind": "COMMUNITY_EMBLEM",
                                                      "text": "中国社区"}}, c.committee)
    await gql.call(REMOVE_SIGNBOARD, {"id": board["hangSignboard"]["signboard"]["id"], "reason": "更换"}, c.committee)
    await gql.error(HANG_SIGNBOARD, {"input": {"communityCode": c.code, "kind": "OTHER", "text": "工作站"}},
                    c.department)
    await gql.error(IMPOSE_TARGET_CONTRACT, {"input": {"communityCode": c.code, "title": "目标责任书"}}, c.department)
    await gql.call(USE_SEAL, {"input": {"communityCode": c.code, "purpose": "居民会议", "kind": "SELF_GOVERNANCE",
                                        "document": "决议"}}, c.committee)
    await gql.error(USE_SEAL, {"input": {"communityCode": c.code, "purpose": "证明", "kind": "LEGAL_LIABILITY_CERTIFICATE",
                                         "document": "证明", "requestedBy": "区市场监管局"}}, c.committee)
    await gql.call(SET_INSPECTION_CAP, {"scope": c.street, "max": 1}, c.office)
    await gql.call(SET_INSPECTION_CAP, {"scope": c.street, "max": 0}, c.office)
    await gql.call(RECORD_INSPECTION, {"input": {"communityCode": c.code, "inspectingBody": "区卫健委", "subject": "检查",
                                                 "date": iso()}}, c.committee)
    await gql.call(RECORD_LEDGER_DEMAND, {"input": {"communityCode": c.code, "department": "区卫健委", "ledger": "台账",
                                                    "demandedAt": iso()}}, c.committee)
    post = (await gql.call(DEFINE_POST, {"input": {"communityCode": c.code, "title": "岗位", "duties": ["职责"],
                                                   "procedures": ["流程"]}}, c.committee))["definePost"]["post"]
    staff = (await gql.call(APPOINT_STAFF, {"input": {"postId": post["id"], "personId": "p1", "name": "张三",
                                                      "phone": "13800000001"}}, c.committee))["appointStaff"]["staff"]
    await gql.call(RECORD_APPRAISAL, {"input": {"staffId": staff["id"], "period": "2026", "result": "COMPETENT"}},
                   c.office)
    erased = (await gql.call(APPOINT_STAFF, {"input": {"postId": post["id"], "personId": f"erased-{c.code}",
                                                       "name": "李四", "phone": "13800000002"}}, c.committee))
    await gql.call(ERASE_SUBJECT, {"input": {"subjectId": erased["appointStaff"]["staff"]["personId"],
                                             "legalBasis": "《个人信息保护法》第四十七条"}}, token(Role.ADMIN, ""))
    await gql.call(RECORD_ACTIVITY, {"input": {"communityCode": c.code, "title": "活动", "heldAt": iso(),
                                               "participants": 3}}, c.committee)
    await gql.call(REGISTER_ORG, {"input": {"name": "o", "category": "OTHER", "communityCode": c.code,
                                            "status": "FILED"}}, c.committee)
    opened = await campaign(gql, c)
    for n in range(10):  # P26: a full batch of secret ballots, released into the log while the campaign is open
        await gql.call(CAST, {"input": {"campaignId": opened["id"], "targetId": "office",
                                        "satisfaction": ("SATISFIED", "DISSATISFIED")[n % 2]}}, c.resident(f"r{n}"))
    await ballots_released(gql, c, opened["id"], 10)
    if direct_url is not None:
        old = open_ballot_campaign(direct_url, c)
        await gql.call(CAST, {"input": {"campaignId": old["id"], "targetId": "office", "satisfaction": "SATISFIED"}},
                       c.resident("r1"))
    declined = (await delegate(gql, c))["task"]
    await gql.call(DECLINE, {"id": declined["id"], "r": "自治"}, c.committee)
