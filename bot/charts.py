"""The usage chart: requests per day, stacked by status, drawn for Discord's dark theme.

A pure function of its data, `-> bytes` (PNG), run in a worker thread.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 960, 420
BACKGROUND = (43, 45, 49)
TEXT = (219, 222, 225)
MUTED = (148, 155, 164)
GRID = (63, 65, 71)
STATUS_COLOURS = {
    "ok": (87, 242, 135),
    "partial": (254, 231, 92),
    "refused": (240, 178, 50),
    "limited": (88, 101, 242),
    "blocked": (88, 101, 242),
    "invalid": (128, 132, 142),
    "failed": (237, 66, 69),
    "pending": (181, 186, 193),
}
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 56, 48
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-imagebot.otf"


def day_range(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=offset)).isoformat() for offset in range((last - first).days + 1)]


def _nice_ceiling(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return value


def render_usage_chart(
    days: list[str], per_day: dict[str, dict[str, int]], title: str, labels: dict[str, str] | None = None
) -> bytes:
    """A PNG of WIDTH x HEIGHT: one stacked bar per day in `days`, a legend (status names shown
    as `labels` gives them), and the title, in a font that has Chinese as well as Latin."""
    labels = labels or {}
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT_PATH), 14)
    title_font = ImageFont.truetype(str(FONT_PATH), 18)
    draw.text((LEFT, 16), title, fill=TEXT, font=title_font)

    statuses = [status for status in STATUS_COLOURS if any(status in per_day.get(day, {}) for day in days)]
    legend_x = WIDTH - RIGHT
    for status in reversed(statuses):
        label = labels.get(status, status)
        legend_x -= draw.textlength(label, font=font) + 28
        draw.rectangle((legend_x, 20, legend_x + 12, 32), fill=STATUS_COLOURS[status])
        draw.text((legend_x + 16, 16), label, fill=MUTED, font=font)

    plot_height = HEIGHT - TOP - BOTTOM
    peak = max([sum(per_day.get(day, {}).values()) for day in days] + [1])
    ceiling = _nice_ceiling(peak)
    for tick in range(5):
        value = ceiling * tick // 4
        y = HEIGHT - BOTTOM - plot_height * tick / 4
        draw.line((LEFT, y, WIDTH - RIGHT, y), fill=GRID)
        draw.text((LEFT - 8, y), str(value), fill=MUTED, font=font, anchor="rm")

    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    bar = max(2.0, slot * 0.7)
    label_every = max(1, round(len(days) / 10))
    for index, day in enumerate(days):
        x = LEFT + slot * index + (slot - bar) / 2
        y = HEIGHT - BOTTOM
        for status in statuses:
            count = per_day.get(day, {}).get(status, 0)
            if count:
                height = plot_height * count / ceiling
                draw.rectangle((x, y - height, x + bar, y), fill=STATUS_COLOURS[status])
                y -= height
        if index % label_every == 0:
            draw.text((x + bar / 2, HEIGHT - BOTTOM + 8), day[5:], fill=MUTED, font=font, anchor="mt")

    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
