"""How well release families are found: labelled pairs built from real releases.

Positive pairs: a release against a re-post of itself — a new headline, the re-poster's boilerplate (a
"FOR IMMEDIATE RELEASE" line or a dateline, an "About …" paragraph, a media contact), the original's last
paragraph sometimes cut, light edits (about 2% of the words changed or dropped, sometimes a sentence dropped),
published up to three days later. Negative pairs: the release against a different release of the same topic,
once drawn at random and once the most similar one in the whole collection (the hard case: releases written
from one template about another defendant, the next stage of the same case, or the same notice for another
county). "Different" means another DOJ press-release number and not the same title on the same day: the
collection itself holds a few releases posted twice, which are families, not negatives.

Each pair is decided the way ingest decides it: every release of the set goes into one family store in a
random order, so the LSH candidates, the similarity threshold, the date window and the facts test all play
their part. The rule's settings are chosen on pairs drawn with one seed and reported on pairs drawn with another.

A second set is real: every pair of releases of the collection that passes the text and date tests
(`collection_twins`), labelled the same way. There only the facts test tells a release posted twice from its
template twin.
"""

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from pressqa.ingest.families import (
    FamilyRule,
    MemoryFamilies,
    assign_family,
    signature,
    similarity,
)
from pressqa.schema import Document
from pressqa.text import shingles

_PUBLISHERS = [
    (
        "Newswire Today",
        "Newswire Today distributes press releases and regulatory news for organisations worldwide, "
        "reaching journalists, investors and the public through its network of partner sites and feeds.",
    ),
    (
        "Federal News Network Desk",
        "The Federal News Network Desk republishes announcements from federal agencies "
        "for its readers in government, law and public policy. Releases appear as issued by the agency.",
    ),
    (
        "Public Safety Bulletin",
        "Public Safety Bulletin is an independent digest of law-enforcement news. It carries "
        "official releases in full and links to the source. Subscribe for the daily edition.",
    ),
    (
        "Legal Wire Service",
        "Legal Wire Service provides same-day distribution of court, enforcement and compliance "
        "news to law firms, compliance officers and newsrooms in the United States and abroad.",
    ),
    (
        "Community Herald Online",
        "Community Herald Online is a local news site. Content from government agencies "
        "is published as received and may be edited for length and style.",
    ),
]
_SWAPS = {
    "announced": "said",
    "said": "stated",
    "charged": "accused",
    "approximately": "about",
    "federal": "Federal",
    "also": "additionally",
    "according": "pursuant",
    "pleaded": "pled",
    "including": "among them",
    "received": "got",
}


@dataclass
class Pair:
    a: Document
    b: Document
    same: bool
    kind: str  # 'repost', 'random same topic', 'most similar'


def repost(doc: Document, rng: random.Random) -> Document:
    """`doc` re-posted elsewhere: new headline, boilerplate, light edits, the same day or the next."""
    name, about = rng.choice(_PUBLISHERS)
    paragraphs = [p for p in doc.text.split("\n") if p.strip()]
    if len(paragraphs) > 3 and rng.random() < 0.3:
        paragraphs = paragraphs[:-1]  # re-posters often cut the closing credits
    paragraphs = [_edit(p, rng) for p in paragraphs]
    if len(paragraphs) > 2 and rng.random() < 0.3:
        i = rng.randrange(1, len(paragraphs) - 1)
        sentences = re.split(r"(?<=[.!?])\s+", paragraphs[i])
        if len(sentences) > 1:
            del sentences[rng.randrange(len(sentences))]
            paragraphs[i] = " ".join(sentences)
    day = date.fromisoformat(doc.date) + timedelta(days=rng.choice([0, 0, 0, 1, 1, 2, 3])) if doc.date else None
    head = rng.choice(
        ["FOR IMMEDIATE RELEASE", f"WASHINGTON, {day:%B %-d, %Y} /{name}/ --" if day else "WASHINGTON --"]
    )
    tail = [f"About {name}", about, f"Media contact: {name} press desk, +1 202 555 0{rng.randrange(100, 999)}", "###"]
    title = rng.choice([f"{doc.title} | {name}", f"UPDATE: {doc.title}", doc.title.upper(), f"{doc.title} ({name})"])
    text = "\n\n".join([head, *paragraphs, *tail])
    return Document(f"{doc.doc_id}-repost", text, title, day.isoformat() if day else None, source=name)


def _edit(paragraph: str, rng: random.Random) -> str:
    """About 2% of the words swapped for a near-synonym, dropped or mistyped."""
    out = []
    for word in paragraph.split(" "):
        roll = rng.random()
        if roll < 0.02 and word.lower() in _SWAPS:
            word = _SWAPS[word.lower()]
        elif roll < 0.01:
            continue
        elif roll < 0.015 and len(word) > 4 and word.isalpha():
            i = rng.randrange(1, len(word) - 1)
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        out.append(word)
    return " ".join(out)


def _document(row: dict) -> Document:
    return Document(row["id"], row["text"], row["title"], row.get("date"), row.get("url"), row.get("publisher"))


def _same_release(a: dict, b: dict) -> bool:
    return (a.get("pr_number") and a.get("pr_number") == b.get("pr_number")) or (
        a["title"] == b["title"] and a.get("date") == b.get("date")
    )


@lru_cache(maxsize=2)
def _collection(releases: Path) -> tuple[list[dict], list[np.ndarray]]:
    """The releases of a JSONL file and their signatures, read and computed once for every set built from them."""
    rows = [json.loads(line) for line in releases.read_text().splitlines() if line.strip()]
    return rows, [signature(row["text"]) for row in rows]


def _band_store(rows: list[dict], sigs: list[np.ndarray], rule: FamilyRule) -> MemoryFamilies:
    """Every release filed under the LSH band keys of `rule`, as ingest files them, to look up candidates."""
    store = MemoryFamilies({r["id"]: r.get("date") for r in rows}, {})
    for row, sig in zip(rows, sigs, strict=True):
        store.set_family(row["id"], 0, sig.tobytes(), rule.bands(sig))
    return store


def build_pairs(releases: Path, count: int, seed: int = 0) -> list[Pair]:
    """`count` releases, each with a re-post, a random same-topic release and its most similar release."""
    rows, sigs = _collection(releases)
    rng = random.Random(seed)
    chosen = rng.sample(range(len(rows)), min(count, len(rows)))
    by_topic: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for topic in row.get("topics") or ["(none)"]:
            by_topic.setdefault(topic, []).append(i)
    nearest = _most_similar(rows, sigs, chosen)
    pairs = []
    for i in chosen:
        doc = _document(rows[i])
        pairs.append(Pair(doc, repost(doc, rng), True, "repost"))
        topic = (rows[i].get("topics") or ["(none)"])[0]
        others = [j for j in by_topic[topic] if j != i and not _same_release(rows[i], rows[j])]
        if others:
            pairs.append(Pair(doc, _document(rows[rng.choice(others)]), False, "random same topic"))
        if nearest.get(i) is not None:
            pairs.append(Pair(doc, _document(rows[nearest[i]]), False, "most similar"))
    return pairs


def _most_similar(rows: list[dict], sigs: list[np.ndarray], chosen: list[int]) -> dict[int, int | None]:
    """For each chosen release, the other release (not the same one) sharing most of its 5-grams."""
    wide = FamilyRule(threshold=0.125)  # its bands propose releases sharing 10% of their 5-grams and more
    store = _band_store(rows, sigs, wide)
    position = {row["id"]: i for i, row in enumerate(rows)}
    nearest: dict[int, int | None] = {}
    for i in chosen:
        mine = shingles(rows[i]["text"])
        best, best_j = -1.0, None
        for other, _, _, _ in store.family_candidates(wide.bands(sigs[i])):
            j = position[other]
            if j == i or _same_release(rows[i], rows[j]):
                continue
            theirs = shingles(rows[j]["text"])
            jaccard = len(mine & theirs) / len(mine | theirs)
            if jaccard > best:
                best, best_j = jaccard, j
        nearest[i] = best_j
    return nearest


def decide(pairs: list[Pair], rule: FamilyRule, seed: int = 0) -> list[bool]:
    """Whether each pair ends up in one family when all their releases are ingested in a random order."""
    docs = {p.a.doc_id: p.a for p in pairs} | {p.b.doc_id: p.b for p in pairs}
    signatures = {doc_id: signature(doc.text) for doc_id, doc in docs.items()}
    order = sorted(docs)
    random.Random(seed).shuffle(order)
    store = MemoryFamilies({i: d.date for i, d in docs.items()}, {i: d.text for i, d in docs.items()})
    for doc_id in order:
        assign_family(store, rule, doc_id, signatures[doc_id], docs[doc_id].date, docs[doc_id].text)
    return [store.family[p.a.doc_id] == store.family[p.b.doc_id] for p in pairs]


def scores(pairs: list[Pair], decided: list[bool]) -> dict:
    """Precision and recall of "one family" over the pairs, and how many pairs of each kind were grouped."""
    tp = sum(p.same and d for p, d in zip(pairs, decided, strict=True))
    fp = sum(not p.same and d for p, d in zip(pairs, decided, strict=True))
    fn = sum(p.same and not d for p, d in zip(pairs, decided, strict=True))
    by_kind = {}
    for kind in dict.fromkeys(p.kind for p in pairs):
        mine = [d for p, d in zip(pairs, decided, strict=True) if p.kind == kind]
        by_kind[kind] = {"pairs": len(mine), "grouped": sum(mine)}
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "positives": tp + fn,
        "negatives": sum(not p.same for p in pairs),
        "by_kind": by_kind,
    }


NO_FACT_TEST = 10**6  # max_fact_changes that lets any release through


def sweep(pairs: list[Pair], thresholds: list[float], windows: list[int | None], facts: list[int]) -> list[dict]:
    """The figures for each (threshold, date window, fact changes allowed) on the given pairs."""
    return [
        {"threshold": t, "max_days": w, "max_fact_changes": f, **scores(pairs, decide(pairs, FamilyRule(t, w, f)))}
        for t in thresholds
        for w in windows
        for f in facts
    ]


def collection_twins(releases: Path, rule: FamilyRule) -> list[Pair]:
    """Every pair of releases in the collection that passes the rule's text and date tests: real near-twins.

    Labelled by the DOJ release number (or the same title on the same day): most are template twins, a few
    are one release posted twice. Only the facts test can tell them apart."""
    rows, sigs = _collection(releases)
    store = _band_store(rows, sigs, rule)
    by_id = {r["id"]: (r, sig) for r, sig in zip(rows, sigs, strict=True)}
    pairs, seen = [], set()
    for r, sig in zip(rows, sigs, strict=True):
        for other, _, day, _ in store.family_candidates(rule.bands(sig)):
            key = tuple(sorted((r["id"], other)))
            if other == r["id"] or key in seen:
                continue
            seen.add(key)
            other_row, other_sig = by_id[other]
            if similarity(sig, other_sig) >= rule.threshold and rule.close_in_time(r.get("date"), day):
                same = bool(_same_release(r, other_row))
                pairs.append(Pair(_document(r), _document(other_row), same, "collection near-twin"))
    return pairs


def measure(releases: Path, count: int, rule: FamilyRule, log: Callable[[str], None]) -> dict:
    """Choose on one draw of pairs (a sweep), report the configured rule on another draw of other releases,
    and on every near-twin pair of the whole collection."""
    log(f"building pairs from {count} releases for the sweep (seed 1) …")
    selection = build_pairs(releases, count, seed=1)
    grid = sweep(selection, [0.3, 0.4, 0.5], [3, 7, None], [0, 1, NO_FACT_TEST])
    log(f"building pairs from {count} other releases for the figures (seed 2) …")
    held_out = build_pairs(releases, count, seed=2)
    log("finding the near-twins of the whole collection …")
    twins = collection_twins(releases, rule)
    loose = FamilyRule(rule.threshold, rule.max_days, NO_FACT_TEST)
    return {
        "releases": str(releases),
        "rule": rule.describe(),
        "sweep_seed_1": grid,
        "held_out_seed_2": scores(held_out, decide(held_out, rule)),
        "held_out_without_facts": scores(held_out, decide(held_out, loose)),
        "held_out_without_dates": scores(held_out, decide(held_out, FamilyRule(rule.threshold, None, 0))),
        "collection_twins": scores(twins, decide_pairs(twins, rule)),
        "collection_twins_without_facts": scores(twins, decide_pairs(twins, loose)),
    }


def decide_pairs(pairs: list[Pair], rule: FamilyRule) -> list[bool]:
    """Each pair decided on its own (for pairs that share releases, where one family store would chain them)."""
    return [decide([p], rule)[0] for p in pairs]


def ingest_throughput(releases: Path, count: int, settings, embedder, analyzer, log: Callable[[str], None]) -> dict:
    """What families cost a real ingest of `count` releases.

    Two figures: chunks per second with families on and off (runs in the order off, on, on, off, averaged, so
    drift cancels; runs on this machine still differ by ±10% from one to the next), and the family work timed
    alone on the same index — `group_families` over every release of the index built without families, which
    is the code ingest runs (signatures from the stored texts, then each release put in a family), so that
    ratio = ingest time / (ingest time + family time) carries no run-to-run noise."""
    import tempfile
    import time

    from pressqa.ingest.pipeline import family_rule, group_families, ingest
    from pressqa.retrieval.index import Index

    rows = [json.loads(line) for line in releases.read_text().splitlines()[:count]]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        (corpus / "releases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        warm = Path(tmp) / "warm"
        warm.mkdir()
        (warm / "releases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:5]))
        ingest([warm], settings.model_copy(update={"index_dir": Path(tmp) / "warm-index"}), embedder, analyzer)
        runs: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
        for n, on in enumerate([False, True, True, False]):
            run_settings = settings.model_copy(update={"families": on, "index_dir": Path(tmp) / f"index-{n}"})
            started = time.perf_counter()
            report = ingest([corpus], run_settings, embedder, analyzer)
            seconds = time.perf_counter() - started
            runs[on].append((seconds, report.chunks))
            log(f"ingest {count} releases, families {'on' if on else 'off'}: {report.chunks / seconds:.1f} chunks/s")
        index = Index.load(Path(tmp) / "index-0")
        started = time.perf_counter()
        group_families(index, family_rule(settings.model_copy(update={"families": True})))
        family_s = time.perf_counter() - started
        index.close()
    rate = {on: sum(c for _, c in r) / sum(t for t, _ in r) for on, r in runs.items()}
    off_s = sum(t for t, _ in runs[False]) / 2
    return {
        "releases": count,
        "chunks_per_s_on": rate[True],
        "chunks_per_s_off": rate[False],
        "ratio": rate[True] / rate[False],
        "family_ms_per_release": family_s * 1000 / count,
        "ratio_family_work": off_s / (off_s + family_s),
    }


def run(releases: Path, count: int, settings, log: Callable[[str], None]) -> dict:
    """Every figure of `pressqa bench families`: the rule on labelled pairs, then ingest with and without."""
    from pressqa.ingest.pipeline import family_rule
    from pressqa.service.qa import PressQA

    rule = family_rule(settings.model_copy(update={"families": True}))
    result = measure(releases, count, rule, log)
    engine = PressQA(settings)
    result["throughput"] = ingest_throughput(releases, 120, settings, engine.embedder, engine.analyzer, log)
    return result
