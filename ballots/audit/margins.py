"""The margins that decide a count's outcome, and what one ballot contributes to each.

An outcome is a set of assertions, each "score > 0" (or a tie, score 0) where the score is a
sum over the counted ballots plus a constant; one ballot moves any score by at most 2, as one
ballot moves the margin between two candidates by at most 2 (Stark 2010). The assertions:

- pair (w, l): every elected w against every candidate l not elected: votes(w) - votes(l);
  the narrowest is the last elected against the first not elected;
- pass (w): every elected w keeps more than half of the threshold base T: 2 votes(w) - T;
- fail (l): every candidate who did not pass stays at or under half: T + 1 - 2 votes(l);
- tie: candidates tied at the last seat (a new round, or the older rule): score 0.

With the base "valid ballots", T itself is a sum over the ballots (1 per valid ballot).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ballots.tally import VOTE_CHOICE
from congress.errors import CongressError

__all__ = ["Assertion", "assertions", "contribution", "narrowest"]

Kind = Literal["pair", "pass", "fail", "tie"]


@dataclass(frozen=True)
class Assertion:
    kind: Kind
    winner: str | None  # layout item
    loser: str | None
    margin: int  # the score of the reported outcome; 0: a tie

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "winner": self.winner,
            "loser": self.loser,
            "margin": self.margin,
        }


def assertions(result: Mapping[str, Any]) -> list[Assertion]:
    """Every assertion of a recorded tally (TallyResult.to_dict(), the bundle's tally.json)."""
    form = result["rules"]["form"]
    vote = VOTE_CHOICE.get(form)
    if vote is None:
        raise CongressError(
            "audit_nothing_decided",
            "A confidence vote elects nobody: there is no outcome to audit",
        )
    base = result["bases"]["threshold"]
    threshold = int(base["value"])
    votes = {c["item"]: int(c["votes"] or 0) for c in result["candidates"]}
    elected = list(result["elected"])
    passed = {c["item"] for c in result["candidates"] if c["passed"]}
    out: list[Assertion] = []
    for w in elected:
        out.append(Assertion("pass", w, None, 2 * votes[w] - threshold))
    for l_item, v in votes.items():
        if l_item not in passed:
            out.append(Assertion("fail", None, l_item, threshold + 1 - 2 * v))
    for w in elected:
        for l_item in votes:
            if l_item not in elected:
                out.append(Assertion("pair", w, l_item, votes[w] - votes[l_item]))
    tied = list((result.get("tie") or {}).get("items") or []) + list(
        result.get("decided_by_age") or []
    )
    for i, a in enumerate(tied):
        for b in tied[i + 1 :]:
            out.append(Assertion("tie", a, b, 0))
    return out


def narrowest(found: Sequence[Assertion]) -> list[Assertion]:
    """The deciding margins a committee reads: the narrowest pair, pass and fail assertions
    (and every tie), narrowest first."""
    out: list[Assertion] = [a for a in found if a.kind == "tie"]
    for kind in ("pair", "pass", "fail"):
        some = [a for a in found if a.kind == kind]
        if some:
            out.append(min(some, key=lambda a: a.margin))
    return sorted(out, key=lambda a: (a.margin, a.kind))


def contribution(
    assertion: Assertion, outcome: Mapping[str, Any], vote: str, base_is_valid: bool
) -> int:
    """What one ballot's outcome ({"status", "choices"}) adds to the assertion's score."""
    valid = outcome.get("status") == "valid"
    choices = outcome.get("choices") or {}

    def votes(item: str | None) -> int:
        return 1 if valid and item is not None and choices.get(item) == vote else 0

    in_base = 1 if base_is_valid and valid else 0
    if assertion.kind in ("pair", "tie"):
        return votes(assertion.winner) - votes(assertion.loser)
    if assertion.kind == "pass":
        return 2 * votes(assertion.winner) - in_base
    return in_base - 2 * votes(assertion.loser)
