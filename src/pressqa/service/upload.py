"""Turn a POST /documents request (JSON or a file upload) into a `Document`, within a size limit."""

import datetime as dt
import hashlib
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pressqa.config import Settings
from pressqa.ingest.fetch import Fetcher, FetchError
from pressqa.ingest.load import LoadError, load_bytes, make_document
from pressqa.schema import Document
from pressqa.service.api_models import DocumentIn, check_doc_id, check_text

UPLOAD_SUFFIXES = {".txt", ".md", ".html", ".htm", ".pdf"}
FORM_FIELDS = ("doc_id", "title", "date", "url", "source")
USAGE = (
    'Send JSON {"text": ...} (or {"url": ...} where the server fetches URLs) or a multipart/form-data upload '
    "with the release in a field named 'file'."
)


class BodyLimit:
    """Refuse request bodies over `limit` bytes with a 413, before they are read whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            status = 413 if length.isdigit() else 400
            await JSONResponse({"detail": self._message() if status == 413 else "Bad Content-Length."}, status)(
                scope, receive, send
            )
            return
        # Read the body here, up to the limit, so that no handler ever holds more than that in memory.
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await JSONResponse({"detail": self._message()}, 413)(scope, receive, send)
                return
        replay: list[Message] = [{"type": "http.request", "body": bytes(body), "more_body": False}]

        async def replayed() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, replayed, send)

    def _message(self) -> str:
        return f"The request body is larger than {self.limit:,} bytes (setting PRESSQA_MAX_DOCUMENT_BYTES)."


async def document_from_request(request: Request) -> Document:
    """The release in a JSON body or a multipart upload; 4xx with a reason for anything else."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        data = _parse_json(await request.body())
        if data.text is None:
            return await run_in_threadpool(_from_url, data, request.app.state.engine.settings)
        return _from_text(data)
    if content_type == "multipart/form-data":
        return await _from_form(request)
    raise HTTPException(status_code=415, detail=f"Unsupported content type {content_type or 'none'!r}. {USAGE}")


def _parse_json(body: bytes) -> DocumentIn:
    try:
        return DocumentIn.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc


def _from_url(data: DocumentIn, settings: Settings) -> Document:
    """The release fetched from `data.url` (off by default; never a private address unless allowed)."""
    if not settings.api_fetch_urls:
        raise HTTPException(
            status_code=403, detail="Fetching URLs is off: send the text, or set PRESSQA_API_FETCH_URLS=true."
        )
    fetcher = Fetcher.from_settings(
        settings, allow_private=settings.api_fetch_private, max_bytes=settings.max_document_bytes
    )
    try:
        (doc,) = fetcher.documents(str(data.url))
    except FetchError as exc:
        raise HTTPException(status_code=422, detail=f"url: {exc}") from exc
    finally:
        fetcher.close()
    if data.doc_id:
        doc.doc_id = data.doc_id
    doc.title = data.title or doc.title
    doc.date = data.date.isoformat() if data.date else doc.date
    doc.source = data.source or doc.source
    return doc


def _from_text(data: DocumentIn) -> Document:
    text = data.text or ""
    doc_id = data.doc_id or f"release-{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    date = data.date.isoformat() if data.date else None
    try:
        return make_document(text, doc_id, data.title, date, data.url, data.source or "api")
    except LoadError as exc:
        raise HTTPException(status_code=422, detail=f"text: {exc}") from exc


async def _from_form(request: Request) -> Document:
    form = await request.form(max_files=1, max_fields=len(FORM_FIELDS))
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise HTTPException(status_code=422, detail=f"No file in the upload. {USAGE}")
    name = Path(upload.filename or "release.txt").name  # never a path: the id is a name
    if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
        raise HTTPException(status_code=415, detail=f"Upload a .txt, .md, .html or .pdf file, not {name!r}.")
    fields = {k: v.strip() for k in FORM_FIELDS if isinstance(v := form.get(k), str) and v.strip()}
    doc_id = _checked("doc_id", check_doc_id, fields.get("doc_id") or name)
    try:
        (doc,) = load_bytes(await upload.read(), name, doc_id)
    except LoadError as exc:
        status = 415 if "binary" in str(exc) else 422
        raise HTTPException(status_code=status, detail=f"file: {exc}") from exc
    _checked("file", check_text, doc.text)
    doc.title = fields.get("title", doc.title)
    doc.date = (
        _checked("date", lambda v: dt.date.fromisoformat(v).isoformat(), fields["date"])
        if "date" in fields
        else doc.date
    )
    doc.url = fields.get("url", doc.url)
    doc.source = fields.get("source", name)
    return doc


def _checked(field: str, check, value: str) -> str:
    try:
        return check(value)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"{field}: {exc}") from exc


def document_body_schema() -> dict:
    """The OpenAPI request body of POST /documents: the route reads it itself to stream-limit it."""
    form = {name: {"type": "string"} for name in FORM_FIELDS}
    form["date"] = {"type": "string", "format": "date"}
    form["file"] = {"type": "string", "format": "binary", "description": "A .txt, .md, .html or .pdf release."}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": DocumentIn.model_json_schema()},
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": form}},
            },
        }
    }
