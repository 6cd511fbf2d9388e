import pytest

from pressqa.ingest.dates import dateline_date, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20 March 2019 | News", "2019-03-20"),
        ("On July 31, 2021, CARsgen Therapeutics Group signed", "2021-07-31"),
        ("THOUSAND OAKS, Calif., Feb. 2, 2017 /PRNewswire/ -- Amgen today", "2017-02-02"),
        ("BOSTON, Sept. 14, 2020 (GLOBE NEWSWIRE) -- ", "2020-09-14"),
        ("Published 2022-01-05 by the company", "2022-01-05"),
        ("December 1st, 2023 — Company X", "2023-12-01"),
        ("No date in this line at all.", None),
        ("February 30, 2021 is not a day", None),
        ("In January 2022, it earned RMAT", None),  # a month without a day is an event, not a dateline
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_dateline_only_reads_the_opening():
    text = "Company news headline\n" + "Filler sentence. " * 40 + "On July 31, 2021, something happened."
    assert dateline_date(text) is None
    assert parse_date(text) == "2021-07-31"
