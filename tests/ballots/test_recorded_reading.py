"""A recorded reading: refused unless it is one, given back exactly as recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ballots.reading.reader import (
    READER_VERSION,
    ElectionRules,
    ReadingContext,
    ReadingSettings,
    read_ballot,
    reference_pages,
)
from ballots.reading.recorded import RecordedReading
from ballots.reading.synth import make_election, print_pages
from congress.errors import CongressError


def _canonical(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@pytest.fixture(scope="module")
def reading() -> dict[str, Any]:
    election = make_election("strike", 4, seats=3, seed=5)
    settings = ReadingSettings()
    context = ReadingContext(
        election.layout,
        reference_pages(election.spec, election.layout, settings),
        election.private_key.public_key(),
        ElectionRules(3, True, False),
        settings,
    )
    (page,) = print_pages(election, ["ABCDEFGHJK"], 150)
    return read_ballot([page], context, file="a.png", sha256="ab" * 32).to_dict()


def test_a_reading_goes_through_unchanged(reading: dict[str, Any]) -> None:
    recorded = RecordedReading.from_dict(reading, "ab" * 32)
    assert _canonical(recorded.to_dict()) == _canonical(reading)
    assert recorded.reader_version == READER_VERSION and recorded.serial == "ABCDEFGHJK"
    assert recorded.status == reading["status"] and list(recorded.reasons) == reading["reasons"]
    assert [t.target for t in recorded.targets] == [t["target"] for t in reading["targets"]]
    assert recorded.states == {t["target"]: t["state"] for t in reading["targets"]}
    # The copy given back is the caller's to change.
    recorded.to_dict()["targets"].clear()
    assert len(recorded.to_dict()["targets"]) == len(reading["targets"])


def test_a_version_1_reading_goes_through_unchanged(reading: dict[str, Any]) -> None:
    old = json.loads(json.dumps(reading))
    old.pop("reader_version")
    for page in old["pages"]:
        page.pop("dpi")
    old["settings"].pop("min_dpi")
    old["extra"] = {"kept": True}
    recorded = RecordedReading.from_dict(old)
    assert recorded.reader_version == 1
    assert _canonical(recorded.to_dict()) == _canonical(old)


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.pop("targets"),
        lambda r: r.update(status="maybe"),
        lambda r: r.update(reasons="ambiguous_mark"),
        lambda r: r.update(reasons=[1]),
        lambda r: r.update(serial="X" * 33),
        lambda r: r.update(targets={}),
        lambda r: r.update(targets=[{"target": "c001.strike"}]),
        # What the pages that explain a reading format must be of its kind: a station's
        # reading is stored as sent and never changes, so a bad one would break them for good.
        lambda r: r.update(pages="zz"),
        lambda r: r.update(flagged_ink=5),
        lambda r: r.update(settings="abc"),
        lambda r: r["settings"].update(touch_dpi="x"),
        lambda r: r.update(election_id="1"),
        lambda r: r["targets"][0].update(score="high"),
        lambda r: r["targets"][0].update(page=1.5),
    ],
)
def test_what_is_not_a_reading_is_refused(reading: dict[str, Any], change: Any) -> None:
    bad = json.loads(json.dumps(reading))
    change(bad)
    with pytest.raises(CongressError) as refused:
        RecordedReading.from_dict(bad)
    assert refused.value.code == "bad_reading" and refused.value.status == 422
    with pytest.raises(CongressError) as not_a_dict:
        RecordedReading.from_dict([reading])
    assert not_a_dict.value.code == "bad_reading"


def test_a_reading_of_another_image_is_refused(reading: dict[str, Any]) -> None:
    with pytest.raises(CongressError) as refused:
        RecordedReading.from_dict(reading, "cd" * 32)
    assert refused.value.code == "reading_mismatch" and refused.value.status == 422
