"""The paper fallback, pure: ballots entered by hand by two (or three) members independently.

A ballot entered by hand has no image. What stands for it is its **entry document**: the serial
typed and every member's entry (who, which targets they marked), canonical JSON, stored and
named by its SHA-256 as a scan is. Its reading is made from the agreed entry by the same validity
rules as a scan's (serial forged, more elected than seats, nobody elected), so the count, the
review, the tally and `verify` treat it as any other ballot; `verify` re-applies the entries
(there is no image to re-read).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ballots.paper.layout import BallotLayout
from ballots.proof.format import canonical_json
from ballots.reasons import worst
from ballots.tally import marks_outcome
from congress.errors import CongressError

__all__ = [
    "ENTRIES_DIR",
    "ENTRY_FILE",
    "ENTRY_FORMAT",
    "Entry",
    "EntryState",
    "entry_document",
    "entry_reading",
    "entry_state",
    "is_hand_entered",
    "typed_serial",
]

ENTRY_FORMAT = "congress-hand-entry"
ENTRY_FILE = "hand-entry"  # the reading's "file": there is no scanned file
ENTRIES_DIR = "entries/"  # where a bundle keeps the entry documents (images/ the scans)
MAX_SERIAL = 32


def typed_serial(text: str) -> str:
    """The serial as typed from the paper: spaces and dashes dropped, upper case."""
    serial = "".join(ch for ch in str(text or "").upper() if ch not in " -\t")
    if not serial or len(serial) > MAX_SERIAL or not serial.isascii() or not serial.isalnum():
        raise CongressError(
            "bad_serial", "Type the serial printed on the ballot (letters and digits)"
        )
    return serial


@dataclass(frozen=True)
class Entry:
    """One member's entry of one paper ballot."""

    id: int  # the stored row's id (the order of entries)
    member: str
    marked: tuple[str, ...]  # targets marked on the paper (struck names), sorted

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "member": self.member, "marked": list(self.marked)}


@dataclass(frozen=True)
class EntryState:
    """Where the entries of one serial stand."""

    state: Literal["waiting", "disagree", "agreed"]
    entries: tuple[Entry, ...]  # each member's latest entry, in order
    required: int

    @property
    def members(self) -> list[str]:
        return [e.member for e in self.entries]


def entry_state(entries: Iterable[Entry], required: int) -> EntryState:
    """Each member's latest entry counts; the ballot is recorded once `required` members
    entered it and all of them agree, and waits for review while they disagree."""
    latest: dict[str, Entry] = {}
    for entry in sorted(entries, key=lambda e: e.id):
        latest.pop(entry.member, None)
        latest[entry.member] = entry
    chosen = tuple(sorted(latest.values(), key=lambda e: e.id))
    if len({e.marked for e in chosen}) > 1:
        return EntryState("disagree", chosen, required)
    if len(chosen) < required:
        return EntryState("waiting", chosen, required)
    return EntryState("agreed", chosen[-required:], required)


def entry_document(
    election_id: int, round_number: int, serial: str, entries: Sequence[Entry]
) -> bytes:
    """What stands for a hand-entered ballot in the file store and the bundle."""
    return canonical_json(
        {
            "format": ENTRY_FORMAT,
            "version": 1,
            "election": election_id,
            "round": round_number,
            "serial": serial,
            "entries": [e.to_dict() for e in entries],
        }
    )


def entry_reading(
    document: bytes,
    sha256: str,
    layout: BallotLayout,
    seats: int,
    nobody_elected_invalid: bool,
    serial_forged: bool,
) -> dict[str, Any]:
    """The reading of a hand-entered ballot (a RecordedReading's JSON), from its agreed entries
    by the validity rules; `serial_forged`: the serial is not one the committee issued (checked
    against the issued serials by the server; the bundle records the verdict)."""
    import json

    data = json.loads(document)
    entries = data.get("entries") or []
    if data.get("format") != ENTRY_FORMAT or not entries:
        raise CongressError("bad_hand_entry", "This is not a hand-entered ballot")
    marked_sets = {tuple(e.get("marked") or []) for e in entries}
    if len(marked_sets) != 1:
        raise CongressError("bad_hand_entry", "The entries of this ballot disagree")
    marked = set(marked_sets.pop())
    known = {t.id for t in layout.targets()}
    if marked - known:
        raise CongressError(
            "unknown_target",
            "The decision names targets not on this ballot: %(targets)s",
            targets=", ".join(sorted(marked - known)),
        )
    states = {t.id: ("marked" if t.id in marked else "unmarked") for t in layout.targets()}
    reasons: list[str] = ["serial_forged"] if serial_forged else []
    outcome = marks_outcome(layout, states, seats, nobody_elected_invalid)
    reasons += list(outcome.reasons)
    return {
        "file": ENTRY_FILE,
        "image_sha256": sha256,
        "serial": data.get("serial"),
        "election_id": data.get("election"),
        "round": data.get("round"),
        "status": worst(reasons),
        "reasons": reasons,
        "pages": [],
        "targets": [
            {
                "target": t.id,
                "item": t.item,
                "page": None,
                "state": states[t.id],
                "score": None,
                "note": None,
            }
            for t in layout.targets()
        ],
        "flagged_ink": [],
        "settings": {},
        "hand_entry": {
            "members": [e.get("member") for e in entries],
            "entries": [e.get("id") for e in entries],
        },
    }


def is_hand_entered(reading: Mapping[str, Any]) -> bool:
    return (
        isinstance(reading, Mapping)
        and reading.get("file") == ENTRY_FILE
        and bool(reading.get("hand_entry"))
    )
