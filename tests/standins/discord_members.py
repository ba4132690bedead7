"""What members do in the Discord stand-in: post messages and files, run commands, click, fill forms."""

from __future__ import annotations

from typing import Any

from tests.standins.discord_data import (
    ALL_MEMBER_PERMISSIONS,
    MEMBER_PERMISSIONS,
    MODERATOR_PERMISSIONS,
    ChannelOption,
    InteractionState,
    RoleOption,
    StoredMessage,
    UserOption,
    now_iso,
    snowflake,
)


class MemberActions:
    """Interactions a test sends to the bot, as the members of the stand-in's guild."""

    def permissions_for(self, user: dict[str, Any]) -> int:
        if user["id"] == self.moderator["id"]:
            return MODERATOR_PERMISSIONS
        if user["id"] == self.bot_user["id"]:
            return ALL_MEMBER_PERMISSIONS
        return MEMBER_PERMISSIONS

    def role_payload(self, role_id: str) -> dict[str, Any]:
        return {
            "id": role_id,
            "name": f"role-{role_id}",
            "permissions": "0",
            "position": 1,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def member_payload(self, user: dict[str, Any]) -> dict:
        return {
            "user": user,
            "roles": list(self.member_roles.get(user["id"], [])),
            "joined_at": now_iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "permissions": str(self.permissions_for(user)),
        }

    def upload(self, filename: str, data: bytes, content_type: str | None = None) -> dict[str, Any]:
        """Put a file on the stand-in's CDN, as a member's upload; returns its attachment object."""
        return self._stored_attachment(self._uploads, self.channel_id, filename, data, content_type)

    def delete_upload(self, attachment: dict[str, Any]) -> None:
        """The member deleted the message that carried `attachment`: the CDN answers 404 for it."""
        del self._uploads[attachment["id"]]

    def post_message(
        self, attachments: list[dict[str, Any]], *, author: dict[str, Any] | None = None, content: str = ""
    ) -> StoredMessage:
        """A message a member posted in the channel (the bot only sees it through interactions)."""
        payload = {
            "id": snowflake(),
            "type": 0,
            "channel_id": self.channel_id,
            "content": content,
            "author": author or self.member,
            "attachments": attachments,
            "embeds": [],
            "components": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "flags": 0,
        }
        message = StoredMessage(payload)
        self.messages[message.id] = message
        return message

    def _base_interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user: dict[str, Any],
        locale: str,
        attachment_size_limit: int,
        channel_id: str | None = None,
    ) -> dict[str, Any]:
        """An interaction in the guild's channel, or, by `channel_id`, in the member's DM with the
        bot or a channel of a server that has not added it (the app installed to the member)."""
        if channel_id == self.dm_channel_id:
            payload = self._base_interaction(kind, data, user, locale, attachment_size_limit)
            for guild_only in ("guild_id", "guild_locale", "member"):
                del payload[guild_only]
            return payload | {
                "authorizing_integration_owners": {"1": user["id"]},
                "channel_id": channel_id,
                "context": 1,
                "user": user,
                "channel": {"id": channel_id, "type": 1, "recipients": [user], "flags": 0},
            }
        if channel_id == self.nsfw_channel_id:
            payload = self._base_interaction(kind, data, user, locale, attachment_size_limit)
            payload["channel"].update(id=channel_id, name="after-dark", nsfw=True)
            return payload | {"channel_id": channel_id}
        if channel_id == self.foreign_channel_id:
            payload = self._base_interaction(kind, data, user, locale, attachment_size_limit)
            payload["channel"].update(id=channel_id, guild_id=self.foreign_guild_id)
            return payload | {
                "authorizing_integration_owners": {"1": user["id"]},
                "channel_id": channel_id,
                "guild_id": self.foreign_guild_id,
            }
        return {
            "id": snowflake(),
            "application_id": self.application_id,
            "type": kind,
            "data": data,
            "token": f"interaction-token-{snowflake()}",
            "version": 1,
            "locale": locale,
            "app_permissions": str(ALL_MEMBER_PERMISSIONS),
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id},
            "attachment_size_limit": attachment_size_limit,
            "channel_id": self.channel_id,
            "guild_id": self.guild_id,
            "guild_locale": "en-US",
            "context": 0,
            "member": self.member_payload(user),
            "channel": {
                "id": self.channel_id,
                "type": 0,
                "guild_id": self.guild_id,
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "flags": 0,
            },
        }

    async def _send(
        self, payload: dict[str, Any], original: StoredMessage | None = None, age: float = 0.0
    ) -> InteractionState:
        state = InteractionState(payload, original=original, age=age)
        self.interactions[state.id] = state
        await self.dispatch("INTERACTION_CREATE", payload)
        return state

    async def send_message_command(
        self,
        name: str,
        message: StoredMessage,
        *,
        user: dict[str, Any] | None = None,
        attachment_size_limit: int = 10 * 1024 * 1024,
    ) -> InteractionState:
        """Right-click `message` and pick the message command `name`."""
        data = {
            "id": snowflake(),
            "name": name,
            "type": 3,
            "target_id": message.id,
            "guild_id": self.guild_id,
            "resolved": {"messages": {message.id: message.payload}},
        }
        return await self._send(self._base_interaction(2, data, user or self.member, "en-US", attachment_size_limit))

    async def click(
        self,
        message: StoredMessage,
        custom_id: str,
        *,
        user: dict[str, Any] | None = None,
        attachment_size_limit: int = 10 * 1024 * 1024,
        guild_id: str | None = None,
    ) -> InteractionState:
        """Click the button `custom_id` on `message`; `guild_id` makes the click come from another
        guild that has the bot, as a forged or copied message would."""
        assert any(button.get("custom_id") == custom_id for button in message.components), f"no button {custom_id}"
        data = {"custom_id": custom_id, "component_type": 2}
        channel_id = message.payload["channel_id"]
        payload = self._base_interaction(3, data, user or self.member, "en-US", attachment_size_limit, channel_id)
        if guild_id is not None:
            payload["guild_id"] = payload["channel"]["guild_id"] = guild_id
        payload["message"] = message.payload
        return await self._send(payload, original=message)

    async def autocomplete(self, name: str, options: dict[str, Any], focused: str, **kwargs: Any) -> list[dict]:
        """The choices the bot offers for option `focused` of `/name`, typed as far as `options` say."""
        state = await self.send_slash_command(name, options, focused=focused, **kwargs)
        await self.wait_for(lambda: state.callback_type == 8)
        return state.callback_data["choices"]

    async def choose(
        self, message: StoredMessage, custom_id: str, values: list[str], *, user: dict[str, Any] | None = None
    ) -> InteractionState:
        """Pick `values` in the select menu `custom_id` on `message`."""
        [menu] = [menu for menu in message.components if menu.get("custom_id") == custom_id and menu["type"] == 3]
        offered = {option["value"] for option in menu["options"]}
        assert set(values) <= offered, f"{values} not among the options of {custom_id}"
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
        channel_id = message.payload["channel_id"]
        payload = self._base_interaction(3, data, user or self.member, "en-US", 10 * 1024 * 1024, channel_id)
        payload["message"] = message.payload
        return await self._send(payload, original=message)

    async def submit_modal(
        self,
        state: InteractionState,
        values: list[str],
        *,
        attachment_size_limit: int = 10 * 1024 * 1024,
        uploads: dict[str, list[dict[str, Any]]] | None = None,
        checked: dict[str, list[str]] | None = None,
    ) -> InteractionState:
        """Fill the text inputs of the modal the bot opened for `state`, in order, attach
        `uploads` (attachment objects from `upload`, by the file upload's custom id), tick
        `checked` (option values, by the checkbox group's custom id), and submit it. As Discord's
        client does, a component that is required (the default for every kind) must be filled:
        Discord would not let the member submit the form otherwise ("Component Reference: File
        Upload, Checkbox Group", https://discord.com/developers/docs/components/reference)."""
        assert state.modal is not None, "the bot opened no modal"
        answers = iter(values)
        uploads, checked = uploads or {}, checked or {}
        resolved: dict[str, dict[str, Any]] = {}

        def filled(component: dict[str, Any], given: list[Any]) -> list[Any]:
            if not given and component.get("required", True):
                raise AssertionError(f"{component['custom_id']} is required: Discord would not submit the form")
            return given

        def fill(component: dict[str, Any]) -> dict[str, Any]:
            kind, custom_id = component["type"], component.get("custom_id")
            if kind == 1:
                return {"type": 1, "components": [fill(child) for child in component["components"]]}
            if kind == 18:
                return {"type": 18, "id": component.get("id", 1), "component": fill(component["component"])}
            if kind == 19:
                files = filled(component, uploads.get(custom_id, []))
                resolved.update({file["id"]: file for file in files})
                return {
                    "type": 19,
                    "id": component.get("id", 1),
                    "custom_id": custom_id,
                    "values": [f["id"] for f in files],
                }
            if kind == 22:
                ticked = filled(component, checked.get(custom_id, []))
                offered = {option["value"] for option in component["options"]}
                assert set(ticked) <= offered, f"{ticked} not among the options of {custom_id}"
                return {"type": 22, "id": component.get("id", 1), "custom_id": custom_id, "values": ticked}
            return {"type": kind, "custom_id": custom_id, "value": next(answers)}

        data: dict[str, Any] = {
            "custom_id": state.modal["custom_id"],
            "components": [fill(c) for c in state.modal["components"]],
        }
        if resolved:
            data["resolved"] = {"attachments": resolved}
        user = state.payload["member"]["user"]
        payload = self._base_interaction(5, data, user, "en-US", attachment_size_limit)
        if state.original is not None:
            payload["message"] = state.original.payload
        return await self._send(payload)

    async def send_slash_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: dict[str, Any] | None = None,
        locale: str = "en-US",
        attachment_size_limit: int = 10 * 1024 * 1024,
        place: str = "guild",
        subcommand: str | None = None,
        channel_id: str | None = None,
        guild_id: str | None = None,
        age: float = 0.0,
        focused: str | None = None,
    ) -> InteractionState:
        """Dispatch INTERACTION_CREATE for `/name` with options, as a member would trigger it;
        `age` makes it an interaction created that many seconds ago (its token expires sooner).
        With `focused`, it is an autocomplete request for that option as typed so far. `place`:
        "guild" (the guild that added the bot), "dm" (the member's DM with the bot, the app
        installed to the member) or "foreign" (a server without the bot, the app installed to the
        member)."""
        option_types = {bool: 5, int: 4, float: 10, str: 3, dict: 11, UserOption: 6, ChannelOption: 7, RoleOption: 8}
        resolved: dict[str, dict[str, Any]] = {}

        def option(key: str, value: Any) -> dict[str, Any]:
            if isinstance(value, dict):
                resolved.setdefault("attachments", {})[value["id"]] = value
                value = value["id"]
            elif isinstance(value, UserOption):
                resolved.setdefault("users", {})[value.user["id"]] = value.user
                member = self.member_payload(value.user)
                resolved.setdefault("members", {})[value.user["id"]] = {k: v for k, v in member.items() if k != "user"}
                value = value.user["id"]
            elif isinstance(value, ChannelOption):
                resolved.setdefault("channels", {})[value.channel_id] = {
                    "id": value.channel_id,
                    "type": 0,
                    "name": "channel",
                    "permissions": str(ALL_MEMBER_PERMISSIONS),
                    "guild_id": self.guild_id,
                    "position": 1,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "flags": 0,
                }
                value = value.channel_id
            elif isinstance(value, RoleOption):
                resolved.setdefault("roles", {})[value.role_id] = self.role_payload(value.role_id)
                value = value.role_id
            return {"name": key, "type": kinds[key], "value": value} | ({"focused": True} if key == focused else {})

        kinds = {key: option_types[type(value)] for key, value in (options or {}).items()}
        built = [option(key, value) for key, value in (options or {}).items()]
        if subcommand is not None:
            built = [{"name": subcommand, "type": 1, "options": built}]
        data: dict[str, Any] = {"id": snowflake(), "name": name, "type": 1, "options": built}
        if resolved:
            data["resolved"] = resolved
        payload: dict[str, Any] = {
            "id": snowflake(age),
            "application_id": self.application_id,
            "type": 2 if focused is None else 4,
            "data": data,
            "token": f"interaction-token-{snowflake()}",
            "version": 1,
            "locale": locale,
            "app_permissions": str(ALL_MEMBER_PERMISSIONS),
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild_id or self.guild_id},
            "attachment_size_limit": attachment_size_limit,
            "channel_id": channel_id or self.channel_id,
        }
        user = user or self.member
        if place == "foreign":
            guild_id, channel_id = guild_id or self.foreign_guild_id, channel_id or self.foreign_channel_id
            payload.update(authorizing_integration_owners={"1": user["id"]}, channel_id=channel_id)
        if place in ("guild", "foreign"):
            data["guild_id"] = guild_id or self.guild_id
            payload.update(
                guild_id=guild_id or self.guild_id,
                guild_locale="en-US",
                context=0,
                member=self.member_payload(user),
                channel={
                    "id": channel_id or self.channel_id,
                    "type": 0,
                    "guild_id": guild_id or self.guild_id,
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "flags": 0,
                },
            )
        else:
            payload.update(
                user=user,
                context=1,
                channel_id=self.dm_channel_id,
                authorizing_integration_owners={"1": user["id"]},
                channel={"id": self.dm_channel_id, "type": 1, "recipients": [user], "flags": 0},
            )
        return await self._send(payload, age=age)

    async def wait_for_reply(self, state: InteractionState, timeout: float = 20.0) -> StoredMessage:
        """The message a member finally sees: an immediate reply, a deferred reply once it carries
        its attachments and buttons (previews have no buttons), or a follow-up (which is how
        failures after a deferral arrive)."""

        def settled() -> StoredMessage | None:
            if state.followups:
                return state.followups[-1]
            original = state.original
            if original is None or state.original_deleted:
                return None
            if state.callback_type == 4 or (
                state.callback_type == 5 and original.payload["attachments"] and original.payload["components"]
            ):
                return original
            return None

        return await self.wait_for(settled, timeout)

    # Gateway ----------------------------------------------------------------------------------
