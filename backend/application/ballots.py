"""The ballot box (投票箱) of secret evaluation campaigns (P26, 无记名投票; see backend/domain/evaluation.py).

A cast in a secret campaign appends the resident's participation (with its actor, no choice) and, in the same
transaction and savepoint, inserts the choice into the ballot box (table `gongzhi_ballot_box`: campaign,
community, target, satisfaction, comment and the SHA-256 of the receipt; no actor, no time, no request, no
sequence), so both commit or neither (store.py, `Row`). The box is not the log: nothing reads it but the release
and the receipt check.

A campaign's ballots are released into the log target by target: a target's when the box holds at least
GONGZHI_BALLOT_BATCH (10) of them, and whatever it holds at or after the campaign's close: the server checks every GONGZHI_BALLOT_RELEASE_SECONDS (1) and after each
secret cast; `gongzhi ballots release` does it from the command line. A release takes every ballot of the
target in the box, shuffles them (the operating system's randomness), and appends them as `SecretBallotCast`
events, each on a random stream, its actor an anonymous resident, the batch's one time, no request id, in one
save whose row deletes exactly those ballots from the box: both commit or neither, and two releases at once
release each ballot once (the second finds them gone and appends nothing).
"""
from __future__ import annotations

import asyncio
import os
import secrets
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import structlog
from eventsourcing.persistence import IntegrityError, Mapper

from backend.application.background import Background
from backend.application.log import EventLog
from backend.application.store import AsyncAppender, Row
from backend.domain.catalog import topics_for
from backend.domain.evaluation import EvaluationCampaign, SecretBallot

log = structlog.get_logger("gongzhi.ballots")

BOX = "gongzhi_ballot_box"
LOCK = 0x676F6E6742  # the advisory lock under which the table is made
DDL = (f"CREATE TABLE IF NOT EXISTS {BOX} ("
       " receipt_hash text PRIMARY KEY, campaign_id uuid NOT NULL, community_code text NOT NULL,"
       " target_id text NOT NULL, satisfaction text NOT NULL, comment text);"
       f" CREATE INDEX IF NOT EXISTS {BOX}_campaign ON {BOX} (campaign_id)")
DEPOSIT = (f"INSERT INTO {BOX} (receipt_hash, campaign_id, community_code, target_id, satisfaction, comment)"
           " VALUES ($1, $2, $3, $4, $5, $6) RETURNING true")
TAKE = (f"WITH gone AS (DELETE FROM {BOX} WHERE campaign_id = $1 AND receipt_hash = ANY($2::text[]) RETURNING 1)"
        " SELECT true WHERE (SELECT count(*) FROM gone) = $3")


COUNTED = frozenset({"EvaluationCast", "SecretBallotCast", "EvaluationParticipationRecorded"})
SATISFACTION = {"SATISFIED": "satisfied", "BASICALLY_SATISFIED": "basicallySatisfied",
                "DISSATISFIED": "dissatisfied"}
#: What is counted per target, and its tally column.
FIELDS = {"satisfied": "satisfied", "basicallySatisfied": "basically_satisfied", "dissatisfied": "dissatisfied",
          "participations": "participations", "secretBallots": "secret_ballots"}


def batch_size() -> int:
    """GONGZHI_BALLOT_BATCH: how many ballots a campaign's box holds before they are released (at least 1)."""
    return max(1, int(os.environ.get("GONGZHI_BALLOT_BATCH") or 10))


def release_seconds() -> float:
    """GONGZHI_BALLOT_RELEASE_SECONDS: how often the server looks for due ballots (1 s; and after each cast)."""
    return max(0.2, float(os.environ.get("GONGZHI_BALLOT_RELEASE_SECONDS") or 1))


def new_receipt() -> str:
    """A ballot's receipt: 128 random bits, given to the resident once and kept nowhere (the log keeps its hash)."""
    return secrets.token_urlsafe(16)


def deposit(campaign: EvaluationCampaign, target_id: str, satisfaction: str, comment: str | None,
            receipt_hash: str) -> Row:
    """The row that puts a ballot into the box, in the save of its resident's participation."""
    return Row(DEPOSIT, (receipt_hash, campaign.id, campaign.community_code, target_id, satisfaction, comment))


def prepare_now(curs: Any) -> None:
    """Make the table on the synchronous path (a psycopg cursor), under the advisory lock."""
    curs.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
    curs.execute(DDL)


class BallotBox(Background):
    """The box's reads and releases, on the event loop."""

    def __init__(self, pool: asyncpg.Pool, events: EventLog, appender: AsyncAppender, mapper: Mapper[Any],
                 batch: int | None = None) -> None:
        self.pool, self.events, self.appender, self.mapper = pool, events, appender, mapper
        self.batch = batch or batch_size()
        self._nudged = asyncio.Event()
        self._releasing = asyncio.Lock()
        self._closes_at: dict[UUID, datetime] = {}  # a campaign's close never changes

    async def prepare(self) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK)
            await conn.execute(DDL)

    async def pending(self, campaign_id: UUID) -> int:
        """How many ballots of the campaign wait in the box (a count: nothing else of them is answered)."""
        return int(await self.pool.fetchval(f"SELECT count(*) FROM {BOX} WHERE campaign_id = $1", campaign_id))

    async def is_pending(self, receipt_hash: str) -> bool:
        return bool(await self.pool.fetchval(f"SELECT true FROM {BOX} WHERE receipt_hash = $1", receipt_hash))

    async def release(self, campaign_id: UUID, *, force: bool = False, now: datetime | None = None) -> list[int]:
        """Release the campaign's due ballots, target by target (a target's ballots are due when the box holds at
        least `batch` of them, or the campaign closed; any number with `force`): a batch is one target's, so each
        ballot hides among as many ballots of its own target. Their positions in the log, shuffled; [] if none were
        due or another release took them first."""
        rows = await self.pool.fetch(f"SELECT * FROM {BOX} WHERE campaign_id = $1", campaign_id)
        if not rows:
            return []
        at = now or datetime.now(UTC)
        by_target: dict[str, list[Any]] = {}
        for row in rows:
            by_target.setdefault(row["target_id"], []).append(row)
        closed = force or await self._closed(campaign_id, at)
        released: list[int] = []
        for target_id in sorted(by_target):
            if closed or len(by_target[target_id]) >= self.batch:
                released += await self._release(campaign_id, by_target[target_id], at)
        return released

    async def _closed(self, campaign_id: UUID, at: datetime) -> bool:
        closes_at = self._closes_at.get(campaign_id)
        if closes_at is None:
            campaign = await self.events.aggregate(campaign_id)
            closes_at = self._closes_at[campaign_id] = campaign.closes_at if campaign is not None else at
        return at >= closes_at

    async def _release(self, campaign_id: UUID, rows: list[Any], at: datetime) -> list[int]:
        """One batch: the ballots shuffled, appended as SecretBallotCast with the batch's id and time, and taken
        from the box in the same save."""
        ballots = list(rows)
        secrets.SystemRandom().shuffle(ballots)
        batch_id = uuid4()
        stored = [self.mapper.to_stored_event(e)
                  for r in ballots
                  for e in SecretBallot.release(r["community_code"], UUID(str(r["campaign_id"])), r["target_id"],
                                                r["satisfaction"], r["comment"], r["receipt_hash"], batch_id,
                                                len(ballots), at).collect_events()]
        take = Row(TAKE, (campaign_id, [r["receipt_hash"] for r in ballots], len(ballots)))
        try:
            positions = await self.appender.append(stored, rows=(take,))
        except IntegrityError:  # another release took them first
            return []
        log.info("secret ballots released", ballots=len(ballots), first_position=min(positions))
        return positions

    async def release_due(self, *, force: bool = False) -> int:
        """Release every campaign's due ballots; how many were released."""
        async with self._releasing:
            campaigns = [r["campaign_id"] for r in
                         await self.pool.fetch(f"SELECT DISTINCT campaign_id FROM {BOX}")]
            released = 0
            for campaign_id in campaigns:
                released += len(await self.release(campaign_id, force=force))
            return released

    async def counted(self, receipt_hash: str) -> dict[str, Any]:
        """Where the ballot with this receipt hash stands: COUNTED (released: its position, batch and when),
        PENDING (in the box), or UNKNOWN."""
        row = await self.pool.fetchrow("SELECT * FROM evaluation_ballots WHERE receipt_hash = $1", receipt_hash)
        if row is not None:
            return {"status": "COUNTED", **dict(row)}
        return {"status": "PENDING" if await self.is_pending(receipt_hash) else "UNKNOWN"}

    async def verify(self, campaign_id: UUID, community_code: str) -> dict[str, Any]:
        """The campaign's published tallies against the log, recomputed from its ballot events (open ballots and
        released secret ones) and participations, and the participations against the ballots in the log and the
        box: all read in one snapshot (a participation and its ballot in the box commit together, as a release and
        the box's emptying do), the tallies against the log up to where they stand, the box against the whole log."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            projected = await conn.fetchval("SELECT position FROM projection_tracking WHERE name = 'evaluations'")
            tallies = {r["target_id"]: r for r in
                       await conn.fetch("SELECT * FROM evaluation_tallies WHERE campaign_id = $1", campaign_id)}
            pending = int(await conn.fetchval(f"SELECT count(*) FROM {BOX} WHERE campaign_id = $1", campaign_id))
            logged: dict[str, dict[str, int]] = {}
            everything: dict[str, dict[str, int]] = {}  # participations and secret ballots in the whole log
            hashes: set[str] = set()
            duplicate_receipts = 0
            after = 0
            while True:
                events = await self.events.read(after, 1_000, topics_for(sorted(COUNTED)), conn, community_code)
                if not events:
                    break
                after = events[-1].position
                for e in events:
                    if e.type not in COUNTED or getattr(e.domain_event, "campaign_id", None) != campaign_id:
                        continue
                    whole = everything.setdefault(e.domain_event.target_id, {"participations": 0, "secretBallots": 0})
                    if e.type == "EvaluationParticipationRecorded":
                        whole["participations"] += 1
                    elif e.type == "SecretBallotCast":
                        whole["secretBallots"] += 1
                    if projected is not None and e.position > projected:
                        continue  # beyond the tallies: counted against the box only
                    counts = logged.setdefault(e.domain_event.target_id, dict.fromkeys(FIELDS, 0))
                    if e.type == "EvaluationParticipationRecorded":
                        counts["participations"] += 1
                        continue
                    counts[SATISFACTION[e.domain_event.satisfaction]] += 1
                    if e.type == "SecretBallotCast":
                        counts["secretBallots"] += 1
                        duplicate_receipts += e.domain_event.receipt_hash in hashes
                        hashes.add(e.domain_event.receipt_hash)
        targets: list[dict[str, Any]] = []
        problems: list[str] = []
        for target_id in sorted(set(logged) | set(tallies) | set(everything)):
            in_log = logged.get(target_id, dict.fromkeys(FIELDS, 0))
            tally = tallies.get(target_id)
            published = {f: int(tally[column]) if tally else 0 for f, column in FIELDS.items()}
            if published != in_log:
                problems.append(f"target {target_id}: the published counts {published} are not the log's {in_log}")
            whole = everything.get(target_id, {"participations": 0, "secretBallots": 0})
            if whole["secretBallots"] > whole["participations"]:
                problems.append(f"target {target_id}: {whole['secretBallots']} secret ballots in the log but only"
                                f" {whole['participations']} participations")
            targets.append({"targetId": target_id, "published": published, "logged": in_log})
        participations = sum(t["participations"] for t in everything.values())
        released = sum(t["secretBallots"] for t in everything.values())
        if participations != released + pending:
            problems.append(f"{participations} participations, but {released} secret ballots in the log and"
                            f" {pending} in the ballot box")
        if duplicate_receipts:
            problems.append(f"{duplicate_receipts} released ballots repeat another's receipt")
        return {"ok": not problems, "position": projected or 0, "participations": participations,
                "releasedBallots": released, "pendingBallots": pending, "targets": targets, "problems": problems}

    def nudge(self) -> None:
        """A ballot went into the box: check soon."""
        self._nudged.set()

    async def _run(self) -> None:
        seconds = release_seconds()
        while True:
            try:
                await asyncio.wait_for(self._nudged.wait(), seconds)
            except TimeoutError:
                pass
            self._nudged.clear()
            try:
                await self.release_due()
            except (OSError, asyncpg.PostgresError) as e:  # the database away: at the next tick
                log.warning("secret ballots not released yet", error=str(e))
            except Exception:  # a bug must not end the releases: logged, tried at the next tick
                log.exception("secret ballots not released")
