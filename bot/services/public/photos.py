"""Photos residents attach: JPEG or PNG only, by their first bytes, at most 5 MB.

A photo is saved under the data directory's ``public/`` folder named by its sha256, so the
same picture sent twice is stored once and a file name given by a browser is never used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from bot.services.public import texts

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# What the file starts with, whatever it is called or claims to be.
_MAGIC = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png"))


class PhotoRefused(ValueError):
    """The photo cannot be taken; `text` says why, in Chinese."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class Photo:
    """A checked photo, not yet on disk."""

    data: bytes
    suffix: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_photo(data: bytes) -> Photo:
    """The photo if it is a JPEG or PNG of at most 5 MB, else PhotoRefused."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused(texts.PHOTO_TOO_BIG.format(limit=MAX_PHOTO_BYTES // (1024 * 1024)))
    for magic, suffix in _MAGIC:
        if data.startswith(magic):
            return Photo(data, suffix)
    raise PhotoRefused(texts.PHOTO_NOT_IMAGE)


def save_photo(data_dir: Path, photo: Photo) -> Path:
    """Write the photo under ``<data_dir>/public/<sha256>.<jpg|png>`` (atomically) once."""
    path = data_dir / "public" / f"{photo.sha256}{photo.suffix}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(path.suffix + ".part")
        part.write_bytes(photo.data)
        part.replace(path)  # a crash never leaves half a photo under its hash
    return path


LINK_PREFIXES = ("http://", "https://")


def is_link(stored: str | None) -> bool:
    """A report's photo that is a link an Open311 client gave (never fetched from here)."""
    return bool(stored) and str(stored).startswith(LINK_PREFIXES)


def local_photo(stored: str | None) -> Path | None:
    """The photo a resident uploaded here, on disk; None for no photo, a link or a lost file."""
    if not stored or is_link(stored):
        return None
    path = Path(stored)
    return path if path.is_file() else None
