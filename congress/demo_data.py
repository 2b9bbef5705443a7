"""Realistic Vietnamese delegate data for the demo and the tests, generated from a seed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from typing import Any

FAMILY = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 3),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
    ("Đinh", 1),
    ("Lò", 1),
    ("Hà", 1),
    ("Tạ", 1),
]
MIDDLE_MALE = [
    "Văn",
    "Đức",
    "Minh",
    "Quang",
    "Hữu",
    "Thành",
    "Công",
    "Xuân",
    "Tuấn",
    "Duy",
    "Hoàng",
    "Ngọc",
    "Trọng",
    "Mạnh",
    "Anh",
]
MIDDLE_FEMALE = [
    "Thị",
    "Ngọc",
    "Thu",
    "Thanh",
    "Phương",
    "Minh",
    "Hồng",
    "Thùy",
    "Khánh",
    "Bảo",
    "Hải",
    "Mai",
    "Diệu",
    "Quỳnh",
]
GIVEN_MALE = [
    "An",
    "Anh",
    "Bảo",
    "Bình",
    "Cường",
    "Dũng",
    "Duy",
    "Đạt",
    "Đức",
    "Giang",
    "Hải",
    "Hiếu",
    "Hoàng",
    "Hùng",
    "Huy",
    "Khánh",
    "Khoa",
    "Kiên",
    "Long",
    "Lâm",
    "Minh",
    "Nam",
    "Nghĩa",
    "Phong",
    "Phúc",
    "Quân",
    "Quang",
    "Sơn",
    "Tài",
    "Thắng",
    "Thành",
    "Toàn",
    "Trung",
    "Tuấn",
    "Tùng",
    "Việt",
    "Vinh",
    "Vũ",
    "Ân",
    "Ẩn",
]
GIVEN_FEMALE = [
    "Anh",
    "Ánh",
    "Châu",
    "Chi",
    "Dung",
    "Duyên",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hương",
    "Hường",
    "Huyền",
    "Lan",
    "Linh",
    "Loan",
    "Ly",
    "Mai",
    "My",
    "Nga",
    "Ngân",
    "Ngọc",
    "Nhung",
    "Oanh",
    "Phương",
    "Quyên",
    "Quỳnh",
    "Thảo",
    "Thu",
    "Thủy",
    "Trang",
    "Trâm",
    "Uyên",
    "Vân",
    "Vy",
    "Yến",
    "Ăn",
    "Ý",
]
DELEGATIONS = [
    "Đoàn Khối các cơ quan Thành phố",
    "Quận Ba Đình",
    "Quận Hoàn Kiếm",
    "Quận Đống Đa",
    "Quận Cầu Giấy",
    "Quận Long Biên",
    "Huyện Sóc Sơn",
    "Huyện Đông Anh",
    "Đoàn Khối Doanh nghiệp Thành phố",
    "Đoàn Đại học Quốc gia Hà Nội",
    "Công an Thành phố",
    "Bộ Tư lệnh Thủ đô",
]
POSITIONS = [
    "Bí thư Đoàn",
    "Phó Bí thư Đoàn",
    "Ủy viên Ban Thường vụ",
    "Ủy viên Ban Chấp hành",
    "Chủ tịch Hội Liên hiệp Thanh niên",
    "Chủ tịch Hội Sinh viên",
    "Bí thư Chi đoàn",
    "Đoàn viên tiêu biểu",
    "Chỉ huy trưởng Đội hình tình nguyện",
]
UNITS = [
    "Trường Đại học Bách khoa Hà Nội",
    "Bệnh viện Bạch Mai",
    "Phường Điện Biên",
    "Xã Kim Chung",
    "Công ty Điện lực Hà Nội",
    "Trường THPT Chu Văn An",
    "Sở Giáo dục và Đào tạo",
    "Phường Dịch Vọng",
    "Tổng công ty Vận tải Hà Nội",
    "Học viện Cảnh sát nhân dân",
    "Xã Bắc Hồng",
    "Phường Phúc Xá",
]


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights=weights)[0]


def full_name(rng: random.Random, gender: str) -> str:
    family = _pick(rng, FAMILY)
    if gender == "female":
        middle = rng.choice(MIDDLE_FEMALE)
        given = rng.choice(GIVEN_FEMALE)
    else:
        middle = rng.choice(MIDDLE_MALE)
        given = rng.choice(GIVEN_MALE)
    if rng.random() < 0.25:  # some names have two middle words
        middle += " " + rng.choice(MIDDLE_FEMALE if gender == "female" else MIDDLE_MALE)
    return f"{family} {middle} {given}"


def delegate_rows(count: int, seed: int, delegations: int = 12) -> list[dict[str, Any]]:
    """`count` delegates spread over `delegations` delegations, about one in twelve alternates."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        gender = "female" if rng.random() < 0.48 else "male"
        born = dt.date(1986, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 20))
        rows.append(
            {
                "code": f"DB{i + 1:04d}",
                "full_name": full_name(rng, gender),
                "birth_date": born,
                "gender": gender,
                "delegation": DELEGATIONS[i % delegations]
                if delegations <= len(DELEGATIONS)
                else f"Đoàn đại biểu số {i % delegations + 1}",
                "kind": "alternate" if rng.random() < 0.08 else "full",
                "position": rng.choice(POSITIONS),
                "unit": rng.choice(UNITS),
                "phone": f"09{rng.randrange(10**7, 10**8)}",
            }
        )
    return rows


VI_HEADERS = {
    "code": "Mã đại biểu",
    "full_name": "Họ và tên",
    "birth_date": "Ngày sinh",
    "gender": "Giới tính",
    "delegation": "Đoàn đại biểu",
    "kind": "Loại đại biểu",
    "position": "Chức vụ",
    "unit": "Đơn vị",
    "phone": "Số điện thoại",
}
VI_GENDER = {"male": "Nam", "female": "Nữ", "other": "Khác"}
VI_KIND = {"full": "Chính thức", "alternate": "Dự khuyết"}


def _vi_cells(row: dict[str, Any]) -> list[Any]:
    out = []
    for key in VI_HEADERS:
        value = row[key]
        if key == "birth_date":
            value = value.strftime("%d/%m/%Y")
        elif key == "gender":
            value = VI_GENDER[value]
        elif key == "kind":
            value = VI_KIND[value]
        out.append(value)
    return out


def rows_to_csv(rows: list[dict[str, Any]], delimiter: str = ",", bom: bool = True) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["STT", *VI_HEADERS.values()])
    for i, row in enumerate(rows, start=1):
        writer.writerow([i, *_vi_cells(row)])
    return ("\ufeff" if bom else "").encode() + buf.getvalue().encode("utf-8")


def rows_to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Đại biểu")
    sheet.append(["STT", *VI_HEADERS.values()])
    for i, row in enumerate(rows, start=1):
        cells = _vi_cells(row)
        cells[2] = row["birth_date"]  # a real date cell, as Excel users make them
        sheet.append([i, *cells])
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()
