"""Following the log: run a step whenever it may have grown.

eventsourcing's recorder NOTIFYs on the events table's channel in every insert transaction;
one LISTEN connection wakes the step, and a one-second poll covers a missed notification.
When the LISTEN connection is lost (its backend terminated, PostgreSQL restarted), the follower
notices (asyncpg's termination listener, and a check at every poll), logs it once, lets the
dead connection go, connects again with backoff (0.1 s doubling to 2 s), LISTENs again, logs the
recovery once and runs the step at once to catch up. A step that fails (the database away) is
retried at every poll, logged when it starts failing and when it succeeds again, not at each try.
`listening` says whether it hears notifications now.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

log = structlog.get_logger("gongzhi.follower")

RECONNECT_FIRST_S = 0.1
RECONNECT_MAX_S = 2.0  # so that, PostgreSQL back, the LISTEN is back within about this long
CONNECT_TIMEOUT_S = 10.0


def alive(conn: asyncpg.Connection) -> bool:
    """Whether a pooled connection is open (asyncpg hands a closed one back to its pool at once)."""
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:  # released back to the pool
        return False


class LogFollower:
    def __init__(self, pool: asyncpg.Pool, name: str, step: Callable[[], Awaitable[object]], channel: str,
                 poll_s: float = 1.0) -> None:
        """`channel`: what the log's inserts NOTIFY (EventLog.channel, the recorder's name for it)."""
        self.pool = pool
        self.channel = channel
        self.name = name
        self.step = step
        self.poll_s = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._restoring: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None

    @property
    def listening(self) -> bool:
        """Whether a live connection LISTENs for the log's notifications."""
        return self._listener is not None and alive(self._listener)

    @property
    def running(self) -> bool:
        """Whether it follows the log now (started, not stopped)."""
        return self._task is not None

    async def start(self) -> None:
        await self._listen()
        self._task = asyncio.create_task(self._run(), name=self.name)

    def poke(self) -> None:
        self._wake.set()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    def _on_terminated(self, *_: object) -> None:
        asyncio.get_running_loop().call_soon(self._check)

    async def _listen(self) -> None:
        conn = await self.pool.acquire()
        try:
            conn.add_termination_listener(self._on_terminated)
            await conn.add_listener(self.channel, self._on_notify)
        except BaseException:
            await self._drop(conn)
            raise
        self._listener = conn

    async def _drop(self, conn: asyncpg.Connection) -> None:
        """Stop listening on `conn` and give it back to the pool (a dead one the pool took back already)."""
        if not alive(conn):
            return
        with contextlib.suppress(Exception):
            conn.remove_termination_listener(self._on_terminated)
            await conn.remove_listener(self.channel, self._on_notify)
        with contextlib.suppress(Exception):
            await self.pool.release(conn, timeout=CONNECT_TIMEOUT_S)

    def _check(self) -> None:
        """If the LISTEN connection is gone, start restoring it (once)."""
        if self._listener is None or alive(self._listener) or self._task is None:
            return
        if self._restoring is None or self._restoring.done():
            log.warning("LISTEN connection lost; reconnecting", follower=self.name)
            self._restoring = asyncio.create_task(self._restore(), name=f"{self.name}-listen")

    async def _restore(self) -> None:
        dead, self._listener = self._listener, None
        if dead is not None:
            await self._drop(dead)
        loop = asyncio.get_running_loop()
        lost_at, delay = loop.time(), RECONNECT_FIRST_S
        while True:
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    await self._listen()
                break
            except Exception as e:  # noqa: BLE001 - PostgreSQL may be down for a while; keep trying
                log.debug("LISTEN reconnection failed", follower=self.name, error=repr(e), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
        log.warning("LISTEN connection restored", follower=self.name, down_s=round(loop.time() - lost_at, 3))
        self._wake.set()  # catch up on what was missed at once

    async def _run(self) -> None:
        failing_since: float | None = None  # while the step fails (the database away, say): logged once, not each poll
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_s):
                    await self._wake.wait()
            self._wake.clear()
            self._check()
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if failing_since is None:
                    log.exception("step failed; retrying", follower=self.name)
                    failing_since = loop.time()
                else:
                    log.debug("step failed again", follower=self.name, error=repr(e))
                await asyncio.sleep(self.poll_s)
            else:
                if failing_since is not None:
                    log.warning("step succeeded again", follower=self.name,
                                failed_s=round(loop.time() - failing_since, 3))
                    failing_since = None

    async def stop(self) -> None:
        for task in (self._task, self._restoring):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._restoring = None
        if self._listener is not None:
            await self._drop(self._listener)
            self._listener = None
