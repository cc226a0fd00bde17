"""Idempotent commands: an actor's Idempotency-Key, recorded with the events its command appended.

A command sent with a key (the HTTP header `Idempotency-Key`, carried on the Stamp) is run at most
once per actor and key. Its record (table `gongzhi_idempotency`) is inserted by the async writer
(backend/application/store.py) in the same transaction and savepoint as the command's events, so
the events are never in the log without their key: a retry after a crash between the commit and
the answer finds the record and appends nothing. The record keeps the first answer: where the
command's last event stands (its stream, version and position) and how the command ended (its
result's shape and entity id, or the refusal it raised after appending, with its extensions).

A request with the key is told apart from another by its fingerprint: the SHA-256 of the command's
name, the actor's role and scope, and the command's arguments as canonical JSON. A record with
another fingerprint answers IDEMPOTENCY_KEY_REUSED. A command that appended nothing (refused by
its input checks, FORBIDDEN, NOT_FOUND, a version conflict) records nothing, and a repeat runs it
again. Records are kept as long as the log: they are a few hundred bytes each.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import asyncpg
from eventsourcing.persistence import StoredEvent

from backend.domain.stamp import Stamp

TABLE = "gongzhi_idempotency"
LOCK = 0x676F6E6749  # the advisory lock under which the table is made
DDL = (f"CREATE TABLE IF NOT EXISTS {TABLE} ("
       " actor_id text NOT NULL, key text NOT NULL, fingerprint text NOT NULL,"
       " stream_id uuid NOT NULL, version bigint NOT NULL, position bigint NOT NULL, outcome jsonb NOT NULL,"
       " created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (actor_id, key))")
INSERT = (f"INSERT INTO {TABLE} (actor_id, key, fingerprint, stream_id, version, position, outcome)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT DO NOTHING RETURNING true")
SELECT = f"SELECT fingerprint, stream_id, version, position, outcome FROM {TABLE} WHERE actor_id = $1 AND key = $2"


@dataclass(frozen=True)
class Key:
    """One actor's idempotency key, and the fingerprint of the command it was sent with."""

    actor_id: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Record:
    """A key's record: the first answer of the command that appended with it."""

    fingerprint: str
    stream_id: UUID
    version: int
    position: int
    outcome: dict[str, Any]  # {"result": "pair" | "receipt", "entityId": ...} or {"error": {code, message, extensions}}


@dataclass(frozen=True)
class KeyedSave:
    """A save that carries a key: `conclude(positions)` ends the command (synchronously, inside the save's
    transaction) and gives its outcome, recorded beside the events; if it raises, the save fails."""

    key: Key
    conclude: Callable[[list[int]], dict[str, Any]]

    def record(self, events: Sequence[StoredEvent], positions: list[int]) -> tuple[Any, ...]:
        """The arguments of INSERT: the key, where the save's last event stands, and the command's outcome."""
        outcome = self.conclude(positions)
        last = events[-1]
        return (self.key.actor_id, self.key.key, self.key.fingerprint, last.originator_id, last.originator_version,
                positions[-1], json.dumps(outcome, ensure_ascii=False))


class KeyTaken(Exception):
    """Another request with this actor's key committed first: this save appended nothing."""


def canonical(value: Any) -> Any:
    """A command argument as JSON: the same value always the same text."""
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return canonical(value.value)
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"a command argument of type {type(value).__name__} has no canonical form")


#: Arguments a command's fingerprint leaves out: a secret ballot's choice (P26). The record names its actor, so a
#: fingerprint over the choice would let anyone who reads the table try the three satisfactions and find it; a
#: repeat with another choice and the same key answers the first answer.
SECRET_ARGUMENTS = {"cast_evaluation": frozenset({"satisfaction", "comment"})}


def key_of(command: str, stamp: Stamp, args: Sequence[Any], kwargs: dict[str, Any]) -> Key | None:
    """The key a command is run with (None if its request sent none), with the command's fingerprint."""
    if stamp.idempotency_key is None:
        return None
    secret = SECRET_ARGUMENTS.get(command, frozenset())
    kwargs = {k: v for k, v in kwargs.items() if k not in secret}
    actor = stamp.actor
    text = json.dumps([command, actor.role.value, actor.scope, canonical(list(args)), canonical(kwargs)],
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Key(actor.id, stamp.idempotency_key, hashlib.sha256(text.encode()).hexdigest())


class IdempotencyRecords:
    """The keys' records (the table is written by store.py), and the keys being run in this process."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._running: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}
        self._prepared = False
        self._preparing = asyncio.Lock()

    async def prepare(self) -> None:
        """Make the table if it is missing: at start (backend/bootstrap.py), and before the first keyed
        command of a Commands made elsewhere; under an advisory lock, so that servers starting together
        make it once."""
        if self._prepared:
            return
        async with self._preparing:
            if not self._prepared:
                async with self.pool.acquire() as conn, conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK)
                    await conn.execute(DDL)
                self._prepared = True

    async def find(self, key: Key) -> Record | None:
        row = await self.pool.fetchrow(SELECT, key.actor_id, key.key)
        if row is None:
            return None
        return Record(row["fingerprint"], row["stream_id"], row["version"], row["position"],
                      json.loads(row["outcome"]))

    @asynccontextmanager
    async def running(self, key: Key) -> AsyncIterator[None]:
        """One command at a time per actor and key in this process: repeats that arrive together wait
        for the first and then find its record (across processes, the table's primary key decides)."""
        name = (key.actor_id, key.key)
        lock, waiting = self._running.get(name, (asyncio.Lock(), 0))
        self._running[name] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._running[name]
            if waiting == 1:
                del self._running[name]
            else:
                self._running[name] = (lock, waiting - 1)
