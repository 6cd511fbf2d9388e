"""The reader's accuracy against its time for a few settings (`pressqa bench reader`), so a user can pick.

Each setting asks the same question set over the same index, one question at a time as a user would, and
reports answerable EM/F1, the abstentions on both sides and the reader's median and p95 time. The settings
differ only in what the reader does: how many sentences it reads and whether its layers run in int8.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pressqa.config import Settings
from pressqa.evaluation import evaluate as ev
from pressqa.evaluation.corpus_index import use_corpus_index
from pressqa.ingest.pipeline import ingest
from pressqa.retrieval.retrieve import Mode
from pressqa.service.qa import PressQA


@dataclass(frozen=True)
class ReaderSetting:
    sentences: int
    int8: bool

    @property
    def name(self) -> str:
        return f"{self.sentences} sentence{'s' if self.sentences > 1 else ''}, {'int8' if self.int8 else 'bf16/fp32'}"


GRID = tuple(ReaderSetting(n, int8) for int8 in (False, True) for n in (1, 3, 5))


def measure(
    settings: Settings,
    questions: Path,
    corpus: list[Path] | None,
    grid: tuple[ReaderSetting, ...] = GRID,
    say: Callable[[str], None] = print,
) -> dict:
    """One row per setting; the index is built (or reused from the eval cache) by the first setting."""
    items = ev.load_questions(questions)
    rows, embedder = [], None
    for setting in grid:
        update = {"learned_reader_sentences": setting.sentences, "reader_int8": setting.int8, "reader": "learned"}
        engine = PressQA(settings.model_copy(update=update))
        engine.embedder = embedder or engine.embedder  # one encoder in memory for every setting
        embedder = engine.embedder
        try:
            _prepare_index(engine, corpus, say)
            say(f"reader: {setting.name} over {len(items)} questions …")
            result = ev.evaluate(engine, questions.name, items, Mode.hybrid, False, False)
        finally:
            engine.close()
        rows.append({"setting": setting.name, "sentences": setting.sentences, "int8": setting.int8, **_row(result)})
    return {"questions": str(questions), "corpus": [str(c) for c in corpus or []], "rows": rows}


def _prepare_index(engine: PressQA, corpus: list[Path] | None, say: Callable[[str], None]) -> None:
    if corpus:
        use_corpus_index(engine, corpus, progress=False, log=say)
    else:
        s = engine.settings
        ingest([s.corpus_dir], s, engine.embedder, engine.analyzer, progress=False)


def _row(result: ev.EvalResult) -> dict:
    summary = ev.summarize(result.records, result.threshold)
    reader = summary["latency_ms"]["reader"]
    answerable = [r for r in result.records if r.answerable]
    abstained = sum(1 for r in answerable if r.prediction is None)
    return {
        "answerable_em": round(100 * summary["answerable_scores"]["em"], 1),
        "answerable_f1": round(100 * summary["answerable_scores"]["f1"], 1),
        "answerable_abstained": f"{abstained}/{len(answerable)}",
        "unanswerable_abstained": round(summary["unanswerable_abstained"], 3),
        "reader_ms_median": round(reader["median"], 1),
        "reader_ms_p95": round(reader["p95"], 1),
    }
