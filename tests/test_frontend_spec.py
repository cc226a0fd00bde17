"""The mobile client's contract (frontend-spec/) holds to the code: every role has its screens, every error code
its row and its message, the message catalog is sound, and every operation (`op:Name`) and message (`msg:key`)
the spec names exists, or the operation is listed as planned, so the spec cannot drift silently."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLEnumType, build_schema

from backend.domain.errors import ERROR_CODES
from tests.harness import ROOT

SPEC = ROOT / "frontend-spec"
OPERATIONS = SPEC / "operations"
CATALOG = SPEC / "messages" / "zh-CN.json"

#: The roles the app has screens for (INTEGRATOR and ADMIN use the API itself).
ROLES = ["RESIDENT", "COMMITTEE", "PARTY_COMMITTEE", "STREET_OFFICE", "DEPARTMENT", "SOCIAL_ORGANIZATION", "AUDITOR"]

#: Codes issue 8 adds to the server (idempotency, trusted documents): the spec explains them whether or not
#: ERROR_CODES has them yet.
ISSUE_8_CODES = {"IDEMPOTENCY_KEY_REUSED", "PERSISTED_QUERY_REQUIRED", "PERSISTED_QUERY_NOT_FOUND"}

#: The schema's enums whose values the user sees, and the catalog prefix of their labels.
ENUM_LABELS = {"Role": "role", "TaskStatus": "taskStatus", "TaskBasis": "taskBasis", "DutyListKind": "dutyList",
               "CommunityKind": "communityKind", "OrganizationCategory": "orgCategory",
               "OrganizationStatus": "orgStatus", "Satisfaction": "satisfaction",
               "EvaluationTargetKind": "targetKind"}


def spec_files() -> list[Path]:
    """The spec's prose: every Markdown file in frontend-spec/ outside operations/."""
    return sorted(p for p in SPEC.rglob("*.md") if OPERATIONS not in p.parents)


def spec_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in spec_files())


def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    duplicates = {k for k in keys if keys.count(k) > 1}
    assert not duplicates, f"keys given twice in the catalog: {sorted(duplicates)}"
    return dict(pairs)


def catalog() -> dict[str, Any]:
    return json.loads(CATALOG.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)


def section(text: str, heading: str) -> str:
    """The text under a `## heading` line, up to the next `## ` heading ("" if there is none)."""
    match = re.search(rf"^## {re.escape(heading)}(?!\w)[^\n]*\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def planned_operations() -> set[str]:
    """The operations the README's "Planned operations" list names, each at the head of its item."""
    return set(re.findall(r"^- `op:(\w+)`", section((SPEC / "README.md").read_text(encoding="utf-8"),
                                                     "Planned operations"), re.MULTILINE))


def test_every_role_has_a_screens_section() -> None:
    screens = (SPEC / "screens.md").read_text(encoding="utf-8")
    for role in ROLES:
        body = section(screens, role)
        assert re.search(r"^### \S", body, re.MULTILINE), f"screens.md: no `## {role}` section with `### ` screens"


def test_the_catalog_is_valid_json_with_no_empty_string() -> None:
    messages = catalog()
    assert messages, "the catalog is empty"
    for key, text in messages.items():
        assert re.fullmatch(r"[A-Za-z][\w-]*(\.[\w-]+)+", key), f"catalog key {key!r} is not a dotted name"
        assert isinstance(text, str) and text.strip(), f"catalog {key!r}: not a non-empty string"
        assert re.fullmatch(r"([^{}]|\{\w+\})*", text), f"catalog {key!r}: a brace that is not a {{placeholder}}"


def test_every_error_code_has_its_row_in_the_error_table_and_its_message_in_the_catalog() -> None:
    messages = catalog()
    rows = dict(re.findall(r"^\| ([A-Z_]+) \| ([^|]+?) \|", (SPEC / "errors.md").read_text(encoding="utf-8"), re.MULTILINE))
    rows.pop("code", None)
    for code in set(ERROR_CODES) | ISSUE_8_CODES:
        assert code in rows, f"errors.md: no row for {code}"
        assert messages.get(f"error.{code}"), f"the catalog has no error.{code}"
        assert rows[code] == messages[f"error.{code}"], f"errors.md's message for {code} is not the catalog's"
    assert set(rows) <= set(ERROR_CODES) | ISSUE_8_CODES, "errors.md has a row for a code the API does not have"


def test_every_operation_the_spec_names_exists_or_is_planned() -> None:
    text = spec_text()
    named = re.findall(r"`op:([^`]*)`", text)
    assert named, "the spec names no operation"
    malformed = [name for name in named if not re.fullmatch(r"[A-Za-z_]\w*", name)]
    assert not malformed, f"`op:` followed by what is not an operation name: {malformed}"
    existing = {p.stem for p in OPERATIONS.glob("*.graphql")}
    planned = planned_operations()
    unknown = sorted(set(named) - existing - planned)
    assert not unknown, f"named in the spec, neither in operations/ nor planned: {unknown}"
    done = sorted(planned & existing)
    assert not done, f"listed as planned but in operations/ now (take them out of the plan): {done}"


def test_every_message_the_spec_names_is_in_the_catalog() -> None:
    messages = catalog()
    for key in set(re.findall(r"`msg:([^`]*)`", spec_text())):
        if key.endswith(".*"):
            assert any(k.startswith(key[:-1]) for k in messages), f"no catalog key starts with {key[:-1]!r}"
        else:
            assert key in messages, f"the spec names msg:{key}, which the catalog lacks"


@pytest.mark.parametrize("enum", sorted(ENUM_LABELS))
def test_every_enum_value_the_user_sees_has_a_label(enum: str) -> None:
    schema = build_schema((ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8"), assume_valid_sdl=True)
    enum_type = schema.get_type(enum)
    assert isinstance(enum_type, GraphQLEnumType)
    messages = catalog()
    missing = [v for v in enum_type.values if f"{ENUM_LABELS[enum]}.{v}" not in messages]
    assert not missing, f"no label for {enum} values {missing}"
