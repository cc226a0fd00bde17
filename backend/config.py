"""Settings, from the environment (GONGZHI_*)."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    secret: str
    consistency_wait_s: float = 5.0
    max_page_size: int = 200
    max_query_depth: int = 10
    pool_size: int = 8  # eventsourcing's psycopg pool (it may grow to 2x, one per command thread)

    @property
    def embedded(self) -> bool:
        return self.database_url is None


def load() -> Settings:
    data_dir = Path(os.environ.get("GONGZHI_DATA_DIR") or platformdirs.user_data_dir("gongzhi"))
    return Settings(
        database_url=os.environ.get("GONGZHI_DATABASE_URL") or None,
        data_dir=data_dir,
        secret=os.environ.get("GONGZHI_SECRET") or _secret_in(data_dir),
        pool_size=int(os.environ.get("GONGZHI_POOL_SIZE") or 8),
    )


def _secret_in(data_dir: Path) -> str:
    """With no GONGZHI_SECRET, the token secret lives in the data folder (made once)."""
    path = data_dir / "secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
