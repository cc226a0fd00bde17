"""The event store's transcoder: eventsourcing's JSON format, decoded by orjson.

Stored states are exactly what the library's `JSONTranscoder` writes and reads (custom types
as `{"_type_": ..., "_data_": ...}`), so old and new rows read the same; only the parsing is
faster, which is most of what reading the log costs (a rebuild, the live feed, the runner).
Input orjson refuses (NaN, integers beyond 64 bits) goes through the library's own decoder.
"""
from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder


class OrjsonTranscoder(JSONTranscoder):
    def decode(self, data: bytes) -> Any:
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().decode(data)
        return self._revive(parsed)

    def _revive(self, value: Any) -> Any:
        """What the library's object hook does, innermost objects first."""
        kind = type(value)
        if kind is dict:
            for key, item in value.items():
                if type(item) is dict or type(item) is list:
                    value[key] = self._revive(item)
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                transcoding = self.names.get(value["_type_"])
                return transcoding.decode(value["_data_"]) if transcoding else self._decode_obj(value)
            return value
        if kind is list:
            for i, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    value[i] = self._revive(item)
        return value
