"""The hand audit in the database: started on a sealed count, the members' readings recorded.

The report is always recomputed (ballots.audit.comparison.run_audit) from the count, the seed
and the readings, the same way `congress ballots verify` recomputes it from the bundle.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballots.audit.comparison import AuditBallot, AuditCount, run_audit
from ballots.audit.hand import HandReading
from ballots.audit.models import AuditReading, HandAudit
from ballots.audit.risk import AuditSettings
from ballots.audit.sampling import check_seed
from ballots.counting.counts import congress_id_of, lock, printed_layout
from ballots.counting.results import tally_rules
from ballots.counting.review import StateCache, evaluate
from ballots.models import BallotRound, Count, CountedBallot, Election
from congress import audit as audit_log
from congress.errors import CongressError, NotFound
from congress.models import utcnow

__all__ = [
    "audit_count",
    "audit_input",
    "current_audit",
    "readings_of",
    "record_reading",
    "record_readings",
    "report_of",
    "start_audit",
]


def _closed(count: Count) -> None:
    if count.state != "closed" or count.result is None:
        raise CongressError(
            "audit_count_open",
            "The hand audit checks a closed count: close the count first",
            status=409,
        )


def audit_count(session: Session, count: Count, states: StateCache | None = None) -> AuditCount:
    """The closed count as the audit sees it: every counted ballot's final outcome (copies of
    a serial set aside are left out), the frozen tally."""
    _closed(count)
    round_ = session.get(BallotRound, count.round_id)
    election = session.get(Election, count.election_id)
    assert round_ is not None and election is not None
    _, layout = printed_layout(round_)
    _, candidates = tally_rules(session, count)
    evaluation = dict(evaluate(session, count, states).ballots)
    ballots = []
    for ballot_id, sha, serial in session.execute(
        select(CountedBallot.id, CountedBallot.image_sha256, CountedBallot.serial).where(
            CountedBallot.count_id == count.id
        )
    ):
        state = evaluation[ballot_id]
        if state.state == "duplicate":
            continue
        ballots.append(AuditBallot(sha, serial, state.outcome.to_dict()))
    assert count.result is not None
    return AuditCount(
        layout=layout,
        seats=round_.seats,
        nobody_elected_invalid=election.nobody_elected_invalid,
        result=count.result,
        candidates=candidates,
        ballots=sorted(ballots, key=lambda b: b.ballot),
    )


def current_audit(session: Session, count: Count) -> HandAudit | None:
    """The audit of the count's sealed bundle as it is now (None when there is none)."""
    if count.state != "closed" or not count.root_hash:
        return None
    return session.scalar(
        select(HandAudit).where(
            HandAudit.count_id == count.id, HandAudit.bundle_root == count.root_hash
        )
    )


def settings_of(audit: HandAudit) -> AuditSettings:
    return AuditSettings(audit.risk_limit, audit.gamma)


def start_audit(
    session: Session, count: Count, seed: str, risk_limit: str, actor: str
) -> HandAudit:
    """Record the public seed and the risk limit of the sealed count's audit (once: the seed
    of an audit is never changed)."""
    count = lock(session, count.id)
    _closed(count)
    if not count.root_hash:
        raise CongressError(
            "audit_not_sealed", "The count's audit bundle is not sealed yet", status=409
        )
    if current_audit(session, count) is not None:
        raise CongressError(
            "audit_exists", "This count's hand audit has started: its seed is fixed", status=409
        )
    seed = check_seed(seed)
    settings = AuditSettings(str(risk_limit or "0.05")).check()
    # Refuses an outcome with nothing to audit (a confidence vote) before anything is stored.
    run_audit(audit_count(session, count), seed, settings, [])
    audit = HandAudit(
        count_id=count.id,
        bundle_root=count.root_hash,
        seed=seed,
        risk_limit=settings.risk_limit,
        gamma=settings.gamma,
        started_by=actor,
        started_at=utcnow(),
    )
    session.add(audit)
    session.flush()
    audit_log.record(
        session,
        actor,
        "count.audit_started",
        congress_id=congress_id_of(session, count),
        subject=f"count {count.id}",
        seed=seed,
        risk_limit=settings.risk_limit,
        root_hash=count.root_hash,
    )
    return audit


def readings_of(session: Session, audit: HandAudit, layout: Any) -> list[HandReading]:
    rows = session.scalars(
        select(AuditReading).where(AuditReading.audit_id == audit.id).order_by(AuditReading.id)
    )
    return [HandReading.make(layout, r.ballot, r.slot, r.member, r.marked, r.invalid) for r in rows]


def report_of(
    session: Session, count: Count, audit: HandAudit, states: StateCache | None = None
) -> dict[str, Any]:
    found = audit_count(session, count, states)
    return run_audit(
        found, audit.seed, settings_of(audit), readings_of(session, audit, found.layout)
    )


def find_ballot(report: dict[str, Any], ballot: str) -> dict[str, Any]:
    """The sampled ballot named by its image hash (or a prefix of 12+) or its serial."""
    wanted = ballot.strip()
    for s in report["sample"]:
        if s["ballot"] == wanted or s["serial"] == wanted.upper():
            return dict(s)
        if len(wanted) >= 12 and s["ballot"].startswith(wanted.lower()):
            return dict(s)
    raise NotFound("audit_not_sampled", "Ballot %(ballot)s is not in the sample", ballot=wanted)


def record_reading(
    session: Session,
    count: Count,
    ballot: str,
    slot: int,
    member: str,
    marked: Iterable[str],
    invalid: str | None,
    actor: str,
) -> dict[str, Any]:
    """One member's reading of one sampled paper on one screen; the report after it."""
    count = lock(session, count.id)
    audit = current_audit(session, count)
    if audit is None:
        raise CongressError(
            "audit_not_started", "Enter the public seed to start the hand audit", status=409
        )
    found = audit_count(session, count)
    readings = readings_of(session, audit, found.layout)
    report = run_audit(found, audit.seed, settings_of(audit), readings)
    sampled = find_ballot(report, ballot)
    reading = HandReading.make(found.layout, sampled["ballot"], slot, member, marked, invalid)
    other = sampled["members"][1 if slot == 1 else 0]
    if other is not None and other == reading.member:
        raise CongressError(
            "audit_same_member",
            "%(member)s read this ballot on the other screen: another member reads it here",
            member=reading.member,
        )
    session.add(_stored(audit, reading, actor))
    session.flush()
    after = run_audit(found, audit.seed, settings_of(audit), [*readings, reading])
    audit_log.record(
        session,
        actor,
        "count.audit_reading",
        congress_id=congress_id_of(session, count),
        subject=f"count {count.id}",
        ballot=reading.ballot,
        slot=reading.slot,
        member=reading.member,
        conclusion=after["conclusion"],
    )
    return after


def record_readings(
    session: Session, count: Count, readings: Iterable[HandReading], actor: str
) -> dict[str, Any]:
    """Several readings at once (a committee entering a stack of sheets, the demo): each checked
    as record_reading checks it; the report after them all."""
    count = lock(session, count.id)
    audit = current_audit(session, count)
    if audit is None:
        raise CongressError(
            "audit_not_started", "Enter the public seed to start the hand audit", status=409
        )
    found = audit_count(session, count)
    known = readings_of(session, audit, found.layout)
    sampled = {
        s["ballot"] for s in run_audit(found, audit.seed, settings_of(audit), known)["sample"]
    }
    for reading in readings:
        if reading.ballot not in sampled:
            raise NotFound(
                "audit_not_sampled", "Ballot %(ballot)s is not in the sample", ballot=reading.ballot
            )
        if any(
            r.ballot == reading.ballot and r.slot != reading.slot and r.member == reading.member
            for r in known
        ):
            raise CongressError(
                "audit_same_member",
                "%(member)s read this ballot on the other screen: another member reads it here",
                member=reading.member,
            )
        known.append(reading)
        session.add(_stored(audit, reading, actor))
    session.flush()
    return run_audit(found, audit.seed, settings_of(audit), known)


def audit_input(session: Session, count: Count) -> Any:
    """The audit the sealed bundle carries (ballots.audit.record.AuditInput), or None."""
    from ballots.audit.record import AuditInput

    audit = current_audit(session, count)
    if audit is None:
        return None
    round_ = session.get(BallotRound, count.round_id)
    assert round_ is not None
    _, layout = printed_layout(round_)
    return AuditInput(audit.seed, settings_of(audit), readings_of(session, audit, layout))


def _stored(audit: HandAudit, reading: HandReading, actor: str) -> AuditReading:
    """One member's reading of one sampled paper, as kept (evidence: never changed after)."""
    return AuditReading(
        audit_id=audit.id,
        ballot=reading.ballot,
        slot=reading.slot,
        member=reading.member,
        marked=list(reading.marked),
        invalid=reading.invalid,
        actor=actor,
        at=utcnow(),
    )
