"""HTTP read API over the store: ``GET /stories``, ``GET /stories/{uri}``, ``GET /clusters/{id}``.

``read_router(get_store, auth)`` builds a FastAPI router; the app that includes it owns the store's lifetime.
Every route needs a reader, agency or operator key (see :mod:`pipeline.api.auth`).
"""

# No `from __future__ import annotations` here: FastAPI resolves the local StoreDep alias at runtime.
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import AwareDatetime, BaseModel

from pipeline.api.auth import READERS, Authenticator, role_guard
from pipeline.api.errors import incident
from pipeline.sinks.store.interface import Store, StoreUnavailableError
from pipeline.sinks.store.query import (
    MAX_LIMIT,
    ClusterMember,
    InvalidCursorError,
    StoryPage,
    StoryQuery,
    StoryWithHistory,
)
from schemas.enriched import Verdict

RETRY_AFTER_SECONDS = 5


class ClusterView(BaseModel):
    cluster_id: str
    members: list[ClusterMember]


def _unavailable(exc: StoreUnavailableError) -> HTTPException:
    """503 naming an incident id; the driver's text goes to the log only."""
    ident = incident("store unavailable", exc)
    return HTTPException(
        503, f"store unavailable; retry later (incident {ident})", headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def read_router(get_store: Callable[[], Store], auth: Authenticator) -> APIRouter:
    """Router for the read API; ``get_store`` returns the open store for each request."""
    router = APIRouter(tags=["stories"], dependencies=[Depends(role_guard(auth, READERS))])

    def store_dep() -> Store:
        return get_store()

    StoreDep = Annotated[Store, Depends(store_dep)]

    @router.get("/stories", response_model=StoryPage, summary="Search and list stories, newest first")
    async def list_stories(
        store: StoreDep,
        country: Annotated[list[str], Query(description="ISO 3166-1 alpha-2; repeat for any of several")] = [],  # noqa: B006
        focus_only: Annotated[bool, Query(description="Match country against the focus country only")] = False,
        bloc: Annotated[list[str], Query(description="Trade-bloc code, e.g. EAEU; repeatable")] = [],  # noqa: B006
        agency: Annotated[list[str], Query(description="Source agency; repeatable")] = [],  # noqa: B006
        verdict: Annotated[list[Verdict], Query(description="Dedupe verdict; repeatable")] = [],  # noqa: B006
        cluster: Annotated[str | None, Query(description="Dedupe cluster id")] = None,
        since: Annotated[AwareDatetime | None, Query(description="versioncreated >= since (RFC 3339)")] = None,
        until: Annotated[AwareDatetime | None, Query(description="versioncreated < until (RFC 3339)")] = None,
        q: Annotated[str | None, Query(description='Full-text search: words AND-ed, "quoted phrases"; ranked')] = None,
        include_withdrawn: Annotated[bool, Query(description="Also list killed stories")] = False,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: Annotated[str | None, Query(description="next_cursor from the previous page")] = None,
    ) -> StoryPage:
        query = StoryQuery(
            countries=country,
            focus_only=focus_only,
            blocs=bloc,
            agencies=agency,
            verdicts=verdict,
            cluster=cluster,
            since=since,
            until=until,
            text=q,
            include_withdrawn=include_withdrawn,
            limit=limit,
            cursor=cursor,
        )
        try:
            return await store.query(query)
        except InvalidCursorError as exc:
            raise HTTPException(400, str(exc)) from exc
        except StoreUnavailableError as exc:
            raise _unavailable(exc) from exc

    @router.get(
        "/stories/{uri:path}",
        response_model=StoryWithHistory,
        summary="One story: current version, withdrawn state and every version received",
        responses={404: {"description": "No story with this uri"}},
    )
    async def get_story(uri: str, store: StoreDep) -> StoryWithHistory:
        try:
            found = await store.get_story(uri)
        except StoreUnavailableError as exc:
            raise _unavailable(exc) from exc
        if found is None:
            raise HTTPException(404, f"no story with uri {uri!r}")
        return found

    @router.get(
        "/clusters/{cluster_id}",
        response_model=ClusterView,
        summary="Every story and kept-back duplicate of a dedupe cluster, oldest first",
        responses={404: {"description": "No story or duplicate in this cluster"}},
    )
    async def get_cluster(cluster_id: str, store: StoreDep) -> ClusterView:
        try:
            members = await store.get_cluster(cluster_id)
        except StoreUnavailableError as exc:
            raise _unavailable(exc) from exc
        if not members:
            raise HTTPException(404, f"no cluster {cluster_id!r}")
        return ClusterView(cluster_id=cluster_id, members=members)

    return router
