"""Issue 9: for the demo district, burdenReport and burdenAlerts give figures that this test recomputes on its own
from the event log (read through eventLog), by department (the actor's organization) and by community."""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from backend.domain.access import Role
from tests.harness import Client, Server, server_env, token

DISTRICT = "320102"
FIGURES = ("tasksDelegated onDutyList underAgreement refusedOffList quotaRefused declined agreementFundingYuan "
           "disbursedYuan unfundedTasks workBodiesRefused signboardsRefused targetContractsRefused inspections "
           "inspectionsOverCap sealUsesRefused paperLedgersDemanded")
REPORT = (f"query($s: String!) {{ burdenReport(scope: $s) {{ {FIGURES} byDepartment {{ department {FIGURES} }}"
          f" byCommunity {{ communityCode {FIGURES} }} }} }}")
ALERTS = "query($s: String!) { burdenAlerts(scope: $s) { kind communityCode department count quarter } }"
LOG = """query($after: Position) { eventLog(after: $after, first: 1000) { position type entityId occurredAt
  actor { id role organization } communityCode data } }"""
MONEY = ("agreementFundingYuan", "disbursedYuan")


def recompute(events: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """The figures of the whole scope (key ""), of each department and of each community, from the events alone."""
    sums: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    task_department: dict[str, str] = {}
    agreement_department: dict[str, str] = {}

    def add(department: str, community: str, figure: str, amount: Any = 1) -> None:
        for key in ("", f"department:{department}", f"community:{community}"):
            sums[key][figure] += amount

    for e in events:
        data, org = e["data"], e["actor"]["organization"]
        t, community = e["type"], e["communityCode"]
        if t == "TaskDelegated":
            department = org or data["fromDepartment"]
            task_department[e["entityId"]] = department
            add(department, community, "tasksDelegated")
            add(department, community, "onDutyList" if data["basis"] == "DUTY_LIST" else "underAgreement")
        elif t == "TaskDelegationRefused":
            add(org or data["fromDepartment"], community,
                "quotaRefused" if data.get("code") == "QUOTA_NOT_ALLOWED" else "refusedOffList")
        elif t == "TaskDeclined":
            add(task_department[e["entityId"]], community, "declined")
        elif t == "ServiceAgreementSigned":
            agreement_department[e["entityId"]] = org or data["department"]
            add(agreement_department[e["entityId"]], community, "agreementFundingYuan", Decimal(data["fundingYuan"]))
        elif t == "DisbursementRecorded":
            add(agreement_department[e["entityId"]], community, "disbursedYuan", Decimal(data["amountYuan"]))
        elif t in ("WorkBodyRefused", "SignboardRefused", "TargetContractRefused"):
            figure = {"WorkBodyRefused": "workBodiesRefused", "SignboardRefused": "signboardsRefused",
                      "TargetContractRefused": "targetContractsRefused"}[t]
            add(org or e["actor"]["id"], community, figure)
        elif t == "SealUseRefused":
            add(data.get("requestedBy") or org or e["actor"]["id"], community, "sealUsesRefused")
        elif t == "InspectionRecorded":
            add(data["inspectingBody"], community, "inspections")
        elif t == "InspectionCapExceeded":
            add(data.get("inspectingBody") or org or e["actor"]["id"], community, "inspectionsOverCap")
        elif t == "LedgerDemandRecorded":
            add(data["department"], community, "paperLedgersDemanded")
    grouped: dict[str, dict[str, dict[str, Any]]] = {"scope": {}, "department": {}, "community": {}}
    for key, figures in sums.items():
        kind, _, name = key.partition(":")
        grouped[kind or "scope"][name] = dict(figures)
    return grouped


def served(figures: dict[str, Any]) -> dict[str, Any]:
    """A served figures object as the recomputation keeps it: zeros left out, money as Decimal."""
    out: dict[str, Any] = {}
    for name, value in figures.items():
        if name in ("department", "communityCode", "byDepartment", "byCommunity"):
            continue
        value = Decimal(value) if name in MONEY else value
        if value:
            out[name] = value
    return out


async def test_P1_P4_P5_P6_P7_P8_P9_P10_the_demo_districts_burden_recomputed_from_the_log(
        fresh_url: str, tmp_path: Path) -> None:
    server = Server(server_env(tmp_path, fresh_url), args=("--demo",)).start(timeout=120)
    client = Client(server.url)
    try:
        auditor = token(Role.AUDITOR, DISTRICT, "auditor-demo")
        office = token(Role.STREET_OFFICE, "320102001", "street-demo")
        events: list[dict[str, Any]] = []
        while True:
            page = (await client.call(LOG, {"after": events[-1]["position"] if events else 0}, auditor))["eventLog"]
            events += page
            if len(page) < 1000:
                break
        head = events[-1]["position"]
        report = (await client.call(REPORT, {"s": DISTRICT}, auditor,
                                    headers={"X-Consistent-After": str(head)}))["burdenReport"]
        expected = recompute(events)
        assert served(report) == {k: v for k, v in expected["scope"][""].items() if k != "unfundedTasks"}
        assert {d["department"]: served(d) for d in report["byDepartment"]} == expected["department"]
        assert {c["communityCode"]: served(c) for c in report["byCommunity"]} == expected["community"]
        # the demo shows each of these: refused signboards and a target contract of 区城市管理局, a community over
        # its inspection cap, a seal use refused, an agreement half disbursed
        urban = expected["department"]["区城市管理局"]
        assert urban["signboardsRefused"] == 2 and urban["targetContractsRefused"] == 1
        assert expected["department"]["区市场监督管理局"]["sealUsesRefused"] == 1
        assert expected["community"]["320102001002"]["inspectionsOverCap"] == 1
        assert expected["department"]["区民政局"]["disbursedYuan"] > 0
        alerts = (await client.call(ALERTS, {"s": DISTRICT}, auditor))["burdenAlerts"]
        over_cap = Counter((e["communityCode"]) for e in events if e["type"] == "InspectionCapExceeded")
        assert {a["communityCode"]: a["count"] for a in alerts if a["kind"] == "INSPECTION_CAP_EXCEEDED"} == over_cap
        refusals = Counter(e["actor"]["organization"] or e["actor"]["id"] for e in events if e["type"].endswith("Refused")
                           and e["type"] != "SealUseRefused")
        refusals.update(e["data"]["requestedBy"] for e in events if e["type"] == "SealUseRefused")
        assert {a["department"]: a["count"] for a in alerts if a["kind"] == "REPEATED_REFUSALS"} == {
            department: n for department, n in refusals.items() if n >= 3}
        assert not [a for a in alerts if a["kind"] == "UNFUNDED_TASK"]  # every task was delegated just now
        # a street office reads its own street only, and the same figures for it
        street = (await client.call(REPORT, {"s": "320102001"}, office))["burdenReport"]
        assert served(street)["tasksDelegated"] == sum(
            c["tasksDelegated"] for c in report["byCommunity"] if c["communityCode"].startswith("320102001"))
    finally:
        await client.close()
        server.stop()
