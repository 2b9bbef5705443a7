"""The words of a ballot's fate: reason codes, statuses, notes and decisions, with their labels.

Every reason code is stored with readings and decisions and documented in
docs/ballot-reading.md: codes are never renamed (new ones may be added). Labels are msgids,
translated where they are shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from congress.i18n import N_

__all__ = [
    "COMMITTEE_REASONS",
    "DECISION_NAMES",
    "DECISION_NAMES_IN_MINUTES",
    "NOTE_NAMES",
    "NOT_ISSUED",
    "READER_REASONS",
    "REASONS",
    "REASON_NAMES",
    "STATES",
    "STATUSES",
    "STATUS_NAMES",
    "STATUS_NAMES_IN_MINUTES",
    "Reason",
    "Status",
    "severe",
    "status_of",
    "worst",
]

Status = Literal["valid", "invalid", "review", "rejected"]
# From the mildest to the gravest: a ballot takes the gravest status of its reasons.
STATUSES: tuple[Status, ...] = ("valid", "review", "invalid", "rejected")
_RANK: dict[str, int] = {status: rank for rank, status in enumerate(STATUSES)}


@dataclass(frozen=True)
class Reason:
    """One reason code: its label, what the reader does with it, whether the committee gives it."""

    code: str
    label: str  # msgid
    # The status the reader gives a ballot for it; None: the reader never gives it.
    reader: Status | None
    # The committee may declare a ballot invalid for it (every reason it gives invalidates).
    committee: bool

    @property
    def given_by(self) -> Literal["machine", "committee", "both"]:
        if self.reader is None:
            return "committee"
        return "both" if self.committee else "machine"


# In the order the reader reports its reasons: the gravest first.
REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        Reason("page_unreadable", N_("page unreadable"), "rejected", True),
        Reason("serial_forged", N_("forged serial"), "rejected", True),
        Reason("wrong_election", N_("ballot of another election"), "rejected", True),
        Reason("serial_seen", N_("copy of a ballot already counted"), "rejected", False),
        Reason("seal_missing", N_("no red seal"), "invalid", True),
        Reason("more_than_seats", N_("more elected than seats"), "invalid", True),
        Reason("nobody_elected", N_("nobody elected"), "invalid", True),
        Reason("missing_page", N_("a page is missing"), "review", True),
        Reason(
            "seal_unverifiable",
            N_("no colour on the scan: the red seal cannot be checked"),
            "review",
            False,
        ),
        Reason("low_resolution", N_("image too coarse to rule out a light mark"), "review", False),
        Reason("ambiguous_mark", N_("doubtful mark"), "review", False),
        # The reader only suspects a private mark; the committee finds the ballot invalid for it.
        Reason("private_mark", N_("private mark"), "review", True),
        Reason("improper_strike", N_("name struck improperly"), None, True),
        Reason("written_in", N_("name added from outside the list"), None, True),
        Reason("other", N_("other reason"), None, True),
    )
}
# Every code the reader gives and the status it forces, in the order it reports them.
READER_REASONS: dict[str, Status] = {
    code: r.reader for code, r in REASONS.items() if r.reader is not None
}
REASON_NAMES: dict[str, str] = {code: r.label for code, r in REASONS.items()}
# What the committee's form offers, the common reasons first.
COMMITTEE_REASONS: dict[str, str] = {
    code: REASONS[code].label
    for code in (
        "seal_missing",
        "more_than_seats",
        "nobody_elected",
        "improper_strike",
        "private_mark",
        "written_in",
        "serial_forged",
        "wrong_election",
        "page_unreadable",
        "missing_page",
        "other",
    )
}
assert set(COMMITTEE_REASONS) == {c for c, r in REASONS.items() if r.committee}
# Reader reasons that make a ballot one the committee did not issue: invalid in the count.
NOT_ISSUED = ("serial_forged", "wrong_election", "serial_seen")


def status_of(code: str) -> Status:
    """What a reason does to a ballot: the reader's status, else invalid (any other code is a
    committee's reason, or one this program does not know: never taken as harmless)."""
    return READER_REASONS.get(code, "invalid")


def worst(codes: Iterable[str]) -> Status:
    """The status of a ballot with these reasons: the gravest of theirs, valid with none."""
    status: Status = "valid"
    for code in codes:
        level = status_of(code)
        if _RANK[level] > _RANK[status]:
            status = level
    return status


def severe(code: str) -> bool:
    """The reason makes a ballot invalid (or not a ballot at all), not merely doubtful."""
    return status_of(code) in ("invalid", "rejected")


# Statuses as the counting pages name them.
STATUS_NAMES: dict[str, str] = {
    "valid": N_("valid"),
    "invalid": N_("invalid"),
    "review": N_("to review"),
    "rejected": N_("rejected"),
}
# Statuses as the minutes and the ballot-entry log name them, with the copy set aside.
STATUS_NAMES_IN_MINUTES: dict[str, str] = {
    "valid": N_("valid ballot"),
    "invalid": N_("invalid ballot"),
    "review": N_("awaiting decision"),
    "rejected": N_("rejected ballot"),
    "excluded": N_("set aside (copy)"),
}
# The kinds of decision rows, on the pages and in the minutes.
DECISION_NAMES: dict[str, str] = {
    "decide": N_("decision"),
    "confirm": N_("confirmation"),
    "reopen": N_("re-opened"),
}
DECISION_NAMES_IN_MINUTES: dict[str, str] = {
    "decide": N_("decided"),
    "confirm": N_("confirmed"),
    "reopen": N_("reopened"),
}
# Where a ballot of a count stands.
STATES: dict[str, str] = {
    "counted": N_("counted"),
    "needs_decision": N_("awaiting a decision"),
    "needs_confirmation": N_("awaiting confirmation"),
    "duplicate": N_("duplicate serial, not counted"),
}


# What the reader's `note` on a target says (see docs/ballot-reading.md). "fine" names the
# resolution of the fine re-reading, the recorded settings' touch_dpi, given as %(dpi)s.
NOTE_NAMES: dict[str, str] = {
    "touch": N_("ink too small or faint to score"),
    "around": N_("ink around the name or the box"),
    "fine": N_("strike confirmed at %(dpi)s dpi"),
    "hidden": N_("strike not seen through the whole name"),
    "unseen": N_("partly outside the scanned image"),
}
