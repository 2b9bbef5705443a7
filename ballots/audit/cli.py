"""`congress ballots audit ...`: the hand audit of a closed count from the command line.

`sample` only shows the sample a seed draws (nothing is recorded); `start` fixes the seed;
`record` enters one member's reading of one sampled paper; `report` shows where the audit stands.
"""

from __future__ import annotations

from typing import Any

import click

from congress.cli_frame import (
    CLI_ACTOR,
    CliState,
    election_option,
    emit_json,
    json_option,
    round_option,
    with_state,
)
from congress.errors import CongressError

seed_option = click.option(
    "--seed", required=True, help="The public seed: 20 to 64 digits, e.g. from ten-sided dice."
)
risk_option = click.option(
    "--risk-limit",
    default=None,
    help="The largest chance that a wrong outcome is confirmed (0.05 = 5%%; default: "
    "CONGRESS_AUDIT_RISK_LIMIT, else 0.05).",
)


@click.group("audit")
def audit() -> None:
    """The hand audit of a closed count: a sample of paper ballots read by two members."""


def _count(session: Any, election_id: int, round_number: int | None) -> Any:
    from ballots.counting.counts import find_count
    from ballots.elections import get_election

    return find_count(session, get_election(session, election_id), round_number)


@audit.command("sample")
@election_option
@round_option
@seed_option
@risk_option
@json_option
@with_state
def sample_command(
    state: CliState,
    election_id: int,
    round_number: int | None,
    seed: str,
    risk_limit: str | None,
    as_json: bool,
) -> None:
    """The sample a seed draws, in sampling order, and its size (nothing is recorded)."""
    from ballots.audit.comparison import run_audit
    from ballots.audit.risk import AuditSettings
    from ballots.audit.service import audit_count

    with state.database().session() as session:
        count = _count(session, election_id, round_number)
        limit = risk_limit or state.settings.audit_risk_limit
        report = run_audit(audit_count(session, count), seed, AuditSettings(limit), [])
    if as_json:
        emit_json(_sample_json(election_id, report))
        return
    tr = state.translator()
    click.echo(
        tr.gettext(
            "Seed %(seed)s, risk limit %(limit)s: %(size)s of %(total)s ballots to check by "
            "hand (narrowest margin %(margin)s)",
            seed=report["seed"],
            limit=report["settings"]["risk_limit"],
            size=report["sample_size"],
            total=report["ballots"],
            margin=report["margin"],
        )
    )
    for s in report["sample"]:
        click.echo(f"{s['position']:>5}  {s['serial'] or '-':<12} {s['ballot']}")


def _sample_json(election_id: int, report: dict[str, Any]) -> dict[str, Any]:
    return {
        "election": election_id,
        "seed": report["seed"],
        "risk_limit": report["settings"]["risk_limit"],
        "method": report["settings"]["method"],
        "ballots": report["ballots"],
        "margin": report["margin"],
        "margins": report["margins"],
        "sample_size": report["sample_size"],
        "full_hand_count": report["full_hand_count"],
        "sample": [
            {k: s[k] for k in ("position", "ballot", "serial", "ticket")} for s in report["sample"]
        ],
    }


@audit.command("start")
@election_option
@round_option
@seed_option
@risk_option
@with_state
def start_command(
    state: CliState, election_id: int, round_number: int | None, seed: str, risk_limit: str | None
) -> None:
    """Fix the public seed and the risk limit of the count's hand audit (once)."""
    from ballots.audit.service import report_of, start_audit

    db = state.database()
    with db.write_session() as session:
        count = _count(session, election_id, round_number)
        limit = risk_limit or state.settings.audit_risk_limit
        started = start_audit(session, count, seed, limit, CLI_ACTOR)
        report = report_of(session, count, started)
    click.echo(
        state.translator().gettext(
            "Hand audit started: %(size)s ballots to read by two members",
            size=report["sample_size"],
        )
    )


def marked_targets(layout: Any, given: tuple[str, ...]) -> list[str]:
    """Target ids, or ballot numbers on a form with one target a name (a strike list)."""
    targets = list(layout.targets())
    out: list[str] = []
    for part in ",".join(given).split(","):
        part = part.strip()
        if not part:
            continue
        if part.isdigit():
            number = int(part)
            items = list(layout.items)
            if not 1 <= number <= len(items):
                raise CongressError("unknown_target", "No name number %(n)s on this ballot", n=part)
            mine = [t.id for t in targets if t.item == items[number - 1].id]
            if len(mine) != 1:
                raise CongressError(
                    "audit_target_number",
                    "On this form name the box itself (e.g. c001.agree), not a number",
                )
            out += mine
        else:
            out.append(part)
    return out


@audit.command("record")
@election_option
@round_option
@click.option("--ballot", required=True, help="The sampled ballot: its serial or image hash.")
@click.option("--screen", "slot", type=click.IntRange(1, 2), required=True)
@click.option("--member", required=True, help="The member reading the paper.")
@click.option(
    "--marked",
    multiple=True,
    help="Marked targets as the paper shows them: ballot numbers of struck names (3,7) or "
    "target ids (c003.strike); none: nothing is marked.",
)
@click.option("--invalid", default=None, help="A reason code when the paper itself is invalid.")
@json_option
@with_state
def record_command(
    state: CliState,
    election_id: int,
    round_number: int | None,
    ballot: str,
    slot: int,
    member: str,
    marked: tuple[str, ...],
    invalid: str | None,
    as_json: bool,
) -> None:
    """Record one member's reading of one sampled paper ballot (screen 1 or 2)."""
    from ballots.audit.service import audit_count, find_ballot, record_reading
    from ballots.counting.closing import seal_count

    db = state.database()
    with db.write_session() as session:
        count = _count(session, election_id, round_number)
        layout = audit_count(session, count).layout
        report = record_reading(
            session, count, ballot, slot, member, marked_targets(layout, marked), invalid,
            CLI_ACTOR,
        )  # fmt: skip
        count_id = count.id
        sampled = find_ballot(report, ballot)
    if report["conclusion"] != "in_progress":
        seal_count(db, count_id)  # the concluded audit goes into the stored bundle
    if as_json:
        emit_json({"ballot": sampled, "conclusion": report["conclusion"]})
        return
    _echo_conclusion(state, report)


def _echo_conclusion(state: CliState, report: dict[str, Any]) -> None:
    from ballots.audit.comparison import CONCLUSION_NAMES

    tr = state.translator()
    click.echo(
        tr.gettext(
            "%(read)s of %(size)s sampled ballots read; %(discrepancies)s differ from the "
            "count; risk %(risk)s (limit %(limit)s)",
            read=report["read"],
            size=report["sample_size"],
            discrepancies=report["discrepancies"],
            risk=report["risk"],
            limit=report["settings"]["risk_limit"],
        )
    )
    click.echo(tr.gettext(CONCLUSION_NAMES[report["conclusion"]]))


@audit.command("report")
@election_option
@round_option
@json_option
@with_state
def report_command(
    state: CliState, election_id: int, round_number: int | None, as_json: bool
) -> None:
    """Where the count's hand audit stands: sample, readings, discrepancies, conclusion."""
    from ballots.audit.service import current_audit, report_of

    with state.database().session() as session:
        count = _count(session, election_id, round_number)
        started = current_audit(session, count)
        if started is None:
            raise CongressError(
                "audit_not_started", "Enter the public seed to start the hand audit", status=409
            )
        report = report_of(session, count, started)
    if as_json:
        emit_json(report)
        return
    tr = state.translator()
    for s in report["sample"]:
        if s["agreed"] is None:
            mark = (
                tr.gettext("members disagree") if s["members_disagree"] else tr.gettext("to read")
            )
        else:
            mark = tr.gettext("differs") if s["discrepancy"] else tr.gettext("same")
        click.echo(f"{s['position']:>5}  {s['serial'] or '-':<12} {s['ballot'][:12]}  {mark}")
    _echo_conclusion(state, report)


@click.group("hand")
def hand() -> None:
    """The paper fallback: ballots typed by hand by two (or three) members independently."""


@hand.command("enter")
@election_option
@click.option("--serial", required=True, help="The serial printed on the paper ballot.")
@click.option("--member", required=True, help="The member typing this entry.")
@click.option(
    "--marked",
    multiple=True,
    help="Ballot numbers of the struck names (3,7) or target ids; none: nothing marked.",
)
@json_option
@with_state
def enter_command(
    state: CliState,
    election_id: int,
    serial: str,
    member: str,
    marked: tuple[str, ...],
    as_json: bool,
) -> None:
    """Enter one paper ballot as one member reads it; recorded once the members agree."""
    from ballots.audit.entries import enter_ballot
    from ballots.counting.counts import printed_layout

    db = state.database()
    with db.session() as session:
        count = _count(session, election_id, None)
        _, layout = printed_layout(count.round)
        count_id = count.id
        targets = marked_targets(layout, marked)
    answer = enter_ballot(db, count_id, serial, member, targets, CLI_ACTOR)
    if as_json:
        emit_json(answer.to_dict())
        return
    tr = state.translator()
    if answer.state == "agreed":
        click.echo(
            tr.gettext(
                "Ballot %(serial)s recorded: %(members)s entered it alike",
                serial=answer.serial,
                members=", ".join(answer.members),
            )
        )
    elif answer.state == "disagree":
        click.echo(
            tr.gettext(
                "Ballot %(serial)s: the entries disagree; the committee reviews both",
                serial=answer.serial,
            )
        )
    else:
        click.echo(
            tr.gettext(
                "Ballot %(serial)s: %(done)s of %(required)s entries; another member enters it",
                serial=answer.serial,
                done=len(answer.members),
                required=answer.required,
            )
        )
