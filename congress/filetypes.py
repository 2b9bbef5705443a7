"""What kind of file a byte string is, decided from its first bytes, never from its name."""

from __future__ import annotations

from typing import Literal

FileKind = Literal["pdf", "png", "jpeg", "tiff", "zip", "unknown"]

_SIGNATURES: tuple[tuple[bytes, FileKind], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"PK\x03\x04", "zip"),  # also XLSX, DOCX and ODT: their own readers look inside
)
MEDIA_TYPES: dict[FileKind, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
    "zip": "application/zip",
    "unknown": "application/octet-stream",
}
EXTENSIONS: dict[FileKind, str] = {
    "pdf": "pdf",
    "png": "png",
    "jpeg": "jpg",
    "tiff": "tif",
    "zip": "zip",
    "unknown": "bin",
}
IMAGE_KINDS: frozenset[FileKind] = frozenset({"png", "jpeg", "tiff"})


def sniff(data: bytes) -> FileKind:
    """The file's kind from its signature; a PDF may follow a little leading whitespace, as
    some generators write it and every PDF reader accepts."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data[:1024].lstrip(b"\x00\t\r\n\x0c ").startswith(b"%PDF-"):
        return "pdf"
    return "unknown"


def media_type(data: bytes) -> str:
    return MEDIA_TYPES[sniff(data)]


def extension(data: bytes) -> str:
    return EXTENSIONS[sniff(data)]
