"""The tamper-evident log (backend/audit/, after RFC 6962): every event hashed by the trigger in its insert's
transaction (both write paths), signed checkpoints, inclusion and consistency proofs checked by the offline verifier,
and an event altered, deleted, inserted or moved by SQL reported at its position by the check behind
verifyAuditChain, by `gongzhi audit verify` and by `gongzhi audit verify-bundle` on an exported bundle."""
from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend import bootstrap, config
from backend.audit import verifier
from backend.audit.tree import Tree, tiles_of
from backend.domain.access import Actor, Role
from backend.domain.stamp import Stamp
from tests import ops
from tests.harness import SECRET, Client, Server, connect, token

ROOT = Path(__file__).resolve().parent.parent
KEY = base64.b64encode(bytes(range(32))).decode()
ADMIN = Stamp(Actor("admin", Role.ADMIN, ""), "t")
ITEMS = [{"code": "AG-01", "title": "协助人口普查", "list": "ASSIST_GOVERNMENT"}]
A, B = "650101001001", "650101001002"


def test_proofs_of_every_small_tree_verify_and_fail_when_wrong() -> None:
    for n in [*range(1, 34), 255, 256, 257, 513]:
        leaves = [verifier.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
        tree, root = Tree(dict(enumerate(leaves)), tiles_of(leaves)), verifier.root_of(leaves)
        assert tree.root(n) == root == Tree(dict(enumerate(leaves)), {}).root(n)
        for m in range(n):
            path = tree.inclusion(m, n)
            assert verifier.verify_inclusion(m, n, leaves[m], path, root)
            assert not verifier.verify_inclusion(m, n, verifier.leaf_hash(b"other"), path, root)
        for m in range(1, n + 1):
            proof = tree.consistency(m, n)
            assert verifier.verify_consistency(m, n, verifier.root_of(leaves[:m]), root, proof)
            if m < n:
                assert not verifier.verify_consistency(m, n, verifier.leaf_hash(b"other"), root, proof)
    # RFC 6962's shape: 3 leaves are node(node(l0, l1), l2)
    l0, l1, l2 = (verifier.leaf_hash(bytes([i])) for i in range(3))
    assert verifier.root_of([l0, l1, l2]) == verifier.node_hash(verifier.node_hash(l0, l1), l2)


async def store(url: str, tmp_path: Path, file: Path | None = None) -> bootstrap.Platform:
    """A platform on `url` with two communities' events, written by both paths (the async group commit and the
    library's own recorder), and a signed checkpoint."""
    settings = config.Settings(database_url=url, data_dir=tmp_path, secret=SECRET, signing_key=KEY,
                               checkpoint_file=file)
    p = await bootstrap.start(settings, follow=False)
    await p.commands.run(p.app.register_community, ADMIN, A, "社区一", "URBAN")
    await p.commands.run(p.app.publish_duty_list, ADMIN, A, ITEMS)
    await asyncio.to_thread(p.app.register_community, ADMIN, B, "社区二", "URBAN")  # eventsourcing's recorder
    await asyncio.to_thread(p.app.publish_duty_list, ADMIN, B, ITEMS)
    await p.audit.checkpoint()
    dept = Stamp(Actor("dept", Role.DEPARTMENT, "650101"), "t")
    for code in (A, B, A):
        await p.commands.run(p.app.delegate_task, dept, code, "人口普查入户登记", "区统计局", "AG-01")
    await p.audit.checkpoint()
    return p


def cli(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
    env.update(GONGZHI_DATABASE_URL=url, GONGZHI_DATA_DIR=str(tmp_path), GONGZHI_SIGNING_KEY=KEY,
               GONGZHI_SECRET=SECRET, GONGZHI_LOG_LEVEL="WARNING")
    return subprocess.run([sys.executable, "-m", "backend", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


async def test_an_untouched_log_and_its_bundles_verify_with_proofs(fresh_url: str, tmp_path: Path) -> None:
    file = tmp_path / "published" / "checkpoints.jsonl"
    p = await store(fresh_url, tmp_path, file)
    try:
        head = await p.events.head()
        assert await p.audit.size() == head  # every event, of either path, has its leaf
        result = await p.audit.verify()
        assert result["ok"] and result["eventsChecked"] == head and result["checkpointsChecked"] == 2
        latest = await p.audit.latest()
        assert latest is not None and latest.tree_size == head
        key = verifier.public_key(p.audit.signer.public_key)
        published = [json.loads(line) for line in file.read_text().splitlines()]
        assert [c["treeSize"] for c in published] == [4, head] and all(verifier.signed(key, c) for c in published)
        for position in range(1, head + 1):
            proof = await p.audit.inclusion(position)
            assert verifier.verify_inclusion(proof["index"], head, bytes.fromhex(proof["leafHash"]),
                                             [bytes.fromhex(h) for h in proof["path"]], latest.root)
        c = await p.audit.consistency(4, head)
        assert c["fromCheckpoint"]["rootHash"] == c["fromRoot"]
        assert verifier.verify_consistency(4, head, bytes.fromhex(c["fromRoot"]), latest.root,
                                           [bytes.fromhex(h) for h in c["path"]])
        # a store of an older release: no leaves yet; they are made at start, once, and verify
        async with p.pool.acquire() as conn:
            await conn.execute("DROP TABLE gongzhi_leaves, gongzhi_tiles, gongzhi_checkpoints;"
                               " DROP TRIGGER gongzhi_events_leaves ON gongzhi_events")
    finally:
        await p.stop()
    p = await bootstrap.start(config.Settings(database_url=fresh_url, data_dir=tmp_path, secret=SECRET,
                                              signing_key=KEY), follow=False)
    try:
        assert await p.audit.size() == head and (await p.audit.verify())["ok"]
    finally:
        await p.stop()
    done = cli(fresh_url, tmp_path, "audit", "verify")
    assert done.returncode == 0 and json.loads(done.stdout)["ok"], done.stderr
    for name, extra in (("all", ()), ("community", ("--community", A))):
        done = cli(fresh_url, tmp_path, "audit", "export", str(tmp_path / name), *extra)
        assert done.returncode == 0, done.stderr
        checked = cli(fresh_url, tmp_path, "audit", "verify-bundle", str(tmp_path / name))
        assert checked.returncode == 0 and json.loads(checked.stdout)["ok"], checked.stdout
    events = [json.loads(line) for line in (tmp_path / "community" / "events.jsonl").read_text().splitlines()]
    assert {e["event"]["communityCode"] for e in events if "state" in e} == {A}
    assert not any("event" in e for e in events if e["topic"].endswith("CommunityRegistered")
                   and e["stream"] == str(p.app.stream_id(B)))
    # the offline verifier alone: an edited bundle is named at its position
    lines = (tmp_path / "all" / "events.jsonl").read_text().splitlines()
    edited = json.loads(lines[2])
    edited["state"] = base64.b64encode(base64.b64decode(edited["state"]).replace("社区".encode(), "村庄".encode())
                                       ).decode()
    (tmp_path / "all" / "events.jsonl").write_text("\n".join([*lines[:2], json.dumps(edited), *lines[3:]]) + "\n")
    finding = verifier.verify_bundle(tmp_path / "all")
    assert not finding.ok and finding.position == edited["position"], finding


TAMPER = {
    "altered": ["UPDATE gongzhi_events SET state = convert_to(replace(convert_from(state, 'UTF8'), '社区', '村庄'),"
                " 'UTF8') WHERE notification_id = {p}"],
    "deleted": ["DELETE FROM gongzhi_events WHERE notification_id = {p}"],
    "inserted": ["UPDATE gongzhi_events SET notification_id = notification_id + 1000000 WHERE notification_id > {p}",
                 "UPDATE gongzhi_events SET notification_id = notification_id - 999999 WHERE notification_id > 1000000",
                 "ALTER TABLE gongzhi_events DISABLE TRIGGER gongzhi_events_leaves",
                 "INSERT INTO gongzhi_events (notification_id, originator_id, originator_version, topic, state)"
                 " SELECT {p} + 1, gen_random_uuid(), 1, topic, state FROM gongzhi_events WHERE notification_id = {p}",
                 "ALTER TABLE gongzhi_events ENABLE TRIGGER gongzhi_events_leaves"],
    "reordered": ["UPDATE gongzhi_events SET notification_id = -1 WHERE notification_id = {p}",
                  "UPDATE gongzhi_events SET notification_id = {p} WHERE notification_id = {p} + 1",
                  "UPDATE gongzhi_events SET notification_id = {p} + 1 WHERE notification_id = -1"],
}


@pytest.mark.parametrize("how", list(TAMPER))
async def test_a_tampered_event_is_reported_at_its_position(fresh_url: str, tmp_path: Path, how: str) -> None:
    p = await store(fresh_url, tmp_path)
    try:
        at = 3  # B's CommunityRegistered, written by the library's recorder, inside the first checkpoint
        bad = at + 1 if how == "inserted" else at
        conn = await connect(fresh_url)
        try:
            for statement in TAMPER[how]:
                await conn.execute(statement.format(p=at))
        finally:
            await conn.close()
        result = await p.audit.verify()  # what verifyAuditChain answers
        assert not result["ok"] and result["firstBadPosition"] == bad, result
        assert (await p.audit.verify(bad + 1))["ok"] or how in ("inserted", "reordered")
    finally:
        await p.stop()
    done = cli(fresh_url, tmp_path, "audit", "verify")
    assert done.returncode == 1 and json.loads(done.stdout)["firstBadPosition"] == bad, done.stdout + done.stderr
    done = cli(fresh_url, tmp_path, "audit", "export", str(tmp_path / "bundle"))
    assert done.returncode == 0, done.stderr
    checked = cli(fresh_url, tmp_path, "audit", "verify-bundle", str(tmp_path / "bundle"))
    assert checked.returncode == 1 and json.loads(checked.stdout)["firstBadPosition"] == bad, checked.stdout


PROOF = """query($p: Position!) { latestCheckpoint { treeSize rootHash timestamp signature keyId }
  auditPublicKey { algorithm publicKey keyId }
  eventProof(position: $p) { position leafIndex treeSize leafHash rootHash auditPath checkpoint { treeSize } } }"""
CONSISTENCY = """query($f: Int!) { consistencyProof(from: $f) { fromSize toSize fromRoot toRoot path
  toCheckpoint { rootHash } } verifyAuditChain { ok eventsChecked checkpointsChecked firstBadPosition problem } }"""


async def test_the_api_serves_checkpoints_proofs_and_the_check(gql: Client, server: Server) -> None:
    c = await ops.community(gql)
    position = (await ops.delegate(gql, c))["receipt"]["position"]
    made = server.cli("audit", "checkpoint")  # the server's key (its data folder's), as its own checkpoints use
    made_size = json.loads(made.stdout)["treeSize"]  # leaves, not positions: a rolled-back insert skips a position
    data = await gql.call(PROOF, {"p": position}, c.auditor)
    cp, proof = data["latestCheckpoint"], data["eventProof"]
    key = verifier.public_key(data["auditPublicKey"]["publicKey"])
    assert data["auditPublicKey"]["algorithm"] == "Ed25519" and verifier.signed(key, cp)
    assert proof["treeSize"] == cp["treeSize"] == proof["checkpoint"]["treeSize"] >= made_size
    assert proof["leafIndex"] < made_size  # the checkpoint made after the delegation covers its event
    assert verifier.verify_inclusion(proof["leafIndex"], proof["treeSize"], bytes.fromhex(proof["leafHash"]),
                                     [bytes.fromhex(h) for h in proof["auditPath"]], bytes.fromhex(cp["rootHash"]))
    data = await gql.call(CONSISTENCY, {"f": proof["leafIndex"] + 1}, c.auditor)
    cons = data["consistencyProof"]
    assert verifier.verify_consistency(cons["fromSize"], cons["toSize"], bytes.fromhex(cons["fromRoot"]),
                                       bytes.fromhex(cp["rootHash"]), [bytes.fromhex(h) for h in cons["path"]])
    assert data["verifyAuditChain"]["ok"] and data["verifyAuditChain"]["checkpointsChecked"] >= 1
    assert await gql.code(PROOF, {"p": position}, token(Role.RESIDENT, c.code)) == "FORBIDDEN"
    assert await gql.code(PROOF, {"p": position}, token(Role.AUDITOR, "999999")) == "FORBIDDEN"
    assert await gql.code(PROOF, {"p": 2**62}, c.auditor) == "NOT_FOUND"
    assert await gql.code("query($p: Position!) { eventProof(position: $p, treeSize: 1) { treeSize } }",
                          {"p": position}, c.auditor) == "INVALID_INPUT"
    assert await gql.code(CONSISTENCY, {"f": 0}, c.auditor) == "INVALID_INPUT"
