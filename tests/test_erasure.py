"""Issue 10, item 3 (PIPL art. 47; P31, P35): personal data that can be erased. Personal fields (P11 staff: name
and phone) are written to the log sealed with a key per data subject; `eraseSubject` (ADMIN of the whole
province) destroys the key: afterwards no API answer, read model, archive or audit bundle holds the data in the
clear, the log still verifies, a rebuild gives identical tables, and the erasure is itself an event. Through real
HTTP against a real server and its PostgreSQL."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg

from backend.domain.access import Role
from tests import ops
from tests.harness import Client, Server, connect, token
from tests.test_projections import settled, snapshot

NAME, PHONE = "拓跋测试员", "139 8765 4321"
OTHER_NAME, OTHER_PHONE = "慕容留存者", "021-87654321"
BASIS = "《个人信息保护法》第四十七条；本人申请（编号 2026-001）"
ADMIN = token(Role.ADMIN, "", "admin-province")
VERIFY = "{ verifyAuditChain { ok eventsChecked firstBadPosition problem } }"
ERASED_LOG = """query($after: Position) { eventLog(after: $after, types: ["SubjectErased"]) {
  position type entityId communityCode actor { id role } data } }"""


def after(position: int) -> dict[str, str]:
    return {"X-Consistent-After": str(position)}


def spellings(*texts: str) -> list[bytes]:
    """A text as it could stand in stored bytes: UTF-8, and JSON's \\u escapes."""
    found = []
    for text in texts:
        found += [text.encode(), json.dumps(text).strip('"').encode()]
    return found


def clear_in(data: bytes | str, *texts: str) -> list[str]:
    raw = data.encode() if isinstance(data, str) else data
    return [t.decode() for t in spellings(*texts) if t in raw]


async def appoint(gql: Client, c: ops.Community, person: str, name: str, phone: str) -> dict:
    post = (await gql.call(ops.DEFINE_POST, {"input": {"communityCode": c.code, "title": "社区专职工作者",
                                                       "duties": ["居民事务受理"], "procedures": []}},
                           c.committee))["definePost"]
    return (await gql.call(ops.APPOINT_STAFF, {"input": {"postId": post["post"]["id"], "personId": person,
                                                         "name": name, "phone": phone}}, c.committee))["appointStaff"]


async def read_models(conn: asyncpg.Connection) -> str:
    return json.dumps(await snapshot(conn), ensure_ascii=False)


async def staff_of(gql: Client, c: ops.Community, tok: str, position: int) -> dict[str, dict]:
    posts = (await gql.call(ops.POSTS, {"c": c.code}, tok, after(position)))["posts"]
    return {s["personId"]: s for p in posts for s in p["staff"]}


async def test_erasure_destroys_the_key_and_leaves_no_personal_data_in_the_clear(
        gql: Client, server: Server, direct_url: str, tmp_path: Path) -> None:
    c = await ops.community(gql)
    subject, kept = f"erase-me-{c.code}", f"keep-me-{c.code}"
    erased_staff = await appoint(gql, c, subject, NAME, PHONE)
    kept_staff = await appoint(gql, c, kept, OTHER_NAME, OTHER_PHONE)
    position = kept_staff["receipt"]["position"]
    conn = await connect(direct_url)
    try:
        # written sealed: the events table holds no name or phone in the clear, the keys are in their own table
        rows = await conn.fetch("SELECT notification_id, state FROM gongzhi_events WHERE originator_id = ANY($1::uuid[])",
                                [erased_staff["staff"]["id"], kept_staff["staff"]["id"]])
        assert len(rows) == 2
        for row in rows:
            state = bytes(row["state"])
            assert clear_in(state, NAME, PHONE, OTHER_NAME, OTHER_PHONE) == [], row["notification_id"]
            stored = json.loads(state)
            assert stored["name"]["sealed"] == 1 and stored["phone"]["sealed"] == 1 and stored["person_id"]
        keys = await conn.fetch("SELECT subject_id, key FROM gongzhi_subject_keys WHERE subject_id = $1", subject)
        assert [(k["subject_id"], len(k["key"])) for k in keys] == [(subject, 32)]

        # readable before the erasure, by the roles allowed (the committee, the street office, the person)
        for tok in (c.committee, c.office, c.resident(subject)):
            staff = await staff_of(gql, c, tok, position)
            assert (staff[subject]["name"], staff[subject]["phone"]) == (NAME, PHONE)
        [appointed] = (await gql.call(ops.HISTORY, {"id": erased_staff["staff"]["id"]}, c.office))["history"]
        assert (appointed["data"]["name"], appointed["data"]["phone"]) == (NAME, PHONE)
        assert (await staff_of(gql, c, c.department, position))[subject]["name"] is None  # P11 still holds

        # only an administrator of the whole province may erase; anyone else is refused and nothing is appended
        head = await conn.fetchval("SELECT max(notification_id) FROM gongzhi_events")
        erase = {"input": {"subjectId": subject, "legalBasis": BASIS}}
        for tok in (token(Role.ADMIN, c.district, "admin-district"), c.committee, c.office, c.auditor,
                    c.resident(subject), token(Role.INTEGRATOR, "", "integrator")):
            assert await gql.code(ops.ERASE_SUBJECT, erase, tok) == "FORBIDDEN"
        for bad in ({"subjectId": "张三", "legalBasis": BASIS}, {"subjectId": subject, "legalBasis": " "},
                    {"subjectId": subject, "legalBasis": "x" * 501}):
            assert await gql.code(ops.ERASE_SUBJECT, {"input": bad}, ADMIN) == "INVALID_INPUT"
        assert await conn.fetchval("SELECT max(notification_id) FROM gongzhi_events") == head

        live_before = await read_models(conn)
        assert clear_in(live_before, NAME, PHONE) != []  # the read model held them (for the allowed readers)

        done = (await gql.call(ops.ERASE_SUBJECT, erase, ADMIN))["eraseSubject"]
        assert (done["erasure"]["subjectId"], done["erasure"]["legalBasis"]) == (subject, BASIS)
        erased_at = done["receipt"]["position"]

        # the key is destroyed in the erasure's transaction; the events stay, and the erasure is an event
        keys = await conn.fetch("SELECT key, erased_position FROM gongzhi_subject_keys WHERE subject_id = $1", subject)
        assert keys and all(k["key"] is None and k["erased_position"] == erased_at for k in keys)
        assert await conn.fetchval("SELECT count(*) FROM gongzhi_events WHERE originator_id = $1::uuid",
                                   erased_staff["staff"]["id"]) == 1
        logged = (await gql.call(ERASED_LOG, {"after": erased_at - 1}, ADMIN))["eventLog"]
        assert [(e["position"], e["type"], e["data"]["subjectId"], e["data"]["legalBasis"], e["actor"]["role"])
                for e in logged] == [(erased_at, "SubjectErased", subject, BASIS, "ADMIN")]
        assert await gql.code(ops.HISTORY, {"id": done["erasure"]["id"]}, c.auditor) == "FORBIDDEN"  # the province's

        # no API answer holds them: the read model, the raw log (history, eventLog, subscription), for every reader
        for tok in (c.committee, c.office, c.resident(subject), c.department, ADMIN):
            staff = await staff_of(gql, c, tok, erased_at)
            assert (staff[subject]["name"], staff[subject]["phone"]) == (None, None), tok
            if tok in (c.committee, c.office):
                assert (staff[kept]["name"], staff[kept]["phone"]) == (OTHER_NAME, OTHER_PHONE)
        for tok in (c.office, c.auditor, ADMIN):
            history = await gql.raw(ops.HISTORY, {"id": erased_staff["staff"]["id"]}, tok)
            log = await gql.raw(ops.EVENT_LOG, {"after": 0, "first": 1000, "types": ["StaffAppointed"]}, tok)
            for response in (history, log):
                assert clear_in(response.text, NAME, PHONE) == [], tok
        [appointed] = (await gql.call(ops.HISTORY, {"id": erased_staff["staff"]["id"]}, c.office))["history"]
        assert (appointed["data"]["name"], appointed["data"]["phone"], appointed["data"]["personId"]) == (
            None, None, subject)

        # no read model holds them (after the catch-up), and a rebuild gives the same tables
        await settled(conn)
        live = await snapshot(conn)
        text = json.dumps(live, ensure_ascii=False)
        assert clear_in(text, NAME, PHONE) == [] and clear_in(text, OTHER_NAME, OTHER_PHONE) != []
        erased_row = await conn.fetchrow("SELECT name, phone, personal_erased FROM work_staff WHERE person_id = $1",
                                         subject)
        assert tuple(erased_row) == (None, None, True)
        result = await asyncio.to_thread(server.cli, "projections", "rebuild")
        assert "rebuilt every read model" in result.stderr
        await settled(conn)
        assert await snapshot(conn) == live

        # the log still verifies: the hashes cover the ciphertext, which stays
        checked = (await gql.call(VERIFY, None, ADMIN))["verifyAuditChain"]
        through_erasure = await conn.fetchval("SELECT count(*) FROM gongzhi_events WHERE notification_id <= $1",
                                              erased_at)  # positions may skip numbers: events are counted
        assert checked["ok"] and checked["firstBadPosition"] is None and checked["eventsChecked"] >= through_erasure
        verified = await asyncio.to_thread(server.cli, "audit", "verify")
        assert verified.returncode == 0

        # exports: the archive (P9), the log's export and the audit bundle hold ciphertext, never the clear text
        archived = await asyncio.to_thread(server.cli, "archive", "export", "--community", c.code,
                                           "--out", str(tmp_path / "archive"))
        assert archived.returncode == 0
        bundle = tmp_path / "bundle"
        exported = await asyncio.to_thread(server.cli, "audit", "export", "--community", c.code, str(bundle))
        assert exported.returncode == 0
        files = [*(tmp_path / "archive").iterdir(), *bundle.rglob("*")]
        assert any(f.name.endswith(".jsonl") for f in files)
        for f in files:
            if f.is_file():
                assert clear_in(f.read_bytes(), NAME, PHONE) == [], f
        assert clear_in((await asyncio.to_thread(server.cli, "events", "export")).stdout, NAME, PHONE) == []
        assert (await asyncio.to_thread(server.cli, "audit", "verify-bundle", str(bundle))).returncode == 0
        archive = (tmp_path / "archive" / f"{c.code}.jsonl").read_text(encoding="utf-8")
        assert clear_in(archive, OTHER_NAME, OTHER_PHONE) != []  # the others' data are still the archive's
    finally:
        await conn.close()


async def test_a_subject_recorded_again_after_erasure_has_a_new_key(gql: Client, direct_url: str) -> None:
    """Data recorded after an erasure is sealed with a new key: readable until the subject is erased again."""
    c = await ops.community(gql)
    subject = f"again-{c.code}"
    first = await appoint(gql, c, subject, NAME, PHONE)
    erased = (await gql.call(ops.ERASE_SUBJECT, {"input": {"subjectId": subject, "legalBasis": BASIS}},
                             ADMIN))["eraseSubject"]
    second = await appoint(gql, c, subject, OTHER_NAME, OTHER_PHONE)
    staff = (await gql.call(ops.POSTS, {"c": c.code}, c.committee, after(second["receipt"]["position"])))["posts"]
    by_id = {s["id"]: s for p in staff for s in p["staff"]}
    assert (by_id[first["staff"]["id"]]["name"], by_id[second["staff"]["id"]]["name"]) == (None, OTHER_NAME)
    conn = await connect(direct_url)
    try:
        keys = await conn.fetch("SELECT key IS NULL AS gone, erased_position FROM gongzhi_subject_keys"
                                " WHERE subject_id = $1 ORDER BY made_at", subject)
        assert [k["gone"] for k in keys].count(False) == 1
        assert {k["erased_position"] for k in keys if k["gone"]} == {erased["receipt"]["position"]}
    finally:
        await conn.close()
    again = (await gql.call(ops.ERASE_SUBJECT, {"input": {"subjectId": subject, "legalBasis": BASIS}},
                            ADMIN))["eraseSubject"]
    assert again["erasure"]["id"] != erased["erasure"]["id"]
    staff = (await gql.call(ops.POSTS, {"c": c.code}, c.office, after(again["receipt"]["position"])))["posts"]
    assert [s["name"] for p in staff for s in p["staff"]] == [None, None]
