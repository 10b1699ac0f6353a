"""Thumbnails of evidence photos for the console (made once, kept beside the originals)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

SIZE = (320, 320)


def thumbnail(original: Path, folder: Path) -> Path | None:
    """A small JPEG of `original` (cached by the original's name), or None if it is no image."""
    target = folder / f"{original.stem}.jpg"
    if target.exists():
        return target
    try:
        with Image.open(original) as image:
            image.thumbnail(SIZE)
            folder.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            image.convert("RGB").save(partial, "JPEG", quality=80)
            partial.replace(target)
    except (UnidentifiedImageError, OSError):
        return None
    return target
