"""The Discord stand-in keeps and lists application commands as Discord does: ids, versions and
documented defaults added, localization dictionaries only when asked for, every answer checked
against the API document."""

import aiohttp

from tests.standins.discord_api import DiscordStandIn

IMAGINE = {
    "name": "imagine",
    "description": "Generate images",
    "name_localizations": {"zh-CN": "生成"},
    "options": [
        {"type": 3, "name": "prompt", "description": "What to draw", "required": True},
        {"type": 5, "name": "spoiler", "description": "Hide it", "required": False, "autocomplete": None},
    ],
    "default_member_permissions": 32,
}
MENU = {"name": "Vary image", "type": 3}


async def test_a_listing_answers_with_discords_fields_and_localizations_only_when_asked():
    discord_api = DiscordStandIn()
    await discord_api.start()
    url = f"{discord_api.api_base_url}/applications/{discord_api.application_id}/commands"
    headers = {"Authorization": f"Bot {discord_api.token}"}
    try:
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.put(url, json=[IMAGINE, MENU]) as response:
                assert response.status == 200
                [first, _] = await response.json()
            async with http.put(url, json=[IMAGINE, {**MENU, "nsfw": True}]) as response:
                [again, menu] = await response.json()
            async with http.get(url, params={"with_localizations": "true"}) as response:
                localized = await response.json()
            async with http.get(url) as response:
                plain = await response.json()
    finally:
        await discord_api.close()
    assert not discord_api.violations, discord_api.violations
    assert (again["id"], again["version"]) == (first["id"], first["version"])  # unchanged: same version
    assert menu["nsfw"] and menu["description"] == "" and menu["type"] == 3
    imagine = localized[0]
    assert {"id", "application_id", "version"} <= set(imagine)
    assert imagine["default_member_permissions"] == "32" and imagine["nsfw"] is False
    assert imagine["contexts"] == [0, 1, 2] and imagine["integration_types"] == [0]
    assert imagine["name_localizations"] == {"zh-CN": "生成"} and imagine["description_localizations"] is None
    assert imagine["options"][1] == {"type": 5, "name": "spoiler", "description": "Hide it"}  # defaults left out
    assert "name_localizations" not in plain[0] and plain[0]["options"] == imagine["options"]
