"""Where a count stands: reconciliation of the figures, the running tally, the status shown.

The tally itself is ballots.tally's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballots import tally as rules
from ballots.counting.counts import printed_layout, time_zone_of
from ballots.counting.review import Evaluation, StateCache, evaluate
from ballots.elections import ordered_candidates
from ballots.models import BallotRound, Count, CountedBallot, Election
from congress.attendance import attendance
from congress.i18n import iso_local
from congress.models import Congress, Delegate, Sitting


@dataclass(frozen=True)
class Reconciliation:
    issued: int
    collected: int
    scanned: int  # distinct ballots: duplicate-serial copies left out
    counted: int  # scanned ballots with a final outcome (valid or invalid)
    duplicates: int  # copies of an earlier serial
    awaiting_decision: int
    awaiting_confirmation: int

    @property
    def agrees(self) -> bool:
        return self.issued == self.collected == self.scanned == self.counted

    def differences(self) -> list[tuple[str, int, str, int]]:
        """Each pair of neighbouring figures that disagree, with both values, in the order a
        ballot goes (issued, collected, scanned, counted)."""
        chain = [
            ("issued", self.issued),
            ("collected", self.collected),
            ("scanned", self.scanned),
            ("counted", self.counted),
        ]
        return [(a, x, b, y) for (a, x), (b, y) in zip(chain, chain[1:], strict=False) if x != y]

    def to_dict(self) -> dict[str, Any]:
        return {
            "issued": self.issued,
            "collected": self.collected,
            "scanned": self.scanned,
            "counted": self.counted,
            "duplicates": self.duplicates,
            "awaiting_decision": self.awaiting_decision,
            "awaiting_confirmation": self.awaiting_confirmation,
            "agrees": self.agrees,
            "differences": [
                {"first": a, "first_value": x, "second": b, "second_value": y}
                for a, x, b, y in self.differences()
            ],
        }


def reconciliation(count: Count, evaluation: Evaluation) -> Reconciliation:
    states = [s.state for _, s in evaluation.ballots]
    return Reconciliation(
        issued=count.issued,
        collected=count.collected,
        scanned=sum(1 for s in states if s != "duplicate"),
        counted=states.count("counted"),
        duplicates=states.count("duplicate"),
        awaiting_decision=states.count("needs_decision"),
        awaiting_confirmation=states.count("needs_confirmation"),
    )


def attendance_figures(session: Session, election: Election) -> tuple[int, int]:
    """(summoned, present): from the check-in of the election's sitting when it has one."""
    congress = session.get(Congress, election.congress_id)
    assert congress is not None
    if election.sitting_id is not None:
        sitting = session.get(Sitting, election.sitting_id)
        assert sitting is not None
        report = attendance(session, congress, sitting)
        return report.summoned, report.present
    summoned = session.scalar(
        select(func.count())
        .select_from(Delegate)
        .where(
            Delegate.congress_id == congress.id,
            Delegate.kind == "full",
            Delegate.revoked_at.is_(None),
        )
    )
    return int(summoned or 0), 0


def figures(session: Session, count: Count) -> rules.CountFigures:
    election = session.get(Election, count.election_id)
    assert election is not None
    summoned, present = attendance_figures(session, election)
    return rules.CountFigures(
        summoned=summoned,
        present=present,
        issued=count.issued,
        collected=count.collected,
        excused=count.excused,
    )


def tally_rules(
    session: Session, count: Count
) -> tuple[rules.TallyRules, list[rules.CandidateInfo]]:
    election = session.get(Election, count.election_id)
    round_ = session.get(BallotRound, count.round_id)
    assert election is not None and round_ is not None
    _, layout = printed_layout(round_)
    people = ordered_candidates(election, round_)
    candidates = [
        rules.CandidateInfo(
            item=item.id,
            name=item.label,
            birth_date=people[index].birth_date if index < len(people) else None,
        )
        for index, item in enumerate(layout.items)
    ]
    return (
        rules.TallyRules(
            form=election.form,
            seats=round_.seats,
            threshold_base=election.threshold_base,
            percentage_base=election.percentage_base,
            tie_rule=election.tie_rule,
        ),
        candidates,
    )


def running_tally(
    session: Session, count: Count, evaluation: Evaluation | None = None
) -> dict[str, Any]:
    """The tally as it stands (TallyResult.to_dict()); the frozen one once the count is closed."""
    if count.state == "closed" and count.result is not None:
        return count.result
    evaluation = evaluation or evaluate(session, count)
    tally_rules_, candidates = tally_rules(session, count)
    result = rules.tally(tally_rules_, candidates, figures(session, count), evaluation.counted)
    return dict(result.to_dict())


def status_json(session: Session, count: Count, states: StateCache | None = None) -> dict[str, Any]:
    """What the count page, the projector and the station API show."""
    evaluation = evaluate(session, count, states)
    round_ = session.get(BallotRound, count.round_id)
    assert round_ is not None
    last = None
    counted = [i for i, state in evaluation.ballots if state.state == "counted"]
    if counted:  # the projector shows the last ballot that counts, never one under review
        ballot = session.get(CountedBallot, counted[-1])
        assert ballot is not None
        last = {
            "id": ballot.id,
            "serial": ballot.serial,
            "status": dict(evaluation.ballots)[ballot.id].outcome.status,
            "machine_status": ballot.machine_status,
        }
    return {
        "count": {
            "id": count.id,
            "election_id": count.election_id,
            "round": round_.number,
            "state": count.state,
            "two_person_rule": count.two_person_rule,
            "members": list(count.members),
            "explanation": count.explanation,
            "closed_at": iso_local(count.closed_at, time_zone_of(session, count)),
            "root_hash": count.root_hash,
        },
        "reconciliation": reconciliation(count, evaluation).to_dict(),
        "last_ballot": last,
        "tally": running_tally(session, count, evaluation),
    }


def iso_seconds(value: dt.datetime | None) -> str | None:
    """An instant in UTC, with its offset (the audit bundle's times: no zone to know)."""
    return value.isoformat(timespec="seconds") if value else None
