"""The projection runner: follows the log and keeps every read model up to date.

Each batch is one transaction that locks the projections' tracking rows, reads the events
after them, gives each event to the projections that have not seen it, applies the statements
they made (see projections/base.py), and moves the tracking rows: a read model and its
position commit together, so a crash neither applies an event twice nor skips one, and two
runners (two servers, or a rebuild) take turns.

A projection that fails on an event stops alone. Each projection's writes go in a savepoint of
the batch; when one fails (in its handler or in the database), its events are applied again one
by one, each in a savepoint, to find the event it cannot take: its work up to just before that
event commits, its tracked position stays just before it, and the failure (position, event
type, error) is kept on its tracking row, where `gongzhi projections status` and /readyz find
it. The other projections go on. A stalled projection is tried again with backoff (1 s doubling
to 60 s; at once after a `poke()` or a restart), and its stall and its recovery are logged once
each. `position`, what read-your-writes waits for, counts the projections that are not stalled.
With `leases` (backend/application/lease.py) the runner works only on the projections whose lease this
process holds, so that several projector processes share the work and stand by for each other;
each batch that moves tracking rows NOTIFYs PROJECTED_CHANNEL at its commit, for every API process's
watch (projections/watch.py). It wakes on the log's NOTIFY and catches up from its tracked position at start. After each batch
commits, `on_commit` hears what each projection took in it (the live read models, projections/live.py).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog

from backend import tracing
from backend.application.follower import LogFollower
from backend.application.lease import Leases
from backend.application.log import EventLog, LoggedEvent
from projections.base import Handler, Projection, Writes
from projections.migrations import migrate
from projections.shadow import Shadow

BATCH = 500
REBUILD_BATCH = 2000
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0
ERROR_CHARS = 500
#: What a batch that moved tracking rows NOTIFYs at its commit (the API processes' watch, projections/watch.py).
PROJECTED_CHANNEL = "gongzhi_projected"

log = structlog.get_logger("gongzhi.projections")

#: Failures of the database or of the connection, not of a projection: the whole batch rolls back and is retried.
TRANSIENT = (OSError, asyncpg.PostgresConnectionError, asyncpg.OperatorInterventionError,
             asyncpg.TransactionRollbackError, asyncpg.InsufficientResourcesError, asyncpg.ConnectionDoesNotExistError)


def transient(error: BaseException, conn: asyncpg.Connection) -> bool:
    """Whether `error` says nothing about the event being projected (a lost connection, a deadlock, a shutdown)."""
    if conn.is_closed() or isinstance(error, TRANSIENT):
        return True
    return isinstance(error, asyncpg.InterfaceError) and not isinstance(error, asyncpg.DataError)


def one_line(error: BaseException) -> str:
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= ERROR_CHARS else text[:ERROR_CHARS - 1] + "…"


@dataclass(frozen=True)
class Fault:
    """Projection `projection` cannot take the event at `position`."""

    projection: str
    position: int
    event_type: str
    error: str

    @classmethod
    def of(cls, projection: str, event: LoggedEvent, error: BaseException) -> Fault:
        return cls(projection, event.position, event.type, one_line(error))

    def __str__(self) -> str:
        return f"projection {self.projection} failed at position {self.position} ({self.event_type}): {self.error}"


class ProjectionFailed(Exception):
    """A rebuild met an event a projection cannot take; str() is one line naming both and the error."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(str(fault))
        self.fault = fault


@dataclass
class Retry:
    """When a stalled projection is tried next, and how long it waits after that."""

    position: int
    at: float
    delay: float = RETRY_FIRST_S


@dataclass
class Settled:
    """What a batch left: events read, each projection's position, the stalled ones, and the new stalls."""

    count: int
    positions: dict[str, int]
    stalled: dict[str, Fault]
    faults: list[Fault]
    events: list[LoggedEvent] = field(default_factory=list)
    since: dict[str, int] = field(default_factory=dict)  # the positions of the projections due, before the batch

    def applied(self, name: str) -> list[LoggedEvent]:
        """The events of the batch that projection `name` took (none from a stall on), in log order."""
        if name not in self.since:
            return []
        return [e for e in self.events if self.since[name] < e.position <= self.positions[name]]


@dataclass
class Projected:
    """One projection's part of a batch: its statements, or the first event its handler failed on."""

    writes: Writes = field(default_factory=Writes)
    fault: Fault | None = None


class ProjectionRunner:
    def __init__(self, pool: asyncpg.Pool, events: EventLog, projections: Sequence[Projection],
                 leases: Leases | None = None) -> None:
        """With `leases`, only the projections it holds are run here (all of them without)."""
        self.pool = pool
        self.leases = leases
        self.events = events
        self.projections = tuple(projections)
        self.names = [p.name for p in self.projections]
        self.position = 0  # every projection that is not stalled has processed the log up to here
        self._handlers: dict[str, list[tuple[str, Handler]]] = {}
        self._failures: dict[str, Fault] = {}  # stalled projections, as their tracking rows say
        self._retries: dict[str, Retry] = {}
        self._advanced = asyncio.Condition()
        #: Told of each batch after it commits (projections/live.py); it must not wait on anyone's readers.
        self.on_commit: Callable[[Settled], Awaitable[None]] | None = None
        self._follower = LogFollower(pool, "projection-runner", self.catch_up, events.channel)
        if leases is not None:
            leases.on_gained = self._follower.poke

    @property
    def held(self) -> list[str]:
        """The projections this runner works on now: those whose lease it holds (all, without leases)."""
        if self.leases is None:
            return self.names
        held = self.leases.held
        return [name for name in self.names if name in held]

    async def migrate(self) -> list[str]:
        async with self.pool.acquire() as conn:
            return await migrate(conn, self.projections)

    @property
    def stalled(self) -> list[dict[str, Any]]:
        """The stalled projections: name, the position and type of the event they stopped at, the error."""
        return [{"name": f.projection, "position": f.position, "eventType": f.event_type, "error": f.error}
                for f in sorted(self._failures.values(), key=lambda f: f.projection)]

    @property
    def listening(self) -> bool:
        """Whether the runner hears the log's notifications (else it only polls)."""
        return self._follower.listening

    @property
    def running(self) -> bool:
        """Whether the runner follows the log in this process (`start` was called, `stop` not yet)."""
        return self._follower.running

    # -- one batch ----------------------------------------------------------------------
    async def _apply_batch(self, conn: asyncpg.Connection, limit: int = BATCH) -> Settled:
        """Inside a transaction: apply the next events for the projections due (the healthy ones, and the
        stalled ones whose retry has come)."""
        held = self.held
        if not held:
            return Settled(0, {}, {}, [])
        rows = await conn.fetch("SELECT name, position, failed_position, failed_event_type, error"
                                " FROM projection_tracking WHERE name = ANY($1) ORDER BY name FOR UPDATE", held)
        positions = {r["name"]: r["position"] for r in rows}
        stalled = {r["name"]: Fault(r["name"], r["failed_position"], r["failed_event_type"], r["error"])
                   for r in rows if r["failed_position"] is not None}
        now = time.monotonic()
        due = [name for name in positions
               if name not in stalled or name not in self._retries or self._retries[name].at <= now]
        low = min((positions[name] for name in due), default=0)
        batch = await self.events.read(low, limit, conn=conn) if due else []
        since = {name: positions[name] for name in due}
        faults: list[Fault] = []
        if batch:
            projected = self._project(batch, positions, due)
            for name in due:
                fault = await self._apply(conn, name, projected[name], batch, positions[name])
                if fault is None:
                    positions[name] = max(positions[name], batch[-1].position)
                    stalled.pop(name, None)
                else:
                    positions[name] = fault.position - 1
                    stalled[name] = fault
                    faults.append(fault)
            if healthy := [name for name in due if name not in stalled]:
                await conn.execute("UPDATE projection_tracking SET position = greatest(position, $2),"
                                   " failed_position = NULL, failed_event_type = NULL, error = NULL,"
                                   " failed_since = NULL WHERE name = ANY($1) AND (position < $2"
                                   " OR failed_position IS NOT NULL)", healthy, batch[-1].position)
            for f in faults:
                await conn.execute(
                    "UPDATE projection_tracking SET position = $2 - 1, failed_position = $2, failed_event_type = $3,"
                    " error = $4, failed_since = CASE WHEN failed_position = $2 THEN failed_since ELSE now() END"
                    " WHERE name = $1", f.projection, f.position, f.event_type, f.error)
            await conn.execute("SELECT pg_notify($1, '')", PROJECTED_CHANNEL)
        return Settled(len(batch), positions, stalled, faults, batch, since)

    def _project(self, batch: list[LoggedEvent], positions: dict[str, int] | None = None,
                 names: Sequence[str] | None = None) -> dict[str, Projected]:
        """The statements `batch` calls for, per projection (those past an event skip it); a projection
        whose handler raises stops at that event."""
        projected = {name: Projected() for name in (self.names if names is None else names)}
        for event in batch:
            for name, handler in self._handlers_for(event.type):
                part = projected.get(name)
                if part is None or part.fault is not None or (positions and positions[name] >= event.position):
                    continue
                try:
                    handler(part.writes, event)
                except Exception as e:  # noqa: BLE001 - the projection's fault, found again event by event
                    part.fault = Fault.of(name, event, e)
        return projected

    async def _apply(self, conn: asyncpg.Connection, name: str, part: Projected, batch: list[LoggedEvent],
                     after: int) -> Fault | None:
        """Apply one projection's part of a batch in a savepoint; if it fails, find (and return) the event
        it cannot take, having applied the ones before it."""
        if part.fault is None:
            if part.writes.empty:
                return None
            try:
                async with conn.transaction():
                    await part.writes.apply(conn)
                return None
            except Exception as e:
                if transient(e, conn):
                    raise
        return await self._locate(conn, name, batch, after)

    async def _locate(self, conn: asyncpg.Connection, name: str, batch: list[LoggedEvent], after: int) -> Fault | None:
        """Apply projection `name`'s events of `batch` after `after` one by one, each in a savepoint, up to
        the first it cannot take; return that one (None if all went in)."""
        for event in batch:
            handler = next((h for n, h in self._handlers_for(event.type) if n == name), None)
            if event.position <= after or handler is None:
                continue
            writes = Writes()
            try:
                handler(writes, event)
                async with conn.transaction():
                    await writes.apply(conn)
            except Exception as e:
                if transient(e, conn):
                    raise
                return Fault.of(name, event, e)
        return None

    def _handlers_for(self, event_type: str) -> list[tuple[str, Handler]]:
        handlers = self._handlers.get(event_type)
        if handlers is None:
            handlers = self._handlers[event_type] = [
                (p.name, handler) for p in self.projections if (handler := p.handler(event_type)) is not None]
        return handlers

    async def catch_up(self) -> int:
        """Apply everything in the log now (for the projections due); return how many events were read."""
        total = 0
        while True:
            with tracing.span("projection.batch", root=True) as span:
                async with self.pool.acquire() as conn, conn.transaction():
                    settled = await self._apply_batch(conn)
                if settled.events:
                    tracing.record(span, events=settled.count, first_position=settled.events[0].position,
                                   last_position=settled.events[-1].position)
            self._note(settled.faults, settled.stalled)
            healthy = [p for name, p in settled.positions.items() if name not in settled.stalled]
            await self._advance(min(healthy) if healthy else self.position)
            if settled.count and self.on_commit is not None:
                await self.on_commit(settled)
            total += settled.count
            if settled.count < BATCH:
                return total

    def _note(self, faults: list[Fault], stalled: dict[str, Fault]) -> None:
        """After a batch committed: log each new stall and each recovery once, and schedule the retries."""
        now = time.monotonic()
        for fault in faults:
            retry = self._retries.get(fault.projection)
            if retry is None or retry.position != fault.position:
                log.error("projection stalled", projection=fault.projection, position=fault.position,
                          event_type=fault.event_type, error=fault.error)
                self._retries[fault.projection] = Retry(fault.position, now + RETRY_FIRST_S)
            else:
                retry.delay = min(retry.delay * 2, RETRY_MAX_S)
                retry.at = now + retry.delay
        for name, fault in self._failures.items():
            if name not in stalled:
                log.warning("projection resumed", projection=name, position=fault.position,
                            event_type=fault.event_type)
        for name in list(self._retries):
            if name not in stalled:
                del self._retries[name]
        self._failures = dict(stalled)

    async def _advance(self, position: int) -> None:
        raised = position > self.position
        self.position = position  # may go back when a stalled projection resumes behind the others
        if raised:
            async with self._advanced:
                self._advanced.notify_all()

    async def wait_for(self, position: int, timeout: float) -> bool:
        """Wait until every read model that is not stalled has processed `position`; False on timeout."""
        if self.position >= position:
            return True
        self._follower.poke()
        try:
            async with asyncio.timeout(timeout):
                async with self._advanced:
                    await self._advanced.wait_for(lambda: self.position >= position)
            return True
        except TimeoutError:
            return False

    def poke(self) -> None:
        """Try the stalled projections again now (say, once their handler is fixed), and catch up."""
        for retry in self._retries.values():
            retry.at = 0.0
        self._follower.poke()

    # -- following the log ----------------------------------------------------------------
    async def start(self) -> None:
        if self.leases is not None:
            await self.leases.start()
        await self.catch_up()
        await self._follower.start()

    async def stop(self) -> None:
        await self._follower.stop()
        if self.leases is not None:
            await self.leases.stop()

    # -- operations ---------------------------------------------------------------------------
    async def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Replay the whole log into new copies of every read model and swap them in, in one
        transaction (projections/shadow.py): readers see the old tables until the new ones commit.
        An event a projection cannot take raises ProjectionFailed and leaves the live tables as they were.

        While PostgreSQL writes one batch, the next is read (on a second connection) and
        projected: the two halves of the work overlap instead of taking turns."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1 FROM projection_tracking WHERE name = ANY($1) FOR UPDATE", self.names)
            head = await self.events.head(conn)
            shadow = await Shadow.create(conn, [table for p in self.projections for table in p.tables])
            ahead: asyncio.Queue[tuple[list[LoggedEvent], dict[str, Projected]] | BaseException] = asyncio.Queue(
                maxsize=2)
            reading = asyncio.create_task(self._read_ahead(ahead))
            done = position = 0
            try:
                while True:
                    item = await ahead.get()
                    if isinstance(item, BaseException):
                        raise item
                    batch, projected = item
                    for name, part in projected.items():
                        if (fault := await self._apply(conn, name, part, batch, position)) is not None:
                            raise ProjectionFailed(fault)
                    position = batch[-1].position if batch else position
                    done += len(batch)
                    if progress:
                        progress(position, head)
                    if len(batch) < REBUILD_BATCH:
                        break
            finally:
                reading.cancel()
            await conn.execute("UPDATE projection_tracking SET position = $2, failed_position = NULL,"
                               " failed_event_type = NULL, error = NULL, failed_since = NULL WHERE name = ANY($1)",
                               self.names, position)
            await conn.execute("SELECT pg_notify($1, '')", PROJECTED_CHANNEL)
            await shadow.swap(conn)
        self._note([], {})
        await self._advance(position)
        return done

    async def _read_ahead(self, ahead: asyncio.Queue[tuple[list[LoggedEvent], dict[str, Projected]]
                                                     | BaseException]) -> None:
        try:
            async with self.pool.acquire() as conn:
                position = 0
                while True:
                    batch = await self.events.read(position, REBUILD_BATCH, conn=conn)
                    position = batch[-1].position if batch else position
                    await ahead.put((batch, self._project(batch)))
                    if len(batch) < REBUILD_BATCH:
                        return
        except Exception as e:  # noqa: BLE001 - the rebuild's transaction hears of it and rolls back
            await ahead.put(e)

    async def status(self) -> list[dict[str, Any]]:
        """Each projection's position, lag and state (ok, or stalled at an event with its error)."""
        async with self.pool.acquire() as conn:
            head = await self.events.head(conn)
            rows = await conn.fetch("SELECT name, position, failed_position, failed_event_type, error, failed_since"
                                    " FROM projection_tracking WHERE name = ANY($1) ORDER BY name", self.names)
        return [{"name": r["name"], "position": r["position"], "head": head, "lag": head - r["position"],
                 "state": "ok" if r["failed_position"] is None else "stalled",
                 "failedPosition": r["failed_position"], "eventType": r["failed_event_type"], "error": r["error"],
                 "failedSince": r["failed_since"]} for r in rows]
