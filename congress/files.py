"""Files written once: complete on disk before they appear, never replaced once they exist."""

from __future__ import annotations

import os
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
