"""The burden of inspections and paper ledgers on communities: P8 (精简检查, fewer inspections) and P9 (精简台账,
fewer paper ledgers; the event log is the community's electronic archive, 电子档案).

P8, a record with a cap: every inspection of a community is recorded (`InspectionRecorded`: the inspecting body,
the subject, the date, the materials it asked for), by whoever records it. A district (6-digit scope) or a street
(9 digits) sets how many inspections a community should see per quarter (`InspectionCapSet`, later
`InspectionCapChanged`); the street's cap wins over the district's for its communities. An inspection above the
cap is still recorded (it happened) and raises an alert in the same commit (`InspectionCapExceeded`).

The count is kept in the domain, per community and quarter (the quarter of the inspection's date in China,
UTC+8): one stream per (community, quarter) (`InspectionQuarter`, its id derived from both), whose version
guards the count, so inspections recorded at once are counted exactly (a concurrent write conflicts in the store
and the command records again on the stream as it now stands).

P9, a record: a department's demand for a paper ledger (台账) from a community (`LedgerDemandRecorded`), so that
what is still demanded on paper is on the record and can be counted by department.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.errors import InvalidInput
from backend.domain.stamp import Stamp

#: China Standard Time: the quarter of an inspection is the quarter of its date there (P8).
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
#: Most materials one inspection may be recorded as asking for, and the longest name of one (P8).
MAX_MATERIALS = 100
MAX_MATERIAL = 200
#: Highest cap a district or street may set (inspections per community per quarter, P8).
MAX_CAP = 1_000
#: Most pages a demanded ledger may be recorded with (P9).
MAX_LEDGER_PAGES = 1_000_000
QUARTER = re.compile(r"([0-9]{4})Q([1-4])")
#: The lengths of a scope that may set a cap: a district (区县, 6 digits) or a street (街道/乡镇, 9).
CAP_SCOPES = {6: "district", 9: "street"}


def quarter_of(moment: datetime) -> str:
    """P8: the quarter of a moment in China (UTC+8), as 'YYYYQn' (2026-03-31T20:00Z is 2026Q2)."""
    local = moment.astimezone(CHINA)
    return f"{local.year:04d}Q{(local.month - 1) // 3 + 1}"


def quarter(value: Any, field: str = "quarter") -> str:
    """A quarter named as 'YYYYQn' (n 1-4), e.g. 2026Q3."""
    if not isinstance(value, str) or not QUARTER.fullmatch(value):
        raise InvalidInput(f"{field} is a quarter like 2026Q3, not {value!r:.80}", field=field)
    return value


def optional_quarter(value: Any, field: str = "quarter") -> str | None:
    return None if value is None else quarter(value, field)


def cap_scope(value: Any, field: str = "scope") -> str:
    """P8: the scope of a cap: a district's 6-digit or a street's 9-digit division code."""
    scope = values.scope_prefix(value, field)
    if len(scope) not in CAP_SCOPES:
        raise InvalidInput(f"{field} is a district's 6-digit or a street's 9-digit code, not {value!r:.80}",
                           field=field)
    return scope


def cap_scopes_of(community_code: str) -> tuple[str, str]:
    """The scopes whose cap may hold for a community, the one that wins first: its street, its district."""
    return community_code[:9], community_code[:6]


def materials(value: Any, field: str = "materialsRequested") -> list[str]:
    """P8: the materials an inspection asked for: at most MAX_MATERIALS texts of at most MAX_MATERIAL characters."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise InvalidInput(f"{field} must be a list of texts", field=field)
    if len(value) > MAX_MATERIALS:
        raise InvalidInput(f"{field} holds at most {MAX_MATERIALS} entries", field=field)
    return [values.text(item, field, MAX_MATERIAL) for item in value]


def cap_id(scope: str) -> UUID:
    """The stream of a scope's cap: one per district or street."""
    return uuid5(values.GONGZHI_NAMESPACE, f"inspection-cap:{scope}")


def quarter_id(community_code: str, quarter: str) -> UUID:
    """The stream of a community's inspections in a quarter: one per (community, quarter), so that its
    version guards the count (P8)."""
    return uuid5(values.GONGZHI_NAMESPACE, f"inspection-quarter:{community_code}:{quarter}")


class InspectionCap(Aggregate):
    """P8 (精简检查): the most inspections per community per quarter that a district or street sets for the
    communities in its scope (检查上限). The event's `community_code` is the scope itself (6 or 9 digits), so the
    raw log shows it to readers of that district or street."""

    @staticmethod
    def create_id(scope: str) -> UUID:
        return cap_id(scope)

    @event("InspectionCapSet")
    def __init__(self, scope: str, max_per_quarter: int, actor: dict[str, Any], request_id: str,
                 community_code: str, client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.scope = scope
        self.max_per_quarter = max_per_quarter

    @classmethod
    def set(cls, scope: str, max_per_quarter: int, by: Stamp) -> InspectionCap:
        scope = cap_scope(scope)
        return cls(scope=scope, max_per_quarter=values.count(max_per_quarter, "maxPerQuarter", MAX_CAP),
                   **by.on(scope))

    def change(self, max_per_quarter: int, by: Stamp) -> None:
        """P8: a new cap for the scope (the one in force from now on)."""
        self._changed(max_per_quarter=values.count(max_per_quarter, "maxPerQuarter", MAX_CAP),
                      previous=self.max_per_quarter, **by.on(self.scope))

    @event("InspectionCapChanged")
    def _changed(self, max_per_quarter: int, previous: int, actor: dict[str, Any], request_id: str,
                 community_code: str, client_request_id: str | None = None) -> None:
        self.max_per_quarter = max_per_quarter


def cap_in_force(street: InspectionCap | None, district: InspectionCap | None) -> InspectionCap | None:
    """P8: the cap that holds for a community: its street's if the street set one, else its district's."""
    return street if street is not None else district


class InspectionQuarter(Aggregate):
    """P8 (精简检查): the inspections of one community in one quarter (in China, UTC+8), counted. Its stream id is
    derived from the two (`quarter_id`), so every record of that community and quarter appends to one stream and
    its version guards the count: two inspections recorded at once cannot both be the n-th."""

    @staticmethod
    def create_id(quarter: str, community_code: str) -> UUID:
        return quarter_id(community_code, quarter)

    @event("InspectionQuarterOpened")
    def __init__(self, quarter: str, actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.quarter = quarter
        self.inspections = 0
        self.alerts = 0
        self.last: dict[str, Any] | None = None

    @classmethod
    def open(cls, community_code: str, quarter_: str, by: Stamp) -> InspectionQuarter:
        return cls(quarter=quarter(quarter_), **by.on(values.division_code(community_code, "communityCode")))

    def record(self, inspection_id: UUID, inspecting_body: str, subject: str, date: datetime,
               materials_requested: list[str], cap: InspectionCap | None, by: Stamp) -> bool:
        """P8: record one inspection of the community in this quarter; above the cap in force it is recorded all
        the same and an alert is raised with it (`InspectionCapExceeded`, in the same commit). True if it was."""
        date = values.moment(date, "date")
        if quarter_of(date) != self.quarter:
            raise InvalidInput(f"date {date.isoformat()} is not in {self.quarter}", field="date")
        ordinal = self.inspections + 1
        max_per_quarter = cap.max_per_quarter if cap is not None else None
        cap_scope_ = cap.scope if cap is not None else None
        self._recorded(inspection_id=inspection_id, inspecting_body=values.text(inspecting_body, "inspectingBody", 200),
                       subject=values.text(subject, "subject", 500), date=date, quarter=self.quarter,
                       materials_requested=materials(materials_requested), ordinal=ordinal,
                       cap=max_per_quarter, cap_scope=cap_scope_, **by.on(self.community_code))
        if max_per_quarter is None or ordinal <= max_per_quarter:
            return False
        self._exceeded(inspection_id=inspection_id, quarter=self.quarter, inspections=ordinal, cap=max_per_quarter,
                       cap_scope=cap_scope_, inspecting_body=self.last["inspecting_body"] if self.last else "",
                       **by.on(self.community_code))
        return True

    @event("InspectionRecorded")
    def _recorded(self, inspection_id: UUID, inspecting_body: str, subject: str, date: datetime, quarter: str,
                  materials_requested: list[str], ordinal: int, cap: int | None, cap_scope: str | None,
                  actor: dict[str, Any], request_id: str, community_code: str,
                  client_request_id: str | None = None) -> None:
        self.inspections = ordinal
        self.last = {"inspection_id": inspection_id, "inspecting_body": inspecting_body, "subject": subject,
                     "date": date, "materials_requested": list(materials_requested), "ordinal": ordinal,
                     "cap": cap, "cap_scope": cap_scope, "exceeded": False, "organization": actor.get("organization")}

    @event("InspectionCapExceeded")
    def _exceeded(self, inspection_id: UUID, quarter: str, inspections: int, cap: int, cap_scope: str | None,
                  inspecting_body: str, actor: dict[str, Any], request_id: str, community_code: str,
                  client_request_id: str | None = None) -> None:
        """P8: the alert: the community has had more inspections this quarter than the cap in force allows."""
        self.alerts += 1
        if self.last is not None and self.last["inspection_id"] == inspection_id:
            self.last["exceeded"] = True


class LedgerDemand(Aggregate):
    """P9 (精简台账): a record that a department demanded a paper ledger (纸质台账) from a community: which ledger,
    how many pages (if known) and when. The ledgers the platform keeps are its log (the archive, `gongzhi archive
    export`); what is still demanded on paper is counted by department from these records."""

    @event("LedgerDemandRecorded")
    def __init__(self, department: str, ledger: str, pages: int | None, demanded_at: datetime,
                 actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.community_code = community_code
        self.department = department
        self.ledger = ledger
        self.pages = pages
        self.demanded_at = demanded_at

    @classmethod
    def record(cls, community_code: str, department: str, ledger: str, pages: int | None, demanded_at: datetime,
               by: Stamp) -> LedgerDemand:
        return cls(department=values.text(department, "department", 200), ledger=values.text(ledger, "ledger", 500),
                   pages=None if pages is None else values.count(pages, "pages", MAX_LEDGER_PAGES),
                   demanded_at=values.moment(demanded_at, "demandedAt"),
                   **by.on(values.division_code(community_code, "communityCode")))
