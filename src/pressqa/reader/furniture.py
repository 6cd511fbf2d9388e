"""Release furniture that never answers a question: exchange tickers, newswire names and the dateline.

Corporate releases carry "(NASDAQ: BEAT)", "/ ACCESSWIRE /" and "LAS VEGAS, NV" around their facts; the span
model, trained mostly on DOJ releases that have none of it, gave "NASDAQ: BEAT" for a study's name,
"NEWMEDIAWIRE" for a product and "LAS VEGAS" for a former employer. A ticker answers only a question about a
ticker or symbol, and a dateline city only a question about a place.
"""

import re

from pressqa.reader.question import PLACE

_EXCHANGE = (
    r"(?:NASDAQ|Nasdaq|NYSE(?:\s+(?:American|MKT|Arca))?|OTC(?:QB|QX|\s*Pink|\s*Markets)?|TSX(?:-?V)?|TSXV|CSE|"
    r"ASX|LSE|AIM|CBOE|Cboe|NEO|FSE|Frankfurt|XETRA|AMEX)"
)
TICKER = re.compile(rf"\b{_EXCHANGE}\s*:\s*[A-Z][A-Z0-9.\-]*")
WIRE = re.compile(r"\b\w*(?:newswire|newsbreaks|mediawire|accesswire|presswire|business\s+wire|prweb)\w*", re.I)
# "LAS VEGAS, NV / ACCESSWIRE / …", "BOSTON, March 2, 2021 - …": capitals at a sentence's start, then a comma and
# a state, a slash, a parenthesis, a dash or a date.
DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'’-]+\s?){1,4}(?=,\s*(?:[A-Z][A-Za-z.]{1,12}\s*)?(?:/|\(|—|–|-|[A-Z][a-z]{2,}\.? \d))"
)
_ASKS_TICKER = re.compile(r"\b(ticker|symbol|listed|exchange|trades?|trading)\b", re.I)


def furniture_spans(question: str, text: str, expected: frozenset[str]) -> list[tuple[int, int]]:
    """Character spans of `text` (one sentence, or a context and its sentence) that cannot answer `question`."""
    spans = [m.span() for m in WIRE.finditer(text)]
    if not _ASKS_TICKER.search(question):
        spans += [m.span() for m in TICKER.finditer(text)]
    if expected != PLACE:
        spans += [m.span() for m in DATELINE.finditer(text)]
    return spans
