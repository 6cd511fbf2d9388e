"""Benchmarks measured side by side: query path vs the embedding floor, ingest vs plain encode, FAISS scale, memory."""

import json
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np

from pressqa.config import Settings
from pressqa.ingest.load import load_paths
from pressqa.ingest.pipeline import ingest
from pressqa.retrieval.dense import AnnConfig, VectorIndex
from pressqa.retrieval.embed import passage_text
from pressqa.retrieval.index import Index, index_lock
from pressqa.service.qa import PressQA


def stats(values: list[float]) -> dict:
    a = np.array(values)
    return {"median": round(float(np.median(a)), 2), "p95": round(float(np.percentile(a, 95)), 2)}


# ---- 1. query path ---------------------------------------------------------------------------
def query_path(engine: PressQA, questions: list[str], repeats: int) -> dict:
    """Warm ask() next to the query embedding alone, interleaved so both see the same machine load."""
    engine.ask(questions[0])
    floor, torch_floor, total, parts = [], [], [], {}
    for _ in range(repeats):
        for question in questions:
            t0 = time.perf_counter()
            engine.embedder.encode_query(question)
            floor.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            engine.embedder._encode([question])  # the same vector through torch, as sentence-transformers does it
            torch_floor.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            result = engine.ask(question)
            total.append(1000 * (time.perf_counter() - t0))
            for key in ("embed", "dense", "bm25", "fusion", "read"):
                parts.setdefault(key, []).append(result.timings_ms[key])
    ask, embed, embed_torch = stats(total), stats(floor), stats(torch_floor)
    return {
        "questions": len(total),
        "chunks": engine.index.store.chunk_count(),
        "ask_ms": ask,
        "embed_only_ms": embed,
        "ratio_median": round(ask["median"] / embed["median"], 2),
        "embed_torch_ms": embed_torch,
        "ratio_to_torch_embed": round(ask["median"] / embed_torch["median"], 2),
        "breakdown_median_ms": {k: stats(v)["median"] for k, v in parts.items()},
    }


def replicate(source: Index, path: Path, chunks: int, seed: int = 0) -> Index:
    """An index of about `chunks` chunks: copies of the source's releases under new ids, vectors jittered."""
    rng = np.random.default_rng(seed)
    with index_lock(path, exclusive=True):
        target = Index.create(path, source.manifest["model"], source.dimension, source.manifest["chunking"], source.ann)
        _fill_with_copies(source, target, chunks, rng)
        target.save()
    return target


def _fill_with_copies(source: Index, target: Index, chunks: int, rng: np.random.Generator) -> None:
    ids, vectors = source.store.vectors()
    doc_of = source.store.chunk_documents(list(ids))
    found = source.store.chunks(list(ids))
    per_doc: dict[str, list[int]] = {}
    for row, chunk_id in enumerate(ids):
        per_doc.setdefault(doc_of[int(chunk_id)], []).append(row)
    docs = [source.store.document(d.doc_id) for d in source.store.documents()]
    copy = 0
    while target.store.chunk_count() < chunks:
        copy += 1
        for doc in docs:
            rows = per_doc.get(doc.doc_id, [])
            parts = [found[int(ids[r])] for r in rows]
            clone = type(doc)(**{**vars(doc), "doc_id": f"{doc.doc_id}#{copy}", "title": f"{doc.title} ({copy})"})
            target.add(
                clone,
                f"copy{copy}",
                [type(c)(**{**vars(c), "doc_id": clone.doc_id}) for c, _ in parts],
                _jitter(vectors[rows], rng),
                [_jitter(s, rng) for _, s in parts],
            )


def _jitter(vectors: np.ndarray, rng: np.random.Generator, scale: float = 0.02) -> np.ndarray:
    noisy = vectors + rng.normal(scale=scale, size=vectors.shape)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


# ---- 2. ingest -------------------------------------------------------------------------------
def synthetic_releases(corpus: Path, folder: Path, count: int, seed: int = 0) -> None:
    """Press-release-sized texts: each seed's paragraphs shuffled, with names and numbers varied."""
    rng = np.random.default_rng(seed)
    seeds = load_paths([corpus]).documents
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        doc = seeds[n % len(seeds)]
        paragraphs = doc.text.split("\n\n")
        body = [paragraphs[0]] + [paragraphs[i] for i in rng.permutation(len(paragraphs))[1:] if i]
        text = "\n\n".join(body).replace("2023", str(2000 + n % 25)).replace("CARsgen", f"CARsgen{n}")
        (folder / f"release-{n:04d}.txt").write_text(text)


def ingest_throughput(settings: Settings, engine: PressQA, folder: Path) -> dict:
    """Chunks per second through `ingest` and through plain encode of the same chunk texts."""
    t0 = time.perf_counter()
    report = ingest([folder], settings, engine.embedder, engine.analyzer)
    ingest_s = time.perf_counter() - t0
    index = Index.load(settings.index_dir)
    found = index.store.chunks(list(index.store.chunk_ids()))
    titles = {d.doc_id: d.title for d in index.store.documents()}
    index.close()
    texts = [passage_text(titles[chunk.doc_id], chunk.text) for chunk, _ in found.values()]
    sentences = sum(len(chunk.sentences) for chunk, _ in found.values())
    t0 = time.perf_counter()
    engine.embedder.model.encode(texts, batch_size=settings.batch_size, normalize_embeddings=True)
    encode_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine.embedder.encode(texts)  # at ingest's own precision: what is left is parsing, NLP and writing
    same_precision_s = time.perf_counter() - t0
    rate = report.chunks / ingest_s
    return {
        "documents": len(report.added),
        "chunks": report.chunks,
        "sentences": sentences,
        "precision": "bfloat16" if engine.embedder.bf16 else "float32",
        "ingest_chunks_per_s": round(rate, 1),
        "encode_chunks_per_s": round(len(texts) / encode_s, 1),
        "ratio": round(rate / (len(texts) / encode_s), 2),
        "encode_same_precision_chunks_per_s": round(len(texts) / same_precision_s, 1),
        "ratio_same_precision": round(rate / (len(texts) / same_precision_s), 2),
    }


# ---- 3. scale --------------------------------------------------------------------------------
def embedding_like_vectors(n: int, dimension: int = 384, latent: int = 64, seed: int = 0) -> np.ndarray:
    """Unit vectors shaped like sentence embeddings: a low-dimensional latent with a decaying spectrum,
    a direction every vector shares (anisotropy) and a little noise; no tidy clusters for IVF to exploit.
    Nearest neighbours sit at cosine ~0.84 and the tenth at ~0.81, so neighbours are hard to tell apart."""
    rng = np.random.default_rng(seed)
    projection = rng.normal(size=(latent, dimension)).astype(np.float32)
    spectrum = (1.0 / np.sqrt(np.arange(1, latent + 1))).astype(np.float32)
    shared = 2.0 * rng.normal(size=dimension).astype(np.float32)
    out = np.empty((n, dimension), dtype=np.float32)
    for start in range(0, n, 100_000):  # in blocks, to keep the temporary arrays small
        m = min(100_000, n - start)
        block = (rng.normal(size=(m, latent)).astype(np.float32) * spectrum) @ projection
        block += shared + 0.3 * rng.normal(size=(m, dimension)).astype(np.float32)
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def scale(n: int, efs: list[int], nprobes: list[int], queries: int = 200, ivf: bool = True) -> list[dict]:
    """Exact against HNSW (at several efSearch) and IVF (at several nprobe): build time, size,
    single-query latency and recall@10 against the exact search."""
    x = embedding_like_vectors(n + queries, seed=n)
    base, q = x[:n], x[n:]
    ids = np.arange(n, dtype=np.int64)
    # HNSW as shipped (float16 vectors) and with float32 vectors, to show what the smaller storage costs.
    variants = [("flat", "fp16", [0]), ("hnsw", "fp16", efs), ("hnsw", "fp32", efs[-1:])]
    variants += [("ivf", "fp16", nprobes)] if ivf else []
    rows = []
    for kind, storage, params in variants:
        ann = AnnConfig(threshold=n + (kind == "flat"), kind=kind, hnsw_storage=storage)
        t0 = time.perf_counter()
        index = VectorIndex.build(base, ids, base.shape[1], ann)
        build_s = time.perf_counter() - t0
        size_mb = len(faiss.serialize_index(index.index)) / 2**20
        for param in params:
            index.ann = AnnConfig(ef_search=max(param, 1), nprobe=max(param, 1))
            found, times = [], []
            for vector in q:
                t0 = time.perf_counter()
                _, got = index.search(vector, 10)
                times.append(1000 * (time.perf_counter() - t0))
                found.append(got)
            rows.append(
                {
                    "vectors": n,
                    "index": index.describe(),
                    "param": f"efSearch {param}" if kind == "hnsw" else f"nprobe {param}" if kind == "ivf" else None,
                    "build_s": round(build_s, 2),
                    "size_mb": round(size_mb, 1),
                    "search_ms": stats(times),
                    "found": np.array(found),
                }
            )
        del index
    exact = rows[0]["found"]
    for row in rows:
        hits = [len(set(a) & set(b)) / 10 for a, b in zip(row.pop("found"), exact, strict=True)]
        row["recall@10"] = round(float(np.mean(hits)), 4)
    return rows


# ---- 4. memory -------------------------------------------------------------------------------
MEMORY_PROBE = """
import json, sys
from pressqa.config import Settings
from pressqa.service.qa import PressQA
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
engine = PressQA(Settings(index_dir=sys.argv[1]))
engine.embedder.encode_query("warm up")
model = rss()
engine.ask("When did CT041 receive RMAT?")
chunks = engine.index.store.chunk_count()
print(json.dumps({"model_mb": round(model, 1), "server_mb": round(rss(), 1), "chunks": chunks}))
"""


def memory(index_dir: Path) -> dict:
    """RSS of a fresh process with the model loaded, then after loading the index and answering once."""
    run = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(index_dir)], capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(run.stderr[-2000:])
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    index_mb = figures["server_mb"] - figures["model_mb"]
    figures["index_mb"] = round(index_mb, 1)
    # Per 100k chunks only from a sizeable index: a few chunks' share of fixed costs says nothing.
    big = figures["chunks"] >= 5000
    figures["index_mb_per_100k_chunks"] = round(index_mb * 100_000 / figures["chunks"], 1) if big else None
    return figures


def run_bench(settings: Settings, questions: list[str], repeats: int, releases: int, large: bool, say=print) -> dict:
    """Every figure of `pressqa bench`: query path, ingest, FAISS at scale, server memory."""
    import os
    import tempfile

    result: dict = {"machine": {"cpus": os.cpu_count(), "threads": settings.threads}}
    with tempfile.TemporaryDirectory(prefix="pressqa-bench-") as tmp:
        root = Path(tmp)
        sample = settings.model_copy(update={"index_dir": root / "sample"})
        engine = PressQA(sample)
        say("1/4 query path on the sample corpus …")
        ingest([settings.corpus_dir], sample, engine.embedder, engine.analyzer)
        result["query_sample"] = query_path(engine, questions, repeats)
        say("1/4 query path at 10k chunks …")
        replicate(engine.index, root / "10k", 10_000).close()
        big = PressQA(settings.model_copy(update={"index_dir": root / "10k"}))
        big.embedder = engine.embedder
        result["query_10k"] = query_path(big, questions, repeats)
        big.close()
        say(f"2/4 ingest of {releases} synthetic releases …")
        synthetic_releases(settings.corpus_dir, root / "releases", releases)
        fresh = settings.model_copy(update={"index_dir": root / "ingest"})
        result["ingest"] = ingest_throughput(fresh, engine, root / "releases")
        result["scale"] = []
        for n in [10_000, 100_000] + ([1_000_000] if large else []):
            say(f"3/4 FAISS exact, HNSW and IVF at {n:,} vectors …")
            result["scale"] += scale(n, [64, 128, 256], [64, 128, 256, 512])
        say("4/4 server memory …")
        result["memory"] = [memory(root / "sample"), memory(root / "10k")]
        if large:
            replicate(engine.index, root / "100k", 100_000).close()
            result["memory"].append(memory(root / "100k"))
        engine.close()
    return result
