"""The published layout matches the printed pixels: targets, rows, boxes, markers, paper, flow."""

from __future__ import annotations

import json
from functools import cache

import cv2
import numpy as np
import pytest

from ballots.paper.design import DEFAULT_SETTINGS, MM, BallotSpec, build_layout, plan_ballot
from ballots.paper.layout import BallotLayout, PageLayout, Target
from ballots.paper.raster import render_blank_page

DPI = 150
PX = DPI / 72  # pixels per point
DARK = 140
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Thị", "Văn", "Minh", "Ngọc", "Thanh", "Đức", "Quốc", "Thu", "Hữu", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Khánh", "Lan", "Nhung", "Quỳnh"]


def names(count: int) -> list[str]:
    return [
        f"{FAMILY[i % 11]} {MIDDLE[i % 10]} {MIDDLE[(i * 7 + 3) % 10]} {GIVEN[(i * 5) % 11]}"
        for i in range(count)
    ]


def long_name(i: int) -> str:
    """A 60-character name, wide letters and stacked diacritics included."""
    name = f"Nguyễn Hoàng Phương Thị Quỳnh Trường Khương Hữu Mỹ {GIVEN[i % 11]}"
    return (name + " Ngưỡng Huyền Dũng")[:60].rstrip().ljust(60, "W")


def spec(form: str, items: list[str], paper: str = "auto", seal: bool = True) -> BallotSpec:
    return BallotSpec(
        election_id=3,
        round=1,
        form=form,  # type: ignore[arg-type]
        seats=max(1, len(items) - 2),
        organisation="ĐOÀN TNCS HỒ CHÍ MINH\nTHÀNH ĐOÀN HÀ NỘI",
        title="Bầu Ban Chấp hành Thành Đoàn khóa XIX, nhiệm kỳ 2027-2032",
        items=items,
        sitting_label="Hà Nội, ngày 23 tháng 11 năm 2026",
        seal_required=seal,
        paper=paper,  # type: ignore[arg-type]
    )


@cache
def built(
    form: str, count: int, paper: str = "auto", long: bool = False
) -> tuple[BallotSpec, BallotLayout]:
    items = [long_name(i) for i in range(count)] if long else names(count)
    if form == "yesno":
        items = [
            "Đại hội có đồng ý thông qua Nghị quyết Đại hội đại biểu Đoàn TNCS Hồ Chí Minh "
            "thành phố Hà Nội lần thứ XIX, nhiệm kỳ 2027-2032 hay không?"
        ] + [f"Câu hỏi thứ {i + 2}" for i in range(count - 1)]
    ballot = spec(form, items, paper)
    return ballot, build_layout(ballot)


@cache
def page_image(
    form: str, count: int, page: int, paper: str = "auto", long: bool = False
) -> np.ndarray:
    ballot, layout = built(form, count, paper, long)
    return render_blank_page(ballot, layout, page, DPI)


def px(value: float) -> int:
    return int(round(value * PX))


def box_px(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    return px(box[0]), px(box[1]), px(box[2]), px(box[3])


# ---------------------------------------------------------------- strike targets against pixels


def row_lines(image: np.ndarray, target: Target) -> tuple[int, int]:
    """Pixel rows of the printed row lines just above and below a strike target."""
    x0, y0, x1, y1 = box_px(target.box)
    dark = image[:, x0:x1] < DARK
    full = dark.mean(axis=1) > 0.9
    above = [y for y in range(y0, max(0, y0 - px(10 * MM)), -1) if full[y]]
    below = [y for y in range(y1, y1 + px(10 * MM)) if full[y]]
    assert above and below, f"{target.id}: no row lines around the target"
    return above[0], below[0]


def check_strike_targets(image: np.ndarray, page: PageLayout) -> None:
    assert page.targets
    for target in page.targets:
        x0, y0, x1, y1 = box_px(target.box)
        line_above, line_below = row_lines(image, target)
        # The row lines are outside the box, and the box stays clear of them.
        assert line_above < y0 and line_below > y1, target.id
        # A row tall enough to strike: no shorter than a long list's shortest row (it was 9 mm
        # when every list had 9.5-mm rows and 250 names took six pages), and the name at most
        # 1/1.5 of it, so the reader's circle zones stay clear of the neighbours' strikes.
        row = (line_below - line_above) / PX
        assert row >= DEFAULT_SETTINGS.strike_row_min_mm * MM - 1, target.id
        assert row >= DEFAULT_SETTINGS.strike_row_per_name * (y1 - y0) / PX - 1, target.id
        inside = image[y0:y1, x0:x1] < DARK
        assert not (inside.mean(axis=1) > 0.9).any(), f"{target.id}: a rule inside the box"
        # Every dark pixel of the row between the number rule and the next rule is in the box.
        band = image[line_above + 3 : line_below - 2] < DARK
        rule_left = x0 - 1
        while rule_left > 0 and band[:, rule_left].mean() < 0.9:
            rule_left -= 1
        rule_right = x1 + 1
        while rule_right < image.shape[1] - 1 and band[:, rule_right].mean() < 0.9:
            rule_right += 1
        assert x0 - rule_left < px(4 * MM), f"{target.id}: name far from the number column"
        ys, xs = np.nonzero(band[:, rule_left + 3 : rule_right - 2])
        xs = xs + rule_left + 3
        ys = ys + line_above + 3
        assert xs.size > 50, f"{target.id}: no name printed"
        tolerance = 1  # anti-aliasing of the glyph edges
        assert xs.min() >= x0 - tolerance and xs.max() <= x1 + tolerance, target.id
        assert ys.min() >= y0 - tolerance and ys.max() <= y1 + tolerance, target.id
        # The box is the name, not the empty row: the ink reaches both ends of it.
        assert xs.min() <= x0 + px(1 * MM) and xs.max() >= x1 - px(1 * MM), target.id
        assert rule_right - x1 >= px(DEFAULT_SETTINGS.name_padding_mm * MM) - 2, target.id


@pytest.mark.parametrize(("count", "paper"), [(8, "auto"), (30, "auto"), (70, "auto")])
def test_strike_targets_are_the_printed_names(count: int, paper: str) -> None:
    _, layout = built("strike", count, paper)
    for page in layout.pages:
        check_strike_targets(page_image("strike", count, page.number, paper), page)


def test_sixty_character_names_fit_their_column() -> None:
    _, layout = built("strike", 40, "auto", long=True)
    for page in layout.pages:
        check_strike_targets(page_image("strike", 40, page.number, "auto", True), page)
    _, layout = built("agree", 12, "A4", long=True)
    check_box_targets(page_image("agree", 12, 1, "A4", True), layout.pages[0])
    image = page_image("agree", 12, 1, "A4", True)
    column_width = DEFAULT_SETTINGS.agree_box_column_mm * MM
    for target in layout.pages[0].targets:
        if target.choice != "agree":
            continue
        x_center = (target.box[0] + target.box[2]) / 2
        rule = x_center - column_width / 2
        y0, y1 = target.box[1], target.box[3]
        name_cell = image[px(y0) : px(y1), px(30 * MM) : px(rule - 0.4 * MM)] < DARK
        assert name_cell.sum() > 100  # the long name is printed
        clear = image[px(y0) : px(y1), px(rule - 1.5 * MM) : px(rule - 0.4 * MM)] < DARK
        assert not clear.any(), f"{target.item}: the name runs into the box column"


# ---------------------------------------------------------------- box targets against pixels


def check_box_targets(image: np.ndarray, page: PageLayout) -> None:
    assert page.targets
    for target in page.targets:
        x0, y0, x1, y1 = target.box
        side = (x1 - x0) / MM
        assert side >= 6, target.id
        # Inside the box: nothing printed.
        inner = image[px(y0) + 2 : px(y1) - 2, px(x0) + 2 : px(x1) - 2]
        assert (inner > 250).all(), f"{target.id}: ink inside the box"
        # Just outside each of the four edges: the printed outline, all along the edge.
        width = 3
        edges = {
            "top": image[px(y0) - width : px(y0) + 1, px(x0) : px(x1)].min(axis=0),
            "bottom": image[px(y1) - 1 : px(y1) + width, px(x0) : px(x1)].min(axis=0),
            "left": image[px(y0) : px(y1), px(x0) - width : px(x0) + 1].min(axis=1),
            "right": image[px(y0) : px(y1), px(x1) - 1 : px(x1) + width].min(axis=1),
        }
        for name, strip in edges.items():
            assert (strip < DARK).mean() > 0.95, f"{target.id}: no outline on the {name} edge"
        # ...and the outline is thin: white again a little further out.
        ring = image[px(y0) - 6, px(x0) + 3 : px(x1) - 3]
        assert (ring > 200).all(), f"{target.id}: the outline is not where the box says"


@pytest.mark.parametrize(
    ("form", "count"), [("agree", 9), ("agree", 30), ("confidence", 20), ("yesno", 2)]
)
def test_box_targets_are_inside_the_printed_boxes(form: str, count: int) -> None:
    ballot, layout = built(form, count)
    choices = {"agree": 2, "confidence": 3, "yesno": 2}[form]
    assert len(layout.targets()) == count * choices
    for page in layout.pages:
        check_box_targets(page_image(form, count, page.number), page)
    # Boxes of one item share a row; boxes of one choice share a column.
    for page in layout.pages:
        by_item: dict[str, list[Target]] = {}
        for target in page.targets:
            by_item.setdefault(target.item, []).append(target)
        for targets in by_item.values():
            assert len({t.box[1] for t in targets}) == 1
            assert [t.choice for t in targets] == list(
                {
                    "agree": ["agree", "disagree"],
                    "confidence": ["high", "normal", "low"],
                    "yesno": ["yes", "no"],
                }[form]
            )


# ---------------------------------------------------------------- registration marks


@pytest.mark.parametrize(
    ("form", "count"), [("strike", 8), ("strike", 70), ("strike", 250), ("confidence", 20)]
)
def test_aruco_markers_are_detected_where_the_layout_says(form: str, count: int) -> None:
    _, layout = built(form, count)
    detector = cv2.aruco.ArucoDetector(
        cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50), cv2.aruco.DetectorParameters()
    )
    for page in layout.pages:
        corners, ids, _ = detector.detectMarkers(page_image(form, count, page.number))
        assert ids is not None
        found = {int(i): c.reshape(4, 2) for i, c in zip(ids.ravel(), corners, strict=True)}
        assert sorted(found) == [0, 1, 2, 3]
        assert [m.id for m in page.marks] == ["tl", "tr", "bl", "br"]
        for mark in page.marks:
            assert mark.aruco_id is not None
            x0, y0, x1, y1 = mark.box
            assert 10 * MM <= (x1 - x0) <= 12.5 * MM
            expected = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)]) * PX
            error_mm = np.abs(found[mark.aruco_id] - expected).max() / PX / MM
            assert error_mm < 1.5, (page.number, mark.id, error_mm)


# ---------------------------------------------------------------- paper, margins and flow


def test_short_list_prints_on_a5_and_long_on_a4() -> None:
    a5 = built("strike", 10)[1]
    assert len(a5.pages) == 1
    assert (round(a5.pages[0].width / MM), round(a5.pages[0].height / MM)) == (148, 210)
    for count in (30, 70):
        a4 = built("strike", count)[1]
        assert (round(a4.pages[0].width / MM), round(a4.pages[0].height / MM)) == (210, 297)
    forced = built("strike", 10, "A4")[1]
    assert round(forced.pages[0].width / MM) == 210
    assert round(built("agree", 5)[1].pages[0].width / MM) == 148


def test_strike_lists_fit_the_paper() -> None:
    """Issue 17: 60 names on one A4 side, 250 on three (they took two and six: 38 names on
    page one, then 44 a page, in two tables of 9.5-mm rows); short lists keep their rows."""
    plans = {
        (count, paper): plan_ballot(spec("strike", names(count), paper), DEFAULT_SETTINGS)
        for count, paper in ((12, "A4"), (30, "A4"), (40, "A4"), (60, "A4"), (70, "A4"),
                             (100, "A4"), (250, "A4"), (250, "A3"))
    }  # fmt: skip
    pages = {key: len(plan.pages) for key, plan in plans.items()}
    assert pages == {
        (12, "A4"): 1, (30, "A4"): 1, (40, "A4"): 1, (60, "A4"): 1, (70, "A4"): 1,
        (100, "A4"): 2, (250, "A4"): 3, (250, "A3"): 2,
    }  # fmt: skip
    for (_, paper), plan in plans.items():
        assert plan.row_mm >= DEFAULT_SETTINGS.strike_row_min_mm
        assert plan.name_sizes[0] >= DEFAULT_SETTINGS.two_column_min_name_size_pt
        assert round(plan.width / MM) == (297 if paper == "A3" else 210)
    # Lists that fitted their pages before print as before: 9.5-mm rows, 12-pt names.
    for count in (12, 30):
        assert (plans[count, "A4"].row_mm, plans[count, "A4"].name_sizes) == (9.5, (12.0, 12.0))
    assert (plans[12, "A4"].columns, plans[30, "A4"].columns) == (1, 2)
    # Sixty names: three tables of 9-mm rows, 9.2-12 pt; 250: three tables, 7.25 mm, 8.8-10.8 pt.
    assert (plans[60, "A4"].columns, plans[60, "A4"].row_mm) == (3, 9.0)
    assert (plans[250, "A4"].columns, plans[250, "A4"].row_mm) == (3, 7.25)
    assert round(plans[60, "A4"].name_sizes[0], 1) == 9.2
    assert round(plans[250, "A4"].name_sizes[0], 1) == 8.8


def test_a_long_list_on_three_a4_pages_is_checked_against_its_pixels() -> None:
    ballot, layout = built("strike", 250)
    assert len(layout.pages) == 3
    for page in layout.pages:
        check_strike_targets(page_image("strike", 250, page.number), page)


def test_nothing_printed_within_eight_mm_of_the_edge() -> None:
    for form, count in (("strike", 10), ("strike", 70), ("confidence", 20), ("agree", 30)):
        _, layout = built(form, count)
        for page in layout.pages:
            image = page_image(form, count, page.number)
            margin = px(8 * MM)
            inner = np.zeros(image.shape, bool)
            inner[margin:-margin, margin:-margin] = True
            assert (image[~inner] > 250).all(), (form, count, page.number)
            boxes = [t.box for t in page.targets] + [m.box for m in page.marks]
            boxes += [page.qr, page.voter_area] + ([page.seal_box] if page.seal_box else [])
            for x0, y0, x1, y1 in boxes:
                assert x0 >= 8 * MM and y0 >= 8 * MM
                assert x1 <= page.width - 8 * MM and y1 <= page.height - 8 * MM


def test_two_hundred_fifty_names_flow_over_pages_without_splitting_rows() -> None:
    ballot, layout = built("strike", 250)
    assert 3 <= len(layout.pages) <= 8
    assert [p.number for p in layout.pages] == list(range(1, len(layout.pages) + 1))
    targets = layout.targets()
    assert [t.item for t in targets] == [item.id for item in layout.items]
    assert [item.number for item in layout.items] == list(range(1, 251))
    assert [item.label for item in layout.items] == list(ballot.items)
    for page in layout.pages:
        assert len(page.marks) == 4
        assert page.qr[2] > page.qr[0] and page.qr[3] > page.qr[1]
        assert (page.seal_box is not None) == (page.number == 1)
        marks_top = min(m.box[1] for m in page.marks if m.id in ("bl", "br"))
        ax0, ay0, ax1, ay1 = page.voter_area
        assert ay1 < marks_top - 2 * MM
        assert ay0 > page.qr[3]
        for target in page.targets:
            x0, y0, x1, y1 = target.box
            assert ax0 <= x0 < x1 <= ax1 and ay0 <= y0 < y1 <= ay1
    # Rows keep their printed numbers: each page's first item follows the previous page's last.
    ends = [(p.targets[0].item, p.targets[-1].item) for p in layout.pages]
    for (_, last), (first, _) in zip(ends, ends[1:], strict=False):
        assert int(first[1:]) == int(last[1:]) + 1
    # The last page's rows are real rows: checked against its pixels like any other page.
    check_strike_targets(page_image("strike", 250, len(layout.pages)), layout.pages[-1])


def test_seal_box_is_printed_on_page_one_only_and_only_when_required() -> None:
    with_seal = build_layout(spec("strike", names(8), seal=True))
    without = build_layout(spec("strike", names(8), seal=False))
    seal = with_seal.pages[0].seal_box
    assert seal is not None and without.pages[0].seal_box is None
    assert (seal[2] - seal[0]) / MM >= 35 and (seal[3] - seal[1]) / MM >= 25
    image = render_blank_page(spec("strike", names(8), seal=True), with_seal, 1, DPI)
    x0, y0, x1, y1 = box_px(seal)
    assert (image[y0 - 1 : y0 + 2, x0:x1] < DARK).mean() > 0.3  # the dashed outline
    assert seal[0] < with_seal.pages[0].width / 2  # top left
    assert seal[3] < with_seal.pages[0].voter_area[1]


def test_items_ids_and_numbers() -> None:
    _, layout = built("strike", 12)
    assert [i.id for i in layout.items][:3] == ["c001", "c002", "c003"]
    assert [t.id for t in layout.targets()][:2] == ["c001.strike", "c002.strike"]
    _, yesno = built("yesno", 1)
    assert [i.id for i in yesno.items] == ["q1"]
    assert [t.id for t in yesno.targets()] == ["q1.yes", "q1.no"]


def test_names_are_stored_nfc() -> None:
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Ha\u0300"
    layout = build_layout(spec("strike", [decomposed, "Lê Văn Bình"]))
    assert layout.items[0].label == "Nguyễn Thị Hà"


def test_bad_specs_are_refused() -> None:
    with pytest.raises(ValueError):
        build_layout(spec("strike", []))
    with pytest.raises(ValueError):
        build_layout(spec("vote", names(3)))


# ---------------------------------------------------------------- the published JSON


def test_layout_json_round_trips_with_stable_key_order() -> None:
    for form, count in (("strike", 70), ("confidence", 5), ("yesno", 1)):
        _, layout = built(form, count)
        text = layout.to_json()
        again = BallotLayout.from_json(text)
        assert again == layout
        assert again.to_json() == text
        data = json.loads(text)
        assert list(data) == sorted(data)
        assert list(data["pages"][0]) == sorted(data["pages"][0])
        assert data["schema"] == 1 and data["form"] == form
        assert "Nguyễn" in text or form == "yesno"  # readable Vietnamese, not \u escapes
    with pytest.raises(ValueError):
        BallotLayout.from_json(json.dumps({**json.loads(text), "schema": 2}))


def test_layout_is_deterministic() -> None:
    # 100 names: two pages (70 fitted two pages before a long list's rows could shrink)
    first = build_layout(spec("strike", names(100)))
    second = build_layout(spec("strike", names(100)))
    assert first.to_json() == second.to_json()
    assert first.page(2) is first.pages[1]
    with pytest.raises(KeyError):
        first.page(3)
