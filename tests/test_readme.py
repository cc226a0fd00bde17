"""The README's permission table is the one the code enforces."""
from __future__ import annotations

from backend.domain.access import PERMISSIONS, Role
from tests.harness import ROOT


def test_readme_roles_table_matches_the_code() -> None:
    roles = list(Role)
    lines = ["| action | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for action, allowed in PERMISSIONS.items():
        lines.append(f"| {action.value} | " + " | ".join("✓" if r in allowed else "" for r in roles) + " |")
    assert "\n".join(lines) in (ROOT / "README.md").read_text(encoding="utf-8")
