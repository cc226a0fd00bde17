"""Communities and their duty lists (P3, 清单管理)."""
from __future__ import annotations

from enum import Enum
from typing import Any

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.errors import InvalidInput
from backend.domain.stamp import Stamp


class CommunityKind(str, Enum):
    URBAN = "URBAN"
    RURAL = "RURAL"


class DutyListKind(str, Enum):
    SELF_GOVERNANCE = "SELF_GOVERNANCE"  # 自治事项清单
    ASSIST_GOVERNMENT = "ASSIST_GOVERNMENT"  # 依法协助政府事项清单


def duty_items(items: list[dict[str, str]]) -> list[dict[str, str]]:
    """Checks a duty list: at most MAX_DUTY_ITEMS items, each a code, a title and one of the two lists."""
    checked, seen = [], set()
    for item in values.items(items, "items", values.MAX_DUTY_ITEMS):
        code = values.identifier(item.get("code"), "code")
        if code in seen:
            raise InvalidInput(f"duty item {code!r} appears twice", field="items")
        seen.add(code)
        kind = values.choice(item.get("list"), DutyListKind, "list")
        checked.append({"code": code, "title": values.text(item.get("title"), "title"), "list": kind})
    return checked


class Community(Aggregate):
    """A urban community or rural village (社区/村), registered by a street office."""

    @staticmethod
    def create_id(code: str) -> Any:
        return values.community_id(code)

    @event("CommunityRegistered")
    def __init__(self, code: str, name: str, kind: str, actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.code = code
        self.name = name
        self.kind = kind
        self.duty_list_version = 0
        self.duty_items: list[dict[str, str]] = []

    @classmethod
    def register(cls, code: str, name: str, kind: str, by: Stamp) -> Community:
        values.division_code(code)
        kind = values.choice(kind, CommunityKind, "kind")
        return cls(code=code, name=values.text(name, "name", 200), kind=kind, **by.on(code))

    def publish_duty_list(self, items: list[dict[str, str]], by: Stamp) -> None:
        self._published(self.duty_list_version + 1, duty_items(items), **by.on(self.code))

    @event("DutyListPublished")
    def _published(self, duty_list_version: int, items: list[dict[str, Any]], actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.duty_list_version = duty_list_version
        self.duty_items = items

    def duty_item(self, code: str | None) -> dict[str, str] | None:
        return next((item for item in self.duty_items if item["code"] == code), None)
