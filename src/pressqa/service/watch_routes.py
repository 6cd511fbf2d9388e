"""The saved questions' routes (`/watches`): save, list and drop questions, and read the releases that answered
them."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi import Path as PathParam

from pressqa.service.deps import WRITE_ERRORS, Engine, require_api_key
from pressqa.service.export import CSV_RESPONSE, Format, csv_response, hits_csv, wants_csv
from pressqa.service.watch_models import HitOut, WatchOut, watch_out
from pressqa.service.watches import found_hits

router = APIRouter()


WatchId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="The saved question's id.")]


@router.get("/watches", response_model=list[WatchOut], summary="The saved questions, with their hit counts")
def list_watches(engine: Engine) -> list[WatchOut]:
    with engine.reading() as index:
        counts, dead = index.watches.hit_counts(), index.watches.dead_letters()
        return [watch_out(w, counts.get(w.id, 0), dead.get(w.id, 0)) for w in index.watches.all()]


@router.delete(
    "/watches/{watch_id}",
    response_model=WatchOut,
    summary="Drop a saved question and its hits",
    dependencies=[Depends(require_api_key)],
    responses={404: {"description": "No such saved question."}, **WRITE_ERRORS},
)
def delete_watch(watch_id: WatchId, engine: Engine) -> WatchOut:
    with engine.reading() as index:
        watch = index.watches.get(watch_id)
    if watch is None or not engine.remove_watch(watch_id):
        raise HTTPException(status_code=404, detail=f"No saved question with id {watch_id}.")
    return watch_out(watch)


@router.get(
    "/watches/{watch_id}/hits",
    response_model=list[HitOut],
    summary="The releases found to answer a saved question, oldest first",
    responses={404: {"description": "No such saved question."}, **CSV_RESPONSE},
)
def watch_hits(
    watch_id: WatchId,
    request: Request,
    engine: Engine,
    since: Annotated[dt.datetime | None, Query(description="Only hits found after this time (ISO 8601).")] = None,
    format_: Format = None,
) -> list[HitOut] | Response:
    found = found_hits(engine, watch_id, since)
    if found is None:
        raise HTTPException(status_code=404, detail=f"No saved question with id {watch_id}.")
    if wants_csv(request, format_):
        return csv_response(hits_csv(engine, watch_id, found), f"pressqa-watch-{watch_id}")
    return found
