"""Attendance of a sitting: summoned, present and absent per delegation, and the quorum.

The register is the core's; who came in is told by the capability at the doors, through the
`presence` extension point of `Capability`, so any capability reads the figures from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from congress.capabilities import load
from congress.models import Congress, Delegate, Sitting


@dataclass(frozen=True)
class Presence:
    """A delegate admitted to a sitting: when, through which gate, and how."""

    delegate_id: int
    admitted_at: dt.datetime
    gate: str
    method: str


def presences(session: Session, sitting: Sitting) -> dict[int, Presence]:
    """Who came in to the sitting, by delegate id, as the capabilities at the doors tell it."""
    found: dict[int, Presence] = {}
    for capability in load():
        if capability.presence is not None:
            found.update(capability.presence(session, sitting))
    return found


@dataclass
class DelegationRow:
    name: str
    summoned: int = 0  # full delegates whose badge is not revoked
    present: int = 0  # of those, admitted to the sitting
    alternates: int = 0
    alternates_present: int = 0

    @property
    def absent(self) -> int:
        return self.summoned - self.present


@dataclass
class Attendance:
    congress: Congress
    sitting: Sitting
    rows: list[DelegationRow]
    people: list[tuple[Delegate, Presence | None]] = field(default_factory=list)

    @property
    def summoned(self) -> int:
        return sum(r.summoned for r in self.rows)

    @property
    def present(self) -> int:
        return sum(r.present for r in self.rows)

    @property
    def absent(self) -> int:
        return self.summoned - self.present

    @property
    def alternates_present(self) -> int:
        return sum(r.alternates_present for r in self.rows)

    @property
    def quorum_needed(self) -> int:
        """Fewest present full delegates that make the quorum under the congress's rule."""
        share = Fraction(self.congress.quorum_numerator, self.congress.quorum_denominator)
        exact = share * self.summoned
        if self.congress.quorum_strict:  # "more than 2/3"
            return int(exact) + 1
        return -(-exact.numerator // exact.denominator)  # "at least 2/3": ceiling

    @property
    def quorum_reached(self) -> bool:
        return self.summoned > 0 and self.present >= self.quorum_needed

    def as_json(self) -> dict[str, object]:
        return {
            "sitting": self.sitting.number,
            "title": self.sitting.title,
            "summoned": self.summoned,
            "present": self.present,
            "absent": self.absent,
            "alternates_present": self.alternates_present,
            "quorum": {
                "numerator": self.congress.quorum_numerator,
                "denominator": self.congress.quorum_denominator,
                "strict": self.congress.quorum_strict,
                "needed": self.quorum_needed,
                "reached": self.quorum_reached,
            },
            "delegations": [
                {
                    "name": r.name,
                    "summoned": r.summoned,
                    "present": r.present,
                    "absent": r.absent,
                    "alternates": r.alternates,
                    "alternates_present": r.alternates_present,
                }
                for r in self.rows
            ],
        }


def attendance(
    session: Session, congress: Congress, sitting: Sitting, with_people: bool = False
) -> Attendance:
    admitted: Mapping[int, Presence] = presences(session, sitting)
    delegates = list(
        session.scalars(
            select(Delegate)
            .where(Delegate.congress_id == congress.id)
            .options(selectinload(Delegate.delegation))
            .order_by(Delegate.sort_key, Delegate.id)
        )
    )
    rows: dict[str, DelegationRow] = {}
    for d in delegates:
        row = rows.setdefault(d.delegation.name, DelegationRow(d.delegation.name))
        here = d.id in admitted
        if d.kind == "alternate":
            row.alternates += 1
            row.alternates_present += here
        elif d.revoked_at is None:
            row.summoned += 1
            row.present += here
    people = [(d, admitted.get(d.id)) for d in delegates] if with_people else []
    return Attendance(congress, sitting, [rows[k] for k in sorted(rows)], people)
