"""Small real image files for upload tests."""

from __future__ import annotations

import io

from PIL import Image


def png_bytes(size: tuple[int, int] = (8, 8), color: str = "#3366cc") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()
