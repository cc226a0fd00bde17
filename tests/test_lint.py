"""Static checks in the test command (so in CI): ruff on the Python code (its settings in pyproject.toml), and mypy
--strict on the pure domain (backend/domain) and the application layer (backend/application), where a wrong type is a
wrong record."""
from __future__ import annotations

import subprocess
import sys

from tests.harness import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    checked = run("ruff", "check", "--no-cache", "backend", "projections", "tests", "bench")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_mypy_strict_on_the_domain_and_the_application() -> None:
    checked = run("mypy", "--strict", "--no-incremental", "backend/domain", "backend/application")
    assert checked.returncode == 0, checked.stdout + checked.stderr
