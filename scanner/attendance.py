"""Attendance reports for the presidium and the organizers: CSV, XLSX and PDF."""

from __future__ import annotations

import io
from typing import Any

from congress.attendance import Attendance
from congress.exports import append_row, csv_document, paragraph
from congress.i18n import Translator


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
                tr.datetime(admission.admitted_at, report.congress.time_zone) if admission else "",
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
    return csv_document([_headers(tr), *_person_rows(report, tr)])


def to_xlsx(report: Attendance, tr: Translator) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = tr.gettext("Summary")[:31]
    append_row(summary, [report.congress.name])
    append_row(summary, [f"{report.sitting.number}. {report.sitting.title}"])
    append_row(summary, [])
    append_row(
        summary,
        [
            tr.gettext("Delegation"),
            tr.gettext("Summoned"),
            tr.gettext("Present"),
            tr.gettext("Absent"),
            tr.gettext("Alternates present"),
        ],
    )
    for r in report.rows:
        append_row(summary, [r.name, r.summoned, r.present, r.absent, r.alternates_present])
    append_row(
        summary,
        [
            tr.gettext("Total"),
            report.summoned,
            report.present,
            report.absent,
            report.alternates_present,
        ],
    )
    append_row(summary, [])
    append_row(
        summary,
        [
            tr.gettext("Quorum"),
            tr.gettext("reached") if report.quorum_reached else tr.gettext("not reached"),
            report.quorum_needed,
        ],
    )
    people = book.create_sheet(tr.gettext("Delegates")[:31])
    append_row(people, _headers(tr))
    for row in _person_rows(report, tr):
        append_row(people, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(report: Attendance, tr: Translator) -> bytes:
    """The attendance report the presidium reads out: totals, quorum, then each delegation."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

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
        paragraph(report.congress.name, title),
        Spacer(1, 4 * mm),
        paragraph(
            tr.gettext("Attendance report") + f": {report.sitting.number}. " + report.sitting.title,
            body,
        ),
        paragraph(
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
        paragraph(f"{quorum} ({tr.gettext('needed')}: {report.quorum_needed})", body),
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
        [paragraph(r.name, body), r.summoned, r.present, r.absent, r.alternates_present]
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
