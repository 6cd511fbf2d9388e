"""Release families: the same release re-posted elsewhere with another headline, boilerplate or light edits.

Two releases are one family when their texts share most word 5-grams — MinHash estimates the Jaccard
similarity, and LSH finds the candidates without comparing every pair — and, when both are dated, they were
published within a few days of each other. Only the body is compared: a re-post's headline is often rewritten.

The date test is what keeps apart releases written from one template: on DOJ releases the plea and the
sentencing of one case, or the same notice for two counties, share up to 90% of their 5-grams, but they come
weeks or months apart, while a release is re-posted the same day or the next (`pressqa bench --families`).
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Protocol

import numpy as np
from datasketch import MinHash, MinHashLSH

SHINGLE_WORDS = 5
NUM_PERM = 128
SCHEME = "affine32"  # datasketch's permutation scheme: stored signatures are only comparable within one
SIGNATURE_VERSION = f"minhash-{SCHEME}-{NUM_PERM}-w{SHINGLE_WORDS}"  # kept in the manifest: a change recomputes

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """The distinct runs of `size` words of `text` (the whole text when shorter)."""
    w = words(text)
    return {" ".join(w[i : i + size]).encode() for i in range(max(1, len(w) - size + 1))}


def signature(text: str) -> np.ndarray:
    """The MinHash of the text's 5-grams: NUM_PERM uint32 values."""
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch(list(shingles(text)))
    return minhash.hashvalues.astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures' 5-gram sets."""
    return float(np.mean(a == b))


@dataclass(frozen=True)
class FamilyRule:
    """When two releases are one: 5-gram similarity at least `threshold`, dates at most `max_days` apart."""

    threshold: float = 0.4
    max_days: int | None = 7  # None: dates are not compared

    def close_in_time(self, date_a: str | None, date_b: str | None) -> bool:
        if self.max_days is None or not date_a or not date_b:
            return True  # an undated release is judged by its text alone
        try:
            apart = abs((date.fromisoformat(date_a[:10]) - date.fromisoformat(date_b[:10])).days)
        except ValueError:
            return True
        return apart <= self.max_days

    @property
    def band_shape(self) -> tuple[int, int]:
        return band_shape(self.threshold)

    def bands(self, sig: np.ndarray) -> list[int]:
        """One key per LSH band (its number and values hashed together): a shared key makes a candidate.

        Signed 64-bit, as SQLite stores integers."""
        count, rows = self.band_shape
        keys = []
        for i in range(count):
            digest = hashlib.blake2b(bytes([i]) + sig[i * rows : (i + 1) * rows].tobytes(), digest_size=8).digest()
            keys.append(int.from_bytes(digest, "big", signed=True))
        return keys

    def describe(self) -> dict:
        """What the stored families depend on: another description regroups the index."""
        return {"signature": SIGNATURE_VERSION, "threshold": self.threshold, "max_days": self.max_days}


@lru_cache
def band_shape(threshold: float) -> tuple[int, int]:
    """(bands, rows per band) of the LSH that proposes candidates for `threshold`, from datasketch's optimum.

    Tuned a little below the threshold: the bands only propose, the rule decides. (Working out the optimum takes
    milliseconds, hence the cache.)"""
    lsh = MinHashLSH(threshold=max(0.05, threshold * 0.8), num_perm=NUM_PERM)
    return lsh.b, lsh.r


class FamilyStore(Protocol):
    """Where families live: the index's store, or memory (benchmarks and tests)."""

    def family_candidates(self, bands: list[int]) -> list[tuple[str, bytes, str | None, int]]:
        """(doc id, signature, date, family) of the releases sharing a band key."""
        ...

    def set_family(self, doc_id: str, family: int, sig: bytes, bands: list[int]) -> None: ...

    def new_family(self) -> int: ...


def assign_family(store: FamilyStore, rule: FamilyRule, doc_id: str, sig: np.ndarray, day: str | None) -> int:
    """Put a release in the family of the most similar known release that is the same one, or a new family."""
    keys = rule.bands(sig)
    best, family = rule.threshold, None
    for other_id, other_sig, other_day, other_family in store.family_candidates(keys):
        score = similarity(sig, np.frombuffer(other_sig, dtype=np.uint32))
        if other_id != doc_id and score >= best and rule.close_in_time(day, other_day):
            best, family = score, other_family
    if family is None:
        family = store.new_family()
    store.set_family(doc_id, family, sig.astype(np.uint32).tobytes(), keys)
    return family


class MemoryFamilies:
    """A `FamilyStore` in memory."""

    def __init__(self, dates: dict[str, str | None]) -> None:
        self.dates = dates
        self.family: dict[str, int] = {}
        self._rows: dict[str, bytes] = {}
        self._by_key: dict[int, set[str]] = {}

    def family_candidates(self, bands: list[int]) -> list[tuple[str, bytes, str | None, int]]:
        found = set().union(*(self._by_key.get(key, set()) for key in bands))
        return [(d, self._rows[d], self.dates.get(d), self.family[d]) for d in sorted(found)]

    def set_family(self, doc_id: str, family: int, sig: bytes, bands: list[int]) -> None:
        self.family[doc_id], self._rows[doc_id] = family, sig
        for key in bands:
            self._by_key.setdefault(key, set()).add(doc_id)

    def new_family(self) -> int:
        return max(self.family.values(), default=-1) + 1
