"""The plumbing every command shares: loading, committing, refusing. Pure steps (backend/application/steps.py),
no I/O of their own; `Gongzhi` (governance.py) and the command groups beside it build on `GovernanceApplication`."""
from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, NoReturn, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresApplicationRecorder

from backend.application import personal
from backend.application.personal import PersonalMapper
from backend.application.steps import Commit, Load, Steps, command
from backend.domain import values
from backend.domain.community import Community
from backend.domain.errors import NotFound, VersionConflict
from backend.domain.refusal import Refusal
from backend.domain.stamp import Stamp

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Receipt:
    """Where a command's last event stands in the log."""

    position: int
    entity_id: str
    version: int


def now() -> datetime:
    return datetime.now(UTC)


def acting(by: Stamp) -> Stamp:
    """The stamp of a command, its actor's id checked like any identifier (it is written into every event)."""
    values.identifier(by.actor.id, "actor")
    return by


def entity_id_of(aggregate: Aggregate) -> str:
    """Communities are named by their code; everything else by its UUID."""
    return aggregate.code if isinstance(aggregate, Community) else str(aggregate.id)


class GovernanceApplication(Application[UUID]):
    """The event store of co-governance (table gongzhi_events), with the steps every command shares."""

    env: ClassVar[dict[str, str]] = {"TRANSCODER_TOPIC": "backend.application.transcoder:OrjsonTranscoder",
                                     "MAPPER_TOPIC": "backend.application.personal:PersonalMapper"}

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._registered: set[str] = set()
        # Personal fields are sealed with a key per data subject (backend/application/personal.py): on PostgreSQL
        # the keys' table and the erasure trigger are made here, with the library's tables.
        mapper = self.mapper
        if isinstance(mapper, PersonalMapper):
            datastore = getattr(self.recorder, "datastore", None)
            if isinstance(self.recorder, PostgresApplicationRecorder) and datastore is not None:
                personal.prepare_now(datastore, self.recorder.events_table_name)
                mapper.key_now = personal.key_now(datastore)
            else:
                mapper.key_now = personal.memory_keys()

    # -- the steps' store, synchronously (steps.drive) ------------------------------------
    def load_now(self, step: Load) -> Aggregate | None:
        try:
            return self.repository.get(step.stream_id)
        except AggregateNotFoundError:
            return None

    def commit_now(self, step: Commit) -> list[int]:
        return [recording.notification.id for recording in self.save(step.aggregate)]

    # -- plumbing ---------------------------------------------------------------------
    def _get(self, cls: type[A], entity_id: UUID | str, what: str) -> Steps[A]:
        if isinstance(entity_id, str):
            entity_id = values.uuid(entity_id, what)
        aggregate = yield Load(entity_id)
        if not isinstance(aggregate, cls):
            raise NotFound(f"no {what} {entity_id}")
        return aggregate

    def _community(self, code: str) -> Steps[Community]:
        values.division_code(code)
        try:
            return (yield from self._get(Community, values.community_id(code), "community"))
        except NotFound:
            raise NotFound(f"no community {code}") from None

    @command()
    def community(self, code: str) -> Steps[Community]:
        """A community as its events leave it (a read: no action)."""
        return (yield from self._community(code))

    def _require_community(self, code: str) -> Steps[None]:
        """That the community exists. A registration is never undone, so once seen it is
        remembered: commands that only need the community to exist skip loading it."""
        if code not in self._registered:
            yield from self._community(code)
            self._registered.add(code)

    def _commit(self, aggregate: Aggregate, conflict: Exception) -> Steps[Receipt]:
        try:
            positions = yield Commit(aggregate)
        except IntegrityError:
            raise conflict from None
        return Receipt(positions[-1], entity_id_of(aggregate), aggregate.version)

    def _commit_change(self, aggregate: Aggregate) -> Steps[Receipt]:
        return (yield from self._commit(aggregate, VersionConflict(
            "another change to this entity was saved first; reload and retry")))

    def _refuse(self, refusal: Refusal, **extensions: Any) -> Generator[Any, Any, NoReturn]:
        """A rule's refusal: append the refused attempt (its own event), then raise its error, which names where
        the refusal stands in the log."""
        receipt = yield from self._commit_change(refusal)
        raise refusal.error(receipt.position, **extensions)
