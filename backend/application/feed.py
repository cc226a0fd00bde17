"""The live feed: one follower of the log per process, fanned out to every subscriber.

A subscriber starting after position N first reads the log after N (from the database or
the feed's recent-events buffer), then the live events, always by position: there is no gap
and no duplicate at the switch, because both come from the same ordered log.
"""
from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable

import asyncpg

from backend.application.follower import LogFollower
from backend.application.log import EventLog, LoggedEvent

BATCH = 500


class LiveFeed:
    def __init__(self, pool: asyncpg.Pool, events: EventLog, buffer_size: int = 10_000) -> None:
        self.pool = pool
        self.events = events
        self.head = 0  # everything up to here has been read into the buffer
        self.floor = 0  # the buffer holds every event with floor < position <= head
        self._buffer: deque[LoggedEvent] = deque()
        self._buffer_size = buffer_size
        self._changed = asyncio.Condition()
        self._follower = LogFollower(pool, "live-feed", self._read_new, events.channel)

    @property
    def listening(self) -> bool:
        """Whether the feed hears the log's notifications (else it only polls)."""
        return self._follower.listening

    async def start(self) -> None:
        self.head = self.floor = await self.events.head()
        await self._follower.start()

    async def stop(self) -> None:
        await self._follower.stop()

    async def _read_new(self) -> None:
        while batch := await self.events.read(self.head, BATCH):
            self._extend(batch)
            async with self._changed:
                self._changed.notify_all()
            if len(batch) < BATCH:
                break

    def _extend(self, batch: list[LoggedEvent]) -> None:
        self._buffer.extend(batch)
        while len(self._buffer) > self._buffer_size:
            self.floor = self._buffer.popleft().position
        self.head = batch[-1].position

    def _after(self, position: int) -> list[LoggedEvent]:
        newer = []
        for event in reversed(self._buffer):  # subscribers are mostly near the tail
            if event.position <= position:
                break
            newer.append(event)
        newer.reverse()
        return newer

    async def follow(self, after: int, wanted: Callable[[LoggedEvent], bool],
                     scope: str = "") -> AsyncIterator[LoggedEvent]:
        """Every wanted event after `after`, in log order, then live ones as they come. Events older
        than the buffer are read from the log in `scope` only (a division-code prefix `wanted` keeps to)."""
        last = after
        while True:
            if last < self.floor:  # older than the buffer: read the log itself
                batch = await self.events.read(last, BATCH, scope=scope)
                if not batch:
                    last = max(last, self.floor)
                    continue
            else:
                batch = self._after(last)
                if not batch:
                    async with self._changed:
                        await self._changed.wait_for(lambda: self.head > last)  # noqa: B023 - awaited here
                    continue
            for event in batch:
                last = event.position
                if wanted(event):
                    yield event
