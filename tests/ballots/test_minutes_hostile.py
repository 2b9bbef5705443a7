"""The minutes and the ballot-entry log of hostile names: cells stay text, PDFs show the names."""

from __future__ import annotations

import datetime as dt

from ballots.proof.minutes import (
    CountReport,
    entry_log_csv,
    entry_log_pdf,
    entry_log_xlsx,
    minutes_pdf,
)
from ballots.tally import BallotOutcome, CandidateInfo, CountFigures, TallyRules, tally
from tests.congress.hostile_exports import (
    HOSTILE_CONGRESS,
    MARKUP,
    assert_csv_field,
    assert_xlsx_text,
    pdf_images,
    pdf_text,
)

CANDIDATES = [*MARKUP, '=HYPERLINK("http://evil.example/","Xem")', "Trần Văn Bình"]
TITLE = "-Bầu Ban Chấp hành <i>khóa XVII</i>"
# A serial is read from the ballot's code; the log writes whatever the reading carried.
SERIAL = "=cmd|' /C calc'!A0"
FIGURES = CountFigures(summoned=10, present=10, issued=10, collected=10)


def _report() -> CountReport:
    items = [f"c{n:03d}" for n in range(1, len(CANDIDATES) + 1)]
    outcomes = [
        BallotOutcome(
            "valid", (), {item: ("elect" if b <= n else "strike") for n, item in enumerate(items)}
        )
        for b in range(10)
    ]
    rules = TallyRules("strike", 2, "summoned", "valid", "new_round")
    candidates = [
        CandidateInfo(item, name, None) for item, name in zip(items, CANDIDATES, strict=True)
    ]
    entry = {
        "ballot": "0a1b2c3d4e5f", "serial": SERIAL, "machine_status": "review",
        "reasons": ["ambiguous_mark"], "final_status": "valid", "final_reasons": [],
        "duplicate": False,
        "targets": [{"item": "c001", "target": "c001.strike", "state": "marked"},
                    {"item": "c003", "target": "c003.strike", "state": "ambiguous"}],
        "decisions": [{"kind": "decide", "status": "valid", "reason": None, "marks": {},
                       "note": MARKUP[1], "actor": "huy"}],
    }  # fmt: skip
    return CountReport(
        congress_name=HOSTILE_CONGRESS,
        election_title=TITLE,
        round=1,
        form="strike",
        seats=2,
        members=[MARKUP[0], "Bùi Thị Hương"],
        figures=FIGURES,
        tally=tally(rules, candidates, FIGURES, outcomes).to_dict(),
        ended_at=dt.datetime(2026, 11, 23, 9, 45, tzinfo=dt.UTC),
        root_hash="3f7a0c9e1b2d4f6a8c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f2a",
        entries=[entry],
        organisation="ĐOÀN TNCS HỒ CHÍ MINH\n" + MARKUP[1],
        place="<b>Hà Nội",
        presidium=[MARKUP[1]],
    )


def _flat(text: str) -> str:
    return "".join(text.split())


def test_entry_log_spreadsheets_write_text() -> None:
    report = _report()
    assert_csv_field(entry_log_csv(report), SERIAL)
    xlsx = entry_log_xlsx(report)
    for value in (HOSTILE_CONGRESS, TITLE, SERIAL):
        assert_xlsx_text(xlsx, value)


def test_minutes_and_entry_log_pdfs_print_names_as_text() -> None:
    report = _report()
    minutes = minutes_pdf(report)
    text = _flat(pdf_text(minutes))
    for value in (*CANDIDATES, HOSTILE_CONGRESS, TITLE, "<b>Hà Nội", *MARKUP):
        assert _flat(value) in text, value
    log = entry_log_pdf(report)
    text = _flat(pdf_text(log))
    for value in (HOSTILE_CONGRESS, TITLE, MARKUP[0], MARKUP[1]):
        assert _flat(value) in text, value
    assert pdf_images(minutes) == 0 and pdf_images(log) == 0
