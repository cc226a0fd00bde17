"""P26 secret ballots (无记名投票): a resident's participation is on the record, their choice is in the log with no
link to them; one ballot per resident and target holds under simultaneous casts; counts verify; the receipt works
for its holder; open-ballot campaigns of before still read, marked open. Through a real server, as an auditor and
as an administrator who read everything there is to read, and the database directly."""
from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from datetime import timedelta
from typing import Any
from uuid import UUID

from backend.domain.access import Role
from tests import ops
from tests.harness import Client, Server, Subscription, connect, token

CAST = """mutation($input: CastEvaluationInput!) { castEvaluation(input: $input) {
  position entityId version ballotReceipt } }"""
COUNTED = """query($r: String!) { ballotCounted(receipt: $r) { status campaignId targetId satisfaction position batchId
  batchSize releasedAt } }"""
VERIFY = """query($id: ID!) { verifyEvaluationCounts(campaignId: $id) { ok position participations releasedBallots
  pendingBallots problems targets { targetId published { satisfied basicallySatisfied dissatisfied participations
  secretBallots } logged { satisfied basicallySatisfied dissatisfied participations secretBallots } } } }"""
RESULTS = """query($id: ID!) { evaluationResults(campaignId: $id) { target { id } satisfied basicallySatisfied
  dissatisfied total } }"""
CAMPAIGN = "query($id: ID!) { evaluationCampaign(id: $id) { id secret open closesAt } }"
CAMPAIGNS = "query($s: String) { evaluationCampaigns(scope: $s) { edges { node { id title secret open } } } }"
EVENT_LOG = """query($after: Position, $first: Int) { eventLog(after: $after, first: $first) { position entityId
  entityType version type occurredAt actor { id role scope organization } data requestId clientRequestId
  communityCode } }"""
HISTORY = """query($id: ID!) { history(entityId: $id) { position entityId entityType version type occurredAt
  actor { id role scope organization } data requestId clientRequestId } }"""
LIVE = """subscription($after: Position, $scope: String) { events(after: $after, scope: $scope) {
  position type actor { id role scope organization } data requestId clientRequestId } }"""
AS_OF = "query($id: ID!, $at: DateTime!) { entityAsOf(entityId: $id, asOf: $at) }"
CHOICES = ("SATISFIED", "BASICALLY_SATISFIED", "DISSATISFIED")


async def open_campaign(gql: Client, c: ops.Community, targets: tuple[str, ...] = ("office",),
                        closes_in: timedelta = timedelta(days=1)) -> dict[str, Any]:
    data = await gql.call(ops.OPEN_CAMPAIGN, {"input": {
        "communityCode": c.code, "title": "无记名评议", "closesAt": ops.iso(closes_in),
        "targets": [{"id": t, "name": f"对象{t}", "kind": "GOVERNMENT_DEPARTMENT"} for t in targets]}}, c.committee)
    return data["openEvaluationCampaign"]["campaign"]


async def cast(gql: Client, c: ops.Community, campaign: dict[str, Any], resident: str, target: str,
               satisfaction: str, comment: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return (await gql.call(CAST, {"input": {"campaignId": campaign["id"], "targetId": target,
                                            "satisfaction": satisfaction, "comment": comment}},
                           c.resident(resident), headers))["castEvaluation"]


async def released(gql: Client, c: ops.Community, campaign_id: str, ballots: int, timeout: float = 30) -> dict:
    """Wait until the campaign's box is empty and `ballots` secret ballots are in the log and its tallies; its
    verification."""
    deadline = time.monotonic() + timeout
    while True:
        check = (await gql.call(VERIFY, {"id": campaign_id}, c.auditor))["verifyEvaluationCounts"]
        tallied = sum(t["logged"]["secretBallots"] for t in check["targets"])  # the tallies have them too
        if check["pendingBallots"] == 0 and check["releasedBallots"] == ballots == tallied:
            return check
        assert time.monotonic() < deadline, check
        await asyncio.sleep(0.3)


async def raw_events(direct_url: str, code: str) -> list[dict[str, Any]]:
    """Every row of the events table of the community, straight from the database (state as text)."""
    conn = await connect(direct_url)
    try:
        rows = await conn.fetch("SELECT notification_id, originator_id, originator_version, topic, state"
                                " FROM gongzhi_events WHERE community_code = $1 ORDER BY notification_id", code)
    finally:
        await conn.close()
    return [{**dict(r), "state": bytes(r["state"]).decode("utf-8", "replace")} for r in rows]


async def test_sixteen_simultaneous_casts_by_one_resident_leave_one_participation_and_one_ballot(
        gql: Client, direct_url: str) -> None:
    c = await ops.community(gql)
    campaign = await open_campaign(gql, c, closes_in=timedelta(seconds=4))
    responses = await asyncio.gather(*(
        gql.raw(CAST, {"input": {"campaignId": campaign["id"], "targetId": "office",
                                 "satisfaction": CHOICES[n % 3], "comment": f"第{n}次"}}, c.resident("same-resident"))
        for n in range(16)))
    bodies = [r.json() for r in responses]
    outcomes = Counter("OK" if not b.get("errors") else b["errors"][0]["extensions"]["code"] for b in bodies)
    assert outcomes == Counter({"OK": 1, "DUPLICATE_EVALUATION": 15}), outcomes
    receipt = next(b["data"]["castEvaluation"] for b in bodies if not b.get("errors"))
    assert receipt["ballotReceipt"] and receipt["version"] == 1
    pending = (await gql.call(VERIFY, {"id": campaign["id"]}, c.auditor))["verifyEvaluationCounts"]
    assert pending["pendingBallots"] == 1
    await asyncio.sleep(4)  # the campaign closes; its one ballot is released then
    check = await released(gql, c, campaign["id"], 1)
    assert check["ok"] and check["participations"] == 1, check
    rows = await raw_events(direct_url, c.code)
    ids = (campaign["id"], UUID(campaign["id"]).hex)
    types = Counter(r["topic"].rsplit(".", 1)[-1] for r in rows if any(i in r["state"] for i in ids))
    assert types["EvaluationParticipationRecorded"] == 1 and types["SecretBallotCast"] == 1, types
    assert types["EvaluationCast"] == 0


async def test_no_answer_and_no_event_links_a_resident_to_a_choice(gql: Client, direct_url: str,
                                                                   server: Server) -> None:
    c = await ops.community(gql)
    admin = token(Role.ADMIN, "", "admin-ballots")
    start = (await gql.call(EVENT_LOG, {"after": 0, "first": 1}, admin))["eventLog"]
    campaign = await open_campaign(gql, c, ("office", "water"), closes_in=timedelta(seconds=6))
    residents = [f"voter-{n}-{c.code}" for n in range(6)]
    choice: dict[tuple[str, str], tuple[str, str]] = {}  # (resident, target) -> (satisfaction, comment)
    receipts: dict[tuple[str, str], dict[str, Any]] = {}
    for n, resident in enumerate(residents):
        for target in ("office", "water"):
            satisfaction, comment = CHOICES[(n + len(target)) % 3], f"意见甲乙丙{n}号{target}"
            receipts[(resident, target)] = await cast(gql, c, campaign, resident, target, satisfaction, comment,
                                                      {"X-Request-Id": f"client-{resident}-{target}"})
            choice[(resident, target)] = (satisfaction, comment)
    assert len({r["ballotReceipt"] for r in receipts.values()}) == 12
    await asyncio.sleep(6)
    check = await released(gql, c, campaign["id"], 12)
    assert check["ok"], check

    ready = await gql.http.get(server.url.replace("/graphql", "/readyz"))
    assert ready.status_code == 200, ready.text  # no read model stalled on a released ballot
    comments = {comment: key for key, (_, comment) in choice.items()}
    for reader in (c.auditor, admin):
        log: list[dict[str, Any]] = []
        after = start[0]["position"] if start else 0
        while True:
            page = (await gql.call(EVENT_LOG, {"after": after, "first": 1000}, reader))["eventLog"]
            if not page:
                break
            log += [e for e in page if e["communityCode"] == c.code]
            after = page[-1]["position"]
        participations = [e for e in log if e["type"] == "EvaluationParticipationRecorded"]
        ballots = [e for e in log if e["type"] == "SecretBallotCast"]
        assert len(participations) == 12 and len(ballots) == 12
        assert not [e for e in log if e["type"] == "EvaluationCast" and e["data"]["campaignId"] == campaign["id"]]
        request_ids = {e["requestId"] for e in participations} | {e["clientRequestId"] for e in participations}
        request_ids.discard(None)
        participation_times = {e["occurredAt"] for e in participations}
        hashes = {hashlib.sha256(r["ballotReceipt"].encode()).hexdigest() for r in receipts.values()}
        for e in participations:  # who took part, and nothing of what they chose
            text = json.dumps(e, ensure_ascii=False)
            assert not set(e["data"]) & {"satisfaction", "comment", "receiptHash"}, e
            assert not any(comment in text for comment in comments) and not any(h in text for h in hashes)
        batches = Counter(e["data"]["batchId"] for e in ballots)
        assert all(size >= 2 for size in batches.values()), batches  # never a ballot alone
        for batch in batches:  # a batch is one target's: a ballot hides among ballots of its own target
            assert len({e["data"]["targetId"] for e in ballots if e["data"]["batchId"] == batch}) == 1
        for e in ballots:  # what was chosen, and nothing of who
            text = json.dumps(e, ensure_ascii=False)
            assert e["actor"] == {"id": "anonymous", "role": "RESIDENT", "scope": c.code, "organization": None}
            assert e["requestId"] is None and e["clientRequestId"] is None
            assert not any(resident in text for resident in residents), e
            assert not any(request_id in text for request_id in request_ids), e
            assert e["occurredAt"] not in participation_times
            assert {b["occurredAt"] for b in ballots if b["data"]["batchId"] == e["data"]["batchId"]} == \
                {e["occurredAt"]}  # one time per batch
            assert e["data"]["receiptHash"] in hashes
            assert e["position"] > max(p["position"] for p in participations
                                       if p["occurredAt"] <= e["occurredAt"])
            if reader == admin:
                assert e["data"]["comment"] in comments
        # every join an auditor could try: by position order, per target and overall, and by stream id
        for target in ("office", "water"):
            voters = [p["data"]["residentId"] for p in sorted(participations, key=lambda p: p["position"])
                      if p["data"]["targetId"] == target]
            chosen = [b["data"]["satisfaction"] for b in sorted(ballots, key=lambda b: b["position"])
                      if b["data"]["targetId"] == target]
            assert Counter(chosen) == Counter(choice[(v, target)][0] for v in voters)  # the counts are right
        if reader == admin:
            order = [comments[b["data"]["comment"]] for b in sorted(ballots, key=lambda b: b["position"])]
            cast_order = list(choice)
            assert order != cast_order  # shuffled (12 ballots in two batches: 1 in 10! * 2 stays in order)
        async with Subscription(server.url, LIVE, {"after": log[0]["position"] - 1, "scope": c.code}, reader) as sub:
            live = [(await sub.next())["payload"]["data"]["events"] for _ in range(len(log))]
        assert [(e["type"], e["actor"]["id"], e["requestId"]) for e in live] == \
            [(e["type"], e["actor"]["id"], e["requestId"]) for e in log]  # the stream shows what the log shows
        participation_streams = {p["entityId"] for p in participations}
        assert not participation_streams & {b["entityId"] for b in ballots}
        for p in participations[:3]:  # each participation's history and state hold no choice
            history = (await gql.call(HISTORY, {"id": p["entityId"]}, reader))["history"]
            assert [h["type"] for h in history] == ["EvaluationParticipationRecorded"]
            state = (await gql.call(AS_OF, {"id": p["entityId"], "at": ops.iso()}, reader))["entityAsOf"]
            assert "satisfaction" not in state and "comment" not in state
        for b in ballots[:3]:
            history = (await gql.call(HISTORY, {"id": b["entityId"]}, reader))["history"]
            assert [h["type"] for h in history] == ["SecretBallotCast"] and history[0]["actor"]["id"] == "anonymous"
        # the evaluation reads: counts, and no one in them
        for query, variables in ((RESULTS, {"id": campaign["id"]}), (VERIFY, {"id": campaign["id"]}),
                                 (CAMPAIGN, {"id": campaign["id"]}), (CAMPAIGNS, {"s": c.code})):
            text = json.dumps(await gql.call(query, variables, reader), ensure_ascii=False)
            assert not any(resident in text for resident in residents) and not any(m in text for m in comments)

    # the database itself: no row of the events table holds both a resident and a choice, and the box is empty
    for row in await raw_events(direct_url, c.code):
        mentions = [r for r in residents if r in row["state"]]
        if mentions:
            assert not any(comment in row["state"] for comment in comments), row
            assert '"satisfaction"' not in row["state"] and "receipt_hash" not in row["state"], row
    conn = await connect(direct_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM gongzhi_ballot_box WHERE campaign_id = $1",
                                   UUID(campaign["id"])) == 0
        box_columns = {r["column_name"] for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'gongzhi_ballot_box'")}
        assert not box_columns & {"actor", "actor_id", "resident_id", "request_id", "created_at", "id"}
    finally:
        await conn.close()

    # counts: the published results are the ballots'
    results = {r["target"]["id"]: r for r in (await gql.call(RESULTS, {"id": campaign["id"]}, c.resident("x")))[
        "evaluationResults"]}
    for target in ("office", "water"):
        expected = Counter(s for (_, t), (s, _) in choice.items() if t == target)
        assert results[target]["satisfied"] == expected["SATISFIED"]
        assert results[target]["basicallySatisfied"] == expected["BASICALLY_SATISFIED"]
        assert results[target]["dissatisfied"] == expected["DISSATISFIED"] and results[target]["total"] == 6


async def test_the_receipt_tells_its_holder_where_their_ballot_is(gql: Client) -> None:
    c = await ops.community(gql)
    campaign = await open_campaign(gql, c, closes_in=timedelta(seconds=3))
    mine = await cast(gql, c, campaign, "holder", "office", "BASICALLY_SATISFIED")
    await cast(gql, c, campaign, "other", "office", "DISSATISFIED")
    pending = (await gql.call(COUNTED, {"r": mine["ballotReceipt"]}, c.resident("holder")))["ballotCounted"]
    assert pending["status"] == "PENDING" and pending["position"] is None
    unknown = (await gql.call(COUNTED, {"r": "no-such-receipt"}, c.resident("holder")))["ballotCounted"]
    assert unknown["status"] == "UNKNOWN"
    await asyncio.sleep(3)
    await released(gql, c, campaign["id"], 2)
    counted = (await gql.call(COUNTED, {"r": mine["ballotReceipt"]}, c.resident("holder")))["ballotCounted"]
    assert counted["status"] == "COUNTED" and counted["satisfaction"] == "BASICALLY_SATISFIED"
    assert counted["campaignId"] == campaign["id"] and counted["batchSize"] == 2
    event = (await gql.call(EVENT_LOG, {"after": counted["position"] - 1, "first": 1}, c.auditor))["eventLog"][0]
    assert event["type"] == "SecretBallotCast"
    assert event["data"]["receiptHash"] == hashlib.sha256(mine["ballotReceipt"].encode()).hexdigest()
    assert event["data"]["batchId"] == counted["batchId"]
    # a second cast is still refused, the campaign closed or not
    assert await gql.code(CAST, {"input": {"campaignId": campaign["id"], "targetId": "office",
                                           "satisfaction": "SATISFIED"}}, c.resident("holder")) in (
        "DUPLICATE_EVALUATION", "CAMPAIGN_CLOSED")


async def test_counts_verify_and_a_tampered_tally_does_not(gql: Client, direct_url: str) -> None:
    c = await ops.community(gql)
    campaign = await open_campaign(gql, c, closes_in=timedelta(days=3))
    for n in range(10):  # a full batch: released while the campaign is open
        await cast(gql, c, campaign, f"batch-{n}", "office", CHOICES[n % 3])
    check = await released(gql, c, campaign["id"], 10)
    assert check["ok"] and check["participations"] == 10 and not check["problems"], check
    (target,) = check["targets"]
    assert target["published"] == target["logged"] == {"satisfied": 4, "basicallySatisfied": 3, "dissatisfied": 3,
                                                       "participations": 10, "secretBallots": 10}
    await cast(gql, c, campaign, "late", "office", "SATISFIED")  # one more waits in the box
    pending = (await gql.call(VERIFY, {"id": campaign["id"]}, c.resident("late")))["verifyEvaluationCounts"]
    assert pending["ok"] and pending["pendingBallots"] == 1 and pending["releasedBallots"] == 10
    conn = await connect(direct_url)
    try:  # a read model that lies about the count is caught
        await conn.execute("UPDATE evaluation_tallies SET satisfied = satisfied + 5 WHERE campaign_id = $1",
                           UUID(campaign["id"]))
        bad = (await gql.call(VERIFY, {"id": campaign["id"]}, c.auditor))["verifyEvaluationCounts"]
        assert not bad["ok"] and "published" in bad["problems"][0]
    finally:
        await conn.execute("UPDATE evaluation_tallies SET satisfied = satisfied - 5 WHERE campaign_id = $1",
                           UUID(campaign["id"]))
        await conn.close()


async def test_an_open_ballot_campaign_of_before_still_reads_and_is_marked_open(
        gql: Client, direct_url: str) -> None:
    c = await ops.community(gql)
    old = ops.open_ballot_campaign(direct_url, c)  # a campaign opened before secret ballots: no "secret"
    campaign_id = old["id"]
    receipt = await cast(gql, c, {"id": campaign_id}, "old-voter", "office", "DISSATISFIED", "旧意见")
    assert receipt["ballotReceipt"] is None  # an open ballot: no receipt, counted at once
    results = (await gql.call(RESULTS, {"id": campaign_id}, c.committee,
                              {"X-Consistent-After": str(receipt["position"])}))["evaluationResults"]
    assert results[0]["dissatisfied"] == 1 and results[0]["total"] == 1
    read = (await gql.call(CAMPAIGN, {"id": campaign_id}, c.resident("old-voter")))["evaluationCampaign"]
    assert read["secret"] is False
    listed = (await gql.call(CAMPAIGNS, {"s": c.code}, c.committee))["evaluationCampaigns"]["edges"]
    assert [e["node"]["secret"] for e in listed if e["node"]["id"] == campaign_id] == [False]
    opened = (await gql.call(ops.OPEN_CAMPAIGN, {"input": {
        "communityCode": c.code, "title": "新评议", "closesAt": ops.iso(timedelta(days=1)),
        "targets": [{"id": "office", "name": "街道办", "kind": "GOVERNMENT_DEPARTMENT"}]}}, c.committee))
    new = opened["openEvaluationCampaign"]
    assert (await gql.call(CAMPAIGN, {"id": new["campaign"]["id"]}, c.committee, {
        "X-Consistent-After": str(new["receipt"]["position"])}))["evaluationCampaign"]["secret"] is True
    history = (await gql.call(HISTORY, {"id": receipt["entityId"]}, c.auditor))["history"]
    assert [h["type"] for h in history] == ["EvaluationCast"] and history[0]["data"]["residentId"] == "old-voter"
    check = (await gql.call(VERIFY, {"id": campaign_id}, c.auditor))["verifyEvaluationCounts"]
    assert check["ok"] and check["targets"][0]["logged"]["dissatisfied"] == 1




async def test_other_readers_of_the_raw_log_see_who_took_part_only_as_a_resident(gql: Client) -> None:
    """P26: a participation shows its resident and request ids only to AUDITOR and ADMIN, as an open ballot does;
    a released ballot's comment too."""
    c = await ops.community(gql)
    campaign = await open_campaign(gql, c, closes_in=timedelta(seconds=3))
    receipts = [await cast(gql, c, campaign, f"quiet-{n}-{c.code}", "office", "SATISFIED", f"不想被知道{n}")
                for n in range(2)]
    first = receipts[0]
    await asyncio.sleep(3)
    await released(gql, c, campaign["id"], 2)
    for role, scope in ((Role.STREET_OFFICE, c.street), (Role.DEPARTMENT, c.district), (Role.INTEGRATOR, "")):
        log = (await gql.call(EVENT_LOG, {"after": first["position"] - 1, "first": 1000},
                              token(role, scope)))["eventLog"]
        mine = [e for e in log if e["data"].get("campaignId") == campaign["id"]]
        assert Counter(e["type"] for e in mine) == {"EvaluationParticipationRecorded": 2, "SecretBallotCast": 2}
        text = json.dumps(mine, ensure_ascii=False)
        assert "quiet-" not in text and "不想被知道" not in text, (role, text)
        assert all(e["requestId"] is None for e in mine)


async def test_the_command_line_releases_only_due_ballots_unless_forced_and_recounts(gql: Client,
                                                                                     server: Server) -> None:
    c = await ops.community(gql)
    campaign = await open_campaign(gql, c)  # open for a day: one ballot is not due
    await cast(gql, c, campaign, "cli-voter", "office", "DISSATISFIED")
    not_due = server.cli("ballots", "release")
    assert json.loads(not_due.stdout.strip().splitlines()[-1]) == {"released": 0}
    recount = server.cli("ballots", "verify", campaign["id"])
    result = json.loads(recount.stdout)
    assert result["ok"] and result["pendingBallots"] == 1 and result["participations"] == 1
    assert server.cli("ballots", "verify", "6b8a4f7e-0000-4000-8000-000000000000", check=False).returncode == 1
    forced = server.cli("ballots", "release", "--force")
    assert json.loads(forced.stdout.strip().splitlines()[-1])["released"] >= 1
    check = await released(gql, c, campaign["id"], 1)
    assert check["ok"], check
