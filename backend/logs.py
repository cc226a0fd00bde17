"""Structured logs (structlog) to stderr; tracebacks plain (a rich one with locals costs ~0.5 s)."""
from __future__ import annotations

import logging
import os
import sys

import structlog


def configure() -> None:
    level = getattr(logging, os.environ.get("GONGZHI_LOG_LEVEL", "INFO").upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(message)s")
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(level),
        processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso"),
                    structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(),
                                                exception_formatter=structlog.dev.plain_traceback)],
    )
