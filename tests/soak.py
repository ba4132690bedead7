"""The soak: `make soak` (or `python -m tests.soak`).

The real bot process against both stand-ins for about ten minutes: 2,000 interactions
(/imagine streamed and not, /edit with an upload) at an even pace, with 5% of them meeting a
random fault in the Images API, in Discord, or in the database (another writer holding SQLite's
lock). Afterwards every interaction must have been answered, the usage rows must equal the
requests with none pending, and the bot's tasks, file descriptors and memory must be where they
were. The figures go into docs/reliability.md between its soak markers.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import io
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import psutil
from PIL import Image
from sqlalchemy import func, select

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import UNFINISHED, Job, UsageRecord, UsageStatus
from tests.sandbox import secrets_env, start_bot_process, write_config
from tests.standins.discord_api import DiscordStandIn
from tests.standins.discord_data import user_payload
from tests.standins.images_api import ImagesStandIn

DOC = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"
BEGIN, END = "<!-- soak:begin -->", "<!-- soak:end -->"
EDIT_REPLY = "update_webhook_message"
IMAGES_FAULTS = ["rate_limit", "server_error", "overloaded", "quota", "garbage", "truncated", "stream_cut", "stall"]
DISCORD_FAULTS = ["rate_limit", "global_rate_limit", "cloudflare", "server_error", "gone", "too_large", "late_ack"]
IDLE_SECONDS = 20


async def bot_tasks(process: psutil.Process, log_path: Path) -> int:
    """The bot's asyncio tasks, from the state line it logs on SIGUSR1."""
    seen = (await asyncio.to_thread(log_path.read_text, errors="replace")).count("state: ")
    process.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = await asyncio.to_thread(log_path.read_text, errors="replace")
        lines = [line for line in text.splitlines() if "state: " in line]
        if len(lines) > seen:
            return int(re.search(r"state: (\d+) asyncio tasks", lines[-1]).group(1))  # type: ignore[union-attr]
        await asyncio.sleep(0.1)
    raise RuntimeError("the bot did not log its state on SIGUSR1")


def photo(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (256, 256), random.Random(seed).randbytes(256 * 256 * 3)).save(buffer, "PNG")
    return buffer.getvalue()


class Soak:
    def __init__(self, requests: int, minutes: float, fault_rate: float, seed: int) -> None:
        self.requests, self.seconds, self.fault_rate = requests, minutes * 60, fault_rate
        self.random = random.Random(seed)
        self.faults: collections.Counter[str] = collections.Counter()
        self.discord_api, self.images_api = DiscordStandIn(), ImagesStandIn()
        self.states: list = []
        self.samples: list[tuple[int, int]] = []  # the bot's (RSS, file descriptors) every 50 requests

    def config(self, folder: Path) -> Path:
        """The sandbox's config, with quick retries, a short stall limit and room in the queue."""
        path = write_config(folder, self.discord_api, self.images_api)
        images = "[images]\nretry_base_delay = 0.05\nmax_retry_wait = 0.2\ntimeout_seconds = 20\nstall_seconds = 1\n"
        jobs = '[jobs]\nmax_running = 4\nper_member = 4\nper_guild = 64\n[logging]\nlevel = "INFO"\n'
        path.write_text(path.read_text().replace("[images]\n", images) + jobs)
        return path

    def plan_fault(self, database: Path) -> asyncio.Task | None:
        """Plan one random fault for what comes next; a database lock is held by a task."""
        family = self.random.choice(["images", "discord", "database"])
        if family == "images":
            kind = self.random.choice(IMAGES_FAULTS)
            self.images_api.fail_next(kind, delay=2.0, retry_after=0.1)
        elif family == "discord":
            kind = self.random.choice(DISCORD_FAULTS)
            api = self.discord_api
            if kind in {"rate_limit", "global_rate_limit"}:
                api.rate_limit_next(EDIT_REPLY, 0.2, is_global=kind == "global_rate_limit", uploads=True)
            elif kind == "cloudflare":
                api.rate_limit_next(EDIT_REPLY, via=False, uploads=True)
            elif kind == "server_error":
                api.server_error_next(EDIT_REPLY, 502, uploads=True)
            elif kind == "gone":
                api.fail_next(EDIT_REPLY, 404, 10015, "Unknown Webhook", uploads=True)
            elif kind == "too_large":
                api.fail_next(EDIT_REPLY, 413, 40005, "Request entity too large", uploads=True)
            else:
                api.fail_next("create_interaction_response", 404, 10062, "Unknown interaction")
        else:
            kind = "sqlite_locked"
        self.faults[f"{family}: {kind}"] += 1
        return asyncio.create_task(self.hold_lock(database)) if family == "database" else None

    async def hold_lock(self, database: Path) -> None:
        """Another writer, in a thread of its own, takes SQLite's write lock and holds it a while."""
        seconds = self.random.uniform(0.5, 2.0)

        def hold() -> None:
            other = sqlite3.connect(database, isolation_level=None, timeout=60)
            try:
                other.execute("BEGIN IMMEDIATE")
                time.sleep(seconds)
                other.execute("COMMIT")
            finally:
                other.close()

        await asyncio.to_thread(hold)

    async def send(self, index: int) -> None:
        user = user_payload(str(10**17 + index % 400), f"member{index % 400}")
        guild = None if index % 3 else "9100000000000001"
        choice = index % 4
        if choice == 0:
            image = self.discord_api.upload(f"in-{index}.png", photo(index))
            options = {"image": image, "prompt": f"soak edit {index}"}
            state = await self.discord_api.send_slash_command("edit", options, user=user, guild_id=guild)
        else:
            options = {"prompt": f"soak {index}", **({"n": 2} if choice == 1 else {})}
            state = await self.discord_api.send_slash_command("imagine", options, user=user, guild_id=guild)
        self.states.append(state)

    async def run(self) -> dict[str, object]:
        await self.discord_api.start()
        await self.images_api.start()
        self.discord_api.latency, self.images_api.delay = 0.02, 0.2
        self.discord_api.schema_checks = self.images_api.schema_checks = False
        with tempfile.TemporaryDirectory() as folder:
            config, log_path = self.config(Path(folder)), Path(folder) / "bot.log"
            database = Path(folder) / "imagebot.db"
            with log_path.open("wb") as log:
                bot = await start_bot_process(
                    config, secrets_env(self.discord_api, self.images_api), stdout=log, stderr=log
                )
                try:
                    figures = await self.drive(psutil.Process(bot.pid), database, log_path)
                finally:
                    bot.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(bot.wait(), 60)
        await self.discord_api.close()
        await self.images_api.close()
        return figures

    async def drive(self, process: psutil.Process, database: Path, log_path: Path) -> dict[str, object]:
        """Send the interactions at an even pace, planning faults, then check the outcome."""
        await asyncio.wait_for(self.discord_api.identified.wait(), 60)
        await asyncio.sleep(1)
        tasks_before, fds_before = await bot_tasks(process, log_path), process.num_fds()
        started, locks = time.monotonic(), []
        for index in range(self.requests):
            await asyncio.sleep(max(0.0, started + index * self.seconds / self.requests - time.monotonic()))
            if self.random.random() < self.fault_rate and (lock := self.plan_fault(database)) is not None:
                locks.append(lock)
            await self.send(index)
            if index % 50 == 0:
                self.samples.append((process.memory_info().rss, process.num_fds()))
        await asyncio.gather(*locks)
        unanswered = await self.wait_answered(120)
        finished_at = time.monotonic() - started
        rows, pending, running = await self.rows(database)
        await asyncio.sleep(IDLE_SECONDS)  # idle keep-alive connections close (aiohttp: after 15 s)
        tasks_after, fds_after = await bot_tasks(process, log_path), process.num_fds()
        self.samples.append((process.memory_info().rss, fds_after))
        return {
            "interactions": len(self.states),
            "faults": sum(self.faults.values()),
            "fault_kinds": dict(sorted(self.faults.items())),
            "unanswered": unanswered,
            "rows": rows,
            "pending": pending,
            "unfinished_jobs": running,
            "minutes": finished_at / 60,
            "tasks": (tasks_before, tasks_after),
            "fds": (fds_before, fds_after),
            "rss_mb": [round(rss / 2**20) for rss, _ in self.samples],
            "fds_sampled": [fds for _, fds in self.samples],
        }

    async def wait_answered(self, timeout: float) -> int:
        """Wait for every interaction to be answered and its request to end; how many were not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = [state for state in self.states if not self.answered(state)]
            if not left:
                return 0
            await asyncio.sleep(0.5)
        return len(left)

    @staticmethod
    def answered(state) -> bool:
        """The member saw an end: their images, or a message (an immediate reply or a follow-up)."""
        if state.followups:
            return True
        message = state.original
        if state.callback_type == 4:
            return True
        return bool(message and (message.payload["attachments"] or "⏳" not in message.text))

    async def rows(self, database: Path) -> tuple[int, int, int]:
        """Usage rows, those still pending, and unfinished jobs, once none is pending (or a minute passed)."""
        engine = make_engine(f"sqlite+aiosqlite:///{database}")
        sessions = make_sessionmaker(engine)
        deadline = time.monotonic() + 60
        try:
            while True:
                async with sessions() as session:
                    rows = await session.scalar(select(func.count()).select_from(UsageRecord))
                    pending = await session.scalar(
                        select(func.count()).select_from(UsageRecord).where(UsageRecord.status == UsageStatus.PENDING)
                    )
                    running = await session.scalar(
                        select(func.count()).select_from(Job).where(Job.state.in_(UNFINISHED))
                    )
                if (not pending and not running) or time.monotonic() > deadline:
                    return rows or 0, pending or 0, running or 0
                await asyncio.sleep(0.5)
        finally:
            await engine.dispose()


def verdict(figures: dict) -> list[str]:
    """What the soak requires; an empty list when all holds."""
    problems = []
    if figures["unanswered"]:
        problems.append(f"{figures['unanswered']} interactions were not answered")
    if figures["rows"] != figures["interactions"]:
        problems.append(f"{figures['rows']} rows for {figures['interactions']} requests")
    if figures["pending"] or figures["unfinished_jobs"]:
        problems.append(f"{figures['pending']} rows pending, {figures['unfinished_jobs']} jobs unfinished")
    if figures["tasks"][1] > figures["tasks"][0]:
        problems.append(f"tasks grew from {figures['tasks'][0]} to {figures['tasks'][1]}")
    quarter_fds = figures["fds_sampled"][len(figures["fds_sampled"]) // 4]
    if figures["fds"][1] > quarter_fds + 10:
        problems.append(f"file descriptors grew from {quarter_fds} at a quarter of the run to {figures['fds'][1]}")
    quarter = figures["rss_mb"][len(figures["rss_mb"]) // 4]
    if figures["rss_mb"][-1] > quarter * 1.25:
        problems.append(f"RSS grew from {quarter} MB to {figures['rss_mb'][-1]} MB after the first quarter")
    return problems


def markdown(figures: dict, problems: list[str], command: str) -> str:
    rss, total = figures["rss_mb"], figures["interactions"]
    lines = [
        f"Run with `{command}` on {time.strftime('%Y-%m-%d')}: {total:,} interactions over "
        f"{figures['minutes']:.1f} minutes, {figures['faults']} of them ({figures['faults'] / total:.1%}) "
        "meeting a planned fault.",
        "",
        "| check | result |",
        "| --- | --- |",
        f"| interactions answered | {total - figures['unanswered']:,} of {total:,} |",
        f"| usage rows / requests | {figures['rows']:,} / {total:,} |",
        f"| rows pending, jobs unfinished afterwards | {figures['pending']}, {figures['unfinished_jobs']} |",
        f"| asyncio tasks before / after | {figures['tasks'][0]} / {figures['tasks'][1]} |",
        f"| file descriptors before / at a quarter / after, idle | {figures['fds'][0]} / "
        f"{figures['fds_sampled'][len(figures['fds_sampled']) // 4]} / {figures['fds'][1]} |",
        f"| RSS first / quarter / last | {rss[0]} / {rss[len(rss) // 4]} / {rss[-1]} MB |",
        f"| verdict | {'all held' if not problems else '; '.join(problems)} |",
        "",
        "| planned fault | times |",
        "| --- | --- |",
        *(f"| {kind} | {count} |" for kind, count in figures["fault_kinds"].items()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--write", action="store_true", help="put the figures into docs/reliability.md")
    args = parser.parse_args(argv)
    figures = asyncio.run(Soak(args.requests, args.minutes, args.fault_rate, args.seed).run())
    problems = verdict(figures)
    command = "make soak" if args.write else "python -m tests.soak " + " ".join(argv or sys.argv[1:])
    text = markdown(figures, problems, command)
    print(text)
    if args.write:
        doc = DOC.read_text()
        start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        DOC.write_text(doc[:start] + "\n" + text + "\n" + doc[end:])
        print(f"wrote {DOC}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
