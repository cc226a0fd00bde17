"""The async face of the application: commands run on the event loop, plain functions in a
bounded thread pool.

A command (backend/application/steps.py) is driven here: its loads read the stream with
asyncpg and fold it with the application's mapper, its commits go to the async group-commit
writer (backend/application/store.py). Nothing waits on a thread. Anything else (the demo
loader, `state_as_of`) runs on the synchronous application in a worker thread, so the event
loop never blocks on the library's psycopg calls.

A command whose stamp carries an idempotency key (backend/application/idempotency.py) runs once
per actor and key: a repeat answers what the key's record says (the entity folded from its
stream up to the recorded version and the recorded receipt, or the recorded refusal), and a
repeat with another fingerprint is IDEMPOTENCY_KEY_REUSED. Such a command is ended inside its
save's transaction, so that how it ended is recorded with its events.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from eventsourcing.persistence import Mapper, StoredEvent

from backend import tracing
from backend.application import personal
from backend.application.governance import Receipt
from backend.application.idempotency import IdempotencyRecords, Key, KeyedSave, KeyTaken, Record, key_of
from backend.application.log import EventLog
from backend.application.steps import BoundCommand, Load, Run, Steps
from backend.application.store import AsyncAppender
from backend.domain.errors import GongzhiError, IdempotencyKeyReused, recorded
from backend.domain.stamp import Stamp

T = TypeVar("T")


class Commands:
    def __init__(self, mapper: Mapper[Any], events: EventLog, appender: AsyncAppender, workers: int,
                 records: IdempotencyRecords | None = None) -> None:
        self.mapper = mapper
        self.events = events
        self.appender = appender
        self.records = records or IdempotencyRecords(events.pool)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="command")

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a command (or a plain function, in the thread pool) in a tracing span named `command`."""
        with tracing.span("command", command=getattr(getattr(fn, "generator", fn), "__name__", "?")):
            return await self._run(fn, *args, **kwargs)

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if isinstance(fn, BoundCommand):
            stamp = args[0] if args and isinstance(args[0], Stamp) else None
            key = key_of(fn.generator.__name__, stamp, args[1:], kwargs) if stamp else None
            if key is None:
                return await self.drive(fn.steps(*args, **kwargs))
            await self.records.prepare()
            async with self.records.running(key):
                record = await self.records.find(key)
                if record is None:
                    try:
                        return await self.drive_keyed(fn.steps(*args, **kwargs), key)
                    except KeyTaken:
                        record = await self.records.find(key)
                        if record is None:  # a record is never deleted
                            raise
                return await self.answer(record, key)  # type: ignore[no-any-return]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    async def drive(self, steps: Steps[T]) -> T:
        run = Run(steps)
        for step in run:
            with run.answering():
                run.answer = await (self.events.aggregate(step.stream_id) if isinstance(step, Load)
                                    else self.appender.append(await self.stored(step.aggregate.collect_events()),
                                                              rows=step.rows))
        return run.result  # type: ignore[return-value]

    async def stored(self, events: Sequence[Any]) -> list[StoredEvent]:
        """A commit's events as stored, their personal fields sealed with their subjects' keys (fetched, or made,
        first: the mapper does no I/O on the event loop; backend/application/personal.py)."""
        subjects = personal.subjects_to_seal(events)
        if not subjects:
            return [self.mapper.to_stored_event(e) for e in events]
        with personal.sealing(await personal.keys_for_writing(self.events.pool, subjects)):
            return [self.mapper.to_stored_event(e) for e in events]

    async def drive_keyed(self, steps: Steps[T], key: Key) -> T:
        """`drive` for a command sent with a key: its commit carries the key's record, and the command
        is ended (given its positions) while the record is made, so the record says how it ended."""
        run = Run(steps)
        ended: list[Any] = []  # what the command returned, or the refusal it raised, once its commit was made

        def conclude(at: list[int]) -> dict[str, Any]:
            try:
                run.steps.send(at)
            except StopIteration as end:
                ended.append(end.value)
                receipt = end.value if isinstance(end.value, Receipt) else end.value[1]
                return {"result": "receipt" if end.value is receipt else "pair", "entityId": receipt.entity_id}
            except GongzhiError as e:
                ended.append(e)
                return {"error": {"code": e.code, "message": e.message, "extensions": e.extensions}}
            run.steps.close()
            raise RuntimeError("a command sent with an idempotency key must end at its commit")

        for step in run:
            with run.answering():
                if isinstance(step, Load):
                    run.answer = await self.events.aggregate(step.stream_id)
                else:
                    stored = await self.stored(step.aggregate.collect_events())
                    await self.appender.append(stored, KeyedSave(key, conclude), step.rows)
            if isinstance(step, Load) or run.error is not None:
                continue  # an error is thrown into the command (an ended one raises it again)
            if isinstance(ended[0], GongzhiError):
                raise ended[0]
            return ended[0]  # type: ignore[no-any-return]
        return run.result  # type: ignore[return-value]

    async def answer(self, record: Record, key: Key) -> Any:
        """A repeat's answer: the first answer, as the key's record keeps it."""
        if record.fingerprint != key.fingerprint:
            raise IdempotencyKeyReused("this Idempotency-Key was sent before with another operation or other"
                                       " variables; use a new key for a new request", field="Idempotency-Key")
        outcome = record.outcome
        if "error" in outcome:
            raise recorded(**outcome["error"])
        receipt = Receipt(record.position, outcome["entityId"], record.version)
        if outcome["result"] == "receipt":
            return receipt
        return await self.events.aggregate(record.stream_id, record.version), receipt

    def close(self) -> None:
        self._executor.shutdown(wait=True)
