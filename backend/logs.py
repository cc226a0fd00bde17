"""Structured logs (structlog) to stderr, never stdout (the CLI's stdout carries only data: JSON
lines); tracebacks plain (a rich one with locals costs ~0.5 s). The embedded PostgreSQL's own
chatter (pgserver/pgembed log every command they run at INFO) shows only at DEBUG."""
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


#: Loggers of the embedded PostgreSQL wrappers, quiet unless GONGZHI_LOG_LEVEL=DEBUG.
EMBEDDED_LOGGERS = ("pgserver", "pgembed")


def configure() -> None:
    level = getattr(logging, level_name())
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    for name in EMBEDDED_LOGGERS:
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else max(level, logging.WARNING))
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso"),
                    structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(),
                                                exception_formatter=structlog.dev.plain_traceback)],
    )
