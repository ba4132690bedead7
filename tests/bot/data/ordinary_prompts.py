"""Makes tests/bot/data/ordinary_prompts.txt, the ordinary prompts the word filter's false-hit test
reads: `python -m tests.bot.data.ordinary_prompts /usr/share/dict/words > tests/bot/data/ordinary_prompts.txt`.

Each prompt is one of a few everyday prompt shapes (with the digits, single letters and hyphens
real prompts carry: 4k, 3D, 1920s, T-shirt, x-ray) filled with words drawn by a seeded random
generator from Debian's word list (wamerican 2020.12.07-2): lower-case words of 3 to 12 letters,
leaving out only those that contain one of FILTER_WORDS as written, which any spelling of a
filter refuses by design (`bloodmoon` under `blood`), so a refusal of one of these prompts is a
false hit of the folding.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

FILTER_WORDS = (
    "nude", "naked", "nsfw", "porn", "sex", "hentai", "gore", "blood", "kill", "corpse",
    "nazi", "swastika", "cocaine", "heroin", "dragon", "bomb", "suicide", "rape", "boobs", "dick",
)  # fmt: skip
SHAPES = (
    "a photo of a {0} next to a {1}",
    "an oil painting of a {0} and a {1}, 4k",
    "a watercolor {0} in the style of the 1920s",
    "a 3D render of a {0} on a {1}",
    "a T-shirt design with a {0}",
    "pixel art of a {0}, 8-bit, 16:9",
    "a {0} {1} at sunset, 35mm film",
    "an x-ray of a {0}",
    "a close-up of a {0} with a {1}",
    "a poster of a {0}, a {1} and a {2}",
    "an A-frame cabin beside a {0}",
    "a {0} and a {1} in a {2}, by night",
    "a sticker of a {0}, white background, 2 colors",
    "a children's book drawing of a {0} who loves {1}",
    "a U-shaped {0} made of {1}",
)
COUNT = 500
SEED = 29


def ordinary_prompts(words: list[str]) -> list[str]:
    """COUNT prompts from the word list, the same for the same list."""
    usable = sorted(
        {
            word
            for word in words
            if word.isascii() and word.isalpha() and word.islower() and 3 <= len(word) <= 12
            if not any(filtered in word for filtered in FILTER_WORDS)
        }
    )
    chooser = random.Random(SEED)
    return [chooser.choice(SHAPES).format(*chooser.sample(usable, 3)) for _ in range(COUNT)]


if __name__ == "__main__":
    source = Path(sys.argv[1])
    print(f"# {COUNT} prompts made by tests/bot/data/ordinary_prompts.py from {source} (wamerican 2020.12.07-2)")
    print("\n".join(ordinary_prompts(source.read_text().split())))
