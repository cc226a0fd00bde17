"""How far the read models are, as an API process sees them: read-your-writes and live rows across processes.

An API process may run no projection at all (`gongzhi serve --no-projections`, beside `gongzhi
projector` processes), or only the ones whose leases it holds (backend/application/lease.py). What it
serves still needs three facts about every read model: how far it is (`position`, what
`X-Consistent-After` waits for), whether it is stalled (/readyz), and which rows each committed
batch changed (the live read models' subscribers, projections/live.py).

The tracking rows say all three, whoever wrote them: every batch that moves them NOTIFYs
`PROJECTED_CHANNEL` in its transaction (projections/runner.py), so each API process hears of it at
commit, reads the tracking rows (one query) and, when some subscriber follows a live read model,
reads the events that model's projection took from the log and hands them on as a `Settled`. A
batch of this process's own runner is handed over directly (`observe`), without the round trip;
both paths hand on each position once. With a read replica (`GONGZHI_READ_DATABASE_URL`), the
tracking rows are read on the replica, so a position reached means the replica has replayed it:
read-your-writes holds across nodes. The replica cannot LISTEN: the primary's notifications wake
the watch, and while someone waits for a position the replica has not shown yet, it is read again
every few milliseconds.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg

from backend.application.follower import LogFollower
from backend.application.log import EventLog, LoggedEvent
from projections.runner import BATCH, Fault, Settled

#: What a projection batch NOTIFYs at commit (its payload is empty: the tracking rows say the rest).
PROJECTED_CHANNEL = "gongzhi_projected"
WAIT_POLL_FIRST_S = 0.002  # a waiter ahead of the (replica's) tracking rows reads them again after this, doubling
WAIT_POLL_MAX_S = 0.05


class ProjectionWatch:
    """The read models' positions and stalls from their tracking rows, and their changes for live subscribers."""

    def __init__(self, primary: asyncpg.Pool, reads: asyncpg.Pool, events: EventLog, names: Sequence[str],
                 publish: Callable[[Settled], Awaitable[None]] | None = None,
                 wanted: Callable[[], bool] | None = None) -> None:
        """`primary`: where notifications are heard; `reads`: where the tracking rows (and the read models) are
        read; `publish`: hears each batch's events (the live read models); `wanted`: whether anyone follows them
        now (if not, the events are not read)."""
        self.reads = reads
        self.replica = reads is not primary  # then only the replica's tracking rows move `position`
        self.events = events
        self.names = tuple(names)
        self.publish = publish
        self.wanted = wanted or (lambda: True)
        self.position = 0  # every read model that is not stalled has processed the log up to here
        self.positions: dict[str, int] = {}  # each projection's tracked position, as the read database shows it
        self._published: dict[str, int] = {}  # each projection's position up to which its events were handed on
        self._stalled: dict[str, Fault] = {}
        self._lock = asyncio.Lock()
        self._advanced = asyncio.Condition()
        self._follower = LogFollower(primary, "projection-watch", self.refresh, PROJECTED_CHANNEL)

    @property
    def stalled(self) -> list[dict[str, Any]]:
        return [{"name": f.projection, "position": f.position, "eventType": f.event_type, "error": f.error}
                for f in sorted(self._stalled.values(), key=lambda f: f.projection)]

    @property
    def listening(self) -> bool:
        return self._follower.listening

    async def start(self) -> None:
        rows = await self._tracking()
        self.positions = {r["name"]: r["position"] for r in rows}
        self._published = dict(self.positions)
        await self._settle(rows)
        await self._follower.start()

    async def stop(self) -> None:
        await self._follower.stop()

    async def _tracking(self) -> list[asyncpg.Record]:
        """The tracking rows; none on a replica that has not yet replayed the primary's migrations."""
        try:
            return list(await self.reads.fetch(
                "SELECT name, position, failed_position, failed_event_type, error FROM projection_tracking"
                " WHERE name = ANY($1)", self.names))
        except asyncpg.UndefinedTableError:
            return []

    async def refresh(self) -> None:
        """Read the tracking rows; hand on what the batches since the last look applied."""
        async with self._lock:  # read and applied in turn: an older reading never lands after a newer one
            rows = await self._tracking()
            moved = {r["name"]: r["position"] for r in rows if r["position"] > self._published.get(r["name"], 0)}
            if moved and self.publish is not None and self.wanted():
                await self._hand_on(moved)
            self._published.update(moved)
            self.positions.update({r["name"]: r["position"] for r in rows})
            await self._settle(rows)

    async def _hand_on(self, moved: dict[str, int]) -> None:
        """Read the events between the known and the new positions and give them to `publish`, a batch at a time."""
        since = {name: self._published.get(name, 0) for name in moved}
        low, high = min(since.values()), max(moved.values())
        while low < high:
            batch: list[LoggedEvent] = await self.events.read(low, BATCH, conn=None)
            batch = [e for e in batch if e.position <= high]
            if not batch:
                break
            last = batch[-1].position
            positions = {name: min(moved[name], last) for name in moved}
            await self.publish(Settled(len(batch), positions, {}, [], batch, dict(since)))
            since = {name: max(since[name], positions[name]) for name in moved}
            low = last

    async def observe(self, settled: Settled) -> None:
        """A batch this process's runner committed: hand on its events now (not when the notification comes), and,
        reading from the primary, take its positions (a replica's own tracking rows say when it has them)."""
        async with self._lock:
            since = {name: max(settled.since[name], self._published.get(name, 0)) for name in settled.since}
            fresh = Settled(settled.count, settled.positions, settled.stalled, settled.faults, settled.events, since)
            if self.publish is not None and any(settled.positions[n] > since[n] for n in since):
                await self.publish(fresh)
            for name in settled.since:
                self._published[name] = max(self._published.get(name, 0), settled.positions[name])
            if self.replica:
                return
            for name in settled.since:
                self.positions[name] = max(self.positions.get(name, 0), settled.positions[name])
            for name, fault in settled.stalled.items():
                self._stalled[name] = fault
            for name in settled.since:
                if name not in settled.stalled:
                    self._stalled.pop(name, None)
            await self._advance()

    async def _settle(self, rows: list[asyncpg.Record]) -> None:
        self._stalled = {r["name"]: Fault(r["name"], r["failed_position"], r["failed_event_type"], r["error"])
                         for r in rows if r["failed_position"] is not None}
        await self._advance()

    async def _advance(self) -> None:
        healthy = [p for name, p in self.positions.items() if name not in self._stalled]
        position = min(healthy) if healthy else self.position
        raised = position > self.position
        self.position = position
        if raised:
            async with self._advanced:
                self._advanced.notify_all()

    async def wait_for(self, position: int, timeout: float) -> bool:
        """Wait until every read model that is not stalled has processed `position` (as the read database shows
        it); False on timeout."""
        if self.position >= position:
            return True
        try:
            async with asyncio.timeout(timeout):
                delay = WAIT_POLL_FIRST_S
                while self.position < position:
                    async with self._advanced:
                        try:
                            async with asyncio.timeout(delay):
                                await self._advanced.wait_for(lambda: self.position >= position)
                        except TimeoutError:
                            pass
                    if self.position < position:
                        try:
                            await self.refresh()
                        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                            return False  # the read database is away: the request itself will say so
                        delay = min(delay * 2, WAIT_POLL_MAX_S)
            return True
        except TimeoutError:
            return False
