"""Who is calling: API keys with a role, checked on every route except the liveness probes.

A key is presented as ``X-API-Key: wf_…`` or ``Authorization: Bearer wf_…``. A browser (the operator page, the
API docs) logs in once with a form that posts the key to ``POST /session``; the answer sets an HttpOnly,
SameSite=Strict cookie holding the key, which is accepted for GET requests only, so a page on another site can
neither read it nor use it to submit anything. Every request checks the key against the store again (through a
cache of ``gateway_key_cache_seconds``), so a revocation also ends a browser session.

What each role may do (see docs/guarantees.md, "Roles and keys"):

===========  ==================================================================================
agency       submit stories (``/v1/stories``), read stories and clusters, its own rejections
reader       read stories and clusters
operator     everything a reader may, all rejections, ``/ops``, ``/ops/api/*``, ``/metrics``
===========  ==================================================================================

Any valid key may read ``/openapi.json`` and ``/docs``.
"""

from __future__ import annotations

import html
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Security
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from pipeline.api.errors import ApiError, incident
from pipeline.config import Settings
from pipeline.ingest.keys import ROLES, Role, parse_key, role_of, verify_secret
from pipeline.sinks.store.interface import StoreUnavailableError

#: The cookie a browser session carries (the key itself; HttpOnly, SameSite=Strict).
SESSION_COOKIE = "wirefeed_key"
#: Longest login form accepted (a key is 69 characters; the form adds the target path).
MAX_FORM_BYTES = 4096
ANY_ROLE: tuple[Role, ...] = ROLES
READERS: tuple[Role, ...] = ("reader", "agency", "operator")
OPERATORS: tuple[Role, ...] = ("operator",)

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKey", description="API key `wf_<key_id>_<secret>`"
)
bearer = HTTPBearer(auto_error=False, scheme_name="Bearer", description="The same API key as a bearer token")


class KeyLookup(Protocol):
    """What authentication needs from the store."""

    async def find_agency_key(self, key_id: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: ``name`` is the agency of an agency key, and the holder's name for other roles."""

    name: str
    role: Role
    key_id: str


class Authenticator:
    """Checks presented keys against the store; ``keys`` may be set after construction (opened at start-up)."""

    def __init__(
        self, settings: Settings, keys: KeyLookup | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.clock = clock
        self._cache: dict[str, tuple[float, Any]] = {}

    async def authenticate(self, token: str | None) -> Principal:
        """The principal of a presented key. Raises ApiError 401 (missing, malformed, unknown) or 403 (revoked)."""
        if not token:
            raise ApiError(401, "missing_api_key", "send an API key in X-API-Key or Authorization: Bearer")
        parsed = parse_key(token.strip())
        if parsed is None:
            raise ApiError(401, "invalid_api_key", "the API key is not a wirefeed key")
        record = await self._find(parsed.key_id)
        if record is None or not verify_secret(parsed.secret, record.key_hash):
            raise ApiError(401, "invalid_api_key", "unknown API key")
        if record.revoked_at is not None:
            raise ApiError(403, "revoked_api_key", f"this API key was revoked at {record.revoked_at.isoformat()}")
        role = role_of(record.key_hash)
        if role is None:
            raise ApiError(403, "invalid_api_key", "this API key has no known role; ask for a new one")
        return Principal(name=str(record.agency), role=role, key_id=parsed.key_id)

    async def _find(self, key_id: str) -> Any:
        """The store's record of a key, reused for ``gateway_key_cache_seconds`` (a revocation waits that long)."""
        if self.keys is None:
            raise RuntimeError("no key store: open it before serving requests")
        ttl = self.settings.gateway_key_cache_seconds
        now = self.clock()
        cached = self._cache.get(key_id)
        if cached is not None and now - cached[0] < ttl:
            return cached[1]
        try:
            record = await self.keys.find_agency_key(key_id)
        except StoreUnavailableError as exc:
            ident = incident("API key not checked", exc)
            raise ApiError(
                503, "store_unavailable", f"the key store did not answer; retry later (incident {ident})",
                {"Retry-After": "5"},
            ) from exc
        if ttl > 0 and record is not None:
            if len(self._cache) >= 10_000:
                self._cache.clear()
            self._cache[key_id] = (now, record)
        return record


def presented_key(
    request: Request,
    api_key: Annotated[str | None, Security(api_key_header)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> str | None:
    """The key from X-API-Key, Authorization: Bearer, or (GET and HEAD only) the session cookie."""
    if api_key or credentials:
        return api_key or (credentials.credentials if credentials else None)
    if request.method in ("GET", "HEAD"):
        return request.cookies.get(SESSION_COOKIE)
    return None


def role_guard(auth: Authenticator, roles: tuple[Role, ...]) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency: the caller's principal when its role is one of ``roles``, else 401/403."""
    allowed = ", ".join(roles)

    async def guard(request: Request, token: Annotated[str | None, Depends(presented_key)]) -> Principal:
        principal = await auth.authenticate(token)
        request.state.agency = principal.name
        if principal.role not in roles:
            raise ApiError(403, "forbidden", f"a {principal.role} key cannot use this endpoint (needs: {allowed})")
        return principal

    return guard


def login_page(target: str, status: int = 401, note: str = "") -> HTMLResponse:
    """A form that posts a key to ``/session`` and then returns to ``target``."""
    notice = f'<p class="err">{html.escape(note)}</p>' if note else ""
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wirefeed · API key</title>
<style>body{{font:14px system-ui,sans-serif;margin:3rem auto;max-width:32rem}}input{{width:100%;padding:.4rem}}
.err{{color:#c62828}}</style></head>
<body><h1>wirefeed</h1><p>This page needs an API key ({html.escape(target)}).</p>{notice}
<form method="post" action="/session"><input type="hidden" name="next" value="{html.escape(target)}">
<label>API key <input id="api-key" name="key" type="password" autocomplete="off" autofocus></label>
<p><button id="login" type="submit">Continue</button></p></form></body></html>"""
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _local_path(target: str) -> str:
    """``target`` when it is a path on this server, else ``/ops`` (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ops"


async def page_principal(auth: Authenticator, request: Request, roles: tuple[Role, ...]) -> Principal | Response:
    """For an HTML page: the principal, or the login form (401/403) to show instead."""
    try:
        principal = await auth.authenticate(presented_key(request, request.headers.get("x-api-key"), None))
    except ApiError as exc:
        return login_page(request.url.path, exc.status, exc.message if exc.code != "missing_api_key" else "")
    if principal.role not in roles:
        return login_page(request.url.path, 403, f"a {principal.role} key cannot open this page")
    return principal


def session_router(auth: Authenticator) -> APIRouter:
    """``POST /session`` (form: key, next): check the key, set the session cookie, go to ``next``;
    ``POST /session/end``: forget it."""
    router = APIRouter(include_in_schema=False)

    @router.post("/session")
    async def login(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise ApiError(413, "too_large", f"a login form is at most {MAX_FORM_BYTES} bytes")
        form = parse_qs(body.decode("utf-8", "replace"))
        key = (form.get("key") or [""])[0].strip()
        target = _local_path((form.get("next") or ["/ops"])[0])
        try:
            await auth.authenticate(key)
        except ApiError as exc:
            return login_page(target, exc.status, exc.message)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            key,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @router.post("/session/end")
    async def logout() -> Response:
        response = RedirectResponse("/ops", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router
