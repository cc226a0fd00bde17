"""Signed checkpoints published on a NATS JetStream subject (backend/audit/publish.py), against the NATS server on
127.0.0.1:4222: each checkpoint once, in order, caught up after NATS was unreachable; fetched with `gongzhi audit
fetch-checkpoints` and given to `gongzhi audit verify --checkpoints`, they catch a log rewritten together with its
leaf hashes and its checkpoints table, which the stored checkpoints alone no longer can."""
from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path

import nats
import nats.js.errors
import pytest

from backend.audit import verifier
from backend.audit.publish import CheckpointPublisher, fetch, stream_name
from backend.domain.access import Actor, Role
from backend.domain.stamp import Stamp
from tests.harness import connect
from tests.test_audit_log import KEY, cli, store

NATS = "nats://127.0.0.1:4222"


@pytest.fixture
async def subject() -> object:
    """A subject (and stream) of this test's own, removed afterwards."""
    name = f"gongzhi.test.checkpoints.{uuid.uuid4().hex[:12]}"
    yield name
    nc = await nats.connect(NATS)
    with contextlib.suppress(nats.js.errors.NotFoundError):  # never made: nothing to remove
        await nc.jetstream().delete_stream(stream_name(name))
    await nc.close()


async def test_checkpoints_are_published_once_in_order_and_caught_up(fresh_url: str, tmp_path: Path,
                                                                    subject: str) -> None:
    p = await store(fresh_url, tmp_path)  # two signed checkpoints in the table
    try:
        unreachable = CheckpointPublisher("nats://127.0.0.1:1", subject)  # nothing listens there
        p.audit.publisher = unreachable
        assert await p.audit.publish() == 0  # NATS away: nothing lost, nothing raised
        p.audit.publisher = CheckpointPublisher(NATS, subject)
        assert await p.audit.publish() == 2  # the two made while NATS was away
        assert await p.audit.publish() == 0  # and not again
        dept = Stamp(Actor("dept", Role.DEPARTMENT, "650101"), "t")
        await p.commands.run(p.app.delegate_task, dept, "650101001001", "人口普查入户登记", "区统计局", "AG-01")
        await p.audit.checkpoint()
        assert await p.audit.publish() == 1
        await p.audit.publisher.close()
        restarted = CheckpointPublisher(NATS, subject)  # a server started again reads the stream's last one
        p.audit.publisher = restarted
        assert await p.audit.publish() == 0
        stored = [c.as_json() for c in await p.audit.checkpoints()]
    finally:
        await p.stop()
    published = await fetch(NATS, subject)
    assert published == stored and [c["treeSize"] for c in published] == sorted({c["treeSize"] for c in published})
    key = verifier.public_key(KEY_PUBLIC())
    assert all(verifier.signed(key, c) for c in published)


def KEY_PUBLIC() -> str:  # the test key's public half, as `gongzhi audit public-key` prints it
    from backend.audit.signing import Signer
    signer = Signer.load(KEY)
    assert signer is not None
    return signer.public_key


async def test_published_checkpoints_catch_a_log_rewritten_with_its_checkpoints_table(
        fresh_url: str, tmp_path: Path, subject: str) -> None:
    p = await store(fresh_url, tmp_path)
    try:
        p.audit.publisher = CheckpointPublisher(NATS, subject)
        assert await p.audit.publish() == 2
    finally:
        await p.stop()
    out = tmp_path / "published.jsonl"
    fetched = cli(fresh_url, tmp_path, "audit", "fetch-checkpoints", "--nats", NATS, "--subject", subject, str(out))
    assert fetched.returncode == 0, fetched.stderr
    assert len(out.read_text().splitlines()) == 2
    assert cli(fresh_url, tmp_path, "audit", "verify", "--checkpoints", str(out)).returncode == 0
    # The database's administrator alters an event, recomputes its leaf hash and drops the signed checkpoints
    # (the tree changed, and they cannot be signed again without the key).
    conn = await connect(fresh_url)
    try:
        table = await conn.fetchval("SELECT tablename FROM pg_tables WHERE tablename LIKE '%events' LIMIT 1")
        await conn.execute(f"UPDATE {table} SET state = convert_to(replace(convert_from(state, 'UTF8'), '社区二',"
                           " '社区贰'), 'UTF8') WHERE notification_id = 3")
        await conn.execute(f"UPDATE gongzhi_leaves l SET leaf = sha256('\\x00'::bytea || int8send(e.notification_id)"
                           " || uuid_send(e.originator_id) || int8send(e.originator_version)"
                           " || int4send(octet_length(convert_to(e.topic, 'UTF8'))) || convert_to(e.topic, 'UTF8')"
                           f" || sha256(e.state)) FROM {table} e WHERE l.position = e.notification_id"
                           " AND e.notification_id = 3")
        await conn.execute("DELETE FROM gongzhi_checkpoints")
        await conn.execute("DELETE FROM gongzhi_tiles")
    finally:
        await conn.close()
    alone = cli(fresh_url, tmp_path, "audit", "verify")
    assert alone.returncode == 0, alone.stdout  # the stored log agrees with itself: nothing left to catch it
    caught = cli(fresh_url, tmp_path, "audit", "verify", "--checkpoints", str(out))
    assert caught.returncode == 1, caught.stdout + caught.stderr
    result = json.loads(caught.stdout)
    assert result["firstBadPosition"] is not None and result["firstBadPosition"] <= 3
    assert "published checkpoint" in result["problem"]
