"""The live feed: one follower of the log per process, fanned out to every subscriber.

A subscriber starting after position N first reads the log after N (from the database or
the feed's recent-events buffer), then the live events, always by position: there is no gap
and no duplicate at the switch, because both come from the same ordered log.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable

import asyncpg
import structlog

from backend.application.log import NOTIFY_CHANNEL, EventLog, LoggedEvent

log = structlog.get_logger("gongzhi.feed")
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
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None

    async def start(self) -> None:
        self._listener = await self.pool.acquire()
        await self._listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
        self.head = self.floor = await self.events.head()
        self._task = asyncio.create_task(self._follow(), name="live-feed")

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _follow(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._wake.wait()
            self._wake.clear()
            try:
                while batch := await self.events.read(self.head, BATCH):
                    self._extend(batch)
                    async with self._changed:
                        self._changed.notify_all()
                    if len(batch) < BATCH:
                        break
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep following
                log.exception("live feed read failed; retrying")
                await asyncio.sleep(1.0)

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

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.remove_listener(NOTIFY_CHANNEL, self._on_notify)
            await self.pool.release(self._listener)
            self._listener = None

    async def follow(self, after: int, wanted: Callable[[LoggedEvent], bool]) -> AsyncIterator[LoggedEvent]:
        """Every wanted event after `after`, in log order, then live ones as they come."""
        last = after
        while True:
            if last < self.floor:  # older than the buffer: read the log itself
                batch = await self.events.read(last, BATCH)
                if not batch:
                    last = max(last, self.floor)
                    continue
            else:
                batch = self._after(last)
                if not batch:
                    async with self._changed:
                        await self._changed.wait_for(lambda: self.head > last)
                    continue
            for event in batch:
                last = event.position
                if wanted(event):
                    yield event
