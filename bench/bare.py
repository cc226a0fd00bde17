"""The query baseline: a bare Starlette route that runs the same SQL as `tasks(scope, first: 50)`
with asyncpg and returns the same JSON, served the same way (one uvicorn worker)."""
from __future__ import annotations

import base64
import contextlib
import json
import os
import sys

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend import database

SQL = ("SELECT * FROM tasks WHERE community_code LIKE $1 ORDER BY position DESC LIMIT 51")
COUNT = "SELECT count(*) FROM tasks WHERE community_code LIKE $1"


def cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{position}".encode()).decode()


def build(url: str) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        app.state.pool = await asyncpg.create_pool(**database.asyncpg_dsn(url), min_size=2, max_size=12,
                                                   reset=database.keep_session)  # as the platform's
        yield
        await app.state.pool.close()

    async def tasks(request: Request) -> Response:
        body = await request.json()
        scope = body["variables"]["scope"]
        async with request.app.state.pool.acquire() as conn:
            rows = await conn.fetch(SQL, scope + "%")
            total = await conn.fetchval(COUNT, scope + "%")
        edges = [{"cursor": cursor(r["position"]), "node": {
            "id": str(r["id"]), "communityCode": r["community_code"], "title": r["title"],
            "fromDepartment": r["from_department"], "basis": r["basis"], "dutyItemCode": r["duty_item_code"],
            "agreementId": str(r["agreement_id"]) if r["agreement_id"] else None, "status": r["status"],
            "delegatedAt": r["delegated_at"].isoformat(), "dueAt": r["due_at"].isoformat() if r["due_at"] else None,
            "version": r["version"]}} for r in rows[:50]]
        data = {"data": {"tasks": {"totalCount": total, "edges": edges, "pageInfo": {
            "hasNextPage": len(rows) > 50, "endCursor": edges[-1]["cursor"] if edges else None}}}}
        return Response(json.dumps(data), media_type="application/json")

    return Starlette(routes=[Route("/graphql", tasks, methods=["POST"])], lifespan=lifespan)


if __name__ == "__main__":
    uvicorn.run(build(os.environ["GONGZHI_DATABASE_URL"]), host="127.0.0.1", port=int(sys.argv[1]),
                log_level="warning")
