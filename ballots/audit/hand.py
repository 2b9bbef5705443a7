"""What a member reads on a paper ballot by hand, and the outcome it gives under the rules.

A hand reading names the state of every target as the paper shows it (the names struck, the
boxes crossed) or the committee's reason when the paper itself is invalid (no seal, a private
mark, a name written in). The outcome follows the same rules as the machine's reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ballots.paper.layout import BallotLayout
from ballots.reasons import COMMITTEE_REASONS
from ballots.tally import BallotOutcome, marks_outcome
from congress.errors import CongressError

__all__ = ["MAX_MEMBER", "HandReading", "hand_outcome", "same_outcome"]

MAX_MEMBER = 120


@dataclass(frozen=True)
class HandReading:
    """One member's reading of one paper ballot (the latest of a member's screen counts)."""

    ballot: str  # the ballot it is of: its image SHA-256 (hex)
    slot: int  # 1 or 2: the first or the second member's screen
    member: str
    marked: tuple[str, ...]  # targets marked on the paper, sorted; every other one unmarked
    invalid: str | None = None  # a committee reason code when the paper is invalid as such

    @classmethod
    def make(
        cls,
        layout: BallotLayout,
        ballot: str,
        slot: int,
        member: str,
        marked: Iterable[str],
        invalid: str | None = None,
    ) -> HandReading:
        """A reading checked against the ballot's layout; refused when it names a target not on
        the ballot, an unknown reason, or no member."""
        member = " ".join(str(member or "").split())
        if not member or len(member) > MAX_MEMBER:
            raise CongressError("audit_member", "Name the member who reads the ballot")
        if slot not in (1, 2):
            raise CongressError("audit_slot", "A ballot is read on screen 1 or screen 2")
        known = {t.id for t in layout.targets()}
        chosen = sorted(set(marked))
        unknown = [t for t in chosen if t not in known]
        if unknown:
            raise CongressError(
                "unknown_target",
                "The decision names targets not on this ballot: %(targets)s",
                targets=", ".join(unknown),
            )
        if invalid is not None and invalid not in COMMITTEE_REASONS:
            raise CongressError("bad_reason", "Choose a reason from the list")
        return cls(ballot, slot, member, tuple(chosen), invalid or None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ballot": self.ballot,
            "slot": self.slot,
            "member": self.member,
            "marked": list(self.marked),
            "invalid": self.invalid,
        }

    @classmethod
    def from_dict(cls, layout: BallotLayout, data: Mapping[str, Any]) -> HandReading:
        if not isinstance(data, Mapping) or not isinstance(data.get("marked"), list):
            raise CongressError("audit_reading", "A hand reading is not readable")
        return cls.make(
            layout,
            str(data.get("ballot")),
            int(data.get("slot") or 0),
            str(data.get("member") or ""),
            [str(t) for t in data["marked"]],
            data.get("invalid"),
        )


def hand_outcome(
    layout: BallotLayout, reading: HandReading, seats: int, nobody_elected_invalid: bool
) -> BallotOutcome:
    """The ballot's outcome as the paper shows it, by the election's rules."""
    if reading.invalid:
        return BallotOutcome("invalid", (reading.invalid,), {})
    chosen = set(reading.marked)
    states = {t.id: ("marked" if t.id in chosen else "unmarked") for t in layout.targets()}
    return marks_outcome(layout, states, seats, nobody_elected_invalid)


def same_outcome(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Two outcomes give the count the same thing: the status and what each item gets (an
    invalid ballot is invalid whatever reason each reader gave)."""
    return a.get("status") == b.get("status") and dict(a.get("choices") or {}) == dict(
        b.get("choices") or {}
    )
