"""Personal data in the log: sealed with a key per data subject, erased by destroying the key (PIPL art. 47).

Which fields are personal is the domain's (backend/domain/personal.py, `personal(event_class)`). Here:

- **Sealing.** `PersonalMapper.to_stored_event` writes each personal field of an event as an envelope
  `{"sealed": 1, "kid": <key id>, "iv": <base64 12 bytes>, "ct": <base64 ciphertext+tag>}`: AES-256-GCM
  (`cryptography`) of the field's JSON value under the subject's current key, with the associated data
  `<stream id>/<field name>` (a ciphertext cannot be moved to another event or field). The envelope is what is
  stored, so the leaf hashes of the verifiable log (backend/audit/) cover the ciphertext, and every export of the
  stored state (`gongzhi audit export`) holds ciphertext only. Events that carry no personal field are written as
  before, byte for byte.
- **Keys.** `gongzhi_subject_keys(key_id, subject_id, key, made_at, erased_position, erased_at)`, never in the log:
  one live key per subject (a partial unique index), made on the subject's first sealed write. The async command
  path (backend/application/gateway.py) fetches the keys of a commit's events first (`keys_for_writing`) and hands
  them to the mapper (`sealing`); the synchronous path (CLI, demo loader) has the mapper fetch them itself
  (`PersonalMapper.key_now`, through the library's psycopg pool).
- **Erasure.** A row trigger on the events table (`gongzhi_erase_subject`, AFTER INSERT of a `SubjectErased`
  event) sets every key of the subject to NULL and records the erasure's position, in the appending transaction:
  the erasure and the destruction of the keys commit together or not at all, whichever writer appends it.
  A key made after it (the subject's data recorded anew) is a new key, erased by a later erasure.
- **Unsealing.** `unseal(conn, events)`, called by backend/application/log.py when it reads events (the raw log,
  the projection runner, the live feed, the exports), replaces each envelope by its plaintext, or by None (erased)
  when its key is gone: the same answer whenever the events are read again, so a rebuild of the read models gives
  the tables the live runner left. A personal field stored in the clear (events from before sealing) reads as
  None once its subject has been erased, for the same reason.
"""
from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast
from uuid import UUID, uuid4

import asyncpg
import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from backend.domain.personal import SubjectErasure, personal

TABLE = "gongzhi_subject_keys"
TRIGGER = "gongzhi_events_erasure"
FUNCTION = "gongzhi_erase_subject"
KEYS_LOCK = 0x676F6E674B  # the advisory lock under which the table and trigger are made
ERASED = None  # what an erased personal field reads as
ENVELOPE = "sealed"
#: A subject's key: its id and its 32 bytes.
SubjectKey = tuple[UUID, bytes]

#: The keys a commit's events are sealed with (subject id -> key), set by the async driver around its mapping.
SEALING: ContextVar[Mapping[str, SubjectKey] | None] = ContextVar("gongzhi_sealing", default=None)


def ddl(schema: str, events_table: str) -> list[str]:
    """The keys table, its index, the erasure trigger's function and the trigger (each safe to run again)."""
    s = f'"{schema}"'
    topic = get_topic(_erased_class())
    return [
        (f"CREATE TABLE IF NOT EXISTS {s}.{TABLE} (key_id uuid PRIMARY KEY, subject_id text NOT NULL, key bytea,"
         " made_at timestamptz NOT NULL DEFAULT now(), erased_position bigint, erased_at timestamptz)"),
        f"CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_live ON {s}.{TABLE} (subject_id) WHERE key IS NOT NULL",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_subject ON {s}.{TABLE} (subject_id)",
        (f"CREATE OR REPLACE FUNCTION {s}.{FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$"
         " DECLARE subject text := convert_from(NEW.state, 'UTF8')::jsonb ->> 'subject_id'; BEGIN"
         f" UPDATE {s}.{TABLE} SET key = NULL, erased_position = NEW.notification_id, erased_at = now()"
         "  WHERE subject_id = subject AND key IS NOT NULL;"
         f" INSERT INTO {s}.{TABLE} (key_id, subject_id, key, erased_position, erased_at)"
         "  VALUES (gen_random_uuid(), subject, NULL, NEW.notification_id, now());"
         " RETURN NULL; END $$"),
        (f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgname = '{TRIGGER}'"
         f" AND tgrelid = '{s}.\"{events_table}\"'::regclass) THEN"
         f" CREATE TRIGGER {TRIGGER} AFTER INSERT ON {s}.\"{events_table}\" FOR EACH ROW"
         f" WHEN (NEW.topic = '{topic}') EXECUTE FUNCTION {s}.{FUNCTION}(); END IF; END $$"),
    ]


def _erased_class() -> type:
    from backend.domain.catalog import own_events
    return own_events(SubjectErasure)["SubjectErased"]


#: A subject's live key, made if it has none: the INSERT's row, or the live row another writer made first (a race
#: lost to a writer that has not committed yet gives no row: asked again).
ENSURE = (f"WITH made AS (INSERT INTO {TABLE} (key_id, subject_id, key) VALUES ($1, $2, $3)"
          " ON CONFLICT (subject_id) WHERE key IS NOT NULL DO NOTHING RETURNING key_id, key)"
          f" SELECT key_id, key FROM made UNION ALL SELECT key_id, key FROM {TABLE}"
          " WHERE subject_id = $2 AND key IS NOT NULL LIMIT 1")
ENSURE_PSYCOPG = ENSURE.replace("$1", "%(kid)s").replace("$2", "%(subject)s").replace("$3", "%(key)s")
KEYS = f"SELECT key_id, key FROM {TABLE} WHERE key_id = ANY($1::uuid[])"
ERASED_SUBJECTS = f"SELECT DISTINCT subject_id FROM {TABLE} WHERE subject_id = ANY($1::text[]) AND erased_position IS NOT NULL"


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def associated(stream_id: Any, field: str) -> bytes:
    return f"{stream_id}/{field}".encode()


def seal(value: Any, key: SubjectKey, stream_id: Any, field: str) -> dict[str, Any]:
    """A personal field's value as stored: its JSON, sealed with the subject's key (see the module's docstring)."""
    iv = os.urandom(12)
    ciphertext = AESGCM(key[1]).encrypt(iv, orjson.dumps(value), associated(stream_id, field))
    return {ENVELOPE: 1, "kid": str(key[0]), "iv": base64.b64encode(iv).decode(),
            "ct": base64.b64encode(ciphertext).decode()}


def is_sealed(value: Any) -> bool:
    return type(value) is dict and value.get(ENVELOPE) == 1 and "kid" in value and "ct" in value


def open_sealed(value: dict[str, Any], key: bytes | None, stream_id: Any, field: str) -> Any:
    """The plaintext of an envelope, or ERASED when its key is gone (or the envelope does not open)."""
    if key is None:
        return ERASED
    try:
        plain = AESGCM(key).decrypt(base64.b64decode(value["iv"]), base64.b64decode(value["ct"]),
                                    associated(stream_id, field))
    except (InvalidTag, ValueError, KeyError, TypeError):
        return ERASED
    return orjson.loads(plain)


@contextmanager
def sealing(keys: Mapping[str, SubjectKey]) -> Iterator[None]:
    """Within it, the mapper seals with `keys` (subject id -> key) instead of fetching them."""
    token = SEALING.set(keys)
    try:
        yield
    finally:
        SEALING.reset(token)


class PersonalMapper(Mapper[UUID]):
    """The library's mapper, sealing the personal fields of the events it stores (see the module's docstring)."""

    #: Fetches (or makes) a subject's key synchronously, for the library's own save path; set by the application.
    key_now: Callable[[str], SubjectKey] | None = None

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        spec = personal(type(domain_event))
        if spec is None:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        subject = state[spec.subject]
        keys = SEALING.get()
        key = keys.get(subject) if keys is not None else None
        if key is None:
            if self.key_now is None:
                raise RuntimeError(f"no key to seal the personal data of {type(domain_event).__qualname__} with")
            key = self.key_now(subject)
        for field in spec.fields:
            if state.get(field) is not None:
                state[field] = seal(state[field], key, state["originator_id"], field)
        sealed = object.__new__(type(domain_event))
        object.__setattr__(sealed, "__dict__", state)
        return super().to_stored_event(sealed)


def subjects_to_seal(events: Sequence[Any]) -> list[str]:
    """The data subjects whose personal fields `events` hold (each once)."""
    found: dict[str, None] = {}
    for e in events:
        spec = personal(type(e))
        if spec is not None and any(getattr(e, f, None) is not None for f in spec.fields):
            found[getattr(e, spec.subject)] = None
    return list(found)


async def keys_for_writing(pool: asyncpg.Pool | asyncpg.Connection, subjects: Sequence[str]) -> dict[str, SubjectKey]:
    """The live key of each subject, made where it has none."""
    keys: dict[str, SubjectKey] = {}
    for subject in subjects:
        for _ in range(10):
            row = await pool.fetchrow(ENSURE, uuid4(), subject, new_key())
            if row is not None:
                keys[subject] = (row["key_id"], bytes(row["key"]))
                break
        else:
            raise RuntimeError(f"no key could be made for data subject {subject!r}")
    return keys


def key_now(datastore: Any) -> Callable[[str], SubjectKey]:
    """`PersonalMapper.key_now` on the library's PostgreSQL datastore (psycopg)."""
    def fetch(subject: str) -> SubjectKey:
        for _ in range(10):
            with datastore.transaction(commit=True) as cursor:
                cursor.execute(ENSURE_PSYCOPG, {"kid": uuid4(), "subject": subject, "key": new_key()})
                row = cursor.fetchone()
            if row is not None:
                return row["key_id"], bytes(row["key"])
        raise RuntimeError(f"no key could be made for data subject {subject!r}")
    return fetch


def memory_keys() -> Callable[[str], SubjectKey]:
    """`PersonalMapper.key_now` for an application on no database (the library's in-memory store, in tests):
    keys in the process's memory only."""
    keys: dict[str, SubjectKey] = {}

    def fetch(subject: str) -> SubjectKey:
        if subject not in keys:
            keys[subject] = (uuid4(), new_key())
        return keys[subject]
    return fetch


async def unseal(conn: asyncpg.Pool | asyncpg.Connection, events: Sequence[Any]) -> None:
    """Open the personal fields of `events` (LoggedEvents, just decoded) in place: each envelope its plaintext or
    ERASED, each field in the clear ERASED if its subject was erased. One query for the keys of a batch, none for a
    batch with no personal field."""
    found: list[tuple[Any, Any]] = []
    kids: set[str] = set()
    clear: set[str] = set()
    for e in events:
        d = e.domain_event
        spec = personal(type(d))
        if spec is None:
            continue
        found.append((d, spec))
        for field in spec.fields:
            value: Any = getattr(d, field, None)
            if is_sealed(value):
                kids.add(value["kid"])
            elif value is not None:
                clear.add(getattr(d, spec.subject))
    if not found:
        return
    keys: dict[str, bytes | None] = {}
    if kids:
        rows = await conn.fetch(KEYS, [UUID(k) for k in kids])
        keys = {str(r["key_id"]): None if r["key"] is None else bytes(r["key"]) for r in rows}
    erased = {r[0] for r in await conn.fetch(ERASED_SUBJECTS, list(clear))} if clear else set()
    for d, spec in found:
        state = vars(d)
        for field in spec.fields:
            value = state.get(field)
            if is_sealed(value):
                envelope = cast(dict[str, Any], value)
                state[field] = open_sealed(envelope, keys.get(envelope["kid"]), d.originator_id, field)
            elif value is not None and getattr(d, spec.subject) in erased:
                state[field] = ERASED


async def prepare(pool: asyncpg.Pool, schema: str, events_table: str) -> None:
    """The keys table and the erasure trigger, once per store (each statement may run again)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", KEYS_LOCK)
        for statement in ddl(schema, events_table):
            await conn.execute(statement)


def prepare_now(datastore: Any, events_table: str) -> None:
    """`prepare` through the library's psycopg pool (the application does it when it is made)."""
    with datastore.transaction(commit=True) as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (KEYS_LOCK,))
        for statement in ddl(datastore.schema, events_table):
            cursor.execute(statement)
