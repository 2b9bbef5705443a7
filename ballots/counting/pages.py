"""What every counting page shares: the count named by the path, the roles, the template context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy.orm import Session
from starlette.requests import Request

from ballots import reasons
from ballots.counting import counts, results
from ballots.counting.counts import printed_layout
from ballots.counting.intake import CONTEXTS_KEPT, ContextCache
from ballots.counting.review import STATES_KEPT, StateCache
from ballots.models import BallotRound, Count, Election
from ballots.tally import BASE_NAMES
from ballots.wording import Wording
from congress import congresses
from congress.cache import BoundedCache
from congress.errors import NotFound
from congress.models import Congress
from congress.web import principal, t

COUNT = ("counting",)
VIEW = ("counting", "organizer", "observer")

# (database, count, image) -> (annotated JPEG, {target id: PNG crop}): a reviewer goes back and
# forth between a few ballots; 48 of them are a few megabytes.
# The last key part is the language of the caption, or "hall" for the projector's view.
ImageCache = BoundedCache[tuple[str, int, str, str], tuple[bytes, dict[str, bytes]]]
IMAGES_KEPT = 48


@dataclass
class CountingCaches:
    """What the counting pages keep between requests.

    The app holds one in its state (the ballots capability's on_startup makes it), so the values
    live as long as the app and never leak into another app or a test's database.
    """

    contexts: ContextCache = field(default_factory=lambda: ContextCache(CONTEXTS_KEPT))
    states: StateCache = field(default_factory=lambda: StateCache(STATES_KEPT))
    images: ImageCache = field(default_factory=lambda: ImageCache(IMAGES_KEPT))


def caches_of(request: Request) -> CountingCaches:
    return cast(CountingCaches, request.app.state.counting_caches)


@dataclass(frozen=True)
class Words:
    """Every label (msgid) the counting pages show for a code, as one template value."""

    reasons: Mapping[str, str]
    committee_reasons: Mapping[str, str]  # the committee's choices, in the order offered
    notes: Mapping[str, str]  # "fine" takes %(dpi)s
    statuses: Mapping[str, str]
    kinds: Mapping[str, str]  # of decision rows
    states: Mapping[str, str]  # of a ballot in the count
    bases: Mapping[str, str]


WORDS = Words(
    reasons=reasons.REASON_NAMES,
    committee_reasons=reasons.COMMITTEE_REASONS,
    notes=reasons.NOTE_NAMES,
    statuses=reasons.STATUS_NAMES,
    kinds=reasons.DECISION_NAMES,
    states=reasons.STATES,
    bases=BASE_NAMES,
)


def path_number(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError as exc:
        raise NotFound("not_found", "This page does not exist") from exc


def load_count(session: Session, request: Request) -> tuple[Congress, Count, Election, BallotRound]:
    congress = congresses.get_congress(session, request.path_params["slug"])
    count = counts.get_count(session, path_number(request.path_params["count_id"]), congress)
    election = session.get(Election, count.election_id)
    round_ = session.get(BallotRound, count.round_id)
    assert election is not None and round_ is not None
    return congress, count, election, round_


def count_url(request: Request) -> str:
    return f"/c/{request.path_params['slug']}/counts/{request.path_params['count_id']}"


def page_context(session: Session, request: Request, **extra: Any) -> tuple[dict[str, Any], Count]:
    congress, count, election, round_ = load_count(session, request)
    status = results.status_json(session, count, caches_of(request).states)
    who = principal(request)
    return {
        "congress": congress,
        "count": count,
        "election": election,
        "round": round_,
        "status": status,
        "rec": status["reconciliation"],
        "tally": status["tally"],
        "base": count_url(request),
        "words": WORDS,
        "can_count": bool(who and who.has(*COUNT)),
        "is_admin": bool(who and "admin" in who.roles),
        "minutes_ready": proof_available(),
        "uploads": None,
        "public": False,
        "say": Wording(t(request), printed_layout(round_)[1]),
        **extra,
    }, count


def proof_available() -> bool:
    from importlib.util import find_spec

    return find_spec("ballots.proof.minutes") is not None
