"""What the API's routers share: the engine of the app, the API key that guards writes, their documented errors."""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pressqa.service.qa import PressQA

WRITES_OFF = "Writing is turned off: set PRESSQA_API_KEY on the server to enable POST and DELETE /documents."
WRITE_ERRORS = {
    401: {"description": "Missing or wrong API key."},
    403: {"description": "Writing is turned off (no API key configured)."},
}
# Release writes are queued (see Admission.for_writes); feedback is not.
QUEUED_WRITE_ERRORS = {
    **WRITE_ERRORS,
    503: {"description": "Busy saving other releases (see Retry-After): refused before anything was done."},
}
bearer = HTTPBearer(auto_error=False, description="The server's PRESSQA_API_KEY.")


def get_engine(request: Request) -> PressQA:
    return request.app.state.engine


Engine = Annotated[PressQA, Depends(get_engine)]


def require_api_key(
    engine: Engine, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> None:
    """Writes need `Authorization: Bearer <PRESSQA_API_KEY>`; with no key configured they are off."""
    key = engine.settings.api_key
    if key is None or not key.get_secret_value():
        raise HTTPException(status_code=403, detail=WRITES_OFF)
    given = credentials.credentials.encode() if credentials else b""
    if not secrets.compare_digest(given, key.get_secret_value().encode()):
        raise HTTPException(
            status_code=401,
            detail="A valid API key is required: send 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
