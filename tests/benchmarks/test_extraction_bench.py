"""Release pages wrapped in real-world chrome come back as the release: text, title and date."""

from datetime import date

import pytest

from pressqa.benchmarks.extraction import TEMPLATES, measure
from pressqa.ingest.load import html_to_document_fields, visible_text_fields
from pressqa.metrics import f1_score

RELEASE = {
    "id": "r1",
    "title": "Pharmacist Sentenced to 10 Years for Health Care Fraud Scheme",
    "date": "2017-12-12",
    "text": (
        "A Michigan pharmacist was sentenced today to 10 years in prison for his role in a $12 million health "
        "care fraud scheme involving prescription drugs that were never dispensed.\n"
        "John Doe, 52, of Detroit, pleaded guilty in March 2017 to one count of conspiracy to commit health care "
        "fraud. U.S. District Judge Paul D. Borman of the Eastern District of Michigan imposed the sentence.\n"
        "According to admissions made in connection with his plea, Doe billed Medicare and Medicaid for drugs "
        "that his pharmacy did not buy and never dispensed to patients between 2012 and 2016.\n"
        "The case was investigated by the FBI and the Department of Health and Human Services."
    ),
}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_each_template_s_page_reads_back_as_the_release(template):
    page = TEMPLATES[template](RELEASE["title"], date.fromisoformat(RELEASE["date"]), RELEASE["text"])
    fields = html_to_document_fields(page)
    assert f1_score(fields["text"], RELEASE["text"]) >= 0.95
    for chrome in ("cookies", "Newsletter", "Most read", "Skip to main content", "Related news", "Privacy"):
        assert chrome.lower() not in fields["text"].lower()
    assert fields["title"] == RELEASE["title"]


def test_trafilatura_beats_the_whole_visible_text_on_chrome_heavy_pages():
    page = TEMPLATES["newsroom"](RELEASE["title"], date(2017, 12, 12), RELEASE["text"])
    article = f1_score(html_to_document_fields(page)["text"], RELEASE["text"])
    everything = f1_score(visible_text_fields(page)["text"], RELEASE["text"])
    assert article > everything + 0.05


def test_measure_reports_text_title_and_date_per_template():
    result = measure([RELEASE] * 3)
    assert result["pages"] == 3 and set(result["by_template"]) == set(TEMPLATES)
    assert result["text_f1_mean"] >= 0.95 and result["title_right"] == 1.0 and result["date_right"] == 1.0
