"""Files written once: complete on disk before they appear, never replaced once they exist."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path


def write_once(target: Path, data: bytes, mode: int = 0o600) -> bool:
    """Write `data` at `target` unless a file is already there; True when this call wrote it.

    The bytes go to a temporary file in the same folder, are synced, then linked into place:
    link() refuses to replace an existing file, so two writers racing never clobber each
    other and a reader never sees half a file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(tmp)


def link_once(source: Path, target: Path, sha256: str) -> bool:
    """Put the file `source` at `target` as a hard link (the same bytes on disk, not a copy),
    when the file system allows it and the file holds the bytes of `sha256`; True when `target`
    now holds them (linked here or already there), False when the caller must copy them.

    The file becomes read-only (for everyone, `source` included: they are one file): a
    content-addressed store's file is never written again.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    os.close(fd)
    os.unlink(tmp)
    try:
        os.link(source, tmp)
    except OSError:  # another file system, or one without hard links
        return False
    try:
        with open(tmp, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
            os.fsync(fh.fileno())
        if digest != sha256:
            return False  # changed since it was hashed: the caller copies the bytes it has
        os.chmod(tmp, 0o444)
        try:
            os.link(tmp, target)
        except FileExistsError:
            pass
        return True
    finally:
        os.unlink(tmp)


def export_file(stored: Path, out: Path) -> None:
    """A stored file given to the user at `out` (replaced if there): a hard link to the
    store's read-only file where the file system allows, else a copy."""
    out.unlink(missing_ok=True)
    try:
        os.link(stored, out)
    except OSError:
        shutil.copyfile(stored, out)
