"""The async Images API client, its errors and the model table."""

from bot.images.client import GeneratedImage, ImagesClient, ImagesResult, InputImage, StreamEvent, TokenUsage
from bot.images.errors import ImagesError
from bot.images.models import ModelRegistry, ModelSpec

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
]
