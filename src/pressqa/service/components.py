"""The models and the answer policy named by the settings, each built on first use and then kept."""

from functools import cached_property

from pressqa.config import Settings
from pressqa.ingest.analyze import Analyzer
from pressqa.reader.base import Reader
from pressqa.reader.binding import BindingCheck
from pressqa.reader.calibration import Calibration, load_calibration
from pressqa.reader.heuristic import HeuristicReader
from pressqa.reader.policy import AnswerPolicy
from pressqa.retrieval.embed import Embedder


def make_reader(settings: Settings, embedder: Embedder) -> Reader:
    """The reader named by the `reader` setting: 'learned', 'heuristic' or 'transformers' (from `reader_path`)."""
    if settings.reader == "heuristic":
        return HeuristicReader(settings.reader_sentences)
    if settings.reader == "learned":
        from pressqa.reader.selector import LearnedSelector
        from pressqa.reader.span_reader import LearnedReader

        sentences = settings.learned_reader_sentences
        selector = LearnedSelector(sentences=sentences) if settings.selector == "learned" else None
        by_score = settings.learned_reader_by_score
        binding = BindingCheck(settings.binding_penalty)
        return LearnedReader(
            embedder, settings.reader_weights, sentences, by_score, selector, settings.reader_int8, binding
        )
    from pressqa.reader.hf_reader import TransformersReader

    return TransformersReader(str(settings.reader_path))


def make_calibration(settings: Settings) -> Calibration | None:
    """Maps the learned reader's scores to probabilities of being right; None: scores stay raw."""
    if settings.reader != "learned" or not settings.calibrate_scores:
        return None
    from pressqa.reader.span_model import default_weights

    return load_calibration(settings.calibration, settings.reader_weights or default_weights())


def make_policy(settings: Settings) -> AnswerPolicy:
    return AnswerPolicy(
        settings.no_answer_threshold,
        settings.high_confidence,
        settings.medium_confidence,
        make_calibration(settings),
        settings.require_question_names,
        settings.list_threshold,
    )


class Components:
    """The embedder, analyzer, reader and answer policy; each is loaded when first used.

    One set serves every index an engine is pointed at; tests share one embedder by assigning it.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def embedder(self) -> Embedder:
        return Embedder.from_settings(self.settings)

    @cached_property
    def analyzer(self) -> Analyzer:
        return Analyzer(processes=self.settings.nlp_processes)

    @cached_property
    def reader(self) -> Reader:
        return make_reader(self.settings, self.embedder)

    @cached_property
    def policy(self) -> AnswerPolicy:
        return make_policy(self.settings)

    def loaded(self, name: str) -> bool:
        """Whether the component `name` has been built already."""
        return name in self.__dict__
