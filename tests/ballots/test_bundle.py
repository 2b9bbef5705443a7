"""The audit bundle: written from printed, marked and read ballots; verified; every tampering found."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from ballots.proof.bundle import BundleBallot, BundleInput, seal, write_bundle, write_files
from ballots.proof.format import MANIFEST, SIGNATURE, canonical_json, merkle_root, read_bundle
from ballots.proof.verify import VerifyReport, verify_bundle
from ballots.reading.imageio import load_bytes
from ballots.reading.reader import (
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.reading.recorded import RecordedReading
from ballots.reading.synth import SynthElection, draw_marks, make_election, print_pages
from ballots.tally import (
    CandidateInfo,
    CountFigures,
    TallyRules,
    ballot_outcome,
    tally,
)
from congress.errors import CongressError
from congress.i18n import translator
from congress.keys import generate_private_key

DPI = 150
SERIALS = ["ABCDEFGHJK", "BCDEFGHJKM", "CDEFGHJKMN", "DEFGHJKMNP", "EFGHJKMNPQ"]
ELECTION = {
    "id": 7,
    "round": 1,
    "title": "Bầu Ban Chấp hành Thành Đoàn khóa XIX",
    "form": "strike",
    "seats": 3,
    "threshold_base": "valid",
    "percentage_base": "collected",
    "tie_rule": "new_round",
    "nobody_elected_invalid": True,
    "seal_required": False,
}
FIGURES = {"summoned": 10, "present": 8, "issued": 6, "collected": 6}


def build_input(election: SynthElection) -> BundleInput:
    """Five printed ballots marked by hand-like strokes, plus a photocopy of the first serial.

    Names struck: 1: c001 c002 (valid); 2: c001 c003 (valid); 3: c004 c005 (valid);
    4: none (more than seats: invalid); 5: c001 and half of c002 (review, then decided: struck);
    6: a copy of serial 1 with c004 c005 struck (set aside).
    """
    settings = ReadingSettings()
    layout = election.layout
    context = ReadingContext(
        layout,
        reference_pages(election.spec, layout, settings),
        election.private_key.public_key(),
        ElectionRules(3, True, False),
        settings,
    )
    ids = [t.id for t in layout.pages[0].targets]
    plans = [
        (SERIALS[0], {ids[0]: "strike", ids[1]: "strike"}),
        (SERIALS[1], {ids[0]: "strike", ids[2]: "strike_wavy"}),
        (SERIALS[2], {ids[3]: "strike", ids[4]: "strike_double"}),
        (SERIALS[3], {}),
        (SERIALS[4], {ids[0]: "strike", ids[1]: "partial"}),
        (SERIALS[0], {ids[3]: "strike", ids[4]: "strike"}),
    ]
    printed = print_pages(election, [s for s, _ in plans], DPI)
    ballots = []
    seen: set[str] = set()
    for index, ((serial, marks), gray) in enumerate(zip(plans, printed, strict=True)):
        page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        choose = {t: "none" for t in ids} | marks
        draw_marks(page, layout.pages[0], "strike", DPI, np.random.default_rng(index), choose)
        data = cv2.imencode(".png", page)[1].tobytes()
        scanned = load_bytes(data, f"scan-{index + 1:04d}.png")
        reading = read_ballot(
            list(scanned.pages), context, seen, file=scanned.name, sha256=scanned.sha256
        ).to_dict()
        seen.add(serial)
        decisions: list[dict[str, Any]] = []
        if index == 4:
            assert reading["status"] == "review", reading["reasons"]
            decisions = [
                {"kind": "decide", "status": "valid", "reason": None, "marks": {ids[1]: "marked"},
                 "note": "gạch gần hết tên", "actor": "lan", "at": "2026-11-23T10:02:00"},
                {"kind": "confirm", "status": None, "reason": None, "marks": None, "note": "",
                 "actor": "minh", "at": "2026-11-23T10:03:00"},
            ]  # fmt: skip
        ballots.append(BundleBallot(data, scanned.name, reading, decisions, index == 5))
    statuses = [b.reading["status"] for b in ballots]
    assert statuses == ["valid", "valid", "valid", "invalid", "review", "rejected"]
    candidates = [
        {"item": item.id, "name": item.label, "birth_date": f"199{n}-0{n}-1{n}"}
        for n, item in enumerate(layout.items, 1)
    ]
    outcomes = [
        ballot_outcome(layout, RecordedReading.from_dict(b.reading), b.decisions, True, 3, True)
        for b in ballots
        if not b.duplicate_of_serial
    ]
    result = tally(
        TallyRules("strike", 3, "valid", "collected", "new_round"),
        [CandidateInfo(c["item"], c["name"]) for c in candidates],
        CountFigures(**FIGURES),
        outcomes,
    )
    public = base64.b64encode(
        election.private_key.public_key().public_bytes_raw()  # type: ignore[attr-defined]
    ).decode()
    return BundleInput(
        congress={
            "name": "Đại hội Đoàn TNCS Hồ Chí Minh thành phố",
            "slug": "dh",
            "public_key": public,
        },
        election=ELECTION,
        spec=election.spec.to_dict(),
        layout=layout.to_dict(),
        settings=settings.to_dict(),
        candidates=candidates,
        figures=FIGURES,
        count={
            "members": ["Nguyễn Thị Lan", "Trần Văn Minh"],
            "opened_at": "2026-11-23T09:00:00",
            "closed_at": "2026-11-23T10:30:00",
            "explanation": "",
            "two_person_rule": True,
        },  # fmt: skip
        ballots=ballots,
        tally=result.to_dict(),
    )


@pytest.fixture(scope="module")
def election() -> SynthElection:
    return make_election("strike", 5, seats=3, seed=11, seal_required=False)


@pytest.fixture(scope="module")
def bundle(
    election: SynthElection, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, BundleInput]:
    data = build_input(election)
    out = tmp_path_factory.mktemp("bundle") / "bundle"
    write_bundle(data, election.private_key, out)
    return out, data


def _texts(report: VerifyReport, lang: str = "en") -> list[str]:
    tr = translator(lang)
    return [f.text(tr) for f in report.differences]


def _copy(bundle: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(bundle, target)
    return target


def _resign(path: Path, key: Any) -> None:
    """What someone holding the key could do after tampering: new manifest, new signature."""
    files = dict(read_bundle(path))
    old = json.loads(files.pop(MANIFEST))
    files.pop(SIGNATURE)
    header = {k: old[k] for k in ("congress", "election", "round", "ballots")}
    shutil.rmtree(path)
    write_files(seal(files, key, header), path)


def _edit_json(path: Path, change: Any) -> None:
    data = json.loads(path.read_bytes())
    change(data)
    path.write_bytes(canonical_json(data))


def test_untampered_bundle_verifies(bundle: tuple[Path, BundleInput]) -> None:
    path, data = bundle
    report = verify_bundle(path)
    assert report.ok, _texts(report)
    assert [c.code for c in report.checks] == ["signature_ok", "hashes_ok", "reread", "tally_ok"]
    reread = report.checks[2].params
    assert reread == {"count": 6, "same": 6}
    manifest = json.loads((path / MANIFEST).read_bytes())
    assert report.root == manifest["merkle_root"]
    assert merkle_root([(e["path"], e["sha256"]) for e in manifest["files"]]) == report.root
    tally_data = json.loads((path / "tally.json").read_bytes())
    assert tally_data == data.tally
    # c001 struck on ballots 1, 2, 5; c002 on 1, 5; 4 valid of 6 collected.
    assert tally_data["ballots"] == {"counted": 5, "valid": 4, "invalid": 1, "review": 0,
                                     "invalid_by_reason": {"more_than_seats": 1}}  # fmt: skip
    assert [c["votes"] for c in tally_data["candidates"]] == [1, 2, 3, 3, 3]
    assert tally_data["elected"] == ["c003", "c004", "c005"]
    assert verify_bundle(path).checks == report.checks  # deterministic


def test_bundle_order_and_names_do_not_reveal_the_scanning_order(
    bundle: tuple[Path, BundleInput], election: SynthElection, tmp_path: Path
) -> None:
    path, data = bundle
    names = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    images = [n for n in names if n.startswith("images/")]
    digests = sorted(n.split("/")[1].split(".")[0] for n in images)
    assert len(images) == 6 and all(len(d) == 64 for d in digests)
    assert names == sorted(
        ["election.json", "layout.json", MANIFEST, SIGNATURE, "settings.json", "spec.json",
         "tally.json"] + [f"ballots/{d}.json" for d in digests] + [f"images/{d}.png" for d in digests]
    )  # fmt: skip
    everything = b"".join((path / n).read_bytes() for n in names)
    assert b"scan-0" not in everything  # received file names are gone
    assert b"10:02" not in everything and b'"at"' not in everything  # no decision times
    manifest = json.loads((path / MANIFEST).read_bytes())
    assert [e["path"] for e in manifest["files"]] == sorted(e["path"] for e in manifest["files"])
    # The same ballots given in another order give the very same bundle.
    again = tmp_path / "again.zip"
    shuffled = dataclasses.replace(data, ballots=list(reversed(data.ballots)))
    root = write_bundle(shuffled, election.private_key, again)
    assert root == manifest["merkle_root"]
    assert read_bundle(again) == read_bundle(path)
    assert verify_bundle(again).ok
    second = tmp_path / "second.zip"
    write_bundle(data, election.private_key, second)
    assert second.read_bytes() == again.read_bytes()


def test_one_pixel_of_one_image(
    bundle: tuple[Path, BundleInput], election: SynthElection, tmp_path: Path
) -> None:
    path = _copy(bundle[0], tmp_path)
    image = sorted((path / "images").iterdir())[2]
    pixels = cv2.imdecode(np.frombuffer(image.read_bytes(), np.uint8), cv2.IMREAD_UNCHANGED)
    pixels[300, 400] = 255 - pixels[300, 400]
    image.write_bytes(cv2.imencode(".png", pixels)[1].tobytes())
    report = verify_bundle(path)
    assert not report.ok
    assert [f.code for f in report.differences] == ["hash_mismatch", "ballot_image"]
    assert image.name in _texts(report)[0]
    _resign(path, election.private_key)
    resigned = verify_bundle(path)
    assert [f.code for f in resigned.differences] == [
        "ballot_image"
    ]  # the record names the old image


def test_readings_of_another_reader_version_are_named_once(
    bundle: tuple[Path, BundleInput], election: SynthElection, tmp_path: Path
) -> None:
    from ballots.reading.reader import READER_VERSION

    path = _copy(bundle[0], tmp_path)
    records = sorted((path / "ballots").iterdir())
    assert all(
        json.loads(p.read_bytes())["reading"]["reader_version"] == READER_VERSION for p in records
    )

    # A bundle made before readings carried the version (version 1): said once, first, in the
    # user's language; the readings themselves still match, so nothing else is listed.
    def older(data: dict[str, Any]) -> None:
        # What version 1 wrote: no reader_version, no pages[].dpi, none of the settings that
        # versions 2 and 3 added.
        reading = data["reading"]
        reading.pop("reader_version")
        for page in reading["pages"]:
            page.pop("dpi")
        for name in (
            "min_dpi",
            "fine_strike_marked",
            "strike_doubtful_paper_px",
            "strike_doubtful_unseen",
        ):
            reading["settings"].pop(name)

    for record in records:
        _edit_json(record, older)
    _resign(path, election.private_key)
    report = verify_bundle(path)
    assert [f.code for f in report.differences] == ["reader_version"]
    assert report.differences[0].params == {"recorded": "1", "current": READER_VERSION}
    (text,) = _texts(report)
    assert "reader version 1" in text and f"version {READER_VERSION}" in text
    (vi,) = _texts(report, "vi")
    assert vi != text


def test_one_decision(
    bundle: tuple[Path, BundleInput], election: SynthElection, tmp_path: Path
) -> None:
    path = _copy(bundle[0], tmp_path)
    record = next(
        p for p in (path / "ballots").iterdir() if json.loads(p.read_bytes())["decisions"]
    )
    target = "c002.strike"

    def unstrike(data: dict[str, Any]) -> None:
        data["decisions"][0]["marks"][target] = "unmarked"

    _edit_json(record, unstrike)
    report = verify_bundle(path)
    assert [f.code for f in report.differences][:2] == ["hash_mismatch", "outcome_differs"]
    _resign(path, election.private_key)
    resigned = verify_bundle(path)
    codes = [f.code for f in resigned.differences]
    assert "signature_invalid" not in codes and "hash_mismatch" not in codes
    # Read as left standing, c002 makes four names elected for three seats: the ballot becomes
    # invalid, and the recount no longer matches the recorded tally.
    assert "outcome_differs" in codes and "tally_differs" in codes
    texts = _texts(resigned)
    assert any('final status: recorded "valid", recomputed "invalid"' in t for t in texts), texts
    assert any("Tally ballots.valid: recorded 4, recomputed 3" in t for t in texts), texts


def test_one_total(
    bundle: tuple[Path, BundleInput], election: SynthElection, tmp_path: Path
) -> None:
    path = _copy(bundle[0], tmp_path)

    def more_votes(data: dict[str, Any]) -> None:
        data["candidates"][0]["votes"] += 1

    _edit_json(path / "tally.json", more_votes)
    assert [f.code for f in verify_bundle(path).differences] == ["hash_mismatch", "tally_differs"]
    _resign(path, election.private_key)
    resigned = verify_bundle(path)
    assert [f.code for f in resigned.differences] == ["tally_differs"]
    assert _texts(resigned) == ["Tally candidates[0].votes: recorded 2, recomputed 1"]
    # A figure the committee entered (ballots collected) changed afterwards.
    other = tmp_path / "other"
    shutil.copytree(bundle[0], other)
    _edit_json(other / "election.json", lambda d: d["figures"].update(collected=7))
    _resign(other, election.private_key)
    texts = _texts(verify_bundle(other))
    assert "Tally figures.collected: recorded 6, recomputed 7" in texts
    assert "Tally bases.percentage.value: recorded 6, recomputed 7" in texts


def test_the_manifest(bundle: tuple[Path, BundleInput], tmp_path: Path) -> None:
    path = _copy(bundle[0], tmp_path)
    manifest = json.loads((path / MANIFEST).read_bytes())
    # Making the manifest agree with a changed tally breaks the signature.
    _edit_json(path / "tally.json", lambda d: d.update(elected=["c001", "c002", "c003"]))
    entry = next(e for e in manifest["files"] if e["path"] == "tally.json")
    body = (path / "tally.json").read_bytes()
    import hashlib

    entry["sha256"], entry["size"] = hashlib.sha256(body).hexdigest(), len(body)
    manifest["merkle_root"] = merkle_root([(e["path"], e["sha256"]) for e in manifest["files"]])
    (path / MANIFEST).write_bytes(canonical_json(manifest))
    codes = [f.code for f in verify_bundle(path).differences]
    assert codes[0] == "signature_invalid" and "tally_differs" in codes
    # A file left out of the manifest, and an extra file, are both reported.
    other = tmp_path / "other"
    shutil.copytree(bundle[0], other)
    (other / "images" / "extra.png").write_bytes(b"\x89PNG")
    assert "file_unlisted" in [f.code for f in verify_bundle(other).differences]


def test_the_signature(
    bundle: tuple[Path, BundleInput], election: SynthElection, tmp_path: Path
) -> None:
    path = _copy(bundle[0], tmp_path)

    def flip(data: dict[str, Any]) -> None:
        raw = bytearray(base64.b64decode(data["signature"]))
        raw[5] ^= 1
        data["signature"] = base64.b64encode(bytes(raw)).decode()

    _edit_json(path / SIGNATURE, flip)
    report = verify_bundle(path)
    assert [f.code for f in report.differences] == ["signature_invalid"]
    assert _texts(report, "vi") == [translator("vi").gettext(report.differences[0].message)]
    # Re-sealed by another key: the ballots' serials, signed by the congress key, stop verifying.
    other = tmp_path / "other"
    shutil.copytree(bundle[0], other)
    _resign(other, generate_private_key())
    resealed = verify_bundle(other)
    codes = {f.code for f in resealed.differences}
    assert "reading_differs" in codes and "tally_differs" in codes
    assert any("serial_forged" in t for t in _texts(resealed))
    pinned = verify_bundle(bundle[0], election.private_key.public_key())
    assert pinned.ok
    stranger = verify_bundle(bundle[0], generate_private_key().public_key())
    assert [f.code for f in stranger.differences] == ["signature_other_key"]


def test_writing_refuses_bad_input(
    bundle: tuple[Path, BundleInput], election: SynthElection, tmp_path: Path
) -> None:
    path, data = bundle
    with pytest.raises(CongressError) as exists:
        write_bundle(data, election.private_key, path)
    assert exists.value.code == "bundle_exists"
    with pytest.raises(CongressError) as wrong_key:
        write_bundle(data, generate_private_key(), tmp_path / "b")
    assert wrong_key.value.code == "signing_key_mismatch" and not (tmp_path / "b").exists()
    first = data.ballots[0]
    swapped = dataclasses.replace(first, reading={**first.reading, "image_sha256": "0" * 64})
    with pytest.raises(CongressError) as mismatch:
        write_bundle(
            dataclasses.replace(data, ballots=[swapped]), election.private_key, tmp_path / "c"
        )
    assert mismatch.value.code == "bundle_reading_mismatch" and not (tmp_path / "c").exists()
    with pytest.raises(CongressError) as missing:
        verify_bundle(tmp_path / "nothing-here")
    assert missing.value.code == "bundle_missing"
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(CongressError) as unreadable:
        verify_bundle(junk)
    assert unreadable.value.code == "bundle_unreadable"


def test_a_confirmation_by_the_decider_is_reported(
    bundle: tuple[Path, BundleInput], election: SynthElection, tmp_path: Path
) -> None:
    path = _copy(bundle[0], tmp_path)
    record = next(
        p for p in (path / "ballots").iterdir() if json.loads(p.read_bytes())["decisions"]
    )
    _edit_json(record, lambda d: d["decisions"][1].update(actor="lan"))
    _resign(path, election.private_key)
    report = verify_bundle(path)
    assert [f.code for f in report.differences] == ["same_person_confirmed"]
    assert _texts(report, "vi") == [
        f"Phiếu {record.stem[:12]}: một quyết định được xác nhận bởi chính người đã quyết định"
    ]


def test_copies_set_aside_or_counted_against_the_record(
    bundle: tuple[Path, BundleInput], election: SynthElection, tmp_path: Path
) -> None:
    records = {p: json.loads(p.read_bytes()) for p in (bundle[0] / "ballots").iterdir()}
    copy = next(p for p, r in records.items() if r["duplicate_of_serial"])
    counted = next(
        p
        for p, r in records.items()
        if not r["duplicate_of_serial"]
        and r["final"]["status"] == "valid"
        and r["reading"]["serial"] != records[copy]["reading"]["serial"]
    )
    path = _copy(bundle[0], tmp_path)
    _edit_json(path / "ballots" / copy.name, lambda d: d.update(duplicate_of_serial=False))
    _resign(path, election.private_key)
    codes = [f.code for f in verify_bundle(path).differences]
    assert {"outcome_differs", "serial_counted_twice", "tally_differs"} <= set(codes)
    other = tmp_path / "other"
    shutil.copytree(bundle[0], other)
    _edit_json(other / "ballots" / counted.name, lambda d: d.update(duplicate_of_serial=True))
    _resign(other, election.private_key)
    codes = [f.code for f in verify_bundle(other).differences]
    assert {"outcome_differs", "duplicate_without_original", "tally_differs"} <= set(codes)
