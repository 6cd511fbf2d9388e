import json
import random
from types import SimpleNamespace

import pytest
import torch

from pressqa.reader.span_model import load_model
from pressqa.schema import Span
from pressqa.training.data import Example, build_examples, name_swapped, period_swapped, read_release_qa
from pressqa.training.encoding import length_batches
from pressqa.training.gather import gather
from pressqa.training.qamr import Sentence
from pressqa.training.train import TrainingOptions, train, widened
from tests.training.shared_data import RELEASE_QUESTIONS, RELEASES


def test_length_batches_cover_every_pair_once_grouping_similar_lengths():
    data = [SimpleNamespace(offsets=[(0, 0)] * n) for n in (5, 40, 6, 41, 7, 42, 8, 43)]
    batches = length_batches(data, 4, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(8))
    assert sorted(sorted(len(data[i].offsets) for i in b) for b in batches) == [[5, 6, 7, 8], [40, 41, 42, 43]]
    assert batches == length_batches(data, 4, random.Random(0))  # seeded: the same order again


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


def test_name_swapped_prefers_another_name_of_the_same_release():
    lead = Sentence("r:0", "CARsgen named Li Zonghai its chief executive.", [])
    partner = Sentence("r:1", "The deal was signed with Moderna in Boston.", [])
    elsewhere = Sentence("s:0", "Pfizer opened a plant.", [])
    table = {
        "r:0": ([Span(0, 7, "ORG"), Span(14, 24, "PERSON")], []),
        "r:1": ([Span(25, 32, "ORG"), Span(36, 42, "GPE")], []),
        "s:0": ([Span(0, 6, "ORG")], []),
    }
    positives = [
        Example("Who is the chief executive of CARsgen?", lead, 14, 24),
        Example("Where was the deal with Moderna signed?", partner, 36, 42),
        Example("What did Pfizer open?", elsewhere, 9, 21),
    ]
    negatives = {n.sentence.sid: n.question for n in name_swapped(positives, table, random.Random(0), rate=1.0)}
    assert negatives["r:0"] == "Who is the chief executive of Moderna?"  # the partner the same release names
    assert negatives["r:1"] == "Where was the deal with CARsgen signed?"


def test_period_swapped_negatives_ask_about_another_quarter_year_or_phase():
    results = Sentence("a:0", "Net loss for the first quarter of 2025 was $1.3 million.", [])
    trial = Sentence("b:0", "The Phase 3 trial enrolled 760 patients in Q2.", [])
    undated = Sentence("c:0", "Net loss was $2 million.", [])
    positives = [
        Example("What net loss was reported for the first quarter of 2025?", results, 43, 55),
        Example("How many patients did the Phase 3 trial enroll?", trial, 27, 30),
        Example("What net loss was reported in 2024?", undated, 13, 23),  # the sentence names no year
        Example("Who?", results, -1, -1),  # negatives are never swapped
    ]
    negatives = period_swapped(positives, random.Random(0), rate=1.0)
    assert [n.sentence.sid for n in negatives] == ["a:0", "b:0"]
    assert all(n.start == n.end == -1 for n in negatives)
    first, second = (n.question for n in negatives)
    assert first != positives[0].question and (
        "of 2024" in first or "of 2026" in first or "the first quarter" not in first
    )
    assert "Phase 3" not in second and "Phase " in second
    assert period_swapped(positives, random.Random(0), rate=0.0) == []


def test_training_resumes_after_its_last_finished_epoch(shared_data, models, tmp_path):
    data = gather(shared_data, ("releases",), seed=2, limit=None, qamr_sample=None, log=lambda _: None)
    out = tmp_path / "reader.pt"

    def stop_in_epoch_two(line):
        if line.startswith("epoch 2:"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(data, out, models.embedder, TrainingOptions(epochs=3, seed=2, tuned_layers=1), stop_in_epoch_two)
    assert out.with_suffix(".checkpoint").exists()
    logs = []
    best = train(data, out, models.embedder, TrainingOptions(epochs=3, seed=2, tuned_layers=1), logs.append)
    assert any("resuming in epoch 2 after batch 0" in line for line in logs)
    assert not any(line.startswith("epoch 1:") for line in logs) and any(line.startswith("epoch 3:") for line in logs)
    assert best["at"] in ("epoch 1", "epoch 2", "epoch 3") and not out.with_suffix(".checkpoint").exists()
    curve = json.loads(out.with_suffix(".curve.json").read_text())
    assert [point["at"] for point in curve] == ["epoch 1", "epoch 2", "epoch 3"]  # the first run's point kept
    assert [p["examples"] for p in curve] == sorted(p["examples"] for p in curve) and curve[0]["examples"] > 0
    assert out.with_suffix(".curve.png").read_bytes()[:4] == b"\x89PNG"  # and as a picture


def test_training_resumes_mid_epoch_from_a_timed_checkpoint(shared_data, models, tmp_path):
    data = gather(shared_data, ("releases",), seed=2, limit=None, qamr_sample=None, log=lambda _: None)
    out = tmp_path / "reader.pt"
    seen = []

    def stop_at_second_checkpoint(line):
        seen.append(line)
        if sum("checkpoint in epoch 1" in x for x in seen) == 2:
            raise KeyboardInterrupt

    options = TrainingOptions(epochs=1, seed=2, tuned_layers=1, batch_size=4, checkpoint_minutes=0.0)
    with pytest.raises(KeyboardInterrupt):
        train(data, out, models.embedder, options, stop_at_second_checkpoint)
    # Interrupted while logging the second checkpoint's figures: the first checkpoint (after batch 1) is the last
    logs = []
    train(data, out, models.embedder, options, logs.append)
    assert "resuming in epoch 1 after batch 1" in "\n".join(logs)
    points = [line.split(":")[0] for line in logs if line.startswith("checkpoint")]
    assert points[0].startswith("checkpoint in epoch 1 after batch 2/")  # batch 1 is not done twice
    assert any(line.startswith("epoch 1: loss") for line in logs)


def test_training_widens_a_model_to_the_whole_encoder(tiny_weights, shared_data, models, tmp_path):
    encoder = models.embedder.model[0].auto_model
    start = load_model(encoder, tiny_weights)
    kept = len(start.layers)
    top = [layer.output.dense.weight.clone() for layer in start.layers]
    whole = widened(start, encoder, 6)
    assert len(whole.layers) == 6 and whole.training
    assert all(a is not b for a, b in zip(whole.layers, encoder.encoder.layer, strict=True))  # copies, never shared
    for mine, theirs in zip(whole.layers[:-kept], encoder.encoder.layer[:-kept], strict=True):
        assert torch.equal(mine.output.dense.weight, theirs.output.dense.weight)  # the encoder's own layers below
    assert all(torch.equal(a.output.dense.weight, b) for a, b in zip(whole.layers[-kept:], top, strict=True))

    data = gather(shared_data, ("releases",), seed=2, limit=None, qamr_sample=None, log=lambda _: None)
    out = tmp_path / "whole.pt"
    options = TrainingOptions(epochs=1, seed=2, tuned_layers=6, init=tiny_weights)
    train(data, out, models.embedder, options, lambda _: None)
    assert len(load_model(encoder, out).layers) == 6 == torch.load(out, weights_only=True)["tuned_layers"]
    curve = json.loads(out.with_suffix(".curve.json").read_text())
    assert [p["at"] for p in curve] == ["start", "epoch 1"] and curve[0]["examples"] == 0


def test_training_saves_weights_that_load(tiny_weights, models):
    encoder = models.embedder.model[0].auto_model
    model = load_model(encoder, tiny_weights)
    assert len(model.layers) == torch.load(tiny_weights, weights_only=True)["tuned_layers"]
    assert model.layers[-1] is not encoder.encoder.layer[-1]  # tuning never touches the retrieval encoder


def test_release_set_holds_out_what_training_holds_out(shared_data, tmp_path):
    from pressqa.training.data import split_texts, write_release_set

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
