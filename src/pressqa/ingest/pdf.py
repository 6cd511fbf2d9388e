"""Text of a PDF release (pypdf): running headers and footers dropped, wrapped lines joined into paragraphs.

The analyzer treats every line break as a sentence break (a release's headline and dateline have no full
stop), so a PDF's layout lines, which wrap mid-sentence, must become one line per paragraph first.
"""

import io
import re
from collections import Counter

_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–—\s]*\d+(?:\s*(?:of|/)\s*\d+)?[-–—\s]*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]$")
# A line shorter than this share of the page's longest line ends its paragraph (a last line or a heading).
_SHORT_LINE = 0.75


class PdfError(ValueError):
    """A PDF that gives no usable text."""


def pdf_text(data: bytes) -> tuple[str, str | None]:
    """(text, title from the PDF's metadata or None); raises PdfError for unreadable or image-only PDFs."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise PdfError("the PDF is encrypted: save an unprotected copy")
        pages = [(page.extract_text() or "").splitlines() for page in reader.pages]
        title = (reader.metadata.title or "").strip() if reader.metadata else ""
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, PdfError):
            raise
        raise PdfError(f"not a readable PDF ({exc})") from exc
    pages = [[line.strip() for line in lines if line.strip()] for lines in pages]
    if not any(pages):
        raise PdfError("the PDF has no text layer (a scanned document?): run OCR on it first, e.g. with ocrmypdf")
    repeated = _running_lines(pages)
    paragraphs: list[str] = []
    open_end = False
    for lines in pages:
        kept = [ln for ln in lines if _shape(ln) not in repeated and not _PAGE_NUMBER.match(ln)]
        open_end = _add_page(paragraphs, kept, open_end)
    return "\n\n".join(paragraphs), title or None


def _shape(line: str) -> str:
    """A line with its digits masked: "Page 2 of 5" and "Page 3 of 5" are the same running footer."""
    return re.sub(r"\d+", "#", line.lower())


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Shapes of lines that open or close at least half the pages (two at least): headers and footers."""
    if len(pages) < 2:
        return set()
    edges = Counter()
    for lines in pages:
        edges.update({_shape(ln) for ln in lines[:2] + lines[-2:]})
    return {shape for shape, count in edges.items() if count >= max(2, len(pages) / 2)}


def _ends_sentence(line: str) -> bool:
    """Whether a line ends a sentence: a full stop, not an abbreviation such as "Dr.", "Inc." or "U.S."."""
    word = line.split()[-1].rstrip('"”’)')
    if not word.endswith((".", "!", "?")):
        return False
    stem = word.rstrip(".!?")
    return "." not in stem and not (len(stem) <= 3 and stem[:1].isupper())


def _add_page(paragraphs: list[str], lines: list[str], open_end: bool) -> bool:
    """Join a page's wrapped lines into paragraphs; True when its last paragraph runs on to the next page.

    A paragraph ends at a line clearly shorter than the page's longest (its last line, or a heading); one that
    ends the page on a full line without a full stop continues on the next page.
    """
    if not lines:
        return open_end
    longest = max(len(ln) for ln in lines)
    current = paragraphs.pop() if open_end and paragraphs else ""
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        current = f"{current} {line}" if current else line
        # A break at a sentence's end before a capital costs nothing (sentences stay whole), and it keeps a
        # heading that follows a full last line ("… every dose tested." / "About Acme Bio") apart.
        if len(line) < _SHORT_LINE * longest or (_ends_sentence(line) and following[:1].isupper()):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
        return not _SENTENCE_END.search(current)
    return False
