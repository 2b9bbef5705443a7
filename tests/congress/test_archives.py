"""A ZIP's entries are counted before zipfile reads its directory, whatever its end record says."""

from __future__ import annotations

import io
import zipfile

import pytest

from congress.archives import ArchiveRefused, BoundedZip, ZipBounds

BOUNDS = ZipBounds(entries=50, entry_bytes=1024, total_bytes=10 * 1024)


def _zip(entries: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in range(entries):
            archive.writestr(f"{index}.txt", b"x")
    return out.getvalue()


def _declaring(data: bytes, entries: int) -> bytes:
    """The same ZIP with its end record claiming `entries` entries."""
    at = data.rfind(b"PK\x05\x06")
    count = entries.to_bytes(2, "little")
    return data[: at + 8] + count + count + data[at + 12 :]


def test_an_end_record_that_understates_the_entries_is_not_believed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lying = _declaring(_zip(400), 1)

    def read_directory(*_: object) -> None:
        # zipfile makes an object of every directory record: a million of them cost memory
        raise AssertionError("the directory was read before the entries were counted")

    monkeypatch.setattr("congress.archives.zipfile.ZipFile", read_directory)
    with pytest.raises(ArchiveRefused) as refused:
        BoundedZip(lying, BOUNDS)
    assert refused.value.code == "archive_too_many_entries"
    assert refused.value.status == 413


def test_an_archive_within_its_bounds_opens() -> None:
    archive = BoundedZip(_zip(50), BOUNDS)
    archive.close()
