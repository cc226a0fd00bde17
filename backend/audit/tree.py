"""The Merkle tree's roots and proofs (RFC 6962 §2.1), computed from what is at hand: leaf hashes by index, and the
hashes of complete tiles (TILE leaves, aligned) where they are cached, so that a root or a proof over a large log
reads a few thousand tile hashes and at most a few tiles' leaves, never every leaf.

Every range a root or proof needs is a node of the RFC tree, so a range of TILE or more leaves is made of whole
tiles. The hashing is the verifier's (backend/audit/verifier.py), so server and verifier cannot differ."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from backend.audit.verifier import node_hash, root_of

TILE = 256  # leaves in a cached tile (a power of two)


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(m: int, a: int, b: int) -> list[tuple[int, int]]:
    """PATH(m, D[a:b]) (RFC 6962 §2.1.1) as the leaf ranges whose MTH make it, leaf first."""
    if b - a <= 1:
        return []
    k = split(b - a)
    if m < a + k:
        return [*inclusion_ranges(m, a, a + k), (a + k, b)]
    return [*inclusion_ranges(m, a + k, b), (a, a + k)]


def consistency_ranges(m: int, a: int, b: int, complete: bool = True) -> list[tuple[int, int]]:
    """SUBPROOF(m, D[a:b], complete) (RFC 6962 §2.1.2) as leaf ranges; PROOF(m, D[n]) is (m, 0, n)."""
    n = b - a
    if m == n:
        return [] if complete else [(a, b)]
    k = split(n)
    if m <= k:
        return [*consistency_ranges(m, a, a + k, complete), (a + k, b)]
    return [*consistency_ranges(m - k, a + k, b, False), (a, a + k)]


def tile_hash(leaves: Sequence[bytes]) -> bytes:
    return root_of(leaves)


class Tree:
    """MTH over leaf ranges, from the leaves and tiles given (a missing one is a KeyError)."""

    def __init__(self, leaves: Mapping[int, bytes], tiles: Mapping[int, bytes]) -> None:
        self.leaves, self.tiles = leaves, tiles

    def mth(self, a: int, b: int) -> bytes:
        n = b - a
        if n == TILE and a % TILE == 0 and a // TILE in self.tiles:
            return self.tiles[a // TILE]
        if n == 1:
            return self.leaves[a]
        k = split(n)
        return node_hash(self.mth(a, a + k), self.mth(a + k, b))

    def root(self, n: int) -> bytes:
        return root_of([]) if n == 0 else self.mth(0, n)

    def inclusion(self, m: int, n: int) -> list[bytes]:
        return [self.mth(a, b) for a, b in inclusion_ranges(m, 0, n)]

    def consistency(self, m: int, n: int) -> list[bytes]:
        return [] if m in (0, n) else [self.mth(a, b) for a, b in consistency_ranges(m, 0, n)]


def tiles_of(leaves: Sequence[bytes]) -> dict[int, bytes]:
    """Every complete tile of a list of leaves (indices from 0)."""
    return {t: tile_hash(leaves[t * TILE:(t + 1) * TILE]) for t in range(len(leaves) // TILE)}
