"""The usage chart: every day from first to last, and a PNG of the chart's size with one stacked
bar a day in each status's colour, scaled to a round ceiling, and a legend of only the statuses
shown."""

import io
from datetime import date

from PIL import Image

from bot.charts import (
    BACKGROUND,
    BOTTOM,
    HEIGHT,
    LEFT,
    RIGHT,
    STATUS_COLOURS,
    TOP,
    WIDTH,
    day_range,
    render_usage_chart,
)

PLOT = HEIGHT - TOP - BOTTOM


def test_a_day_range_holds_every_day_from_first_to_last():
    assert day_range(date(2026, 2, 27), date(2026, 3, 2)) == ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
    assert day_range(date(2026, 3, 2), date(2026, 3, 2)) == ["2026-03-02"]
    assert day_range(date(2026, 3, 2), date(2026, 3, 1)) == []


def chart(days: list[str], per_day: dict[str, dict[str, int]], **labels: str) -> Image.Image:
    image = Image.open(io.BytesIO(render_usage_chart(days, per_day, "Usage — 用量", labels)))
    assert (image.format, image.size) == ("PNG", (WIDTH, HEIGHT))
    return image.convert("RGB")


def bar_centre(index: int, count: int) -> int:
    return round(LEFT + (WIDTH - LEFT - RIGHT) / count * (index + 0.5))


def colours_up(image: Image.Image, x: int) -> list[tuple[int, int, int]]:
    """The colours of the column at `x`, from the plot's floor up, each run once."""
    runs: list[tuple[int, int, int]] = []
    for y in range(HEIGHT - BOTTOM - 2, TOP, -1):
        pixel = image.getpixel((x, y))
        if not runs or runs[-1] != pixel:
            runs.append(pixel)
    return runs


def test_a_days_bar_stacks_its_statuses_in_order():
    days = ["2026-03-01", "2026-03-02"]
    image = chart(days, {"2026-03-01": {"failed": 1, "ok": 3}})
    ok, failed = STATUS_COLOURS["ok"], STATUS_COLOURS["failed"]
    assert [colour for colour in colours_up(image, bar_centre(0, 2)) if colour in (ok, failed)] == [ok, failed]
    assert STATUS_COLOURS["ok"] not in colours_up(image, bar_centre(1, 2))  # a day without requests has no bar


def test_the_tallest_bar_reaches_a_round_ceiling():
    image = chart(["2026-03-01"], {"2026-03-01": {"ok": 4}})  # 4 is its own ceiling: the bar fills the plot
    assert image.getpixel((bar_centre(0, 1), TOP + 3)) == STATUS_COLOURS["ok"]
    image = chart(["2026-03-01"], {"2026-03-01": {"ok": 5}})  # a ceiling of 8: the bar stops short of the top
    x = bar_centre(0, 1)
    assert image.getpixel((x, TOP + 3)) != STATUS_COLOURS["ok"]
    assert image.getpixel((x, HEIGHT - BOTTOM - round(PLOT * 5 / 8) + 3)) == STATUS_COLOURS["ok"]


def test_the_legend_shows_only_the_statuses_charted():
    def legend_colours(image: Image.Image) -> set[tuple[int, int, int]]:
        return {image.getpixel((x, 26)) for x in range(WIDTH // 2, WIDTH)} & set(STATUS_COLOURS.values())

    shown = chart(["2026-03-01"], {"2026-03-01": {"ok": 1, "refused": 1}, "2026-02-01": {"failed": 1}}, ok="fine")
    assert legend_colours(shown) == {STATUS_COLOURS["ok"], STATUS_COLOURS["refused"]}
    empty = chart([], {})
    assert legend_colours(empty) == set() and empty.getpixel((WIDTH // 2, HEIGHT // 2)) in (BACKGROUND, (63, 65, 71))
