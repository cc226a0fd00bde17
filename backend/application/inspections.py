"""Commands that record the burden put on communities (P8 inspections and their cap, P9 paper ledgers)."""
from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from eventsourcing.persistence import IntegrityError

from backend.application.base import GovernanceApplication, Receipt, acting
from backend.application.steps import Commit, Load, Steps, command
from backend.domain import values
from backend.domain.access import Action, authorize
from backend.domain.errors import VersionConflict
from backend.domain.inspection import (
    InspectionCap,
    InspectionQuarter,
    LedgerDemand,
    cap_id,
    cap_in_force,
    cap_scope,
    cap_scopes_of,
    materials,
    quarter_id,
    quarter_of,
)
from backend.domain.stamp import Stamp

#: How often an inspection is recorded again on its quarter's stream when a concurrent record took the version
#: first (P8: the inspection happened, so it is counted, not refused); each try loses only to a write that won.
RECORD_TRIES = 64


class BurdenRecords(GovernanceApplication):
    """P8, P9 (精简检查、精简台账): the commands; Gongzhi (governance.py) has them."""

    # -- P8: inspections and their cap (精简检查) ------------------------------------------------------------
    @command(Action.SET_INSPECTION_CAP)
    def set_inspection_cap(self, by: Stamp, *, scope: str, max_per_quarter: int) -> Steps[tuple[InspectionCap, Receipt]]:
        """P8: a district (6 digits) or street (9 digits) sets the most inspections per community per quarter
        (`InspectionCapSet`, then `InspectionCapChanged`); the street's cap wins over its district's."""
        scope = cap_scope(scope)
        max_per_quarter = values.count(max_per_quarter, "maxPerQuarter", 1_000)
        authorize(acting(by).actor, Action.SET_INSPECTION_CAP, scope)
        for _ in range(2):  # a concurrent first setting of the same scope: set it again as a change
            cap = yield Load(cap_id(scope))
            if isinstance(cap, InspectionCap):
                cap.change(max_per_quarter, by)
            else:
                cap = InspectionCap.set(scope, max_per_quarter, by)
            try:
                positions = yield Commit(cap)
            except IntegrityError:
                continue
            return cap, Receipt(positions[-1], str(cap.id), cap.version)
        raise VersionConflict("another change to this cap was saved first; reload and retry")

    def _cap_for(self, community_code: str) -> Steps[InspectionCap | None]:
        """P8: the cap in force for a community (its street's, else its district's, else none)."""
        street_scope, district_scope = cap_scopes_of(community_code)
        street = yield Load(cap_id(street_scope))
        district = None if isinstance(street, InspectionCap) else (yield Load(cap_id(district_scope)))
        return cap_in_force(street if isinstance(street, InspectionCap) else None,
                            district if isinstance(district, InspectionCap) else None)

    @command(Action.RECORD_INSPECTION)
    def record_inspection(self, by: Stamp, *, community_code: str, inspecting_body: str, subject: str,
                          date: datetime, materials_requested: list[str] | None = None,
                          ) -> Steps[tuple[InspectionQuarter, Receipt]]:
        """P8: record an inspection of a community (`InspectionRecorded`, on its (community, quarter) stream). Above
        the cap in force it is recorded all the same, with an `InspectionCapExceeded` alert in the same commit.
        A record that meets a concurrent one on the stream records again on the stream as it now stands."""
        code = values.division_code(community_code, "communityCode")
        body = values.text(inspecting_body, "inspectingBody", 200)
        subject = values.text(subject, "subject", 500)
        date = values.moment(date, "date")
        asked = materials(materials_requested)
        authorize(acting(by).actor, Action.RECORD_INSPECTION, code)
        yield from self._require_community(code)
        cap = yield from self._cap_for(code)
        quarter = quarter_of(date)
        inspection_id = uuid4()
        for _ in range(RECORD_TRIES):
            tally = yield Load(quarter_id(code, quarter))
            if not isinstance(tally, InspectionQuarter):
                tally = InspectionQuarter.open(code, quarter, by)
            tally.record(inspection_id, body, subject, date, asked, cap, by)
            try:
                positions = yield Commit(tally)
            except IntegrityError:
                continue
            return tally, Receipt(positions[-1], str(tally.id), tally.version)
        raise VersionConflict("too many inspections of this community were recorded at once; retry")

    # -- P9: paper ledgers (精简台账) ----------------------------------------------------------------------------
    @command(Action.RECORD_LEDGER_DEMAND)
    def record_ledger_demand(self, by: Stamp, *, community_code: str, department: str, ledger: str,
                             pages: int | None = None, demanded_at: datetime) -> Steps[tuple[LedgerDemand, Receipt]]:
        """P9: record that a department demanded a paper ledger from a community (`LedgerDemandRecorded`)."""
        code = values.division_code(community_code, "communityCode")
        department = values.text(department, "department", 200)
        ledger = values.text(ledger, "ledger", 500)
        pages = None if pages is None else values.count(pages, "pages", 1_000_000)
        demanded_at = values.moment(demanded_at, "demandedAt")
        authorize(acting(by).actor, Action.RECORD_LEDGER_DEMAND, code)
        yield from self._require_community(code)
        demand = LedgerDemand.record(code, department, ledger, pages, demanded_at, by)
        return demand, (yield from self._commit_change(demand))
