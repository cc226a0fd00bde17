"""Issue 7, item 1: fuzz every mutation's inputs over real HTTP (hypothesis, bounded and derandomized).

Each mutation is sent broad inputs with a token of a role allowed to send it: most are valid but extreme (texts
in any script at their longest, emoji, combining marks, amounts and counts at their bounds, dates at 1900 and
2200 with any offset), the others spoil one field with anything (control, format and bidi characters, huge and
tiny numbers, dates from year 1 to 9999, malformed money and ids, lists past their bounds). No response may be
a 5xx or an INTERNAL error; and afterwards every read model has processed the whole log: no input the API
accepts can stop a projection.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.api.auth import MAX_ORGANIZATION
from backend.domain import inspection, standing, values
from backend.domain import post as work
from backend.domain.access import Role
from tests import ops
from tests.harness import Server, district, token

#: Examples per mutation: the whole run stays within seconds.
EXAMPLES = 30
#: How long the read models may take to reach the log's head once the writes have stopped.
CATCH_UP_S = 15.0
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
Strategy = st.SearchStrategy
Sent = tuple[str, dict[str, Any]]  # a token and the variables

# -- anything: what a spoiled field holds ---------------------------------------------------------
NASTY = ["", " ", "\x00", "a\x00b", "\u202egnp.exe", "\u200b", "\ufeff", "\u2066x\u2069", "\r\n", "\t",
         "\u0000\u0001\u001f\u007f\u0085", "\ufdd0", "\uffff", "\U0010ffff", "\u2028", "字" * 2001, "x" * 10_000,
         "320102001001\n", "320102001００１", "١٢٣", "\u3164", "\u2800"]
ANY_TEXT = st.one_of(st.text(max_size=40), st.sampled_from(NASTY),
                     st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Co", "Cn"]), max_size=20))
ANY_ID = st.one_of(ANY_TEXT, st.sampled_from(["x" * 65, "志愿者", "ｖ1", "v1\n"]))
ANY_INT = st.one_of(st.integers(), st.sampled_from([-1, 1_000_001, 2**31 - 1, 2**31, 2**63]))
ANY_FLOAT = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**20, 10**20),
                      st.sampled_from([-0.5, 744.0001, 1e308, -1e308]))
OFFSET = st.integers(-1439, 1439).map(lambda minutes: timezone(timedelta(minutes=minutes)))
ANY_MOMENT = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
ANY_DATE = st.one_of(
    st.builds(lambda moment, tz: moment.replace(tzinfo=tz).isoformat(), ANY_MOMENT, OFFSET),
    ANY_MOMENT.map(datetime.isoformat),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1900-01-01T00:00:00+00:01",
                     "2200-12-31T23:59:59-00:01", "2026-13-01T00:00:00Z", "", "now"]),
    ANY_TEXT)
ANY_MONEY = st.one_of(st.decimals(allow_nan=False, allow_infinity=False).map(str), st.integers().map(str), ANY_TEXT,
                      st.sampled_from(["999999999999999.99", "10000000000.01", "0.001", "1e3", "1_000", "١٢", "１２",
                                       "NaN", "Infinity", "-1", "0", "5\n"]))


def any_enum(*names: str) -> Strategy[str]:
    return st.one_of(st.sampled_from(names), st.text(max_size=12))


# -- valid but extreme: what the platform must accept and every read model must store ------------------
LETTER = st.characters(exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp", "Cn"))


def good_text(max_length: int, multiline: bool = False) -> Strategy[str]:
    alphabet = st.one_of(LETTER, st.sampled_from("\n\t")) if multiline else LETTER
    return st.one_of(
        st.text(alphabet, min_size=1, max_size=min(max_length, 60)),
        st.sampled_from(["字" * max_length, "\U0001f468\u200d\U0001f469\u200d\U0001f467 家庭", "Cafe\u0301",
                         "\U0001d54f" * (max_length // 2), "\ue000私用区", "שלום عليكم", "e\u0301" * (max_length // 2)]),
    ).filter(lambda s: not all(ch.isspace() or ch in values.INVISIBLE for ch in s))


GOOD_ID = st.one_of(st.from_regex(r"[A-Za-z0-9_.:@-]{1,64}", fullmatch=True), st.just("x" * 64))
GOOD_MOMENT = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 12, 30))
GOOD_DATE = st.one_of(
    st.builds(lambda moment, tz: moment.replace(tzinfo=tz).isoformat(), GOOD_MOMENT, OFFSET),
    st.sampled_from(["1900-01-01T00:00:00+00:00", "2200-12-31T23:59:59.999999+00:00", "1900-01-01T08:00:00+08:00"]))
GOOD_MONEY = st.one_of(st.decimals(min_value=Decimal("0.01"), max_value=values.MAX_YUAN, places=2).map(str),
                       st.sampled_from([str(values.MAX_YUAN), "0.01", "7", ".5"]))
GOOD_COUNT = st.one_of(st.integers(0, values.MAX_PARTICIPANTS), st.just(values.MAX_PARTICIPANTS))
GOOD_HOURS = st.one_of(st.floats(0, values.MAX_VOLUNTEER_HOURS), st.sampled_from([0, 744, 5e-324, 0.1]))


def record(good: dict[str, Strategy[Any]], spoiled: dict[str, Strategy[Any]]) -> Strategy[dict[str, Any]]:
    """Records of the `good` fields; a third of them with one field replaced by its `spoiled` value."""
    valid = st.fixed_dictionaries(good)
    spoil = [st.builds(lambda r, v, k=key: {**r, k: v}, valid, bad) for key, bad in spoiled.items()]
    return st.one_of(valid, valid, *spoil) if spoil else valid


def texts(item: Strategy[str], maximum: int, longest: int, min_size: int = 0, fill: str = "字") -> Strategy[list[str]]:
    """A short list of texts, or one of `maximum` texts each `longest` characters long, or one entry past it."""
    return st.one_of(st.lists(item, min_size=min_size, max_size=4),
                     st.sampled_from([maximum, maximum + 1]).map(
                         lambda n: [f"{i}" + fill * (longest - len(f"{i}")) for i in range(n)]))


def many(item: Strategy[dict[str, Any]], key: str, maximum: int, make: Callable[[int], dict[str, Any]],
         min_size: int = 0) -> Strategy[list[dict[str, Any]]]:
    """A short list of distinct `key`s, or one of `maximum` entries, or one past it."""
    return st.one_of(st.lists(item, min_size=min_size, max_size=4, unique_by=lambda r: r[key]),
                     st.sampled_from([maximum, maximum + 1]).map(lambda n: [make(i) for i in range(n)]))


class Place:
    """A community with a duty list, agreements, tasks, a hub organization, a campaign, signboards, a post and its
    staff, and a RURAL community beside it, made over HTTP."""

    def __init__(self, http: httpx.Client, url: str) -> None:
        self.http, self.url = http, url
        self.c = ops.Community(f"{district()}001001")
        # The issue 9 mutations are sent with tokens naming an organization at its longest (every event records
        # it, the burden read model counts by it); the others with tokens naming none.
        c = self.c
        org = {"office": "e\u0301" * (MAX_ORGANIZATION // 2), "committee": "\U0001d54f" * MAX_ORGANIZATION,
               "department": "区" + "字" * (MAX_ORGANIZATION - 2) + "局"}
        self.office = token(Role.STREET_OFFICE, c.street, "o" * 64, org["office"])
        self.department = token(Role.DEPARTMENT, c.district, "d" * 64, org["department"])
        self.committee = token(Role.COMMITTEE, c.code, "c" * 64, org["committee"])
        self.call(ops.REGISTER, {"input": {"code": self.c.code, "name": "长江路社区", "kind": "URBAN"}}, self.c.office)
        self.call(ops.PUBLISH, {"input": {"communityCode": self.c.code, "items": [
            {"code": "SG-01", "title": "居民会议", "list": "SELF_GOVERNANCE"},
            {"code": "AG-01", "title": "协助人口普查", "list": "ASSIST_GOVERNMENT"}]}}, self.c.office)
        self.agreement = self.call(ops.SIGN, {"input": {
            "communityCode": self.c.code, "department": "区住建局", "scope": "加装电梯意见征询", "fundingYuan": "1200",
            "validUntil": ops.iso(timedelta(days=30))}}, self.c.department)["signServiceAgreement"]["agreement"]["id"]
        self.tasks = [self.call(ops.DELEGATE, {"input": {
            "communityCode": self.c.code, "title": f"人口普查入户登记 {n}", "fromDepartment": "区统计局",
            "dutyItemCode": "AG-01"}}, self.c.department)["delegateTask"]["task"]["id"] for n in range(6)]
        self.hub = self.call(ops.REGISTER_ORG, {"input": {
            "communityCode": self.c.code, "name": "社会组织服务中心", "category": "COMMUNITY_SERVICE",
            "status": "REGISTERED"}}, self.c.office)["registerOrganization"]["organization"]["id"]
        self.funded = self.call(ops.SIGN, {"input": {
            "communityCode": self.c.code, "department": "区民政局", "scope": "养老服务", "fundingYuan": str(values.MAX_YUAN),
            "validUntil": ops.iso(timedelta(days=30)), "allowsQuota": True}},
            self.c.department)["signServiceAgreement"]["agreement"]["id"]
        self.rural = f"{self.c.street}999"
        self.call(ops.REGISTER, {"input": {"code": self.rural, "name": "河西村", "kind": "RURAL",
                                           "villageEnterpriseSeparated": False}}, self.c.office)
        self.signboards = [self.call(ops.HANG_SIGNBOARD, {"input": {
            "communityCode": self.c.code, "kind": "SERVICE_STATION", "text": f"社区服务站 {n}"}},
            self.c.committee)["hangSignboard"]["signboard"]["id"] for n in range(6)]
        self.post_id = self.call(ops.DEFINE_POST, {"input": {
            "communityCode": self.c.code, "title": "社区专职工作者", "duties": ["居民接待"], "procedures": ["登记"]}},
            self.c.committee)["definePost"]["post"]["id"]
        self.staff = self.call(ops.APPOINT_STAFF, {"input": {
            "postId": self.post_id, "personId": "p-1", "name": "李明", "phone": "021-12345678"}},
            self.c.committee)["appointStaff"]["staff"]["id"]
        self.campaign = self.call(ops.OPEN_CAMPAIGN, {"input": {
            "communityCode": self.c.code, "title": "评议", "closesAt": ops.iso(timedelta(days=1)),
            "targets": [{"id": "office", "name": "街道办", "kind": "GOVERNMENT_DEPARTMENT"},
                        {"id": "property", "name": "物业", "kind": "RESIDENT_UNIT"}]}},
            self.c.committee)["openEvaluationCampaign"]["campaign"]["id"]

    def post(self, query: str, variables: dict[str, Any], tok: str,
             headers: dict[str, str] | None = None) -> httpx.Response:
        """Sent as ASCII JSON, so any string hypothesis makes travels intact."""
        return self.http.post(self.url, content=json.dumps({"query": query, "variables": variables}),
                              headers={"Content-Type": "application/json", "Authorization": f"Bearer {tok}",
                                       **(headers or {})})

    def call(self, query: str, variables: dict[str, Any], tok: str) -> dict[str, Any]:
        body = self.post(query, variables, tok).json()
        assert not body.get("errors"), body
        return body["data"]

    def mutations(self) -> dict[str, tuple[str, Strategy[dict[str, Any]], Callable[[dict[str, Any]], Sent]]]:
        """Each mutation: its document, a strategy of what to send, and what that sends: the token of an allowed
        role and the variables."""
        c = self.c
        code = (st.just(c.code), st.one_of(ANY_TEXT, st.from_regex(r"[0-9]{12}", fullmatch=True)))
        task = (st.sampled_from(self.tasks), st.one_of(ANY_ID, st.uuids().map(str)))
        version = (st.one_of(st.none(), st.integers(1, 4)), ANY_INT)
        duty_list = ("SELF_GOVERNANCE", "ASSIST_GOVERNMENT")
        flag = (st.one_of(st.none(), st.booleans()), st.one_of(ANY_INT, ANY_TEXT))
        duty_item = record({"code": GOOD_ID, "title": good_text(500), "list": st.sampled_from(duty_list),
                            "allowsQuota": flag[0]},
                           {"code": ANY_ID, "title": ANY_TEXT, "list": any_enum(*duty_list), "allowsQuota": flag[1]})
        target_kinds = ("GOVERNMENT_DEPARTMENT", "GOVERNMENT_STAFF", "RESIDENT_UNIT", "MUNICIPAL_SERVICE")
        target = record({"id": GOOD_ID, "name": good_text(200), "kind": st.sampled_from(target_kinds)},
                        {"id": ANY_ID, "name": ANY_TEXT, "kind": any_enum(*target_kinds)})
        volunteer = record({"volunteerId": GOOD_ID, "hours": GOOD_HOURS}, {"volunteerId": ANY_ID, "hours": ANY_FLOAT})
        categories = ("COMMUNITY_SERVICE", "PUBLIC_WELFARE", "CULTURE_SPORTS", "LEGAL_SERVICE", "MEDIATION", "OTHER")
        work_bodies = tuple(standing.WorkBodyKind.__members__)
        signboards = tuple(standing.SignboardKind.__members__)
        seal_uses = tuple(standing.SealUseKind.__members__)
        grades = tuple(work.AppraisalResult.__members__)
        laws = ["《中华人民共和国城市居民委员会组织法》", "《江苏省社区服务条例》", "《〈x〉法》", "《x办法》", "《》",
                "依据《" + "字" * (standing.MAX_PURPOSE - 6) + "条例》"]

        def fields(**pairs: tuple[Strategy[Any], Strategy[Any]]) -> Strategy[dict[str, Any]]:
            return record({k: good for k, (good, _) in pairs.items()}, {k: bad for k, (_, bad) in pairs.items()})

        def inputs(**pairs: tuple[Strategy[Any], Strategy[Any]]) -> Strategy[dict[str, Any]]:
            return st.fixed_dictionaries({"input": fields(**pairs)})

        fixed = {
            "registerCommunity": (ops.REGISTER, inputs(
                code=(st.from_regex(r"[0-9]{3}", fullmatch=True).map(lambda s: c.street + s), ANY_TEXT),
                name=(good_text(200), ANY_TEXT), kind=(st.sampled_from(["URBAN", "RURAL"]), any_enum("URBAN")),
                villageEnterpriseSeparated=flag), c.office),
            "publishDutyList": (ops.PUBLISH, inputs(communityCode=code, items=(
                many(duty_item, "code", values.MAX_DUTY_ITEMS,
                     lambda i: {"code": f"I-{i}", "title": "事项", "list": "SELF_GOVERNANCE"}),
                st.lists(duty_item, min_size=2, max_size=3))), c.office),
            "signServiceAgreement": (ops.SIGN, inputs(
                communityCode=code, department=(good_text(200), ANY_TEXT), scope=(good_text(1000, True), ANY_TEXT),
                fundingYuan=(GOOD_MONEY, ANY_MONEY), validUntil=(GOOD_DATE, ANY_DATE), allowsQuota=flag), c.department),
            "delegateTask": (ops.DELEGATE, inputs(
                communityCode=code, title=(good_text(500), ANY_TEXT), fromDepartment=(good_text(200), ANY_TEXT),
                dutyItemCode=(st.sampled_from([None, "AG-01", "SG-01", "XX-99"]), ANY_ID),
                agreementId=(st.sampled_from([None, self.agreement, self.funded]), ANY_ID),
                dueAt=(st.one_of(st.none(), GOOD_DATE), ANY_DATE),
                quota=(st.one_of(st.none(), good_text(500)), ANY_TEXT)), c.department),
            "acceptTask": (ops.ACCEPT, fields(id=task, v=version), c.committee),
            "declineTask": (ops.DECLINE, fields(id=task, r=(good_text(2000, True), ANY_TEXT), v=version), c.committee),
            "completeTask": (ops.COMPLETE, fields(id=task, v=version), c.committee),
            "registerOrganization": (ops.REGISTER_ORG, inputs(
                communityCode=code, name=(good_text(200), ANY_TEXT),
                category=(st.sampled_from(categories), any_enum(*categories)),
                status=(st.sampled_from(["REGISTERED", "FILED"]), any_enum("FILED")),
                hubId=(st.sampled_from([None, self.hub]), ANY_ID)), c.office),
            "recordActivity": (ops.RECORD_ACTIVITY, inputs(
                communityCode=code, title=(good_text(500), ANY_TEXT), heldAt=(GOOD_DATE, ANY_DATE),
                participants=(GOOD_COUNT, ANY_INT),
                organizerId=(st.one_of(st.none(), st.just(self.hub), GOOD_ID), ANY_ID),
                volunteerHours=(st.one_of(st.none(), many(volunteer, "volunteerId", values.MAX_VOLUNTEER_ENTRIES,
                                                          lambda i: {"volunteerId": f"v{i}", "hours": 744})),
                                st.lists(volunteer, min_size=2, max_size=3))), c.committee),
            "openEvaluationCampaign": (ops.OPEN_CAMPAIGN, inputs(
                communityCode=code, title=(good_text(500), ANY_TEXT), closesAt=(GOOD_DATE, ANY_DATE),
                targets=(many(target, "id", values.MAX_CAMPAIGN_TARGETS,
                              lambda i: {"id": f"t{i}", "name": "对象", "kind": "RESIDENT_UNIT"}, min_size=1),
                         st.lists(target, max_size=3))), c.committee),
            "recordDisbursement": (ops.DISBURSE, inputs(
                agreementId=(st.sampled_from([self.agreement, self.funded]), st.one_of(ANY_ID, st.uuids().map(str))),
                amountYuan=(GOOD_MONEY, ANY_MONEY), disbursedAt=(st.one_of(st.none(), GOOD_DATE), ANY_DATE),
                note=(st.one_of(st.none(), st.just(""), good_text(1000, True)), ANY_TEXT)), self.department),
            "establishWorkBody": (ops.ESTABLISH_WORK_BODY, inputs(
                communityCode=code, name=(good_text(standing.MAX_NAME), ANY_TEXT),
                kind=(st.sampled_from(work_bodies), any_enum(*work_bodies)),
                legalBasis=(st.one_of(st.none(), good_text(standing.MAX_PURPOSE), st.sampled_from(laws)), ANY_TEXT)),
                self.committee),
            "hangSignboard": (ops.HANG_SIGNBOARD, inputs(
                communityCode=(st.sampled_from([c.code, self.rural]), code[1]),
                kind=(st.sampled_from(signboards), any_enum(*signboards)), text=(good_text(standing.MAX_NAME), ANY_TEXT)),
                self.office),
            "removeSignboard": (ops.REMOVE_SIGNBOARD, fields(
                id=(st.sampled_from(self.signboards), st.one_of(ANY_ID, st.uuids().map(str), st.just(self.staff))),
                reason=(good_text(standing.MAX_PURPOSE, True), ANY_TEXT)), self.committee),
            "imposeTargetContract": (ops.IMPOSE_TARGET_CONTRACT, inputs(
                communityCode=code, title=(good_text(standing.MAX_NAME), ANY_TEXT),
                targets=(st.one_of(st.none(), texts(good_text(standing.MAX_PURPOSE), standing.MAX_CONTRACT_TARGETS,
                                                    standing.MAX_PURPOSE)),
                         st.lists(ANY_TEXT, min_size=1, max_size=3))), self.department),
            "useSeal": (ops.USE_SEAL, inputs(
                communityCode=code, purpose=(good_text(standing.MAX_PURPOSE, True), ANY_TEXT),
                kind=(st.sampled_from(seal_uses), any_enum(*seal_uses)), document=(good_text(standing.MAX_NAME), ANY_TEXT),
                requestedBy=(st.one_of(st.none(), st.just(""), good_text(standing.MAX_NAME)), ANY_TEXT)), self.committee),
            "recordVillageEnterpriseSeparation": (ops.RECORD_SEPARATION, fields(
                c=(st.sampled_from([self.rural, c.code]), code[1]),
                separated=(st.booleans(), st.one_of(st.none(), ANY_INT, ANY_TEXT))), self.office),
            "setInspectionCap": (ops.SET_INSPECTION_CAP, fields(
                scope=(st.sampled_from([c.district, c.street]), st.one_of(ANY_TEXT, st.from_regex(r"[0-9]{0,13}",
                                                                                                  fullmatch=True))),
                max=(st.one_of(st.integers(0, inspection.MAX_CAP), st.sampled_from([0, inspection.MAX_CAP])), ANY_INT)),
                self.department),
            "recordInspection": (ops.RECORD_INSPECTION, inputs(
                communityCode=code, inspectingBody=(good_text(200), ANY_TEXT), subject=(good_text(500), ANY_TEXT),
                date=(GOOD_DATE, ANY_DATE),
                materialsRequested=(st.one_of(st.none(), texts(good_text(inspection.MAX_MATERIAL), inspection.MAX_MATERIALS,
                                                               inspection.MAX_MATERIAL)),
                                    st.lists(ANY_TEXT, min_size=1, max_size=3))), self.department),
            "recordLedgerDemand": (ops.RECORD_LEDGER_DEMAND, inputs(
                communityCode=code, department=(good_text(200), ANY_TEXT), ledger=(good_text(500), ANY_TEXT),
                pages=(st.one_of(st.none(), st.integers(0, inspection.MAX_LEDGER_PAGES),
                                 st.just(inspection.MAX_LEDGER_PAGES)), ANY_INT),
                demandedAt=(GOOD_DATE, ANY_DATE)), self.committee),
            "definePost": (ops.DEFINE_POST, inputs(
                communityCode=code, title=(good_text(200), ANY_TEXT),
                duties=(texts(good_text(work.MAX_POST_ITEM, True), work.MAX_POST_ITEMS, work.MAX_POST_ITEM, min_size=1),
                        st.one_of(st.just([]), st.lists(ANY_TEXT, min_size=1, max_size=3))),
                procedures=(texts(good_text(work.MAX_POST_ITEM, True), work.MAX_POST_ITEMS, work.MAX_POST_ITEM,
                                  fill="x"),  # with the longest duties (字), still within the request body's limit
                            st.lists(ANY_TEXT, min_size=1, max_size=3))), self.committee),
            "appointStaff": (ops.APPOINT_STAFF, inputs(
                postId=(st.just(self.post_id), st.one_of(ANY_ID, st.uuids().map(str), st.just(self.staff))),
                personId=(GOOD_ID, ANY_ID), name=(good_text(100), ANY_TEXT),
                phone=(st.one_of(st.from_regex(work.PHONE, fullmatch=True), st.sampled_from(
                    ["+86 (021) 1234-5678", "1" * 31, "+" + "1" * 31, "110"])), ANY_TEXT)), self.office),
            "recordAppraisal": (ops.RECORD_APPRAISAL, inputs(
                staffId=(st.just(self.staff), st.one_of(ANY_ID, st.uuids().map(str), st.just(self.post_id))),
                period=(good_text(40), ANY_TEXT), result=(st.sampled_from(grades), any_enum(*grades)),
                reward=(st.one_of(st.none(), st.just(""), good_text(500)), ANY_TEXT),
                sanction=(st.one_of(st.none(), st.just(""), good_text(500)), ANY_TEXT)), self.committee),
            "eraseSubject": (ops.ERASE_SUBJECT, inputs(  # PIPL art. 47: fuzz subjects only (never p-1's data)
                subjectId=(GOOD_ID.map(lambda s: f"fuzz-{s}"[:64]), ANY_ID),
                legalBasis=(good_text(500), ANY_TEXT)), token(Role.ADMIN, "", "admin-fuzz")),
        }
        mutations = {name: (document, variables, lambda v, tok=tok: (tok, v))
                     for name, (document, variables, tok) in fixed.items()}
        ballot = fields(campaignId=(st.just(self.campaign), ANY_ID),
                        targetId=(st.sampled_from(["office", "property"]), ANY_ID),
                        satisfaction=(st.sampled_from(["SATISFIED", "BASICALLY_SATISFIED", "DISSATISFIED"]),
                                      any_enum("SATISFIED")),
                        comment=(st.one_of(st.none(), good_text(2000, True)), ANY_TEXT))
        mutations["castEvaluation"] = (ops.CAST, st.fixed_dictionaries({"input": ballot, "resident": GOOD_ID}),
                                       lambda v: (c.resident(v["resident"]), {"input": v["input"]}))
        return mutations


def test_fuzz_every_mutation_leaves_every_projection_current(server: Server, direct_url: str) -> None:
    with httpx.Client(timeout=60) as http:
        place = Place(http, server.url)
        mutations = place.mutations()
        schema = place.call('{ __type(name: "Mutation") { fields { name } } }', {}, place.c.auditor)
        assert sorted(mutations) == sorted(f["name"] for f in schema["__type"]["fields"]), "every mutation is fuzzed"
        for name, (document, strategy, sent) in mutations.items():

            @FUZZ
            @given(drawn=strategy)
            def send(drawn: dict[str, Any]) -> None:
                tok, variables = sent(drawn)
                response = place.post(document, variables, tok)
                assert response.status_code < 500, (name, variables, response.text)
                for error in response.json().get("errors") or []:
                    assert error.get("extensions", {}).get("code") not in (None, "INTERNAL"), (name, variables, error)

            send()
        head, behind = projections_behind(http, server.url, direct_url, place.c.auditor)
        assert not behind, f"read models behind the log's head {head} after the fuzz run: {behind}"


def projections_behind(http: httpx.Client, url: str, direct_url: str, tok: str) -> tuple[int, dict[str, int]]:
    """The log's head, and each read model still short of it once it has had time to catch up."""
    with psycopg.connect(direct_url, autocommit=True) as conn:
        head = conn.execute("SELECT coalesce(max(notification_id), 0) FROM gongzhi_events").fetchone()[0]
        deadline = time.monotonic() + CATCH_UP_S
        while True:
            http.post(url, json={"query": "{ me { id } }"},
                      headers={"Authorization": f"Bearer {tok}", "X-Consistent-After": str(head)})
            tracked = dict(conn.execute("SELECT name, position FROM projection_tracking").fetchall())
            behind = {name: position for name, position in tracked.items() if position < head}
            if tracked and not behind or time.monotonic() > deadline:
                return head, behind if tracked else {"(no projection tracked)": 0}
