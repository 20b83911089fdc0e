"""Duplicate groups across all sources: exact matches of a de-duplication key, and near copies found with MinHash.

Every row gets a ``group`` id; rows in one group are the same post (retweets, quote-tweets, a headline that is also
a hoax title in another set). The corpus is split by group, so no post or near copy of it lands in two splits.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

from pilkada_nlp.text import URL_TOKEN, USER_TOKEN

_PLACEHOLDERS = re.compile(rf"{re.escape(URL_TOKEN)}|{re.escape(USER_TOKEN)}|\brt\b")
_NON_WORD = re.compile(r"[\W_]+")

_PRIME = (1 << 61) - 1
_RNG = np.random.default_rng(0)
_NUM_PERM, _BANDS = 64, 8  # 8 bands of 8 rows: pairs with Jaccard 0.8 collide with p≈0.77, 0.9 with p≈0.99
#: Band collisions are confirmed by the share of equal MinHash values (an estimate of Jaccard similarity).
NEAR_DUPLICATE_JACCARD = 0.7
_A = _RNG.integers(1, _PRIME, _NUM_PERM, dtype=np.uint64)
_B = _RNG.integers(0, _PRIME, _NUM_PERM, dtype=np.uint64)


def dedup_key(normalised: str) -> str:
    """Key for exact duplicates: the normalised text without placeholders, punctuation or spacing."""
    return " ".join(_NON_WORD.sub(" ", _PLACEHOLDERS.sub(" ", normalised)).split())


def _signature(key: str) -> np.ndarray | None:
    words = key.split()
    if len(words) < 5:  # too short for near-duplicate detection to mean anything; exact matching covers these
        return None
    shingles = {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    hashes = np.fromiter((zlib.crc32(s.encode()) for s in shingles), dtype=np.uint64, count=len(shingles))
    # (a*h + b) mod p, computed in uint64 with wrap-around; the result is still a good permutation hash for LSH.
    return ((_A[:, None] * hashes[None, :] + _B[:, None]) % _PRIME).min(axis=1)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


def duplicate_groups(keys: list[str]) -> np.ndarray:
    """Group id per key: identical keys share a group, and so do keys whose MinHash bands collide (near copies)."""
    groups = _UnionFind(len(keys))
    first_seen: dict[str, int] = {}
    buckets: dict[tuple, int] = {}
    signatures: dict[int, np.ndarray] = {}
    rows_per_band = _NUM_PERM // _BANDS
    for i, key in enumerate(keys):
        if key in first_seen:
            groups.union(first_seen[key], i)
            continue
        first_seen[key] = i
        signature = _signature(key)
        if signature is None:
            continue
        signatures[i] = signature
        for band in range(_BANDS):
            bucket = (band, signature[band * rows_per_band : (band + 1) * rows_per_band].tobytes())
            other = buckets.setdefault(bucket, i)
            if other != i and (signatures[other] == signature).mean() >= NEAR_DUPLICATE_JACCARD:
                groups.union(other, i)
    return np.array([groups.find(i) for i in range(len(keys))])
