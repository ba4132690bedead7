"""Make bot/fonts/NotoSansSC-imagebot.otf: Noto Sans CJK SC cut down to the characters the bot
can draw (printable ASCII, common punctuation, and every character of the zh-CN catalogue).

    python -m tools.chart_font /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

The source is Debian's fonts-noto-cjk (or Google's Noto CJK release); the face index of
Simplified Chinese in NotoSansCJK-Regular.ttc is 2. Noto is under the SIL Open Font License
1.1, which allows subsetting and shipping the result with its licence (bot/fonts/OFL.txt).
Run it again after adding translations; tests/bot/test_i18n.py checks the font covers them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from bot.i18n import LOCALES
from tools.catalogue import read_catalog

OUTPUT = Path(__file__).resolve().parents[1] / "bot" / "fonts" / "NotoSansSC-imagebot.otf"
SC_FACE = 2
EXTRA = "·–—…“”‘’：；，。！？（）【】、%$0123456789"


def characters() -> str:
    wanted = {chr(code) for code in range(0x20, 0x7F)} | set(EXTRA)
    for locale in LOCALES:
        for message in read_catalog(locale):
            wanted |= set(str(message.string or "")) | set(str(message.id or ""))
    return "".join(sorted(wanted))


def main(source: str) -> None:
    font = TTFont(source, fontNumber=SC_FACE)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters())
    subsetter.subset(font)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(OUTPUT)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main(sys.argv[1])
