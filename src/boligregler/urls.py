"""Which link targets a policy may give: http(s) addresses only (never `javascript:` or `data:`)."""

from __future__ import annotations

import re

_WEB_ADDRESS = re.compile(r"https?://[^\s/?#\x00-\x1f\x7f<>\"'`\\]+[^\s\x00-\x1f\x7f<>\"'`\\]*", re.IGNORECASE)


def is_web_address(url: str) -> bool:
    """Whether `url` is an http(s) address with a host and without spaces, quotes or control characters."""
    return _WEB_ADDRESS.fullmatch(url) is not None
