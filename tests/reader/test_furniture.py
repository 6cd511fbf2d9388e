from pressqa.reader.furniture import furniture_spans
from pressqa.reader.question import PHRASE, PLACE


def _texts(question, text, expected=PHRASE):
    return sorted(text[a:b] for a, b in furniture_spans(question, text, expected))


def test_tickers_wires_and_datelines_never_answer():
    question = "What is the name of HeartBeam's pivotal study?"
    assert _texts(question, "HeartBeam, Inc. (NASDAQ: BEAT), a medical company, began VALID-ECG.") == ["NASDAQ: BEAT"]
    assert _texts(question, "Energy Fuels Inc. (NYSE American: UUUU; TSX: EFR) said") == [
        "NYSE American: UUUU",
        "TSX: EFR",
    ]
    assert _texts(question, "LAS VEGAS, NV / ACCESSWIRE / March 3, 2025 / Acme Corp. said") == [
        "ACCESSWIRE",
        "LAS VEGAS",
    ]
    assert _texts(question, "BOSTON, March 2, 2021 - Alveo Therapeutics announced") == ["BOSTON"]
    assert _texts(question, "FDA, the agency, granted RMAT designation to CT041.") == []


def test_a_ticker_or_a_dateline_answers_when_asked_for():
    text = "LAS VEGAS, NV / ACCESSWIRE / Acme Corp. (NASDAQ: ACME) said"
    assert _texts("Under what ticker does Acme trade?", text) == ["ACCESSWIRE", "LAS VEGAS"]
    assert _texts("Where is Acme based?", text, PLACE) == ["ACCESSWIRE", "NASDAQ: ACME"]
