"""The reads the app's screens need (issue 8), over real HTTP against the running server, sent as the app sends
them (persisted documents of frontend-spec/operations/, by `documentId`): a scope's service agreements (P4,
`agreements`, op:CommunityAgreements), a community's evaluation campaigns (P26, `evaluationCampaigns`,
op:CommunityCampaigns) and one campaign by id (`evaluationCampaign`, op:CampaignDetail). Each returns what was
written, within the reader's scope as `tasks` reads, with `first`/`after` checked as the other lists; no voter is
readable. Also: the evaluations read model's migration refills an older store from the log, and `gongzhi serve
--demo` prints a link per role whose token is that role's, with demo campaigns and agreements to read."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from psycopg.conninfo import make_conninfo

from backend import bootstrap, config
from backend.api.auth import actor_from_header
from backend.api.documents import OPERATIONS, document_id
from backend.cli import demo
from backend.domain.access import Actor, Role
from backend.domain.stamp import Stamp
from tests import ops
from tests.harness import ROOT, SECRET, Client, GraphQLError, Server, district, server_env, token

OPEN_CAMPAIGN = """mutation($input: OpenEvaluationCampaignInput!) { openEvaluationCampaign(input: $input) {
  campaign { id communityCode title targets { id name kind } closesAt openedAt open } receipt { position } } }"""
SIGN = """mutation($input: SignServiceAgreementInput!) { signServiceAgreement(input: $input) {
  agreement { id communityCode department scope fundingYuan validUntil signedAt current } receipt { position } } }"""


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def persisted(gql: Client, name: str, variables: dict[str, Any], tok: str,
                    after: int | None = None) -> dict[str, Any]:
    """The full response body of the persisted operation `name`, sent by its id as the app sends it (with
    X-Consistent-After when `after` is given, to read one's own writes)."""
    headers = {"Authorization": f"Bearer {tok}"}
    if after is not None:
        headers["X-Consistent-After"] = str(after)
    response = await gql.http.post(gql.url, headers=headers, json={
        "documentId": f"sha256:{document_id(operation(name))}", "variables": variables})
    assert response.status_code < 500, response.text
    return response.json()


async def data(gql: Client, name: str, variables: dict[str, Any], tok: str, after: int | None = None) -> dict:
    body = await persisted(gql, name, variables, tok, after)
    if body.get("errors"):
        raise GraphQLError(json.dumps(body["errors"], ensure_ascii=False), body)
    return body["data"]


async def code(gql: Client, name: str, variables: dict[str, Any], tok: str) -> str:
    body = await persisted(gql, name, variables, tok)
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"]


def nodes(connection: dict) -> list[dict]:
    return [edge["node"] for edge in connection["edges"]]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def readers(c: ops.Community) -> dict[Role, str]:
    """A token of every role that reads the read models, each scoped to c's community or above it."""
    return {Role.RESIDENT: c.resident("r-reader"), Role.COMMITTEE: c.committee,
            Role.PARTY_COMMITTEE: token(Role.PARTY_COMMITTEE, c.code), Role.STREET_OFFICE: c.office,
            Role.DEPARTMENT: c.department, Role.SOCIAL_ORGANIZATION: token(Role.SOCIAL_ORGANIZATION, c.code),
            Role.AUDITOR: c.auditor, Role.INTEGRATOR: token(Role.INTEGRATOR, c.district),
            Role.ADMIN: token(Role.ADMIN, "")}


# -- agreements (P4) ----------------------------------------------------------------------------------------
async def sign(gql: Client, c: ops.Community, department: str, funding: str, days: int) -> dict:
    data = await gql.call(SIGN, {"input": {"communityCode": c.code, "department": department, "scope": "社区养老服务站运营",
                                           "fundingYuan": funding, "validUntil": ops.iso(timedelta(days=days))}},
                          c.department)
    return data["signServiceAgreement"]


async def test_agreements_return_what_was_signed_with_whether_each_is_current(gql: Client) -> None:
    """P4: agreements(scope) lists a community's service agreements, newest first, each as signed (department,
    scope, funding, term, when signed) and `current` while validUntil is ahead (an expired one is listed, not
    current); every role that reads tasks there reads them; the mutation's answer carries signedAt and current."""
    c = await ops.community(gql)
    before = datetime.now(UTC) - timedelta(seconds=5)
    signed = [await sign(gql, c, "区民政局", "1200.50", 365), await sign(gql, c, "区住建局", "300", -1),
              await sign(gql, c, "区卫生健康委", "80000.00", 30)]
    written = [s["agreement"] for s in signed]
    assert [a["current"] for a in written] == [True, False, True]
    assert all(before <= at(a["signedAt"]) <= datetime.now(UTC) for a in written)
    last = signed[-1]["receipt"]["position"]
    for role, tok in readers(c).items():
        listed = (await data(gql, "CommunityAgreements", {"scope": c.code}, tok, last))["agreements"]
        assert listed["totalCount"] == 3 and listed["pageInfo"]["hasNextPage"] is False, role
        assert [a["id"] for a in nodes(listed)] == [a["id"] for a in written[::-1]], role  # newest first
        for row, agreement in zip(nodes(listed), written[::-1]):
            assert row["__typename"] == "ServiceAgreement", role
            assert {k: row[k] for k in ("id", "communityCode", "department", "scope", "fundingYuan", "current")} \
                == {k: agreement[k] for k in ("id", "communityCode", "department", "scope", "fundingYuan", "current")}
            assert at(row["validUntil"]) == at(agreement["validUntil"])
            assert at(row["signedAt"]) == at(agreement["signedAt"])
    assert [a["fundingYuan"] for a in written] == ["1200.50", "300.00", "80000.00"]
    assert [a["department"] for a in nodes(listed)] == ["区卫生健康委", "区住建局", "区民政局"]
    assert {a["communityCode"] for a in nodes(listed)} == {c.code}


async def test_agreements_stay_in_the_readers_scope(gql: Client) -> None:
    """P4 and the scope rule, as `tasks` applies it: a committee of another community, or a street office of
    another street, is refused (FORBIDDEN) when it names this community and lists none of its agreements
    without a scope; a street office lists its own street's; a malformed scope is INVALID_INPUT."""
    d = district()
    c = await ops.community(gql, f"{d}001001")
    sibling = await ops.community(gql, f"{d}001002")
    far = ops.Community(f"{d}002001")  # another street of the same district
    mine = await ops.sign(gql, c)
    theirs = await ops.sign(gql, sibling)
    last = theirs["receipt"]["position"]
    assert await code(gql, "CommunityAgreements", {"scope": c.code}, sibling.committee) == "FORBIDDEN"
    assert await code(gql, "CommunityAgreements", {"scope": c.code}, far.office) == "FORBIDDEN"
    assert await code(gql, "CommunityAgreements", {"scope": c.code}, far.committee) == "FORBIDDEN"
    own = (await data(gql, "CommunityAgreements", {}, sibling.committee, last))["agreements"]
    assert [a["id"] for a in nodes(own)] == [theirs["agreement"]["id"]] and own["totalCount"] == 1
    assert (await data(gql, "CommunityAgreements", {}, far.office, last))["agreements"]["totalCount"] == 0
    street = (await data(gql, "CommunityAgreements", {"scope": c.street}, c.office, last))["agreements"]
    assert {a["id"] for a in nodes(street)} == {mine["agreement"]["id"], theirs["agreement"]["id"]}
    assert await code(gql, "CommunityAgreements", {"scope": "32x"}, c.office) == "INVALID_INPUT"
    assert await code(gql, "CommunityAgreements", {"scope": c.code}, "not-a-token") == "UNAUTHENTICATED"


async def test_agreements_and_campaigns_page_and_check_first_and_after(gql: Client) -> None:
    """Both lists page by cursor like `tasks`: a walk with first: 2 sees each row once; `first` outside
    0..200 and an `after` this API did not issue are INVALID_INPUT; first: 0 is an empty page with the count."""
    c = await ops.community(gql)
    opened = [(await ops.campaign(gql, c))["id"] for _ in range(3)]
    signed = [await ops.sign(gql, c, funding=f"{n + 1}00.00") for n in range(5)]
    last = signed[-1]["receipt"]["position"]  # after every campaign too (one log)
    for name, field, expected in (("CommunityAgreements", "agreements", 5),
                                  ("CommunityCampaigns", "evaluationCampaigns", 3)):
        seen, after = [], None
        while True:
            page = (await data(gql, name, {"scope": c.code, "first": 2, "after": after}, c.committee,
                               last))[field]
            assert page["totalCount"] == expected and len(page["edges"]) <= 2
            seen += [e["node"]["id"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)) == expected, name
        assert seen == (opened if name == "CommunityCampaigns" else [a["agreement"]["id"] for a in signed])[::-1]
        empty = (await data(gql, name, {"scope": c.code, "first": 0}, c.committee, last))[field]
        assert empty["edges"] == [] and empty["totalCount"] == expected
        for bad in (-1, 201, 100_000):
            assert await code(gql, name, {"scope": c.code, "first": bad}, c.committee) == "INVALID_INPUT", bad
        assert await code(gql, name, {"scope": c.code, "after": "garbage!"}, c.committee) == "INVALID_INPUT"
        assert (await data(gql, name, {"scope": c.code, "first": 200}, c.committee))[field]["totalCount"] == expected


# -- evaluation campaigns (P26) -------------------------------------------------------------------------------
async def test_residents_find_their_communitys_campaigns_with_title_targets_and_closing_time(gql: Client) -> None:
    """P26: a resident lists its community's campaigns (newest first) with title, targets (name, kind), when each
    opened and closes, and whether it is open (a campaign recorded after its closing is listed, not open); one
    campaign by the id of its link reads the same; the mutation's answer carries openedAt and open too."""
    c = await ops.community(gql)
    before = datetime.now(UTC) - timedelta(seconds=5)
    targets = [{"id": "office", "name": "街道办事处", "kind": "GOVERNMENT_DEPARTMENT"},
               {"id": "property", "name": "物业服务企业", "kind": "RESIDENT_UNIT"}]
    campaign = (await gql.call(OPEN_CAMPAIGN, {"input": {
        "communityCode": c.code, "title": "2026年度民主评议", "targets": targets,
        "closesAt": ops.iso(timedelta(days=7))}}, c.committee))["openEvaluationCampaign"]["campaign"]
    assert campaign["open"] is True and before <= at(campaign["openedAt"]) <= datetime.now(UTC)
    recorded_late = (await gql.call(OPEN_CAMPAIGN, {"input": {
        "communityCode": c.code, "title": "已结束的评议", "targets": targets[1:],
        "closesAt": ops.iso(timedelta(seconds=-1))}}, c.committee))["openEvaluationCampaign"]
    closed = recorded_late["campaign"]
    assert closed["open"] is False
    resident = c.resident("r-finder")
    listed = (await data(gql, "CommunityCampaigns", {"scope": c.code}, resident,
                         recorded_late["receipt"]["position"]))["evaluationCampaigns"]
    assert listed["totalCount"] == 2 and listed["__typename"] == "EvaluationCampaignConnection"
    newest, first = nodes(listed)
    assert newest["id"] == closed["id"] and newest["open"] is False and newest["title"] == "已结束的评议"
    assert first == {"__typename": "EvaluationCampaign", "id": campaign["id"], "communityCode": c.code,
                     "title": "2026年度民主评议",
                     "targets": [{"__typename": "EvaluationTarget", **x} for x in targets],
                     "openedAt": first["openedAt"], "closesAt": first["closesAt"], "open": True}
    assert at(first["closesAt"]) == at(campaign["closesAt"]) and at(first["openedAt"]) == at(campaign["openedAt"])
    assert at(newest["openedAt"]) >= at(first["openedAt"])
    detail = (await data(gql, "CampaignDetail", {"id": campaign["id"]}, resident))["evaluationCampaign"]
    assert detail == {**first, "secret": True}  # P26: a new campaign's ballots are secret
    assert (await data(gql, "CampaignDetail", {"id": str(uuid.uuid4())}, resident))["evaluationCampaign"] is None
    assert await code(gql, "CampaignDetail", {"id": "not-a-uuid"}, resident) == "INVALID_INPUT"


async def test_campaigns_stay_in_the_readers_scope(gql: Client) -> None:
    """P26 and the scope rule: a committee or a resident of another community is refused (FORBIDDEN) when it
    names this community or this campaign's id, and lists none of its campaigns without a scope; the street's
    office lists them; every role that reads the read models reads them in scope."""
    d = district()
    c = await ops.community(gql, f"{d}001001")
    other = await ops.community(gql, f"{d}001002")
    campaign = await ops.campaign(gql, c)
    theirs = (await ops.campaign(gql, other))["id"]
    position = (await ops.sign(gql, c))["receipt"]["position"]  # after both campaigns (one log)
    for tok in (other.committee, other.resident("r-next-door")):
        assert await code(gql, "CommunityCampaigns", {"scope": c.code}, tok) == "FORBIDDEN"
        assert await code(gql, "CampaignDetail", {"id": campaign["id"]}, tok) == "FORBIDDEN"
        own = (await data(gql, "CommunityCampaigns", {}, tok, position))["evaluationCampaigns"]
        assert [x["id"] for x in nodes(own)] == [theirs]
    street = (await data(gql, "CommunityCampaigns", {"scope": c.street}, c.office, position))["evaluationCampaigns"]
    assert {x["id"] for x in nodes(street)} == {campaign["id"], theirs}
    for role, tok in readers(c).items():
        listed = (await data(gql, "CommunityCampaigns", {"scope": c.code}, tok, position))["evaluationCampaigns"]
        assert [x["id"] for x in nodes(listed)] == [campaign["id"]], role
        assert (await data(gql, "CampaignDetail", {"id": campaign["id"]}, tok))["evaluationCampaign"]["id"] \
            == campaign["id"], role


async def test_residents_cannot_see_voters_through_the_campaign_reads(gql: Client) -> None:
    """P26: after residents voted with comments, what a resident (or a committee) reads of the campaign (the
    list, the campaign, its results) names no voter and no comment; the campaign type has no field that could
    (its fields are exactly the ones listed here)."""
    c = await ops.community(gql)
    campaign = await ops.campaign(gql, c, closes_in=timedelta(seconds=4))
    voters = [f"voter-{uuid.uuid4().hex[:10]}" for _ in range(3)]
    comments = [f"意见{uuid.uuid4().hex[:6]}" for _ in voters]
    for voter, comment in zip(voters, comments):
        receipt = (await gql.call(ops.CAST, {"input": {"campaignId": campaign["id"], "targetId": "office",
                                                       "satisfaction": "SATISFIED", "comment": comment}},
                                  c.resident(voter)))["castEvaluation"]
    await ops.ballots_released(gql, c, campaign["id"], 3)  # P26: secret ballots, released at the close
    for tok in (c.resident(voters[0]), c.resident("r-curious"), c.committee):
        bodies = [await persisted(gql, "CommunityCampaigns", {"scope": c.code}, tok, receipt["position"]),
                  await persisted(gql, "CampaignDetail", {"id": campaign["id"]}, tok),
                  await persisted(gql, "EvaluationResults", {"campaignId": campaign["id"]}, tok)]
        assert all("errors" not in body for body in bodies), bodies
        assert bodies[2]["data"]["evaluationResults"][0]["total"] == 3
        text = json.dumps(bodies, ensure_ascii=False)
        assert not [secret for secret in voters + comments if secret in text], text
    fields = await gql.call('{ __type(name: "EvaluationCampaign") { fields { name } } }', tok=c.resident("r-x"))
    assert {f["name"] for f in fields["__type"]["fields"]} == {
        "id", "communityCode", "title", "targets", "closesAt", "openedAt", "open", "secret"}


async def test_the_evaluations_migration_refills_an_older_store_from_the_log(fresh_url: str, data_dir: Path) -> None:
    """A store whose evaluation_campaigns rows predate `position` and `opened_at` (migration 3 of the
    evaluations read model): the migration empties the read model and sets its tracking back to 0, and the runner
    refills it from the log, rows and tallies as before, each row with its event's position and time; the other
    read models keep their positions."""
    settings = config.Settings(database_url=fresh_url, data_dir=data_dir, secret=SECRET)
    platform = await bootstrap.start(settings, follow=False)
    try:
        app, code = platform.app, f"{district()}001001"
        office = Stamp(Actor("o", Role.STREET_OFFICE, code[:9]), "t")
        committee = Stamp(Actor("c", Role.COMMITTEE, code), "t")
        await platform.commands.run(app.register_community, office, code, "长江路社区", "URBAN")
        campaign, receipt = await platform.commands.run(
            app.open_evaluation_campaign, committee, code, "评议",
            [{"id": "t", "name": "物业", "kind": "RESIDENT_UNIT"}], datetime.now(UTC) + timedelta(days=1))
        for n in range(3):
            await platform.commands.run(app.cast_evaluation, Stamp(Actor(f"r{n}", Role.RESIDENT, code), "t"),
                                        str(campaign.id), "t", "SATISFIED")
        await platform.projections.catch_up()
        async with platform.pool.acquire() as conn:
            before = await conn.fetchrow("SELECT * FROM evaluation_campaigns")
            tallies = [dict(r) for r in await conn.fetch("SELECT * FROM evaluation_tallies")]
            assert before["position"] == receipt.position and before["opened_at"] == campaign.created_on
            # What a store of the earlier release holds: no position, no opened_at, migration 3 not applied.
            # (and none of migration 4's secret ballots, which came after it)
            await conn.execute("DROP INDEX evaluation_campaigns_community;"
                               " ALTER TABLE evaluation_campaigns DROP COLUMN position, DROP COLUMN opened_at,"
                               " DROP COLUMN secret; DROP TABLE evaluation_ballots;"
                               " ALTER TABLE evaluation_tallies DROP COLUMN participations, DROP COLUMN secret_ballots;"
                               " DELETE FROM read_model_migrations WHERE projection = 'evaluations' AND version >= 3")
            others = await conn.fetchval("SELECT position FROM projection_tracking WHERE name = 'tasks'")
        assert await platform.projections.migrate() == ["evaluations 3", "evaluations 4"]
        async with platform.pool.acquire() as conn:
            assert await conn.fetchval("SELECT position FROM projection_tracking WHERE name = 'evaluations'") == 0
            assert await conn.fetchval("SELECT count(*) FROM evaluation_campaigns") == 0
        await platform.projections.catch_up()
        async with platform.pool.acquire() as conn:
            assert dict(await conn.fetchrow("SELECT * FROM evaluation_campaigns")) == dict(before)
            assert [dict(r) for r in await conn.fetch("SELECT * FROM evaluation_tallies")] == tallies
            assert await conn.fetchval("SELECT position FROM projection_tracking WHERE name = 'tasks'") >= others
    finally:
        await platform.stop()


# -- the demo's links and data -----------------------------------------------------------------------------------
class DemoServer(Server):
    """`gongzhi serve --demo` (what ./start runs), on a database of its own."""

    def start(self, timeout: float = 180) -> DemoServer:
        import time

        import httpx
        log = open(self.env["GONGZHI_DATA_DIR"] + f"/server-{self.port}.log", "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(self.port), "--demo"],
                                        env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"server exited with {self.process.returncode}; see {log.name}"
            try:  # ready, and every read model has the whole demo (ready allows a lag of up to 1,000 events)
                ready = httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1)
                if ready.status_code == 200 and ready.json()["lag"] == 0:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the demo server did not become ready with its read models caught up")

    @property
    def log(self) -> str:
        return Path(self.env["GONGZHI_DATA_DIR"], f"server-{self.port}.log").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def demo_server(direct_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    name = f"gongzhi_demo_{uuid.uuid4().hex[:10]}"
    import psycopg
    with psycopg.connect(direct_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    server = DemoServer(server_env(tmp_path_factory.mktemp("demo"), make_conninfo(direct_url, dbname=name)))
    try:
        yield server.start()
    finally:
        server.stop()
        with psycopg.connect(direct_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
async def demo_gql(demo_server: DemoServer) -> AsyncIterator[Client]:
    client = Client(demo_server.url)
    yield client
    await client.close()


def app_links(log: str, port: int) -> list[tuple[str, str]]:
    """The (role, token) of each `App (<ROLE>): http://127.0.0.1:<port>/app#token=<token>` line, in order."""
    return re.findall(rf"^App \((\w+)\): http://127\.0\.0\.1:{port}/app#token=(\S+)$", log, re.MULTILINE)


def test_serve_prints_an_app_link_for_each_role_signed_as_that_role(demo_server: DemoServer) -> None:
    """`gongzhi serve --demo` prints one `App (<ROLE>): …/app#token=<token>` line per demo role (every role with
    screens), the committee's first (the first /app#token= link of the output, as tests/test_app.py reads it);
    each token decodes, with the server's secret, to that role, its demo actor and scope."""
    log = demo_server.log
    links = app_links(log, demo_server.port)
    assert [role for role, _ in links] == ["COMMITTEE", "RESIDENT", "PARTY_COMMITTEE", "STREET_OFFICE", "DEPARTMENT",
                                           "SOCIAL_ORGANIZATION", "AUDITOR"], log
    first = re.search(rf"http://127\.0\.0\.1:{demo_server.port}/app#token=(\S+)", log)
    assert first and first.group(1) == links[0][1]
    expected = {role.value: (actor, scope) for role, scope, actor in demo.APP_ACTORS}
    assert expected == {
        "COMMITTEE": ("committee-320102001001", "320102001001"), "RESIDENT": ("resident-demo-1", "320102001001"),
        "PARTY_COMMITTEE": ("party-320102001001", "320102001001"),
        "STREET_OFFICE": ("street-320102001", "320102001"), "DEPARTMENT": ("dept-civil-affairs", "320102"),
        "SOCIAL_ORGANIZATION": ("org-320102001001", "320102001001"), "AUDITOR": ("auditor", "320102")}
    for role, tok in links:
        actor = actor_from_header(SECRET, f"Bearer {tok}")
        assert (actor.role.value, actor.id, actor.scope) == (role, *expected[role])
    assert "demo data: 12 communities loaded" in log


async def test_each_roles_link_signs_the_app_in_as_that_role(demo_server: DemoServer, demo_gql: Client) -> None:
    """Over HTTP, each printed token is accepted and op:Me answers its role and scope."""
    for role, tok in app_links(demo_server.log, demo_server.port):
        me = (await data(demo_gql, "Me", {}, tok))["me"]
        assert me["role"] == role and me["scope"] == {
            r.value: s for r, s, _ in demo.APP_ACTORS}[role]


async def test_the_demo_has_an_open_campaign_to_evaluate_and_one_with_results(demo_server: DemoServer,
                                                                             demo_gql: Client) -> None:
    """P26 in the demo (320102001001), made through commands: the demo resident's link finds, with
    op:CommunityCampaigns, an open campaign with targets and no ballots yet (its own flow) and an open one with
    ballots (results); P4: the street office's link finds its four communities' current agreements."""
    links = dict(app_links(demo_server.log, demo_server.port))
    resident = links["RESIDENT"]
    listed = (await data(demo_gql, "CommunityCampaigns", {"scope": demo.HOME}, resident))["evaluationCampaigns"]
    by_title = {x["title"]: x for x in nodes(listed)}
    assert set(by_title) == {demo.CAMPAIGN_WITH_BALLOTS, demo.CAMPAIGN_TO_EVALUATE}
    assert [x["title"] for x in nodes(listed)] == [demo.CAMPAIGN_TO_EVALUATE, demo.CAMPAIGN_WITH_BALLOTS]
    fresh, voted = by_title[demo.CAMPAIGN_TO_EVALUATE], by_title[demo.CAMPAIGN_WITH_BALLOTS]
    assert fresh["open"] and voted["open"] and len(fresh["targets"]) == 3 and len(voted["targets"]) == 3
    totals = {}
    for campaign in (fresh, voted):
        results = (await data(demo_gql, "EvaluationResults", {"campaignId": campaign["id"]}, resident))
        totals[campaign["title"]] = [r["total"] for r in results["evaluationResults"]]
    assert totals == {demo.CAMPAIGN_TO_EVALUATE: [0, 0, 0], demo.CAMPAIGN_WITH_BALLOTS: [30, 30, 30]}
    cast = await demo_gql.call(ops.CAST, {"input": {"campaignId": fresh["id"], "targetId": "property",
                                                    "satisfaction": "SATISFIED"}}, resident)
    assert cast["castEvaluation"]["version"] == 1
    agreements = (await data(demo_gql, "CommunityAgreements", {}, links["STREET_OFFICE"]))["agreements"]
    assert agreements["totalCount"] == 5  # one per community of the street, and HOME's half-disbursed one (P4)
    assert all(a["current"] and a["communityCode"].startswith("320102001") for a in nodes(agreements))
    department = (await data(demo_gql, "CommunityAgreements", {"scope": demo.HOME}, links["DEPARTMENT"]))
    assert [a["communityCode"] for a in nodes(department["agreements"])] == [demo.HOME, demo.HOME]
