"""A stopping platform always ends: a part that hangs (a read connection never given back, as a
request stuck through a database outage may leave one) is logged and left, within bounds, so a
SIGTERM never leaves a server running (issue 7, item 12: every way out stops what it started)."""
from __future__ import annotations

import asyncio
from pathlib import Path

from backend import bootstrap, config
from tests.harness import SECRET, connect


async def test_the_platform_stops_although_a_read_connection_is_never_given_back(fresh_url: str,
                                                                                 data_dir: Path) -> None:
    settings = config.Settings(database_url=fresh_url, data_dir=data_dir, secret=SECRET)
    platform = await bootstrap.start(settings)
    held = await platform.pool.acquire()  # never released: asyncpg's Pool.close() waits for it forever
    backend_pid = held.get_server_pid()
    await asyncio.wait_for(platform.stop(), 4 * bootstrap.STOP_TIMEOUT_S)
    conn = await connect(fresh_url)
    try:  # the held connection was terminated with the pool, not left open
        await asyncio.sleep(0.2)
        assert not await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", backend_pid)
    finally:
        await conn.close()
