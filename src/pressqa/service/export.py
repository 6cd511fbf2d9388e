"""CSV exports of answers, timelines and saved questions' hits: one row per answer, with what a reader needs to
check it (the release's title, date and URL, and the span's offsets into its text).

A cell that a spreadsheet would run as a formula (starting with =, +, @ or a tab, or with - when it is not a
number) gets a leading apostrophe, as OWASP advises for CSV exports; every other cell is the text as given.
"""

import csv
import io
from collections.abc import Callable, Iterable
from functools import partial
from typing import Annotated, Literal

from fastapi import Query, Request
from fastapi.responses import Response

from pressqa.reader.calibration import confidence_band
from pressqa.schema import Document
from pressqa.service.api_responses import AskResponse, TimelineResponse
from pressqa.service.qa import PressQA
from pressqa.service.watch_models import HitOut

COLUMNS = ("question", "answer", "confidence", "score", "title", "date", "url", "doc_id", "start", "end")
MEDIA_TYPE = "text/csv; charset=utf-8"
Format = Annotated[
    Literal["json", "csv"] | None,
    Query(alias="format", description="csv: one row per answer, for a spreadsheet (or send Accept: text/csv)."),
]
CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv or Accept: text/csv."}}


def wants_csv(request: Request, format_: str | None) -> bool:
    """`format=csv`, or an Accept header that names text/csv before any JSON."""
    if format_ is not None:
        return format_ == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "json" not in accept.split("text/csv")[0]


def csv_response(text: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Response(text, media_type=MEDIA_TYPE, headers=headers)


def answers_csv(engine: PressQA, question: str, response: AskResponse) -> str:
    """/ask's answers as CSV (the API's format=csv and `pressqa ask --csv`)."""
    with engine.reading() as index:
        docs = index.store.metadata({a.doc_id for a in response.answers})
    return to_csv(answer_rows(question, response, docs))


def timeline_csv(response: TimelineResponse) -> str:
    return to_csv(timeline_rows(response))


def hits_csv(engine: PressQA, watch_id: int, hits: list[HitOut]) -> str:
    """A saved question's hits as CSV, each with its confidence band as /ask names it."""
    with engine.reading() as index:
        watch = index.watches.get(watch_id)  # None only when dropped since the hits were read
    settings = engine.settings
    band = partial(confidence_band, high=settings.high_confidence, medium=settings.medium_confidence)
    return to_csv(hit_rows(watch.question if watch else "", hits, band))


def to_csv(rows: Iterable[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _safe(value) for key, value in row.items()})
    return out.getvalue()


def answer_rows(question: str, response: AskResponse, docs: dict[str, Document]) -> list[dict]:
    """One row per answer given (a list's items, or the one answer); none when the releases don't say. The
    question is the one answered (a follow-up as it was understood)."""
    question = response.understood_as or question
    return [
        {
            "question": question,
            "answer": a.text,
            "confidence": a.confidence,
            "score": a.score,
            "title": a.title,
            "date": a.date,
            "url": _url(docs, a.doc_id),
            "doc_id": a.doc_id,
            "start": a.start,
            "end": a.end,
        }
        for a in response.answers
    ]


def timeline_rows(response: TimelineResponse) -> list[dict]:
    """One row per release: the sentence that says what happened is the answer."""
    return [
        {
            "question": response.query,
            "answer": item.sentence,
            "title": item.title,
            "date": item.date,
            "url": item.url,
            "doc_id": item.doc_id,
            "start": item.start,
            "end": item.end,
        }
        for item in response.items
    ]


def hit_rows(question: str, hits: list[HitOut], band: Callable[[float], str]) -> list[dict]:
    """One row per hit of a saved question; `band(score)` names its confidence as /ask would."""
    return [
        {
            "question": question,
            "answer": h.answer,
            "confidence": band(h.score),
            "score": h.score,
            "title": h.title,
            "date": h.date,
            "url": h.url,
            "doc_id": h.doc_id,
            "start": h.start,
            "end": h.end,
        }
        for h in hits
    ]


def _url(docs: dict[str, Document], doc_id: str) -> str | None:
    doc = docs.get(doc_id)
    return doc.url if doc else None


def _safe(value: object) -> object:
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=+@\t\r" or (value[0] == "-" and not _number(value)):
        return "'" + value
    return value


def _number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True
