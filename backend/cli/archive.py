"""`gongzhi archive export`: a community's electronic archive (P9, 电子档案 instead of paper ledgers, 精简台账).

A community's archive is its slice of the log: its events in log order (read by scope through `EventLog`), one JSON
object per line, the same objects `gongzhi events export` writes, in `<CODE>.jsonl`; beside it `<CODE>.manifest.json`
says what the file holds (the community, the period, how many events of each type, the first and last position)
and its SHA-256, so a copy can be checked against the manifest and the manifest against the log.

    gongzhi archive export --community 320102001001 [--from 2026-01-01] [--to 2026-03-31T23:59:59+08:00] [--out DIR]

`--from`/`--to` take an ISO date (a day in China, UTC+8: from its start, to its end) or an ISO date and time with
its offset; both ends are included. Bad input is one `error: …` line on stderr and exit code 2.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import typer

from backend import bootstrap
from backend.domain import values
from backend.domain.errors import InvalidInput
from backend.domain.inspection import CHINA

archive_app = typer.Typer(help="P9: a community's electronic archive (its slice of the log), with a manifest.")
PAGE = 1_000


def bound(value: str | None, option: str, end: bool) -> datetime | None:
    """An ISO date (the day in China: its first moment, or for `--to` the first moment of the next day, excluded)
    or an ISO date and time with an offset; None when not given."""
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(), CHINA)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option} is an ISO date (2026-03-31) or date and time with an offset"
                           f" (2026-03-31T18:00:00+08:00), not {value!r:.80}", field=option) from None
    if len(text) != 10:
        values.moment(moment, option)
    return moment


def within(occurred_at: datetime, start: datetime | None, stop: datetime | None, stop_is_day: bool) -> bool:
    """Whether a moment is in the export's period (a day's `--to` excludes the next day's first moment)."""
    if start is not None and occurred_at < start:
        return False
    return stop is None or (occurred_at < stop if stop_is_day else occurred_at <= stop)


@archive_app.command("export")
def archive_export(
        community: str = typer.Option(..., "--community", help="The community's 12-digit code."),
        from_: str | None = typer.Option(None, "--from", help="From this ISO date (in China, UTC+8) or date-time."),
        to: str | None = typer.Option(None, "--to", help="To this ISO date (its whole day) or date-time, included."),
        out: Path = typer.Option(Path("."), "--out", help="The folder to write into (default: the current one)."),
) -> None:
    """P9: write a community's events (in log order, as `events export` writes them) to <CODE>.jsonl and its
    manifest (counts, positions, SHA-256) to <CODE>.manifest.json in --out."""
    from backend.cli import _fail, console, run

    try:
        code = values.division_code(community, "--community")
        start, stop = bound(from_, "--from", False), bound(to, "--to", True)
    except InvalidInput as e:
        _fail(e.message, 2)
        return
    stop_is_day = to is not None and len(to.strip()) == 10
    if start is not None and stop is not None and stop < start:
        _fail("--to is before --from", 2)
    if out.exists() and not out.is_dir():
        _fail(f"--out {out} is not a folder", 2)
    out.mkdir(parents=True, exist_ok=True)
    target, manifest_path = out / f"{code}.jsonl", out / f"{code}.manifest.json"
    partial = out / f".{code}.jsonl.partial"

    async def go(platform: bootstrap.Platform) -> dict[str, object] | None:
        if await platform.events.aggregate(values.community_id(code)) is None:
            return None
        digest, types = hashlib.sha256(), Counter[str]()
        first = last = None
        position = 0
        with partial.open("wb") as file:
            while batch := await platform.events.read(position, PAGE, scope=code):
                for event in batch:
                    if not within(event.occurred_at, start, stop, stop_is_day):
                        continue
                    line = (json.dumps(event.as_json(), ensure_ascii=False) + "\n").encode("utf-8")
                    file.write(line)
                    digest.update(line)
                    types[event.type] += 1
                    first = event.position if first is None else first
                    last = event.position
                position = batch[-1].position
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, target)
        return {"community": code, "from": start.isoformat() if start else None,
                "to": to_text(stop, stop_is_day), "file": target.name, "events": sum(types.values()),
                "eventTypes": dict(sorted(types.items())), "firstPosition": first, "lastPosition": last,
                "sha256": digest.hexdigest(), "exportedAt": datetime.now(UTC).isoformat()}

    try:
        manifest = run(go)
    finally:
        partial.unlink(missing_ok=True)
    if manifest is None:
        _fail(f"no community {code}", 2)
        return
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console.print(f"archived {manifest['events']} events of {code} to {target} (manifest {manifest_path})")


def to_text(stop: datetime | None, stop_is_day: bool) -> str | None:
    """The manifest's `to`: the last moment included (a day's end for a date)."""
    if stop is None:
        return None
    return (stop - timedelta(microseconds=1)).isoformat() if stop_is_day else stop.isoformat()
