"""The integrators' stream: every event of the log, in log order, on a NATS JetStream stream (`gongzhi relay`).

**Subjects.** Each event is one message on

    <prefix>.<district>.<street>.<community>.<EventType>

where `<prefix>` is GONGZHI_EVENTS_SUBJECT (`gongzhi.events`), and, for the event's `communityCode` (a division code,
e.g. 320102001001), `<district>` is its first 6 digits (320102), `<street>` its first 9 (320102001) and
`<community>` all 12. A shorter code fills the levels it has and `_` for each missing one: a street's event
(an inspection cap set for 320102001, say) is `gongzhi.events.320102.320102001._.InspectionCapSet`, a district's
`gongzhi.events.320102._._.InspectionCapSet`, an event with no code (SubjectErased) `gongzhi.events._._._.SubjectErased`.
A level or type that is not ASCII letters and digits (impossible: codes are validated at the command) is logged and
written `_`, never put into a subject. So `gongzhi.events.320102.>` is one district, `gongzhi.events.*.320102001.>`
one street, `gongzhi.events.*.*.320102001001.*` one community and `gongzhi.events.*.*.*.TaskDelegated` every
TaskDelegated; a NATS account allowed `gongzhi.events.320102.>` only sees nothing outside its district.

**Messages.** The payload is the event's JSON as the GraphQL `Event` gives it to an integrator (the caller's
`render`, see backend/cli/relay.py). Headers: `Nats-Msg-Id: gongzhi-<position>` (JetStream stores a message id once
within the stream's duplicate window), `Gongzhi-Position` (the log position), `Gongzhi-Event-Type`,
`Gongzhi-Community-Code` ("" for none), and `Nats-Expected-Last-Sequence`: the stream sequence the message must
follow, so the server refuses a message that would land out of order (a publish lost in the middle of a pipelined
batch, or a second publisher) instead of storing it after a gap.

**Order and exactly once.** A batch (BATCH events of `EventLog.read`) is published pipelined (`publish_async`), each
message expecting the previous one's sequence, and the batch counts only when every ack came back, consecutive,
none a duplicate. Then the position is stored in `relay_tracking(name, position, updated_at)`, one row per stream.
On (re)connecting, the relay resumes after max(the tracked position, the `Gongzhi-Position` of the stream's last
message): a relay killed between its acks and its tracking write publishes nothing twice, even after the duplicate
window. A failed batch (an error, or no ack within ACK_TIMEOUT_S) drops the NATS connection; the next step connects
again and resumes from the stream itself.

**One active relay per stream.** The active relay holds the lease `relay:<stream>` (backend/application/lease.py:
a PostgreSQL session advisory lock on a connection of its own, with TCP keepalives); others stand by, trying every
STANDBY_POLL_S, and take over when the holder's session ends (its process killed: PostgreSQL drops the session and
its lock). Before each batch the holder checks that its lease's session still answers; if not, it stops publishing
and stands by. It follows the log with `LogFollower` (LISTEN/NOTIFY and a 1 s poll).

**Resuming by log position.** Positions grow with stream sequences (but are not equal to them: the log's positions
may skip numbers), so an integrator that kept the last position it processed finds where to start by a binary search
on the messages' `Gongzhi-Position` headers (`first_sequence_after`), and starts its consumer there
(`DeliverPolicy.BY_START_SEQUENCE`); one that kept the stream sequence starts after it directly.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
import structlog
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import PubAck, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from backend.application.follower import LogFollower
from backend.application.lease import Leases
from backend.application.log import EventLog, LoggedEvent
from backend.audit.publish import connect

log = structlog.get_logger("gongzhi.relay")

BATCH = 500  # events per read of the log and per pipelined publish
STANDBY_POLL_S = 0.5  # how often a standby tries to take the lock
ACK_TIMEOUT_S = 10.0  # a batch whose acks are not all back by then failed
LEASE_CHECK_S = 2.0  # how long the lock's session may take to answer before the lease counts as lost
TOKEN = re.compile(r"[0-9A-Za-z]+", re.ASCII)
LEVELS = (6, 9, 12)  # district, street, community: lengths of a division code's prefixes
MISSING = "_"
POSITION_HEADER = "Gongzhi-Position"
TRACKING_DDL = ("CREATE TABLE IF NOT EXISTS relay_tracking (name text PRIMARY KEY, position bigint NOT NULL,"
                " updated_at timestamptz NOT NULL DEFAULT now())")
TRACK = ("INSERT INTO relay_tracking (name, position) VALUES ($1, $2) ON CONFLICT (name)"
         " DO UPDATE SET position = excluded.position, updated_at = now()")
PREPARE_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('relay_tracking', 0))"

#: An event as its message's payload (bytes of JSON).
Render = Callable[[LoggedEvent], bytes]


def _token(value: str, what: str) -> str:
    """`value` as one subject token, or `_` (logged) when it is not ASCII letters and digits."""
    if TOKEN.fullmatch(value):
        return value
    log.error("not a subject token; written as _", value=value[:80], what=what)
    return MISSING


def subject_for(prefix: str, community_code: str | None, event_type: str) -> str:
    """`<prefix>.<district>.<street>.<community>.<EventType>` (see the module's docstring)."""
    code = community_code or ""
    levels = [_token(code[:n], "division code") if len(code) >= n else MISSING for n in LEVELS]
    return ".".join((prefix, *levels, _token(event_type, "event type")))


def message_id(position: int) -> str:
    return f"gongzhi-{position}"


def headers_for(event: LoggedEvent, expected_last_sequence: int) -> dict[str, str]:
    return {"Nats-Msg-Id": message_id(event.position), POSITION_HEADER: str(event.position),
            "Gongzhi-Event-Type": event.type, "Gongzhi-Community-Code": event.community_code or "",
            "Nats-Expected-Last-Sequence": str(expected_last_sequence)}


async def first_sequence_after(js: JetStreamContext, stream: str, position: int) -> int | None:
    """The stream sequence of the first message beyond log position `position` (a binary search on the
    `Gongzhi-Position` headers, which grow with the sequence); None when the stream has none beyond it yet."""
    info = await js.stream_info(stream)
    if not info.state.messages:
        return None
    low, high = int(info.state.first_seq), int(info.state.last_seq)

    async def at(sequence: int) -> int:
        message = await js.get_msg(stream, sequence)
        return int((message.headers or {})[POSITION_HEADER])

    if await at(high) <= position:
        return None
    while low < high:
        middle = (low + high) // 2
        if await at(middle) > position:
            high = middle
        else:
            low = middle + 1
    return low


@dataclasses.dataclass(frozen=True)
class RelaySettings:
    """Where and how the relay publishes (GONGZHI_NATS_URL, GONGZHI_EVENTS_STREAM, GONGZHI_EVENTS_SUBJECT,
    GONGZHI_EVENTS_DUPLICATE_WINDOW_SECONDS)."""

    nats_url: str
    stream: str = "GONGZHI_EVENTS"
    subject: str = "gongzhi.events"
    duplicate_window_s: int = 120
    batch: int = BATCH


class PublishFailed(Exception):
    """A batch was not acknowledged whole, in order: nothing of it counts; the stream says where to resume."""


class Relay:
    """Publishes the log to a JetStream stream (see the module's docstring). `position`: the last log position
    acknowledged by the stream; `head`: the log's last position as last seen; `lag`: the difference."""

    def __init__(self, events: EventLog, dsn: dict[str, Any], settings: RelaySettings, render: Render) -> None:
        """`dsn`: asyncpg connect() arguments for the lock's own connection (database.asyncpg_dsn)."""
        self.events, self.settings, self.render = events, settings, render
        self.lease = Leases(dsn, [f"relay:{settings.stream}"])  # driven here (acquire, check), not started
        self.role = "starting"  # standby, active, stopped
        self.position = 0
        self.head = 0
        self.problem: str | None = None  # what fails now (the database, NATS), None when all is well
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._sequence = 0  # the stream's last sequence, as this relay knows it
        self._batch_lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)

    @property
    def ready(self) -> bool:
        """Active with NATS answering, or a standby that can reach the database (so could take over)."""
        if self.role == "active":
            return self.problem is None and self._nc is not None and self._nc.is_connected
        return self.role == "standby" and self.problem is None

    def status(self) -> dict[str, Any]:
        return {"role": self.role, "ready": self.ready, "stream": self.settings.stream, "position": self.position,
                "head": self.head, "lag": self.lag, "problem": self.problem}

    async def prepare(self) -> None:
        """The tracking table, once per store (under a lock, so that relays starting together make it once)."""
        async with self.events.pool.acquire() as conn, conn.transaction():
            await conn.execute(PREPARE_LOCK)
            await conn.execute(TRACKING_DDL)

    async def start(self) -> None:
        await self.prepare()
        self._task = asyncio.create_task(self._run(), name=f"relay-{self.settings.stream}")

    async def stop(self) -> None:
        """Stop: the batch in flight is finished and its position stored, then the lock is let go."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def wait(self) -> None:
        """Until the relay has stopped (or its task failed, which is raised)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    # -- standby and takeover ------------------------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                if not await self._stand_by():
                    break
                try:
                    await self._lead()
                except Exception as e:  # noqa: BLE001 - the database or NATS away at takeover: stand by, try again
                    self._failing("the active relay failed; standing by", e)
                    await self.lease.stop()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), STANDBY_POLL_S)
        finally:
            await self._close_nats()
            await self.lease.stop()
            self.role = "stopped"

    async def _stand_by(self) -> bool:
        """Try the lock every STANDBY_POLL_S until it is ours (True) or the relay stops (False)."""
        self.role = "standby"
        while not self._stopping.is_set():
            try:
                if await self.lease.acquire() or self.lease.held:
                    return True
                await self._observe()
                self._healthy()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as e:
                self._failing("standby cannot reach the database", e)
                await self.lease.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), STANDBY_POLL_S)
        return False

    async def _observe(self) -> None:
        """A standby's view of the active relay: its tracked position and the log's head."""
        tracked = await self.events.pool.fetchval("SELECT position FROM relay_tracking WHERE name = $1",
                                                  self.settings.stream)
        self.position, self.head = int(tracked or 0), await self.events.head()

    async def _lead(self) -> None:
        self.role = "active"
        self._lost.clear()
        log.info("relay lease taken; publishing", stream=self.settings.stream)
        follower = LogFollower(self.events.pool, f"relay-{self.settings.stream}", self._step, self.events.channel)
        try:
            await follower.start()
            follower.poke()
            stopping = asyncio.create_task(self._stopping.wait())
            lost = asyncio.create_task(self._lost.wait())
            try:
                await asyncio.wait({stopping, lost}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                lost.cancel()
        finally:
            async with self._batch_lock:  # the batch in flight ends (and is tracked) first
                await follower.stop()
            await self._close_nats()
        if self._lost.is_set() and not self._stopping.is_set():
            log.warning("relay lease lost; standing by", stream=self.settings.stream, position=self.position)
            await self.lease.stop()

    # -- publishing ----------------------------------------------------------------------------------------------
    async def _step(self) -> None:
        """Publish what the log has after `position`, batch by batch, while this relay holds the lease."""
        try:
            self.head = max(self.head, await self.events.head())
            while True:
                async with self._batch_lock:
                    if self._stopping.is_set() or self._lost.is_set():
                        return
                    if not await self.lease.check(LEASE_CHECK_S):
                        self._lost.set()
                        return
                    js = await self._jetstream()
                    batch = await self.events.read(self.position, self.settings.batch)
                    if batch:
                        await self._publish(js, batch)
                        await self.events.pool.execute(TRACK, self.settings.stream, self.position)
                self._healthy()
                if len(batch) < self.settings.batch:
                    return
        except Exception as e:
            self._failing("publishing failed", e)
            raise

    async def _publish(self, js: JetStreamContext, batch: Sequence[LoggedEvent]) -> None:
        prefix, first = self.settings.subject, self._sequence
        futures: list[asyncio.Future[PubAck]] = []
        try:
            for i, e in enumerate(batch):
                futures.append(await js.publish_async(subject_for(prefix, e.community_code, e.type), self.render(e),
                                                      headers=headers_for(e, first + i)))
            # nats-py 2.16 leaves the future of an error reply pending (nats-io/nats.py#985): bounded in time.
            acks = await asyncio.wait_for(asyncio.gather(*futures), ACK_TIMEOUT_S)
        except (NatsError, TimeoutError, OSError) as e:
            for future in futures:
                future.cancel()
            await self._close_nats()  # the next step connects again and resumes from the stream's last message
            raise PublishFailed(f"batch after position {self.position} not acknowledged whole: {e!r}") from e
        if any(a.duplicate or a.stream != self.settings.stream for a in acks) or \
                [a.seq for a in acks] != list(range(first + 1, first + 1 + len(acks))):
            await self._close_nats()
            raise PublishFailed(f"batch after position {self.position}: acks out of order or duplicate")
        self._sequence, self.position = acks[-1].seq, batch[-1].position
        self.head = max(self.head, self.position)

    async def _jetstream(self) -> JetStreamContext:
        """The connection to JetStream, made when there is none: the stream made or updated, and the position
        to resume after taken from the stream's last message and the tracking row."""
        if self._js is not None and self._nc is not None and self._nc.is_connected:
            return self._js
        await self._close_nats()
        self._nc = await connect(self.settings.nats_url, name=f"gongzhi-relay-{self.settings.stream}")
        self._js = self._nc.jetstream()
        await self._ensure_stream(self._js)
        await self._resume(self._js)
        return self._js

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        """The stream with our subjects and duplicate window; its other settings (limits, replicas) as they are."""
        subjects, window = [f"{self.settings.subject}.>"], float(self.settings.duplicate_window_s)
        try:
            info = await js.stream_info(self.settings.stream)
        except NotFoundError:
            await js.add_stream(StreamConfig(name=self.settings.stream, subjects=subjects, duplicate_window=window,
                                             retention=RetentionPolicy.LIMITS, storage=StorageType.FILE))
            log.info("stream made", stream=self.settings.stream, subjects=subjects, duplicate_window_s=window)
            return
        if info.config.subjects != subjects or info.config.duplicate_window != window:
            await js.update_stream(dataclasses.replace(info.config, subjects=subjects, duplicate_window=window))
            log.info("stream updated", stream=self.settings.stream, subjects=subjects, duplicate_window_s=window)

    async def _resume(self, js: JetStreamContext) -> None:
        info = await js.stream_info(self.settings.stream)
        self._sequence = last = int(info.state.last_seq or 0)
        published = 0
        if info.state.messages:
            try:
                message = await js.get_msg(self.settings.stream, last)
            except NotFoundError:  # removed by the stream's limits: only the tracking row says
                message = None
            if message is not None:
                value = (message.headers or {}).get(POSITION_HEADER)
                if value is None or not str(value).isdigit():
                    raise PublishFailed(f"the last message of {self.settings.stream} (sequence {last}) has no"
                                        f" {POSITION_HEADER}: something other than the relay publishes into it")
                published = int(value)
        tracked = int(await self.events.pool.fetchval("SELECT position FROM relay_tracking WHERE name = $1",
                                                      self.settings.stream) or 0)
        self.position = max(tracked, published)
        self.head = max(self.head, await self.events.head())
        if self.position > self.head:
            log.warning("the stream is ahead of the log (another store's relay on this stream?)",
                        stream=self.settings.stream, position=self.position, head=self.head)
        if tracked > published and not info.state.messages:
            log.warning("the stream is empty but the tracked position is not: not published again (delete the"
                        " relay_tracking row to publish from the start)", stream=self.settings.stream,
                        tracked=tracked)
        log.info("relay resumes", stream=self.settings.stream, after=self.position, tracked=tracked,
                 stream_last=published, sequence=last)

    async def _close_nats(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):  # a connection already lost
                await asyncio.wait_for(nc.close(), ACK_TIMEOUT_S)

    def _failing(self, what: str, error: BaseException) -> None:
        if self.problem is None:
            log.warning(what, stream=self.settings.stream, error=repr(error))
        self.problem = f"{what}: {error!r}"[:500]

    def _healthy(self) -> None:
        if self.problem is not None:
            log.warning("relay healthy again", stream=self.settings.stream)
        self.problem = None
