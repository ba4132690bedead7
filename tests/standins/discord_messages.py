"""Members' messages, as Discord's gateway delivers them: MESSAGE_CREATE, blanked by the intents
the bot identified with.

Discord's developer documentation, "Gateway Events: Message Create" and "Message Content
Privileged Intent" (https://discord.com/developers/docs/events/gateway-events#message-create,
https://support-dev.discord.com/hc/en-us/articles/4404772028055): a MESSAGE_CREATE carries a
message object plus `guild_id`, `member` and `mentions`; a reply has `type` 19,
`message_reference` and `referenced_message` (absent when Discord did not fetch it, null when it
was deleted). It is sent only with GUILD_MESSAGES (1 << 9) for guild channels and
DIRECT_MESSAGES (1 << 12) for DMs. Without the privileged MESSAGE_CONTENT intent (1 << 15),
`content`, `embeds`, `attachments` and `components` arrive empty, except in messages the app
sent, DMs to the app, and messages that mention the app (a reply to the app's message mentions
it while the member keeps "ping on reply"; Discord's clients do not mention the author of an
interaction response, whose reply therefore does not mention the app).

What the bot may post follows "Permissions" and "Create Message"
(https://discord.com/developers/docs/topics/permissions#permission-overwrites,
https://discord.com/developers/docs/resources/message#create-message): a member overwrite's
`deny` takes the bits away in that channel; creating a message needs SEND_MESSAGES, files need
ATTACH_FILES, and a `message_reference` (a reply) needs READ_MESSAGE_HISTORY, each refused with
403 and JSON code 50013 "Missing Permissions". A changed overwrite reaches the bot as
CHANNEL_UPDATE ("Gateway Events: Channel Update").
"""

from __future__ import annotations

from typing import Any

from tests.standins.discord_data import DiscordError, StoredMessage, now_iso, snowflake

GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
SEND_MESSAGES = 1 << 11
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
_CONTENT_FIELDS = {"content": "", "embeds": [], "attachments": [], "components": []}


class MemberMessages:
    """What a member can post in a channel: words, images, a reply to a message, a mention."""

    intents: int
    messages: dict[str, StoredMessage]
    bot_denied: dict[str, int]

    def bot_overwrites(self, channel_id: str) -> list[dict[str, Any]]:
        denied = self.bot_denied.get(channel_id, 0)
        return [{"id": self.bot_user["id"], "type": 1, "allow": "0", "deny": str(denied)}] if denied else []

    async def deny_bot(self, channel_id: str, permissions: int) -> None:
        """A moderator takes `permissions` from the bot in a channel: an overwrite, and its CHANNEL_UPDATE."""
        self.bot_denied[channel_id] = permissions
        await self.dispatch("CHANNEL_UPDATE", self.channel_payload(channel_id))

    def check_bot_may_post(self, channel_id: str, *, files: bool, reply: bool) -> None:
        """Raise Discord's 403 (50013) when the bot's overwrite denies what the call needs."""
        denied = self.bot_denied.get(channel_id, 0)
        needed = SEND_MESSAGES | (ATTACH_FILES if files else 0) | (READ_MESSAGE_HISTORY if reply else 0)
        if denied & needed:
            raise DiscordError(403, 50013, "Missing Permissions")

    def _visible(self, message: dict[str, Any], *, to_bot: bool) -> dict[str, Any]:
        """`message` as the bot receives it: blanked unless the intent or one of the exceptions lets it see it."""
        if self.intents & MESSAGE_CONTENT or to_bot:
            return message
        return {**message, **_CONTENT_FIELDS}

    def _sees(self, message: dict[str, Any]) -> bool:
        """Whether the bot may read `message`'s content: its own, a DM to it, or one mentioning it."""
        return (
            message["author"]["id"] == self.bot_user["id"]
            or "guild_id" not in message
            or any(user["id"] == self.bot_user["id"] for user in message.get("mentions", []))
        )

    async def send_member_message(
        self,
        content: str = "",
        *,
        user: dict[str, Any] | None = None,
        place: str = "guild",
        reply_to: StoredMessage | None = None,
        ping_on_reply: bool = True,
        mention_bot: bool = False,
        attachments: list[tuple[str, bytes, str]] | None = None,
        webhook: bool = False,
    ) -> StoredMessage:
        """Post a message as a member (or a webhook, or another bot, by `user`) and deliver its
        MESSAGE_CREATE to the bot if its intents ask for it. `place`: "guild" (the general
        channel) or "dm" (the member's DM with the bot). `attachments` are (filename, data,
        content type), uploaded to the CDN."""
        author = user or self.member
        in_dm = place == "dm"
        channel_id = self.dm_channel_id if in_dm else self.channel_id
        mentions = []
        if mention_bot:
            content = f"<@{self.bot_user['id']}> {content}".strip()
            mentions.append(self.bot_user)
        if reply_to is not None and ping_on_reply and not _is_interaction_response(reply_to.payload):
            author_of_target = reply_to.payload["author"]
            if all(user["id"] != author_of_target["id"] for user in mentions):
                mentions.append(author_of_target)
        message_id = snowflake()
        files = {}
        uploaded = []
        for filename, data, content_type in attachments or []:
            option = self.upload(filename, data, content_type)
            files[option["id"]] = data
            uploaded.append(option)
        payload: dict[str, Any] = {
            "id": message_id,
            "type": 19 if reply_to is not None else 0,
            "channel_id": channel_id,
            "author": author,
            "content": content,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": mentions,
            "mention_roles": [],
            "attachments": uploaded,
            "embeds": [],
            "components": [],
            "pinned": False,
            "flags": 0,
        }
        if webhook:
            payload["webhook_id"] = snowflake()
        if not in_dm:
            payload["guild_id"] = self.guild_id
        if reply_to is not None:
            payload["message_reference"] = {"type": 0, "message_id": reply_to.id, "channel_id": channel_id}
            if not in_dm:
                payload["message_reference"]["guild_id"] = self.guild_id
            target = reply_to.payload
            payload["referenced_message"] = self._visible(target, to_bot=self._sees(target))
        stored = StoredMessage(payload, files)
        self.messages[message_id] = stored
        wanted = DIRECT_MESSAGES if in_dm else GUILD_MESSAGES
        if self.intents & wanted:
            event = self._visible(payload, to_bot=self._sees(payload))
            if not in_dm:
                event = {**event, "member": self.member_payload(author)}
            await self.dispatch("MESSAGE_CREATE", event)
        return stored


def _is_interaction_response(message: dict[str, Any]) -> bool:
    """A message that answers an interaction (a slash command's reply): it carries `interaction_metadata`."""
    return "interaction_metadata" in message or message.get("webhook_id") is not None
