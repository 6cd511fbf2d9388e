"""PDF releases: text with running headers and footers dropped, wrapped lines and page breaks joined."""

import pytest
from fpdf import FPDF

from pressqa.ingest.load import LoadError, load_bytes, load_paths
from pressqa.ingest.pdf import pdf_text

PARAGRAPH_ONE = (
    "BOSTON, May 2, 2024 -- Acme Bio today announced that its candidate AB-101 entered a Phase 2 trial with "
    "120 patients at sites across the United States and Europe, after a Phase 1 study in 40 healthy volunteers "
    "showed the drug was well tolerated at every dose tested by the company and its academic partners."
)
PARAGRAPH_TWO = (
    "The company expects first data from the trial in the second half of 2025, said Jane Roe, its chief "
    "executive officer, who joined Acme Bio from Helix Therapeutics in January 2023."
)


def make_pdf(pages: list[list[str]], title: str | None = None, header: str | None = "Acme Bio Newsroom") -> bytes:
    """A PDF with a running header and a "Page n of N" footer on every page, paragraphs wrapped by fpdf2."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("helvetica", size=11)
    if title:
        pdf.set_title(title)
    for number, paragraphs in enumerate(pages, start=1):
        pdf.add_page()
        if header:
            pdf.set_y(10)
            pdf.cell(0, 8, header, align="C")
        pdf.set_y(25)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph)
            pdf.ln(4)
        pdf.set_y(-20)
        pdf.cell(0, 8, f"Page {number} of {len(pages)}", align="C")
    return bytes(pdf.output())


def test_pdf_paragraphs_come_back_whole_without_header_or_footer():
    text, title = pdf_text(make_pdf([["Acme Bio starts Phase 2 trial of AB-101", PARAGRAPH_ONE], [PARAGRAPH_TWO]]))
    assert text.split("\n\n") == ["Acme Bio starts Phase 2 trial of AB-101", PARAGRAPH_ONE, PARAGRAPH_TWO]
    assert "Newsroom" not in text and "Page" not in text and title is None


def lines_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose pages hold exactly these lines, one cell each (as a layout program wraps them)."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("helvetica", size=11)
    for lines in pages:
        pdf.add_page()
        pdf.set_y(25)
        for line in lines:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_a_sentence_cut_by_a_page_break_is_joined_and_a_heading_is_not():
    page_one = [
        "Acme Bio starts Phase 2 trial",
        "BOSTON, May 2, 2024 -- Acme Bio today announced that its candidate AB-101 entered a Phase 2",
        "trial with 120 patients at sites across the United States and Europe, after a Phase 1 study in",
    ]
    page_two = [
        "40 healthy volunteers showed the drug was well tolerated at every dose tested by the company.",
        "About Acme Bio",
        "Acme Bio develops medicines for rare diseases of the liver and the kidney, with 80 staff.",
    ]
    text, _ = pdf_text(lines_pdf([page_one, page_two]))
    assert text.split("\n\n") == [
        "Acme Bio starts Phase 2 trial",
        " ".join(page_one[1:] + page_two[:1]),
        "About Acme Bio",
        page_two[2],
    ]


def test_pdf_file_becomes_a_release_with_title_date_and_source(tmp_path):
    path = tmp_path / "acme.pdf"
    path.write_bytes(make_pdf([["Acme Bio starts Phase 2 trial of AB-101", PARAGRAPH_ONE], [PARAGRAPH_TWO]]))
    loaded = load_paths([tmp_path])
    assert not loaded.errors
    (doc,) = loaded.documents
    assert doc.doc_id == "acme.pdf" and doc.source == "acme.pdf"
    assert doc.title == "Acme Bio starts Phase 2 trial of AB-101" and doc.date == "2024-05-02"
    start = doc.text.index("Jane Roe")
    assert doc.text[start : start + len("Jane Roe")] == "Jane Roe"  # offsets point into the stored text


def test_pdf_metadata_title_is_used_when_present():
    (doc,) = load_bytes(make_pdf([[PARAGRAPH_ONE]], title="Acme Bio: Phase 2 start"), "a.pdf", "a.pdf")
    assert doc.title == "Acme Bio: Phase 2 start"


def test_scanned_pdf_without_text_gets_a_clear_message():
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")  # a drawing, no text layer
    with pytest.raises(LoadError, match="no text layer"):
        load_bytes(bytes(pdf.output()), "scan.pdf", "scan.pdf")


def test_broken_pdf_is_reported_not_raised(tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not really a PDF")
    loaded = load_paths([tmp_path])
    assert not loaded.documents and "broken.pdf" in loaded.errors[0][0]
