"""The offline verifier of Gongzhi's tamper-evident log: one module, the standard library and `cryptography`
(for Ed25519) only, meant to be read in one sitting and re-implemented by anyone.

    python -m backend.audit.verifier BUNDLE_DIR      # or: gongzhi audit verify-bundle BUNDLE_DIR

The log is a Merkle tree as RFC 6962 (Certificate Transparency) defines it, over one leaf per event, in log order.

The canonical bytes of an event (all integers big-endian, no padding):

    position   8 bytes  unsigned   the event's place in the log (notification_id)
    stream    16 bytes             the stream (aggregate) id, the UUID's 16 bytes
    version    8 bytes  unsigned   the event's version in its stream
    topic_len  4 bytes  unsigned   the length of the next field
    topic      topic_len bytes     the event's type (the library's topic, e.g. "backend.domain.task:Task.TaskDelegated"), UTF-8
    state     32 bytes             SHA-256 of the stored state (the library's JSON bytes, exactly as stored)

    leaf hash = SHA-256(0x00 || canonical bytes)
    node hash = SHA-256(0x01 || left || right)

The tree over leaves D[0:n] (RFC 6962 §2.1): MTH of one leaf is its leaf hash; for n > 1, with k the largest power
of two smaller than n, MTH(D[0:n]) = node(MTH(D[0:k]), MTH(D[k:n])). Leaf i is the (i+1)-th event in log order
(positions increase along the tree, and may skip numbers: a rolled-back insert uses a position up). A tree of size n
holds the first n events. Inclusion and consistency proofs are RFC 6962 §2.1.1 and §2.1.2; they are checked here
with RFC 9162 §2.1.3.2 and §2.1.4.2's algorithms.

A checkpoint says "the log's first `treeSize` events have root `rootHash`", signed with Ed25519 over these UTF-8
bytes (four lines, each ending in a newline; the root in lower-case hex; the time in UTC, ISO 8601, whole seconds):

    gongzhi checkpoint v1
    <treeSize>
    <rootHash>
    <timestamp, e.g. 2026-12-04T09:30:00Z>

A bundle (`gongzhi audit export`) is a folder:

- `manifest.json`: {"format": "gongzhi-audit-bundle/1", "community": code or null, "from", "to" (positions),
  "treeSize", "publicKey": the Ed25519 public key, base64 of its 32 raw bytes, "firstIndex", "lastIndex": the leaves
  the range covers (null when it covers none)}.
- `checkpoints.jsonl`: signed checkpoints, one JSON object a line ({"treeSize", "rootHash", "timestamp",
  "signature": base64}), the last of size `treeSize` (the bundle's anchor).
- `leaves.txt`: every leaf of the tree, in log order (treeSize lines): the event's position, a space, its leaf
  hash in lower-case hex.
- `events.jsonl`: every event of the covered range of leaves, in log order. An event of the bundle's slice has
  {"index" (its leaf index), "position", "stream", "version", "topic", "state": base64 of the stored bytes, "event":
  its readable form (as `gongzhi events export` writes it; derived from "state", not itself hashed)}; an event
  outside the slice carries "stateSha256" (hex) instead of "state" and "event".
- `proofs.jsonl`: {"index", "position", "treeSize", "path": [hex...]} an inclusion proof for each event of the slice
  into the anchor, and {"from", "to", "path"} a consistency proof between each pair of consecutive checkpoints.

The verifier checks every checkpoint's signature; the leaves against the anchor's root; every event of the range
against its leaf; every proof. It names the first position that fails, or says the bundle is intact.
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT = "gongzhi-audit-bundle/1"


# -- hashes ---------------------------------------------------------------------------------------
def canonical(position: int, stream: uuid.UUID | str, version: int, topic: str, state_sha256: bytes) -> bytes:
    """An event's canonical bytes (see the module's docstring)."""
    topic_bytes = topic.encode("utf-8")
    return (position.to_bytes(8, "big") + uuid.UUID(str(stream)).bytes + version.to_bytes(8, "big")
            + len(topic_bytes).to_bytes(4, "big") + topic_bytes + state_sha256)


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def event_leaf(position: int, stream: uuid.UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """The leaf hash of a stored event."""
    return leaf_hash(canonical(position, stream, version, topic, hashlib.sha256(state).digest()))


class Frontier:
    """The roots of the complete subtrees of a growing tree (at most one per power of two): append leaves one by one,
    ask for the root of the tree so far at any size."""

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[tuple[int, bytes]] = []  # (leaves, hash), largest first

    def append(self, leaf: bytes) -> None:
        self.size += 1
        width, h = 1, leaf
        while self.stack and self.stack[-1][0] == width:
            h = node_hash(self.stack.pop()[1], h)
            width *= 2
        self.stack.append((width, h))

    def root(self) -> bytes:
        """MTH of the leaves so far (the empty tree's root is SHA-256 of nothing)."""
        if not self.stack:
            return hashlib.sha256(b"").digest()
        h = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            h = node_hash(left, h)
        return h


def root_of(leaves: Iterable[bytes]) -> bytes:
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


# -- proofs (RFC 9162 §2.1.3.2 and §2.1.4.2) -----------------------------------------------------------
def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """Whether `path` proves that `leaf` is leaf `index` of the tree of `size` leaves with `root`."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       path: Sequence[bytes]) -> bool:
    """Whether `path` proves that the tree of `second` leaves with `second_root` extends the one of `first` leaves
    with `first_root` (nothing in the first rewritten)."""
    if first == second:
        return not path and first_root == second_root
    if first == 0 or first > second or not path:
        return first == 0 and not path
    nodes = list(path)
    if first & (first - 1) == 0:  # a power of two: the first tree's root is the path's first node
        nodes.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


# -- checkpoints -------------------------------------------------------------------------------------
def checkpoint_message(tree_size: int, root_hex: str, timestamp: str) -> bytes:
    return f"gongzhi checkpoint v1\n{tree_size}\n{root_hex}\n{timestamp}\n".encode()


def public_key(raw_b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(raw_b64))


def signed(key: Ed25519PublicKey, checkpoint: dict) -> bool:
    """Whether a checkpoint's signature is the key's over its message."""
    try:
        key.verify(base64.b64decode(checkpoint["signature"]),
                   checkpoint_message(int(checkpoint["treeSize"]), checkpoint["rootHash"], checkpoint["timestamp"]))
        return True
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False


# -- bundles -------------------------------------------------------------------------------------------
@dataclass
class Finding:
    ok: bool
    message: str
    position: int | None = None  # the first position that fails, where one can be named

    def __str__(self) -> str:
        return self.message


def _lines(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def verify_bundle(folder: Path) -> Finding:
    """Check a bundle offline (see the module's docstring): the first failure, or that it is intact."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != BUNDLE_FORMAT:
            return Finding(False, f"not a {BUNDLE_FORMAT} bundle")
        key = public_key(manifest["publicKey"])
        size = int(manifest["treeSize"])
        checkpoints = _lines(folder / "checkpoints.jsonl")
        pairs = [line.split() for line in (folder / "leaves.txt").read_text().splitlines() if line.strip()]
        at = [int(position) for position, _ in pairs]
        leaves = [bytes.fromhex(leaf) for _, leaf in pairs]
        first_index, last_index = manifest.get("firstIndex"), manifest.get("lastIndex")
        events = _lines(folder / "events.jsonl")
        proofs = _lines(folder / "proofs.jsonl")
    except (OSError, ValueError, KeyError, TypeError) as e:
        return Finding(False, f"the bundle cannot be read: {e}")
    # 1. checkpoints: each signed; the last is the anchor, of the bundle's tree size
    roots: dict[int, bytes] = {}
    for c in checkpoints:
        if not signed(key, c):
            return Finding(False, f"the checkpoint of tree size {c.get('treeSize')} is not signed by the bundle's key")
        roots[int(c["treeSize"])] = bytes.fromhex(c["rootHash"])
    if size not in roots:
        return Finding(False, f"no signed checkpoint of the bundle's tree size {size}")
    # 2. the leaves: exactly treeSize of them, with the anchor's root
    if len(leaves) != size or root_of(leaves) != roots[size]:
        return Finding(False, f"the leaf hashes do not make the signed root of tree size {size}")
    if any(b <= a for a, b in itertools.pairwise(at)):
        return Finding(False, "the leaves' positions do not increase")
    # 3. every event of the range against its leaf; the range (firstIndex to lastIndex) has no hole
    expected = first_index
    for e in events:
        index, position = int(e["index"]), int(e["position"])
        if expected is None or not 0 <= expected < size or index > expected:
            missing = at[expected] if expected is not None and 0 <= expected < size else position
            return Finding(False, f"position {missing}: the event is missing (deleted from the log, or left out of"
                                  " the bundle)", missing)
        if index < expected or not 0 <= index < size or (last_index is not None and index > last_index):
            return Finding(False, f"position {position}: leaf {index} is out of order in the bundle", position)
        if position != at[index]:
            return Finding(False, f"position {at[index]}: the bundle has the event of position {position} in its"
                                  " place (moved)", at[index])
        try:
            if "state" in e:
                state_sha256 = hashlib.sha256(base64.b64decode(e["state"], validate=True)).digest()
            else:
                state_sha256 = bytes.fromhex(e["stateSha256"])
            leaf = leaf_hash(canonical(position, e["stream"], int(e["version"]), e["topic"], state_sha256))
        except (ValueError, KeyError, TypeError) as error:
            return Finding(False, f"position {position}: the event cannot be read ({error})", position)
        if leaf != leaves[index]:
            return Finding(False, f"position {position}: the event does not match its leaf hash (altered, inserted"
                                  " or moved)", position)
        expected = index + 1
    if last_index is not None and (expected is None or expected <= last_index):
        missing = at[expected] if expected is not None and 0 <= expected < size else None
        return Finding(False, f"position {missing}: the event is missing (deleted from the log, or left out of the"
                              " bundle)", missing)
    # 4. the proofs: each event's inclusion in the anchor, and each pair of checkpoints' consistency
    for p in proofs:
        path = [bytes.fromhex(h) for h in p["path"]]
        if "index" in p:
            index, position = int(p["index"]), int(p["position"])
            tree = int(p["treeSize"])
            if tree not in roots or not 0 <= index < len(leaves):
                return Finding(False, f"position {position}: its proof is for no signed checkpoint", position)
            if not verify_inclusion(index, tree, leaves[index], path, roots[tree]):
                return Finding(False, f"position {position}: its inclusion proof fails", position)
        else:
            first, second = int(p["from"]), int(p["to"])
            if first not in roots or second not in roots or not verify_consistency(
                    first, second, roots[first], roots[second], path):
                return Finding(False, f"the log at tree size {second} does not extend the log at {first}")
    included = sum(1 for e in events if "state" in e)
    return Finding(True, f"intact: {len(events)} events checked against {size} leaves ({included} of the slice),"
                         f" {len(checkpoints)} signed checkpoints, {len(proofs)} proofs")


def main(argv: Sequence[str] = tuple(sys.argv[1:])) -> int:
    if len(argv) != 1:
        print("usage: python -m backend.audit.verifier BUNDLE_DIR", file=sys.stderr)
        return 2
    finding = verify_bundle(Path(argv[0]))
    print(finding.message)
    return 0 if finding.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
