"""Delegate photos: a ZIP (or folder) of images named by delegate code, all or none.

`DB0001.jpg`, `db0001.png`, `ảnh/DB0001.JPEG` all go to the delegate with the code DB0001. Each
image is checked by its content (JPEG or PNG that decodes), turned upright by its EXIF
orientation, scaled down to at most 900 x 1200 and stored once as JPEG in the content-addressed
store. Any unknown code, duplicate or unreadable image refuses the whole batch, with a report.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress import audit
from congress.archives import BoundedZip, ZipBounds
from congress.errors import CongressError
from congress.filetypes import sniff
from congress.i18n import N_
from congress.limits import Limits
from congress.models import Congress, Delegate
from congress.storage import FileStore, store_file

MAX_SIDE = (900, 1200)
DEFAULT_LIMITS = Limits()
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


class ZipPhotos(Mapping[str, bytes]):
    """The image files of a ZIP by their path inside it, each unpacked only when it is asked for,
    so one photo at a time is in memory, whatever the archive holds."""

    def __init__(self, archive: BoundedZip) -> None:
        self._archive = archive
        self._members = {
            m.filename: m
            for m in archive.files
            if PurePosixPath(m.filename).suffix.lower() in IMAGE_SUFFIXES
            and not PurePosixPath(m.filename).name.startswith(".")
            and "__MACOSX" not in m.filename
        }

    def __getitem__(self, name: str) -> bytes:
        return self._archive.read(self._members[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)


def files_of_zip(source: bytes | IO[bytes], limits: Limits = DEFAULT_LIMITS) -> ZipPhotos:
    """The image files of a ZIP (folders and other files ignored), within the archive bounds."""
    return ZipPhotos(
        BoundedZip(
            source,
            ZipBounds(
                limits.archive_entries, limits.archive_entry_bytes, limits.archive_total_bytes
            ),
        )
    )


class _BadImage(ValueError):
    """An image refused; the argument is a msgid."""


def _normalise(data: bytes, limits: Limits) -> bytes:
    if len(data) > limits.archive_entry_bytes or not data:
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
    session: Session,
    store: FileStore,
    congress: Congress,
    files: Mapping[str, bytes],
    actor: str,
    limits: Limits = DEFAULT_LIMITS,
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
            ready[code] = (delegate, _normalise(files[name], limits))
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
