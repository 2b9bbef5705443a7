"""ZIP archives opened within bounds: entries counted, each entry's size checked as it streams."""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from types import TracebackType
from typing import IO

from congress.errors import CongressError
from congress.limits import MiB

# Read in pieces so an entry that lies about its size is stopped one piece past its bound.
CHUNK = 64 * 1024
END_RECORD = 22  # bytes of a ZIP's end-of-central-directory record, before its comment


# What a damaged or unusual ZIP raises while it unpacks: a bad CRC or size, a broken deflate
# stream, an encrypted entry (RuntimeError), a compression method Python lacks.
BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
)


class ArchiveRefused(CongressError):
    """A ZIP that cannot be read or is beyond its bounds; nothing of it was used."""

    status = 422


@dataclass(frozen=True)
class ZipBounds:
    """How much one archive may hold: entries, bytes of one entry and of all, unpacked."""

    entries: int
    entry_bytes: int
    total_bytes: int


def _mb(size: int) -> int:
    return max(1, size // MiB)


def _declared_entries(stream: IO[bytes]) -> int:
    """How many entries the ZIP's central directory holds, before zipfile reads it: the count
    its end record declares, or the directory records actually there if more (zipfile reads
    the directory by its size in bytes and ignores the declared count). 0 when there is no end
    record: zipfile then refuses the file.

    A ZIP64 archive writes 0xFFFF there and the true count elsewhere; that sentinel is taken
    as it reads, beyond any bound here, since no photo batch or office file needs ZIP64."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    tail_size = min(size, END_RECORD + 0xFFFF)  # the record, then a comment of up to 64 KB
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < END_RECORD:
        stream.seek(0)
        return 0
    declared = int.from_bytes(tail[at + 10 : at + 12], "little")
    directory_size = int.from_bytes(tail[at + 12 : at + 16], "little")
    # Where zipfile looks for the directory: just before the end record, whatever the offset
    # the record names (a prefix before the archive shifts every offset alike).
    end = size - tail_size + at
    start = max(0, end - directory_size)
    records, carry = 0, b""
    stream.seek(start)
    while stream.tell() < end:
        chunk = carry + stream.read(min(MiB, end - stream.tell()))
        records += chunk.count(b"PK\x01\x02")
        carry = chunk[-3:]  # a signature cut by the chunk's end: counted with the next
    stream.seek(0)
    return max(declared, records)


class BoundedZip:
    """An open ZIP whose every read is bounded.

    The central directory's declared sizes are checked when it opens (a cheap, early refusal),
    and the bytes actually unpacked are counted while they stream, since a header can lie.
    """

    def __init__(self, source: bytes | IO[bytes], bounds: ZipBounds) -> None:
        self.bounds = bounds
        self._unpacked = 0
        stream = io.BytesIO(source) if isinstance(source, bytes) else source
        # zipfile builds an object for every entry of the central directory when it opens: the
        # entries are counted first, so a million tiny entries are refused before that.
        if _declared_entries(stream) > bounds.entries:
            raise self._too_many()
        try:
            self._archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise ArchiveRefused("not_a_zip", "The file is not a ZIP archive", status=400) from exc
        infos = self._archive.infolist()
        if len(infos) > bounds.entries:
            self.close()
            raise self._too_many()
        for info in infos:
            if info.file_size > bounds.entry_bytes:
                self.close()
                raise self._entry_too_large(info.filename)
        if sum(info.file_size for info in infos) > bounds.total_bytes:
            self.close()
            raise self._too_large()

    def _too_many(self) -> ArchiveRefused:
        return ArchiveRefused(
            "archive_too_many_entries",
            "The archive has more than %(max)s files",
            status=413,
            max=self.bounds.entries,
        )

    def _entry_too_large(self, name: str) -> ArchiveRefused:
        return ArchiveRefused(
            "archive_entry_too_large",
            "%(name)s is larger than %(mb)s MB once unpacked",
            status=413,
            name=name[-200:],
            mb=_mb(self.bounds.entry_bytes),
        )

    def _too_large(self) -> ArchiveRefused:
        return ArchiveRefused(
            "archive_too_large",
            "The archive is larger than %(mb)s MB once unpacked",
            status=413,
            mb=_mb(self.bounds.total_bytes),
        )

    @property
    def files(self) -> list[zipfile.ZipInfo]:
        """The archive's files (its folders left out), in the archive's order."""
        return [info for info in self._archive.infolist() if not info.is_dir()]

    def names(self) -> set[str]:
        return {info.filename for info in self._archive.infolist()}

    def read(self, member: zipfile.ZipInfo | str) -> bytes:
        """One entry's bytes, refused as soon as it or the archive's total passes its bound."""
        info = member if isinstance(member, zipfile.ZipInfo) else self._archive.getinfo(member)
        out = io.BytesIO()
        self._unpack(info, out)
        return out.getvalue()

    def head(self, name: str, size: int) -> bytes:
        """At most the first `size` bytes of an entry (a type marker, a signature)."""
        info = self._archive.getinfo(name)
        try:
            with self._archive.open(info) as stream:
                return stream.read(size)
        except BROKEN as exc:
            raise self._broken(name) from exc

    def _broken(self, name: str) -> ArchiveRefused:
        return ArchiveRefused(
            "archive_broken", "The archive is damaged: %(name)s cannot be read", name=name[-200:]
        )

    def _unpack(self, info: zipfile.ZipInfo, out: io.BytesIO | None) -> None:
        name = info.filename
        size = 0
        try:
            with self._archive.open(info) as stream:
                while piece := stream.read(CHUNK):
                    if out is not None:
                        out.write(piece)
                    size += len(piece)
                    self._unpacked += len(piece)
                    if size > self.bounds.entry_bytes:
                        raise self._entry_too_large(name)
                    if self._unpacked > self.bounds.total_bytes:
                        raise self._too_large()
        except ArchiveRefused:
            raise
        except BROKEN as exc:
            raise self._broken(name) from exc

    def check_all(self) -> None:
        """Unpack every entry, keeping nothing: the archive is whole and within its bounds before
        a library that trusts it (openpyxl, LibreOffice) reads it."""
        for info in self.files:
            self._unpack(info, None)

    def close(self) -> None:
        self._archive.close()

    def __enter__(self) -> BoundedZip:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
