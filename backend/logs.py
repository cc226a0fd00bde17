"""Structured logs (structlog) to stderr."""
from __future__ import annotations

import logging
import os

import structlog


def configure() -> None:
    level = getattr(logging, os.environ.get("GONGZHI_LOG_LEVEL", "INFO").upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(message)s")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))
