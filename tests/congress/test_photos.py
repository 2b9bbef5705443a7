"""Delegate photos: a ZIP named by code, all or none; the photo reaches the badge and the card."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select
from starlette.testclient import TestClient

from badges.service import issue_token
from congress import archives
from congress.cli import build_cli
from congress.db import Database
from congress.errors import CongressError
from congress.limits import Limits, MiB
from congress.models import Congress, Delegate
from congress.photos import PhotosRefused, files_of_zip, import_photos
from congress.settings import Settings
from congress.storage import FileStore
from tests.conftest import login
from tests.congress.hostile_archives import zeros_photos_zip, zip_of
from tests.congress.test_cli import cli_env


def _jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (1800, 2400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def _photos(db: Database) -> dict[str, str | None]:
    with db.session() as session:
        return {d.code: d.photo_sha256 for d in session.scalars(select(Delegate))}


def test_zip_upload_all_or_nothing(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    csrf = login(client, "btc", make_user("btc", "organizer"))
    url = f"/c/{register['slug']}/delegates/photos"
    bad = zip_of(
        {
            "anh/DB0001.jpg": _jpeg((200, 30, 30)),
            "DB9999.jpg": _jpeg((0, 0, 0)),
            "db0002.png": b"\x89PNG\r\n\x1a\n not really",
            "notes.txt": b"ignored",
        }
    )
    refused = client.post(url, data={"csrf_token": csrf}, files={"file": ("p.zip", bad)})
    assert refused.status_code == 422
    assert "DB9999.jpg" in refused.text and "db0002.png" in refused.text
    assert all(v is None for v in _photos(db).values())
    good = zip_of({"anh/DB0001.jpg": _jpeg((200, 30, 30)), "db0002.JPEG": _jpeg((30, 30, 200))})
    stored = client.post(url, data={"csrf_token": csrf}, files={"file": ("p.zip", good)})
    assert stored.status_code == 200, stored.text
    photos = _photos(db)
    assert photos["DB0001"] and photos["DB0002"] and photos["DB0003"] is None
    saved = Image.open(settings.files_dir / photos["DB0001"][:2] / photos["DB0001"])
    assert saved.format == "JPEG" and saved.size == (900, 1200)
    not_zip = client.post(url, data={"csrf_token": csrf}, files={"file": ("p.zip", b"nope")})
    assert not_zip.status_code == 400
    # The soft badge shows it; the gate's photo needs the check-in role.
    with db.session() as session:
        token = issue_token(
            settings, session, session.scalar(select(Delegate).where(Delegate.code == "DB0001"))
        )
    assert client.get(f"/b/{token}/photo").headers["content-type"] == "image/jpeg"


def test_photos_from_a_folder_on_the_command_line(
    db: Database, settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    folder = tmp_path / "anh"
    folder.mkdir()
    (folder / "DB0003.jpg").write_bytes(_jpeg((10, 120, 10), (600, 800)))
    env = dict(cli_env(settings), CONGRESS_LANGUAGE="en")
    result = CliRunner().invoke(
        build_cli(), ["delegates", "photos", str(folder), "--congress", register["slug"]], env=env
    )
    assert result.exit_code == 0, result.output
    assert _photos(db)["DB0003"]
    (folder / "XX1.png").write_bytes(_jpeg((0, 0, 0)))
    refused = CliRunner().invoke(
        build_cli(), ["delegates", "photos", str(folder), "--congress", register["slug"]], env=env
    )
    assert refused.exit_code == 1 and "XX1.png" in refused.stderr


def _lying_zip(name: str, data: bytes, declared: int) -> bytes:
    """A ZIP whose headers (local and central) declare `declared` bytes for an entry of `data`."""
    raw = bytearray(zip_of({name: data}, zipfile.ZIP_DEFLATED))
    local = raw.index(b"PK\x03\x04")
    central = raw.index(b"PK\x01\x02")
    raw[local + 22 : local + 26] = declared.to_bytes(4, "little")
    raw[central + 24 : central + 28] = declared.to_bytes(4, "little")
    return bytes(raw)


def test_zip_of_zeros_is_unpacked_one_entry_at_a_time(
    db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    # Issue 21, row 6: 40 entries of 19 MB of zeros (a 760 KB ZIP) were all unpacked before any
    # check, 171 -> 888 MB. Now one entry at a time is in memory, and the batch is refused.
    bomb = zeros_photos_zip()
    assert len(bomb) < 1 * MiB
    tracemalloc.start()
    try:
        with db.session() as session, pytest.raises(PhotosRefused) as refused:
            congress = session.get(Congress, register["congress_id"])
            assert congress is not None
            import_photos(session, FileStore(settings.files_dir), congress, files_of_zip(bomb), "t")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(refused.value.problems) == 40
    assert peak < 80 * MiB, f"peak {peak // MiB} MB"
    assert all(v is None for v in _photos(db).values())


def test_zip_bounds_refuse_before_unpacking() -> None:
    four = zip_of({f"DB{n:04d}.jpg": bytes(MiB) for n in range(1, 5)})
    with pytest.raises(CongressError) as many:
        files_of_zip(four, Limits(archive_entries=3))
    assert many.value.code == "archive_too_many_entries" and many.value.status == 413
    with pytest.raises(CongressError) as total:
        files_of_zip(four, Limits(archive_total_bytes=3 * MiB))
    assert total.value.code == "archive_too_large" and total.value.status == 413
    with pytest.raises(CongressError) as entry:
        files_of_zip(four, Limits(archive_entry_bytes=MiB - 1))
    assert entry.value.code == "archive_entry_too_large"
    assert "DB0001.jpg" in str(entry.value)


def test_zip_whose_header_lies_is_stopped_while_streaming(
    client: TestClient, db: Database, make_user: Any, register: dict[str, Any]
) -> None:
    # The header says 1 KB; the entry unpacks to 30 MB: the stream is cut at the bound, or the
    # damage is found, and the answer is a clear refusal, never a 500.
    csrf = login(client, "btc", make_user("btc", "organizer"))
    url = f"/c/{register['slug']}/delegates/photos"
    lying = _lying_zip("DB0001.jpg", bytes(30 * MiB), 1024)
    refused = client.post(
        url,
        data={"csrf_token": csrf},
        files={"file": ("p.zip", lying)},
        headers={"accept-language": "vi"},
    )
    assert refused.status_code in (413, 422), refused.text
    assert "DB0001.jpg" in refused.text
    assert "bị hỏng" in refused.text or "khi giải nén" in refused.text
    assert all(v is None for v in _photos(db).values())


def test_too_many_entries_are_refused_before_zipfile_reads_the_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # zipfile makes an object per entry of the directory on opening: a 50 MB upload of empty
    # entries would be a million of them. The end record's count is read first.
    many = zip_of({f"{n}.jpg": b"" for n in range(Limits().archive_entries + 1)})

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("zipfile read the whole directory")

    monkeypatch.setattr(archives.zipfile, "ZipFile", never)
    with pytest.raises(CongressError) as refused:
        files_of_zip(many)
    assert refused.value.code == "archive_too_many_entries" and refused.value.status == 413
