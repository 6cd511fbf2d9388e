import torch

from pressqa.reader.heuristic import ScoredSentence
from pressqa.reader.question import analyze_question
from pressqa.reader.span_decoding import best_spans, snap_to_words
from pressqa.reader.span_features import N_FEATURES, featurize, question_type
from pressqa.reader.span_model import (
    attention_bias,
    lower_states,
    new_span_model,
    pack_state,
    packed_states,
    unpack_state,
)
from pressqa.reader.span_reader import LearnedReader, _context
from pressqa.schema import Chunk, Span


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
    assert snap_to_words("in March 2021", -7, -2) == (0, 0)  # all before the sentence: nothing left of it
    assert snap_to_words("in March 2021", -3, 5) == (0, 8)
    assert snap_to_words("in March 2021", 9, 40) == (9, 13)


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
    answers = reader.read(analyze_question(question), vector, retrieved)
    chosen = reader.selector.best_sentences(analyze_question(question), vector, retrieved)
    order = [next(k for k, s in enumerate(chosen) if s.span == a.sentence) for a in answers]
    assert answers and order == sorted(set(order))  # at most one answer per sentence, in the selector's order
    for answer in answers:
        assert corpus_engine.index.store.document(answer.doc_id).text[answer.start : answer.end] == answer.text
        assert 0.0 <= answer.score <= 1.0
        chunk = next(s.chunk for s in chosen if s.span == answer.sentence)
        dates = [e for e in chunk.entities if e.label == "DATE" and e.start < answer.end and answer.start < e.end]
        assert dates  # "when" is answered by a date, whatever the tiny model prefers


def test_int8_reader_reads_like_the_float_one(corpus_engine):
    question = "When did CT041 receive RMAT?"
    vector, retrieved, _ = corpus_engine.retrieve(question, 5)
    plain = LearnedReader(corpus_engine.embedder)
    int8 = LearnedReader(corpus_engine.embedder, int8=True)
    assert any(m._get_name() == "DynamicQuantizedLinear" for m in int8.model.layers.modules())
    assert not any(m._get_name() == "DynamicQuantizedLinear" for m in plain.model.layers.modules())
    first, second = (r.read(analyze_question(question), vector, retrieved) for r in (plain, int8))
    assert first[0].text == second[0].text == "January 2022"  # the shipped weights, either way
    assert abs(first[0].score - second[0].score) < 0.1
