"""Benchmarks: `make bench` (or `python -m bench`), and `make bench QUICK=1` for a short smoke run.

Each family prints its figures beside the baseline it measured in the same run, and a whole
full run is written to docs/performance.md (with docs/bursts.png); `--quick` and `--only` runs
write nothing. See docs/performance.md for how each figure is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from datetime import UTC, datetime

from bench import bursts, claims, client, formats, gif_svg, loop_lag, queries, replies, screening
from bench.report import Figure, write_report
from tests.postgres_cluster import ServerNotInstalled, admin_server

FAMILIES = ("bursts", "replies", "screening", "formats", "gifsvg", "loop", "queries", "claims", "client")
ON_POSTGRESQL = {"queries", "claims"}  # on a throwaway cluster, unless IMAGEBOT_TEST_POSTGRES_URL names a server


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of about a minute")
    parser.add_argument("--only", nargs="+", choices=FAMILIES, help="run these families; write no report")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> tuple[list[Figure], list[tuple[int, float, float]], list[str]]:
    families = args.only or FAMILIES
    figures: list[Figure] = []
    plotted: list[tuple[int, float, float]] = []
    sections: list[str] = []

    def show(new: list[Figure]) -> None:
        figures.extend(new)
        for figure in new:
            print(figure.line(), flush=True)

    if "bursts" in families:
        sizes, per_image = ([20, 40], 0.1) if args.quick else ([100, 200, 500, 1000], 0.5)
        found, results = await bursts.run(sizes, per_image=per_image)
        show(found)
        plotted = [(burst.n, burst.took, burst.ideal) for burst in results]
    if "replies" in families:
        found, answered = await replies.run(20 if args.quick else 100, per_image=0.1 if args.quick else 0.5)
        show(found)
        print("bot-token calls a second:", " ".join(str(count) for count in answered.per_second), flush=True)
        sections = replies.section(answered)
    if "screening" in families:
        show(await screening.run(requests=3 if args.quick else 20))
    if "formats" in families:
        show(await formats.run(requests=2 if args.quick else 10))
    if "gifsvg" in families:
        show(await gif_svg.run(requests=2 if args.quick else 10))
    if "loop" in families:
        show(await loop_lag.run(edits=4 if args.quick else 16))
    if "queries" in families:
        show(await queries.run(rows=20_000 if args.quick else 1_000_000, runs=20 if args.quick else 200))
    if "claims" in families:
        show(await claims.run(large=50_000 if args.quick else 1_000_000, runs=20 if args.quick else 200))
    if "client" in families:
        show(await client.run(requests=3 if args.quick else 30))
    return figures, plotted, sections


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    args = parse(argv)
    try:
        with admin_server() if ON_POSTGRESQL & set(args.only or FAMILIES) else contextlib.nullcontext():
            figures, plotted, sections = asyncio.run(run(args))
    except ServerNotInstalled as error:
        print(error, file=sys.stderr)
        return 2
    if not (args.only or args.quick):
        date = datetime.now(UTC).strftime("%Y-%m-%d")
        path = write_report(figures, plotted, sections, command="make bench", date=date)
        print(f"wrote {path}")
    missed = [figure.measure for figure in figures if figure.met is False]
    if missed and not args.quick:
        print(f"{len(missed)} target(s) not met: {'; '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
