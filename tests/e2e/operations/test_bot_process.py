"""The real bot process, as an operator runs it: one /imagine served and a clean stop on SIGTERM, and
logs as JSON, one redacted object a line."""

import asyncio
import io
import json
import re
import signal

from PIL import Image

from tests.sandbox import run_sandbox, secrets_env, start_bot_process, write_config
from tests.secrets_scan import leaks


async def test_the_bot_process_serves_imagine_and_stops_cleanly_on_sigterm(tmp_path):
    run = await run_sandbox("a lighthouse <@&1> at dusk", tmp_path / "out", n=2)
    assert [Image.open(io.BytesIO(path.read_bytes())).format for path in run.saved] == ["PNG", "PNG"]
    for path in run.saved:  # placeholders that say so, with the prompt: a dark caption band of white text
        image = Image.open(path).convert("RGB")
        middle = image.crop((image.width // 4, image.height * 2 // 5, image.width * 3 // 4, image.height * 3 // 5))
        assert {(20, 20, 20), (255, 255, 255)} <= {colour for _, colour in middle.getcolors(1 << 16) or []}
    assert "a lighthouse" in run.content
    assert run.returncode == 0
    assert "Running upgrade  -> 0001" in run.output
    assert "standin.bot-token" not in run.output and "sk-standin" not in run.output
    assert "Traceback" not in run.output and "voice will NOT" not in run.output


async def test_json_logs_are_one_redacted_object_a_line(tmp_path, discord_api, images_api):
    config = write_config(tmp_path, discord_api, images_api)
    config.write_text(config.read_text() + '[logging]\nformat = "json"\n')
    process = await start_bot_process(
        config, secrets_env(discord_api, images_api), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output = asyncio.create_task(process.stdout.read())
    try:
        await asyncio.wait_for(discord_api.identified.wait(), 60)
        images_api.fail_next("garbage")  # logged with its traceback: the provider's answer was unusable
        state = await discord_api.send_slash_command("imagine", {"prompt": "a fox", "n": 2})
        await discord_api.wait_for_reply(state)
        process.send_signal(signal.SIGUSR1)  # the state line an operator asks for, logged before SIGTERM's close
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    lines = (await output).decode().splitlines()
    entries = [json.loads(line) for line in lines]
    assert entries and all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
    assert any("Running upgrade" in entry["message"] for entry in entries)
    assert any("InvalidResponseError" in entry.get("traceback", "") for entry in entries)
    assert any(
        re.fullmatch(r"state: \d+ asyncio tasks, 0 jobs queued, \d in flight, 1 guilds", e["message"]) for e in entries
    )
    assert not [hit for line in lines for hit in leaks(line, "json log line")]
    assert not [entry for entry in entries if entry["logger"].startswith("sqlalchemy")]  # a clean stop on SIGTERM
