"""Try the whole bot offline: both stand-ins, the real bot process, one /imagine.

    make sandbox PROMPT="a lighthouse at dusk"

No account is needed. The images the bot posted are saved to sandbox-output/: placeholders that
the Images API stand-in draws, with the prompt they were made for written on them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.standins.discord_api import DiscordStandIn
from tests.standins.discord_data import StoredMessage
from tests.standins.images_api import ImagesStandIn

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class SandboxRun:
    saved: list[Path]
    content: str
    returncode: int
    output: str


def write_config(folder: Path, discord_api: DiscordStandIn, images_api: ImagesStandIn, extra: str = "") -> Path:
    """A config for the stand-ins and a SQLite file in `folder`; `extra` is more TOML (other sections)."""
    path = folder / "config.toml"
    path.write_text(
        f'[discord]\napi_base_url = "{discord_api.api_base_url}"\ngateway_url = "{discord_api.gateway_url}"\n'
        f'[images]\nbase_url = "{images_api.base_url}"\n'
        f'[database]\nurl = "sqlite+aiosqlite:///{folder / "imagebot.db"}"\n' + extra
    )
    return path


def secrets_env(discord_api: DiscordStandIn, images_api: ImagesStandIn) -> dict[str, str]:
    """The environment for a bot process: ours, plus the stand-ins' token and key."""
    return {**os.environ, "DISCORD_TOKEN": discord_api.token, "OPENAI_API_KEY": images_api.api_key}


async def start_bot_process(
    config: Path, env: dict[str, str], *args: str, **streams: Any
) -> asyncio.subprocess.Process:
    """`python -m bot --config CONFIG [ARGS]`, as an operator runs it; `streams` are stdout and stderr."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), *args, cwd=ROOT, env=env, **streams
    )


@dataclass
class CommandRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float  # from the start of the process to its end


def _without_secrets(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    return {name: value for name, value in environ.items() if name not in {"DISCORD_TOKEN", "OPENAI_API_KEY"}}


async def run_bot_command(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT, timeout: float = 60.0, user: int | None = None
) -> CommandRun:
    """`python -m bot ARGS` to its end, as an operator runs it (`user`: as that uid; root only)."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env={**_without_secrets(os.environ), "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        user=user,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return CommandRun(process.returncode or 0, stdout.decode(), stderr.decode(), time.monotonic() - started)


IDLE_START_SECONDS = 3.0  # starting Python and importing the bot, on an idle machine


async def own_seconds(run: CommandRun) -> float:
    """How long `run` took beyond what starting Python and importing the bot take on this machine
    now (`python -m bot --help`, measured here) over an idle machine's: a busy machine stretches
    every start alike, and the bot's own waits are what a start-up promise is about."""
    overhead = (await run_bot_command("--help")).seconds
    return run.seconds - max(0.0, overhead - IDLE_START_SECONDS)


def _save_images(out_dir: Path, reply: StoredMessage) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    for attachment, data in zip(reply.payload["attachments"], reply.attachment_bytes(), strict=True):
        path = out_dir / attachment["filename"]
        path.write_bytes(data)
        saved.append(path)
    return saved


async def run_sandbox(prompt: str, out_dir: Path, *, n: int = 1, timeout: float = 60.0) -> SandboxRun:
    discord_api, images_api = DiscordStandIn(), ImagesStandIn()
    await discord_api.start()
    await images_api.start()
    with tempfile.TemporaryDirectory(prefix="imagebot-sandbox-") as folder:
        config = write_config(Path(folder), discord_api, images_api)
        process = await start_bot_process(
            config,
            secrets_env(discord_api, images_api),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output = asyncio.create_task(process.stdout.read())  # type: ignore[union-attr]
        try:
            await asyncio.wait_for(discord_api.identified.wait(), timeout)
            state = await discord_api.send_slash_command("imagine", {"prompt": prompt, "n": n})
            reply = await discord_api.wait_for_reply(state, timeout)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
            await discord_api.close()
            await images_api.close()
    saved = await asyncio.to_thread(_save_images, out_dir, reply)
    return SandboxRun(saved, reply.text, process.returncode or 0, (await output).decode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default="a lighthouse at dusk, watercolour")
    parser.add_argument("-n", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "sandbox-output")
    args = parser.parse_args()
    run = asyncio.run(run_sandbox(args.prompt, args.out, n=args.n))
    print(run.output, end="")
    print(f"\nThe bot replied:\n{run.content}\n")
    for path in run.saved:
        print(f"saved {path}")
    print("(placeholder images from the stand-in, which writes the prompt on them: no image model ran)")


if __name__ == "__main__":
    main()
