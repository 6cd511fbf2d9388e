import json
import random
from types import SimpleNamespace

import pytest
import torch

from pressqa.reader.qamr import Sentence
from pressqa.reader.question import analyze_question
from pressqa.reader.read import ScoredSentence
from pressqa.reader.reader_data import Example, build_examples, name_swapped, read_release_qa
from pressqa.reader.span_reader import (
    N_FEATURES,
    LearnedReader,
    _context,
    attention_bias,
    best_spans,
    featurize,
    load_model,
    lower_states,
    new_span_model,
    pack_state,
    packed_states,
    question_type,
    snap_to_words,
    unpack_state,
)
from pressqa.reader.train_reader import gather, length_batches, train
from pressqa.schema import Chunk, Span
from tests.reader.test_qamr import write_qamr


def test_question_types():
    assert question_type("When did it happen?") == 3
    assert question_type("How many people came?") == 6
    assert question_type("How did it go?") == 8
    assert question_type("Name the company.") == 9


def test_featurize_marks_question_words_and_expected_entities(models):
    tokenizer = models.embedder.model.tokenizer
    sentence = "Acme Corp. hired Jane Roe in March 2021."
    batch = featurize(tokenizer, ["When did Acme hire Jane Roe?"], [sentence], [[Span(29, 39, "DATE")]], [[]])
    assert batch.features.shape[-1] == N_FEATURES
    tokens = {sentence[s:e]: t for t, (s, e) in enumerate(batch.offsets[0]) if batch.allowed[0, t] and t > 0}
    assert batch.features[0, tokens["hired"], 0] == 1.0  # a question word (stemmed)
    assert batch.features[0, tokens["March"], 1] == 1.0  # inside an entity of the expected type
    assert batch.features[0, tokens["Corp"], 1] == 0.0
    sentence_tokens = len(tokenizer(sentence, add_special_tokens=False)["input_ids"])
    assert batch.allowed[0, 0] and batch.allowed[0].sum() == sentence_tokens + 1  # [CLS] + the sentence


def test_featurize_reads_a_context_that_never_answers(models):
    tokenizer = models.embedder.model.tokenizer
    context, sentence = "Acme Corp. makes CT041.", "In March 2021, it hired Jane Roe."
    question = ["When did CT041 hire Jane Roe?"]
    plain = featurize(tokenizer, question, [sentence], [[Span(3, 13, "DATE")]], [[]])
    batch = featurize(tokenizer, question, [sentence], [[Span(3, 13, "DATE")]], [[]], [context])
    assert batch.inputs["input_ids"].shape[1] > plain.inputs["input_ids"].shape[1]  # the context is read
    assert batch.allowed[0].sum() == plain.allowed[0].sum()  # but only the sentence can answer
    answerable = [(s, e) for t, (s, e) in enumerate(batch.offsets[0]) if batch.allowed[0, t] and t > 0]
    assert all(s >= 0 for s, _ in answerable) and sentence[: answerable[-1][1]] == sentence  # sentence offsets
    march = next(t for t, (s, e) in enumerate(batch.offsets[0]) if batch.allowed[0, t] and sentence[s:e] == "March")
    assert batch.features[0, march, 1] == 1.0  # entity offsets stay relative to the sentence
    ct041 = [t for t in range(batch.allowed.shape[1]) if not batch.allowed[0, t] and batch.features[0, t, 0] == 1.0]
    assert ct041  # the context's question words are marked too


def test_only_a_sentence_leaning_on_the_one_before_gets_it_as_context():
    text = "Acme Corp. makes CT041. In January 2022, it earned RMAT. Acme Corp. is in Texas."
    spans = [Span(100, 123), Span(124, 156), Span(157, 180)]
    chunk = Chunk("d", 100, 100 + len(text), text, sentences=spans)

    def context(question: str, i: int) -> str:
        span = spans[i]
        sentence = ScoredSentence(chunk, span, text[span.start - 100 : span.end - 100], 1.0, 0)
        return _context(analyze_question(question), sentence)

    assert context("When did CT041 earn RMAT?", 1) == "Acme Corp. makes CT041."  # whose is "it"?
    assert context("When did it earn RMAT?", 1) == ""  # every name of the question is in the sentence
    assert context("Who makes CT041?", 0) == ""  # the chunk's first sentence has none before it
    assert context("Where is CT041 made?", 2) == ""  # no pronoun: the sentence names its subject


def test_best_spans_picks_the_most_probable_valid_span():
    start = torch.full((1, 6), -10.0)
    end = torch.full((1, 6), -10.0)
    start[0, 2], end[0, 4] = 5.0, 5.0
    end[0, 1] = 9.0  # an end before every plausible start must not win
    allowed = torch.tensor([[True, True, True, True, True, False]])
    ((i, j, p_span, p_null),) = best_spans(start, end, allowed)
    assert (i, j) == (2, 4) and 0 < p_span < 1 and p_null < p_span


def test_snap_to_words():
    assert snap_to_words("Claudin18.2 targets", 2, 6) == (0, 9)
    assert snap_to_words("in March 2021", 3, 8) == (3, 8)


def test_length_batches_cover_every_pair_once_grouping_similar_lengths():
    data = [SimpleNamespace(offsets=[(0, 0)] * n) for n in (5, 40, 6, 41, 7, 42, 8, 43)]
    batches = length_batches(data, 4, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(8))
    assert sorted(sorted(len(data[i].offsets) for i in b) for b in batches) == [[5, 6, 7, 8], [40, 41, 42, 43]]
    assert batches == length_batches(data, 4, random.Random(0))  # seeded: the same order again


RELEASES = [
    ("r1", "Acme Corp. was fined today.\n\nJudge Paul Borman imposed a fine of $2 million on March 3, 2015."),
    ("r2", "A Miami pharmacist pleaded guilty.\n\nJohn Doe will be sentenced on Sept. 4, 2014, in Miami."),
    ("r3", "Beta Labs settled.\n\nBeta Labs agreed to pay $5 million to resolve the claims against it."),
    ("r4", "An Ohio doctor was charged.\n\nDr. Ann Lee of Toledo faces up to 10 years in prison."),
    ("r5", "Gamma Inc. pleaded guilty.\n\nGamma Inc. was based in Dallas and sold parking heaters."),
]
RELEASE_QUESTIONS = [
    ("r1", "Which judge imposed the fine on Acme Corp.?", "Paul Borman"),
    ("r1", "When was Acme Corp. fined?", "March 3, 2015"),
    ("r2", "When will John Doe be sentenced?", "Sept. 4, 2014"),
    ("r3", "How much did Beta Labs agree to pay?", "$5 million"),
    ("r3", "Who owns Beta Labs?", None),
    ("r4", "Where is Dr. Ann Lee from?", "Toledo"),
    ("r5", "Where was Gamma Inc. based?", "Dallas"),
]


def write_releases(folder):
    qa = folder / "releases" / "qa"
    qa.mkdir(parents=True)
    texts = dict(RELEASES)
    lines = [json.dumps({"id": rid, "title": "-", "text": text}) for rid, text in RELEASES]
    (folder / "releases" / "doj_releases.jsonl").write_text("\n".join(lines) + "\n")
    rows = []
    for n, (rid, question, answer) in enumerate(RELEASE_QUESTIONS):
        answers = [{"text": answer, "answer_start": texts[rid].index(answer)}] if answer else []
        rows.append(json.dumps({"id": f"t{n}", "question": question, "answers": answers, "source": rid}))
    (qa / "train.jsonl").write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shared")
    (folder / "qamr").mkdir()
    write_qamr(folder / "qamr")
    write_releases(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_weights(shared_data, models):
    out = shared_data / "reader.pt"
    logs = []
    data = gather(shared_data, ("qamr", "releases"), seed=1, limit=None, qamr_sample=None, log=logs.append)
    assert set(data.held) == {"qamr", "releases"}
    best = train(data, out, models.embedder, epochs=2, seed=1, log=logs.append)
    assert out.exists() and out.stat().st_size < 25_000_000
    assert not out.with_suffix(".checkpoint").exists()  # a finished run leaves no checkpoint
    assert any("held-out" in line for line in logs) and {"score", "epoch", "qamr", "releases"} <= set(best)
    return out


def test_release_questions_become_sentence_pairs(shared_data, models):
    texts = read_release_qa(
        shared_data / "releases" / "qa" / "train.jsonl", shared_data / "releases" / "doj_releases.jsonl"
    )
    examples, spans = build_examples(texts, models.analyzer, random.Random(0), random_negative=0.0)
    positives = [e for e in examples if e.start >= 0]
    assert {e.sentence.text[e.start : e.end] for e in positives} == {a for *_, a in RELEASE_QUESTIONS if a}
    judge = next(e for e in positives if e.question.startswith("Which judge"))
    assert judge.sentence.text.startswith("Judge Paul Borman")  # the answer's own sentence, not the release
    assert any(e.label == "MONEY" for e in spans[judge.sentence.sid][0])  # sentence-relative entities
    unanswerable = [e for e in examples if e.question == "Who owns Beta Labs?"]
    assert unanswerable and all(e.start == -1 for e in unanswerable)  # negatives only
    for e in examples:  # a negative never holds its question's answer
        answer = next((a for _, q, a in RELEASE_QUESTIONS if q == e.question), None)
        if e.start < 0 and answer:
            assert answer not in e.sentence.text


def test_name_swapped_negatives_ask_about_someone_else():
    first = Sentence("a:0", "Pfizer's chief executive Albert Bourla spoke in New York on Monday.", [])
    second = Sentence("b:0", "Moderna hired Stephane Bancel in Boston.", [])
    table = {
        "a:0": ([Span(0, 6, "ORG"), Span(25, 38, "PERSON"), Span(48, 56, "GPE")], []),
        "b:0": ([Span(0, 7, "ORG"), Span(14, 29, "PERSON"), Span(33, 39, "GPE")], []),
    }
    positives = [
        Example("Who is the chief executive of Pfizer?", first, 25, 38),
        Example("Whom did Moderna hire in Boston?", second, 14, 29),
    ]
    negatives = name_swapped(positives, table, random.Random(0), rate=1.0)
    assert {n.sentence.sid for n in negatives} == {"a:0", "b:0"}
    for n in negatives:
        assert n.start == n.end == -1  # "no answer here"
        original = next(p for p in positives if p.sentence.sid == n.sentence.sid)
        assert n.question != original.question
        # The swapped-in name is another text's, of the same label, and absent from the sentence.
        new_words = set(n.question.rstrip("?").split()) - set(original.question.rstrip("?").split())
        assert new_words and not any(w in n.sentence.text for w in new_words)
    assert name_swapped(positives, table, random.Random(0), rate=0.0) == []


def test_training_resumes_after_its_last_finished_epoch(shared_data, models, tmp_path):
    data = gather(shared_data, ("releases",), seed=2, limit=None, qamr_sample=None, log=lambda _: None)
    out = tmp_path / "reader.pt"

    def stop_in_epoch_two(line):
        if line.startswith("epoch 2:"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(data, out, models.embedder, epochs=3, seed=2, tuned=1, log=stop_in_epoch_two)
    assert out.with_suffix(".checkpoint").exists()
    logs = []
    best = train(data, out, models.embedder, epochs=3, seed=2, tuned=1, log=logs.append)
    assert any("resuming after epoch 1" in line for line in logs)
    assert not any(line.startswith("epoch 1:") for line in logs) and any(line.startswith("epoch 3:") for line in logs)
    assert best["epoch"] in (1, 2, 3) and not out.with_suffix(".checkpoint").exists()


def test_training_saves_weights_that_load(tiny_weights, models):
    encoder = models.embedder.model[0].auto_model
    model = load_model(encoder, tiny_weights)
    assert len(model.layers) == torch.load(tiny_weights, weights_only=True)["tuned_layers"]
    assert model.layers[-1] is not encoder.encoder.layer[-1]  # tuning never touches the retrieval encoder


def test_float16_packing_keeps_every_weight_to_float16_precision(models):
    model = new_span_model(models.embedder.model[0].auto_model, tuned=1)
    packed = pack_state(model, int8=False)
    assert all(v.dtype == torch.float16 for v in packed.values()) and not any(k.endswith(".int8") for k in packed)
    restored, original = unpack_state(packed), model.state_dict()
    assert all(torch.allclose(restored[k], v, rtol=1e-3, atol=1e-4) for k, v in original.items())


def test_packed_weights_keep_matrices_to_int8_precision(models):
    model = new_span_model(models.embedder.model[0].auto_model, tuned=2)
    packed = pack_state(model)
    query = "layers.0.attention.self.query.weight"
    assert packed[query + ".int8"].dtype == torch.int8 and query not in packed
    assert packed["head.start.weight"].dtype == torch.float16  # the small head stays float16
    restored = unpack_state(packed)
    original = model.state_dict()
    assert restored.keys() == original.keys()
    for name, value in original.items():
        row_max = value.abs().amax(dim=-1, keepdim=True) if value.ndim == 2 else value.abs().max()
        # half a quantisation step of the row, plus float16 rounding of the scale and of small tensors
        assert ((restored[name] - value).abs() <= row_max / 254 * 1.01 + 1e-3 * value.abs() + 1e-6).all(), name


def test_lower_states_plus_top_layers_equal_the_encoder(models):
    encoder = models.embedder.model[0].auto_model
    inputs = models.embedder.model.tokenizer(
        ["When?", "Who is it?"], ["In 2022.", "Bob is."], padding=True, return_tensors="pt"
    )
    model = new_span_model(encoder)
    states = lower_states(encoder, inputs)
    bias = attention_bias(inputs["attention_mask"])
    with torch.inference_mode():
        for layer in model.layers:
            states = layer(states, bias)
            states = states[0] if isinstance(states, tuple) else states
        expected = encoder(**inputs).last_hidden_state
    mask = inputs["attention_mask"].bool()
    assert torch.allclose(states[mask], expected[mask], atol=1e-4)


def test_packed_states_equal_the_padded_computation(models):
    encoder = models.embedder.model[0].auto_model
    inputs = models.embedder.model.tokenizer(
        ["When did it happen?", "Who?", "Where is the company based?"],
        ["It happened in March 2021 after a long review.", "Bob.", "Acme is based in Shanghai, China."],
        padding=True,
        return_tensors="pt",
    )
    model = new_span_model(encoder)
    with torch.inference_mode():
        padded = model.contextualize(lower_states(encoder, inputs), inputs["attention_mask"])
    packed = packed_states(encoder, model, inputs)
    mask = inputs["attention_mask"].bool()
    assert packed.shape == padded.shape and not mask.all()  # the batch really has padding
    assert torch.allclose(packed[mask], padded[mask], atol=1e-4)
    assert not packed[~mask].any()


def test_learned_reader_answers_with_document_offsets(corpus_engine, tiny_weights):
    reader = LearnedReader(corpus_engine.embedder, tiny_weights)
    question = "When did CT041 receive RMAT?"
    vector, retrieved, _ = corpus_engine.retrieve(question, 5)
    answers = reader.read(question, vector, retrieved)
    from pressqa.reader.question import analyze_question

    chosen = reader.selector.best_sentences(analyze_question(question), vector, retrieved)
    order = [next(k for k, s in enumerate(chosen) if s.span == a.sentence) for a in answers]
    assert answers and order == sorted(set(order))  # at most one answer per sentence, in the selector's order
    for answer in answers:
        assert corpus_engine.index.document(answer.doc_id).text[answer.start : answer.end] == answer.text
        assert 0.0 <= answer.score <= 1.0
        chunk = next(s.chunk for s in chosen if s.span == answer.sentence)
        dates = [e for e in chunk.entities if e.label == "DATE" and e.start < answer.end and answer.start < e.end]
        assert dates  # "when" is answered by a date, whatever the tiny model prefers


def test_release_set_holds_out_what_training_holds_out(shared_data, tmp_path):
    from pressqa.reader.reader_data import split_texts, write_release_set

    questions, releases = write_release_set(shared_data, tmp_path, seed=1, distractors=10)
    rows = [json.loads(line) for line in (tmp_path / "questions.jsonl").read_text().splitlines()]
    texts = read_release_qa(
        shared_data / "releases" / "qa" / "train.jsonl", shared_data / "releases" / "doj_releases.jsonl"
    )
    _, held = split_texts(texts, 0.2, 1)
    held_ids = {t.key for t in held}
    assert questions == len(rows) > 0 and releases == len(RELEASES)  # no release is left to add as a distractor
    assert {r["source"] for r in rows if r["answers"]} <= held_ids  # only questions training never saw
    assert all(r["source"] is None for r in rows if not r["answers"])  # unanswerable: no release answers it
    corpus = [json.loads(line)["id"] for line in (tmp_path / "releases.jsonl").read_text().splitlines()]
    assert set(corpus) == {rid for rid, _ in RELEASES}
