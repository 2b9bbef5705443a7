"""The hand audit's signed part of the bundle: verify re-draws the sample, re-compares the
readings and recomputes the conclusion; a swapped ballot, an altered reading or another seed
fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ballots.audit.comparison import AuditCount, run_audit
from ballots.audit.hand import HandReading
from ballots.audit.record import (
    AUDIT_FILE,
    AUDIT_SIGNATURE,
    AuditInput,
    audit_count_from_files,
    audit_files,
    audit_part,
    check_audit_part,
)
from ballots.audit.risk import AuditSettings
from ballots.proof.bundle import seal
from ballots.proof.format import MANIFEST, canonical_json
from ballots.proof.verify import VerifyReport
from congress.i18n import translator
from congress.keys import generate_private_key
from tests.ballots.audit_helpers import SEED, closed_count, faithful, votes_count

KEY = generate_private_key()


def _files(count: AuditCount) -> dict[str, bytes]:
    """The JSON files of a bundle of this count (the images play no part in the audit)."""
    files = {
        "election.json": canonical_json(
            {
                "election": {"id": 3, "round": 1, "seats": count.seats,
                             "nobody_elected_invalid": True},
                "candidates": [{"item": c.item, "name": c.name, "birth_date": None}
                               for c in count.candidates],
            }
        ),
        "layout.json": canonical_json(count.layout.to_dict()),
        "tally.json": canonical_json(count.result),
    }  # fmt: skip
    for b in count.ballots:
        files[f"ballots/{b.ballot}.json"] = canonical_json(
            {
                "image_sha256": b.ballot,
                "reading": {"serial": b.serial},
                "duplicate_of_serial": False,
                "final": dict(b.outcome),
            }
        )
    return seal(files, KEY, {"election": 3, "round": 1})


@pytest.fixture(scope="module")
def audited() -> tuple[dict[str, bytes], list[HandReading]]:
    count = closed_count(votes_count(260, 240, 140))
    files = _files(count)
    again = audit_count_from_files(files)
    assert sorted(b.ballot for b in again.ballots) == sorted(b.ballot for b in count.ballots)
    size = run_audit(again, SEED, AuditSettings(), [])["sample_size"]
    readings = []
    for s in run_audit(again, SEED, AuditSettings(), [])["sample"][:size]:
        readings += [
            faithful(again, s["ballot"], 1, "Lan"),
            faithful(again, s["ballot"], 2, "Minh"),
        ]
    part = audit_part(files, AuditInput(SEED, AuditSettings(), readings), KEY)
    return {**files, **part}, readings


def _check(files: dict[str, bytes]) -> VerifyReport:
    report = VerifyReport()
    check_audit_part(files, json.loads(files[MANIFEST]), report)
    return report


def _texts(report: VerifyReport) -> list[str]:
    tr = translator("en")
    return [f.text(tr) for f in report.differences]


def _resigned(files: dict[str, bytes], change: Any) -> dict[str, bytes]:
    """The audit record changed by `change` and signed again with the congress key: only the
    recomputation can catch it."""
    record = json.loads(files[AUDIT_FILE])
    change(record)
    return {**files, **audit_files(record, KEY)}


def test_the_audit_part_verifies(audited: tuple[dict[str, bytes], list[Any]]) -> None:
    files, _ = audited
    report = _check(files)
    assert report.ok, _texts(report)
    assert [f.code for f in report.checks] == ["audit_ok", "audit_conclusion"]
    record = json.loads(files[AUDIT_FILE])
    assert record["report"]["conclusion"] == "confirmed"
    assert record["bundle_root"] == json.loads(files[MANIFEST])["merkle_root"]
    vi = translator("vi")
    assert "xác nhận" in report.checks[1].text(vi)


def test_a_swapped_sampled_ballot_fails(audited: tuple[dict[str, bytes], list[Any]]) -> None:
    files, _ = audited

    def swap(record: dict[str, Any]) -> None:
        sample = record["report"]["sample"]
        outside = next(
            p.split("/")[1][:-5]
            for p in sorted(files)
            if p.startswith("ballots/") and all(s["ballot"] not in p for s in sample)
        )
        sample[0]["ballot"] = outside
        for r in record["readings"]:
            if r["ballot"] == sample[1]["ballot"]:
                r["ballot"] = outside

    report = _check(_resigned(files, swap))
    assert not report.ok
    assert any(
        "audit report.sample[0].ballot" in t.replace("Hand ", "") for t in _texts(report)
    ) or any("sample[0].ballot" in t for t in _texts(report))


def test_an_altered_hand_reading_fails(audited: tuple[dict[str, bytes], list[Any]]) -> None:
    files, _ = audited

    def alter(record: dict[str, Any]) -> None:
        record["readings"][0]["marked"] = ["c001.strike", "c002.strike", "c003.strike"]
        record["readings"][1]["marked"] = ["c001.strike", "c002.strike", "c003.strike"]

    report = _check(_resigned(files, alter))
    assert not report.ok
    assert any(f.code == "audit_differs" for f in report.differences)
    # Altered without the key: the signature fails too.
    record = json.loads(files[AUDIT_FILE])
    record["readings"][0]["member"] = "Hùng"
    forged = {**files, AUDIT_FILE: canonical_json(record)}
    assert "audit_signature" in [f.code for f in _check(forged).differences]


def test_another_seed_fails(audited: tuple[dict[str, bytes], list[Any]]) -> None:
    files, _ = audited

    def reseed(record: dict[str, Any]) -> None:
        record["seed"] = "1" + record["seed"][1:]

    report = _check(_resigned(files, reseed))
    assert not report.ok
    assert any("sample" in t or "seed" in t for t in _texts(report))


def test_an_audit_of_another_bundle_fails(audited: tuple[dict[str, bytes], list[Any]]) -> None:
    files, _ = audited
    report = _check(_resigned(files, lambda r: r.update(bundle_root="0" * 64)))
    assert [f.code for f in report.differences] == ["audit_other_bundle"]
    extra = {**files, "audit/notes.txt": b"x"}
    assert "file_unlisted" in [f.code for f in _check(extra).differences]
    lonely = {k: v for k, v in files.items() if k != AUDIT_FILE}
    assert AUDIT_SIGNATURE in lonely
    assert "file_missing" in [f.code for f in _check(lonely).differences]
