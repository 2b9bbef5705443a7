"""Closing a count and its record: close, re-open, the minutes' data, the sealed audit bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballots import tally as rules
from ballots.counting.counts import (
    committee_text,
    congress_id_of,
    ensure_open,
    find_count,
    get_count,
    lock,
    printed_layout,
)
from ballots.counting.results import (
    figures,
    iso_seconds,
    reconciliation,
    running_tally,
    tally_rules,
)
from ballots.counting.review import StateCache, decision_row, decisions_by_ballot, evaluate
from ballots.elections import get_election
from ballots.models import BallotRound, Count, CountedBallot, Election
from congress import audit
from congress.db import Database
from congress.errors import Conflict, CongressError, Forbidden
from congress.models import Congress, utcnow
from congress.storage import FileStore, store_file


def close_count(
    session: Session,
    count: Count,
    explanation: str,
    actor: str,
    states: StateCache | None = None,
) -> dict[str, Any]:
    """Close and lock the count: nothing awaiting the committee, figures agreeing or explained."""
    ensure_open(count)
    evaluation = evaluate(session, count, states)
    figures_now = reconciliation(count, evaluation)
    if figures_now.awaiting_decision or figures_now.awaiting_confirmation:
        raise CongressError(
            "ballots_awaiting",
            "%(decision)s ballot(s) await a decision and %(confirmation)s a confirmation: "
            "the count cannot be closed yet",
            status=409,
            decision=figures_now.awaiting_decision,
            confirmation=figures_now.awaiting_confirmation,
        )
    explanation = committee_text(explanation, 2000)
    if not figures_now.agrees and not explanation:
        raise CongressError(
            "reconciliation_mismatch",
            "Issued %(issued)s, collected %(collected)s, scanned %(scanned)s and counted "
            "%(counted)s disagree: record an explanation to close the count",
            status=409,
            issued=figures_now.issued,
            collected=figures_now.collected,
            scanned=figures_now.scanned,
            counted=figures_now.counted,
        )
    result = running_tally(session, count, evaluation)
    count.state = "closed"
    count.closed_by = actor
    count.closed_at = utcnow()
    count.explanation = explanation
    count.result = result
    count.root_hash = None
    count.bundle_sha256 = None
    audit.record(
        session,
        actor,
        "count.closed",
        congress_id=congress_id_of(session, count),
        subject=f"count {count.id}",
        reconciliation=figures_now.to_dict(),
        explanation=explanation,
        elected=result.get("elected"),
    )
    return result


def reopen_count(session: Session, count: Count, reason: str, actor: str, is_admin: bool) -> None:
    """Only an administrator re-opens a closed count; the reason is recorded."""
    if not is_admin:
        raise Forbidden("admin_only", "Only an administrator can re-open a closed count")
    if count.state != "closed":
        raise CongressError("count_not_closed", "The count is not closed", status=409)
    reason = committee_text(reason)
    if not reason:
        raise CongressError("reopen_reason", "Say why the count is re-opened")
    audit.record(
        session,
        actor,
        "count.reopened",
        congress_id=congress_id_of(session, count),
        subject=f"count {count.id}",
        reason=reason,
        closed_by=count.closed_by,
        closed_at=count.closed_at.isoformat(timespec="seconds") if count.closed_at else None,
        root_hash=count.root_hash,
    )
    count.state = "open"
    count.closed_by = None
    count.closed_at = None
    count.result = None
    count.root_hash = None
    count.bundle_sha256 = None


def _frozen_figures(session: Session, count: Count) -> rules.CountFigures:
    if count.state == "closed" and count.result is not None:
        f = count.result["figures"]
        return rules.CountFigures(
            f["summoned"], f["present"], f["issued"], f["collected"], f.get("excused")
        )
    return figures(session, count)


def bundle_input(
    session: Session, election_id: int, round_number: int | None = None, *, files_dir: Path
) -> Any:
    """Everything the audit bundle of a round's count holds (ballots.proof.bundle.BundleInput).

    Ballots are in the order of their image hash: nothing tells the order they were scanned.
    """
    from ballots.audit.service import audit_input
    from ballots.elections import spec_for
    from ballots.proof.bundle import BundleBallot, BundleInput

    election = get_election(session, election_id)
    count = find_count(session, election, round_number)
    round_ = session.get(BallotRound, count.round_id)
    congress = session.get(Congress, election.congress_id)
    assert round_ is not None and congress is not None
    _, layout = printed_layout(round_)
    spec = spec_for(election, round_, congress)
    tally_rules_, candidates = tally_rules(session, count)
    store = FileStore(files_dir)
    ballots = sorted(
        session.scalars(select(CountedBallot).where(CountedBallot.count_id == count.id)),
        key=lambda b: b.image_sha256,
    )
    rows = decisions_by_ballot(session, count)
    figures_ = _frozen_figures(session, count)
    from ballots.reading.settings import settings_for_layout

    return BundleInput(
        congress={"name": congress.name, "slug": congress.slug, "public_key": congress.public_key},
        election={
            "id": election.id,
            "title": election.title,
            "form": election.form,
            "seats": round_.seats,
            "threshold_base": election.threshold_base,
            "percentage_base": election.percentage_base,
            "tie_rule": election.tie_rule,
            "nobody_elected_invalid": election.nobody_elected_invalid,
            "seal_required": election.seal_required,
            "round": round_.number,
        },
        spec=spec.to_dict(),
        layout=layout.to_dict(),
        settings=settings_for_layout(layout).to_dict(),  # what read_context read with
        candidates=[
            {
                "item": c.item,
                "name": c.name,
                "birth_date": c.birth_date.isoformat() if c.birth_date else None,
            }
            for c in candidates
        ],
        figures={
            "summoned": figures_.summoned,
            "present": figures_.present,
            "issued": figures_.issued,
            "collected": figures_.collected,
            **({"excused": figures_.excused} if figures_.excused is not None else {}),
        },
        count={
            "members": list(count.members),
            "opened_at": iso_seconds(count.opened_at),
            "closed_at": iso_seconds(count.closed_at),
            "explanation": count.explanation,
            "two_person_rule": count.two_person_rule,
            # Counts before ballots_0003 keep the bundle they had: the key only when it is on.
            **({"committee_decides_invalid": True} if count.committee_decides_invalid else {}),
        },
        ballots=[
            BundleBallot(
                image=store.get(b.image_sha256),
                file_name=b.file_name,
                reading=b.reading,
                decisions=[decision_row(d) for d in rows.get(b.id, [])],
                duplicate_of_serial=b.duplicate_of is not None,
            )
            for b in ballots
        ],
        tally=running_tally(session, count),
        audit=audit_input(session, count),
    )


def count_report(session: Session, count: Count, states: StateCache | None = None) -> Any:
    """The plain data of the counting minutes and the ballot-entry log (ballots.proof.minutes)."""
    from ballots.proof.minutes import CountReport

    election = session.get(Election, count.election_id)
    round_ = session.get(BallotRound, count.round_id)
    assert election is not None and round_ is not None
    congress = session.get(Congress, election.congress_id)
    assert congress is not None
    evaluation = dict(evaluate(session, count, states).ballots)
    ballots = sorted(
        session.scalars(select(CountedBallot).where(CountedBallot.count_id == count.id)),
        key=lambda b: b.image_sha256,
    )
    rows = decisions_by_ballot(session, count)
    entries = []
    for b in ballots:
        state = evaluation[b.id]
        entries.append(
            {
                "ballot": b.image_sha256[:12],
                "serial": b.serial,
                "machine_status": b.machine_status,
                "reasons": list(b.recorded.reasons),
                "targets": list(b.reading.get("targets", [])),
                "decisions": [decision_row(d) for d in rows.get(b.id, [])],
                "final_status": state.outcome.status,
                "final_reasons": list(state.outcome.reasons),
                "duplicate": b.duplicate_of is not None,
                "entered_by": list((b.reading.get("hand_entry") or {}).get("members") or []),
            }
        )
    return CountReport(
        congress_name=congress.name,
        election_title=election.title,
        round=round_.number,
        form=election.form,
        seats=round_.seats,
        members=list(count.members),
        figures=_frozen_figures(session, count),
        tally=running_tally(session, count),
        ended_at=count.closed_at,
        root_hash=count.root_hash,
        entries=entries,
        organisation=election.organisation or congress.organisation,
        place=congress.venue,
        layout=printed_layout(round_)[1],
        bundle_name=bundle_file_name(count),
        audit=_audit_report(session, count, states),
        timezone=congress.time_zone,
    )


def bundle_file_name(count: Count) -> str:
    """The name the sealed bundle is downloaded as (and the minutes' command names)."""
    return f"kiem-phieu-{count.id}-{(count.root_hash or '')[:12]}.zip"


def _audit_report(session: Session, count: Count, states: StateCache | None) -> Any:
    from ballots.audit.service import current_audit, report_of

    started = current_audit(session, count)
    return None if started is None else report_of(session, count, started, states)


def seal_count(db: Database, count_id: int) -> str:
    """Export the closed count's signed audit bundle into the file store; record its root hash."""
    import tempfile

    from ballots.proof.bundle import write_bundle
    from congress.signing import signing_key

    settings = db.settings
    with db.session() as session:
        count = get_count(session, count_id)
        if count.state != "closed":
            raise CongressError("count_not_closed", "The count is not closed", status=409)
        election = get_election(session, count.election_id)
        round_ = session.get(BallotRound, count.round_id)
        congress = session.get(Congress, election.congress_id)
        assert round_ is not None and congress is not None
        data = bundle_input(session, election.id, round_.number, files_dir=settings.files_dir)
        key = signing_key(settings, session, congress)
        closed_at = count.closed_at
    store = FileStore(settings.files_dir)
    with tempfile.TemporaryDirectory(dir=settings.home) as tmp:
        out = Path(tmp) / "bundle.zip"
        root = write_bundle(data, key, out)
        zipped = out.read_bytes()
        with db.write_session() as session:
            count = lock(session, count_id)
            if count.state != "closed" or count.closed_at != closed_at:
                raise Conflict("count_changed", "The count changed while its bundle was made")
            # The zip written is the one kept (linked into the store, not copied).
            stored = store_file(
                session, store, zipped, "application/zip", f"count-{count.id}.zip", out
            )
            count.root_hash = root
            count.bundle_sha256 = stored.sha256
            audit.record(
                session,
                "system",
                "count.sealed",
                congress_id=election.congress_id,
                subject=f"count {count.id}",
                root_hash=root,
                bundle=stored.sha256,
            )
    return root
