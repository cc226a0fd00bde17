"""Structured logs (structlog) to stderr; tracebacks plain (a rich one with locals costs ~0.5 s)."""
from __future__ import annotations

import logging
import os
import sys

import structlog


def level_name() -> str:
    """GONGZHI_LOG_LEVEL (DEBUG, INFO, WARNING, ERROR), INFO by default; at WARNING and above
    the server keeps no per-request access log."""
    name = os.environ.get("GONGZHI_LOG_LEVEL", "INFO").upper()
    return name if isinstance(getattr(logging, name, None), int) else "INFO"


def configure() -> None:
    level = getattr(logging, level_name())
    logging.basicConfig(level=level, format="%(message)s")
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(level),
        processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso"),
                    structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(),
                                                exception_formatter=structlog.dev.plain_traceback)],
    )
