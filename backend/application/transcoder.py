"""The event store's transcoder: eventsourcing's JSON format, encoded and decoded by orjson.

Stored states are exactly what the library's `JSONTranscoder` writes and reads (custom types
as `{"_type_": ..., "_data_": ...}`), so old and new rows read the same; only the work is
faster: parsing is most of what reading the log costs (a rebuild, the live feed, the runner),
and encoding a tenth of what a command costs. Input orjson refuses (NaN, integers beyond 64 bits)
goes through the library's own decoder.

A state is encoded by orjson only when it holds nothing that orjson would write otherwise than
the library: plain JSON values (str, int, bool, None, finite floats, lists, tuples, dicts with str
keys) and the custom types the library writes through its transcodings whatever writes the rest
(datetimes, dates, Decimals). Anything else (a UUID, which orjson writes as a bare string; a str or
int subclass such as an enum; NaN, which orjson writes as null) takes the library's encoder.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder

#: orjson reads an integer below -2**63 or above 2**64 - 1 as a float instead of refusing it: a state in which it
#: found a float that large is read again by the library's decoder.
BEYOND_64_BITS = float(2**63)
#: Written by the library's transcodings (through orjson's `default`), not by orjson itself.
TRANSCODED = (datetime, date, Decimal)


def orjson_writes_as_library(value: Any) -> bool:
    """Whether orjson writes `value` as the library's encoder would (see the module's docstring)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        return all(type(key) is str and orjson_writes_as_library(item) for key, item in value.items())
    if kind is list or kind is tuple:
        return all(orjson_writes_as_library(item) for item in value)
    if kind is float:
        return math.isfinite(value)
    return kind in TRANSCODED


class BeyondOrjson(Exception):
    """A state orjson may have misread (see BEYOND_64_BITS)."""


class OrjsonTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        if orjson_writes_as_library(obj):
            try:
                return orjson.dumps(obj, default=self._encode_obj, option=orjson.OPT_PASSTHROUGH_DATETIME)
            except TypeError:  # an integer beyond 64 bits, a lone surrogate: the library says what it makes of it
                pass
        return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        try:
            return self._revive(orjson.loads(data))
        except (orjson.JSONDecodeError, BeyondOrjson):
            return super().decode(data)

    def _revive(self, value: Any) -> Any:
        """What the library's object hook does, innermost objects first; BeyondOrjson where orjson may have read
        an integer beyond 64 bits as a float (any float of that size: a float literal as big goes the slow way
        too, and reads the same)."""
        kind = type(value)
        if kind is dict:
            for key, item in value.items():
                if type(item) is dict or type(item) is list:
                    value[key] = self._revive(item)
                elif type(item) is float and not -BEYOND_64_BITS < item < BEYOND_64_BITS:
                    raise BeyondOrjson
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                transcoding = self.names.get(value["_type_"])
                return transcoding.decode(value["_data_"]) if transcoding else self._decode_obj(value)
            return value
        if kind is list:
            for i, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    value[i] = self._revive(item)
                elif type(item) is float and not -BEYOND_64_BITS < item < BEYOND_64_BITS:
                    raise BeyondOrjson
        elif kind is float and not -BEYOND_64_BITS < value < BEYOND_64_BITS:
            raise BeyondOrjson
        return value
