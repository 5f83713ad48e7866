"""Small real image files for upload tests."""

from __future__ import annotations

import io

from PIL import Image


def png_bytes(size: tuple[int, int] = (8, 8), color: str = "#3366cc") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(
    size: tuple[int, int] = (64, 48), color: str = "#cc6633", exif: dict[int, object] | None = None
):
    """A real JPEG, optionally with EXIF tags (tag number -> value), as a camera would write them."""
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    extra = {}
    if exif:
        tags = Image.Exif()
        for tag, value in exif.items():
            tags[tag] = value
        extra["exif"] = tags.tobytes()
    image.save(buffer, format="JPEG", **extra)
    return buffer.getvalue()


def webp_header_with_garbage() -> bytes:
    """Starts like a WebP file ("RIFF", size, "WEBPVP8 ") and goes on with bytes that are not a picture."""
    body = b"WEBPVP8 " + (200).to_bytes(4, "little") + b"\x9d\x01\x2a" + b"not a picture at all " * 10
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header declares `width` x `height` pixels (a decompression bomb:
    decoding it would need gigabytes). Only the header is valid; nothing should ever get past it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
