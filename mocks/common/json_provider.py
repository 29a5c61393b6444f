"""The mocks' JSON answers written by orjson: the same JSON as Flask's own provider (compact, keys
in insertion order, dates as HTTP dates, dataclasses, UUIDs and Decimals as Flask writes them),
in a fraction of the time. Text that is not ASCII goes out as UTF-8 rather than as ``\\u`` escapes,
which any JSON reader takes as the same string. Whatever orjson refuses (an integer over 64 bits,
say) is written by Flask's provider, so an answer never depends on which one wrote it.

Reading stays Flask's (the standard library's): its errors and limits (nesting depth, big
integers, NaN) are what the mocks' refusals promise (api.py).
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class OrjsonProvider(DefaultJSONProvider):
    sort_keys = False

    def _bytes(self, obj: Any, **kwargs: Any) -> bytes | None:
        if kwargs or self.sort_keys or self.compact is False or (self.compact is None and self._app.debug):
            return None  # a caller's own json.dumps options, or indented answers: Flask's provider
        try:
            return orjson.dumps(obj, default=DefaultJSONProvider.default, option=_OPTIONS)
        except (TypeError, orjson.JSONEncodeError):
            return None

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        data = self._bytes(obj, **kwargs)
        return data.decode() if data is not None else super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        data = self._bytes(obj)
        if data is None:
            return super().response(obj)
        return self._app.response_class(data + b"\n", mimetype=self.mimetype)
