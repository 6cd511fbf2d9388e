import numpy as np
import pytest

from pressqa.config import Settings
from pressqa.reader.heuristic import HeuristicReader
from pressqa.reader.hf_reader import TransformersReader
from pressqa.reader.question import analyze_question
from pressqa.retrieval.retrieve import Retrieved
from pressqa.schema import Chunk, Passage, Span
from pressqa.service.components import make_reader


@pytest.fixture(scope="module")
def tiny_qa_model(tmp_path_factory):
    """A randomly initialised BERT QA model and tokenizer, built and saved locally: no download."""
    import torch
    from transformers import BertConfig, BertForQuestionAnswering, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny_qa")
    words = "when did acme hire jane roe in march 2021 corp . , ? the a of".split()
    (folder / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]))
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
    )
    BertForQuestionAnswering(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def test_transformers_reader_returns_document_offsets(tiny_qa_model):
    doc_text = "Intro line.\nAcme Corp. hired Jane Roe in March 2021."
    start = doc_text.index("Acme")
    chunk = Chunk("doc", start, len(doc_text), doc_text[start:], [Span(start, len(doc_text))], chunk_id=3)
    retrieved = Retrieved([Passage(chunk, "Acme", None, "doc", 1.0)], {})
    answers = TransformersReader(tiny_qa_model).read(analyze_question("When did Acme hire Jane Roe?"), None, retrieved)
    assert len(answers) == 1
    answer = answers[0]
    assert answer.text and doc_text[answer.start : answer.end] == answer.text
    assert start <= answer.start < answer.end <= len(doc_text)
    assert 0.0 <= answer.score <= 1.0 and answer.chunk_id == 3


def test_reader_is_chosen_by_setting(tiny_qa_model, models):
    from pressqa.reader.span_reader import LearnedReader

    assert isinstance(make_reader(Settings(reader="heuristic"), models.embedder), HeuristicReader)
    assert isinstance(make_reader(Settings(reader="learned"), models.embedder), LearnedReader)
    chosen = Settings(reader="transformers", reader_path=tiny_qa_model)
    assert isinstance(make_reader(chosen, models.embedder), TransformersReader)


def test_transformers_reader_plugs_into_the_engine(corpus_engine, tiny_qa_model):
    from pressqa.service.qa import PressQA

    settings = corpus_engine.settings.model_copy(
        update={"reader": "transformers", "reader_path": tiny_qa_model, "no_answer_threshold": 0.0}
    )
    engine = PressQA(settings)
    engine.embedder = corpus_engine.embedder  # the index loads from the same folder
    result = engine.ask("When did CT041 receive RMAT?")
    answer = result.answer
    assert answer is not None
    assert engine.index.store.document(answer.doc_id).text[answer.start : answer.end] == answer.text
    assert np.isfinite(answer.score)
