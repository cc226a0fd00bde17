"""A component's one background task: made once by `start`, cancelled and awaited by `stop`."""
from __future__ import annotations

import asyncio


class Background:
    """Subclasses write `_run` (a loop that ends only by cancellation) and call `start` and `stop`."""

    _task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=type(self).__name__)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
