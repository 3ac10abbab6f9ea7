"""Request bodies the app cannot read are the client's mistake: a 4xx, never a traceback.

Python's json module recurses once per nesting level, so a body of 60,000 `[` raises
RecursionError, which is no ValueError: Flask's `get_json` would let it through as a 500. The
app's JSON provider turns it into the ValueError Flask answers with 400 Bad Request.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class MalformedJSON(ValueError):
    """The body nests deeper than the parser can follow."""


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise MalformedJSON("JSON nested too deeply") from None
