"""Following the log: run a step whenever it may have grown.

eventsourcing's recorder NOTIFYs on the events table's channel in every insert transaction;
one LISTEN connection wakes the step, and a one-second poll covers a missed notification.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

from backend.application.log import NOTIFY_CHANNEL

log = structlog.get_logger("gongzhi.follower")


class LogFollower:
    def __init__(self, pool: asyncpg.Pool, name: str, step: Callable[[], Awaitable[object]],
                 poll_s: float = 1.0) -> None:
        self.pool = pool
        self.name = name
        self.step = step
        self.poll_s = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None

    async def start(self) -> None:
        self._listener = await self.pool.acquire()
        await self._listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
        self._task = asyncio.create_task(self._run(), name=self.name)

    def poke(self) -> None:
        self._wake.set()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_s):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep following; the failed step rolled back
                log.exception("step failed; retrying", follower=self.name)
                await asyncio.sleep(self.poll_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.remove_listener(NOTIFY_CHANNEL, self._on_notify)
            await self.pool.release(self._listener)
            self._listener = None
