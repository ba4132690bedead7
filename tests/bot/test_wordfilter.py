"""Word filters: plain text with `*` within a word, text and patterns folded alike (invisible
characters and marks gone, look-alike letters as their skeleton, punctuation read through, single
letters joined, digits as letters); matching checked against a regular expression written for the
test, and false hits measured on 500 ordinary prompts (tests/bot/data/ordinary_prompts.py)."""

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.wordfilter import first_match, matches, normalize, pattern_key
from tests.bot.data.ordinary_prompts import FILTER_WORDS
from tests.helpers import BYPASSES

PROMPTS = Path(__file__).parent / "data" / "ordinary_prompts.txt"


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
    assert normalize("  apple\u00a0 \tpie ") == "apple pie"


def test_every_bypass_the_review_found_is_refused():
    for kind, spellings in BYPASSES.items():
        for spelling in spellings:
            assert first_match([pattern_key("dragon")], f"a {spelling} in the sky") == "dragon", (kind, spelling)


def test_every_default_ignorable_character_and_combining_mark_is_dropped():
    for code in (0x00AD, 0x034F, 0x115F, 0x1160, 0x17B4, 0x180B, 0x180E, 0x200B, 0x2060, 0x2062, 0x2063, 0x2064):
        assert normalize(f"dra{chr(code)}gon") == "dragon", hex(code)
    for code in (0x3164, 0xFE00, 0xFE0F, 0xFEFF, 0xFFA0, 0x1BCA0, 0x1D173, 0xE0001, 0xE0061, 0xE0100, 0xE0FFF):
        assert normalize(f"dra{chr(code)}gon") == "dragon", hex(code)
    assert normalize("cafe\u0301 cre\u0300me") == normalize("café crème") == "cafe creme"


def test_look_alikes_and_styled_letters_are_their_latin_letters():
    assert normalize("\u0441\u0430t") == "cat"  # Cyrillic es and a
    assert normalize("\u1d04\u1d00\u1d1b \U0001d41c\U0001d41a\U0001d42d \u24d2\u24d0\u24e3") == "cat cat cat"
    assert normalize("\u0432\u043d\u0442") == "bht"  # Cyrillic ve, en and te look like small capitals
    assert normalize("pomegranate") == "pomegranate"  # ASCII letters stay: the skeleton's m is rn


def test_punctuation_inside_a_word_and_between_single_letters_is_read_through():
    assert normalize("a T-shirt, e.g. an x-ray!") == "a tshirt eg an xray"
    assert normalize("J. R. R. Tolkien") == "jrr tolkien"
    assert normalize("s - e - x") == normalize("s.e.x") == normalize("s3x") == "sex"
    assert normalize("a ... b") == "ab" and normalize("... ---") == ""


def test_digits_read_as_letters_only_in_words_that_have_letters():
    assert normalize("dr4g0n 1945 4k 3D 35mm $5 a$$") == "dragon 1945 ak ed esmm 5 ass"
    assert normalize("0123456789") == "0123456789"


def test_words_that_only_spell_a_filter_across_a_space_are_not_refused():
    filters = [pattern_key(word) for word in ("dragon", "porn", "scat", "kill", "grape")]
    for prompt in (
        "take a drag on the pipe",
        "a drag on a rope",
        "a dra gon",
        "d ragon",
        "a pomegranate",
        "the cats cat nap",
        "a skil l set",
        "gr ape",
        "a grand a pe",
    ):
        assert first_match(filters, prompt) is None, prompt


def test_no_ordinary_prompt_is_refused_by_typical_filters():
    prompts = [line for line in PROMPTS.read_text().splitlines() if not line.startswith("#")]
    keys = [pattern_key(word) for word in FILTER_WORDS]
    assert len(prompts) == 500
    assert [prompt for prompt in prompts if first_match(keys, prompt)] == []


def test_a_pattern_folds_like_text_and_keeps_its_stars():
    assert pattern_key("DR4*N") == "dra*n" and matches(pattern_key("DR4*N"), normalize("d r a g o n"))
    assert pattern_key("ᴅʀᴀɢᴏɴ") == pattern_key("d.r.a.g.o.n") == "dragon"
    assert pattern_key("d * n") == "d * n" and pattern_key("!!!") == ""


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


@given(st.text(max_size=40))
def test_folding_twice_changes_nothing(text):
    assert normalize(normalize(text)) == normalize(text)
    assert pattern_key(pattern_key(text)) == pattern_key(text)
