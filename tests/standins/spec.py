"""Validation of requests and responses against the OpenAPI documents in `tests/specs/`.

The stand-ins call `validate_request` on everything the bot sends and `validate_response` on
everything they answer, so neither the bot nor the stand-ins can drift from the real APIs.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPECS_DIR = Path(__file__).resolve().parents[1] / "specs"
OPENAI_IMAGES = "openai-images.openapi.yaml"
OPENAI_MODELS = "openai-models.openapi.yaml"
DISCORD = "discord-interactions.openapi.json"


class SpecViolation(AssertionError):
    """A request or response that the API document does not allow."""


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pointer: str
    data: dict[str, Any]
    parameters: tuple[tuple[str, dict[str, Any], str], ...]

    @property
    def operation_id(self) -> str:
        return str(self.data.get("operationId", f"{self.method} {self.template}"))


class OpenAPISpec:
    def __init__(self, path: Path, *, server_prefix: str, integer_snowflakes: bool = False) -> None:
        text = path.read_text(encoding="utf-8")
        self.document: dict[str, Any] = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        if integer_snowflakes:
            schemas = self.document["components"]["schemas"]
            schemas["SnowflakeType"] = {"anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]}
        self.uri = f"urn:imagebot-spec:{path.name}:{integer_snowflakes}"
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry: Registry = Registry().with_resource(self.uri, resource)
        self.server_prefix = server_prefix.rstrip("/")
        self._operations: list[tuple[re.Pattern[str], Operation]] = []
        self._validators: dict[str, OAS31Validator] = {}
        for template, item in self.document["paths"].items():
            regex = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")
            shared_parameters = item.get("parameters", [])
            for method, data in item.items():
                if method not in {"get", "post", "put", "patch", "delete"}:
                    continue
                pointer = f"/paths/{_escape(template)}/{method}"
                parameters = []
                for index, parameter in enumerate(data.get("parameters", [])):
                    parameters.append((parameter, f"{pointer}/parameters/{index}/schema"))
                for index, parameter in enumerate(shared_parameters):
                    parameters.append((parameter, f"/paths/{_escape(template)}/parameters/{index}/schema"))
                self._operations.append(
                    (
                        regex,
                        Operation(
                            method.upper(),
                            template,
                            pointer,
                            data,
                            tuple((p["name"], p, schema_pointer) for p, schema_pointer in parameters),
                        ),
                    )
                )

    def _validator(self, pointer: str) -> OAS31Validator:
        validator = self._validators.get(pointer)
        if validator is None:
            validator = self._validators[pointer] = OAS31Validator(
                {"$ref": f"{self.uri}#{pointer}"}, registry=self.registry, format_checker=OAS31Validator.FORMAT_CHECKER
            )
        return validator

    def check(self, pointer: str, instance: Any, where: str) -> None:
        errors = sorted(self._validator(pointer).iter_errors(instance), key=lambda error: len(list(error.path)))
        if errors:
            best = errors[0]
            location = "/".join(str(part) for part in best.absolute_path) or "(body)"
            raise SpecViolation(f"{where}: {location}: {best.message[:400]}")

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        if not path.startswith(self.server_prefix):
            raise SpecViolation(f"{method} {path}: not under {self.server_prefix}")
        relative = path[len(self.server_prefix) :] or "/"
        for regex, operation in self._operations:
            match = regex.match(relative)
            if match and operation.method == method:
                return operation, match.groupdict()
        raise SpecViolation(f"{method} {relative}: no such operation in the API document")

    def _schema_at(self, pointer: str) -> dict[str, Any]:
        node: Any = self.document
        for token in pointer.strip("/").split("/"):
            key = token.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        while isinstance(node, dict) and "$ref" in node:
            node = self._schema_at(node["$ref"].removeprefix("#"))
        return node

    def _coerce(self, value: str, schema_pointer: str) -> Any:
        schema = self._schema_at(schema_pointer)
        kinds = schema.get("type", "string")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "boolean" in kinds and value.lower() in {"true", "false", "1", "0"}:
            return value.lower() in {"true", "1"}
        if "integer" in kinds and re.fullmatch(r"-?\d+", value):
            return int(value)
        return value

    def validate_request(
        self, method: str, path: str, query: Mapping[str, str], content_type: str | None, body: Any
    ) -> Operation:
        """Check the path, query and body of a request; return the operation it calls."""
        operation, path_values = self.find(method, path)
        where = f"{operation.operation_id} request"
        for name, parameter, schema_pointer in operation.parameters:
            source = path_values if parameter.get("in") == "path" else query if parameter.get("in") == "query" else None
            if source is None:
                continue
            if name not in source:
                if parameter.get("required"):
                    raise SpecViolation(f"{where}: missing {parameter['in']} parameter {name}")
                continue
            self.check(schema_pointer, self._coerce(source[name], schema_pointer), f"{where} {parameter['in']} {name}")
        known_query = {name for name, parameter, _ in operation.parameters if parameter.get("in") == "query"}
        unknown = set(query) - known_query
        if unknown:
            raise SpecViolation(f"{where}: unknown query parameters {sorted(unknown)}")
        request_body = operation.data.get("requestBody")
        if request_body is None:
            if body not in (None, b"", ""):
                raise SpecViolation(f"{where}: this operation takes no body")
            return operation
        if body is None:
            if request_body.get("required"):
                raise SpecViolation(f"{where}: a body is required")
            return operation
        media = (content_type or "").split(";")[0].strip()
        if media not in request_body["content"]:
            raise SpecViolation(f"{where}: content type {media!r} is not one of {sorted(request_body['content'])}")
        self.check(f"{operation.pointer}/requestBody/content/{_escape(media)}/schema", body, where)
        return operation

    def validate_response(self, operation: Operation, status: int, content_type: str | None, body: Any) -> None:
        responses = operation.data.get("responses", {})
        key = next((k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None)
        if key is None:
            raise SpecViolation(f"{operation.operation_id} response: status {status} is not documented")
        pointer = f"{operation.pointer}/responses/{key}"
        response = responses[key]
        if "$ref" in response:
            pointer = response["$ref"].removeprefix("#")
            response = self._schema_at(pointer)
        content = response.get("content")
        if not content:
            return
        media = (content_type or "").split(";")[0].strip()
        if media not in content:
            raise SpecViolation(f"{operation.operation_id} response: content type {media!r} not in {sorted(content)}")
        self.check(f"{pointer}/content/{_escape(media)}/schema", body, f"{operation.operation_id} response {status}")


@functools.cache
def load_spec(name: str, server_prefix: str, *, integer_snowflakes: bool = False) -> OpenAPISpec:
    """The document at `tests/specs/name`. `integer_snowflakes` accepts ids sent as JSON
    integers, which Discord takes on input (discord.py sends `{"id": 0}` for a new upload)
    though the preview document types every snowflake as a string; use it for requests only."""
    return OpenAPISpec(SPECS_DIR / name, server_prefix=server_prefix, integer_snowflakes=integer_snowflakes)
