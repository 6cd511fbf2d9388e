"""Read press releases from .txt, .md, .html, .jsonl and .pdf files into `Document`s."""

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

from pressqa.ingest.dates import dateline_date, parse_date
from pressqa.ingest.pdf import PdfError, pdf_text
from pressqa.schema import Document

SUFFIXES = {".txt", ".md", ".html", ".htm", ".jsonl", ".pdf"}
_DROP_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg", "template"]
_BLOCK_TAGS = [
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "section",
    "article",
    "blockquote",
    "pre",
]
_TITLE_CHARS = 150


class LoadError(ValueError):
    """A file or record that cannot be turned into a document."""


@dataclass
class LoadResult:
    documents: list[Document]
    errors: list[tuple[str, str]]  # (source, reason)


def normalize_text(text: str) -> str:
    """Unicode NFC, Unix newlines, no trailing spaces, at most one blank line in a row."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\ufeff", "")
    text = re.sub(r"[^\S\n]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def content_hash(doc: Document) -> str:
    """Hash of everything that ends up in the index, so changed releases are re-embedded."""
    payload = json.dumps([doc.text, doc.title, doc.date, doc.url, doc.source], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def make_document(
    text: str,
    doc_id: str,
    title: str | None = None,
    date: str | None = None,
    url: str | None = None,
    source: str | None = None,
) -> Document:
    """Build a document from raw text, deriving a title and a date when not given."""
    text = normalize_text(text)
    if not text:
        raise LoadError("no text")
    return Document(
        doc_id=doc_id,
        text=text,
        title=(title or "").strip() or first_line_title(text),
        date=(parse_date(date) or date) if date else dateline_date(text),
        url=url,
        source=source,
    )


def first_line_title(text: str) -> str:
    """The first non-empty line, without markdown heading marks, shortened at a word boundary."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "").strip().lstrip("#").strip()
    if len(line) <= _TITLE_CHARS:
        return line
    return line[:_TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def decode_text(raw: bytes) -> str:
    """UTF-8 text from bytes, refusing binary data and other encodings."""
    if b"\x00" in raw[:8192]:
        raise LoadError("binary file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


@dataclass
class HtmlRelease:
    """What an HTML page holds of a release; `canonical` is its declared canonical URL, as written (or None)."""

    text: str
    title: str | None
    date: str | None
    canonical: str | None


def html_to_document_fields(html: str) -> dict:
    """The release in an HTML page as `make_document` fields: text, title and publication date."""
    page = read_html(html)
    return {"text": page.text, "title": page.title, "date": page.date}


def read_html(html: str) -> HtmlRelease:
    """The release in an HTML page, without the page's chrome; the page is parsed once for what it declares.

    trafilatura finds the article (navigation, cookie banners, related links, share bars and footers go) and
    htmldate its date from the page's metadata; a page too small for trafilatura to call an article falls back
    to the whole visible text. Without a declared date the release's dateline gives it (`make_document`).
    """
    import trafilatura

    soup = BeautifulSoup(html, "html.parser")
    title, date, canonical = _declared(soup)
    extracted = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        # Precision first: on small pages the default mode kept the menu and cut "<b>May 2021</b>." into lines.
        favor_precision=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if extracted is None or not (extracted.text or "").strip():
        return HtmlRelease(_visible_text(soup), title, date, canonical)
    title = title or extracted.title
    paragraphs = _without_heading([line.strip() for line in extracted.text.splitlines() if line.strip()], title or "")
    # One paragraph per line from trafilatura; a blank line between them, as in the other release formats.
    return HtmlRelease("\n\n".join(paragraphs), title, date or extracted.date, canonical)


def _without_heading(paragraphs: list[str], title: str) -> list[str]:
    """The article's paragraphs without its heading block: the title (stored apart, and put before every
    passage when it is embedded), a label above it ("Press Release") and a bare date line below it."""
    first = next((i for i, p in enumerate(paragraphs[:3]) if " ".join(p.split()) == " ".join(title.split())), None)
    if first is None:
        return paragraphs
    rest = paragraphs[first + 1 :]
    if rest and len(rest[0]) <= 40 and parse_date(rest[0]):
        rest = rest[1:]
    return rest or paragraphs


def _declared(soup: BeautifulSoup) -> tuple[str | None, str | None, str | None]:
    """(title, date, canonical URL) a page declares: the first h1 outside its chrome, else <title>."""
    heading = next((h for h in soup.find_all("h1") if not h.find_parent(_DROP_TAGS) and h.get_text(strip=True)), None)
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    title = heading.get_text(" ", strip=True) if heading else title
    link = soup.find("link", rel=lambda rel: rel and "canonical" in rel, href=True)
    return title, _html_date(soup), link["href"] if link else None


def visible_text_fields(html: str) -> dict:
    """The whole visible text of a page, with its declared title and date: the fallback, and the baseline
    `pressqa bench extraction` measures trafilatura against."""
    soup = BeautifulSoup(html, "html.parser")
    title, date, _ = _declared(soup)
    return {"text": _visible_text(soup), "title": title, "date": date}


def _visible_text(soup: BeautifulSoup) -> str:
    """Visible text without scripts, menus, headers and footers; one paragraph per block (changes `soup`)."""
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    if soup.title:
        soup.title.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = (re.sub(r"\s+", " ", line).strip() for line in soup.get_text().splitlines())
    return "\n\n".join(line for line in lines if line)


def _html_date(soup: BeautifulSoup) -> str | None:
    for attrs in ({"property": "article:published_time"}, {"name": "date"}, {"itemprop": "datePublished"}):
        meta = soup.find("meta", attrs=attrs)
        if meta and meta.get("content"):
            return meta["content"][:10]
    time_tag = soup.find("time", attrs={"datetime": True})
    return time_tag["datetime"][:10] if time_tag else None


def markdown_to_text(text: str) -> str:
    """Drop heading marks so passages read as prose; the rest of markdown reads fine as text."""
    return re.sub(r"^#{1,6}[ \t]+", "", text, flags=re.MULTILINE)


def load_file(path: Path, doc_id: str) -> list[Document]:
    """Documents held by one file (many for .jsonl). Raises LoadError for unusable files."""
    if path.suffix.lower() not in SUFFIXES:
        raise LoadError(f"unsupported file type {path.suffix.lower()!r}")
    return load_bytes(path.read_bytes(), path.name, doc_id)


def load_bytes(data: bytes, name: str, doc_id: str) -> list[Document]:
    """Documents held by the bytes of a file called `name` (many for .jsonl). Raises LoadError."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise LoadError(f"unsupported file type {suffix!r}")
    if suffix == ".pdf":
        try:
            text, title = pdf_text(data)
        except PdfError as exc:
            raise LoadError(str(exc)) from exc
        return [make_document(text, doc_id=doc_id, title=title, source=doc_id)]
    raw = decode_text(data)
    if suffix == ".jsonl":
        return list(_jsonl_documents(raw, doc_id))
    if suffix in {".html", ".htm"}:
        fields = html_to_document_fields(raw)
        return [make_document(doc_id=doc_id, source=doc_id, **fields)]
    # Releases pasted into .txt files often keep markdown headings ("## Title").
    return [make_document(markdown_to_text(raw), doc_id=doc_id, title=first_line_title(raw), source=doc_id)]


def _jsonl_documents(raw: str, file_id: str) -> Iterator[Document]:
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LoadError(f"line {number}: invalid JSON ({exc.msg})") from exc
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise LoadError(f"line {number}: an object with a string 'text' field is required")
        fields = {k: _str_or_none(record.get(k)) for k in ("title", "date", "url", "source")}
        doc_id = str(record.get("id") or f"{file_id}#{number}")
        try:
            yield make_document(record["text"], doc_id=doc_id, **{**fields, "source": fields["source"] or file_id})
        except LoadError as exc:
            raise LoadError(f"line {number}: {exc}") from exc


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def discover(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """(file, doc_id) for each supported file under `paths`; ids are paths relative to the folder given."""
    for root in paths:
        if root.is_file():
            yield root, root.name
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith("."):
                if path.name.lower() == "readme.md" and path.parent == root:
                    continue  # a corpus folder's README describes the corpus, it is not a release
                yield path, path.relative_to(root).as_posix()


def load_paths(paths: list[Path]) -> LoadResult:
    """Load every supported file under `paths`, collecting per-file errors instead of stopping."""
    documents, errors = [], []
    for root in paths:
        if not root.exists():
            errors.append((str(root), "no such file or folder"))
    for path, doc_id in discover([p for p in paths if p.exists()]):
        try:
            documents.extend(load_file(path, doc_id))
        except (LoadError, OSError) as exc:
            errors.append((str(path), str(exc)))
    return LoadResult(documents, errors)
