"""The HTTP API: /ask, /documents, /health, served by FastAPI."""

import datetime as dt
import logging
import threading
import time
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from pressqa import __version__
from pressqa.config import Settings, get_settings
from pressqa.retrieval.index import IndexNotReady
from pressqa.service.admission import Admission, DeadlineExceeded, Overloaded
from pressqa.service.answering import entity_name, timeline_page
from pressqa.service.api_responses import (
    DocumentOut,
    DocumentSummary,
    DocumentWritten,
    Health,
    TimelineResponse,
    document_out,
    document_summary,
)
from pressqa.service.deps import QUEUED_WRITE_ERRORS, Engine, require_api_key
from pressqa.service.export import CSV_RESPONSE, Format, csv_response, timeline_csv, wants_csv
from pressqa.service.filters import Narrowing
from pressqa.service.metrics import CONTENT_TYPE, ServerMetrics, route_of
from pressqa.service.qa import PressQA
from pressqa.service.question_routes import limited_router
from pressqa.service.request_limits import RequestModels
from pressqa.service.upload import BodyLimit, document_body_schema, document_from_request
from pressqa.service.watch_routes import router as watch_router
from pressqa.service.watches import resend_pending, safely_check_releases

router = APIRouter()
STATIC = resources.files("pressqa") / "static"
# The page loads only its own script and style: no inline script, nothing from other origins.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@router.get("/", include_in_schema=False)
async def chat_page() -> FileResponse:  # async: served on the event loop, never queued behind questions
    return FileResponse(str(STATIC / "index.html"), media_type="text/html")


def check_name(value: str) -> str:
    """A timeline's entity, or 422."""
    try:
        return entity_name(value)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"q: {exc}") from exc


@router.get(
    "/timeline",
    response_model=TimelineResponse,
    summary="The releases that mention a company, product or person, newest first",
    responses=CSV_RESPONSE,
)
async def get_timeline(
    request: Request,
    engine: Engine,
    q: Annotated[str, Query(max_length=200, description="The name, as releases write it.", examples=["CT041"])],
    date_from: Annotated[dt.date | None, Query(alias="from", description="Earliest date (YYYY-MM-DD).")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to", description="Latest date (YYYY-MM-DD).")] = None,
    offset: Annotated[int, Query(ge=0, description="Items to skip (pagination).")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Items per page.")] = 20,
    source: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Only releases from this source or domain.")
    ] = None,
    names: Annotated[
        list[str] | None, Query(max_length=10, description="Only releases that also name these (repeat it).")
    ] = None,
    format_: Format = None,
) -> TimelineResponse | Response:
    name = check_name(q)
    if date_from and date_to and date_from > date_to:
        raise HTTPException(status_code=422, detail="from must not be after to")
    dates = tuple(d.isoformat() if d else None for d in (date_from, date_to))
    narrowing = Narrowing(source, tuple(check_name(n) for n in names or ()))
    async with request.app.state.read_admission.admitted():  # its own budget: never a question's slot
        response = await run_in_threadpool(timeline_page, engine, name, dates, offset, limit, narrowing)
    return csv_response(timeline_csv(response), "pressqa-timeline") if wants_csv(request, format_) else response


@router.get("/documents", response_model=list[DocumentSummary], summary="List indexed releases")
async def list_documents(request: Request, engine: Engine) -> list[DocumentSummary]:
    def read() -> list[DocumentSummary]:
        with engine.reading() as index:
            return [document_summary(d) for d in index.store.documents()]

    async with request.app.state.read_admission.admitted():
        return await run_in_threadpool(read)


@router.get(
    "/documents/{doc_id:path}", response_model=DocumentOut, summary="One release with its full text and its family"
)
def get_document(doc_id: str, engine: Engine) -> DocumentOut:
    with engine.reading() as index:
        doc = index.store.document(doc_id)
        family = index.families.family_of(doc_id) if doc else []
    if doc is None:
        raise HTTPException(status_code=404, detail=f"No document with id {doc_id!r}.")
    return document_out(doc, family)


@router.post(
    "/documents",
    response_model=DocumentWritten,
    status_code=201,
    summary="Add or replace one release (JSON or a file upload); saved before the response",
    dependencies=[Depends(require_api_key)],
    openapi_extra=document_body_schema(),
    responses={200: {"description": "Already indexed (unchanged) or replaced (updated)."}, **QUEUED_WRITE_ERRORS},
)
async def add_document(request: Request, response: Response, engine: Engine) -> DocumentWritten:
    async with request.app.state.write_admission.admitted():  # 503 up front when writes queue up
        doc = await document_from_request(request)
        status, chunks = await run_in_threadpool(engine.add_document, doc)
        # Saved questions are asked of the new release before the response: its hits are there when it returns.
        hits = [] if status == "unchanged" else await run_in_threadpool(safely_check_releases, engine, [doc.doc_id])
    if status != "added":
        response.status_code = 200
    response.headers["Location"] = f"/documents/{quote(doc.doc_id)}"
    return DocumentWritten(doc_id=doc.doc_id, status=status, chunks=chunks, watch_hits=len(hits))


@router.delete(
    "/documents/{doc_id:path}",
    response_model=DocumentWritten,
    summary="Remove one release; saved before the response",
    dependencies=[Depends(require_api_key)],
    responses={404: {"description": "No such release."}, **QUEUED_WRITE_ERRORS},
)
async def delete_document(doc_id: str, request: Request, engine: Engine) -> DocumentWritten:
    async with request.app.state.write_admission.admitted():
        removed = await run_in_threadpool(engine.remove_document, doc_id)
    if not removed:
        raise HTTPException(status_code=404, detail=f"No document with id {doc_id!r}.")
    return DocumentWritten(doc_id=doc_id, status="deleted", chunks=0)


@router.get("/health", response_model=Health, summary="Model, index size and version")
async def health(engine: Engine) -> Health:
    """Answered on the event loop from the loaded index's manifest: never queued behind questions or writes."""
    if not engine.index_loaded:  # the first load only, off the event loop
        model, documents, chunks = await run_in_threadpool(engine.counts)
    else:
        model, documents, chunks = engine.counts()
    return Health(status="ok", model=model, documents=documents, chunks=chunks, version=__version__)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format; not behind the API key (it says nothing of the releases), off when
    PRESSQA_METRICS=false."""
    server_metrics = request.app.state.metrics
    if server_metrics is None:
        raise HTTPException(status_code=404, detail="Metrics are turned off (PRESSQA_METRICS=false).")
    return Response(server_metrics.render(), media_type=CONTENT_TYPE)


async def _overloaded(request: Request, exc: Overloaded) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after_s)}
    return JSONResponse(status_code=503, content={"detail": str(exc)}, headers=headers)


async def _past_deadline(request: Request, exc: DeadlineExceeded) -> JSONResponse:
    return JSONResponse(status_code=504, content={"detail": str(exc)})


async def _index_not_ready(request: Request, exc: IndexNotReady) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": str(exc)})


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with one readable sentence per problem, plus the structured list."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        problems.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", "invalid"))
    errors = jsonable_encoder(exc.errors(), custom_encoder={Exception: str})
    return JSONResponse(status_code=422, content={"detail": "; ".join(problems), "errors": errors})


async def _security_headers(request: Request, call_next):
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if not request.url.path.startswith(("/docs", "/redoc")):  # Swagger UI needs its CDN assets
        response.headers.setdefault("Content-Security-Policy", CSP)
    return response


async def _measured(request: Request, call_next):
    started = time.perf_counter()
    response = await call_next(request)
    route = route_of(request.scope)
    request.app.state.metrics.observe(request.method, route, response.status_code, time.perf_counter() - started)
    return response


def warm_up(engine: PressQA) -> None:
    """Load the model, the index and the reader before the first question, so it is answered fast."""
    try:
        engine.ask("warm-up")
    except IndexNotReady as exc:
        logging.getLogger("pressqa").warning("%s", exc)


def resend_pending_alerts(engine: PressQA) -> None:
    """Webhook deliveries a stopped server left queued go out again (in the background)."""
    if queued := resend_pending(engine):
        logging.getLogger("pressqa").info("%d saved-question hits queued again for their webhooks", queued)


@asynccontextmanager
async def _lifespan(app: FastAPI):
    warm_up(app.state.engine)
    if app.state.engine.settings.api_key:  # writes are on: their models load beside, not in the first write
        threading.Thread(target=app.state.engine.writer.warm_up, daemon=True, name="pressqa-write-warm-up").start()
    resend_pending_alerts(app.state.engine)
    yield


def create_app(settings: Settings | None = None, engine: PressQA | None = None) -> FastAPI:
    """The API app; the model, index and reader load at start-up (or on first use without a lifespan)."""
    settings = engine.settings if engine else settings or get_settings()
    app = FastAPI(
        title="PressQA",
        version=__version__,
        lifespan=_lifespan,
        description="Ask questions of press releases; get extractive answers with cited passages.",
    )
    app.state.engine = engine or PressQA(settings)
    app.state.admission = Admission.from_settings(settings)
    app.state.write_admission = Admission.for_writes(settings)
    app.state.read_admission = Admission.for_reads(settings)
    app.include_router(router)
    app.include_router(limited_router(RequestModels.for_settings(settings)))
    app.include_router(watch_router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.middleware("http")(_security_headers)
    app.state.metrics = ServerMetrics(app.state.engine) if settings.metrics else None
    if app.state.metrics:
        app.middleware("http")(_measured)
    app.add_middleware(BodyLimit, limit=settings.max_document_bytes)
    if settings.cors_origins:  # off unless configured: browsers on other origins can't call the API
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_exception_handler(IndexNotReady, _index_not_ready)
    app.add_exception_handler(Overloaded, _overloaded)
    app.add_exception_handler(DeadlineExceeded, _past_deadline)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    return app


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread malloc arenas: with 40 server threads they grew RSS by ~40% under load."""
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to cap
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # -8 is M_ARENA_MAX
