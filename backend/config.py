"""Settings, from the environment (GONGZHI_*)."""
from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    secret: str
    # GONGZHI_READ_DATABASE_URL: a streaming replica of GONGZHI_DATABASE_URL's database for the read models' queries
    # (X-Consistent-After then waits until the replica shows the projections' commit); none: the primary.
    read_database_url: str | None = None
    consistency_wait_s: float = 5.0
    max_page_size: int = 200
    max_query_depth: int = 10
    pool_size: int = 8  # eventsourcing's psycopg pool (it may grow to 2x, one per command thread)
    max_body_bytes: int = 1 << 20  # a request body beyond it is refused (413) while it is read
    max_query_tokens: int = 5_000  # a GraphQL document longer than this is refused, its parse aborted
    # What a document may ask for before it runs (backend/api/complexity.py): aliases (in fragments too) and its cost.
    max_aliases: int = 30
    max_query_cost: int = 50_000
    # GONGZHI_ENV=production: no introspection (`_service` still answers a gateway), no "Did you mean …" in errors.
    production: bool = False
    # Rate limits (backend/api/ratelimit.py, the `limits` library): requests to /graphql per token subject and per
    # client address, in `limits`' notation ("600/minute"; "" for none), counted by a strategy in a storage.
    rate_limit_actor: str = "6000/minute"
    rate_limit_address: str = "60000/minute"
    rate_limit_strategy: str = "fixed-window"
    rate_limit_storage: str = "memory://"
    max_subscriptions_per_connection: int = 20  # per websocket; beyond it a subscribe gets an `error`
    cors_origins: tuple[str, ...] = ()  # web origins allowed to call the API from a browser (none by default)
    trusted_documents: str = "off"  # off, allow or only: which documents run (backend/api/documents.py)
    # graphql-core's own execution instead of backend/api/execution.py's shortcuts, which rely on graphql-core's and
    # strawberry's internals (pinned in pyproject.toml): for trying a newer release of either before moving the pins.
    plain_execution: bool = False
    # P4 (费随事转): days after its delegation that a task under an agreement with nothing disbursed is unfunded.
    unfunded_grace_days: int = 30
    # Refusals of one department in a scope from which burdenAlerts names it (P1, P5–P7, P10).
    repeated_refusals: int = 3
    # The verifiable log (backend/audit/): the Ed25519 key checkpoints are signed with (GONGZHI_SIGNING_KEY: base64 of
    # the 32 raw private-key bytes, or a PEM PKCS#8 private key; else the data folder's `signing_key`, made by the
    # server at first start, as the token secret is); "" signs nothing. A checkpoint every N events or T seconds.
    signing_key: str = ""
    checkpoint_every: int = 1_000
    checkpoint_seconds: int = 60
    checkpoint_file: Path | None = None  # GONGZHI_CHECKPOINT_FILE: each checkpoint appended as a JSON line
    # GONGZHI_NATS_URL (e.g. nats://127.0.0.1:4222): each checkpoint also published on the JetStream subject
    # GONGZHI_CHECKPOINT_SUBJECT (backend/audit/publish.py); none: not published.
    nats_url: str | None = None
    checkpoint_subject: str = "gongzhi.audit.checkpoints"
    # `gongzhi relay` (backend/application/relay.py): every event on NATS JetStream (GONGZHI_NATS_URL), in the stream
    # GONGZHI_EVENTS_STREAM under GONGZHI_EVENTS_SUBJECT.<district>.<street>.<community>.<EventType>, deduplicated by
    # Nats-Msg-Id within GONGZHI_EVENTS_DUPLICATE_WINDOW_SECONDS.
    events_stream: str = "GONGZHI_EVENTS"
    events_subject: str = "gongzhi.events"
    events_duplicate_window_s: int = 120

    @property
    def embedded(self) -> bool:
        return self.database_url is None


def load(make_secret: bool = True) -> Settings:
    """The settings. The server makes the token secret in the data folder on its first start; with
    `make_secret` False (commands that sign or check no token, and `gongzhi token` unless asked),
    the secret is "" when there is neither GONGZHI_SECRET nor that file."""
    data_dir = Path(os.environ.get("GONGZHI_DATA_DIR") or platformdirs.user_data_dir("gongzhi"))
    return Settings(
        database_url=os.environ.get("GONGZHI_DATABASE_URL") or None,
        read_database_url=(os.environ.get("GONGZHI_READ_DATABASE_URL") or "").strip() or None,
        data_dir=data_dir,
        secret=os.environ.get("GONGZHI_SECRET") or _secret_in(data_dir, make_secret),
        pool_size=int(os.environ.get("GONGZHI_POOL_SIZE") or 8),
        max_body_bytes=int(os.environ.get("GONGZHI_MAX_BODY_BYTES") or 1 << 20),
        max_query_tokens=int(os.environ.get("GONGZHI_MAX_QUERY_TOKENS") or 5_000),
        max_query_depth=_whole("GONGZHI_MAX_QUERY_DEPTH", 10, minimum=1),
        max_aliases=_whole("GONGZHI_MAX_ALIASES", 30),
        max_query_cost=_whole("GONGZHI_MAX_QUERY_COST", 50_000, minimum=1),
        production=_environment() == "production",
        rate_limit_actor=os.environ.get("GONGZHI_RATE_LIMIT_ACTOR", "6000/minute").strip(),
        rate_limit_address=os.environ.get("GONGZHI_RATE_LIMIT_ADDRESS", "60000/minute").strip(),
        rate_limit_strategy=(os.environ.get("GONGZHI_RATE_LIMIT_STRATEGY") or "fixed-window").strip().lower(),
        rate_limit_storage=(os.environ.get("GONGZHI_RATE_LIMIT_STORAGE") or "memory://").strip(),
        max_subscriptions_per_connection=int(os.environ.get("GONGZHI_MAX_SUBSCRIPTIONS_PER_CONNECTION") or 20),
        cors_origins=tuple(o.strip() for o in os.environ.get("GONGZHI_CORS_ORIGINS", "").split(",") if o.strip()),
        trusted_documents=(os.environ.get("GONGZHI_TRUSTED_DOCUMENTS") or "off").strip().lower(),
        plain_execution=(os.environ.get("GONGZHI_PLAIN_EXECUTION") or "").strip().lower() in ("1", "true", "yes"),
        unfunded_grace_days=_whole("GONGZHI_UNFUNDED_GRACE_DAYS", 30),
        repeated_refusals=_whole("GONGZHI_REPEATED_REFUSALS", 3, minimum=1),
        signing_key=os.environ.get("GONGZHI_SIGNING_KEY") or signing_key_in(data_dir, make_secret),
        checkpoint_every=_whole("GONGZHI_CHECKPOINT_EVERY", 1_000, minimum=1),
        checkpoint_seconds=_whole("GONGZHI_CHECKPOINT_SECONDS", 60, minimum=1),
        checkpoint_file=Path(os.environ["GONGZHI_CHECKPOINT_FILE"]) if os.environ.get("GONGZHI_CHECKPOINT_FILE")
        else None,
        nats_url=(os.environ.get("GONGZHI_NATS_URL") or "").strip() or None,
        checkpoint_subject=_subject("GONGZHI_CHECKPOINT_SUBJECT", "gongzhi.audit.checkpoints"),
        events_stream=_stream("GONGZHI_EVENTS_STREAM", "GONGZHI_EVENTS"),
        events_subject=_subject("GONGZHI_EVENTS_SUBJECT", "gongzhi.events"),
        events_duplicate_window_s=_whole("GONGZHI_EVENTS_DUPLICATE_WINDOW_SECONDS", 120, minimum=1),
    )


def _subject(name: str, default: str) -> str:
    """A NATS subject setting: dot-separated tokens of letters, digits, `_` and `-` (no wildcards)."""
    raw = (os.environ.get(name) or "").strip() or default
    if not re.fullmatch(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*", raw) or len(raw) > 200:
        raise SystemExit(f"{name} must be a NATS subject without wildcards (tokens of letters, digits, _ and -"
                         f" separated by dots), not {raw!r}")
    return raw


def _stream(name: str, default: str) -> str:
    """A JetStream stream name setting: letters, digits, `_` and `-` (no dots, wildcards or spaces)."""
    raw = (os.environ.get(name) or "").strip() or default
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", raw):
        raise SystemExit(f"{name} must be a JetStream stream name (1 to 64 letters, digits, _ and -), not {raw!r}")
    return raw


def _environment() -> str:
    """GONGZHI_ENV: `development` (the default) or `production`; anything else stops the server at start."""
    raw = (os.environ.get("GONGZHI_ENV") or "development").strip().lower()
    if raw not in ("development", "production"):
        raise SystemExit(f"GONGZHI_ENV must be development or production, not {raw!r}")
    return raw


def _whole(name: str, default: int, minimum: int = 0) -> int:
    """A whole-number setting; anything else stops the server at start with a message naming it."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < minimum or int(raw) > 100_000:
        raise SystemExit(f"{name} must be a whole number from {minimum} to 100000, not {raw!r}")
    return int(raw)


def secret_source(data_dir: Path) -> str:
    """Where the token secret comes from: "GONGZHI_SECRET", or the path of the data folder's file."""
    return "GONGZHI_SECRET" if os.environ.get("GONGZHI_SECRET") else str(secret_path(data_dir))


def secret_path(data_dir: Path) -> Path:
    return data_dir / "secret"


def _secret_in(data_dir: Path, make: bool = True) -> str:
    """With no GONGZHI_SECRET, the token secret lives in the data folder (made once, if `make`)."""
    path = secret_path(data_dir)
    if not path.exists():
        if not make:
            return ""
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def signing_key_path(data_dir: Path) -> Path:
    return data_dir / "signing_key"


def signing_key_in(data_dir: Path, make: bool = True) -> str:
    """With no GONGZHI_SIGNING_KEY, the checkpoints' Ed25519 key lives in the data folder: base64 of 32 random
    bytes (an Ed25519 private key is any 32 bytes), made once if `make`; "" when there is none."""
    path = signing_key_path(data_dir)
    if not path.exists():
        if not make:
            return ""
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    return path.read_text().strip()
