"""A guild's word filters: plain text, where `*` stands for any run of characters within a word.

No regular expressions are built from what moderators type, so no pattern can make matching
slow: a pattern is cut at its `*`s into literal pieces, found in order with `str.find`, and a gap
between two pieces may not hold a space.

Text and patterns are folded alike before they are compared (`normalize`, `pattern_key`), so a
spelling that reads the same as a filter is that filter. The folding, in order:

1. Letters: each character is decomposed (NFKD) and case folded; every Default_Ignorable_Code_Point
   (zero-width and bidirectional controls, variation selectors, tag characters, Hangul fillers,
   the combining grapheme joiner...) and every nonspacing or enclosing combining mark is dropped;
   a character outside ASCII is replaced by its UTS #39 confusable skeleton (ICU's data), and a
   Latin small capital by its letter. So `dra\u200bgon`, `d\u0301ragon`, a full-width `DRAGON`,
   a Cyrillic `\u0430` and `ᴅʀᴀɢᴏɴ` are all `dragon`. ASCII keeps its letters: the skeleton also
   counts `m` as `rn` and `l`, `I`, `1` as one letter, which would read `pomegranate` as `porn`.
2. Words: the text is cut into words at whitespace. In a word that has a letter, digits and `@`
   `$` are read as the letters they stand for (`dr4g0n`, `a$$`). Punctuation and other symbols
   (all but letters, digits and pictographs such as emoji) are dropped wherever they stand, so
   `dra_gon`, `d.r.a.g.o.n` and `d-r-a-g-o-n` are `dragon`, and a word of punctuation alone goes.
3. Single letters: two or more words of one letter or digit each, one after another, are joined
   into one word (`d r a g o n`, `d - r - a - g - o - n`, `d r 4 g 0 n`).

Only runs of single letters are joined, never words of two letters or more, so real words that
spell a filter only across a space stay apart: "take a drag on the pipe" is `take a drag on the
pipe` and no `dragon` (its lone `a` is a run of one). The price is that `d ragon` and `dra gon`
pass, as `dra gon` did before. tests/bot/test_wordfilter.py measures false hits on 500 ordinary
prompts (tests/bot/data/) against typical filter words.

A stored pattern is its key, folded this way; migration 0015 re-keyed the keys stored by the
earlier folding (NFKC and case folding only).
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Iterable

from icu import SpoofChecker, UnicodeSet  # pyright: ignore[reportAttributeAccessIssue]  from PyICU's C extension

MAX_PATTERN_CHARS = 100
WILDCARD = "*"
# Characters a reader does not see on their own: every Default_Ignorable_Code_Point, and the
# combining marks that only sit on another character (nonspacing and enclosing).
_UNSEEN = dict.fromkeys(
    code
    for first, last in UnicodeSet("[[:Default_Ignorable_Code_Point:][:Mn:][:Me:]]").ranges()
    for code in range(ord(first), ord(last) + 1)
)
_SKELETON = SpoofChecker()
_SMALL_CAPITAL = re.compile(r"LATIN LETTER SMALL CAPITAL ([A-Z])")
# What a digit, `@` or `$` stands for inside a word that has letters.
_LEET = str.maketrans("0123456789@$", "oizeasgtbgas")
_PICTOGRAPH = "So"  # Unicode's "other symbol": emoji and pictographs, which a filter may name


@functools.lru_cache(maxsize=4096)
def _fold_character(character: str) -> str:
    """One character as compared (step 1 of the module's docstring): the same for text and patterns."""
    if character.isascii():
        return character.lower()
    folded = character
    for _ in range(4):  # a skeleton's letters may decompose or have a skeleton of their own
        before = folded
        folded = unicodedata.normalize("NFKD", folded).translate(_UNSEEN).casefold()
        folded = "".join(_look_alike(piece) for piece in folded)
        if folded == before:
            break
    return folded


def _look_alike(character: str) -> str:
    """The Latin letter a non-ASCII letter is a look-alike of, or the character's UTS #39 skeleton."""
    if character.isascii():
        return character
    small_capital = _SMALL_CAPITAL.fullmatch(unicodedata.name(character, ""))
    if small_capital:
        return small_capital.group(1).lower()
    return unicodedata.normalize("NFKD", _SKELETON.getSkeleton(0, character)).translate(_UNSEEN).casefold()


def _is_kept(character: str, wildcard: bool) -> bool:
    """Whether a character stays in a word: letters, digits, pictographs, and a pattern's `*`."""
    return character.isalnum() or (wildcard and character == WILDCARD) or unicodedata.category(character) == _PICTOGRAPH


def _fold_word(word: str, wildcard: bool) -> str:
    """A word as compared (step 2): digits read as letters where it has letters, punctuation gone."""
    if any(character.isalpha() for character in word):
        word = word.translate(_LEET)
    return "".join(character for character in word if _is_kept(character, wildcard))


def _join_single_letters(words: list[str]) -> list[str]:
    """Step 3: each run of two or more words of one letter or digit becomes one word."""
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalnum():
            run.append(word)
            continue
        if len(run) > 1:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if word:
            joined.append(word)
    return joined


def _fold(text: str, wildcard: bool) -> str:
    letters = "".join(_fold_character(character) for character in text)
    words = [folded for word in letters.split() if (folded := _fold_word(word, wildcard))]
    return " ".join(_fold_word(word, wildcard) for word in _join_single_letters(words))


def normalize(text: str) -> str:
    """What a filter compares: `text` folded as the module's docstring says, words apart by one space."""
    return _fold(text, wildcard=False)


def pattern_key(pattern: str) -> str:
    """A pattern as stored and compared: folded like text with its `*`s kept, `*` runs as one."""
    key = _fold(pattern, wildcard=True)
    while WILDCARD * 2 in key:
        key = key.replace(WILDCARD * 2, WILDCARD)
    return key


def looks_as_typed(pattern: str, key: str) -> bool:
    """Whether `key` is `pattern` as a moderator typed it, but for case, width and spacing; when it
    is not, the moderator is told what the filter is kept as."""
    return key == " ".join(unicodedata.normalize("NFKC", pattern).casefold().split())


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
