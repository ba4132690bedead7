"""A corpus of hostile image files, made by code so that it is the same in every run.

`python -m tests.corpus DIR` writes them to DIR; the tests take `hostile_files()` directly.
Each file carries the content type a member's client would declare for it (sometimes wrongly).
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp", "BMP": "image/bmp"}
FORMATS["TIFF"] = "image/tiff"
BOMB_SIDES = [
    (8_001, 8_001),
    (12_000, 12_000),
    (20_000, 20_000),
    (65_535, 65_535),
    (100_000, 1_000),
    (1_000, 100_000),
    (16_383, 16_383),
    (1_000_000, 1_000_000),
]


@dataclass(frozen=True)
class HostileFile:
    kind: str  # the attack class, as docs/reliability.md counts them
    name: str
    data: bytes
    content_type: str


def _image(mode: str = "RGB", size: tuple[int, int] = (64, 48), seed: int = 0) -> Image.Image:
    noise = random.Random(seed).randbytes(size[0] * size[1] * len(mode if mode != "P" else "L"))
    return Image.frombytes(mode if mode != "P" else "L", size, noise).convert(mode)


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with a few real rows of data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (min(width, 4096) + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(_save(_image(), "JPEG"))
    marker = data.index(b"\xff\xc0")
    data[marker + 5 : marker + 9] = struct.pack(">HH", min(height, 65_535), min(width, 65_535))
    return bytes(data)


def _gif_claiming(width: int, height: int) -> bytes:
    data = bytearray(_save(_image("P"), "GIF"))
    data[6:10] = struct.pack("<HH", min(width, 65_535), min(height, 65_535))
    descriptor = data.index(b"\x2c", 13)
    data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", min(width, 65_535), min(height, 65_535))
    return bytes(data)


def _bmp_claiming(width: int, height: int) -> bytes:
    data = bytearray(_save(_image(), "BMP"))
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def _webp_claiming(width: int, height: int) -> bytes:
    """A lossless WebP whose VP8L header claims up to 16384 x 16384 (the format's largest)."""
    data = bytearray(_save(_image(), "WEBP", lossless=True))
    assert data[8:16] == b"WEBPVP8L" and data[20] == 0x2F
    rest = struct.unpack("<I", data[21:25])[0] & 0xF0000000  # alpha and version bits
    bits = (min(width, 16_384) - 1) | ((min(height, 16_384) - 1) << 14)
    data[21:25] = struct.pack("<I", bits | rest)
    return bytes(data)


def _tiff_claiming(width: int, height: int) -> bytes:
    """A baseline grey TIFF whose tags claim width x height, with one short strip."""
    strip = b"\x00" * 64
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 8 + 2 + 12 * 8 + 4),
        (278, 4, 1, height),
        (279, 4, 1, len(strip)),
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHII", tag, kind, count, value)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + strip


_CLAIMING = {
    "PNG": _png_claiming,
    "JPEG": _jpeg_claiming,
    "GIF": _gif_claiming,
    "BMP": _bmp_claiming,
    "WEBP": _webp_claiming,
    "TIFF": _tiff_claiming,
}


def _truncated() -> Iterator[HostileFile]:
    for fmt, content_type in FORMATS.items():
        whole = _save(_image("RGB" if fmt != "GIF" else "P", (96, 96), seed=1), fmt)
        for cut in range(1, 100, 5):
            size = max(1, len(whole) * cut // 100)
            yield HostileFile("truncated", f"truncated-{cut}pct.{fmt.lower()}", whole[:size], content_type)


def _bombs() -> Iterator[HostileFile]:
    for fmt, make in _CLAIMING.items():
        for width, height in BOMB_SIDES:
            yield HostileFile("decompression bomb", f"bomb-{width}x{height}.{fmt.lower()}", make(width, height), "")
    # a real, small file that inflates to 30,000 x 30,000 pixels
    deflated = zlib.compress(b"\x00" * (30_001 * 64), 9)
    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 0, 0, 0, 0)
    real = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", deflated) + _chunk(b"IEND", b"")
    yield HostileFile("decompression bomb", "bomb-zlib.png", real, "image/png")


def _odd_shapes() -> Iterator[HostileFile]:
    for fmt in ("PNG", "GIF", "TIFF", "BMP"):
        mode = "P" if fmt == "GIF" else "L"
        for size in ((1, 65_535), (65_535, 1), (2, 40_000), (40_000, 2), (1, 1), (16, 12_001), (12_001, 16)):
            image = Image.new(mode, size, 128)
            yield HostileFile("extreme shape", f"shape-{size[0]}x{size[1]}.{fmt.lower()}", _save(image, fmt), "")


def _odd_modes() -> Iterator[HostileFile]:
    sixteen = Image.frombytes("I;16", (64, 48), random.Random(2).randbytes(64 * 48 * 2))
    for fmt in ("PNG", "TIFF"):
        yield HostileFile("16-bit", f"sixteen-bit.{fmt.lower()}", _save(sixteen, fmt), FORMATS[fmt])
    yield HostileFile("16-bit", "thirty-two-bit.tiff", _save(sixteen.convert("I"), "TIFF"), "image/tiff")
    yield HostileFile("16-bit", "float.tiff", _save(sixteen.convert("F"), "TIFF"), "image/tiff")
    for fmt in ("JPEG", "TIFF"):
        for seed in range(3):
            cmyk = _image("CMYK", (64, 48), seed)
            yield HostileFile("CMYK", f"cmyk-{seed}.{fmt.lower()}", _save(cmyk, fmt), FORMATS[fmt])
    for fmt in ("PNG", "GIF"):
        for seed in range(4):
            palette = _image("P", (64, 48), seed)
            options = {"transparency": seed * 40}
            data = _save(palette, fmt, **options)
            yield HostileFile("palette with transparency", f"palette-{seed}.{fmt.lower()}", data, FORMATS[fmt])
    for mode in ("1", "L", "LA", "I", "RGBA", "YCbCr", "HSV", "LAB"):
        image = _image("RGB", (32, 32), 5).convert(mode)
        fmt = "TIFF" if mode in {"YCbCr", "LAB", "HSV", "I"} else "PNG"
        if mode in {"HSV"}:
            fmt = "PNG"
            image = image.convert("RGB")
        yield HostileFile("unusual mode", f"mode-{mode}.{fmt.lower()}", _save(image, fmt), "")


def _animated() -> Iterator[HostileFile]:
    frames = [_image("RGB", (48, 48), seed) for seed in range(6)]
    for fmt, options in (("GIF", {}), ("WEBP", {}), ("PNG", {"default_image": False})):
        for count in (2, 6):
            data = _save(frames[0], fmt, save_all=True, append_images=frames[1:count], duration=50, loop=0, **options)
            yield HostileFile("animated", f"animated-{count}.{fmt.lower()}", data, FORMATS[fmt])


def _rotated() -> Iterator[HostileFile]:
    image = _image("RGB", (80, 40), 7)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        yield HostileFile("EXIF-rotated", f"exif-{orientation}.jpg", _save(image, "JPEG", exif=exif), "image/jpeg")
    exif = Image.Exif()
    exif[0x0112] = 99
    yield HostileFile("EXIF-rotated", "exif-invalid.jpg", _save(image, "JPEG", exif=exif), "image/jpeg")


def _empty_and_mislabelled() -> Iterator[HostileFile]:
    for content_type in ("image/png", "image/jpeg", "", "application/octet-stream"):
        yield HostileFile("zero-byte", f"empty-{content_type.replace('/', '-') or 'none'}.png", b"", content_type)
    png = _save(_image(), "PNG")
    for content_type in ("image/jpeg", "text/plain", "application/pdf", "image/svg+xml", "video/mp4"):
        name = f"png-as-{content_type.replace('/', '-').replace('+', '-')}.jpg"
        yield HostileFile("wrong content type", name, png, content_type)


def _not_images() -> Iterator[HostileFile]:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="1" height="1"/></svg>'
    yield HostileFile("SVG", "drawing.svg", svg, "image/svg+xml")
    yield HostileFile("SVG", "drawing-as-png.png", svg, "image/png")
    yield HostileFile("SVG", "script.svg", b"<svg onload=alert(1)><script>alert(2)</script></svg>", "image/svg+xml")
    for brand in (b"heic", b"heix", b"mif1", b"avif"):
        box = struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x00\x00" + b"mif1" + brand
        body = box + struct.pack(">I", 16) + b"mdat" + random.Random(brand).randbytes(8)
        yield HostileFile("HEIC", f"photo-{brand.decode()}.heic", body, "image/heic")
    for seed in range(40):
        data = random.Random(seed).randbytes(random.Random(seed).randint(1, 4096))
        yield HostileFile("random bytes", f"noise-{seed}.png", data, "image/png")
    for text in (
        b"hello",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"PK\x03\x04" + b"\x00" * 30,
        b"\x7fELF\x02\x01\x01",
    ):
        yield HostileFile("not an image", f"other-{text[:4].hex()}.png", text, "image/png")


def _polyglots() -> Iterator[HostileFile]:
    png, jpeg, gif = _save(_image(), "PNG"), _save(_image(), "JPEG"), _save(_image("P"), "GIF")
    zip_tail = b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"\x00" * 20 + b"PK\x05\x06" + b"\x00" * 18
    yield HostileFile("polyglot", "png-zip.png", png + zip_tail, "image/png")
    yield HostileFile("polyglot", "jpeg-zip.jpg", jpeg + zip_tail, "image/jpeg")
    yield HostileFile("polyglot", "gif-js.gif", b"GIF89a/*" + gif[8:] + b"*/=alert(1);", "image/gif")
    yield HostileFile("polyglot", "jpeg-html.jpg", jpeg + b"<html><script>alert(1)</script></html>", "image/jpeg")
    yield HostileFile("polyglot", "pdf-png.png", b"%PDF-1.4\n" + png, "image/png")
    yield HostileFile("polyglot", "png-in-png.png", png + png, "image/png")
    yield HostileFile("polyglot", "html-then-png.png", b"<html>" + png, "image/png")
    yield HostileFile("polyglot", "png-phar.png", png + b"<?php __HALT_COMPILER(); ?>", "image/png")


def _layered_psd(width: int, height: int, layers: int) -> bytes:
    """A Photoshop file with `layers` layers (Pillow numbers them from frame 1, not 0)."""
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, height, width, 8, 3)
    records, pixels = b"", b""
    for index in range(layers):
        channel = struct.pack(">H", 0) + bytes([(index * 40 + 60) % 256]) * (width * height)
        records += struct.pack(">iiiiH", 0, 0, height, width, 3)
        records += b"".join(struct.pack(">hI", channel_id, len(channel)) for channel_id in (0, 1, 2))
        name = f"layer {index}".encode()
        extra = struct.pack(">II", 0, 0) + bytes([len(name)]) + name
        extra += b"\0" * (-len(extra) % 4)
        records += b"8BIMnorm" + bytes([255, 0, 0, 0]) + struct.pack(">I", len(extra)) + extra
        pixels += channel * 3
    info = struct.pack(">h", layers) + records + pixels
    info += b"\0" * (-len(info) % 2)
    section = struct.pack(">I", len(info)) + info + struct.pack(">I", 0)
    composite = struct.pack(">H", 0) + random.Random(layers).randbytes(3 * width * height)
    return header + struct.pack(">II", 0, 0) + struct.pack(">I", len(section)) + section + composite


def _dds(four_cc: bytes) -> bytes:
    """A DDS texture in a pixel format Pillow does not implement."""
    header = struct.pack("<7I", 124, 0x1007, 64, 64, 0, 0, 0) + b"\0" * 44
    header += struct.pack("<2I4s5I", 32, 4, four_cc, 0, 0, 0, 0, 0) + struct.pack("<5I", 0x1000, 0, 0, 0, 0)
    return b"DDS " + header + b"\0" * 4096


def _icns_bomb(width: int, height: int) -> bytes:
    """An icon set whose 1024-pixel entry is a PNG claiming far more: caught only when loaded."""
    png = _png_claiming(width, height)
    entry = b"ic10" + struct.pack(">I", len(png) + 8) + png
    return b"icns" + struct.pack(">I", len(entry) + 8) + entry


def _other_formats() -> Iterator[HostileFile]:
    """Formats whose first frame is not frame 0, pixel formats Pillow cannot decode, and a bomb
    that only loading finds: the ten real files that once reached "something went wrong"."""
    for layers in (1, 2, 3):
        yield HostileFile("PSD", f"layers-{layers}.psd", _layered_psd(64, 48, layers), "image/vnd.adobe.photoshop")
    for side in (64, 100):
        yield HostileFile(
            "SPIDER", f"scan-{side}.spi", _save(_image("L", (side, side)).convert("F"), "SPIDER"), "image/x-spider"
        )
    for four_cc in (b"ATI9", b"UYVY", b"XYZW"):
        yield HostileFile("DDS", f"texture-{four_cc.decode().lower()}.dds", _dds(four_cc), "image/vnd-ms.dds")
    for side in (30_000, 60_000):
        yield HostileFile("decompression bomb", f"bomb-{side}.icns", _icns_bomb(side, side), "image/icns")


def hostile_files() -> list[HostileFile]:
    makers = (
        _truncated,
        _bombs,
        _odd_shapes,
        _odd_modes,
        _animated,
        _rotated,
        _empty_and_mislabelled,
        _not_images,
        _polyglots,
        _other_formats,
    )
    return [item for make in makers for item in make()]


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    folder.mkdir(parents=True, exist_ok=True)
    files = hostile_files()
    for item in files:
        (folder / item.name).write_bytes(item.data)
    print(f"wrote {len(files)} files to {folder}")
