"""Live read models: the rows a committed batch changed, handed to this process's subscribers.

After the projection runner commits a batch, it hands over what each projection applied in it
(`Settled.applied`: a stalled projection's events from its stall on are not among them). For each
read model that a screen follows live (`LIVE_MODELS`: a committee's inbox of tasks, a community's
activities and organizations), the rows those events changed are read in one query by id, after
the commit, so a subscriber gets what a query would then return, and offered, in log order, to
every subscriber of that read model whose scope (a division-code prefix) covers the row's community.

A subscriber never holds the runner: offering a row only files it among the subscriber's unsent
rows, by id, where a later state of a row replaces an unsent earlier one. A subscriber that lets
more than `limit` different rows pile up, or whose rows could not be read (the database away for
more than about 6 s after the batch committed: a shorter loss, a restart, is read again), is dropped
with UNAVAILABLE: it subscribes again and queries what changed meanwhile.
"""
from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
import structlog

from backend.domain.errors import Unavailable

if TYPE_CHECKING:
    from projections.runner import Settled

#: Unsent rows a subscriber may hold (different ids; a later state of a row takes its earlier one's place).
PENDING_LIMIT = 1000

log = structlog.get_logger("gongzhi.live")

#: A changed rows' read that fails for want of the database is tried again after 0.1 s, doubling, up to 3.2 s (6.3 s
#: in all: a PostgreSQL restart), before its subscribers are dropped; the runner waits meanwhile, as it must anyway.
READ_RETRY_FIRST_S = 0.1
READ_RETRY_LAST_S = 3.2
LOST = (OSError, asyncpg.PostgresConnectionError, asyncpg.OperatorInterventionError, asyncpg.InterfaceError,
        asyncpg.InternalClientError)


@dataclass(frozen=True)
class LiveModel:
    """A read model a screen follows live: `table`, kept by projection `projection`, with one row per
    entity (keyed `id`, the entity's id, with its `community_code`), changed by events of `events`."""

    projection: str
    table: str
    events: frozenset[str]


LIVE_MODELS = (
    LiveModel("tasks", "tasks", frozenset({"TaskDelegated", "TaskAccepted", "TaskDeclined", "TaskCompleted"})),
    LiveModel("activities", "activities", frozenset({"ActivityHeld"})),
    LiveModel("organizations", "organizations", frozenset({"OrganizationRegistered"})),
)


class Subscriber:
    """One subscription to a live read model within a scope: its unsent rows, oldest change first."""

    def __init__(self, table: str, prefix: str, limit: int = PENDING_LIMIT) -> None:
        self.table = table
        self.prefix = prefix
        self.limit = limit
        self.dropped: str | None = None  # why it was dropped, once it is
        self._pending: OrderedDict[Any, asyncpg.Record] = OrderedDict()
        self._ready = asyncio.Event()

    def offer(self, row: asyncpg.Record) -> None:
        """File a changed row to be sent (in its scope's or not: the caller checks); never waits."""
        if self.dropped:
            return
        self._pending.pop(row["id"], None)  # an unsent earlier state of the row: the later one goes in its place,
        self._pending[row["id"]] = row      # at the back, in log order
        if len(self._pending) > self.limit:
            self.drop(f"more than {self.limit} changes were waiting to be sent")
        self._ready.set()

    def drop(self, reason: str) -> None:
        self.dropped = reason
        self._pending.clear()
        self._ready.set()

    async def rows(self) -> AsyncIterator[asyncpg.Record]:
        """The changed rows as they come; raises Unavailable once the subscriber is dropped."""
        while True:
            if self.dropped:
                raise Unavailable(f"live updates stopped ({self.dropped}); subscribe again and query the current state")
            if self._pending:
                yield self._pending.popitem(last=False)[1]
                continue
            self._ready.clear()
            await self._ready.wait()


class LiveModels:
    """The live read models of this process: its subscribers, and what each committed batch changed."""

    def __init__(self, pool: asyncpg.Pool, models: Sequence[LiveModel] = LIVE_MODELS) -> None:
        self.pool = pool
        self.models = tuple(models)
        # Held by their subscriptions' generators only: a subscription that goes away takes its subscriber along.
        self._subscribers: weakref.WeakSet[Subscriber] = weakref.WeakSet()

    def followed(self) -> bool:
        """Whether any subscriber follows a live read model now (if none, a batch's changes need not be read)."""
        return any(not s.dropped for s in self._subscribers)

    @property
    def count(self) -> int:
        """The subscribers held now (dropped ones not counted): /metrics' gongzhi_live_subscriptions."""
        return sum(1 for s in self._subscribers if not s.dropped)

    def subscribe(self, table: str, prefix: str, limit: int = PENDING_LIMIT) -> Subscriber:
        """A subscriber to `table`'s changes in communities under `prefix`, from now on."""
        if table not in {m.table for m in self.models}:
            raise ValueError(f"{table} is not a live read model")
        subscriber = Subscriber(table, prefix, limit)
        self._subscribers.add(subscriber)
        return subscriber

    async def _read(self, table: str, ids: list[Any]) -> list[asyncpg.Record]:
        """The rows of `ids`, read again (on another connection) while the database is briefly away: a
        PostgreSQL restart right after the batch committed, a pooled connection that died with it."""
        delay = READ_RETRY_FIRST_S
        while True:
            try:
                return await self.pool.fetch(f"SELECT * FROM {table} WHERE id = ANY($1)", ids)
            except LOST as e:
                if delay > READ_RETRY_LAST_S:
                    raise
                log.debug("live read model not read; retrying", table=table, error=repr(e), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay *= 2

    async def publish(self, settled: Settled) -> None:
        """After a batch committed: offer each live read model's changed rows to its subscribers."""
        for model in self.models:
            subscribers = [s for s in self._subscribers if s.table == model.table and not s.dropped]
            if not subscribers:
                continue
            scopes = tuple({s.prefix for s in subscribers})
            changed: dict[Any, None] = {}  # entity ids in some subscriber's scope, ordered by their last event
            for e in settled.applied(model.projection):
                if e.type in model.events and e.community_code.startswith(scopes):
                    changed.pop(e.domain_event.originator_id, None)
                    changed[e.domain_event.originator_id] = None
            if not changed:
                continue
            try:
                rows = await self._read(model.table, list(changed))
            except Exception as e:  # noqa: BLE001 - the runner goes on; these subscribers know they missed something
                log.warning("live read model not read", table=model.table, error=str(e))
                for s in subscribers:
                    s.drop(f"the {model.table} read model could not be read")
                continue
            by_id = {row["id"]: row for row in rows}
            for entity_id in changed:
                row = by_id.get(entity_id)
                if row is None:
                    continue
                for s in subscribers:
                    if row["community_code"].startswith(s.prefix):
                        s.offer(row)
