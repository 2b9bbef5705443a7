"""Delegate photos: a ZIP (or folder) of images named by delegate code, all or none.

`DB0001.jpg`, `db0001.png`, `ảnh/DB0001.JPEG` all go to the delegate with the code DB0001. Each
image is checked by its content (JPEG or PNG that decodes), turned upright by its EXIF
orientation, scaled down to at most 900 x 1200 and stored once as JPEG in the content-addressed
store. Any unknown code, duplicate or unreadable image refuses the whole batch, with a report.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress import audit
from congress.errors import CongressError
from congress.filetypes import sniff
from congress.i18n import N_
from congress.models import Congress, Delegate
from congress.storage import FileStore, store_file

MAX_SIDE = (900, 1200)
MAX_FILES = 5000
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a decompression bomb is refused, not decoded
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


@dataclass
class PhotoProblem:
    name: str
    message: str  # msgid
    params: dict[str, Any] = field(default_factory=dict)


REFUSED = N_("No photo was stored: %(count)s file(s) have problems")


class PhotosRefused(CongressError):
    def __init__(self, problems: list[PhotoProblem]) -> None:
        super().__init__(
            "photos_refused",
            REFUSED,
            status=422,
            count=len(problems),
        )
        self.problems = problems


def files_of_zip(data: bytes) -> dict[str, bytes]:
    """The image files of a ZIP, by their path inside it (folders and other files ignored)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise CongressError("not_a_zip", "The file is not a ZIP archive") from exc
    members = [
        m
        for m in archive.infolist()
        if not m.is_dir()
        and PurePosixPath(m.filename).suffix.lower() in IMAGE_SUFFIXES
        and not PurePosixPath(m.filename).name.startswith(".")
        and "__MACOSX" not in m.filename
    ]
    if len(members) > MAX_FILES:
        raise CongressError("too_many_photos", "At most %(max)s photos at once", max=MAX_FILES)
    files = {}
    for member in members:
        if member.file_size > MAX_IMAGE_BYTES:
            files[member.filename] = b""  # reported as too large below
            continue
        files[member.filename] = archive.read(member)
    return files


class _BadImage(ValueError):
    """An image refused; the argument is a msgid."""


def _normalise(data: bytes) -> bytes:
    if len(data) > MAX_IMAGE_BYTES or not data:
        raise _BadImage("The image is empty or larger than 20 MB")
    if sniff(data) not in ("jpeg", "png"):
        raise _BadImage("Not a JPEG or PNG image")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise _BadImage("The image is too large in pixels")
            image.load()
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise _BadImage("The image cannot be read") from exc
    upright.thumbnail(MAX_SIDE)
    out = io.BytesIO()
    upright.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def import_photos(
    session: Session, store: FileStore, congress: Congress, files: dict[str, bytes], actor: str
) -> int:
    """Attach each photo to its delegate; returns how many delegates got a photo."""
    if not files:
        raise CongressError("no_photos", "There is no JPEG or PNG photo in the file")
    by_code = {
        d.code.lower(): d
        for d in session.scalars(select(Delegate).where(Delegate.congress_id == congress.id))
    }
    problems: list[PhotoProblem] = []
    ready: dict[str, tuple[Delegate, bytes]] = {}
    for name in sorted(files):
        code = PurePosixPath(name).stem.strip().lower()
        delegate = by_code.get(code)
        if delegate is None:
            problems.append(
                PhotoProblem(name, "No delegate with the code %(code)s", {"code": code})
            )
            continue
        if code in ready:
            problems.append(PhotoProblem(name, "A second photo for %(code)s", {"code": code}))
            continue
        try:
            ready[code] = (delegate, _normalise(files[name]))
        except _BadImage as exc:
            problems.append(PhotoProblem(name, str(exc)))
    if problems:
        raise PhotosRefused(problems)
    for delegate, jpeg in ready.values():
        delegate.photo_sha256 = store_file(session, store, jpeg, "image/jpeg").sha256
    audit.record(
        session,
        actor,
        "delegates.photos",
        congress_id=congress.id,
        subject=congress.slug,
        count=len(ready),
    )
    return len(ready)
