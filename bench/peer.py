"""The query's peer: PostGraphile 4 (with postgraphile-plugin-connection-filter), one Node process, serving the
same tasks table as `tasks(scope, first: 50)`, so that the bench compares Gongzhi with a well-known GraphQL server
over PostgreSQL as well as with the bare route. PostGraphile checks no token and no scope here; Gongzhi does both.

The packages are installed by npm into a cache folder outside the repository (`cache_folder()`), once; where
Node.js or npm is not on PATH, or the install fails, the peer is skipped and the JSON says why."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from bench.bare import POOL_SIZE
from bench.common import Process

PACKAGES = ("postgraphile@4", "postgraphile-plugin-connection-filter@2")
SCHEMA = "bench_peer"
FIELDS = ("id", "community_code", "title", "from_department", "basis", "duty_item_code", "agreement_id", "status",
          "delegated_at", "due_at", "version", "position")
PREPARE_SQL = [f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE", f"CREATE SCHEMA {SCHEMA}",
               f"CREATE VIEW {SCHEMA}.tasks AS SELECT {', '.join(FIELDS)} FROM public.tasks"]
QUERY = ("query($scope: String!) { allTasks(filter: {communityCode: {startsWith: $scope}}, orderBy: POSITION_DESC,"
         " first: 50) { totalCount edges { cursor node { id communityCode title fromDepartment basis dutyItemCode"
         " agreementId status delegatedAt dueAt version } } pageInfo { hasNextPage endCursor } } }")
TIMES = ("delegatedAt", "dueAt")


def cache_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gongzhi-bench" / "postgraphile"


def install() -> tuple[Path | None, str]:
    """PostGraphile's CLI script (installed if need be) and its versions; or None and why it is skipped."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None, "skipped: no node" if node is None else "skipped: no npm"
    folder = cache_folder()
    script = folder / "node_modules" / "postgraphile" / "cli.js"
    if not script.exists():
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "package.json").exists():
            (folder / "package.json").write_text('{"private": true}\n')
        try:
            done = subprocess.run([npm, "install", "--no-audit", "--no-fund", *PACKAGES], cwd=folder, check=False,
                                  capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return None, "skipped: npm install timed out"
        if done.returncode != 0 or not script.exists():
            return None, f"skipped: npm install failed: {done.stderr.strip()[-300:]}"
    versions = [json.loads((folder / "node_modules" / name / "package.json").read_text())["version"]
                for name in ("postgraphile", "postgraphile-plugin-connection-filter")]
    node_version = subprocess.run([node, "--version"], check=True, capture_output=True, text=True).stdout.strip()
    return script, f"postgraphile {versions[0]}, postgraphile-plugin-connection-filter {versions[1]}, node {node_version}"


def node_url(conninfo: str) -> str:
    """A libpq connection string as node-postgres reads it (a socket folder as the `host` parameter)."""
    p = conninfo_to_dict(conninfo)
    user, password = p.get("user") or "postgres", p.get("password")
    auth = f"{user}:{password}" if password else user
    host, port, name = p.get("host") or "127.0.0.1", p.get("port") or "5432", p["dbname"]
    if str(host).startswith("/"):
        return f"postgres://{auth}@localhost:{port}/{name}?host={host}"
    return f"postgres://{auth}@{host}:{port}/{name}"


def start(script: Path, conninfo: str, port: int, log: Path) -> Process:
    """One PostGraphile process on `SCHEMA` (its view of the tasks table) with as many connections as Gongzhi's read
    pool; no mutations, no GraphiQL, no query log (its production settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")} | {"NODE_ENV": "production"}
    node = shutil.which("node") or "node"
    return Process([node, str(script), "--connection", node_url(conninfo), "--schema", SCHEMA,
                    "--append-plugins", "postgraphile-plugin-connection-filter", "--host", "127.0.0.1",
                    "--port", str(port), "--max-pool-size", str(POOL_SIZE), "--disable-default-mutations", "--disable-graphiql",
                    "--disable-query-log"], env, port, log)


def body(scope: str) -> dict[str, Any]:
    return {"query": QUERY, "variables": {"scope": scope}}


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def difference(ours: dict[str, Any], peer: dict[str, Any]) -> str | None:
    """Where PostGraphile's answer differs from Gongzhi's in rows or fields (None: the same 50 rows, in the same
    order, with equal fields). Cursors are each server's own encoding of a place and are not compared; times are
    compared as instants (each server formats them its own way)."""
    if "errors" in peer:
        return f"PostGraphile answered errors: {peer['errors']}"
    a, b = ours["data"]["tasks"], peer["data"]["allTasks"]
    if a["totalCount"] != b["totalCount"] or a["pageInfo"]["hasNextPage"] != b["pageInfo"]["hasNextPage"]:
        return f"totals differ: {a['totalCount']} and {b['totalCount']}"
    if len(a["edges"]) != len(b["edges"]):
        return f"{len(a['edges'])} rows and {len(b['edges'])}"
    for mine, theirs in zip(a["edges"], b["edges"], strict=True):
        x, y = dict(mine["node"]), dict(theirs["node"])
        for field in TIMES:
            x[field], y[field] = _moment(x[field]), _moment(y[field])
        if x != y:
            return f"a row differs: {mine['node']} and {theirs['node']}"
    return None
