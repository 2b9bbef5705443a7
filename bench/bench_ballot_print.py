"""Time printing 1,500 strike ballots of 70 names as one PDF (target: under 15 s): one A4 page
a ballot since the list is fitted to its paper (issue 17), two before."""

from __future__ import annotations

import io
import time

from ballots.paper.design import BallotSpec, build_layout
from ballots.paper.pdf import render_ballots
from ballots.paper.serials import ballot_page_tokens, new_serials
from congress.keys import generate_private_key

BALLOTS = 1500
CANDIDATES = 70
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Thị", "Văn", "Minh", "Ngọc", "Thanh", "Đức", "Quốc", "Thu"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Khánh", "Lan", "Nhung", "Quân"]


def main() -> None:
    names = [
        f"{FAMILY[i % 10]} {MIDDLE[i % 8]} {MIDDLE[(i * 3) % 8]} {GIVEN[i % 11]}"
        for i in range(CANDIDATES)
    ]
    spec = BallotSpec(
        election_id=1,
        round=1,
        form="strike",
        seats=55,
        organisation="ĐOÀN TNCS HỒ CHÍ MINH\nTHÀNH ĐOÀN HÀ NỘI",
        title="Bầu Ban Chấp hành Thành Đoàn khóa XIX, nhiệm kỳ 2027-2032",
        items=names,
        sitting_label="Hà Nội, ngày 23 tháng 11 năm 2026",
    )
    key = generate_private_key()
    started = time.perf_counter()
    layout = build_layout(spec)
    pages = len(layout.pages)
    serials = new_serials(BALLOTS)
    tokens = ballot_page_tokens(key, spec.election_id, spec.round, pages, serials)
    signed = time.perf_counter()
    out = io.BytesIO()
    render_ballots(spec, layout, tokens, out)
    done = time.perf_counter()
    size = len(out.getvalue())
    print(f"ballots: {BALLOTS} x {pages} pages = {BALLOTS * pages} pages, {CANDIDATES} names")
    print(f"layout + serials + {len(tokens)} signed tokens: {signed - started:.2f} s")
    print(f"PDF drawing: {done - signed:.2f} s")
    print(f"total: {done - started:.2f} s (target < 15 s)")
    print(f"PDF size: {size / 1e6:.1f} MB ({size / (BALLOTS * pages) / 1024:.1f} KiB a page)")


if __name__ == "__main__":
    main()
