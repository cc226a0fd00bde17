"""Wires the platform: database, event store, read side, projections, live feed, live read models.

A process plays one or both roles (`start(api=..., run_projections=...)`): `gongzhi serve` both
(the one-machine default), `gongzhi serve --no-projections` the API only, `gongzhi projector` the
projections only (with the checkpoints and the secret ballots' releases, which follow the log too).
Projections run under leases (backend/application/lease.py), so any number of processes may run them; an
API process knows how far they are from their tracking rows (projections/watch.py)."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass

import asyncpg
import psycopg
import structlog

from backend import config, database
from backend.application.ballots import BallotBox
from backend.application.feed import LiveFeed
from backend.application.gateway import Commands
from backend.application.governance import Gongzhi
from backend.application.idempotency import IdempotencyRecords
from backend.application.lease import Leases
from backend.application.log import EventLog
from backend.application.store import AsyncAppender
from backend.audit.log import AuditLog
from backend.audit.publish import CheckpointPublisher
from backend.audit.signing import Signer
from projections import ALL, Projection
from projections.live import LiveModels
from projections.runner import ProjectionRunner
from projections.watch import ProjectionWatch

log = structlog.get_logger("gongzhi")
STOP_TIMEOUT_S = 5.0  # what each part of the platform has to stop in
READ_POOL_SIZE = 12  # asyncpg connections for reads, projections and the feed


@dataclass
class Platform:
    settings: config.Settings
    database_url: str
    app: Gongzhi
    pool: asyncpg.Pool
    events: EventLog
    projections: ProjectionRunner
    feed: LiveFeed
    commands: Commands
    live: LiveModels  # the read models' changes, for the live subscriptions
    audit: AuditLog  # the verifiable log: leaf hashes (a trigger), signed checkpoints, proofs (backend/audit/)
    watch: ProjectionWatch  # how far the read models are, whoever runs them (read-your-writes, /readyz, live rows)
    reads: asyncpg.Pool  # where read-model queries go: GONGZHI_READ_DATABASE_URL's replica, else `pool`
    ballots: BallotBox | None = None  # P26: secret ballots' box and their releases (backend/application/ballots.py)

    async def stop(self) -> None:
        """Stop everything, each part within STOP_TIMEOUT_S: a part that hangs (a connection held
        through a database outage, say) is logged and left, and the read pool's connections are
        terminated, so that a stopping process always ends."""
        await _within("live feed", self.feed.stop())
        await _within("projection watch", self.watch.stop())
        await _within("checkpoints", self.audit.stop())
        if self.ballots is not None:
            await _within("ballot releases", self.ballots.stop())
        await _within("projection runner", self.projections.stop())
        for pool in {id(p): p for p in (self.reads, self.pool)}.values():
            if not await _within("read pool", pool.close()):
                pool.terminate()
        self.commands.close()
        await _within("event store", asyncio.to_thread(self.app.close))


async def _within(part: str, stopping: Awaitable[object]) -> bool:
    try:
        await asyncio.wait_for(stopping, STOP_TIMEOUT_S)
        return True
    except TimeoutError:
        log.warning("did not stop in time", part=part, timeout_s=STOP_TIMEOUT_S)
        return False


def database_url(settings: config.Settings) -> str:
    if settings.database_url:
        return settings.database_url
    url = database.embedded_url(settings.data_dir)
    log.info("embedded PostgreSQL", data_dir=str(settings.data_dir))
    return url


# The advisory lock under which the library makes its tables at start.
APPLICATION_LOCK = 0x676F6E6741


def open_application(url: str, pool_size: int) -> Gongzhi:
    """The eventsourcing application on `url`. The library creates its tables at construction; two servers starting
    together on a new store could run that DDL at once (PostgreSQL: "tuple concurrently updated"), so it is done
    under an advisory lock, one server at a time."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (APPLICATION_LOCK,))
        try:
            return Gongzhi(database.eventsourcing_env(url, pool_size))
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (APPLICATION_LOCK,))


async def start(settings: config.Settings | None = None, *, follow: bool = True,
                projections: Sequence[Projection] = ALL, api: bool = True, run_projections: bool = True) -> Platform:
    """Start everything; with follow=False nothing runs live (CLI use). `api`: the live feed and the watch of the
    read models that an API process serves from; `run_projections`: the projections (leased), the checkpoints
    and the ballots' releases."""
    settings = settings or config.load()
    url = await asyncio.to_thread(database_url, settings)
    app = await asyncio.to_thread(open_application, url, settings.pool_size)
    pool = await asyncpg.create_pool(**database.asyncpg_dsn(url), min_size=2, max_size=READ_POOL_SIZE,
                                     reset=database.keep_session)
    reads = pool if not settings.read_database_url else await asyncpg.create_pool(
        **database.asyncpg_dsn(settings.read_database_url), min_size=2, max_size=READ_POOL_SIZE,
        reset=database.keep_session)
    events = EventLog(pool, app.mapper, app.recorder.events_table_name, app.recorder.channel_name)
    await events.prepare()  # the events table's scope column and index, once per store
    # The leaf-hash trigger on the events table (every writer hashes in its own insert's transaction), once per store.
    audit = AuditLog(pool, app.recorder.datastore.schema, app.recorder.events_table_name,
                     Signer.load(settings.signing_key), settings.checkpoint_every, settings.checkpoint_seconds,
                     settings.checkpoint_file,
                     CheckpointPublisher(settings.nats_url, settings.checkpoint_subject) if settings.nats_url else None)
    await audit.prepare()
    records = IdempotencyRecords(pool)
    await records.prepare()  # the idempotency keys' table, once per store
    leases = Leases(database.asyncpg_dsn(url), [p.name for p in projections]) if follow and run_projections else None
    runner = ProjectionRunner(pool, events, projections, leases)
    applied = await runner.migrate()
    if applied:
        log.info("read-model migrations applied", migrations=applied)
    feed = LiveFeed(pool, events)
    live = LiveModels(pool)
    watch = ProjectionWatch(pool, reads, events, runner.names, live.publish, live.followed)
    runner.on_commit = watch.observe
    commands = Commands(app.mapper, events, AsyncAppender(pool, app.recorder), settings.pool_size * 2,
                        records)
    ballots = BallotBox(pool, events, commands.appender, app.mapper)
    await ballots.prepare()  # the secret ballots' box, once per store
    platform = Platform(settings, url, app, pool, events, runner, feed, commands, live, audit, watch, reads, ballots)
    if follow and api:
        await watch.start()
        await feed.start()
    if follow and run_projections:
        await runner.start()
        audit.start()  # a signed checkpoint every N events or T seconds
        ballots.start()  # secret ballots released in shuffled batches (P26)
    return platform
