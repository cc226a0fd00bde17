"""The async face of the application: commands run on the event loop, plain functions in a
bounded thread pool.

A command (backend/application/steps.py) is driven here: its loads read the stream with
asyncpg and fold it with the application's mapper, its commits go to the async group-commit
writer (backend/application/store.py). Nothing waits on a thread. Anything else (the demo
loader, `state_as_of`) runs on the synchronous application in a worker thread, so the event
loop never blocks on the library's psycopg calls.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable, TypeVar

from eventsourcing.persistence import Mapper

from backend.application.log import EventLog
from backend.application.steps import BoundCommand, Load, Run, Steps
from backend.application.store import AsyncAppender

T = TypeVar("T")


class Commands:
    def __init__(self, mapper: Mapper[Any], events: EventLog, appender: AsyncAppender, workers: int) -> None:
        self.mapper = mapper
        self.events = events
        self.appender = appender
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="command")

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if isinstance(fn, BoundCommand):
            return await self.drive(fn.steps(*args, **kwargs))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    async def drive(self, steps: Steps[T]) -> T:
        run = Run(steps)
        for step in run:
            with run.answering():
                run.answer = await (self.events.aggregate(step.stream_id) if isinstance(step, Load)
                                    else self.appender.append([self.mapper.to_stored_event(e)
                                                               for e in step.aggregate.collect_events()]))
        return run.result  # type: ignore[return-value]

    def close(self) -> None:
        self._executor.shutdown(wait=True)
