"""Servers that start together on a new store: the library makes its tables at construction, and two servers doing
that DDL at once failed one of them ("tuple concurrently updated", seen in CI when the trusted-documents tests start
their servers side by side). bootstrap.open_application does it under an advisory lock."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from backend import bootstrap


def test_applications_opened_at_once_on_a_new_store_all_open(fresh_url: str) -> None:
    with ThreadPoolExecutor(6) as pool:
        apps = list(pool.map(lambda _: bootstrap.open_application(fresh_url, 1), range(6)))
    try:
        assert len({app.recorder.events_table_name for app in apps}) == 1
    finally:
        for app in apps:
            app.close()
