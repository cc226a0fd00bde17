"""Commands written once, run two ways.

A governance command is a generator: it checks, decides, and `yield`s what it needs from the
event store, a `Load` (an aggregate, or None) or a `Commit` (an aggregate's new events: their
positions come back, or the store's IntegrityError is thrown in). It does no I/O itself.

- `drive` runs it synchronously on eventsourcing's repository and recorder: the CLI, the demo
  loader, scripts, `app.record_activity(...)` called directly.
- `Commands.drive` (backend/application/gateway.py) runs it on the event loop: reads with asyncpg,
  commits through the async group-commit writer (backend/application/store.py). A command then
  never waits on a thread, which on two cores was most of what a command cost.

Both drivers use the application's mapper (so upcasting and the stored format are the
library's) and the same table and lock protocol as the library's recorder.
"""
from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from backend.domain.access import Action

T = TypeVar("T")


@dataclass(frozen=True)
class Load:
    """The aggregate of `stream_id` as stored now (None if it has no events)."""

    stream_id: UUID


@dataclass(frozen=True)
class Commit:
    """Append the aggregate's pending events; answers their positions, in order. `rows` (backend/application/store.py,
    `Row`) are run in the same transaction, after the events: both commit or neither does."""

    aggregate: Aggregate
    rows: tuple[Any, ...] = ()


Step = Load | Commit
Steps = Generator[Step, Any, T]


class Command(Generic[T]):
    """A generator method marked as a command: `app.cmd(...)` runs it synchronously, `app.cmd.steps(...)`
    gives its steps to another driver. `actions` are the rows of the permission table it is checked against
    (backend/domain/access.py); a command that changes nothing (a read) has none. tests/test_wiring.py holds
    every command against the table, the API's mutations and the access test's map."""

    def __init__(self, steps: Callable[..., Steps[T]], actions: tuple[Action, ...] = ()) -> None:
        self.steps = steps
        self.actions = actions
        self.__doc__ = steps.__doc__
        self.__name__ = steps.__name__

    def __get__(self, app: Any, owner: type | None = None) -> Any:
        if app is None:
            return self
        return BoundCommand(app, self.steps)


def command(*actions: Action) -> Callable[[Callable[..., Steps[T]]], Command[T]]:
    """`@command(Action.X)` above a command's generator method: it is a command checked against row X."""
    def mark(steps: Callable[..., Steps[T]]) -> Command[T]:
        return Command(steps, actions)
    return mark


@dataclass(frozen=True)
class BoundCommand(Generic[T]):
    app: Any
    generator: Callable[..., Steps[T]]

    def steps(self, *args: Any, **kwargs: Any) -> Steps[T]:
        return self.generator(self.app, *args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> T:
        return drive(self.app, self.steps(*args, **kwargs))


class Run(Generic[T]):
    """One command being driven: iterate over it for its steps, set `answer` to what each
    step gave (inside `answering()`, which hands a store error back to the command instead),
    and read `result` when the iteration ends."""

    def __init__(self, steps: Steps[T]) -> None:
        self.steps = steps
        self.answer: Any = None
        self.error: BaseException | None = None
        self.result: T | None = None

    def __iter__(self) -> Iterator[Step]:
        while True:
            answer, error, self.answer, self.error = self.answer, self.error, None, None
            try:
                step = self.steps.throw(error) if error is not None else self.steps.send(answer)
            except StopIteration as done:
                self.result = done.value
                return
            yield step

    @contextmanager
    def answering(self) -> Iterator[None]:
        try:
            yield
        except Exception as e:  # noqa: BLE001 - the command decides what a store error means
            self.error = e


def drive(app: Any, steps: Steps[T]) -> T:
    """Run a command's steps on the application's synchronous repository and recorder."""
    run = Run(steps)
    for step in run:
        with run.answering():
            run.answer = app.load_now(step) if isinstance(step, Load) else app.commit_now(step)
    return run.result  # type: ignore[return-value]
