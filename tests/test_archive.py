"""P9 (精简台账、电子档案): a community's electronic archive is its slice of the log. `gongzhi archive export` run as
a subprocess against the test database: the .jsonl holds the community's events in log order, as `events export`
writes them; the manifest's counts, positions and SHA-256 match the file and the log."""
from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backend.domain.inspection import CHINA
from tests import ops
from tests.harness import Client, Server

LOG = "{ eventLog(after: 0, first: 1000) { position type entityId version communityCode } }"


def read_archive(out: Path, code: str) -> tuple[list[dict], dict, bytes]:
    raw = (out / f"{code}.jsonl").read_bytes()
    manifest = json.loads((out / f"{code}.manifest.json").read_text(encoding="utf-8"))
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()], manifest, raw


async def test_P9_archive_export_writes_the_communitys_events_and_a_manifest(gql: Client, server: Server,
                                                                           tmp_path: Path) -> None:
    c = await ops.community(gql)
    neighbour = await ops.community(gql, f"{c.street}002")  # same street: not in c's archive
    await ops.delegate(gql, c)
    await ops.inspect(gql, c)
    await ops.delegate(gql, neighbour)
    await gql.call(ops.RECORD_LEDGER_DEMAND, {"input": {"communityCode": c.code, "department": "区民政局",
                                                        "ledger": "走访台账", "demandedAt": ops.iso()}}, c.committee)
    out = tmp_path / "archives" / "nested"  # made when missing
    done = await asyncio.to_thread(server.cli, "archive", "export", "--community", c.code, "--out", str(out))
    assert done.stdout == "" and "archived" in done.stderr
    events, manifest, raw = read_archive(out, c.code)

    # the file: exactly the community's events of the log, in log order, as `events export` writes them
    exported = [json.loads(line) for line in (await asyncio.to_thread(server.cli, "events", "export")).stdout.splitlines()]
    assert events == [e for e in exported if e["communityCode"] == c.code]
    positions = [e["position"] for e in events]
    assert positions == sorted(positions) and {e["communityCode"] for e in events} == {c.code}
    logged = (await gql.call(LOG, None, c.auditor))["eventLog"]  # the log as the API reads it, by scope
    assert [(e["position"], e["type"], e["entityId"], e["version"]) for e in logged if e["communityCode"] == c.code] \
        == [(e["position"], e["type"], e["entityId"], e["version"]) for e in events]
    assert {"CommunityRegistered", "DutyListPublished", "TaskDelegated", "InspectionQuarterOpened",
            "InspectionRecorded", "LedgerDemandRecorded"} <= {e["type"] for e in events}

    # the manifest: counts, positions and the file's SHA-256
    assert manifest["community"] == c.code and manifest["file"] == f"{c.code}.jsonl"
    assert manifest["from"] is None and manifest["to"] is None
    assert manifest["events"] == len(events) == len(raw.splitlines())
    assert manifest["eventTypes"] == dict(Counter(e["type"] for e in events))
    assert (manifest["firstPosition"], manifest["lastPosition"]) == (positions[0], positions[-1])
    assert manifest["sha256"] == hashlib.sha256(raw).hexdigest()
    exported_at = datetime.fromisoformat(manifest["exportedAt"])
    assert abs(datetime.now(UTC) - exported_at) < timedelta(minutes=5)


async def test_P9_archive_export_by_period(gql: Client, server: Server, tmp_path: Path) -> None:
    c = await ops.community(gql)
    await ops.delegate(gql, c)
    everything = tmp_path / "all"
    await asyncio.to_thread(server.cli, "archive", "export", "--community", c.code, "--out", str(everything))
    events, _, _ = read_archive(everything, c.code)
    middle = events[1]["occurredAt"]
    part = tmp_path / "part"
    await asyncio.to_thread(server.cli, "archive", "export", "--community", c.code, "--from", middle,
                            "--to", events[-1]["occurredAt"], "--out", str(part))
    chosen, manifest, raw = read_archive(part, c.code)
    assert chosen == [e for e in events if middle <= e["occurredAt"]] and chosen[0] == events[1]
    assert (manifest["from"], manifest["to"], manifest["events"]) == (middle, events[-1]["occurredAt"], len(chosen))
    assert manifest["sha256"] == hashlib.sha256(raw).hexdigest()
    # a date is a day in China (UTC+8): today's events are in today's archive, none in yesterday's
    today = datetime.now(CHINA).date()
    day = tmp_path / "day"
    await asyncio.to_thread(server.cli, "archive", "export", "--community", c.code, "--from", today.isoformat(),
                            "--to", today.isoformat(), "--out", str(day))
    assert read_archive(day, c.code)[0] == events
    yesterday = (today - timedelta(days=1)).isoformat()
    before = tmp_path / "before"
    await asyncio.to_thread(server.cli, "archive", "export", "--community", c.code, "--to", yesterday,
                            "--out", str(before))
    nothing, manifest, raw = read_archive(before, c.code)
    assert nothing == [] and raw == b"" and manifest["events"] == 0
    assert (manifest["firstPosition"], manifest["lastPosition"]) == (None, None)
    assert manifest["sha256"] == hashlib.sha256(b"").hexdigest()


async def test_P9_archive_export_refuses_bad_input_with_one_line_and_exit_2(gql: Client, server: Server,
                                                                           tmp_path: Path) -> None:
    c = await ops.community(gql)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for args in (("--community", "32010200100"), ("--community", "32010200100１"),
                 ("--community", c.code, "--from", "yesterday"), ("--community", c.code, "--to", "2026-02-30"),
                 ("--community", c.code, "--from", "2026-01-01T00:00:00"),
                 ("--community", c.code, "--from", "2026-02-01", "--to", "2026-01-01"),
                 ("--community", f"{c.street}999")):
        done = await asyncio.to_thread(server.cli, "archive", "export", *args, "--out", str(tmp_path / "x"),
                                       check=False)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), (args, done.stderr)
        assert done.stdout == ""
    assert not (tmp_path / "x").exists() or list((tmp_path / "x").iterdir()) == []
    done = await asyncio.to_thread(server.cli, "archive", "export", "--community", c.code, "--out", str(a_file),
                                   check=False)
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [f"error: --out {a_file} is not a folder"]
