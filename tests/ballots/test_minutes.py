"""The counting minutes and the ballot-entry log: every required field, read back from the files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata

import pypdfium2 as pdfium
from openpyxl import load_workbook

from ballots.proof.minutes import (
    CountReport,
    entry_log_csv,
    entry_log_pdf,
    entry_log_rows,
    entry_log_xlsx,
    minutes_pdf,
)
from ballots.tally import BallotOutcome, CandidateInfo, CountFigures, TallyRules, tally
from congress.i18n import translator

ROOT = "3f7a0c9e1b2d4f6a8c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f2a"
NAMES = ["Nguyễn Thị Ánh", "Phạm Đức Anh", "Trần Văn Bình", "Lê Minh Châu", "Vũ Thu Hà"]
MEMBERS = ["Đỗ Quốc Huy", "Bùi Thị Hương", "Hoàng Văn Dũng"]
PRESIDIUM = ["Nguyễn Hữu Quân"]
FIGURES = CountFigures(summoned=300, present=287, issued=287, collected=285)


def _tally(tie_rule: str = "new_round") -> dict:
    # 280 valid strike ballots: votes 250, 190, 139, 139, 120 (Bình and Châu tie at 139).
    votes = [250, 190, 139, 139, 120]
    outcomes = [
        BallotOutcome(
            "valid",
            (),
            {f"c{i:03d}": ("elect" if b < v else "strike") for i, v in enumerate(votes, 1)},
        )
        for b in range(280)
    ]
    outcomes += [BallotOutcome("invalid", ("seal_missing",), {})] * 3
    outcomes += [BallotOutcome("invalid", ("more_than_seats",), {})] * 2
    rules = TallyRules("strike", 3, "summoned", "valid", tie_rule)
    births = [dt.date(1990, 1, 1), None, dt.date(1992, 1, 1), dt.date(1988, 1, 1), None]
    candidates = [CandidateInfo(f"c{n:03d}", NAMES[n - 1], births[n - 1]) for n in range(1, 6)]
    return tally(rules, candidates, FIGURES, outcomes).to_dict()


def _report(tally_data: dict, **extra) -> CountReport:
    entries = [
        {"ballot": "0a1b2c3d4e5f", "serial": "ABCDEFGHJK", "machine_status": "review",
         "reasons": ["ambiguous_mark"], "final_status": "valid", "final_reasons": [],
         "duplicate": False,
         "targets": [{"item": "c001", "target": "c001.strike", "state": "marked"},
                     {"item": "c002", "target": "c002.strike", "state": "ambiguous"},
                     {"item": "c003", "target": "c003.strike", "state": "unmarked"},
                     {"item": "c004", "target": "c004.strike", "state": "marked"}],
         "decisions": [{"kind": "decide", "status": "valid", "reason": None,
                        "marks": {"c002.strike": "marked"}, "note": "gạch gần hết tên",
                        "actor": "huy"},
                       {"kind": "confirm", "actor": "huong"}]},
        {"ballot": "9f8e7d6c5b4a", "serial": "BCDEFGHJKM", "machine_status": "invalid",
         "reasons": ["seal_missing"], "final_status": "invalid", "final_reasons": ["seal_missing"],
         "duplicate": False, "decisions": []},
        {"ballot": "ffeeddccbbaa", "serial": "ABCDEFGHJK", "machine_status": "rejected",
         "reasons": ["serial_seen"], "final_status": "invalid", "final_reasons": ["serial_seen"],
         "duplicate": True, "decisions": []},
    ]  # fmt: skip
    data = {
        "congress_name": "Đại hội đại biểu Đoàn TNCS Hồ Chí Minh thành phố Hà Nội lần thứ XVII",
        "election_title": "Bầu Ban Chấp hành Thành Đoàn khóa XVII",
        "round": 1,
        "form": "strike",
        "seats": 3,
        "members": MEMBERS,
        "figures": FIGURES,
        "tally": tally_data,
        "ended_at": dt.datetime(2026, 11, 23, 9, 45, tzinfo=dt.UTC),  # 16:45 in Hà Nội
        "root_hash": ROOT,
        "entries": entries,
        "organisation": "ĐOÀN TNCS HỒ CHÍ MINH\nTHÀNH ĐOÀN HÀ NỘI",
        "place": "Hà Nội",
        "presidium": PRESIDIUM,
    }
    data.update(extra)
    return CountReport(**data)


def pdf_text(data: bytes) -> str:
    """The text of every page as a reader's PDF viewer extracts it (NFC, whitespace collapsed)."""
    document = pdfium.PdfDocument(data)
    pages = []
    for page in document:
        # Rendering proves the file draws; the text must come back with its diacritics.
        assert page.render(scale=0.5).to_pil().size[0] > 0
        pages.append(page.get_textpage().get_text_range())
    text = unicodedata.normalize("NFC", "\n".join(pages))
    return re.sub(r"\s+", " ", text)


def test_minutes_in_vietnamese_have_every_required_field() -> None:
    report = _report(_tally())
    text = pdf_text(minutes_pdf(report))
    required = [
        "BIÊN BẢN KIỂM PHIẾU",
        "Bầu Ban Chấp hành Thành Đoàn khóa XVII",
        "Đại hội đại biểu Đoàn TNCS Hồ Chí Minh thành phố Hà Nội lần thứ XVII",
        "Số lượng bầu: 3",  # seats decided
        "Số người trong danh sách bầu cử: 5",
        *NAMES,  # the candidate list
        *MEMBERS,  # the counting committee
        "Số đại biểu được triệu tập: 300; có mặt: 287; vắng mặt: 13.",
        "Số phiếu phát ra: 287; thu vào: 285; hợp lệ: 280; không hợp lệ: 5.",
        "không có dấu đỏ: 3",
        "bầu quá số lượng: 2",
        "Tỷ lệ phần trăm tính trên số phiếu hợp lệ (280)",
        "89,29 %",  # 250 / 280
        "67,86 %",  # 190 / 280
        "49,64 %",  # 139 / 280
        "42,86 %",  # 120 / 280
        "quá một nửa số đại biểu được triệu tập (300)",
        "Kiểm phiếu kết thúc lúc 16:45 ngày 23/11/2026.",
        "TM. BAN KIỂM PHIẾU",
        "TM. ĐOÀN CHỦ TỊCH",
        *PRESIDIUM,
        ROOT,
    ]
    missing = [r for r in required if r not in text]
    assert missing == [], text
    # Votes in ballot order, each with its percentage.
    table = text[text.index("theo thứ tự trên phiếu") :]
    positions = [table.index(name) for name in NAMES]
    assert positions == sorted(positions)
    for name, votes, pct in zip(
        NAMES, [250, 190, 139, 139, 120], ["89,29", "67,86", "49,64", "49,64", "42,86"], strict=True
    ):
        assert re.search(re.escape(name) + rf" {votes} {pct} %", table), (name, table)
    # Only Ánh passes more than half of 300 summoned: 250 and 190 > 150, 139 is not.
    elected = text[text.index("5. Những người trúng cử") : text.index("6. Kết thúc")]
    assert "Nguyễn Thị Ánh" in elected and "Phạm Đức Anh" in elected
    assert elected.index("Nguyễn Thị Ánh") < elected.index("Phạm Đức Anh")  # descending votes
    assert "Trần Văn Bình" not in elected
    assert "Còn 1 chỗ chưa có người trúng cử" in elected


def test_minutes_elected_in_descending_order_and_ties() -> None:
    tally_data = _tally()
    tally_data["bases"]["threshold"] = {"name": "valid", "value": 280}
    # A hand-made result: Bình and Châu tied at the last seat.
    for c in tally_data["candidates"]:
        c["elected"] = c["item"] in ("c001", "c002")
    tally_data["elected"] = ["c001", "c002"]
    tally_data["tie"] = {"items": ["c003", "c004"], "seats_left": 1}
    text = pdf_text(minutes_pdf(_report(tally_data)))
    assert "Số phiếu bằng nhau ở chỗ cuối cùng: Trần Văn Bình, Lê Minh Châu" in text
    assert "phải bầu lại" in text
    by_age = _tally("older")
    assert by_age["decided_by_age"] == [], by_age  # 139 does not pass 150 of 300 summoned
    english = pdf_text(minutes_pdf(_report(_tally()), lang="en"))
    for field in ("COUNTING MINUTES", "Seats to be elected: 3", "Delegates summoned: 300",
                  "Ballots issued: 287", "no red seal: 3", "89.29 %", "FOR THE PRESIDIUM", ROOT):  # fmt: skip
        assert field in english, field


def test_minutes_of_an_open_count_say_it_is_not_final() -> None:
    tally_data = _tally()
    tally_data["ballots"]["review"] = 2
    text = pdf_text(minutes_pdf(_report(tally_data, ended_at=None, root_hash=None)))
    assert "Còn 2 phiếu chờ Ban kiểm phiếu quyết định" in text
    assert "Việc kiểm phiếu chưa kết thúc." in text
    assert ROOT not in text


def test_entry_log_csv_xlsx_pdf() -> None:
    report = _report(_tally())
    rows = list(csv.reader(io.StringIO(entry_log_csv(report).decode("utf-8-sig"))))
    assert rows[0] == ["STT", "Phiếu", "Số sê-ri", "Máy đọc", "Lý do", "Dấu máy đọc được",
                       "Quyết định của Ban kiểm phiếu", "Kết quả cuối", "Lý do cuối"]  # fmt: skip
    assert rows[1] == [
        "1", "0a1b2c3d4e5f", "ABCDEFGHJK", "chờ quyết định", "dấu không rõ ràng",
        "bị gạch tên: Nguyễn Thị Ánh, Lê Minh Châu; không rõ: Phạm Đức Anh",
        "quyết định phiếu hợp lệ 2. Phạm Đức Anh: bị gạch tên - huy «gạch gần hết tên»; xác nhận - huong",
        "phiếu hợp lệ", "",
    ]  # fmt: skip
    assert rows[2][3:] == [
        "phiếu không hợp lệ",
        "không có dấu đỏ",
        "",
        "",
        "phiếu không hợp lệ",
        "không có dấu đỏ",
    ]
    assert rows[3][7:] == ["để riêng (bản sao)", "bản sao của phiếu đã kiểm"]
    assert len(rows) == 4
    sheet = load_workbook(io.BytesIO(entry_log_xlsx(report))).active
    values = [[v for v in row if v is not None] for row in sheet.iter_rows(values_only=True)]
    assert values[:4] == [
        ["Đại hội đại biểu Đoàn TNCS Hồ Chí Minh thành phố Hà Nội lần thứ XVII"],
        ["Bầu Ban Chấp hành Thành Đoàn khóa XVII"],
        ["Kết thúc kiểm phiếu lúc 23/11/2026 16:45"],  # the congress's local time
        ["Gốc của gói kiểm chứng", ROOT],
    ]
    header = values.index(rows[0])
    assert values[header + 1][0] == 1  # a number, for sorting in a spreadsheet
    assert [[str(v) for v in row] for row in values[header + 1 :]] == [
        [v for v in row if v] for row in rows[1:]
    ]
    text = pdf_text(entry_log_pdf(report))
    for expected in ("NHẬT KÝ KIỂM PHIẾU", "0a1b2c3d4e5f", "gạch gần hết tên", ROOT, "bản sao",
                     "Nguyễn Thị Ánh, Lê Minh Châu"):  # fmt: skip
        assert expected in text, expected
    english = entry_log_csv(report, "en").decode("utf-8-sig")
    assert english.startswith("No.,Ballot,Serial,Machine reading")


def test_minutes_print_art_30_base_the_verify_command_and_vietnamese_numbers() -> None:
    rules = TallyRules("strike", 3, "net_summoned", "valid", "new_round")
    figures = CountFigures(summoned=1250, present=1200, issued=1200, collected=1198, excused=30)
    outcomes = [BallotOutcome("valid", (), {"c001": "elect", "c002": "strike"})] * 1198
    tally_data = tally(rules, [CandidateInfo("c001", NAMES[0]), CandidateInfo("c002", NAMES[1])],
                       figures, outcomes).to_dict()  # fmt: skip
    report = _report(tally_data, figures=figures, bundle_name="kiem-phieu-7-abcdef123456.zip")
    text = pdf_text(minutes_pdf(report))
    assert "Số đại biểu được triệu tập: 1.250; có mặt: 1.200; vắng mặt: 50." in text
    assert "Vắng mặt có lý do được đại hội chấp nhận: 30" in text
    assert "(Quy định 190-QĐ/TW, Điều 30): 1.220." in text
    assert "số đại biểu được triệu tập trừ số vắng mặt có lý do được đại hội chấp nhận (1.220)" in (
        text
    )
    assert "congress ballots verify kiem-phieu-7-abcdef123456.zip" in text
    assert "BUNDLE" not in text and "1198" not in text and "1.198" in text
    # The entry log names the member who decided, and the account beside it.
    rows = entry_log_rows(
        _report(_tally(), entries=[{**report.entries[0], "decisions": [
            {"kind": "decide", "status": "invalid", "reason": "seal_missing", "marks": {},
             "note": "", "actor": "kiemphieu1", "member": "Trần Thị Hai"}]}]),
        translator("vi"),
    )  # fmt: skip
    assert "Trần Thị Hai (tài khoản kiemphieu1)" in rows[0][6]
