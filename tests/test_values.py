"""The value types every command's input goes through (issue 7, items 1 and 3): each edge, without I/O."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from backend.domain import values
from backend.domain.access import Actor, Role
from backend.domain.activity import Activity
from backend.domain.community import Community
from backend.domain.errors import InvalidInput
from backend.domain.evaluation import EvaluationBallot, EvaluationCampaign
from backend.domain.stamp import Stamp

CODE = "320102001001"
OFFICE = Stamp(Actor("o", Role.STREET_OFFICE, "320102001"), "r")
COMMITTEE = Stamp(Actor("c", Role.COMMITTEE, CODE), "r")
SOON = datetime.now(UTC) + timedelta(days=1)


def refused(field: str, check, *args, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check(*args, **kwargs)
    assert caught.value.code == "INVALID_INPUT" and caught.value.extensions["field"] == field, caught.value.extensions
    return caught.value


# -- texts ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("poison", [
    "居民\x00会议", "\x00", "a\x07b", "a\x1bb", "a\x7fb", "a\x85b",  # NUL and other controls (Cc)
    "a\nb", "a\tb", "a\rb",  # no line breaks or tabs in a one-line text
    "abc\u202egnp.exe", "\u202aa", "\u202da", "\u2066a\u2069", "\u2067a", "\u2068a",  # bidi controls
    "a\u200bb", "a\ufeffb", "a\u2060b", "a\u00adb", "a\U000e0041b",  # invisible format characters (Cf)
    "a\ud800b", "a\udfffb",  # noqa: PT014 - lone surrogates (two different ones; ruff reads both as U+FFFD)
    "a\ufdd0b", "a\uffffb", "a\U0010fffeb",  # noncharacters
    "a\u2028b", "a\u2029b",  # line and paragraph separators
])
def test_text_refuses_control_bidi_invisible_and_broken_characters(poison: str) -> None:
    error = refused("title", values.text, poison, "title")
    assert "must not hold" in error.message


@pytest.mark.parametrize("blank", ["", "   ", "\u3000", "\u200b", " \u200c\u200d ", "\ufeff", "\u2060\u00a0",
                                   "\u3164", "\u2800"])
def test_text_refuses_blank_and_zero_width_only(blank: str) -> None:
    refused("name", values.text, blank, "name")


def test_text_refuses_what_is_not_a_string() -> None:
    for value in (None, 1, b"abc", ["a"]):
        refused("name", values.text, value, "name")


def test_text_is_nfc_normalized_and_trimmed() -> None:
    assert values.text(" Cafe\u0301 ", "name") == "Caf\u00e9"
    assert values.text("\u212b", "name") == "\u00c5"  # the angstrom sign is the letter Å
    assert values.text("\u3000长江路社区 ", "name") == "长江路社区"


def test_text_keeps_emoji_joiners_and_newlines_where_long() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert values.text(f"家庭 {family}", "title") == f"家庭 {family}"
    assert values.text("第一行\n\t第二行\r\n第三行", "reason", 2000, multiline=True) == "第一行\n\t第二行\n第三行"
    refused("reason", values.text, "a\x00b", "reason", 2000, multiline=True)
    refused("reason", values.text, "a\rb", "reason", 2000, multiline=True)
    refused("reason", values.text, "a\u202eb", "reason", 2000, multiline=True)
    refused("reason", values.text, "\n\t \u200b", "reason", 2000, multiline=True)


def test_text_is_bounded_after_normalizing() -> None:
    assert values.text("字" * 200, "name", 200) == "字" * 200
    refused("name", values.text, "字" * 201, "name", 200)
    refused("name", values.text, "a" * 10_000_000, "name", 200)
    assert values.optional_text(None, "comment") is None and values.optional_text("", "comment") is None


# -- identifiers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("good", ["v1", "SG-01", "street-office", "committee-320102001001", "resident-001",
                                  "street_office-1a2b3c4d", "a.b:c@d", "x" * 64, str(UUID(int=7))])
def test_identifier_takes_ascii_letters_digits_and_separators(good: str) -> None:
    assert values.identifier(good, "organizerId") == good


@pytest.mark.parametrize("bad", ["", "x" * 65, "v\x001", "v1\n", " v1", "v 1", "志愿者", "ｖ1", "v١", "a/b", "a\u200bb",
                                 None, 7])
def test_identifier_refuses_anything_else(bad: object) -> None:
    refused("organizerId", values.identifier, bad, "organizerId")


# -- division codes and scopes (issue 7, item 3) ------------------------------------------------
@pytest.mark.parametrize("look_alike", ["320102001001\n", "320102001００１", "320102001٠٠٢", "３２０１０２００１００１",
                                        "320102001001 ", " 320102001001", "32010200100", "3201020010011", "",
                                        "32010200100a", "320102001\u00b9\u00b2\u00b3"])
def test_division_code_is_twelve_ascii_digits_matched_whole(look_alike: str) -> None:
    refused("code", values.division_code, look_alike)
    assert not values.is_division_code(look_alike)


@pytest.mark.parametrize("look_alike", ["320102\n", "320102００１", "320102٠٠٢", "3201020010011", "32 01", "x"])
def test_scope_prefix_is_ascii_digits_matched_whole(look_alike: str) -> None:
    refused("scope", values.scope_prefix, look_alike)


def test_codes_and_scopes_that_are_right() -> None:
    assert values.division_code(CODE) == CODE and values.is_division_code(CODE)
    assert [values.scope_prefix(s) for s in ("", "32", "320102", CODE)] == ["", "32", "320102", CODE]


def test_a_look_alike_code_is_no_community() -> None:
    refused("code", Community.register, "320102001００１", "长江路社区", "URBAN", OFFICE)


# -- moments ---------------------------------------------------------------------------------
@pytest.mark.parametrize("poison", [
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T23:59:59+00:00", "2201-01-01T00:00:00+00:00",
    "1900-01-01T00:30:00+01:00",  # in range as given, before 1900 in UTC
    "2200-12-31T23:30:00-01:00",  # in range as given, after 2200 in UTC
])
def test_moment_is_within_1900_and_2200_as_given_and_in_utc(poison: str) -> None:
    refused("dueAt", values.moment, datetime.fromisoformat(poison), "dueAt")


def test_moment_needs_an_offset_and_a_datetime() -> None:
    refused("heldAt", values.moment, datetime(2026, 1, 1), "heldAt")
    refused("heldAt", values.moment, "2026-01-01T00:00:00+08:00", "heldAt")
    refused("heldAt", values.moment, None, "heldAt")


def test_moment_edges_that_are_right() -> None:
    for good in ("1900-01-01T00:00:00+00:00", "2200-12-31T23:59:59.999999+00:00", "2026-11-25T09:30:00+08:00"):
        moment = datetime.fromisoformat(good)
        assert values.moment(moment, "closesAt") is moment
    assert values.aware is values.moment  # entityAsOf's asOf gets the range check too
    assert values.optional_moment(None, "dueAt") is None


# -- money, counts, hours, lists, enums ---------------------------------------------------------
@pytest.mark.parametrize("amount", ["999999999999999.99", "10000000000.01", "1e3", "1_000", "١٢", "１２", "+5", "0.00",
                                    "-0.01", "NaN", "Infinity", "", "1.234", "12\n", None, 12])
def test_yuan_refuses_what_is_not_a_bounded_positive_amount_in_fen(amount: object) -> None:
    refused("fundingYuan", values.yuan, amount)


def test_yuan_edges_that_are_right() -> None:
    assert values.yuan("10000000000.00") == str(values.MAX_YUAN)
    assert values.yuan("0.01") == "0.01" and values.yuan(".5") == "0.50" and values.yuan("7.") == "7.00"


def test_counts_hours_and_versions_are_bounded() -> None:
    assert values.count(values.MAX_PARTICIPANTS, "participants", values.MAX_PARTICIPANTS) == values.MAX_PARTICIPANTS
    for bad in (-1, values.MAX_PARTICIPANTS + 1, True, 1.0, "3", None):
        refused("participants", values.count, bad, "participants", values.MAX_PARTICIPANTS)
    assert values.hours(0, "hours") == 0.0 and values.hours(744, "hours") == 744.0
    for bad in (-0.5, 744.01, float("nan"), float("inf"), 1e308, True, "2"):
        refused("hours", values.hours, bad, "hours")
    assert values.version(None) is None and values.version(3) == 3
    refused("expectedVersion", values.version, -1)
    refused("expectedVersion", values.version, 2**31)


def test_lists_are_bounded() -> None:
    items = [{"code": f"I-{n}", "title": "t", "list": "SELF_GOVERNANCE"} for n in range(values.MAX_DUTY_ITEMS + 1)]
    refused("items", Community.register(CODE, "长江路社区", "URBAN", OFFICE).publish_duty_list, items, OFFICE)
    targets = [{"id": f"t{n}", "name": "n", "kind": "RESIDENT_UNIT"} for n in range(values.MAX_CAMPAIGN_TARGETS + 1)]
    refused("targets", EvaluationCampaign.open, CODE, "评议", targets, SOON, COMMITTEE)
    refused("targets", EvaluationCampaign.open, CODE, "评议", [], SOON, COMMITTEE)
    entries = [{"volunteer_id": f"v{n}", "hours": 1} for n in range(values.MAX_VOLUNTEER_ENTRIES + 1)]
    refused("volunteerHours", Activity.record, CODE, "活动", None, SOON, 1, entries, COMMITTEE)
    refused("items", values.items, "not a list", "items", 3)
    refused("items", values.items, ["not a record"], "items", 3)


def test_enum_valued_strings_are_invalid_input_not_value_errors() -> None:
    refused("kind", Community.register, CODE, "长江路社区", "SUBURBAN", OFFICE)
    community = Community.register(CODE, "长江路社区", "URBAN", OFFICE)
    refused("list", community.publish_duty_list, [{"code": "A", "title": "t", "list": "OTHER"}], OFFICE)
    refused("kind", EvaluationCampaign.open, CODE, "评议", [{"id": "t", "name": "n", "kind": "X"}], SOON, COMMITTEE)
    campaign = EvaluationCampaign.open(CODE, "评议", [{"id": "t", "name": "n", "kind": "RESIDENT_UNIT"}], SOON, COMMITTEE)
    resident = Stamp(Actor("r1", Role.RESIDENT, CODE), "r")
    refused("satisfaction", EvaluationBallot.cast, campaign, "t", "HAPPY", None, SOON - timedelta(days=1), resident)


def test_uuids_are_ascii_hex() -> None:
    known = UUID(int=42)
    assert values.uuid(str(known), "id") == known and values.uuid(known.hex, "id") == known
    for bad in ("", "x", str(known) + "\n", str(known).replace("2", "２"), "{" + str(known) + "}", None):
        refused("id", values.uuid, bad, "id")


def test_the_aggregates_check_their_inputs_too() -> None:
    """The domain never trusts its caller: the same checks hold when a command is bypassed."""
    refused("title", Activity.record, CODE, "活动\x00", None, SOON, 1, [], COMMITTEE)
    refused("organizerId", Activity.record, CODE, "活动", "o\x00", SOON, 1, [], COMMITTEE)
    refused("heldAt", Activity.record, CODE, "活动", None, datetime.fromisoformat("9999-12-31T23:59:59-14:00"), 1, [],
            COMMITTEE)
    refused("name", EvaluationCampaign.open, CODE, "评议", [{"id": "t", "name": "\x00", "kind": "RESIDENT_UNIT"}],
            SOON, COMMITTEE)
    community = Community.register(CODE, "长江路社区", "URBAN", OFFICE)
    refused("title", community.publish_duty_list, [{"code": "A", "title": "t\x00", "list": "SELF_GOVERNANCE"}], OFFICE)
