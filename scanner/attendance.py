"""Attendance of a sitting: present / summoned / absent per delegation, quorum, and exports."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from congress.i18n import Translator
from congress.models import Congress, Delegate, Sitting
from scanner.models import Admission


@dataclass
class DelegationRow:
    name: str
    summoned: int = 0  # full delegates whose badge is not revoked
    present: int = 0  # of those, admitted to the sitting
    alternates: int = 0
    alternates_present: int = 0

    @property
    def absent(self) -> int:
        return self.summoned - self.present


@dataclass
class Attendance:
    congress: Congress
    sitting: Sitting
    rows: list[DelegationRow]
    people: list[tuple[Delegate, Admission | None]] = field(default_factory=list)

    @property
    def summoned(self) -> int:
        return sum(r.summoned for r in self.rows)

    @property
    def present(self) -> int:
        return sum(r.present for r in self.rows)

    @property
    def absent(self) -> int:
        return self.summoned - self.present

    @property
    def alternates_present(self) -> int:
        return sum(r.alternates_present for r in self.rows)

    @property
    def quorum_needed(self) -> int:
        """Fewest present full delegates that make the quorum under the congress's rule."""
        share = Fraction(self.congress.quorum_numerator, self.congress.quorum_denominator)
        exact = share * self.summoned
        if self.congress.quorum_strict:  # "more than 2/3"
            return int(exact) + 1
        return -(-exact.numerator // exact.denominator)  # "at least 2/3": ceiling

    @property
    def quorum_reached(self) -> bool:
        return self.summoned > 0 and self.present >= self.quorum_needed

    def as_json(self) -> dict[str, object]:
        return {
            "sitting": self.sitting.number,
            "title": self.sitting.title,
            "summoned": self.summoned,
            "present": self.present,
            "absent": self.absent,
            "alternates_present": self.alternates_present,
            "quorum": {
                "numerator": self.congress.quorum_numerator,
                "denominator": self.congress.quorum_denominator,
                "strict": self.congress.quorum_strict,
                "needed": self.quorum_needed,
                "reached": self.quorum_reached,
            },
            "delegations": [
                {
                    "name": r.name,
                    "summoned": r.summoned,
                    "present": r.present,
                    "absent": r.absent,
                    "alternates": r.alternates,
                    "alternates_present": r.alternates_present,
                }
                for r in self.rows
            ],
        }


def attendance(
    session: Session, congress: Congress, sitting: Sitting, with_people: bool = False
) -> Attendance:
    admitted = {
        a.delegate_id: a
        for a in session.scalars(select(Admission).where(Admission.sitting_id == sitting.id))
    }
    delegates = list(
        session.scalars(
            select(Delegate)
            .where(Delegate.congress_id == congress.id)
            .options(selectinload(Delegate.delegation))
            .order_by(Delegate.sort_key, Delegate.id)
        )
    )
    rows: dict[str, DelegationRow] = {}
    for d in delegates:
        row = rows.setdefault(d.delegation.name, DelegationRow(d.delegation.name))
        here = d.id in admitted
        if d.kind == "alternate":
            row.alternates += 1
            row.alternates_present += here
        elif d.revoked_at is None:
            row.summoned += 1
            row.present += here
    people = [(d, admitted.get(d.id)) for d in delegates] if with_people else []
    return Attendance(congress, sitting, [rows[k] for k in sorted(rows)], people)


def _person_rows(report: Attendance, tr: Translator) -> list[list[str]]:
    out = []
    for d, admission in report.people:
        kind = tr.gettext("Alternate") if d.kind == "alternate" else tr.gettext("Full delegate")
        out.append(
            [
                d.code,
                d.full_name,
                d.delegation.name,
                kind,
                tr.gettext("Present") if admission else tr.gettext("Absent"),
                tr.datetime(admission.admitted_at) if admission else "",
                admission.gate if admission else "",
            ]
        )
    return out


def _headers(tr: Translator) -> list[str]:
    return [
        tr.gettext("Code"),
        tr.gettext("Full name"),
        tr.gettext("Delegation"),
        tr.gettext("Kind"),
        tr.gettext("Attendance"),
        tr.gettext("Checked in at"),
        tr.gettext("Gate"),
    ]


def to_csv(report: Attendance, tr: Translator) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headers(tr))
    writer.writerows(_person_rows(report, tr))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: Attendance, tr: Translator) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = tr.gettext("Summary")[:31]
    summary.append([report.congress.name])
    summary.append([f"{report.sitting.number}. {report.sitting.title}"])
    summary.append([])
    summary.append(
        [
            tr.gettext("Delegation"),
            tr.gettext("Summoned"),
            tr.gettext("Present"),
            tr.gettext("Absent"),
            tr.gettext("Alternates present"),
        ]
    )
    for r in report.rows:
        summary.append([r.name, r.summoned, r.present, r.absent, r.alternates_present])
    summary.append(
        [
            tr.gettext("Total"),
            report.summoned,
            report.present,
            report.absent,
            report.alternates_present,
        ]
    )
    summary.append([])
    summary.append(
        [
            tr.gettext("Quorum"),
            tr.gettext("reached") if report.quorum_reached else tr.gettext("not reached"),
            report.quorum_needed,
        ]
    )
    people = book.create_sheet(tr.gettext("Delegates")[:31])
    people.append(_headers(tr))
    for row in _person_rows(report, tr):
        people.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(report: Attendance, tr: Translator) -> bytes:
    """The attendance report the presidium reads out: totals, quorum, then each delegation."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from congress.fonts import register_reportlab_fonts

    register_reportlab_fonts()
    title = ParagraphStyle("t", fontName="Sans-Bold", fontSize=14, leading=18, alignment=1)
    body = ParagraphStyle("b", fontName="Sans", fontSize=10, leading=14)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=tr.gettext("Attendance report"),
    )
    quorum = (
        tr.gettext("Quorum reached") if report.quorum_reached else tr.gettext("Quorum not reached")
    )
    story = [
        Paragraph(report.congress.name, title),
        Spacer(1, 4 * mm),
        Paragraph(
            tr.gettext("Attendance report") + f": {report.sitting.number}. " + report.sitting.title,
            body,
        ),
        Paragraph(
            tr.gettext(
                "Summoned %(summoned)s, present %(present)s, absent %(absent)s; "
                "alternates present %(alternates)s.",
                summoned=report.summoned,
                present=report.present,
                absent=report.absent,
                alternates=report.alternates_present,
            ),
            body,
        ),
        Paragraph(f"{quorum} ({tr.gettext('needed')}: {report.quorum_needed})", body),
        Spacer(1, 4 * mm),
    ]
    data: list[list[Any]] = [
        [
            tr.gettext("Delegation"),
            tr.gettext("Summoned"),
            tr.gettext("Present"),
            tr.gettext("Absent"),
            tr.gettext("Alternates present"),
        ]
    ]
    data += [
        [Paragraph(r.name, body), r.summoned, r.present, r.absent, r.alternates_present]
        for r in report.rows
    ]
    data.append(
        [
            tr.gettext("Total"),
            report.summoned,
            report.present,
            report.absent,
            report.alternates_present,
        ]
    )
    table = Table(data, colWidths=[70 * mm, 24 * mm, 24 * mm, 24 * mm, 30 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Sans", 10),
                ("FONT", (0, 0), (-1, 0), "Sans-Bold", 10),
                ("FONT", (0, -1), (-1, -1), "Sans-Bold", 10),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return out.getvalue()
