from pressqa.training.qamr import QAMRItem, detokenize, paragraphs, read_qas, read_sentences, split_by_document


def test_detokenize_restores_spacing_and_keeps_token_spans():
    tokens = "Liam `` had his whole life '' , said Inspector Andy -LRB- 45 -RRB- of Acme 's unit .".split()
    text, spans = detokenize(tokens)
    assert text == 'Liam "had his whole life", said Inspector Andy (45) of Acme\'s unit.'
    assert [text[s:e] for s, e in spans][:3] == ["Liam", '"', "had"]
    assert text[spans[12][0] : spans[12][1]] == "45"


def write_qamr(folder):
    sentences = {
        "Wiki1k:wikinews:1:2:0": "Acme Corp. hired Jane Roe in March 2021 .",
        "Wiki1k:wikinews:1:2:1": "She leads the Ohio plant .",
        "Wiki1k:wikipedia:7:1:0": "The Beta river flows into the Gamma lake near Delta .",
    }
    (folder / "wiki-sentences.tsv").write_text("".join(f"{k}\t{v}\n" for k, v in sentences.items()))
    rows = [
        # sid, targets, worker, qa index, target word, question, answer, validator 1, validator 2
        ["Wiki1k:wikinews:1:2:0", "2", "7", "0", "2", "Who did Acme hire?", "3 4", "9:3 4", "8:3 4"],
        ["Wiki1k:wikinews:1:2:0", "2", "7", "1", "2", "When did Acme hire Jane Roe?", "6 7", "9:5 6 7", "8:5 6 7"],
        [
            "Wiki1k:wikipedia:7:1:0",
            "2",
            "7",
            "0",
            "2",
            "What does the Beta river flow into?",
            "5 6 7",
            "9:5 6 7",
            "8:6 7",
        ],
        ["PTB:wsj/00/0001.mrg:0", "2", "7", "0", "2", "What is skipped?", "1", "9:1", "8:1"],
    ]
    for name in ("dev.tsv", "test.tsv"):
        (folder / name).write_text("".join("\t".join(r) + "\n" for r in rows))


def test_read_qas_uses_the_majority_answer_and_skips_ptb(tmp_path):
    write_qamr(tmp_path)
    sentences = read_sentences(tmp_path / "wiki-sentences.tsv")
    items = read_qas(tmp_path / "dev.tsv", sentences)
    answers = [sentences[i.sid].text[i.start : i.end] for i in items]
    assert answers == ["Jane Roe", "in March 2021", "the Gamma lake"]
    assert paragraphs(sentences)[("Wiki1k:wikinews:1", 2)][1].text == "She leads the Ohio plant."


def test_split_by_document_keeps_documents_apart():
    items = [QAMRItem(f"Wiki1k:wikinews:{d}:0:0", "q?", 0, 1) for d in range(20) for _ in range(3)]
    train, held = split_by_document(items, held_out=0.2)
    assert len(held) == 12 and len(train) == 48
    assert not {i.sid for i in train} & {i.sid for i in held}


def test_squad_set_drops_sentences_to_make_unanswerable_questions(tmp_path):
    from pressqa.training.qamr import squad_set

    write_qamr(tmp_path)
    sentences = read_sentences(tmp_path / "wiki-sentences.tsv")
    items = read_qas(tmp_path / "dev.tsv", sentences)
    data = squad_set(sentences, items, drop=1.0, seed=3)
    qas = [(p["context"], qa) for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]]
    assert len(qas) == 3
    for context, qa in qas:
        if qa["is_impossible"]:
            assert qa["answers"] == [] and "Jane Roe" not in context  # its sentence was left out
        else:
            answer = qa["answers"][0]
            assert context[answer["answer_start"] :].startswith(answer["text"])
    assert any(qa["is_impossible"] for _, qa in qas)
