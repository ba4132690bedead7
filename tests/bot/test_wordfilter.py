"""Word filters: plain text with `*` within a word, compared after NFKC, case folding and with
invisible characters gone; checked against a regular expression written for the test."""

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.wordfilter import first_match, matches, normalize, pattern_key


def test_spellings_that_look_the_same_match():
    for text in (
        "Dragon",
        "DRAGON",
        "dra\u200bgon",
        "d\u202eragon",
        "\uff24\uff32\uff21\uff27\uff2f\uff2e",
        "dra\u00adgon",
    ):
        assert normalize(text) == "dragon", text
    assert first_match([pattern_key("DRAGON")], "a \ufb01ne dra\u2060gon") == "dragon"
    assert normalize("  a\u00a0 \tb ") == "a b"


def test_a_star_is_any_run_of_letters_within_one_word():
    key = pattern_key("dra*on")
    assert [matches(key, normalize(text)) for text in ("dragon", "draon", "dra-g-on", "dra gon", "dr aon")] == [
        True, True, True, False, False,
    ]  # fmt: skip
    assert matches(pattern_key("*gon"), "dragon") and matches(pattern_key("dra*"), "a drake")
    assert matches(pattern_key("red dra*on"), "a red dragoon") and not matches(pattern_key("red dra*on"), "red dr agon")
    assert matches(pattern_key("a b*c"), "a bx a bc")  # the second start is the one
    assert pattern_key("a**b") == "a*b" and not matches(pattern_key("**"), "anything")


def test_a_long_prompt_against_many_patterns_gives_the_right_answer():
    word = "a" * 20_000
    assert first_match([pattern_key(f"a*b{index}") for index in range(100)], f"{word} b7") is None
    assert first_match([pattern_key("a*a*a*b")], word + "b") == "a*a*a*b"


def _reference(key: str, text: str) -> bool:
    pieces = [re.escape(piece) for piece in key.strip("*").split("*")]
    return bool(pieces[0]) and re.search("[^ ]*".join(pieces), text) is not None


@given(
    st.text(alphabet="ab *", min_size=1, max_size=6),
    st.text(alphabet="ab ", max_size=24),
)
def test_matching_agrees_with_a_regular_expression(pattern, text):
    key, normalized = pattern_key(pattern), normalize(text)
    assert matches(key, normalized) == _reference(key, normalized)
