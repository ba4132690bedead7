"""The Discord stand-in's REST operations: each validated against Discord's document, with its rules."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from typing import Any

from aiohttp import web

from tests.standins.discord_data import (
    COMPONENTS_V2,
    EPHEMERAL,
    Call,
    DiscordError,
    EdgeAnswer,
    InteractionState,
    StoredMessage,
    check_components_v2,
    content_type_of,
    now_iso,
    pings_in,
    response_components,
    snowflake,
    user_payload,
)
from tests.standins.spec import SpecViolation

ARRIVED = web.RequestKey("arrived", float)


def _drop_localizations(item: dict[str, Any]) -> None:
    """Remove the localization dictionaries from a command, option or choice, and from what it holds."""
    item.pop("name_localizations", None)
    item.pop("description_localizations", None)
    for inner in (*item.get("options", []), *item.get("choices", [])):
        _drop_localizations(inner)


class RestOperations:
    """`/api/v10` operations, one `_op_<operationId>` method each, and the CDN for attachments."""

    async def _read_body(self, request: web.Request) -> tuple[Any, dict[str, bytes], Any]:
        """(body for handlers, uploaded files by field name, body as the spec sees it)."""
        if request.content_type == "multipart/form-data":
            body: Any = None
            files: dict[str, bytes] = {}
            reader = await request.multipart()
            async for part in reader:
                data = bytes(await part.read(decode=False))
                if part.name == "payload_json":
                    body = json.loads(data)
                elif part.filename is not None and part.name:
                    files[part.name] = data
            spec_body = dict(body or {})
            spec_body.update({name: "<binary>" for name in files})
            return body or {}, files, spec_body
        if request.can_read_body:
            body = await request.json()
            return body, {}, body
        return None, {}, None

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        arrived = request[ARRIVED] = time.monotonic()
        headers: dict[str, str] = {}
        if self.latency:
            await asyncio.sleep(self.latency)
        body, files, spec_body = await self._read_body(request)
        try:
            if not self.schema_checks:
                operation = self.request_spec.find(request.method, request.path)[0]
            else:
                operation = self.request_spec.validate_request(
                    request.method,
                    request.path,
                    dict(request.query),
                    request.content_type if spec_body is not None else None,
                    spec_body,
                )
        except SpecViolation as exc:
            self.violations.append(str(exc))
            return web.json_response({"message": f"Invalid Form Body: {exc}", "code": 50035}, status=400)
        self.calls.append(Call(request.method, request.path, operation.operation_id, body, files, arrived))
        handler = getattr(self, f"_op_{operation.operation_id}", None)
        try:
            needs_token = not operation.template.startswith(
                ("/webhooks/{webhook_id}/{webhook_token}", "/interactions/")
            )
            if needs_token and request.headers.get("Authorization") != f"Bot {self.token}":
                raise DiscordError(401, 0, "401: Unauthorized")
            if handler is None:
                raise DiscordError(405, 0, f"the stand-in does not serve {operation.operation_id}")
            planned = self.planned_errors.get(operation.operation_id, [])
            if planned and (files or not planned[0][1]):
                raise planned.pop(0)[0]
            if files and self.upload_delay:
                await self._notify()  # the upload has arrived; its answer takes the delay
                await asyncio.sleep(self.upload_delay)
            status, answer = await handler(request, body or {}, files)
        except EdgeAnswer as exc:
            page, headers = exc.answer()
            await self._notify()
            return web.Response(text=str(page), status=exc.status, content_type="text/html", headers=headers)
        except DiscordError as exc:
            answer, headers = exc.answer()
            status = exc.status
        await self._notify()
        try:
            if self.schema_checks:
                self.spec.validate_response(
                    operation, status, "application/json" if answer is not None else None, answer
                )
        except SpecViolation as exc:
            self.violations.append(str(exc))
            raise
        if answer is None:
            return web.Response(status=status, headers=headers)
        return web.Response(
            body=json.dumps(answer).encode(), status=status, content_type="application/json", headers=headers
        )

    async def _op_get_my_user(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        return 200, {**self.bot_user, "mfa_enabled": False, "locale": "en-US", "verified": True}

    async def _op_get_my_oauth2_application(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        return 200, {
            "id": self.application_id,
            "name": "imagebot",
            "icon": None,
            "description": "",
            "type": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "flags_new": "0",
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": self.owner,
            "approximate_guild_count": 1,
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": self.bot_user,
            "rpc_origins": [],
        }

    async def _op_get_bot_gateway(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    def _store_commands(self, guild_id: str | None, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A bulk overwrite: the scope's list becomes `body`, each command as Discord keeps it. A
        command that was there already (same type and name) keeps its id; its version changes
        when the command does. Answered as a listing with localizations answers it."""
        before = {(command["type"], command["name"]): command for command in self.commands.get(guild_id, [])}
        stored = []
        for command in body:
            kept = self._kept_command(command, guild_id)
            previous = before.get((kept["type"], kept["name"]))
            if previous is not None:
                kept["id"] = previous["id"]
                if {**previous, "version": kept["version"]} == kept:
                    kept["version"] = previous["version"]
            stored.append(kept)
        self.commands[guild_id] = stored
        return self.listed_commands(guild_id, with_localizations=True)

    def _kept_command(self, command: dict[str, Any], guild_id: str | None) -> dict[str, Any]:
        """One command of a bulk overwrite as Discord answers it, with the defaults of its
        documentation (developers/docs/interactions/application-commands, "Application Command
        Object"): `type` 1; `description` an empty string for USER and MESSAGE commands; `nsfw`
        false; `integration_types` the application's configured contexts (here a server install,
        0) and `contexts` all three for a new command, both filled only for global commands;
        `dm_permission` (deprecated) true; `default_member_permissions` a string or null. Options
        keep `required` and `autocomplete` only when true (both default to false); null and empty
        fields are left out."""
        given = {key: value for key, value in command.items() if value is not None}
        kept: dict[str, Any] = {
            "id": snowflake(),
            "application_id": self.application_id,
            "version": snowflake(),
            "type": 1,
            "description": "",
            "nsfw": False,
            "dm_permission": True,
            **{key: value for key, value in given.items() if key != "options"},
            "default_member_permissions": None
            if command.get("default_member_permissions") is None
            else str(command["default_member_permissions"]),
            "name_localizations": given.get("name_localizations") or None,
            "description_localizations": given.get("description_localizations") or None,
        }
        if guild_id:
            kept["guild_id"] = guild_id
        else:
            kept.setdefault("integration_types", [0])
            kept.setdefault("contexts", [0, 1, 2])
        if given.get("options"):
            kept["options"] = [self._kept_option(option) for option in given["options"]]
        return kept

    def _kept_option(self, option: dict[str, Any]) -> dict[str, Any]:
        kept = {
            key: value
            for key, value in option.items()
            if value not in (None, [], {}) and not (key in ("required", "autocomplete") and value is False)
        }
        if kept.get("options"):
            kept["options"] = [self._kept_option(inner) for inner in kept["options"]]
        if kept.get("choices"):
            kept["choices"] = [
                {key: value for key, value in choice.items() if value not in (None, {})} for choice in kept["choices"]
            ]
        return kept

    def listed_commands(self, guild_id: str | None, *, with_localizations: bool) -> list[dict[str, Any]]:
        """The scope's commands as a listing answers them: without `with_localizations`, no
        localization dictionaries anywhere (Discord gives `name_localized` for the requester's
        locale instead, which a bot, sending no `X-Discord-Locale`, does not get)."""
        listed = copy.deepcopy(self.commands.get(guild_id, []))
        if not with_localizations:
            for command in listed:
                _drop_localizations(command)
        return listed

    def set_commands(self, guild_id: str | None, body: list[dict[str, Any]]) -> None:
        """Hold `body` as the scope's commands, as if a bulk overwrite had sent it (an older
        version of the bot, or an operator's `sync`)."""
        self._store_commands(guild_id, body)

    async def _op_list_application_commands(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        wanted = request.query.get("with_localizations", "false").lower() in ("true", "1")
        return 200, self.listed_commands(None, with_localizations=wanted)

    async def _op_list_guild_application_commands(self, request: web.Request, body: Any, files: Any):
        wanted = request.query.get("with_localizations", "false").lower() in ("true", "1")
        return 200, self.listed_commands(request.match_info["tail"].split("/")[3], with_localizations=wanted)

    async def _op_bulk_set_application_commands(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        return 200, self._store_commands(None, body)

    async def _op_bulk_set_guild_application_commands(self, request: web.Request, body: Any, files: Any):
        return 200, self._store_commands(request.match_info["tail"].split("/")[3], body)

    def _interaction(self, interaction_id: str, token: str) -> InteractionState:
        state = self.interactions.get(interaction_id)
        if state is None or state.token != token:
            raise DiscordError(404, 10062, "Unknown interaction")
        return state

    def _by_token(self, application_id: str, token: str) -> InteractionState:
        if application_id != self.application_id:
            raise DiscordError(404, 10015, "Unknown Webhook")
        for state in self.interactions.values():
            if state.token == token:
                if time.monotonic() - state.created + state.age > self.token_lifetime:
                    raise DiscordError(401, 50027, "Invalid Webhook Token")
                return state
        raise DiscordError(404, 10015, "Unknown Webhook")

    def _make_message(
        self,
        state: InteractionState,
        data: dict[str, Any],
        files: dict[str, bytes],
        previous: StoredMessage | None = None,
    ) -> StoredMessage:
        message_id = previous.id if previous else snowflake()
        flags = (previous.payload["flags"] if previous else 0) | (
            int(data.get("flags") or 0) & (EPHEMERAL | COMPONENTS_V2)
        )
        stored_files = dict(previous.files) if previous else {}
        attachments = list(previous.payload["attachments"]) if previous else []
        if "attachments" in data or files:
            kept = {str(item["id"]) for item in data.get("attachments", []) if str(item["id"]) in stored_files}
            attachments = [item for item in attachments if item["id"] in kept]
            for item in data.get("attachments", []):
                upload = files.get(f"files[{item['id']}]")
                if upload is None:
                    if str(item["id"]) not in stored_files:
                        raise DiscordError(400, 50035, f"attachment {item['id']} has no uploaded file")
                    continue
                attachment_id = snowflake()
                filename = item.get("filename") or f"file{item['id']}"
                if len(upload) > int(state.payload["attachment_size_limit"]):
                    raise DiscordError(413, 40005, "Request entity too large")
                stored_files[attachment_id] = upload
                url = f"{self.base_url}/attachments/{state.payload['channel_id']}/{attachment_id}/{filename}"
                attachments.append(
                    {
                        "id": attachment_id,
                        "filename": filename,
                        "size": len(upload),
                        "url": url,
                        "proxy_url": url,
                        "content_type": content_type_of(filename),
                    }
                )
        content = data.get("content", previous.payload["content"] if previous else "") or ""
        if data.get("components") is not None and flags & COMPONENTS_V2:
            check_components_v2(data["components"], {"content": content, "embeds": data.get("embeds")})
        payload = {
            "id": message_id,
            "type": 19 if previous is None and state.callback_type == 4 else 20,
            "channel_id": state.payload["channel_id"],
            "content": content,
            "author": self.bot_user,
            "attachments": attachments,
            "embeds": data.get("embeds", previous.payload["embeds"] if previous else []) or [],
            "components": response_components(data["components"], attachments)
            if data.get("components") is not None
            else (previous.payload["components"] if previous else []),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": previous.payload["timestamp"] if previous else now_iso(),
            "edited_timestamp": now_iso() if previous else None,
            "flags": flags,
            "webhook_id": self.application_id,
            "application_id": self.application_id,
        }
        history = [*previous.history, previous.payload] if previous else []
        message = StoredMessage(payload, stored_files, history=history)
        message.pings = pings_in(message.text, data.get("allowed_mentions"))
        self.messages[message.id] = message
        return message

    async def _op_create_interaction_response(self, request: web.Request, body: Any, files: Any):
        interaction_id, token = request.match_info["tail"].split("/")[1:3]
        state = self._interaction(interaction_id, token)
        if time.monotonic() - state.created > self.ack_deadline:
            raise DiscordError(404, 10062, "Unknown interaction")
        if state.callback_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        state.callback_type = int(body["type"])
        state.acknowledged = request[ARRIVED]
        state.callback_data = body.get("data") or {}
        if state.callback_type in (4, 5):
            state.original = self._make_message(state, state.callback_data, files)
        elif state.callback_type == 9:
            state.modal = state.callback_data
        elif state.callback_type == 7 and state.original is not None:
            state.original = self._make_message(state, state.callback_data, files, previous=state.original)
        if request.query.get("with_response") not in ("1", "true"):
            return 204, None
        interaction: dict[str, Any] = {"id": state.id, "type": state.payload["type"]}
        named = state.callback_type == 4 or self.deferral_names_message
        if state.callback_type in (4, 5) and state.original is not None and named:
            interaction.update(
                response_message_id=state.original.id,
                response_message_loading=state.callback_type == 5,
                response_message_ephemeral=state.original.ephemeral,
            )
        answer: dict[str, Any] = {"interaction": interaction}
        if state.callback_type == 4 and state.original is not None:
            answer["resource"] = {"type": 4, "message": state.original.payload}
        return 200, answer

    def _original(self, request: web.Request) -> tuple[InteractionState, StoredMessage]:
        application_id, token = request.match_info["tail"].split("/")[1:3]
        state = self._by_token(application_id, token)
        if state.original is None or state.original_deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        return state, state.original

    async def _op_update_original_webhook_message(self, request: web.Request, body: Any, files: Any):
        state, original = self._original(request)
        state.original = self._make_message(state, body, files, previous=original)
        return 200, state.original.payload

    async def _op_get_original_webhook_message(self, request: web.Request, body: Any, files: Any):
        return 200, self._original(request)[1].payload

    async def _op_delete_original_webhook_message(self, request: web.Request, body: Any, files: Any):
        state, _ = self._original(request)
        state.original_deleted = True
        return 204, None

    def _webhook_message(self, request: web.Request) -> tuple[InteractionState, StoredMessage]:
        application_id, token, _, message_id = request.match_info["tail"].split("/")[1:5]
        state = self._by_token(application_id, token)
        if state.original is not None and state.original.id == message_id and not state.original_deleted:
            return state, state.original
        for followup in state.followups:
            if followup.id == message_id:
                return state, followup
        raise DiscordError(404, 10008, "Unknown Message")

    async def _op_update_webhook_message(self, request: web.Request, body: Any, files: Any):
        state, message = self._webhook_message(request)
        edited = self._make_message(state, body, files, previous=message)
        if message is state.original:
            state.original = edited
        else:
            state.followups[state.followups.index(message)] = edited
        return 200, edited.payload

    async def _op_get_webhook_message(self, request: web.Request, body: Any, files: Any):
        return 200, self._webhook_message(request)[1].payload

    async def _op_delete_webhook_message(self, request: web.Request, body: Any, files: Any):
        state, message = self._webhook_message(request)
        if message is state.original:
            state.original_deleted = True
        else:
            state.followups.remove(message)
        return 204, None

    async def _op_execute_webhook(self, request: web.Request, body: Any, files: Any):
        application_id, token = request.match_info["tail"].split("/")[1:3]
        state = self._by_token(application_id, token)
        if state.callback_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        message = self._make_message(state, body, files)
        state.followups.append(message)
        return 200, message.payload

    async def _op_get_message(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        _, channel_id, _, message_id = request.match_info["tail"].split("/")
        if channel_id == self.foreign_channel_id:
            raise DiscordError(403, 50001, "Missing Access")
        message = self.messages.get(message_id)
        if message is None or message.payload["channel_id"] != channel_id:
            raise DiscordError(404, 10008, "Unknown Message")
        return 200, message.payload

    async def _op_create_dm(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        """The bot's DM channel with a user: the same channel each time it is asked for."""
        user_id = str(body.get("recipient_id"))
        if user_id == self.member["id"]:
            channel_id, user = self.dm_channel_id, self.member
        else:
            channel_id = self.dm_channels.setdefault(user_id, snowflake())
            user = user_payload(user_id, f"user{user_id[-4:]}")
        return 200, {"id": channel_id, "type": 1, "last_message_id": None, "flags": 0, "recipients": [user]}

    async def _op_create_message(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        channel_id = request.match_info["tail"].split("/")[1]
        if channel_id == self.foreign_channel_id:
            raise DiscordError(403, 50001, "Missing Access")
        if channel_id in self.closed_dm_channels:  # the member allows no DMs from server members' apps
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        self.check_bot_may_post(channel_id, files=bool(files), reply=bool(body.get("message_reference")))
        content = body.get("content") or ""
        stored: dict[str, bytes] = {}
        attachments = []
        for item in body.get("attachments") or []:
            attachments.append(
                self._stored_attachment(stored, channel_id, item["filename"], files[f"files[{item['id']}]"])
            )
        flags = int(body.get("flags") or 0) & COMPONENTS_V2
        if flags:
            check_components_v2(body.get("components") or [], body)
        reference = body.get("message_reference")
        replied = self.messages.get(str(reference["message_id"])) if reference else None
        payload = {
            "id": snowflake(),
            "type": 19 if replied is not None else 0,
            "channel_id": channel_id,
            "content": content,
            "author": self.bot_user,
            "attachments": attachments,
            "embeds": body.get("embeds") or [],
            "components": response_components(body.get("components") or [], attachments),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "flags": flags,
        }
        if replied is not None:
            payload["message_reference"] = {"type": 0, "message_id": replied.id, "channel_id": channel_id}
            payload["referenced_message"] = replied.payload
        message = StoredMessage(payload, stored)
        message.pings = pings_in(message.text, body.get("allowed_mentions"))
        if replied is not None and (body.get("allowed_mentions") or {}).get("replied_user"):
            message.pings.add(f"user:{replied.payload['author']['id']}")
        self.messages[message.id] = message
        self.channel_messages.setdefault(channel_id, []).append(message)
        return 200, payload

    def _stored_attachment(
        self, stored: dict[str, bytes], channel_id: str, filename: str, data: bytes, content_type: str | None = None
    ) -> dict:
        """An uploaded file kept in `stored` under a new id; its attachment object, on the CDN
        (`content_type` as the uploader declared it, else the filename's)."""
        attachment_id = snowflake()
        stored[attachment_id] = data
        url = f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{filename}"
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type or content_type_of(filename),
        }

    def _channel_message(self, request: web.Request) -> tuple[str, StoredMessage]:
        _, channel_id, _, message_id = request.match_info["tail"].split("/")[:4]
        message = self.messages.get(message_id)
        if message is None or message.payload["channel_id"] != channel_id or message.payload.get("deleted"):
            raise DiscordError(404, 10008, "Unknown Message")
        return channel_id, message

    async def _op_update_message(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        """Edit one of the bot's own channel messages: what the body names changes, the rest stays
        (an edit pings nobody). Components V2 may be turned on by an edit, never off."""
        channel_id, message = self._channel_message(request)
        if message.payload["author"]["id"] != self.bot_user["id"]:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        self.check_bot_may_post(channel_id, files=bool(files), reply=False)
        previous = message.payload
        flags = previous["flags"] | (int(body.get("flags") or 0) & COMPONENTS_V2)
        stored, attachments = dict(message.files), list(previous["attachments"])
        if "attachments" in body or files:
            kept = {str(item["id"]) for item in body.get("attachments") or [] if str(item["id"]) in stored}
            attachments = [item for item in attachments if item["id"] in kept]
            for item in body.get("attachments") or []:
                upload = files.get(f"files[{item['id']}]")
                if upload is None:
                    continue
                attachments.append(self._stored_attachment(stored, channel_id, item["filename"], upload))
        content = (body["content"] or "") if "content" in body else previous["content"]
        components = previous["components"]
        if body.get("components") is not None:
            if flags & COMPONENTS_V2:
                check_components_v2(body["components"], {"content": content, "embeds": body.get("embeds")})
            components = response_components(body["components"], attachments)
        payload = {
            **previous,
            "content": content,
            "attachments": attachments,
            "components": components,
            "flags": flags,
            "edited_timestamp": now_iso(),
        }
        edited = StoredMessage(payload, stored, message.pings, [*message.history, previous])
        self.messages[edited.id] = edited
        listing = self.channel_messages.setdefault(channel_id, [])
        listing[:] = [edited if item.id == edited.id else item for item in listing]
        return 200, payload

    async def _op_delete_message(self, request: web.Request, body: Any, files: Any) -> tuple[int, Any]:
        channel_id, message = self._channel_message(request)
        message.payload["deleted"] = True
        self.channel_messages[channel_id] = [
            item for item in self.channel_messages.get(channel_id, []) if item is not message
        ]
        return 204, None

    async def _attachment(self, request: web.Request) -> web.Response:
        attachment_id = request.match_info["attachment"]
        data = self._uploads.get(attachment_id)
        for message in self.messages.values():
            data = data if data is not None else message.files.get(attachment_id)
        if data is None:
            raise web.HTTPNotFound()
        self.cdn_downloads[attachment_id] += 1
        return web.Response(body=data, content_type=content_type_of(request.match_info["filename"]))
