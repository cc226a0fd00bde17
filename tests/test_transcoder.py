"""The event store's transcoder (backend/application/transcoder.py) writes what eventsourcing's JSONTranscoder
writes, byte for byte where a state holds no floats (orjson and Python write some floats differently, e.g. 1e16
and 1e+16) and decoding to the same values always, including the types orjson would write otherwise (UUIDs,
enums, NaN), which take the library's encoder."""
from __future__ import annotations

import enum
import math
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.application.transcoder import OrjsonTranscoder, orjson_writes_as_library


class Colour(str, enum.Enum):
    RED = "RED"


def transcoders() -> tuple[JSONTranscoder, JSONTranscoder]:
    ours, library = OrjsonTranscoder(), JSONTranscoder()
    for t in (ours, library):
        for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
            t.register(transcoding)
    return ours, library


OURS, LIBRARY = transcoders()
leaves = (st.text() | st.integers(min_value=-(2**70), max_value=2**70) | st.booleans() | st.none()
          | st.datetimes(timezones=st.just(UTC)) | st.datetimes() | st.decimals(allow_nan=False)
          | st.uuids() | st.just(Colour.RED))
states = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                           max_size=4), max_leaves=20)


def same_values(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


@settings(max_examples=300, deadline=None)
@given(states)
def test_states_encode_as_the_library_encodes_them(state: Any) -> None:
    ours = OURS.encode(state)
    assert ours == LIBRARY.encode(state)
    assert OURS.decode(ours) == LIBRARY.decode(ours)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.floats() | st.lists(st.floats(), max_size=3), max_size=4))
def test_floats_decode_to_the_same_values(state: dict[str, Any]) -> None:
    decoded, expected = LIBRARY.decode(OURS.encode(state)), LIBRARY.decode(LIBRARY.encode(state))
    assert decoded.keys() == expected.keys()
    for key in state:
        got, want = decoded[key], expected[key]
        if isinstance(want, list):
            assert len(got) == len(want) and all(same_values(g, w) for g, w in zip(got, want, strict=True))
        else:
            assert same_values(got, want)


def test_what_orjson_would_write_otherwise_takes_the_librarys_encoder() -> None:
    for value in (uuid.uuid4(), Colour.RED, math.nan, math.inf, {1: "a"}):
        assert not orjson_writes_as_library({"x": [value]})
        assert OURS.encode({"x": [value]}) == LIBRARY.encode({"x": [value]})
    beyond_64_bits = {"x": 2**70}  # orjson refuses it: the library writes it
    assert OURS.encode(beyond_64_bits) == LIBRARY.encode(beyond_64_bits) == b'{"x":1180591620717411303424}'
    unregistered = {"on": date(2026, 12, 3)}  # no transcoding registered: refused as the library refuses it
    with pytest.raises(TranscodingNotRegisteredError):
        LIBRARY.encode(unregistered)
    with pytest.raises(TranscodingNotRegisteredError):
        OURS.encode(unregistered)
    state = {"at": datetime(2026, 12, 3, tzinfo=UTC), "amount": Decimal("1.50"), "id": uuid.UUID(int=7)}
    assert OURS.decode(OURS.encode(state)) == state


def test_integers_beyond_64_bits_are_read_as_integers() -> None:
    """orjson reads -2**63 - 1 and 2**64 as floats: such a state is read by the library's decoder."""
    for value in (-(2**63) - 1, 2**64, 10**30):
        data = LIBRARY.encode({"n": value, "id": "110101199001011234"})
        assert OURS.decode(data) == {"n": value, "id": "110101199001011234"}
        assert type(OURS.decode(data)["n"]) is int
