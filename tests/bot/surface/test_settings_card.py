"""The settings card: lists cut to fit with "and N more", blocks for good or until when, every
setting shown as moderators read it (defaults too), the guild's own key by its last four, and
/settings show's styles, filters and changes; the card fits an embed's limits however long the
guild's lists are."""

from datetime import UTC, datetime

import discord

from bot.db.models import GuildSettings, GuildStyle, MemberBlock, SettingsChange
from bot.surface.settings_card import LIST_FIELD_CHARS, add_the_rest, describe_settings, described_block, fit_list

UNTIL = datetime(2026, 12, 24, tzinfo=UTC)


def defaults(**values) -> GuildSettings:
    fields = {
        "guild_id": 10,
        "allowed_models": [],
        "allowed_sizes": [],
        "channel_ids": [],
        "exempt_role_ids": [],
        "spoiler_always": False,
        "drafts": False,
        "moderation_level": "auto",
    }
    return GuildSettings(**(fields | values))


def fields(embed: discord.Embed) -> dict[str, str]:
    return {field.name: field.value for field in embed.fields}


def test_a_list_is_cut_to_fit_with_how_many_more():
    assert fit_list(["a", "b"], 10, "en-US") == "a, b"
    assert fit_list(["alpha", "beta", "gamma", "delta"], 20, "en-US") == "alpha, and 3 more"
    assert fit_list(["alpha", "beta", "gamma", "delta"], 24, "en-US") == "alpha, beta, and 2 more"
    assert fit_list(["alpha", "beta", "gamma", "delta"], 25, "en-US") == "alpha, beta, gamma, delta"
    assert fit_list([], 10, "en-US") == ""


def test_a_block_is_for_good_or_until_when():
    assert described_block(MemberBlock(user_id=5, until=None), "en-US") == "<@5> for good"
    assert described_block(MemberBlock(user_id=5, until=UNTIL), "en-US") == f"<@5> until <t:{int(UNTIL.timestamp())}:R>"


def test_the_defaults_read_as_no_limits():
    card = fields(describe_settings(defaults(), "en-US", blocks=[]))
    assert card == {
        "Images per member per day": "no limit",
        "Cooldown": "none",
        "Monthly budget": "no budget",
        "Models": "any",
        "Sizes": "any",
        "Channels": "any",
        "Roles exempt from limits": "none",
        "Blocked members": "none",
        "Prompts kept for": "ever",
        "Language": "each member's own",
        "Spoilers": "when a member asks",
        "Drafts": "when a member asks",
        "Alerts": "none",
        "Image service strictness": "auto",
        "Image service key": "the bot's",
    }


def test_every_setting_is_shown_as_moderators_read_it():
    settings = defaults(
        images_per_day=20,
        cooldown_seconds=30,
        monthly_budget_usd=12.5,
        alert_channel_id=77,
        allowed_models=["gpt-image-2"],
        allowed_sizes=["1024x1024"],
        channel_ids=[31],
        exempt_role_ids=[41],
        prompt_retention_days=7,
        language="zh-CN",
        spoiler_always=True,
        drafts=True,
        moderation_level="low",
    )
    card = fields(
        describe_settings(settings, "en-US", ("abcd", "https://proxy.example/v1"), blocks=[MemberBlock(user_id=5)])
    )
    assert card["Images per member per day"] == "20" and card["Cooldown"] == "30 s"
    assert card["Monthly budget"] == "$12.50, alerts in <#77>"
    assert (card["Models"], card["Sizes"], card["Channels"]) == ("`gpt-image-2`", "1024x1024", "<#31>")
    assert (card["Roles exempt from limits"], card["Blocked members"]) == ("<@&41>", "<@5> for good")
    assert (card["Prompts kept for"], card["Language"], card["Alerts"]) == ("7 days", "简体中文", "<#77>")
    assert (card["Spoilers"], card["Drafts"]) == ("every result", "every /imagine")
    assert card["Image service strictness"] == "low in age-restricted channels"
    assert card["Image service key"] == "this server's own, ending abcd\nhttps://proxy.example/v1"


def test_the_card_fits_an_embed_however_long_the_lists():
    many = list(range(10**17, 10**17 + 500))
    settings = defaults(channel_ids=many, exempt_role_ids=many, allowed_models=[f"model-{n}" for n in range(500)])
    blocks = [MemberBlock(user_id=user, until=UNTIL) for user in many]
    embed = describe_settings(settings, "en-US", blocks=blocks)
    add_the_rest(
        embed,
        "en-US",
        styles=[GuildStyle(name=f"style{n}", template="{prompt}, " + "x" * 900) for n in range(25)],
        patterns=[f"word{n}" for n in range(500)],
        changes=[
            SettingsChange(user_id=5, setting="images_per_day", old_value=n, new_value=n + 1, created_at=UNTIL)
            for n in range(50)
        ],
    )
    assert len(embed) <= 6000 and all(len(field.value) <= 1024 for field in embed.fields)
    assert fields(embed)["Channels"].endswith("more") and len(fields(embed)["Channels"]) <= LIST_FIELD_CHARS


def test_the_rest_shows_styles_filters_and_changes_or_none_yet():
    embed = discord.Embed()
    add_the_rest(embed, "en-US", styles=[], patterns=[], changes=[])
    assert fields(embed) == {"Styles": "none yet", "Word filters": "none yet", "Latest changes": "none yet"}
    embed = discord.Embed()
    change = SettingsChange(user_id=5, setting="cooldown_seconds", old_value=None, new_value=30, created_at=UNTIL)
    add_the_rest(
        embed,
        "en-US",
        styles=[GuildStyle(name="anime_2", template="{prompt}, *anime*")],
        patterns=["fox*"],
        changes=[change],
    )
    assert fields(embed) == {
        "Styles": "**anime\\_2**: {prompt}, \\*anime\\*",
        "Word filters": "fox\\*",
        "Latest changes": f"<t:{int(UNTIL.timestamp())}:R> <@5> `cooldown_seconds`: None → 30",
    }
