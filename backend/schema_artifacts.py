"""The artifacts in schema/: the served SDL and the event catalog, both exported from the code."""
from __future__ import annotations

import json
from pathlib import Path


def sdl() -> str:
    from backend.api.schema import schema
    return schema.as_str().rstrip() + "\n"


def catalog() -> dict[str, str]:
    """File name -> content, one JSON file per event type."""
    from backend.domain.catalog import COMMON_FIELDS, describe
    files = {}
    for name, entry in describe().items():
        entry = {"type": name, **entry, "commonFields": list(COMMON_FIELDS)}
        files[f"{name}.json"] = json.dumps(entry, indent=2, ensure_ascii=False) + "\n"
    return files


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / "schema.graphql"]
    written[0].write_text(sdl(), encoding="utf-8")
    events = directory / "events"
    events.mkdir(exist_ok=True)
    for old in events.glob("*.json"):
        old.unlink()
    for name, content in catalog().items():
        (events / name).write_text(content, encoding="utf-8")
        written.append(events / name)
    return written
