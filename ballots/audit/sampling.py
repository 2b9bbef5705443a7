"""Consistent sampling: every counted ballot ranked by SHA-256 of the public seed and its hash.

Rivest's consistent sampling: a ballot's ticket depends only on the seed and the ballot, so
anyone with the bundle and the seed ranks the ballots the same way, and a larger sample
(an escalation) is always the smaller one and the next ballots in the same order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from congress.errors import CongressError

__all__ = ["MAX_SEED_DIGITS", "MIN_SEED_DIGITS", "Ticket", "check_seed", "ranked", "ticket"]

# Twenty ten-sided dice thrown in front of the hall; longer seeds are fine, letters are not
# (a seed must be something a committee can read out and an observer can copy).
MIN_SEED_DIGITS = 20
MAX_SEED_DIGITS = 64


@dataclass(frozen=True)
class Ticket:
    ballot: str  # the ballot's image SHA-256 (hex), as named in the bundle
    ticket: str  # SHA-256 hex of "<seed>,<ballot>"


def check_seed(seed: str) -> str:
    """The seed as typed, spaces removed; refused unless it is 20 to 64 decimal digits."""
    digits = "".join(str(seed or "").split())
    if not (
        MIN_SEED_DIGITS <= len(digits) <= MAX_SEED_DIGITS and digits.isascii() and digits.isdigit()
    ):
        raise CongressError(
            "bad_seed",
            "The seed must be %(min)s to %(max)s digits (0-9), e.g. from ten-sided dice",
            min=MIN_SEED_DIGITS,
            max=MAX_SEED_DIGITS,
        )
    return digits


def ticket(seed: str, ballot: str) -> str:
    """SHA-256 (hex) of the seed, a comma and the ballot's image hash, in ASCII."""
    return hashlib.sha256(f"{seed},{ballot}".encode("ascii")).hexdigest()


def ranked(seed: str, ballots: Iterable[str]) -> list[Ticket]:
    """Every ballot in sampling order: smallest ticket first (ties are impossible in practice,
    and broken by the ballot's hash)."""
    seed = check_seed(seed)
    tickets = [Ticket(b, ticket(seed, b)) for b in set(ballots)]
    return sorted(tickets, key=lambda t: (t.ticket, t.ballot))
