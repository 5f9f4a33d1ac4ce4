"""The API's JSON parser: a body that is too deep or too large is a 400/413 in the error format.

DRF's JSONParser turns malformed JSON into a ParseError, but the standard library's decoder
raises RecursionError (not ValueError) on deeply nested input, which escaped as a 500. No body of
this API nests more than a few levels, so anything deeper than MAX_DEPTH is refused outright.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# An order with lines is three levels deep; leave room, refuse what no client sends.
MAX_DEPTH = 32


def nesting_depth(data: Any) -> int:
    """How deeply lists and objects nest in parsed JSON, counted without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def too_deep() -> ParseError:
    return ParseError(_("The JSON body nests more than %(max)d levels deep.") % {"max": MAX_DEPTH})


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep() from None
        if nesting_depth(data) > MAX_DEPTH:
            raise too_deep()
        return data
