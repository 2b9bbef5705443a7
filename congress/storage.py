"""The content-addressed file store: files/<sha[:2]>/<sha256>, written once, never overwritten."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from congress.files import link_once, write_once
from congress.models import StoredFile


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 digest")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, source: Path | None = None) -> str:
        """Store `data` and return its SHA-256; an existing file with that digest is kept as is.

        `source`, a file holding `data`, is linked into the store rather than copied where the
        file system allows: the store and that file are then one file on disk, read-only.
        """
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            return sha
        if source is not None and link_once(source, target, sha):
            return sha
        write_once(target, data)
        return sha

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()


def store_file(
    session: Session,
    store: FileStore,
    data: bytes,
    content_type: str,
    original_name: str = "",
    source: Path | None = None,
) -> StoredFile:
    """Put the bytes in the store and record them; the same content twice is one record.
    `source`: a file holding the bytes, linked rather than copied (FileStore.put)."""
    sha = store.put(data, source)
    record = session.get(StoredFile, sha)
    if record is None:
        record = StoredFile(
            sha256=sha, size=len(data), content_type=content_type, original_name=original_name
        )
        session.add(record)
        session.flush()
    return record
