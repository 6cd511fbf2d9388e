from pressqa.ingest.chunk import chunk_document
from pressqa.ingest.load import load_paths, make_document
from tests.conftest import CORPUS


def test_chunk_offsets_round_trip_on_the_seed_corpus(models):
    embedder = models.embedder
    docs = load_paths([CORPUS]).documents
    for doc, analysis in zip(docs, models.analyzer.analyze(docs), strict=True):
        chunks = chunk_document(doc, analysis, embedder.count_tokens, 256, 1)
        assert chunks
        for chunk in chunks:
            assert doc.text[chunk.start : chunk.end] == chunk.text
            tokens = embedder.count_tokens(chunk.text) + embedder.count_tokens(doc.title) + 2
            assert tokens <= 256 or len(chunk.sentences) == 1
            for span in chunk.sentences + chunk.entities + chunk.noun_chunks:
                assert chunk.start <= span.start < span.end <= chunk.end
        # every sentence of the document is in some chunk, in order
        covered = [(s.start, s.end) for c in chunks for s in c.sentences]
        assert sorted(set(covered)) == [(s.start, s.end) for s in analysis.sentences]


def test_small_chunks_overlap_by_one_sentence(models):
    text = " ".join(f"Sentence number {i} talks about Acme Corp. in detail." for i in range(12))
    doc = make_document(text, "d", title="Acme")
    (analysis,) = models.analyzer.analyze([doc])
    chunks = chunk_document(doc, analysis, models.embedder.count_tokens, max_tokens=48, overlap=1)
    assert len(chunks) > 2
    for left, right in zip(chunks, chunks[1:], strict=False):
        assert left.sentences[-1] == right.sentences[0]


def test_sentences_survive_abbreviations(models):
    text = "Dr. Li joined Acme Inc. in the U.S. last year. He leads research at the St. Louis site. Sales rose."
    doc = make_document(text, "d")
    (analysis,) = models.analyzer.analyze([doc])
    sentences = [doc.text[s.start : s.end] for s in analysis.sentences]
    assert sentences == [
        "Dr. Li joined Acme Inc. in the U.S. last year.",
        "He leads research at the St. Louis site.",
        "Sales rose.",
    ]


def test_paragraph_breaks_end_sentences(models):
    doc = make_document("Acme buys Beta\n\n20 March 2019 | News\n\nAcme agreed to buy Beta.", "d")
    (analysis,) = models.analyzer.analyze([doc])
    assert [doc.text[s.start : s.end] for s in analysis.sentences] == [
        "Acme buys Beta",
        "20 March 2019 | News",
        "Acme agreed to buy Beta.",
    ]
