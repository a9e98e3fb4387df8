"""The recall feed, ``GET /recalls/feed?after=CURSOR``: holds, recalls, releases and their
corrections in log order (``ledger.platform.feed``), as JSON or as Atom
(``Accept: application/atom+xml`` or ``?format=atom``). Public: recalls are public safety
information, so no token is needed (without one, the address's rate limit applies)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.deps import LedgerDep, ReaderDep
from api.schemas import errors as documented
from api.schemas.webhooks import FeedPublic
from ledger.platform.feed import MAX_PAGE, atom, feed_page

__all__ = ["router"]

ATOM = "application/atom+xml"
router = APIRouter(tags=["platforms 平台"])


@router.get("/recalls/feed", response_model=FeedPublic,
            responses={200: {"content": {ATOM: {}},
                             "description": "the notices, as JSON or as an Atom feed"},
                       **documented(400, 401, 429)})
def recall_feed(
    request: Request, ledger: LedgerDep, _: ReaderDep,
    after: Annotated[int, Query(ge=-1, le=2**62, description="The cursor: the leaf index of "
                                "the last notice seen (-1, the default: from the start).")] = -1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    format: Annotated[Literal["json", "atom"] | None, Query(
        description="atom for an Atom feed (as Accept: application/atom+xml).")] = None,
) -> Response:
    """Holds, recalls, releases and their corrections, in log order, after ``after``; ask
    again with ``after`` set to ``next`` to catch up exactly. 召回、暂扣与解除通告。"""
    page = feed_page(ledger.store.engine, after, limit)
    next_url = str(request.url.include_query_params(after=page.next))
    wants_atom = format == "atom" or (format is None and ATOM in request.headers.get(
        "accept", ""))
    if wants_atom:
        updated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Response(atom(page, self_url=str(request.url), next_url=next_url,
                             updated=updated), media_type=ATOM)
    return JSONResponse({"notices": page.items, "after": page.after, "next": page.next,
                         "next_url": next_url})
