"""The Discord stand-in holds Components V2 messages to Discord's limits, so the bot cannot pass
a payload here that Discord would refuse."""

import pytest

from tests.standins.discord_data import DiscordError, check_components_v2, response_components


def gallery(count: int) -> dict:
    return {"type": 12, "items": [{"media": {"url": f"attachment://{index}.png"}} for index in range(count)]}


def buttons(count: int) -> list[dict]:
    return [{"type": 2, "style": 2, "label": str(index), "custom_id": f"b{index}"} for index in range(count)]


@pytest.mark.parametrize(
    ("components", "data", "refusal"),
    [
        ([{"type": 10, "content": "x"}] * 41, {}, "41 components"),
        ([{"type": 1, "components": buttons(5)}] * 7, {}, "42 components"),  # rows and their buttons counted
        ([gallery(0)], {}, "1 to 10 items"),
        ([gallery(11)], {}, "1 to 10 items"),
        ([gallery(1)], {"content": "text beside components"}, "no content"),
    ],
)
def test_payloads_discord_refuses_are_refused(components, data, refusal):
    with pytest.raises(DiscordError, match=refusal) as caught:
        check_components_v2(components, data)
    assert (caught.value.status, caught.value.code) == (400, 50035)


def test_the_limits_themselves_pass_and_media_resolve_to_the_files():
    components = [gallery(10), *[{"type": 10, "content": "x"}] * 29]
    check_components_v2(components, {})
    attachments = [
        {
            "id": str(index),
            "filename": f"{index}.png",
            "url": f"u{index}",
            "proxy_url": f"p{index}",
            "content_type": "image/png",
        }
        for index in range(10)
    ]
    [resolved, *_] = response_components(components, attachments)
    assert [item["media"]["attachment_id"] for item in resolved["items"]] == [str(index) for index in range(10)]
    with pytest.raises(DiscordError, match="not among the message's files"):
        response_components([gallery(1)], [])
