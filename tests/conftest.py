"""Fixtures: a fresh database (on GONGZHI_DATABASE_URL's server, or the embedded default),
one server process for the session, and clients that speak real HTTP and websockets."""
from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from backend import database
from tests.harness import Client, Server, connect, server_env


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gongzhi-data")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str | None]:
    """A fresh database on GONGZHI_DATABASE_URL's server; None for the embedded default."""
    base = os.environ.get("GONGZHI_DATABASE_URL")
    if not base:
        yield None
        return
    name = f"gongzhi_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(base, dbname=name)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def server(data_dir: Path, database_url: str | None) -> Iterator[Server]:
    server = Server(server_env(data_dir, database_url)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def direct_url(server: Server, database_url: str | None, data_dir: Path) -> str:
    """A URL the tests can read tables through (the embedded server is shared by data folder)."""
    return database_url or database.embedded_url(data_dir)


@pytest.fixture(scope="session")
async def gql(server: Server) -> AsyncIterator[Client]:
    client = Client(server.url)
    yield client
    await client.close()


@pytest.fixture
async def fresh_url(direct_url: str) -> AsyncIterator[str]:
    """A new, empty database of its own, for a test that starts its own platform."""
    name = f"gongzhi_t_{uuid.uuid4().hex[:10]}"
    conn = await connect(direct_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    yield make_conninfo(direct_url, dbname=name)
    conn = await connect(direct_url)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()
