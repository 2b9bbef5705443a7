"""Hostile and broken scan files sent to the server: one clear refusal each, nothing kept.

Issue 21, rows 1 and 2, at the station API (`POST /api/elections/<id>/ballots`) and the count
page's upload: 422 with the reason in the user's language, no rejected ballot, no stored file.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from ballots.counting import counts
from ballots.elections import get_election
from congress import auth
from congress.db import Database
from congress.settings import Settings
from tests.ballots import hostile_files as hostile
from tests.ballots.count_helpers import as_json, kept, opened_election, reading, scans
from tests.conftest import REGISTER_SLUG, login


def test_station_api_refuses_each_bad_file_in_the_users_language(
    app: Any, db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    printed = opened_election(db, settings)
    with db.session() as session:
        _, token = auth.create_token(session, "tram", ["counting"], "t")
    url = f"/api/elections/{printed.election_id}/ballots"
    before = kept(db)
    with TestClient(app, base_url="http://testserver") as client:
        for name, data in hostile.bad_scans().items():
            for lang in ("vi", "en"):
                headers = {"authorization": f"Bearer {token}", "accept-language": lang}
                answer = client.post(url, headers=headers, files={"image": (name, data)})
                assert answer.status_code == 422, (name, answer.text)
                error = answer.json()["error"]
                assert error["code"] == hostile.REFUSALS[name], name
                assert name in error["message"]
            assert "PdfiumError" not in answer.text and "cv2" not in answer.text
        # In Vietnamese by default; English when asked.
        huge = client.post(
            url,
            headers={"authorization": f"Bearer {token}"},
            files={"image": ("userunit.pdf", hostile.huge_user_unit_pdf())},
        )
        assert "Trang 1 của userunit.pdf dài 1080000000 point" in huge.json()["error"]["message"]
        english = client.post(
            url,
            headers={"authorization": f"Bearer {token}", "accept-language": "en"},
            files={"image": ("pages600.pdf", hostile.many_pages_pdf())},
        )
        assert english.json()["error"]["message"] == (
            "pages600.pdf has 600 pages; a ballot has at most 8"
        )
        # A station's reading does not carry a hostile file past the server's own check.
        sha_reading = reading(printed, "AAAAAAAAAA", set(), image=hostile.huge_user_unit_pdf())
        with_reading = client.post(
            url,
            headers={"authorization": f"Bearer {token}"},
            files={"image": ("userunit.pdf", hostile.huge_user_unit_pdf())},
            data={"reading": as_json(sha_reading)},
        )
        assert with_reading.status_code == 422, with_reading.text
        assert with_reading.json()["error"]["code"] == "page_too_large"
    assert kept(db) == before  # no rejected ballot, no stored file


def test_count_page_upload_answers_each_bad_file(
    app: Any, db: Database, settings: Settings, register: dict[str, Any], make_user: Any
) -> None:
    printed = opened_election(db, settings)
    password = make_user("ana", "counting")
    with db.session() as session:
        count_id = counts.find_count(session, get_election(session, printed.election_id)).id
    url = f"/c/{REGISTER_SLUG}/counts/{count_id}/scans"
    before = kept(db)
    bad = {n: d for n, d in hostile.bad_scans().items() if d}  # a browser sends no empty file part
    with TestClient(app, base_url="http://testserver") as client:
        csrf = login(client, "ana", password)
        files = [("scans", (name, data, "application/octet-stream")) for name, data in bad.items()]
        page = client.post(url, data={"csrf_token": csrf}, files=files)
        assert page.status_code == 422, page.text[:500]
        assert page.text.count('class="alert"') == len(bad)
        assert "PdfiumError" not in page.text and "Traceback" not in page.text
        assert "pages600.pdf có 600 trang; một phiếu bầu có tối đa 8 trang" in page.text
        assert kept(db) == before
        # One good scan among them: it is counted, the others refused beside it.
        (good,) = scans(printed, [{}])
        mixed = client.post(
            url,
            data={"csrf_token": csrf},
            files=[*files, ("scans", ("good.png", good, "image/png"))],
        )
        assert mixed.status_code == 200
        assert mixed.text.count('class="alert"') == len(bad)
    assert kept(db) == (before[0] + 1, before[1] + 1)
