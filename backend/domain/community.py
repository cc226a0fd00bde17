"""Communities and their duty lists (P3, 清单管理); for a rural one, whether its village and enterprises are
separated (P36 分类指导: the fact P6 turns on)."""
from __future__ import annotations

from enum import Enum
from typing import Any

from eventsourcing.domain import Aggregate, event

from backend.domain import values
from backend.domain.errors import InvalidInput, InvalidState
from backend.domain.stamp import Stamp


class CommunityKind(str, Enum):
    URBAN = "URBAN"  # 城市社区
    RURAL = "RURAL"  # 农村社区


class DutyListKind(str, Enum):
    SELF_GOVERNANCE = "SELF_GOVERNANCE"  # 自治事项清单
    ASSIST_GOVERNMENT = "ASSIST_GOVERNMENT"  # 依法协助政府事项清单


def duty_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Checks a duty list: at most MAX_DUTY_ITEMS items, each a code, a title and one of the two lists, and
    whether the item provides for a quota or ranking target (`allows_quota`, P1: 指标 only where the list says so;
    kept only when true, so lists published before it read the same)."""
    checked, seen = [], set()
    for item in values.items(items, "items", values.MAX_DUTY_ITEMS):
        code = values.identifier(item.get("code"), "code")
        if code in seen:
            raise InvalidInput(f"duty item {code!r} appears twice", field="items")
        seen.add(code)
        kind = values.choice(item.get("list"), DutyListKind, "list")
        entry: dict[str, Any] = {"code": code, "title": values.text(item.get("title"), "title"), "list": kind}
        if values.flag(item.get("allows_quota"), "allowsQuota"):
            entry["allows_quota"] = True
        checked.append(entry)
    return checked


class Community(Aggregate):
    """An urban community or rural village (社区/村, P36: urban or rural), registered by a street office, with its
    published duty lists (P3, 清单管理)."""

    @staticmethod
    def create_id(code: str) -> Any:
        return values.community_id(code)

    @event("CommunityRegistered")
    def __init__(self, code: str, name: str, kind: str, actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None, village_enterprise_separated: bool = True) -> None:
        self.code = code
        self.name = name
        self.kind = kind
        self.duty_list_version = 0
        self.duty_items: list[dict[str, Any]] = []
        # P36: a registration stored before this field decodes without it, as separated (the default).
        self.village_enterprise_separated = village_enterprise_separated

    @classmethod
    def register(cls, code: str, name: str, kind: str, by: Stamp,
                 village_enterprise_separated: bool | None = None) -> Community:
        values.division_code(code)
        kind = values.choice(kind, CommunityKind, "kind")
        separated = village_enterprise_separation(village_enterprise_separated, kind, "villageEnterpriseSeparated")
        return cls(code=code, name=values.text(name, "name", 200), kind=kind, **by.on(code),
                   village_enterprise_separated=separated)

    def publish_duty_list(self, items: list[dict[str, Any]], by: Stamp) -> None:
        self._published(self.duty_list_version + 1, duty_items(items), **by.on(self.code))

    @event("DutyListPublished")
    def _published(self, duty_list_version: int, items: list[dict[str, Any]], actor: dict[str, Any], request_id: str, community_code: str,
                 client_request_id: str | None = None) -> None:
        self.duty_list_version = duty_list_version
        self.duty_items = items

    def duty_item(self, code: str | None) -> dict[str, Any] | None:
        return next((item for item in self.duty_items if item["code"] == code), None)

    # -- P36 分类指导: village and enterprises separated (村企分开) -----------------------------------
    @property
    def rural_unseparated(self) -> bool:
        """P36/P6: a rural community whose village and enterprises are not yet separated (村企尚未分离的农村社区)."""
        return self.kind == CommunityKind.RURAL.value and not self.village_enterprise_separated

    def record_village_enterprise_separation(self, separated: bool, by: Stamp) -> None:
        """P36 (分类指导): whether a rural community's village and its enterprises are separated (村企分开), the fact
        P6 turns on. An urban community has no village: INVALID_STATE."""
        if self.kind != CommunityKind.RURAL.value:
            raise InvalidState(f"community {self.code} is {self.kind}: only a RURAL community has a village and "
                               "enterprises to separate (P36)", kind=self.kind)
        self._village_enterprise_separation_recorded(
            village_enterprise_separation(separated, self.kind, "separated"), **by.on(self.code))

    @event("VillageEnterpriseSeparationRecorded")
    def _village_enterprise_separation_recorded(self, village_enterprise_separated: bool, actor: dict[str, Any],
                                                request_id: str, community_code: str,
                                                client_request_id: str | None = None) -> None:
        """P36: the village and its enterprises are (True) or are not yet (False) separated (村企分开)."""
        self.village_enterprise_separated = village_enterprise_separated


def village_enterprise_separation(value: Any, kind: str, field: str) -> bool:
    """P36: whether the village and its enterprises are separated (村企分开): true or false (None: separated, the
    default). An urban community has no village, so it is never recorded unseparated."""
    if value is None:
        return True
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false", field=field)
    separated = value
    if not separated and kind != CommunityKind.RURAL.value:
        raise InvalidInput(f"only a RURAL community can have its village and enterprises unseparated (P36), not a "
                           f"{kind} one", field=field)
    return separated
