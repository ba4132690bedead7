"""What a benchmark reports: figures beside their baselines and targets, as a Markdown table, and
the burst plot, drawn with Pillow like the bot's own charts."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.charts import FONT_PATH

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass(frozen=True)
class Figure:
    """One measure: its value, the baseline measured in the same run, and the target it is held to.

    `ratio` is value / baseline. `met` is None where the issue sets no target."""

    measure: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: str = ""
    met: bool | None = None

    @staticmethod
    def _number(value: float) -> str:
        """Three significant figures, whole numbers from 1,000 up (never 1e+03)."""
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3g}"

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    def line(self) -> str:
        ratio = ""
        if self.ratio and self.baseline is not None:
            ratio = f" = {self.ratio:.2f}x {self.baseline_label} ({self._number(self.baseline)} {self.unit})"
        verdict = {True: "met", False: "NOT MET", None: ""}[self.met]
        target = f" [target {self.target}: {verdict}]" if self.target else ""
        return f"{self.measure}: {self._number(self.value)} {self.unit}{ratio}{target}"

    def row(self) -> str:
        baseline = "—"
        if self.baseline is not None:
            baseline = f"{self._number(self.baseline)} {self.unit} ({self.baseline_label})"
        ratio = f"{self.ratio:.2f}x" if self.ratio else "—"
        verdict = {True: "met", False: "**not met**", None: "—"}[self.met]
        cells = [self.measure, f"{self._number(self.value)} {self.unit}", baseline, ratio, self.target or "—", verdict]
        return "| " + " | ".join(cells) + " |"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def write_report(
    figures: list[Figure], bursts: list[tuple[int, float, float]], sections: list[str], *, command: str, date: str
) -> Path:
    """docs/performance.md with the table, the plot and the families' own `sections` (Markdown
    lines); returns its path."""
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    if bursts:
        draw_bursts(bursts, docs / "bursts.png")
    lines = [
        "# Performance",
        "",
        f"Measured with `{command}` on {date}, on the project's machine ({machine()}). Every figure",
        "stands beside a baseline measured in the same run; the ratio is figure / baseline.",
        "`make bench` regenerates this page; `make bench QUICK=1` is the short smoke run CI makes (it writes",
        "nothing).",
        "",
        "| measure | figure | baseline | ratio | target | |",
        "| --- | --- | --- | --- | --- | --- |",
        *[figure.row() for figure in figures],
        "",
    ]
    if bursts:
        lines += [
            "## Time to deliver a burst",
            "",
            "![time to deliver every result against burst size, beside the ideal](bursts.png)",
            "",
            "| burst | delivered in | ideal (n / max_running x time per image) | ratio |",
            "| --- | --- | --- | --- |",
            *[f"| {n} | {took:.1f} s | {ideal:.1f} s | {took / ideal:.2f}x |" for n, took, ideal in bursts],
            "",
        ]
    lines += sections
    path = docs / "performance.md"
    path.write_text("\n".join(lines) + (HOW.strip() + "\n"), encoding="utf-8")
    return path


HOW = """
## How each figure is measured

`bench/` holds one module per family; `python -m bench --help` lists them.

- **Bursts** (`bench/bursts.py`): the real bot process (`python -m bot`) against both stand-ins
  on loopback. The Discord stand-in takes 50 ms for every REST call; the Images stand-in takes
  0.5 s for every image; `jobs.max_running` is 4; members are spread over two guilds, one member
  per request. The burst is sent at once over the gateway; it is delivered when every reply
  carries its image. REST calls are every call the bot made during the burst, divided by the
  requests, in all and by kind (the stand-in's name of each route, from Discord's OpenAPI
  document); a deferral's answer names no message, as Discord's does not, and no request reads
  its reply back (`get_original_webhook_message`) to learn its id; the peak is the busiest
  second. Acknowledgement time runs from the gateway event to the interaction callback. RSS and
  CPU are read from the bot process (psutil). The CPU baseline
  does the bare work of each job in this process: parse the provider's JSON, decode the base64
  image, decode and re-encode it with Pillow, and upload it once as multipart to a local sink.
- **Replies** (`bench/replies.py`): the same process and stand-ins; 100 members, in one guild
  (its `jobs.per_guild` set to `max_running`), each post a message at once that mentions the bot
  and carries a 256x256 photo. A message is answered when the bot's message that replies to it
  holds the edited image. Every call on this path is made with the bot token (a status message,
  its edits, the result), so the busiest second is of all of them, in any one-second window. The
  first answers wait their turn in the status sender's 40-a-second budget, ahead of its edits.
- **Screening** (`bench/screening.py`): the same process and stand-ins, one edit at a time (a
  prompt and a 1024x1024 photo), 20 with `[moderation]` off and then 20 with it on, in the same
  run; the median time from the command to the delivered result. The moderation stand-in answers
  at once, so the difference is the bot's own work (a 768-pixel JPEG copy in a worker thread,
  base64, two requests at once) and one local round trip; the real endpoint's answer time comes
  on top.
- **Formats** (`bench/formats.py`): the same process and stand-ins, one /imagine at 3840x2160 at a
  time into a server that takes 10 MiB a file, 10 with `images.output_format = "png"` and then 10
  with the default `auto`; the images are noise (a 25 MB PNG, a picture's worst case). The
  measure is the bot process's own CPU per result (psutil): re-encoding the PNG until it fits,
  against posting the WebP at 90 the provider was asked for as it came.
- **GIF and SVG** (`bench/gif_svg.py`): the same process and stand-ins, one /imagine at
  1024x1024 on `gpt-image-2.6-flare` at a time, 10 as a PNG (the baseline), 10 as a GIF of 9
  frames and 10 as an SVG, in the same run. The measure is the bot process's own CPU per result
  (psutil): for the GIF, identifying it and posting it as made; for the SVG, cleaning it, drawing
  its PNG rendering and posting both.
- **Event-loop lag** (`bench/loop_lag.py`): 16 edits of 3840x2160 images prepared through the
  bot's bounded worker threads while a ticker measures how late the loop runs it; the baseline is
  the ticker on an idle loop.
- **Queries** (`bench/queries.py`): /quota's queries and the limit reservation (`Policy.admit`,
  rolled back after each run), and /usage summary for 30 days, on a usage table of 1,000,000
  rows over 100 guilds and 180 days, in SQLite and in PostgreSQL; the baseline is a bare
  `SELECT 1` round trip on the same connection.
- **Claims** (`bench/claims.py`): the shared queue's claim (`claim_next`, rolled back after each
  run, the first run's connection set-up not timed) with 100 jobs queued over 200 guilds, behind
  1,000,000 finished jobs on PostgreSQL; the baseline is the same claim behind 10,000, so the
  ratio says whether the claim grows with the job history.
- **Peak calls.** Discord does not count interaction callbacks (the acknowledgements) against a
  bot's global limit of 50 requests a second, and a burst sent "at once" puts all its
  acknowledgements in the same second; so the busiest second is given with them and without
  them, and the target is held against the second. Everything else counts, status edits and
  results included. Status edits only use what the bot's other calls leave of the 40-a-second
  budget (`discord.status_calls_per_second`), counted from every call on discord.py's session.
  Results are never held back; instead the status sender sets one call aside for every job in
  flight (running at the provider or delivering), so a result that comes at any moment has room.
  Each call is counted for 1.25 s from its start rather than 1 s: calls reach Discord after a
  pooled or new connection, with varying delay, and two batches 1.1 s apart in the bot were
  seen landing 0.9 s apart at the stand-in (52 calls in its busiest second before this margin).
- **Acknowledgement.** A burst arrives over one gateway connection, and discord.py reads every
  buffered event before the tasks that answer them run, so the acknowledgements of a burst land
  together (p50 close to p99). Sampling the bot process (py-spy) puts about 0.45 ms of each
  interaction in discord.py building the interaction from the gateway event and about 0.3 ms in
  sending the callback; nothing of ours runs before the callback but reading the options. The
  figure follows the machine's load: on a busy machine the same code measured 229 ms.
- **Images client** (`bench/client.py`): our client and the official `openai` SDK, one after the
  other in this process, against one local server in another process that answers every request
  with the same 1024x1024 PNG, as JSON and as a stream with two partial images. Both do the
  same work: the image's bytes in hand. CPU is this process's time; memory is tracemalloc's peak.
"""


def draw_bursts(bursts: list[tuple[int, float, float]], path: Path) -> None:
    width, height, left, bottom, top, right = 900, 480, 80, 60, 40, 30
    image = Image.new("RGB", (width, height), (43, 45, 49))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT_PATH), 16)
    most_n = max(n for n, _, _ in bursts)
    most_s = max(max(took, ideal) for _, took, ideal in bursts) * 1.1

    def point(n: float, seconds: float) -> tuple[float, float]:
        x = left + (width - left - right) * n / most_n
        y = height - bottom - (height - bottom - top) * seconds / most_s
        return x, y

    for step in range(6):
        seconds = most_s * step / 5
        _, y = point(0, seconds)
        draw.line([(left, y), (width - right, y)], fill=(63, 65, 71))
        draw.text((left - 10, y), f"{seconds:.0f} s", fill=(148, 155, 164), font=font, anchor="rm")
    for n, _, _ in bursts:
        x, _ = point(n, 0)
        draw.text((x, height - bottom + 12), str(n), fill=(148, 155, 164), font=font, anchor="mt")
    draw.line([point(0, 0), *(point(n, ideal) for n, _, ideal in bursts)], fill=(148, 155, 164), width=2)
    draw.line([point(0, 0), *(point(n, took) for n, took, _ in bursts)], fill=(87, 242, 135), width=3)
    for n, took, _ in bursts:
        x, y = point(n, took)
        draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=(87, 242, 135))
    draw.text(
        (left, 12),
        "time to deliver every result (green) and the ideal (grey), by burst size",
        fill=(219, 222, 225),
        font=font,
    )
    image.save(path)
