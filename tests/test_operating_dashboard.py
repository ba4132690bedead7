"""docs/operating.md's Grafana dashboard: valid JSON whose every query names metrics the bot serves."""

import json
import re
from pathlib import Path

from bot.metrics import Metrics

OPERATING = Path(__file__).resolve().parents[1] / "docs" / "operating.md"


def dashboard() -> dict:
    pattern = r"<summary>imagebot dashboard JSON</summary>\s*```json\n(.*?)\n```"
    [block] = re.findall(pattern, OPERATING.read_text(), re.S)
    return json.loads(block)


SERIES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def served_names() -> set[str]:
    """The series names of every metric the bot registers, observed yet or not."""
    metrics = Metrics(models=["gpt-image-2"])
    metrics.watch_jobs(queued=lambda: 0, running=lambda: 0)
    return {family.name + suffix for family in metrics.registry.collect() for suffix in SERIES[family.type]}


def test_every_panel_queries_metrics_the_bot_serves():
    panels = dashboard()["panels"]
    served = served_names()
    queries = [target["expr"] for panel in panels for target in panel["targets"]]
    assert len(queries) >= 8
    for query in queries:
        names = set(re.findall(r"\bimagebot_[a-z_]+", query))
        assert names and names <= served, (query, names - served)
    titles = " ".join(panel["title"] for panel in panels)
    for topic in ("Requests", "Jobs", "Latency", "Provider errors", "429", "Images", "cost"):
        assert topic in titles
