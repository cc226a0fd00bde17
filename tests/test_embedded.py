"""With no GONGZHI_DATABASE_URL the platform runs its own PostgreSQL in the data folder,
keeps its data across restarts, and stops it when the server stops."""
from __future__ import annotations

from tests import ops
from tests.harness import Client, Server, server_env


async def test_embedded_postgres_starts_keeps_data_and_stops(tmp_path) -> None:
    env = server_env(tmp_path, None)
    env.pop("GONGZHI_DATABASE_URL", None)
    pid_file = tmp_path / "pg" / "postmaster.pid"
    server = Server(env).start()
    gql = Client(server.url)
    try:
        assert pid_file.exists()
        c = await ops.community(gql)
    finally:
        server.stop()  # SIGTERM, as a service manager sends it
        await gql.close()
    assert not pid_file.exists(), "the embedded PostgreSQL is still running"
    server = Server(env).start()
    gql = Client(server.url)
    try:
        history = (await gql.call(ops.HISTORY, {"id": c.code}, c.auditor))["history"]
        assert [e["type"] for e in history] == ["CommunityRegistered", "DutyListPublished"]
    finally:
        server.stop()
        await gql.close()
    assert not pid_file.exists()
