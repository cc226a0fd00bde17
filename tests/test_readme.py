"""The README's permission table and error codes are the ones the code has."""
from __future__ import annotations

from backend.domain.access import PERMISSIONS, Role
from tests.harness import ROOT


def test_readme_roles_table_matches_the_code() -> None:
    roles = list(Role)
    lines = ["| action | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for action, allowed in PERMISSIONS.items():
        lines.append(f"| {action.value} | " + " | ".join("✓" if r in allowed else "" for r in roles) + " |")
    assert "\n".join(lines) in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_lists_every_error_code() -> None:
    from backend.domain.errors import ERROR_CODES, GongzhiError
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f"| {code} |" in readme for code in ERROR_CODES)
    def subclasses(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]
    raised = {cls.code for cls in subclasses(GongzhiError)} | {GongzhiError.code}
    assert raised == set(ERROR_CODES)
