"""The async Images API client, its errors and the model table."""

from bot.images.client import ImagesClient
from bot.images.errors import ImagesError
from bot.images.models import ModelRegistry, ModelSpec, control_character_problem
from bot.images.results import GeneratedImage, ImagesResult, InputImage, StreamEvent, TokenUsage

__all__ = [
    "GeneratedImage",
    "ImagesClient",
    "ImagesError",
    "ImagesResult",
    "InputImage",
    "ModelRegistry",
    "ModelSpec",
    "StreamEvent",
    "TokenUsage",
    "control_character_problem",
]
