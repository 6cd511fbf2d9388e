import json

import pytest

from pressqa.ingest.load import LoadError, load_file, load_paths, normalize_text
from tests.conftest import CORPUS


def test_seed_corpus_loads_with_titles_and_dates():
    result = load_paths([CORPUS])
    assert not result.errors
    docs = {d.doc_id: d for d in result.documents}
    assert set(docs) == {"000_141e616ab78fc2e8.txt", "001_dddbf5ee798e36f0.txt", "002_0a94835ec6db6944.txt"}
    assert docs["000_141e616ab78fc2e8.txt"].date == "2021-07-31"
    assert docs["002_0a94835ec6db6944.txt"].date == "2019-03-20"
    assert docs["002_0a94835ec6db6944.txt"].title.startswith("MilliporeSigma, GenScript to stimulate")
    assert not docs["002_0a94835ec6db6944.txt"].text.startswith("#")
    assert docs["001_dddbf5ee798e36f0.txt"].date is None


def test_normalize_text():
    assert normalize_text("a \r\nb\u00a0c\n\n\n\nd  \n") == "a\nb c\n\nd"


def test_html_drops_scripts_and_navigation(tmp_path):
    page = tmp_path / "release.html"
    page.write_text(
        "<html><head><title>Site | Release</title><script>var x = 'secret';</script>"
        "<style>p {color: red}</style><meta property='article:published_time' content='2021-05-04T10:00'></head>"
        "<body><nav>Home About</nav><h1>Acme buys Beta</h1><p>Acme Corp. agreed to buy Beta Inc.</p>"
        "<p>The deal closes in <b>May 2021</b>.</p><footer>Copyright</footer></body></html>"
    )
    (doc,) = load_file(page, "release.html")
    assert doc.title == "Acme buys Beta"
    assert doc.date == "2021-05-04"
    assert "Acme Corp. agreed to buy Beta Inc." in doc.text
    assert "The deal closes in May 2021." in doc.text
    for hidden in ("secret", "color", "Home About", "Copyright"):
        assert hidden not in doc.text


def test_jsonl_records(tmp_path):
    path = tmp_path / "feed.jsonl"
    rows = [
        {"text": "Acme raised $5 million.", "title": "Acme funding", "date": "2020-01-02", "url": "https://x"},
        {"text": "Beta Inc. hired a CEO on March 3, 2021.", "id": "beta-1"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    first, second = load_file(path, "feed.jsonl")
    assert (first.doc_id, first.title, first.date, first.url) == (
        "feed.jsonl#1",
        "Acme funding",
        "2020-01-02",
        "https://x",
    )
    assert (second.doc_id, second.date, second.source) == ("beta-1", "2021-03-03", "feed.jsonl")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"  \n\n", "no text"),
        ("binary.txt", b"\x00\x01\x02PNG", "binary"),
        ("latin1.txt", "caf\u00e9".encode("latin-1"), "not UTF-8"),
        ("bad.jsonl", b'{"text": "ok"}\n{broken\n', "line 2"),
        ("notext.jsonl", b'{"title": "no text field"}\n', "line 1"),
        ("image.png", b"\x89PNG", "unsupported"),
    ],
)
def test_bad_files_raise_a_clear_error(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError, match=reason):
        load_file(path, name)


def test_load_paths_reports_bad_files_and_keeps_the_rest(tmp_path):
    (tmp_path / "good.txt").write_text("Acme Corp. announced a merger on May 5, 2020.")
    (tmp_path / "empty.md").write_text("")
    (tmp_path / "README.md").write_text("# About this corpus")
    result = load_paths([tmp_path, tmp_path / "missing"])
    assert [d.doc_id for d in result.documents] == ["good.txt"]
    assert {src.split("/")[-1] for src, _ in result.errors} == {"empty.md", "missing"}
