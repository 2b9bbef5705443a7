"""Elections and their ballots: candidates, rounds, print runs with their serials, voiding.

The candidate list of a round is locked from the first print run of that round until every
run of it is voided: a printed ballot and the list it was printed from must never disagree.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ballots.models import (
    BASES,
    FORMS,
    ORDERS,
    TIE_RULES,
    BallotRound,
    Candidate,
    Election,
    IssuedSerial,
    PrintRun,
)
from ballots.paper.design import BallotSpec, build_layout
from ballots.paper.layout import BallotLayout
from ballots.paper.pdf import render_ballots
from ballots.paper.serials import ballot_page_tokens, new_serials
from congress import audit
from congress.delegate_import import (
    GENDER_VALUES,
    ImportRefused,
    ImportReport,
    RowProblem,
    cell_text,
    parse_date,
    read_columns,
    template_notes,
)
from congress.errors import CongressError, NotFound
from congress.exports import import_template
from congress.i18n import DEFAULT_TIME_ZONE, N_, iso_local
from congress.keys import public_key_bytes
from congress.limits import Limits
from congress.models import Congress, Sitting, utcnow
from congress.settings import Settings
from congress.signing import public_key, signing_key
from congress.vietnamese import fold, name_sort_string, nfc

DEFAULT_LIMITS = Limits()

if TYPE_CHECKING:
    from ballots.reading.context import ContextDescription
    from ballots.reading.reader import ReadingContext

MAX_CANDIDATES = 250
MAX_PRINT = 5000

CANDIDATE_HEADERS: dict[str, tuple[str, ...]] = {
    "full_name": ("ho va ten", "ho ten", "full name", "name", "cau hoi", "question"),
    "birth_date": ("ngay sinh", "ngay thang nam sinh", "birth date", "date of birth"),
    "gender": ("gioi tinh", "gender", "sex"),
    "position": ("chuc vu", "position", "title", "chuc danh"),
    "unit": ("don vi", "don vi cong tac", "unit", "organisation", "organization", "co quan"),
    "order": ("thu tu", "order", "so thu tu tren phieu"),
}


# The candidates' import template: the header as written, whether required, what to write.
CANDIDATE_TEMPLATE: tuple[tuple[str, bool, str], ...] = (
    ("Họ và tên", True, N_("The full name with its diacritics, as printed on the ballot")),
    ("Ngày sinh", False, N_("dd/mm/yyyy; decides a tie when the older candidate wins")),
    ("Giới tính", False, N_("Nam, Nữ or Khác")),
    ("Chức vụ", False, N_("At most 200 characters")),
    ("Đơn vị", False, N_("At most 200 characters")),
    ("Thứ tự", False, N_("The place on the ballot, when the order is as in the file")),
)


def candidates_template_xlsx(gettext: Callable[[str], str]) -> bytes:
    """The candidates' import template: the header row to fill in, and a sheet explaining it."""
    return import_template(
        gettext("Candidates"),
        [column[0] for column in CANDIDATE_TEMPLATE],
        gettext("How to fill it in"),
        template_notes(CANDIDATE_TEMPLATE, gettext),
    )


@dataclass(frozen=True)
class Rules:
    threshold_base: str = "valid"
    percentage_base: str = "valid"
    tie_rule: str = "new_round"
    seal_required: bool = True
    nobody_elected_invalid: bool = True
    candidate_order: str = "alphabetical"

    def check(self) -> None:
        for value, allowed, code in (
            (self.threshold_base, BASES, "bad_threshold_base"),
            (self.percentage_base, BASES, "bad_percentage_base"),
            (self.tie_rule, TIE_RULES, "bad_tie_rule"),
            (self.candidate_order, ORDERS, "bad_candidate_order"),
        ):
            if value not in allowed:
                raise CongressError(
                    code,
                    "%(value)s is not one of %(allowed)s",
                    value=value,
                    allowed=", ".join(allowed),
                )


def get_election(session: Session, election_id: int, congress: Congress | None = None) -> Election:
    election = session.get(Election, election_id)
    if election is None or (congress is not None and election.congress_id != congress.id):
        raise NotFound("unknown_election", "No election with the number %(id)s", id=election_id)
    return election


def current_round(election: Election) -> BallotRound:
    return election.rounds[-1]


def live_runs(round_: BallotRound) -> list[PrintRun]:
    return [run for run in round_.print_runs if run.voided_at is None]


def create_election(
    session: Session,
    congress: Congress,
    *,
    title: str,
    form: str,
    seats: int,
    actor: str,
    sitting_number: int | None = None,
    organisation: str = "",
    rules: Rules = Rules(),
) -> Election:
    title = nfc(title).strip()
    if not title or len(title) > 300:
        raise CongressError("bad_title", "The election needs a title of at most 300 characters")
    if form not in FORMS:
        raise CongressError(
            "bad_form", "The ballot form must be strike, agree, yesno or confidence"
        )
    if not 1 <= seats <= MAX_CANDIDATES:
        raise CongressError("bad_seats", "Seats must be between 1 and %(max)s", max=MAX_CANDIDATES)
    rules.check()
    sitting_id = None
    if sitting_number is not None:
        sitting = session.scalar(
            select(Sitting).where(
                Sitting.congress_id == congress.id, Sitting.number == sitting_number
            )
        )
        if sitting is None:
            raise CongressError(
                "unknown_sitting",
                "This congress has no sitting number %(number)s",
                number=sitting_number,
            )
        sitting_id = sitting.id
    election = Election(
        congress_id=congress.id,
        sitting_id=sitting_id,
        title=title,
        form=form,
        seats=seats,
        organisation=nfc(organisation or congress.organisation).strip()[:300],
        threshold_base=rules.threshold_base,
        percentage_base=rules.percentage_base,
        tie_rule=rules.tie_rule,
        seal_required=rules.seal_required,
        nobody_elected_invalid=rules.nobody_elected_invalid,
        candidate_order=rules.candidate_order,
    )
    election.rounds.append(BallotRound(number=1, seats=seats))
    session.add(election)
    session.flush()
    audit.record(
        session,
        actor,
        "election.created",
        congress_id=congress.id,
        subject=f"election {election.id}",
        title=title,
        form=form,
        seats=seats,
    )
    return election


def ensure_editable(election: Election) -> None:
    """Refuse changing the candidates once the current round's ballots are printed."""
    round_ = current_round(election)
    if round_.number > 1:
        raise CongressError(
            "round_fixed",
            "Round %(number)s was built from the remaining candidates and cannot be changed",
            status=409,
            number=round_.number,
        )
    if live_runs(round_):
        raise CongressError(
            "candidates_locked",
            "Ballots of this election are printed: the candidate list is locked. "
            "Void the printed batch first (it is recorded).",
            status=409,
        )


def ordered_candidates(election: Election, round_: BallotRound | None = None) -> list[Candidate]:
    """The candidates of a round in ballot order."""
    round_ = round_ or current_round(election)
    by_id = {c.id: c for c in election.candidates}
    if round_.candidate_ids is not None:
        return [by_id[i] for i in round_.candidate_ids if i in by_id]
    if election.candidate_order == "manual":
        return sorted(election.candidates, key=lambda c: (c.manual_order, c.sort_key, c.id))
    return sorted(election.candidates, key=lambda c: (c.sort_key, c.id))


def parse_candidates(
    data: bytes, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[dict[str, Any]], ImportReport]:
    """Validate a candidate file (CSV or XLSX, Vietnamese or English headers), every row."""
    report = ImportReport()
    found = read_columns(data, CANDIDATE_HEADERS, ("full_name",), report, limits=limits)
    if found is None:
        return [], report
    table, columns, titles = found
    header_line = table[0][0]
    # A column the list cannot read is refused, not dropped: a "Năm sinh" (year of birth) left
    # out silently would let a tie go to the wrong candidate.
    known = ", ".join(column[0] for column in CANDIDATE_TEMPLATE)
    for title in report.unknown_columns:
        report.problems.append(
            RowProblem(
                header_line,
                title,
                "",
                "Unknown column; the columns of a candidate list are %(columns)s",
                {"columns": known},
            )
        )
    if report.problems:
        return [], report
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, Any], int] = {}
    most = min(MAX_CANDIDATES, limits.table_rows)
    if len(table) - 1 > most:
        report.problems.append(
            RowProblem(
                header_line,
                "",
                str(len(table) - 1),
                "Too many rows (at most %(max)s)",
                {"max": most},
            )
        )
        return [], report
    for line, raw in table[1:]:
        cells = {name: (raw[i] if i < len(raw) else None) for i, name in columns.items()}
        values: dict[str, Any] = {"line": line}

        def problem(
            name: str,
            value: Any,
            message: str,
            line: int = line,
            **params: Any,
        ) -> None:
            report.problems.append(
                RowProblem(line, titles.get(name, name), cell_text(value), message, params)
            )

        name_text = nfc(cell_text(cells.get("full_name"))).strip()
        if not name_text:
            problem("full_name", cells.get("full_name"), "The full name is empty")
        elif len(name_text) > 120:
            problem(
                "full_name", cells.get("full_name"), "The full name is longer than 120 characters"
            )
        values["full_name"] = name_text
        born = cells.get("birth_date")
        values["birth_date"] = None
        if cell_text(born):
            try:
                values["birth_date"] = parse_date(born)
                if not dt.date(1900, 1, 1) <= values["birth_date"] <= dt.date.today():
                    problem(
                        "birth_date", cells.get("birth_date"), "The birth date is not plausible"
                    )
            except ValueError:
                problem(
                    "birth_date",
                    cells.get("birth_date"),
                    "Not a date: write dd/mm/yyyy or yyyy-mm-dd",
                )
        gender = fold(cell_text(cells.get("gender")))
        if gender and gender not in GENDER_VALUES:
            problem(
                "gender",
                cells.get("gender"),
                "Gender must be Nam, Nữ or Khác (male, female, other)",
            )
        values["gender"] = GENDER_VALUES.get(gender) if gender else None
        values["position"] = nfc(cell_text(cells.get("position")))[:200]
        values["unit"] = nfc(cell_text(cells.get("unit")))[:200]
        order = cell_text(cells.get("order"))
        values["order"] = 0
        if order:
            try:
                values["order"] = int(float(order))
            except ValueError:
                problem("order", cells.get("order"), "The order must be a whole number")
        key = (fold(name_text), values["birth_date"])
        if name_text and key in seen:
            problem(
                "full_name",
                cells.get("full_name"),
                "The same person as on line %(first)s",
                first=seen[key],
            )
        seen.setdefault(key, line)
        rows.append(values)
    report.rows = len(rows)
    return rows, report


def import_candidates(
    session: Session,
    election: Election,
    data: bytes,
    actor: str,
    limits: Limits = DEFAULT_LIMITS,
) -> int:
    """Replace the candidate list with the file's: every row, or none with a report."""
    ensure_editable(election)
    rows, report = parse_candidates(data, limits)
    if report.problems:
        raise ImportRefused(
            report,
            "Nothing was imported: %(count)s problem(s) in the file",
            count=len(report.problems),
        )
    if not rows:
        raise CongressError("no_candidates", "The file has no candidates")
    for old in list(election.candidates):
        election.candidates.remove(old)
    for values in rows:
        election.candidates.append(
            Candidate(
                full_name=values["full_name"],
                sort_key=name_sort_string(values["full_name"]),
                birth_date=values["birth_date"],
                gender=values["gender"],
                position=values["position"],
                unit=values["unit"],
                manual_order=values["order"] or values["line"],
            )
        )
    session.flush()
    audit.record(
        session,
        actor,
        "election.candidates",
        congress_id=election.congress_id,
        subject=f"election {election.id}",
        count=len(rows),
    )
    return len(rows)


def spec_for(election: Election, round_: BallotRound, congress: Congress) -> BallotSpec:
    candidates = ordered_candidates(election, round_)
    if not candidates:
        raise CongressError("no_candidates", "The election has no candidates yet")
    if election.form == "strike" and len(candidates) < round_.seats:
        raise CongressError(
            "too_few_candidates",
            "%(count)s candidates for %(seats)s seats: a strike-out ballot needs at least as "
            "many candidates as seats",
            count=len(candidates),
            seats=round_.seats,
        )
    title = election.title if round_.number == 1 else f"{election.title} (lần {round_.number})"
    place = f"{congress.venue}, " if congress.venue else ""
    return BallotSpec(
        election_id=election.id,
        round=round_.number,
        form=election.form,  # type: ignore[arg-type]
        seats=round_.seats,
        organisation=election.organisation or congress.organisation,
        title=title,
        items=[c.full_name for c in candidates],
        sitting_label=f"{place}ngày {congress.starts_on:%d/%m/%Y}",
        seal_required=election.seal_required,
    )


@dataclass(frozen=True)
class Printed:
    run: PrintRun
    pdf: bytes
    layout: BallotLayout


def print_ballots(
    settings: Settings, session: Session, election: Election, count: int, actor: str
) -> Printed:
    """Print `count` ballots of the current round with fresh serials; records the run."""
    if not 1 <= count <= MAX_PRINT:
        raise CongressError(
            "bad_count", "Print between 1 and %(max)s ballots at a time", max=MAX_PRINT
        )
    congress = session.get(Congress, election.congress_id)
    assert congress is not None
    round_ = current_round(election)
    spec = spec_for(election, round_, congress)
    layout = build_layout(spec)
    issued = session.scalars(
        select(IssuedSerial.serial).where(IssuedSerial.election_id == election.id)
    ).all()
    serials = new_serials(count, exclude=issued)
    tokens = ballot_page_tokens(
        signing_key(settings, session, congress),
        election.id,
        round_.number,
        len(layout.pages),
        serials,
    )
    out = io.BytesIO()
    render_ballots(spec, layout, tokens, out)
    if round_.candidate_ids is None:
        round_.candidate_ids = [c.id for c in ordered_candidates(election, round_)]
    run = PrintRun(count=count, layout=layout.to_dict(), printed_by=actor)
    round_.print_runs.append(run)
    session.flush()
    session.add_all(
        IssuedSerial(election_id=election.id, print_run_id=run.id, serial=s) for s in serials
    )
    session.flush()
    audit.record(
        session,
        actor,
        "ballots.printed",
        congress_id=congress.id,
        subject=f"election {election.id} round {round_.number}",
        run=run.id,
        count=count,
    )
    return Printed(run, out.getvalue(), layout)


def void_run(
    session: Session, election: Election, run_id: int, reason: str, actor: str
) -> PrintRun:
    """Void a printed batch (its ballots must be destroyed); the record stays."""
    run = session.get(PrintRun, run_id)
    if run is None or run.round.election_id != election.id:
        raise NotFound("unknown_print_run", "No print run %(id)s in this election", id=run_id)
    if run.voided_at is not None:
        raise CongressError("already_voided", "This print run is already voided", status=409)
    reason = reason.strip()
    if not reason:
        raise CongressError("void_reason", "Say why the batch is voided")
    run.voided_at = utcnow()
    run.voided_by = actor
    run.void_reason = reason[:300]
    round_ = run.round
    if round_.number == 1 and not live_runs(round_):
        round_.candidate_ids = None  # the list may change again, and the ballot with it
    audit.record(
        session,
        actor,
        "ballots.voided",
        congress_id=election.congress_id,
        subject=f"election {election.id} run {run.id}",
        reason=run.void_reason,
        count=run.count,
    )
    return run


def new_round(
    session: Session, election: Election, candidate_ids: list[int], seats: int, actor: str
) -> BallotRound:
    """A further round: a new ballot with the remaining candidates for the seats still open."""
    previous = current_round(election)
    if not live_runs(previous):
        raise CongressError(
            "round_not_held",
            "Round %(number)s was not printed; change it instead",
            status=409,
            number=previous.number,
        )
    known = {c.id for c in election.candidates}
    wanted = list(dict.fromkeys(candidate_ids))
    if not wanted or not set(wanted) <= known:
        raise CongressError(
            "bad_round_candidates", "Name the remaining candidates of this election"
        )
    if not 1 <= seats <= len(wanted) or seats > election.seats:
        raise CongressError(
            "bad_round_seats",
            "The new round needs 1 to %(max)s seats",
            max=min(len(wanted), election.seats),
        )
    by_id = {c.id: c for c in election.candidates}
    ordered = sorted(wanted, key=lambda i: (by_id[i].sort_key, i))
    if election.candidate_order == "manual":
        ordered = sorted(wanted, key=lambda i: (by_id[i].manual_order, by_id[i].sort_key, i))
    round_ = BallotRound(number=previous.number + 1, seats=seats, candidate_ids=ordered)
    election.rounds.append(round_)
    session.flush()
    audit.record(
        session,
        actor,
        "election.new_round",
        congress_id=election.congress_id,
        subject=f"election {election.id} round {round_.number}",
        seats=seats,
        candidates=len(ordered),
    )
    return round_


def election_json(election: Election) -> dict[str, Any]:
    """An election as JSON; its print runs' times with the offset of the congress's zone."""
    round_ = current_round(election)
    session = object_session(election)
    congress = session.get(Congress, election.congress_id) if session is not None else None
    zone_name = congress.time_zone if congress is not None else DEFAULT_TIME_ZONE
    return {
        "id": election.id,
        "congress_id": election.congress_id,
        "title": election.title,
        "form": election.form,
        "seats": election.seats,
        "rules": {
            "threshold_base": election.threshold_base,
            "percentage_base": election.percentage_base,
            "tie_rule": election.tie_rule,
            "seal_required": election.seal_required,
            "nobody_elected_invalid": election.nobody_elected_invalid,
            "candidate_order": election.candidate_order,
        },
        "round": round_.number,
        "locked": bool(live_runs(round_)),
        "candidates": [
            {
                "id": c.id,
                "full_name": c.full_name,
                "birth_date": c.birth_date.isoformat() if c.birth_date else None,
                "gender": c.gender,
                "position": c.position,
                "unit": c.unit,
            }
            for c in ordered_candidates(election, round_)
        ],
        "print_runs": [
            {
                "id": run.id,
                "round": r.number,
                "count": run.count,
                "printed_by": run.printed_by,
                "printed_at": iso_local(run.printed_at, zone_name),
                "voided": run.voided_at is not None,
                "void_reason": run.void_reason,
            }
            for r in election.rounds
            for run in r.print_runs
        ],
    }


def read_context(election: Election, round_number: int | None = None) -> ReadingContext:
    """What the reader needs for a round: the printed layout, blank references, the key, rules.

    The layout is the one recorded with the round's print run, and it must equal the layout
    the candidates give now: a reading never uses a layout the ballots were not printed with.
    """
    return read_description(election, round_number).build()


def read_description(election: Election, round_number: int | None = None) -> ContextDescription:
    """read_context's ingredients as plain, picklable data: what a pool of readers is given."""
    # The reader brings OpenCV: loaded when a context is built, not with the election pages.
    from ballots.reading.context import ContextDescription
    from ballots.reading.reader import ElectionRules
    from ballots.reading.settings import settings_for_layout

    rounds = {r.number: r for r in election.rounds}
    round_ = rounds.get(round_number or current_round(election).number)
    if round_ is None:
        raise NotFound(
            "unknown_round", "This election has no round %(number)s", number=round_number
        )
    runs = live_runs(round_)
    if not runs:
        raise CongressError(
            "not_printed", "No ballots of round %(number)s were printed", number=round_.number
        )
    session = object_session_of(election)
    congress = session.get(Congress, election.congress_id)
    assert congress is not None
    key = public_key(congress)
    assert key is not None  # printing registered it
    spec = spec_for(election, round_, congress)
    layout = build_layout(spec)
    if layout.to_dict() != runs[-1].layout:
        raise CongressError(
            "layout_changed", "The ballot layout differs from the printed one; nothing was read"
        )
    rules = ElectionRules(round_.seats, election.nobody_elected_invalid, election.seal_required)
    # A long list printed small is read at a finer working resolution (settings_for_layout).
    settings = settings_for_layout(layout)
    return ContextDescription(spec, layout, public_key_bytes(key), rules, settings)


def object_session_of(instance: Any) -> Session:
    from sqlalchemy.orm import object_session

    session = object_session(instance)
    assert session is not None
    return session
