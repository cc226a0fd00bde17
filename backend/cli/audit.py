"""`gongzhi audit`: the verifiable log (backend/audit/): check the stored log against its leaf hashes and signed
checkpoints, make a checkpoint, print the public key, export a bundle and check one offline.

    gongzhi audit verify [--from N] [--to N] [--checkpoints FILE]
                                                    exit 1 and the first bad position if the log was tampered with
    gongzhi audit checkpoint                        sign a checkpoint of the log as it is now (and publish it)
    gongzhi audit fetch-checkpoints [--nats URL] OUT  the checkpoints published on NATS, as JSON lines
    gongzhi audit public-key                        the checkpoints' Ed25519 public key (base64, and PEM on stderr)
    gongzhi audit export [--community CODE] [--from N] [--to N] OUT
    gongzhi audit verify-bundle OUT                 no database, no network (backend/audit/verifier.py)

Positions are the log's (`--from`/`--to` both included). Results go to stdout as JSON; messages to stderr.
"""
from __future__ import annotations

import base64
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import typer

from backend import bootstrap, config
from backend.audit.log import Checkpoint
from backend.audit.signing import Signer
from backend.audit.tree import Tree, tiles_of
from backend.audit.verifier import BUNDLE_FORMAT, verify_bundle
from backend.domain import values
from backend.domain.errors import InvalidInput

audit_app = typer.Typer(help="The verifiable log: leaf hashes, signed checkpoints, proofs, offline bundles.")


def _signer(platform: bootstrap.Platform) -> Signer:
    """The platform's key, or the data folder's (made now if there is none: the server will use the same file)."""
    if platform.audit.signer is None:
        platform.audit.signer = Signer.load(config.signing_key_in(platform.settings.data_dir, make=True))
    assert platform.audit.signer is not None
    return platform.audit.signer


@audit_app.command("verify")
def audit_verify(from_: int = typer.Option(1, "--from", help="The first position to check."),
                 to: int | None = typer.Option(None, "--to", help="The last position to check (default: the end)."),
                 checkpoints: Path | None = typer.Option(
                     None, "--checkpoints", help="Checkpoints from outside the database, as JSON lines (from"
                     " `fetch-checkpoints` or GONGZHI_CHECKPOINT_FILE): checked like the stored ones.")) -> None:
    """Recompute every event's leaf hash and every signed checkpoint's root from the stored events: exit 0 if they
    all agree, else exit 1 naming the first position where they disagree."""
    from backend.cli import _fail, console, run

    if from_ < 1 or (to is not None and to < from_ - 1):
        _fail("--from must be at least 1 and at most --to", 2)
    published = []
    if checkpoints is not None:
        try:
            published = [Checkpoint.from_json(json.loads(line)) for line in
                         checkpoints.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, ValueError, InvalidInput) as e:
            _fail(f"{checkpoints}: {e}", 2)

    async def go(platform: bootstrap.Platform) -> dict[str, Any]:
        return await platform.audit.verify(from_, to, published=published)

    result = run(go)
    print(json.dumps(result, ensure_ascii=False))
    if not result["ok"]:
        console.print(f"tampered: {result['problem']}", markup=False)
        raise typer.Exit(1)
    console.print(f"intact: {result['eventsChecked']} events, {result['checkpointsChecked']} signed checkpoints")


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign a checkpoint of the log as it is now (nothing new if nothing was appended since the last)."""
    from backend.cli import run

    async def go(platform: bootstrap.Platform) -> dict[str, Any] | None:
        _signer(platform)
        made = await platform.audit.checkpoint()
        await platform.audit.publish()  # on GONGZHI_NATS_URL's subject, when set
        return made.as_json() if made else None

    print(json.dumps(run(go)))


@audit_app.command("fetch-checkpoints")
def audit_fetch_checkpoints(out: Path = typer.Argument(..., help="The file to write (JSON lines)."),
                            nats_url: str | None = typer.Option(None, "--nats", help="The NATS server (default:"
                                                                " GONGZHI_NATS_URL)."),
                            subject: str | None = typer.Option(None, "--subject", help="The subject (default:"
                                                               " GONGZHI_CHECKPOINT_SUBJECT).")) -> None:
    """Write the checkpoints published on the NATS stream (backend/audit/publish.py), oldest first, as JSON lines for
    `gongzhi audit verify --checkpoints`; no database needed."""
    import asyncio

    from backend.audit.publish import fetch
    from backend.cli import _fail, console

    settings = config.load(make_secret=False)
    url = nats_url or settings.nats_url
    if not url:
        _fail("no NATS server: give --nats or set GONGZHI_NATS_URL", 2)
    assert url is not None
    try:
        found = asyncio.run(fetch(url, subject or settings.checkpoint_subject))
    except Exception as e:  # noqa: BLE001 - no server, no JetStream: said plainly
        _fail(f"could not read the checkpoints from {url}: {e}", 1)
    out.write_text("".join(json.dumps(c) + "\n" for c in found), encoding="utf-8")
    console.print(f"{len(found)} checkpoints written to {out}", markup=False)


@audit_app.command("public-key")
def audit_public_key() -> None:
    """Print the checkpoints' Ed25519 public key (base64 of its 32 bytes; the PEM form on stderr)."""
    from backend.cli import _fail
    settings = config.load(make_secret=False)
    signer = Signer.load(settings.signing_key)
    if signer is None:
        _fail(f"no signing key: GONGZHI_SIGNING_KEY is not set and {config.signing_key_path(settings.data_dir)}"
              " does not exist", 2)
        return
    print(signer.public_pem, end="", file=sys.stderr)
    print(signer.public_key)


@audit_app.command("export")
def audit_export(out: Path = typer.Argument(..., help="The bundle's folder (made if missing)."),
                 community: str | None = typer.Option(None, "--community", help="A community's 12-digit code."),
                 from_: int = typer.Option(1, "--from", help="The first position of the range."),
                 to: int | None = typer.Option(None, "--to", help="The last position (default: the end).")) -> None:
    """Write a bundle that `gongzhi audit verify-bundle` (or backend/audit/verifier.py alone) checks offline: the
    range's events (the community's in full, the others by their state's hash), every leaf hash, the signed
    checkpoints, an inclusion proof for each event of the slice and consistency proofs between the checkpoints."""
    from backend.cli import _fail, console, run

    try:
        code = values.division_code(community, "--community") if community is not None else None
    except InvalidInput as e:
        _fail(e.message, 2)
        return
    if out.exists() and not out.is_dir():
        _fail(f"{out} is not a folder", 2)

    async def go(platform: bootstrap.Platform) -> dict[str, Any] | None:
        signer = _signer(platform)
        anchor = await platform.audit.checkpoint()
        if anchor is None:
            return None
        n = anchor.tree_size
        events = platform.events.table
        async with platform.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            leaf_rows = await conn.fetch("SELECT position, leaf FROM gongzhi_leaves WHERE idx < $1 ORDER BY idx", n)
            rows = await conn.fetch(
                "SELECT l.idx, l.position AS notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
                f" e.community_code, sha256(e.state) AS state_sha256 FROM gongzhi_leaves l LEFT JOIN {events} e"
                " ON e.notification_id = l.position WHERE l.idx < $1 AND l.position >= $2"
                " AND ($3::bigint IS NULL OR l.position <= $3) ORDER BY l.idx", n, from_, to)
        checkpoints = await platform.audit.checkpoints(0, 1_000_000, n)
        leaves = [bytes(r["leaf"]) for r in leaf_rows]
        tree = Tree(dict(enumerate(leaves)), tiles_of(leaves))
        out.mkdir(parents=True, exist_ok=True)
        included = 0
        with (out / "events.jsonl").open("w", encoding="utf-8") as ev, \
                (out / "proofs.jsonl").open("w", encoding="utf-8") as pr:
            for r in rows:
                if r["state"] is None:
                    continue  # no event at a leaf's position: the verifier names it
                line: dict[str, Any] = {"index": r["idx"], "position": r["notification_id"],
                                        "stream": str(r["originator_id"]), "version": r["originator_version"],
                                        "topic": r["topic"]}
                if code is None or r["community_code"] == code:
                    line["state"] = base64.b64encode(bytes(r["state"])).decode()
                    line["event"] = platform.events.decode(r).as_json()
                    pr.write(json.dumps({"index": r["idx"], "position": r["notification_id"], "treeSize": n,
                                         "path": [h.hex() for h in tree.inclusion(r["idx"], n)]}) + "\n")
                    included += 1
                else:
                    line["stateSha256"] = bytes(r["state_sha256"]).hex()
                ev.write(json.dumps(line, ensure_ascii=False) + "\n")
            for a, b in itertools.pairwise(checkpoints):
                pr.write(json.dumps({"from": a.tree_size, "to": b.tree_size,
                                     "path": [h.hex() for h in tree.consistency(a.tree_size, b.tree_size)]}) + "\n")
        (out / "checkpoints.jsonl").write_text("".join(json.dumps(c.as_json()) + "\n" for c in checkpoints))
        (out / "leaves.txt").write_text("".join(f"{r['position']} {bytes(r['leaf']).hex()}\n" for r in leaf_rows))
        manifest = {"format": BUNDLE_FORMAT, "community": code, "from": from_, "to": to, "treeSize": n,
                    "publicKey": signer.public_key, "firstIndex": rows[0]["idx"] if rows else None,
                    "lastIndex": rows[-1]["idx"] if rows else None, "eventsIncluded": included}
        (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        return manifest

    manifest = run(go)
    if manifest is None:
        _fail("the log is empty: nothing to export", 2)
        return
    print(json.dumps(manifest, ensure_ascii=False))
    console.print(f"exported {manifest['eventsIncluded']} events to {out} (tree size {manifest['treeSize']})")


@audit_app.command("verify-bundle")
def audit_verify_bundle(bundle: Path = typer.Argument(..., help="A folder written by `gongzhi audit export`.")) -> None:
    """Check a bundle offline (no database, no network): exit 0 if it is intact, else 1 naming the first bad
    position."""
    finding = verify_bundle(bundle)
    print(json.dumps({"ok": finding.ok, "firstBadPosition": finding.position, "message": finding.message},
                     ensure_ascii=False))
    print(finding.message, file=sys.stderr)
    if not finding.ok:
        raise typer.Exit(1)
