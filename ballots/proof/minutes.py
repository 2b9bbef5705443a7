"""The counting minutes (biên bản kiểm phiếu) as PDF, and the ballot-entry log as CSV, XLSX and PDF.

Both are made from plain data (`CountReport`), in the reader's language (Vietnamese by default):
the database side gathers the data, this module only lays it out.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from ballots.paper.layout import BallotLayout
from ballots.reasons import DECISION_NAMES_IN_MINUTES, REASON_NAMES, STATUS_NAMES_IN_MINUTES
from ballots.tally import BASE_NAMES, COUNTED_CHOICES, CountFigures
from ballots.wording import CHOICE_NAMES, Wording
from congress.exports import append_row, csv_document, paragraph, paragraph_text
from congress.i18n import DEFAULT_TIME_ZONE, N_, Translator, translator

__all__ = [
    "CountReport",
    "entry_log_csv",
    "entry_log_pdf",
    "entry_log_rows",
    "entry_log_xlsx",
    "minutes_pdf",
]


@dataclass(frozen=True)
class CountReport:
    congress_name: str
    election_title: str
    round: int
    form: str
    seats: int
    members: list[str]  # the counting committee, the head first
    figures: CountFigures
    tally: dict[str, Any]  # TallyResult.to_dict()
    ended_at: dt.datetime | None
    root_hash: str | None  # the audit bundle's Merkle root
    # One per ballot in bundle order: {"ballot", "serial", "machine_status", "reasons",
    # "targets" (the reading's targets, optional), "decisions", "final_status", "final_reasons",
    # "duplicate", "entered_by" (the members who typed a ballot entered by hand, optional)}.
    entries: list[dict[str, Any]]
    organisation: str = ""  # header lines separated by "\n"
    place: str = ""  # e.g. "Hà Nội"
    presidium: list[str] = field(default_factory=list)
    # The congress's zone: the minutes and the log state the time where the count took place.
    timezone: str = DEFAULT_TIME_ZONE
    # The round's layout: the entry log names candidates, not target ids.
    layout: BallotLayout | None = None
    # The file name the sealed bundle is downloaded as (the command in the minutes names it).
    bundle_name: str = ""
    # The hand audit's report (ballots.audit.comparison.run_audit), once its seed is entered.
    audit: dict[str, Any] | None = None


def _label(tr: Translator, names: dict[str, str], key: Any) -> str:
    """The translated name of a code, or the code itself when it has none."""
    key = str(key)
    message = names.get(key)
    return tr.gettext(message) if message is not None else key


def _reason(tr: Translator, code: str) -> str:
    return _label(tr, REASON_NAMES, code)


def _percent(tr: Translator, value: str | None) -> str:
    if value is None:
        return ""
    # Babel formats the Decimal itself: no float ever touches a percentage.
    return format_decimal(Decimal(value), format="#,##0.00", locale=tr.lang) + " %"


# ---------------------------------------------------------------- PDF building blocks


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    from congress.fonts import register_reportlab_fonts

    register_reportlab_fonts()
    return {
        "title": ParagraphStyle(
            "title", fontName="Sans-Bold", fontSize=15, leading=20, alignment=1
        ),
        "subtitle": ParagraphStyle(
            "subtitle", fontName="Sans-SemiBold", fontSize=11.5, leading=15, alignment=1
        ),
        "header": ParagraphStyle("header", fontName="Sans-Bold", fontSize=9.5, leading=12),
        "heading": ParagraphStyle(
            "heading", fontName="Sans-Bold", fontSize=11, leading=15, spaceBefore=7, spaceAfter=2
        ),
        "body": ParagraphStyle("body", fontName="Sans", fontSize=10, leading=14),
        "cell": ParagraphStyle("cell", fontName="Sans", fontSize=9, leading=11.5),
        "small": ParagraphStyle("small", fontName="Sans", fontSize=7.5, leading=10),
        "sign": ParagraphStyle("sign", fontName="Sans-Bold", fontSize=10, leading=14, alignment=1),
        "signname": ParagraphStyle(
            "signname", fontName="Sans", fontSize=10, leading=14, alignment=1
        ),
    }


def _table(rows: list[list[Any]], widths: Sequence[float], numeric_from: int = 2) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Sans", 9),
                ("FONT", (0, 0), (-1, 0), "Sans-Bold", 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
                ("ALIGN", (0, 1), (0, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _document(out: io.BytesIO, title: str, landscape_page: bool = False) -> Any:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    return SimpleDocTemplate(
        out,
        pagesize=landscape(A4) if landscape_page else A4,
        leftMargin=18 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=title,
        invariant=1,
    )


def _page_numbers(tr: Translator, root_hash: str | None) -> Any:
    """Draws the page number and the bundle's root on every page, so no page can be swapped."""

    def draw(canvas: Any, doc: Any) -> None:
        from reportlab.lib.units import mm

        canvas.saveState()
        canvas.setFont("Sans", 7)
        width = doc.pagesize[0]
        text = tr.gettext("Page %(page)s", page=doc.page)
        if root_hash:
            text += " · " + tr.gettext("Audit bundle root %(root)s", root=root_hash[:16] + "…")
        canvas.drawRightString(width - 16 * mm, 8 * mm, text)
        canvas.restoreState()

    return draw


# ---------------------------------------------------------------- the minutes


def minutes_pdf(report: CountReport, lang: str = "vi") -> bytes:
    """The counting minutes: every field the rules require, signature blocks and the bundle root."""
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table

    tr = translator(lang)
    s = _styles()
    t = report.tally
    ballots = t["ballots"]
    figures = report.figures
    bases = t["bases"]
    candidates = t["candidates"]
    esc = paragraph_text
    story: list[Any] = []
    left = "<br/>".join(esc(line) for line in report.organisation.split("\n") if line.strip())
    right = esc(tr.gettext("SOCIALIST REPUBLIC OF VIETNAM"))
    right += "<br/>" + esc(tr.gettext("Independence - Freedom - Happiness"))
    header = Table(
        [[Paragraph(left or esc(report.congress_name), s["header"]), Paragraph(right, s["sign"])]],
        colWidths=[80 * mm, 96 * mm],
    )
    story += [header, Spacer(1, 6 * mm)]
    story.append(paragraph(tr.gettext("COUNTING MINUTES"), s["title"]))
    title = report.election_title
    if report.round > 1:
        title += " " + tr.gettext("(round %(round)s)", round=report.round)
    story.append(paragraph(title, s["subtitle"]))
    story.append(paragraph(report.congress_name, s["subtitle"]))
    story.append(Spacer(1, 4 * mm))

    def line(text: str) -> None:
        story.append(Paragraph(text, s["body"]))

    def heading(text: str) -> None:
        story.append(paragraph(text, s["heading"]))

    heading(tr.gettext("1. The counting committee"))
    for n, member in enumerate(report.members, 1):
        role = tr.gettext("head") if n == 1 else tr.gettext("member")
        line(f"{n}. {esc(member)} ({esc(role)})")

    heading(tr.gettext("2. What was to be decided"))
    line(esc(tr.gettext("Seats to be elected: %(seats)s", seats=report.seats)))
    line(esc(tr.gettext("Candidates on the ballot: %(count)s", count=len(candidates))))
    rows: list[list[Any]] = [[tr.gettext("No."), tr.gettext("Full name")]]
    rows += [[c["number"], paragraph(c["name"], s["cell"])] for c in candidates]
    story.append(_table(rows, [14 * mm, 160 * mm]))

    heading(tr.gettext("3. Delegates and ballots"))
    line(
        esc(
            tr.gettext(
                "Delegates summoned: %(summoned)s; present: %(present)s; absent: %(absent)s.",
                summoned=tr.number(figures.summoned),
                present=tr.number(figures.present),
                absent=tr.number(figures.absent),
            )
        )
    )
    if figures.excused is not None:
        line(
            esc(
                tr.gettext(
                    "Absent for reasons the congress accepts: %(excused)s; delegates summoned "
                    "less them (Regulation 190-QĐ/TW, Art. 30): %(net)s.",
                    excused=tr.number(figures.excused),
                    net=tr.number(figures.net_summoned),
                )
            )
        )
    line(
        esc(
            tr.gettext(
                "Ballots issued: %(issued)s; collected: %(collected)s; valid: %(valid)s; "
                "invalid: %(invalid)s.",
                issued=tr.number(figures.issued),
                collected=tr.number(figures.collected),
                valid=tr.number(ballots["valid"]),
                invalid=tr.number(ballots["invalid"]),
            )
        )
    )
    if ballots["invalid_by_reason"]:
        line(esc(tr.gettext("Invalid ballots by reason:")))
        for code, count in ballots["invalid_by_reason"].items():
            line(f"&nbsp;&nbsp;- {esc(_reason(tr, code))}: {tr.number(count)}")
    if ballots["review"]:
        line(
            esc(
                tr.gettext(
                    "Ballots still awaiting the committee's decision: %(count)s; this result is "
                    "not final.",
                    count=tr.number(ballots["review"]),
                )
            )
        )

    heading(tr.gettext("4. Votes for each candidate, in ballot order"))
    base_name = _label(tr, BASE_NAMES, bases["percentage"]["name"])
    line(
        esc(
            tr.gettext(
                "Percentages are of the %(base)s (%(value)s), to two decimals rounded half up.",
                base=base_name,
                value=tr.number(bases["percentage"]["value"]),
            )
        )
    )
    if report.form == "confidence":
        levels = COUNTED_CHOICES["confidence"]
        rows = [
            [tr.gettext("No."), tr.gettext("Full name")]
            + [_label(tr, CHOICE_NAMES, level) for level in levels]
        ]
        for c in candidates:
            rows.append(
                [c["number"], paragraph(c["name"], s["cell"])]
                + [
                    f"{tr.number(c['counts'][lv])} ({_percent(tr, c['percentages'][lv])})"
                    for lv in levels
                ]
            )
        story.append(_table(rows, [14 * mm, 70 * mm, 30 * mm, 30 * mm, 30 * mm]))
    else:
        rows = [
            [
                tr.gettext("No."),
                tr.gettext("Full name"),
                tr.gettext("Votes"),
                tr.gettext("Percentage"),
            ]
        ]
        for c in candidates:
            rows.append(
                [
                    c["number"],
                    paragraph(c["name"], s["cell"]),
                    tr.number(c["votes"]),
                    _percent(tr, c["percentage"]),
                ]
            )
        story.append(_table(rows, [14 * mm, 110 * mm, 24 * mm, 26 * mm]))

        heading(tr.gettext("5. The elected, in descending order of votes"))
        threshold = _label(tr, BASE_NAMES, bases["threshold"]["name"])
        line(
            esc(
                tr.gettext(
                    "To be elected a candidate needs more than half of the %(base)s (%(value)s).",
                    base=threshold,
                    value=tr.number(bases["threshold"]["value"]),
                )
            )
        )
        by_item = {c["item"]: c for c in candidates}
        if t["elected"]:
            rows = [
                [
                    tr.gettext("No."),
                    tr.gettext("Full name"),
                    tr.gettext("Votes"),
                    tr.gettext("Percentage"),
                ]
            ]
            for n, item in enumerate(t["elected"], 1):
                c = by_item[item]
                name = esc(c["name"])
                if item in t.get("decided_by_age", []):
                    name += (
                        " <i>(" + esc(tr.gettext("elected as the older of equal votes")) + ")</i>"
                    )
                rows.append(
                    [
                        n,
                        Paragraph(name, s["cell"]),
                        tr.number(c["votes"]),
                        _percent(tr, c["percentage"]),
                    ]
                )
            story.append(_table(rows, [14 * mm, 110 * mm, 24 * mm, 26 * mm]))
        else:
            line(esc(tr.gettext("Nobody is elected.")))
        if t.get("tie"):
            names = ", ".join(by_item[i]["name"] for i in t["tie"]["items"])
            line(
                esc(
                    tr.gettext(
                        "Equal votes at the last seat: %(names)s, for %(seats)s seat(s); a new "
                        "round is needed.",
                        names=names,
                        seats=t["tie"]["seats_left"],
                    )
                )
            )
        elif t.get("new_round_needed"):
            line(
                esc(
                    tr.gettext(
                        "%(seats)s seat(s) remain unfilled; the congress may hold another round.",
                        seats=t.get("seats_left", 0),
                    )
                )
            )

    heading(tr.gettext("6. End of the count"))
    if report.ended_at is not None:
        line(
            esc(
                tr.gettext(
                    "The count ended at %(time)s on %(date)s.",
                    time=tr.time(report.ended_at, report.timezone),
                    date=tr.local_date(report.ended_at, report.timezone),
                )
            )
        )
    else:
        line(esc(tr.gettext("The count is not closed yet.")))
    if report.root_hash:
        line(esc(tr.gettext("Root hash (SHA-256 Merkle root) of the audit bundle:")))
        story.append(paragraph(report.root_hash, s["small"]))
        line(
            esc(
                tr.gettext(
                    "Anyone can recount the election from the audit bundle, with no access to "
                    "the server, by running this command on the downloaded file:"
                )
            )
        )
        bundle = report.bundle_name or tr.gettext("audit-bundle.zip")
        story.append(
            Paragraph(
                f'<font name="Courier">congress ballots verify {esc(bundle)}</font>', s["body"]
            )
        )
    if report.audit is not None:
        heading(tr.gettext("7. Hand audit by random sample"))
        _audit_lines(tr, report.audit, {c["item"]: c["name"] for c in candidates}, line)
    story.append(Spacer(1, 6 * mm))
    when = report.ended_at or dt.datetime.now(dt.UTC)
    place = f"{report.place}, " if report.place else ""
    story.append(
        Paragraph(
            "<i>"
            + esc(place + tr.gettext("date %(date)s", date=tr.local_date(when, report.timezone)))
            + "</i>",
            s["signname"],
        )
    )
    committee = [paragraph(tr.gettext("FOR THE COUNTING COMMITTEE"), s["sign"])]
    for member in report.members:
        committee += [Spacer(1, 11 * mm), paragraph(member, s["signname"])]
    presidium = [paragraph(tr.gettext("FOR THE PRESIDIUM"), s["sign"])]
    for person in report.presidium or [""]:
        presidium += [Spacer(1, 11 * mm), Paragraph(esc(person) or "&nbsp;", s["signname"])]
    signatures = Table([[committee, presidium]], colWidths=[88 * mm, 88 * mm])
    signatures.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP")])
    story.append(KeepTogether([Spacer(1, 2 * mm), signatures]))
    out = io.BytesIO()
    doc = _document(out, tr.gettext("Counting minutes") + " - " + report.election_title)
    footer = _page_numbers(tr, report.root_hash)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


MARGIN_NAMES: dict[str, str] = {
    "pair": N_("%(winner)s (elected) ahead of %(loser)s (not elected) by %(margin)s votes"),
    "pass": N_("%(winner)s above half of the threshold base: 2 x votes - base = %(margin)s"),
    "fail": N_(
        "%(loser)s at or under half of the threshold base: base + 1 - 2 x votes = %(margin)s"
    ),
    "tie": N_("%(winner)s and %(loser)s have equal votes"),
}


def _audit_lines(tr: Translator, audit: dict[str, Any], names: dict[str, str], line: Any) -> None:
    """The hand audit in the minutes: seed, risk limit, margins, sample, readings, conclusion."""
    from ballots.audit.comparison import CONCLUSION_NAMES
    from ballots.audit.risk import METHOD_NAMES

    esc = paragraph_text
    settings = audit["settings"]
    line(
        esc(
            tr.gettext(
                "Public seed: %(seed)s; risk limit: %(limit)s; method: %(method)s.",
                seed=audit["seed"],
                limit=settings["risk_limit"],
                method=_label(tr, METHOD_NAMES, settings["method"]),
            )
        )
    )
    line(esc(tr.gettext("Deciding margins (the narrowest first):")))
    for m in audit["margins"]:
        text = tr.gettext(
            MARGIN_NAMES[m["kind"]],
            winner=names.get(m["winner"] or "", ""),
            loser=names.get(m["loser"] or "", ""),
            margin=m["margin"],
        )
        line(f"&nbsp;&nbsp;- {esc(text)}")
    line(
        esc(
            tr.gettext(
                "Ballots counted: %(total)s; sample drawn: %(size)s (stages: %(stages)s); "
                "read by two members: %(read)s.",
                total=audit["ballots"],
                size=audit["sample_size"],
                stages=", ".join(str(n) for n in audit["stages"]),
                read=audit["read"],
            )
        )
    )
    line(
        esc(
            tr.gettext(
                "Hand readings that differ from the count: %(discrepancies)s (one-vote "
                "overstatements: %(one)s; two-vote: %(two)s); risk measured: %(risk)s.",
                discrepancies=audit["discrepancies"],
                one=audit["one_vote_overstatements"],
                two=audit["two_vote_overstatements"],
                risk=audit["risk"],
            )
        )
    )
    for s in audit["sample"]:
        if s["discrepancy"]:
            line(
                "&nbsp;&nbsp;- "
                + esc(
                    tr.gettext(
                        "Ballot %(ballot)s (serial %(serial)s): counted %(recorded)s, read by "
                        "hand %(hand)s",
                        ballot=s["ballot"][:12],
                        serial=s["serial"] or "-",
                        recorded=_label(tr, STATUS_NAMES_IN_MINUTES, s["recorded"]["status"]),
                        hand=_label(tr, STATUS_NAMES_IN_MINUTES, s["agreed"]["status"]),
                    )
                )
            )
    line(
        "<b>"
        + esc(
            tr.gettext(
                "Conclusion: %(text)s", text=tr.gettext(CONCLUSION_NAMES[audit["conclusion"]])
            )
        )
        + "</b>"
    )


# ---------------------------------------------------------------- the ballot-entry log


def _decision_text(tr: Translator, row: dict[str, Any], say: Wording) -> str:
    parts = [_label(tr, DECISION_NAMES_IN_MINUTES, row.get("kind"))]
    if row.get("kind") == "decide":
        parts.append(_label(tr, STATUS_NAMES_IN_MINUTES, row.get("status")))
        if row.get("reason"):
            parts.append(f"({_reason(tr, str(row['reason']))})")
        marks = row.get("marks") or {}
        if marks:
            parts.append(say.marks(marks))
    if row.get("member"):
        who = str(row["member"])
        if row.get("actor"):
            who += " (" + tr.gettext("account %(name)s", name=say.who(str(row["actor"]))) + ")"
        parts.append("- " + who)
    elif row.get("actor"):
        parts.append("- " + say.who(str(row["actor"])))
    text = " ".join(parts)
    if row.get("note"):
        text += f" «{row['note']}»"
    return text


def _marks_text(tr: Translator, report: CountReport, entry: dict[str, Any]) -> str:
    """The marks the machine read: each marked and each doubtful target, by candidate name."""
    names = {c["item"]: c["name"] for c in report.tally.get("candidates", [])}
    groups: dict[str, list[str]] = {"marked": [], "ambiguous": []}
    for target in entry.get("targets") or []:
        state = target.get("state")
        if state not in groups:
            continue
        item = str(target.get("item"))
        label = names.get(item, item)
        choice = str(target.get("target", "")).rsplit(".", 1)[-1]
        if report.form != "strike":
            label += f" ({_label(tr, CHOICE_NAMES, choice)})"
        groups[state].append(label)
    parts = []
    if groups["marked"]:
        heading = tr.gettext("struck") if report.form == "strike" else tr.gettext("marked")
        parts.append(f"{heading}: {', '.join(groups['marked'])}")
    if groups["ambiguous"]:
        doubtful = tr.gettext("doubtful")
        parts.append(f"{doubtful}: {', '.join(groups['ambiguous'])}")
    return "; ".join(parts)


def _closed_line(tr: Translator, report: CountReport) -> str:
    """When the count closed, in the congress's local time: the same words as the count's pages."""
    return tr.gettext(
        "Count closed at %(when)s", when=tr.datetime(report.ended_at, report.timezone)
    )


def entry_log_headers(tr: Translator) -> list[str]:
    return [
        tr.gettext("No."),
        tr.gettext("Ballot"),
        tr.gettext("Serial"),
        tr.gettext("Machine reading"),
        tr.gettext("Reasons"),
        tr.gettext("Marks read"),
        tr.gettext("Committee decisions"),
        tr.gettext("Final"),
        tr.gettext("Final reasons"),
    ]


def entry_log_rows(report: CountReport, tr: Translator) -> list[list[str]]:
    """One row per ballot, in bundle order (by image hash: not the order of scanning)."""
    rows = []
    say = Wording(
        tr, report.layout, form=report.form, candidates=report.tally.get("candidates", [])
    )
    for n, e in enumerate(report.entries, 1):
        final = "excluded" if e.get("duplicate") else str(e.get("final_status"))
        rows.append(
            [
                str(n),
                str(e.get("ballot", "")),
                str(e.get("serial") or ""),
                _machine_text(tr, e),
                "; ".join(_reason(tr, r) for r in e.get("reasons") or []),
                _marks_text(tr, report, e),
                "; ".join(_decision_text(tr, d, say) for d in e.get("decisions") or []),
                _label(tr, STATUS_NAMES_IN_MINUTES, final),
                "; ".join(_reason(tr, r) for r in e.get("final_reasons") or []),
            ]
        )
    return rows


def _machine_text(tr: Translator, entry: dict[str, Any]) -> str:
    """The machine's verdict, or who typed a ballot entered by hand (the paper fallback)."""
    status = _label(tr, STATUS_NAMES_IN_MINUTES, entry.get("machine_status"))
    members = entry.get("entered_by")
    if not members:
        return status
    return tr.gettext(
        "entered by hand by %(members)s: %(status)s", members=", ".join(members), status=status
    )


def entry_log_csv(report: CountReport, lang: str = "vi") -> bytes:
    tr = translator(lang)
    return csv_document([entry_log_headers(tr), *entry_log_rows(report, tr)])


def entry_log_xlsx(report: CountReport, lang: str = "vi") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    tr = translator(lang)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = tr.gettext("Ballot-entry log")[:31]
    append_row(sheet, [report.congress_name])
    append_row(sheet, [report.election_title])
    if report.ended_at is not None:
        append_row(sheet, [_closed_line(tr, report)])
    if report.root_hash:
        append_row(sheet, [tr.gettext("Audit bundle root"), report.root_hash])
    append_row(sheet, [])
    append_row(sheet, entry_log_headers(tr))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in entry_log_rows(report, tr):
        append_row(sheet, [int(row[0]), *row[1:]])
    for column, width in zip("ABCDEFGHI", (6, 14, 13, 14, 30, 40, 50, 14, 30), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def entry_log_pdf(report: CountReport, lang: str = "vi") -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    tr = translator(lang)
    s = _styles()
    story: list[Any] = [
        paragraph(tr.gettext("BALLOT-ENTRY LOG"), s["title"]),
        paragraph(report.election_title, s["subtitle"]),
        paragraph(report.congress_name, s["subtitle"]),
        *([paragraph(_closed_line(tr, report), s["subtitle"])] if report.ended_at else []),
        Spacer(1, 3 * mm),
        Paragraph(
            paragraph_text(
                tr.gettext(
                    "One line per ballot, in the order of the audit bundle (by image hash, not "
                    "the order of scanning)."
                )
            ),
            s["body"],
        ),
        Spacer(1, 3 * mm),
    ]
    rows: list[list[Any]] = [entry_log_headers(tr)]
    for row in entry_log_rows(report, tr):
        rows.append([row[0], row[1], row[2]] + [paragraph(v, s["cell"]) for v in row[3:]])
    story.append(
        _table(
            rows,
            [9 * mm, 25 * mm, 23 * mm, 22 * mm, 32 * mm, 45 * mm, 50 * mm, 22 * mm, 32 * mm],
            99,
        )
    )
    if report.root_hash:
        story += [
            Spacer(1, 3 * mm),
            Paragraph(
                paragraph_text(tr.gettext("Audit bundle root") + ": " + report.root_hash),
                s["small"],
            ),
        ]
    out = io.BytesIO()
    doc = _document(out, tr.gettext("Ballot-entry log"), landscape_page=True)
    footer = _page_numbers(tr, report.root_hash)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


# ---------------------------------------------------------------- the results, for anyone


def results_rows(
    tally: dict[str, Any], tr: Translator, title: str, congress_name: str, round_: int
) -> list[list[Any]]:
    """The closed count's results as a table people read: a heading, the figures, then one row
    per candidate in ballot order. Numbers in the reader's language; no code anywhere."""
    say = Wording(tr)
    figures = tally["figures"]
    ballots = tally["ballots"]
    bases = tally["bases"]
    rows: list[list[Any]] = [
        [congress_name],
        [title + (" " + tr.gettext("(round %(round)s)", round=round_) if round_ > 1 else "")],
        [],
        [tr.gettext("Seats"), tr.number(tally["rules"]["seats"])],
        [tr.gettext("Delegates summoned"), tr.number(figures["summoned"])],
        [tr.gettext("Delegates present"), tr.number(figures["present"])],
    ]
    if figures.get("excused") is not None:
        rows.append(
            [
                tr.gettext("Delegates absent for reasons the congress accepts"),
                tr.number(figures["excused"]),
            ]
        )
    rows += [
        [tr.gettext("Ballots issued"), tr.number(figures["issued"])],
        [tr.gettext("Ballots collected"), tr.number(figures["collected"])],
        [tr.gettext("Valid ballots"), tr.number(ballots["valid"])],
        [tr.gettext("Invalid ballots"), tr.number(ballots["invalid"])],
    ]
    for code, n in ballots["invalid_by_reason"].items():
        rows.append(["— " + say.reason(code), tr.number(n)])
    rows.append(
        [
            tr.gettext("Elected with more than half of"),
            _label(tr, BASE_NAMES, bases["threshold"]["name"])
            + f" ({tr.number(bases['threshold']['value'])})",
        ]
    )
    rows.append(
        [
            tr.gettext("Percentages of"),
            _label(tr, BASE_NAMES, bases["percentage"]["name"])
            + f" ({tr.number(bases['percentage']['value'])})",
        ]
    )
    rows.append([])
    confidence = tally["rules"]["form"] == "confidence"
    if confidence:
        levels = COUNTED_CHOICES["confidence"]
        rows.append(
            [tr.gettext("No."), tr.gettext("Full name")]
            + [_label(tr, CHOICE_NAMES, level) for level in levels]
        )
        for c in tally["candidates"]:
            rows.append(
                [c["number"], c["name"]]
                + [
                    f"{tr.number(c['counts'][lv])} ({_percent(tr, c['percentages'][lv])})"
                    for lv in levels
                ]
            )
        return rows
    rows.append(
        [
            tr.gettext("No."),
            tr.gettext("Full name"),
            tr.gettext("Votes"),
            tr.gettext("Percentage"),
            tr.gettext("Result"),
        ]
    )
    for c in tally["candidates"]:
        if c["elected"]:
            result = tr.gettext("elected")
        elif c["tied"]:
            result = tr.gettext("tied")
        else:
            result = tr.gettext("not elected")
        rows.append([c["number"], c["name"], c["votes"], _percent(tr, c["percentage"]), result])
    return rows


def results_csv(
    tally: dict[str, Any], lang: str, title: str, congress_name: str, round_: int
) -> bytes:
    tr = translator(lang)
    rows = results_rows(tally, tr, title, congress_name, round_)
    # Vote counts written as the reader's language writes them (1.234), as on the pages.
    return csv_document([[tr.number(v) if isinstance(v, int) else v for v in r] for r in rows])


def results_xlsx(
    tally: dict[str, Any], lang: str, title: str, congress_name: str, round_: int
) -> bytes:
    """Vote counts are numbers (the spreadsheet writes them in its own language); the rest is
    text as the minutes write it."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    tr = translator(lang)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = tr.gettext("Results")[:31]
    for row in results_rows(tally, tr, title, congress_name, round_):
        append_row(sheet, row)
    sheet["A1"].font = Font(bold=True)
    for column, width in zip("ABCDE", (34, 40, 12, 14, 16), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
