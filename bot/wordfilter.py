"""A guild's word filters: plain text, where `*` stands for any run of characters within a word.

No regular expressions are built from what moderators type, so no pattern can make matching
slow: a pattern is cut at its `*`s into literal pieces, found in order with `str.find`, and a gap
between two pieces may not hold a space. Text and patterns are compared after NFKC
normalization and case folding, with zero-width and bidirectional control characters removed,
so `dra\u200bgon`, a full-width `DRAGON` and `Dragon` are all `dragon`.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterable

MAX_PATTERN_CHARS = 100
# Characters that change nothing a reader sees: zero-width spaces and joiners, the word joiner,
# the BOM, the soft hyphen, and the bidirectional marks, embeddings, overrides and isolates.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff",
    )
)


def normalize(text: str) -> str:
    """What a filter compares: NFKC, case folded, invisible characters gone, runs of space as one."""
    folded = unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).casefold().translate(_INVISIBLE)
    return " ".join(folded.split())


def pattern_key(pattern: str) -> str:
    """A pattern as stored and compared: normalized, `*` runs as one, no leading or trailing space."""
    key = normalize(pattern)
    while "**" in key:
        key = key.replace("**", "*")
    return key


class _Text:
    """Normalized text and where its spaces are (normalized text has no other whitespace)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spaces = [index for index, character in enumerate(text) if character == " "]

    def space_from(self, start: int) -> int:
        """The first space at or after `start`, or the text's length."""
        index = bisect.bisect_left(self.spaces, start)
        return self.spaces[index] if index < len(self.spaces) else len(self.text)


def _matches(pieces: list[str], text: _Text) -> bool:
    """Whether the pieces occur in order with no space in a gap. From a given start the earliest
    next piece is always best, and a later start never finds a piece earlier, so: a piece missing
    after one start is missing after every later one, each piece's searches move only forward
    (remembered, so the text is scanned about once a piece), and, when the pieces hold no space, a
    start that fails on a gap rules out its whole word."""
    last = [(len(text.text) + 1, -1)] * len(pieces)  # each piece's last search: from where, found where

    def find(number: int, at: int) -> int:
        since, found = last[number]
        if since <= at and (found == -1 or at <= found):
            return found
        found = text.text.find(pieces[number], at)
        last[number] = (at, found)
        return found

    spaceless = not any(" " in piece for piece in pieces)
    start = find(0, 0)
    while start != -1:
        end = start + len(pieces[0])
        for number in range(1, len(pieces)):
            found = find(number, end)
            if found == -1:
                return False
            space = text.space_from(end)
            if space < found:
                break  # this gap would cross a space
            end = found + len(pieces[number])
        else:
            return True
        start = find(0, space + 1 if spaceless else start + 1)
    return False


def matches(pattern: str, text: str) -> bool:
    """Whether the pattern key (see `pattern_key`) occurs in the normalized `text`."""
    pieces = pattern.strip("*").split("*")  # a leading or trailing `*` adds nothing to "anywhere"
    if not pieces[0]:
        return False  # "*" alone would match everything: never stored
    return _matches(pieces, _Text(text))


def first_match(patterns: Iterable[str], text: str) -> str | None:
    """The first of `patterns` (keys) that `text` contains, or None."""
    normalized = _Text(normalize(text))
    for pattern in patterns:
        pieces = pattern.strip("*").split("*")
        if pieces[0] and _matches(pieces, normalized):
            return pattern
    return None
