"""The tamper-evident log in PostgreSQL (after RFC 6962): leaf hashes, tiles, signed checkpoints, proofs, and the
check of the stored events against all of them. The encoding and the tree are backend/audit/verifier.py's.

Tables (made at start by `AuditLog.prepare`, once per store, under an advisory lock):

- `gongzhi_leaves(idx, position, leaf)`: one leaf hash per event, `idx` its dense 0-based index in the tree. It is
  written by a statement-level trigger on the events table (`gongzhi_hash_events`, AFTER INSERT, over the
  statement's transition table), so every writer (store.py's group commit, eventsourcing's own recorder used by the
  CLI and the demo loader, anything else) hashes in the same transaction as its insert and no event is committed
  unhashed. Writers hold the events table's EXCLUSIVE lock (the library's rule), so indices follow positions.
  The trigger computes the leaf with PostgreSQL's built-in `sha256(bytea)` over the canonical bytes.
  On a store that had events before, the existing events are hashed once, when the table is made.
- `gongzhi_tiles(tile, hash)`: the MTH of each complete, aligned run of TILE leaves, filled on demand (a cache: a
  root or a proof reads n/TILE tile hashes and at most a few tiles' leaves). Not trusted by any check.
- `gongzhi_checkpoints(tree_size, root, issued_at, signature, key_id)`: signed checkpoints, made from the stored
  leaves every `checkpoint_every` events or `checkpoint_seconds` seconds by the server (`run`), and appended as JSON
  lines to `checkpoint_file` when one is set, and published on a NATS JetStream subject when `GONGZHI_NATS_URL` is
  set (backend/audit/publish.py), so that a copy lives where the database's writers cannot reach.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import nats.errors
import structlog

from backend.application.background import Background
from backend.audit.publish import CheckpointPublisher
from backend.audit.signing import Signer
from backend.audit.tree import TILE, Tree, tile_hash
from backend.audit.verifier import Frontier, event_leaf, public_key, signed
from backend.domain.errors import InvalidInput, NotFound

log = structlog.get_logger("gongzhi.audit")
AUDIT_LOCK = 0x676F6E6755  # the advisory lock under which the tables and trigger are made (and the backfill run)
CHECKPOINT_LOCK = 0x676F6E6743  # one checkpoint at a time, across servers
TRIGGER = "gongzhi_events_leaves"
FUNCTION = "gongzhi_hash_events"
PAGE = 5_000  # events checked per read
MAX_VERIFY_SPAN = 200_000  # positions one verifyAuditChain request may check (the CLI checks any span)

# The leaf of an events-table row `e`: SHA-256(0x00 || canonical bytes), as verifier.event_leaf computes it.
LEAF_SQL = ("sha256('\\x00'::bytea || int8send(e.notification_id) || uuid_send(e.originator_id)"
            " || int8send(e.originator_version) || int4send(octet_length(convert_to(e.topic, 'UTF8')))"
            " || convert_to(e.topic, 'UTF8') || sha256(e.state))")


def ddl(schema: str, events: str) -> tuple[list[str], str]:
    """The tables, the trigger's function and the trigger; and the backfill of a store's existing events."""
    s = f'"{schema}"'
    tables = [
        (f"CREATE TABLE {s}.gongzhi_leaves (idx bigint PRIMARY KEY, position bigint NOT NULL UNIQUE,"
        " leaf bytea NOT NULL)"),
        f"CREATE TABLE {s}.gongzhi_tiles (tile bigint PRIMARY KEY, hash bytea NOT NULL)",
        (f"CREATE TABLE {s}.gongzhi_checkpoints (tree_size bigint PRIMARY KEY, root bytea NOT NULL,"
        " issued_at text NOT NULL, signature text NOT NULL, key_id text NOT NULL)"),
        (f"CREATE OR REPLACE FUNCTION {s}.{FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" INSERT INTO {s}.gongzhi_leaves (idx, position, leaf)"
        f" SELECT (SELECT coalesce(max(idx) + 1, 0) FROM {s}.gongzhi_leaves)"
        f" + row_number() OVER (ORDER BY e.notification_id) - 1, e.notification_id, {LEAF_SQL}"
        " FROM gongzhi_new_events e; RETURN NULL; END $$"),
    ]
    trigger = (f'CREATE TRIGGER {TRIGGER} AFTER INSERT ON {s}."{events}" REFERENCING NEW TABLE AS gongzhi_new_events'
               f" FOR EACH STATEMENT EXECUTE FUNCTION {s}.{FUNCTION}()")
    backfill = (f"INSERT INTO {s}.gongzhi_leaves (idx, position, leaf) SELECT row_number() OVER"
                f" (ORDER BY e.notification_id) - 1, e.notification_id, {LEAF_SQL} FROM {s}.\"{events}\" e")
    return [*tables, trigger], backfill


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root: bytes
    timestamp: str
    signature: str
    key_id: str

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Checkpoint:
        return cls(row["tree_size"], bytes(row["root"]), row["issued_at"], row["signature"], row["key_id"])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        """A checkpoint as `as_json` writes it (a line of GONGZHI_CHECKPOINT_FILE, a message of the NATS stream);
        INVALID_INPUT if it is not one."""
        try:
            return cls(int(data["treeSize"]), bytes.fromhex(data["rootHash"]), str(data["timestamp"]),
                       str(data["signature"]), str(data["keyId"]))
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidInput(f"not a checkpoint: {e}") from None

    def as_json(self) -> dict[str, Any]:
        return {"treeSize": self.tree_size, "rootHash": self.root.hex(), "timestamp": self.timestamp,
                "signature": self.signature, "keyId": self.key_id}


@dataclass
class Problem:
    position: int
    message: str


class AuditLog(Background):
    def __init__(self, pool: asyncpg.Pool, schema: str, events_table: str, signer: Signer | None,
                 every: int = 1_000, seconds: int = 60, file: Path | None = None,
                 publisher: CheckpointPublisher | None = None) -> None:
        self.pool, self.signer = pool, signer
        self.schema, self.events_table = schema, events_table
        self.events = f'"{schema}"."{events_table}"'
        self.every, self.seconds, self.file = every, seconds, file
        self.publisher = publisher  # a copy of each checkpoint on a NATS subject (backend/audit/publish.py)

    # -- setup ---------------------------------------------------------------------------------------
    async def prepare(self) -> None:
        """The tables and the trigger, once per store; on a store with events, their leaves (the backfill), in
        the same transaction, under the events table's lock, so that no event is left between them."""
        statements, backfill = ddl(self.schema, self.events_table)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", AUDIT_LOCK)
            exists, trigger = await conn.fetchrow(
                "SELECT to_regclass($1) IS NOT NULL, EXISTS (SELECT FROM pg_trigger WHERE tgname = $2"
                " AND tgrelid = to_regclass($3))", f'"{self.schema}".gongzhi_leaves', TRIGGER, self.events)
            if exists and trigger:
                return
            await conn.execute(f"LOCK TABLE {self.events} IN EXCLUSIVE MODE")
            if not exists:
                for statement in statements:
                    await conn.execute(statement)
                count = await conn.execute(backfill)
                log.info("the log's leaf hashes made", events=int(count.split()[-1]))
            else:  # someone dropped the trigger: put it back; events appended meanwhile stay unhashed (and reported)
                await conn.execute(statements[3])
                await conn.execute(statements[4])
                log.warning("the leaf-hash trigger was missing and is made again; events appended without it are"
                            " reported by `gongzhi audit verify`")

    # -- the tree ------------------------------------------------------------------------------------
    async def size(self, conn: asyncpg.Connection | None = None) -> int:
        n: int = await (conn or self.pool).fetchval("SELECT coalesce(max(idx) + 1, 0) FROM gongzhi_leaves")
        return n

    async def tree(self, conn: asyncpg.Connection, n: int, around: tuple[int, ...] = ()) -> Tree:
        """A Tree able to give any root or proof of a tree of n leaves touching the leaves `around`: the tiles
        below n (cached now where missing), the leaves after the last whole tile, and those of the tiles around."""
        whole = n // TILE
        have: int = await conn.fetchval("SELECT coalesce(max(tile) + 1, 0) FROM gongzhi_tiles")
        if have < whole:
            rows = await conn.fetch("SELECT leaf FROM gongzhi_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                                    have * TILE, whole * TILE)
            run = [bytes(r[0]) for r in rows]
            made = [(have + i, tile_hash(run[i * TILE:(i + 1) * TILE])) for i in range(len(run) // TILE)]
            try:
                async with conn.transaction():  # a savepoint: a reader's read-only transaction caches nothing
                    await conn.executemany("INSERT INTO gongzhi_tiles (tile, hash) VALUES ($1, $2) "
                                           "ON CONFLICT DO NOTHING", made)
            except asyncpg.ReadOnlySQLTransactionError:
                pass  # the tiles made here are used all the same, and cached by the next writer
        else:
            made = []
        tiles = {r[0]: bytes(r[1]) for r in await conn.fetch(
            "SELECT tile, hash FROM gongzhi_tiles WHERE tile < $1", whole)}
        tiles = {**dict(made), **tiles}
        leaves: dict[int, bytes] = {}
        for t in sorted({whole} | {i // TILE for i in around}):  # by index ranges (the primary key's order)
            rows = await conn.fetch("SELECT idx, leaf FROM gongzhi_leaves WHERE idx >= $1 AND idx < $2",
                                    t * TILE, min(n, (t + 1) * TILE))
            leaves.update((r[0], bytes(r[1])) for r in rows)
        return Tree(leaves, tiles)

    async def index_of(self, conn: asyncpg.Connection, position: int) -> int:
        index = await conn.fetchval("SELECT idx FROM gongzhi_leaves WHERE position = $1", position)
        if index is None:
            raise NotFound(f"no event at position {position} in the log")
        return int(index)

    # -- checkpoints ---------------------------------------------------------------------------------
    async def checkpoint(self) -> Checkpoint | None:
        """A signed checkpoint of the log as it is now (the latest, if nothing was appended since); None when
        there is no key or no event."""
        if self.signer is None:
            return await self.latest()
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", CHECKPOINT_LOCK)
            n = await self.size(conn)
            latest = await self.latest(conn)
            if n == 0 or (latest is not None and latest.tree_size >= n):
                return latest
            root = (await self.tree(conn, n)).root(n)
            stamp = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
            made = Checkpoint(n, root, stamp, self.signer.sign(n, root.hex(), stamp), self.signer.key_id)
            await conn.execute("INSERT INTO gongzhi_checkpoints (tree_size, root, issued_at, signature, key_id)"
                               " VALUES ($1, $2, $3, $4, $5)", n, root, stamp, made.signature, made.key_id)
        if self.file is not None:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            with self.file.open("a", encoding="utf-8") as f:
                f.write(json.dumps(made.as_json()) + "\n")
        return made

    async def latest(self, conn: asyncpg.Connection | None = None) -> Checkpoint | None:
        row = await (conn or self.pool).fetchrow("SELECT * FROM gongzhi_checkpoints ORDER BY tree_size DESC LIMIT 1")
        return Checkpoint.from_row(row) if row else None

    async def checkpoints(self, after: int = 0, first: int = 100, upto: int | None = None) -> list[Checkpoint]:
        rows = await self.pool.fetch("SELECT * FROM gongzhi_checkpoints WHERE tree_size > $1 AND ($3::bigint IS NULL"
                                     " OR tree_size <= $3) ORDER BY tree_size LIMIT $2", after, first, upto)
        return [Checkpoint.from_row(r) for r in rows]

    async def _run(self) -> None:
        last_at = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(min(1.0, self.seconds))
            try:
                n, latest = await self.size(), await self.latest()
                done = latest.tree_size if latest else 0
                now = asyncio.get_running_loop().time()
                if n > done and (n - done >= self.every or now - last_at >= self.seconds):
                    await self.checkpoint()
                    last_at = now
            except (OSError, asyncpg.PostgresError) as e:  # the database away: try again at the next tick
                log.warning("no checkpoint made", error=str(e))
            await self.publish()

    async def publish(self) -> int:
        """Publish the checkpoints the NATS subject does not have yet, in order (none without a publisher); how
        many. NATS away: nothing now, all of them at a later tick."""
        if self.publisher is None:
            return 0
        try:
            after = self.publisher.published
            if after is None:  # not connected yet: connecting reads the stream's last checkpoint
                await self.publisher.publish([])
                after = self.publisher.published or 0
            pending = await self.checkpoints(after, first=1_000)
            return await self.publisher.publish([c.as_json() for c in pending])
        except (TimeoutError, OSError, asyncpg.PostgresError, nats.errors.Error) as e:
            log.warning("checkpoints not published yet", subject=self.publisher.subject, error=str(e))
            return 0

    def start(self) -> None:
        if self.signer is not None:  # no key, no checkpoints to make
            super().start()

    async def stop(self) -> None:
        await super().stop()
        if self.publisher is not None:
            await self.publisher.close()

    # -- proofs --------------------------------------------------------------------------------------
    async def inclusion(self, position: int, tree_size: int | None = None) -> dict[str, Any]:
        """The audit path of the event at `position` into the tree of `tree_size` leaves (default: the latest
        checkpoint's, else the whole log)."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            index = await self.index_of(conn, position)
            n = await self._tree_size(conn, tree_size)
            if index >= n:
                raise InvalidInput(f"the event at position {position} is leaf {index}, not in a tree of {n}",
                                   field="treeSize")
            tree = await self.tree(conn, n, (index,))
            return {"position": position, "index": index, "treeSize": n, "leafHash": tree.leaves[index].hex(),
                    "rootHash": tree.root(n).hex(), "path": [h.hex() for h in tree.inclusion(index, n)],
                    "checkpoint": await self._checkpoint_of(conn, n)}

    async def consistency(self, first: int, second: int | None = None) -> dict[str, Any]:
        """The proof that the tree of `second` leaves (default: the latest checkpoint's) extends that of `first`."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            second = await self._tree_size(conn, second)
            if not 0 < first <= second:
                raise InvalidInput(f"from must be between 1 and to ({second}), not {first}", field="from")
            tree = await self.tree(conn, second, (first - 1,))
            return {"fromSize": first, "toSize": second, "fromRoot": tree.root(first).hex(),
                    "toRoot": tree.root(second).hex(), "path": [h.hex() for h in tree.consistency(first, second)],
                    "fromCheckpoint": await self._checkpoint_of(conn, first),
                    "toCheckpoint": await self._checkpoint_of(conn, second)}

    async def _tree_size(self, conn: asyncpg.Connection, tree_size: int | None) -> int:
        size = await self.size(conn)
        if tree_size is None:
            latest = await self.latest(conn)
            tree_size = latest.tree_size if latest else size
        if not 0 < tree_size <= size:
            raise InvalidInput(f"a tree size is from 1 to the log's {size} events, not {tree_size}", field="treeSize")
        return tree_size

    async def _checkpoint_of(self, conn: asyncpg.Connection, n: int) -> dict[str, Any] | None:
        row = await conn.fetchrow("SELECT * FROM gongzhi_checkpoints WHERE tree_size = $1", n)
        return Checkpoint.from_row(row).as_json() if row else None

    # -- the check -----------------------------------------------------------------------------------
    async def verify(self, start: int = 1, stop: int | None = None, limit: int | None = None,
                     published: Sequence[Checkpoint] = ()) -> dict[str, Any]:
        """Recompute the leaf of every stored event with a position in [start, stop] (default: to the end) and
        compare it with the stored leaf, and every signed checkpoint whose last leaf is in that range with the root
        of the recomputed leaves: the first position where they disagree (an event altered, deleted, inserted or
        moved), or that they all agree. `limit`: the most positions it may span (INVALID_INPUT beyond).
        `published`: checkpoints from outside the database (a NATS stream's, a file's), checked like the stored
        ones, so that a log rewritten together with its leaves and its checkpoints table is still caught."""
        key = public_key(self.signer.public_key) if self.signer else None
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            head = await conn.fetchval(f"SELECT greatest((SELECT coalesce(max(notification_id), 0) FROM {self.events}),"
                                       " (SELECT coalesce(max(position), 0) FROM gongzhi_leaves))")
            stop = head if stop is None else stop
            if start < 1 or stop < start - 1:
                raise InvalidInput(f"from ({start}) must be at least 1 and at most to ({stop})", field="from")
            if limit is not None and stop - start + 1 > limit:
                raise InvalidInput(f"at most {limit} positions at once (from {start} to {stop} is more); "
                                   "`gongzhi audit verify` checks any span", field="to")
            first_index: int = await conn.fetchval("SELECT count(*) FROM gongzhi_leaves WHERE position < $1", start)
            frontier = Frontier()
            async for row in _cursor(conn, "SELECT leaf FROM gongzhi_leaves WHERE idx < $1 ORDER BY idx", first_index):
                frontier.append(bytes(row[0]))
            kept = [Checkpoint.from_row(r) for r in await conn.fetch(
                "SELECT * FROM gongzhi_checkpoints WHERE tree_size > $1 ORDER BY tree_size", first_index)]
            outside = {id(c) for c in published}
            checkpoints = sorted(kept + [c for c in published if c.tree_size > first_index],
                                 key=lambda c: c.tree_size)
            problems: list[Problem] = []
            checked = signed_checked = 0
            index, position = first_index, start - 1
            previous_size, next_checkpoint = first_index, 0
            while position < stop and not problems:
                leaves = await conn.fetch("SELECT idx, position, leaf FROM gongzhi_leaves WHERE idx >= $1 AND"
                                          " position <= $2 ORDER BY idx LIMIT $3", index, stop, PAGE)
                upto = leaves[-1]["position"] if len(leaves) == PAGE else stop
                events = {r[0]: r for r in await conn.fetch(
                    f"SELECT notification_id, originator_id, originator_version, topic, state FROM {self.events}"
                    " WHERE notification_id > $1 AND notification_id <= $2", position, upto)}
                pending = sorted(events)  # the events' positions, matched against the leaves in order
                j = 0
                for leaf_row in leaves:
                    i, p, stored = leaf_row["idx"], leaf_row["position"], bytes(leaf_row["leaf"])
                    if i != index or p <= position:
                        problems.append(Problem(max(p, position + 1), f"the leaf hashes are out of order at leaf {i}"
                                                                      f" (position {p})"))
                        break
                    if j < len(pending) and pending[j] < p:
                        problems.append(Problem(pending[j], f"position {pending[j]}: an event with no leaf hash"
                                                            " (inserted around the log's writers)"))
                        break
                    e = events.get(p)
                    if e is None:
                        problems.append(Problem(p, f"position {p}: the event is missing (deleted)"))
                        break
                    j += 1
                    if event_leaf(p, e[1], e[2], e[3], bytes(e[4])) != stored:
                        problems.append(Problem(p, f"position {p}: the event does not match its leaf hash (altered,"
                                                   " or moved here)"))
                        break
                    frontier.append(stored)
                    index, position, checked = index + 1, p, checked + 1
                    while next_checkpoint < len(checkpoints) and checkpoints[next_checkpoint].tree_size == index:
                        c = checkpoints[next_checkpoint]
                        kind = "published" if id(c) in outside else "signed"
                        if key is not None and not signed(key, c.as_json()):
                            problems.append(Problem(p, f"the {kind} checkpoint of tree size {c.tree_size} has a bad"
                                                       " signature"))
                        elif frontier.root() != c.root:
                            first_pos = await conn.fetchval("SELECT position FROM gongzhi_leaves WHERE idx = $1",
                                                            previous_size)
                            problems.append(Problem(first_pos, f"the {kind} checkpoint of tree size {c.tree_size}"
                                                               " disagrees with the stored log: an event between"
                                                               f" positions {first_pos} and {p} was altered with its"
                                                               " leaf hash"))
                        signed_checked += 1
                        previous_size, next_checkpoint = c.tree_size, next_checkpoint + 1
                    if problems:
                        break
                if not problems:
                    if j < len(pending):
                        problems.append(Problem(pending[j], f"position {pending[j]}: an event with no leaf hash"
                                                            " (inserted around the log's writers)"))
                    position = max(position, upto)
                if not leaves:
                    break
            if not problems and stop == head and next_checkpoint < len(checkpoints):
                c = checkpoints[next_checkpoint]  # signed over more events than the log now has: its end was cut off
                kind = "published" if id(c) in outside else "signed"
                problems.append(Problem(position + 1, f"the {kind} checkpoint of tree size {c.tree_size} covers more"
                                                      f" events than the log has ({index}): events after position"
                                                      f" {position} were deleted"))
            problems.sort(key=lambda x: x.position)
            bad = problems[0] if problems else None
            return {"ok": bad is None, "from": start, "to": stop, "eventsChecked": checked,
                    "checkpointsChecked": signed_checked, "firstBadPosition": bad.position if bad else None,
                    "problem": bad.message if bad else None, "signaturesChecked": key is not None}


async def _cursor(conn: asyncpg.Connection, query: str, *args: Any) -> AsyncIterator[asyncpg.Record]:
    async for row in conn.cursor(query, *args, prefetch=10_000):
        yield row
