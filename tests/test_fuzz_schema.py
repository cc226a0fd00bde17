"""Issue 10, item 4: the whole served schema fuzzed by hypothesis-graphql over real HTTP (backend/cli/fuzz.py), on a
server and database of its own: every query and mutation (`_entities` too), valid documents and ones with a schema
violation, random arguments, as every role and anonymously. No answer is a 5xx or INTERNAL; every error's code is
documented. Bounded here (derandomized, well under a minute); `gongzhi fuzz --examples N` runs longer."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from backend.cli.fuzz import Fuzzer, problems_of, report, tokens_for
from tests.harness import SECRET, Server, server_env

EXAMPLES = 400
COMMUNITY = "320102001001"


@pytest.fixture(scope="module")
def fuzzed(data_dir: Path, direct_url: str) -> Iterator[Server]:
    name = f"gongzhi_fuzz_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(direct_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    folder = data_dir / f"fuzz-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    server = Server(server_env(folder, make_conninfo(direct_url, dbname=name))).start()
    yield server
    server.stop()
    with psycopg.connect(direct_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_checks_can_fail() -> None:
    """What counts as a problem: a 5xx, INTERNAL, a code not in ERROR_CODES, an error without a code."""
    def answer(status: int, body: object) -> httpx.Response:
        return httpx.Response(status, json=body)
    assert problems_of(answer(500, {"errors": [{"message": "x", "extensions": {"code": "INVALID_INPUT"}}]}))
    assert problems_of(answer(200, {"errors": [{"message": "x", "extensions": {"code": "INTERNAL"}}]}))
    assert problems_of(answer(200, {"errors": [{"message": "x", "extensions": {"code": "OOPS"}}]}))
    assert problems_of(answer(400, {"errors": [{"message": "x"}]}))
    assert not problems_of(answer(400, {"errors": [{"message": "x", "extensions": {"code": "QUERY_TOO_COMPLEX"}}]}))
    assert not problems_of(answer(200, {"data": {"me": None}}))


def test_the_whole_schema_fuzzed(fuzzed: Server) -> None:
    fuzzer = Fuzzer(fuzzed.url, tokens_for(SECRET, COMMUNITY))
    started = time.monotonic()
    fuzzer.run(EXAMPLES)
    assert fuzzer.sent >= EXAMPLES // 2
    assert not fuzzer.problems, report(fuzzer.problems)
    assert time.monotonic() - started < 120
    assert httpx.get(fuzzed.url.replace("/graphql", "/healthz")).status_code == 200
