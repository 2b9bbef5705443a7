"""Delegate photos: a ZIP named by code, all or none; the photo reaches the badge and the card."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select
from starlette.testclient import TestClient

from badges.service import issue_token
from congress.cli import build_cli
from congress.db import Database
from congress.models import Delegate
from congress.settings import Settings
from tests.conftest import login
from tests.congress.test_cli import cli_env


def _jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (1800, 2400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _photos(db: Database) -> dict[str, str | None]:
    with db.session() as session:
        return {d.code: d.photo_sha256 for d in session.scalars(select(Delegate))}


def test_zip_upload_all_or_nothing(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    csrf = login(client, "btc", make_user("btc", "organizer"))
    url = f"/c/{register['slug']}/delegates/photos"
    bad = _zip(
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
    good = _zip({"anh/DB0001.jpg": _jpeg((200, 30, 30)), "db0002.JPEG": _jpeg((30, 30, 200))})
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
