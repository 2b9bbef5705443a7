"""What every counting page shares: the count named by the path, the roles, the template context."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request

from ballots.counting import counts, results, review
from ballots.models import BallotRound, Count, Election
from ballots.tally import BASE_NAMES
from congress import congresses
from congress.errors import NotFound
from congress.models import Congress
from congress.web import principal

COUNT = ("counting",)
VIEW = ("counting", "organizer", "observer")


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
    status = results.status_json(session, count)
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
        "reasons": review.REASON_NAMES,
        "notes": review.NOTE_NAMES,
        "invalid_reasons": review.INVALID_REASONS,
        "statuses": review.STATUS_NAMES,
        "kinds": review.DECISION_NAMES,
        "bases": BASE_NAMES,
        "states": review.BALLOT_STATES,
        "can_count": bool(who and who.has(*COUNT)),
        "is_admin": bool(who and "admin" in who.roles),
        "minutes_ready": proof_available(),
        "uploads": None,
        "public": False,
        **extra,
    }, count


def proof_available() -> bool:
    from importlib.util import find_spec

    return find_spec("ballots.proof.minutes") is not None
