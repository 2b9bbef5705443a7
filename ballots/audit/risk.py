"""How many ballots to hand-check, and when the sample is enough: Stark's "super-simple" bound.

P. B. Stark, "Super-Simple Simultaneous Single-Ballot Risk-Limiting Audits", EVT/WOTE 2010.
N ballots, the smallest margin V (in votes, over every assertion of the outcome), the diluted
margin mu = V / N, an error inflation factor gamma > 1. After n ballots with n1 one-vote and n2
two-vote overstatements, the risk that a wrong outcome went unnoticed is at most

    P = (1 - mu / (2 gamma))^n * (1 - 1 / (2 gamma))^(-n1) * (1 - 1 / gamma)^(-n2)

and the audit confirms the outcome once P <= alpha, the risk limit. The sample size is the
smallest n with P <= alpha for the overstatements seen so far (none at first). A margin of 0
(a tie) or a size of N or more means a full hand count. docs/audit.md works an example.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from congress.errors import CongressError
from congress.i18n import N_

__all__ = ["METHOD", "METHOD_NAMES", "AuditSettings", "p_value", "sample_size"]

METHOD = "super-simple (Stark 2010)"
# The method as a person reads it (the minutes, the pages).
METHOD_NAMES: dict[str, str] = {METHOD: N_("Stark's super-simple bound (2010)")}


@dataclass(frozen=True)
class AuditSettings:
    """The audit's parameters, recorded with it (decimal strings: the record must not drift)."""

    risk_limit: str = "0.05"  # alpha: the largest chance that a wrong outcome is confirmed
    gamma: str = "1.03905"  # error inflation (Lindeman & Stark 2012, as VotingWorks Arlo)

    @property
    def alpha(self) -> float:
        return float(self.risk_limit)

    @property
    def inflation(self) -> float:
        return float(self.gamma)

    def check(self) -> AuditSettings:
        """The same settings, normalised; refused unless 0 < alpha < 1 and 1 < gamma <= 2."""
        try:
            alpha, gamma = Decimal(str(self.risk_limit)), Decimal(str(self.gamma))
        except InvalidOperation as exc:
            raise _bad() from exc
        if not (alpha.is_finite() and gamma.is_finite()):
            raise _bad()
        if not (Decimal("0.001") <= alpha <= Decimal("0.5") and 1 < gamma <= 2):
            raise _bad()
        if len(str(alpha)) > 12 or len(str(gamma)) > 12:
            raise _bad()
        return AuditSettings(str(alpha.normalize()), str(gamma.normalize()))

    def to_dict(self) -> dict[str, Any]:
        return {"method": METHOD, "risk_limit": self.risk_limit, "gamma": self.gamma}


def _bad() -> CongressError:
    return CongressError(
        "bad_risk_limit",
        "The risk limit must be a number from 0.001 to 0.5 (e.g. 0.05 for 5%%)",
    )


def p_value(settings: AuditSettings, margin: int, ballots: int, n: int, n1: int, n2: int) -> float:
    """Stark's bound on the risk after n ballots with n1 one-vote and n2 two-vote
    overstatements; 1 when the margin is 0 (a tie cannot be confirmed by a sample)."""
    if margin <= 0 or ballots <= 0:
        return 1.0
    gamma = settings.inflation
    mu = margin / ballots
    log_p = (
        n * math.log1p(-mu / (2 * gamma))
        - n1 * math.log1p(-1 / (2 * gamma))
        - n2 * math.log1p(-1 / gamma)
    )
    return min(1.0, math.exp(log_p))


def sample_size(
    settings: AuditSettings, margin: int, ballots: int, n1: int = 0, n2: int = 0
) -> int:
    """The smallest n with p_value <= alpha (given n1, n2 overstatements), at most `ballots`
    (a full hand count); every ballot when the margin is 0."""
    if ballots <= 0:
        return 0
    if margin <= 0:
        return ballots
    gamma, alpha = settings.inflation, settings.alpha
    per_ballot = math.log1p(-(margin / ballots) / (2 * gamma))
    needed = (
        math.log(alpha) + n1 * math.log1p(-1 / (2 * gamma)) + n2 * math.log1p(-1 / gamma)
    ) / per_ballot
    n = max(0, math.ceil(needed))
    # The float division may land one off an exact boundary: settle n on the bound itself.
    while n > 0 and p_value(settings, margin, ballots, n - 1, n1, n2) <= alpha:
        n -= 1
    while n < ballots and p_value(settings, margin, ballots, n, n1, n2) > alpha:
        n += 1
    return min(n, ballots)
