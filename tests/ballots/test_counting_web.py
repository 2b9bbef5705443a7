"""A whole count through the pages and the station API: scans, review by two members, close."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from starlette.testclient import TestClient

from congress.db import Database
from congress.settings import Settings
from tests.ballots.count_helpers import as_json, fake_image, printed_election, reading, scans
from tests.conftest import REGISTER_SLUG, csrf_from, login

S = "c{:03d}.strike"


def _strike(*numbers: int) -> dict[str, str]:
    return {S.format(n): "strike" for n in numbers}


def _client(app: Any) -> TestClient:
    return TestClient(app, base_url="http://testserver")


def test_count_through_the_pages(
    app: Any, db: Database, settings: Settings, register: dict[str, Any], make_user: Any
) -> None:
    printed = printed_election(db, settings)
    password = make_user("ana", "counting")
    make_user("binh", "counting")
    make_user("root", "admin")
    make_user("xem", "observer")
    marks = [
        _strike(3, 4),  # An, Anh
        _strike(1, 3),  # Anh, Châu
        _strike(2, 3) | {S.format(1): "circle"},  # doubtful An: review
        {},  # four names standing for two seats: invalid
        _strike(1, 4),  # Anh, Bình
    ]
    images = scans(printed, marks)
    copy = scans(printed, [_strike(1, 2)], seed=9)[0]  # ballot 1's serial, marked otherwise
    slug = REGISTER_SLUG
    with _client(app) as ana, _client(app) as binh, _client(app) as root, _client(app) as xem:
        csrf = login(ana, "ana", password)
        page = ana.get(f"/c/{slug}/elections/{printed.election_id}/count")
        assert page.status_code == 200 and 'name="members"' in page.text
        opened = ana.post(
            f"/c/{slug}/elections/{printed.election_id}/count/open",
            data={
                "csrf_token": csrf,
                "members": "Nguyễn Văn Một\nTrần Thị Hai",
                "issued": "6",
                "collected": "5",
                "two_person_rule": "1",
                "excused": "3",  # absent for reasons the congress accepts (Art. 30)
            },
            follow_redirects=False,
        )
        assert opened.status_code == 303
        base = opened.headers["location"]
        count_id = int(base.rsplit("/", 1)[1])
        # The public page does not exist before the count is closed.
        assert _client(app).get(base + "/public").status_code == 404
        files = [("scans", (f"scan-{i}.png", data, "image/png")) for i, data in enumerate(images)]
        files.append(("scans", ("scan-0-again.png", images[0], "image/png")))
        files.append(("scans", ("broken.png", b"not an image", "image/png")))
        uploaded = ana.post(base + "/scans", data={"csrf_token": csrf}, files=files)
        assert uploaded.status_code == 200
        remarks = re.findall(r'data-duplicate="([a-z]*)"', uploaded.text)
        assert remarks == ["", "", "", "", "", "image"]
        assert uploaded.text.count('class="alert"') >= 1 and "broken.png" in uploaded.text
        again = ana.post(
            base + "/scans",
            data={"csrf_token": csrf},
            files=[("scans", ("copy.png", copy, "image/png"))],
        )
        assert re.findall(r'data-duplicate="([a-z]*)"', again.text) == ["serial"]
        status = ana.get(f"/api/counts/{count_id}").json()
        assert status["reconciliation"] == {
            "issued": 6,
            "collected": 5,
            "scanned": 5,
            "counted": 3,
            "duplicates": 1,
            "awaiting_decision": 2,  # the doubtful ballot, and the one the machine found invalid
            "awaiting_confirmation": 0,
            "agrees": False,
            "differences": [
                {"first": "issued", "first_value": 6, "second": "collected", "second_value": 5},
                {"first": "scanned", "first_value": 5, "second": "counted", "second_value": 3},
            ],
        }
        # The page names the figures that disagree, with both values.
        verdict = ana.get(base).text
        assert '<span id="excused">3</span>' in verdict
        assert "Phát ra 6 ≠ Thu vào 5" in verdict and "Đã quét 5 ≠ Đã kiểm 3" in verdict
        # An observer watches but cannot count.
        login(xem, "xem", password)
        assert xem.get(base).status_code == 200
        refused = xem.post(
            base + "/scans",
            data={"csrf_token": csrf_from(xem.get(base).text)},
            files=[("scans", ("x.png", images[0], "image/png"))],
        )
        assert refused.status_code == 403
        # The review queue holds the doubtful ballot, with its image and the crop of the doubt,
        # and the ballot the machine found invalid, with its reason in words and its image.
        queue = ana.get(base + "/review")
        ids = re.findall(r'data-ballot="(\d+)"', queue.text)
        assert len(ids) == 2
        doubtful_id, invalid_id = ids
        assert "bầu quá số lượng" in queue.text
        assert f'src="{base}/ballots/{invalid_id}/annotated.jpg"' in queue.text
        ballot = f"{base}/ballots/{doubtful_id}"
        detail = ana.get(ballot)
        assert f"{ballot}/crop/c001.strike.png" in detail.text
        assert "vết mực bao quanh tên" in detail.text  # the reader's note "around", in words
        assert "c001.strike" not in re.sub(r'"[^"]*"', "", detail.text)  # a name, not a code
        assert "1. Nguyễn Thị An" in detail.text
        picture = ana.get(ballot + "/annotated.jpg")
        assert picture.status_code == 200 and picture.content[:3] == b"\xff\xd8\xff"
        crop = ana.get(ballot + "/crop/c001.strike.png")
        assert crop.status_code == 200 and crop.content[:4] == b"\x89PNG"
        original = ana.get(ballot + "/image")
        assert original.content == images[2]  # stored unaltered
        assert (
            hashlib.sha256(original.content).hexdigest() in original.headers["content-disposition"]
        )
        nameless = ana.post(
            ballot + "/decide",
            data={"csrf_token": csrf, "status": "valid", "mark:c001.strike": "marked"},
        )
        assert nameless.status_code == 400  # a decision names the member who makes it
        stranger = ana.post(
            ballot + "/decide",
            data={"csrf_token": csrf, "status": "valid", "mark:c001.strike": "marked",
                  "member": "Người Lạ"},
        )  # fmt: skip
        assert stranger.status_code == 400
        decided = ana.post(
            ballot + "/decide",
            data={
                "csrf_token": csrf,
                "status": "valid",
                "mark:c001.strike": "marked",
                "note": "vòng tròn quanh tên, coi như gạch",
                "member": "Nguyễn Văn Một",
            },
            follow_redirects=False,
        )
        assert decided.status_code == 303
        # The machine's invalid ballot, decided in a batch after seeing its image.
        batch = ana.post(base + "/review/batch", data={"csrf_token": csrf, "ballot": [invalid_id]})
        assert batch.status_code == 200 and 'id="batch-done"' in batch.text
        own = ana.post(ballot + "/confirm", data={"csrf_token": csrf})  # the member remembered
        assert own.status_code == 403
        early = ana.post(base + "/close", data={"csrf_token": csrf, "explanation": "x"})
        assert early.status_code == 409
        csrf_b = login(binh, "binh", password)
        confirmed = binh.post(
            ballot + "/confirm",
            data={"csrf_token": csrf_b, "member": "Trần Thị Hai"},
            follow_redirects=False,
        )
        assert confirmed.status_code == 303
        both = binh.post(
            base + "/review/batch", data={"csrf_token": csrf_b, "ballot": [invalid_id]}
        )
        assert both.status_code == 200 and 'id="queue-empty"' in both.text
        history = binh.get(ballot).text
        assert "Trần Thị Hai" in history and "Nguyễn Văn Một" in history
        assert "binh" in history and "ana" in history and "vòng tròn quanh tên" in history
        # Issued 6, collected 5, scanned 5, counted 5: an explanation is needed.
        refused_close = ana.post(base + "/close", data={"csrf_token": csrf, "explanation": ""})
        assert refused_close.status_code == 409
        closed = ana.post(
            base + "/close",
            data={"csrf_token": csrf, "explanation": "Một đại biểu không bỏ phiếu"},
            follow_redirects=False,
        )
        assert closed.status_code == 303
        result = ana.get(f"/api/counts/{count_id}").json()["tally"]
        votes = {c["item"]: c["votes"] for c in result["candidates"]}
        assert votes == {"c001": 1, "c002": 3, "c003": 1, "c004": 2}
        assert result["ballots"]["valid"] == 4 and result["ballots"]["invalid"] == 1
        assert result["ballots"]["invalid_by_reason"] == {"more_than_seats": 1}
        assert result["elected"] == ["c002"] and result["new_round_needed"]
        minutes = ana.get(base + "/minutes.pdf")
        assert minutes.status_code == 200 and minutes.content[:5] == b"%PDF-"
        log = ana.get(base + "/entry-log.csv")
        assert log.status_code == 200
        assert "Trần Thị Hai" in log.content.decode("utf-8-sig")  # members, not accounts
        assert len(log.content.decode("utf-8-sig").strip().splitlines()) == 1 + 6  # every scan
        for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF-")):
            assert ana.get(f"{base}/entry-log.{fmt}").content[: len(magic)] == magic
        public = _client(app).get(base + "/public")
        assert public.status_code == 200 and "Phạm Đức Anh" in public.text
        late = ana.post(
            base + "/scans",
            data={"csrf_token": csrf},
            files=[("scans", ("late.png", copy + b"x", "image/png"))],
        )
        assert late.status_code == 200
        assert "Cuộc kiểm phiếu đã kết thúc và bị khóa" in late.text
        not_admin = ana.post(base + "/reopen", data={"csrf_token": csrf, "reason": "x"})
        assert not_admin.status_code == 403
        csrf_r = login(root, "root", password)
        reopened = root.post(
            base + "/reopen",
            data={"csrf_token": csrf_r, "reason": "Kiểm tra lại"},
            follow_redirects=False,
        )
        assert reopened.status_code == 303
        assert root.get(f"/api/counts/{count_id}").json()["count"]["state"] == "open"
        assert _client(app).get(base + "/public").status_code == 404


def test_station_api(app: Any, db: Database, settings: Settings, register: dict[str, Any]) -> None:
    from congress import auth

    printed = printed_election(db, settings, ballots=3)
    with db.session() as session:
        _, token = auth.create_token(session, "tram-kiem-phieu", ["counting"], "t")
        _, watcher = auth.create_token(session, "xem", ["observer"], "t")
    headers = {"authorization": f"Bearer {token}"}
    eid = printed.election_id
    with _client(app) as client:
        station = client.get(f"/api/elections/{eid}/station", headers=headers).json()
        assert station["count"] is None and station["round"] == 1
        assert station["layout"] == printed.layout.to_dict()
        assert station["rules"] == {
            "seats": 2,
            "nobody_elected_invalid": True,
            "seal_required": False,
        }
        assert len(station["public_key"]) == 43 and station["spec"]["items"][0] == "Nguyễn Thị An"
        image = fake_image("station")
        serial = "AAAAAAAAAA"
        body = reading(printed, serial, {"c003.strike", "c004.strike"}, image=image)
        no_count = client.post(
            f"/api/elections/{eid}/ballots",
            headers=headers,
            files={"image": ("s.png", image, "image/png")},
            data={"reading": as_json(body), "station": "Bàn 1"},
        )
        assert no_count.status_code == 409
        assert no_count.json()["error"]["code"] == "no_open_count"
        forbidden = client.get(
            f"/api/elections/{eid}/station", headers={"authorization": f"Bearer {watcher}"}
        )
        assert forbidden.status_code == 403
    from ballots.counting import counts
    from ballots.models import Election

    with db.session() as session:
        counts.open_count(
            session,
            session.get(Election, eid),  # type: ignore[arg-type]
            members=["A", "B"],
            issued=3,
            collected=3,
            actor="t",
        )
    with _client(app) as client:
        post = lambda data, img=image: client.post(  # noqa: E731
            f"/api/elections/{eid}/ballots",
            headers=headers,
            files={"image": ("s.png", img, "image/png")},
            data=data,
        )
        created = post({"reading": as_json(body), "station": "Bàn 1"})
        assert created.status_code == 201, created.text
        assert created.json()["duplicate"] is None and created.json()["status"] == "valid"
        repeated = post({"reading": as_json(body)})
        assert repeated.status_code == 200 and repeated.json()["duplicate"] == "image"
        assert repeated.json()["ballot_id"] == created.json()["ballot_id"]
        mismatch = post({"reading": as_json(body)}, fake_image("other"))
        assert mismatch.status_code == 422
        assert mismatch.json()["error"]["code"] == "reading_mismatch"
        broken = post({"reading": "{not json"}, fake_image("other2"))
        assert broken.status_code == 422
        other = fake_image("copy")
        copy = post({"reading": as_json(reading(printed, serial, set(), image=other))}, other)
        assert copy.status_code == 201 and copy.json()["duplicate"] == "serial"
        garbage = post({}, b"not an image at all")
        assert garbage.status_code == 422
        assert garbage.json()["error"]["code"] == "unreadable_file"
        english = client.post(
            f"/api/elections/{eid}/ballots",
            headers={**headers, "accept-language": "en"},
            files={"image": ("s.png", b"junk", "image/png")},
        )
        assert english.json()["error"]["message"] == "s.png is not an image or PDF that can be read"


def test_closed_count_is_sealed_and_its_bundle_verifies(
    app: Any, db: Database, settings: Settings, register: dict[str, Any], make_user: Any
) -> None:
    """Real scans, closed through the page: the signed bundle is stored and recounts the same."""
    import zipfile

    from ballots.proof.verify import verify_bundle

    printed = printed_election(db, settings, ballots=2)
    images = scans(printed, [_strike(3, 4), _strike(1, 2)])
    password = make_user("ana", "counting")
    with _client(app) as ana:
        csrf = login(ana, "ana", password)
        base = ana.post(
            f"/c/{REGISTER_SLUG}/elections/{printed.election_id}/count/open",
            data={"csrf_token": csrf, "members": "A\nB", "issued": "2", "collected": "2"},
            follow_redirects=False,
        ).headers["location"]
        files = [("scans", (f"s{i}.png", data, "image/png")) for i, data in enumerate(images)]
        assert ana.post(base + "/scans", data={"csrf_token": csrf}, files=files).status_code == 200
        assert ana.post(base + "/close", data={"csrf_token": csrf}).status_code == 200
        page = ana.get(base).text
        root = re.search(r'<code id="root-hash">([0-9a-f]{64})</code>', page)
        assert root, "the closed count names its bundle's root hash"
        zipped = ana.get(base + "/bundle")
        assert zipped.status_code == 200
    path = settings.home / "bundle.zip"
    path.write_bytes(zipped.content)
    names = zipfile.ZipFile(path).namelist()
    assert not any("s0.png" in n or "s1.png" in n for n in names)  # no received file names
    report = verify_bundle(path)
    assert report.ok, report.differences
    assert report.root == root.group(1)
    # The command line exports the same bundle (same root) and verifies it with no database.
    from tests.congress.test_cli import run

    out = settings.home / "exported.zip"
    exported = run(
        settings, "ballots", "export", "--election", str(printed.election_id), "--out", str(out)
    )
    assert exported.exit_code == 0, exported.output
    assert root.group(1) in exported.output
    verified = run(settings, "ballots", "verify", str(out))
    assert verified.exit_code == 0, verified.output
