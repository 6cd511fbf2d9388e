"""Release families: the same release re-posted elsewhere with another headline, boilerplate or light edits.

Two releases are one family when three tests agree:

1. **Text**: their bodies share most word 5-grams. MinHash (datasketch) estimates the Jaccard similarity, and
   LSH band keys kept in the index find the candidates without comparing every pair. The headline is not
   compared: a re-post's is often rewritten.
2. **Time**: when both are dated, they were published within a few days of each other.
3. **Facts**: aligned word by word, neither puts another name or figure where the other has one. Re-posters
   add boilerplate at the ends, cut a paragraph, fix or make a typo; a release written from the same template
   (another defendant of the same scheme, the same notice for another county, the next stage of a case)
   differs exactly there. On the DOJ collection such template twins outnumber true duplicates five to one
   among releases a week apart with 40% of their 5-grams in common, so the first two tests alone would hide
   one release behind another (`pressqa bench families`).
"""

import difflib
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Protocol

import numpy as np
from datasketch import MinHash, MinHashLSH

from pressqa.text import SHINGLE_WORDS, shingles

NUM_PERM = 128
SCHEME = "affine32"  # datasketch's permutation scheme: stored signatures are only comparable within one
SIGNATURE_VERSION = f"minhash-{SCHEME}-{NUM_PERM}-w{SHINGLE_WORDS}"  # kept in the manifest: a change recomputes

_TOKEN = re.compile(r"\w[\w.,-]*\w|\w|[.!?]")  # words (with inner . , -: "U.S.", "$1,200.50") and sentence ends
_ANCHOR = 8  # words in a row both releases share: what follows the last such run is a re-post's envelope
_TYPO = 0.75  # two words at least this alike (difflib's ratio) are one word mistyped, not another fact


def signature(text: str) -> np.ndarray:
    """The MinHash of the text's 5-grams: NUM_PERM uint32 values."""
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch(list(shingles(text)))
    return minhash.hashvalues.astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures' 5-gram sets."""
    return float(np.mean(a == b))


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(lower-cased word, whether it states a fact: a figure, or a capitalised word not opening a sentence)."""
    tokens, opening = [], True
    for token in _TOKEN.findall(text.replace("'", "").replace("\u2019", "")):
        if token in ".!?":
            opening = True
            continue
        fact = any(c.isdigit() for c in token) or (token[0].isupper() and not opening)
        tokens.append((token.lower(), fact))
        opening = False
    return tokens


def fact_changes(text_a: str, text_b: str) -> int:
    """How many times one text has a name or figure where the other has another, aligned word by word.

    What follows the last run of `_ANCHOR` shared words is the envelope and does not count: re-posters cut the
    closing paragraph and put their own boilerplate there. Before the first run only a stretch at the very
    start is envelope (their header in place of the original's), since they add in front rather than replace.
    A replaced stretch is not counted when it holds no fact, or when it is words dropped and mistyped (each
    word of the shorter side close to one of the longer)."""
    a, b = _tokens(text_a), _tokens(text_b)
    words_a, words_b = [w for w, _ in a], [w for w, _ in b]
    ops = difflib.SequenceMatcher(None, words_a, words_b, autojunk=False).get_opcodes()
    anchors = [k for k, (tag, i1, i2, _, _) in enumerate(ops) if tag == "equal" and i2 - i1 >= _ANCHOR]
    if not anchors:
        return len([f for _, f in a + b if f])  # nothing in common to align on: every fact differs
    changes = 0
    for tag, i1, i2, j1, j2 in ops[1 : anchors[-1]]:
        if tag != "replace" or not any(f for _, f in a[i1:i2] + b[j1:j2]):
            continue
        if not _dropped_or_mistyped(words_a[i1:i2], words_b[j1:j2]):
            changes += 1
    return changes


def _dropped_or_mistyped(a: list[str], b: list[str]) -> bool:
    shorter, longer = sorted((a, b), key=len)
    return all(any(difflib.SequenceMatcher(None, w, o).ratio() >= _TYPO for o in longer) for w in shorter)


@dataclass(frozen=True)
class FamilyRule:
    """When two releases are one: 5-gram similarity at least `threshold`, dates at most `max_days` apart, and
    at most `max_fact_changes` names or figures changed."""

    threshold: float = 0.4
    max_days: int | None = 7  # None: dates are not compared
    max_fact_changes: int = 0  # names or figures one may change (`fact_changes`)

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
        return {
            "signature": SIGNATURE_VERSION,
            "threshold": self.threshold,
            "max_days": self.max_days,
            "max_fact_changes": self.max_fact_changes,
        }


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

    def release_text(self, doc_id: str) -> str | None:
        """A known release's text, for the facts test."""
        ...


def assign_family(
    store: FamilyStore, rule: FamilyRule, doc_id: str, sig: np.ndarray, day: str | None, text: str
) -> int:
    """Put a release in the family of the most similar known release that is the same one, or a new family."""
    keys = rule.bands(sig)
    candidates = []
    for other_id, other_sig, other_day, other_family in store.family_candidates(keys):
        score = similarity(sig, np.frombuffer(other_sig, dtype=np.uint32))
        if other_id != doc_id and score >= rule.threshold and rule.close_in_time(day, other_day):
            candidates.append((score, other_id, other_family))
    family = None
    for _, other_id, other_family in sorted(candidates, reverse=True):
        other_text = store.release_text(other_id)
        if other_text is not None and fact_changes(text, other_text) <= rule.max_fact_changes:
            family = other_family
            break
    if family is None:
        family = store.new_family()
    store.set_family(doc_id, family, sig.astype(np.uint32).tobytes(), keys)
    return family


class MemoryFamilies:
    """A `FamilyStore` in memory."""

    def __init__(self, dates: dict[str, str | None], texts: dict[str, str]) -> None:
        self.dates = dates
        self.texts = texts
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

    def release_text(self, doc_id: str) -> str | None:
        return self.texts.get(doc_id)
