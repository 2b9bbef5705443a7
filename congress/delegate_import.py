"""Delegate import from CSV or XLSX: validate every row, then apply all of it or nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from congress import audit
from congress.archives import ArchiveRefused, BoundedZip, ZipBounds
from congress.errors import CongressError
from congress.exports import import_template
from congress.filetypes import sniff
from congress.i18n import N_
from congress.limits import Limits
from congress.models import Congress, Delegate, Delegation
from congress.vietnamese import fold, name_sort_string, nfc

DEFAULT_LIMITS = Limits()

# Header spellings, compared after folding (no diacritics, lower case, single spaces).
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("ma dai bieu", "ma", "ma so", "ma db", "code", "delegate code", "id"),
    "full_name": ("ho va ten", "ho ten", "full name", "name", "ten dai bieu"),
    "birth_date": ("ngay sinh", "ngay thang nam sinh", "birth date", "date of birth", "dob"),
    "gender": ("gioi tinh", "gender", "sex"),
    "delegation": ("doan dai bieu", "doan", "delegation", "thuoc doan"),
    "kind": ("loai dai bieu", "loai", "kind", "type", "chinh thuc/du khuyet"),
    "position": ("chuc vu", "position", "title", "chuc danh"),
    "unit": ("don vi", "don vi cong tac", "unit", "organisation", "organization", "co quan"),
    "phone": ("so dien thoai", "dien thoai", "sdt", "phone", "phone number"),
    "email": ("email", "e-mail", "thu dien tu"),
}
# How a missing required column is named to the user: the usual Vietnamese header.
DISPLAY = {"full_name": "Họ và tên", "delegation": "Đoàn đại biểu"}
IGNORED_HEADERS = ("stt", "so thu tu", "tt", "no", "no.", "#")
REQUIRED = ("full_name", "delegation")
FIELDS = (
    "code",
    "full_name",
    "birth_date",
    "gender",
    "delegation",
    "kind",
    "position",
    "unit",
    "phone",
    "email",
)

GENDER_VALUES = {
    "nam": "male",
    "male": "male",
    "m": "male",
    "nu": "female",
    "female": "female",
    "f": "female",
    "khac": "other",
    "other": "other",
}
KIND_VALUES = {
    "": "full",
    "chinh thuc": "full",
    "full": "full",
    "dai bieu chinh thuc": "full",
    "du khuyet": "alternate",
    "alternate": "alternate",
    "dai bieu du khuyet": "alternate",
}
# The import template's columns: the header as written, whether required, what to write (msgid).
TEMPLATE_COLUMNS: tuple[tuple[str, bool, str], ...] = (
    ("Mã đại biểu", False, N_("Letters and digits, e.g. DB0001; left empty, a code is made")),
    ("Họ và tên", True, N_("The full name with its diacritics")),
    ("Ngày sinh", False, N_("dd/mm/yyyy")),
    ("Giới tính", False, N_("Nam, Nữ or Khác")),
    ("Đoàn đại biểu", True, N_("The delegation's name; each new name makes a delegation")),
    ("Loại đại biểu", False, N_("Chính thức or Dự khuyết; left empty: Chính thức")),
    ("Chức vụ", False, N_("At most 200 characters")),
    ("Đơn vị", False, N_("At most 200 characters")),
    ("Điện thoại", False, N_("Seen only by organizers")),
    ("Email", False, N_("Seen only by organizers")),
)


def template_notes(
    columns: Iterable[tuple[str, bool, str]], gettext: Callable[[str], str]
) -> list[list[str]]:
    """The explanation sheet of an import template: one line per column, in `gettext`'s words."""
    lines = [[gettext("Column"), gettext("Needed"), gettext("What to write")]]
    for header, required, note in columns:
        lines.append(
            [header, gettext("required") if required else gettext("optional"), gettext(note)]
        )
    lines.append(["", "", gettext("Other columns are refused or reported; STT is allowed.")])
    return lines


def template_xlsx(gettext: Callable[[str], str]) -> bytes:
    """The delegates' import template: the header row to fill in, and a sheet explaining it."""
    return import_template(
        gettext("Delegates"),
        [column[0] for column in TEMPLATE_COLUMNS],
        gettext("How to fill it in"),
        template_notes(TEMPLATE_COLUMNS, gettext),
    )


CODE_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 .()-]{6,20}$")


@dataclass
class RowProblem:
    line: int  # 1-based line of the file (the header is line 1 when it is the first row)
    column: str  # the header as written in the file, or the field name
    value: str
    message: str  # msgid, translated when shown
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class DelegateRow:
    line: int
    values: dict[str, Any]


@dataclass
class Change:
    line: int
    code: str
    full_name: str
    fields: dict[str, tuple[Any, Any]]  # field -> (old, new)


@dataclass
class ImportReport:
    rows: int = 0
    new: int = 0
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self, gettext: Callable[[str], str] = lambda s: s) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "new": self.new,
            "unchanged": self.unchanged,
            "changed": len(self.changes),
            "applied": self.applied,
            "unknown_columns": self.unknown_columns,
            "changes": [
                {
                    "line": c.line,
                    "code": c.code,
                    "full_name": c.full_name,
                    "fields": {k: [_show(a), _show(b)] for k, (a, b) in c.fields.items()},
                }
                for c in self.changes
            ],
            "problems": [
                {
                    "line": p.line,
                    "column": p.column,
                    "value": p.value,
                    "message": gettext(p.message) % p.params if p.params else gettext(p.message),
                }
                for p in self.problems
            ],
        }


def _show(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


class ImportRefused(CongressError):
    """The file was not imported; the report says why, row by row."""

    def __init__(self, report: ImportReport, message: str, **params: Any) -> None:
        super().__init__("import_refused", message, status=422, **params)
        self.report = report


def fold_header(text: str) -> str:
    return " ".join(fold(str(text)).replace("_", " ").split())


def read_table(data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[tuple[int, list[Any]]]:
    """The non-empty rows of a CSV (UTF-8, optional BOM, comma or semicolon) or XLSX file, with
    their line numbers; reading stops one row past `limits.table_rows` below a header, so the
    caller can say the file is too long without holding all of it."""
    if len(data) > limits.spreadsheet_bytes:
        raise CongressError(
            "file_too_large",
            "The file is larger than %(mb)s MB",
            status=413,
            mb=limits.spreadsheet_bytes // 2**20,
        )
    kind = sniff(data)
    if kind == "zip":
        return _bounded(_read_xlsx(data, limits), limits)
    if kind == "pdf" or b"\x00" in data[:4096]:
        raise CongressError("not_a_table", "The file is neither CSV nor XLSX")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CongressError(
            "not_utf8",
            "The CSV file is not UTF-8 (invalid byte at position %(pos)s); save it as CSV UTF-8",
            pos=exc.start,
        ) from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _bounded(((reader.line_num, row) for row in reader), limits)
    except csv.Error as exc:
        raise CongressError("bad_csv", "The CSV file is malformed: %(why)s", why=str(exc)) from exc


def _bounded(
    rows: Iterable[tuple[int, Sequence[Any]]], limits: Limits
) -> list[tuple[int, list[Any]]]:
    """Keep the non-empty rows, at most a header, `table_rows` rows and one more (so the
    caller reports "too many rows"), each at most `table_columns` wide."""
    kept: list[tuple[int, list[Any]]] = []
    for line, row in rows:
        cells = list(row)
        while cells and not cell_text(cells[-1]):
            cells.pop()
        if not cells:
            continue
        if len(cells) > limits.table_columns:
            raise CongressError(
                "too_many_columns",
                "Line %(line)s has more than %(max)s columns",
                status=422,
                line=line,
                max=limits.table_columns,
            )
        kept.append((line, cells))
        if len(kept) > limits.table_rows + 1:
            break
    return kept


def _read_xlsx(data: bytes, limits: Limits) -> Iterator[tuple[int, Sequence[Any]]]:
    # openpyxl trusts the ZIP: unpack every member within bounds first, keeping nothing.
    bounds = ZipBounds(
        limits.archive_entries,
        limits.spreadsheet_decompressed_bytes,
        limits.spreadsheet_decompressed_bytes,
    )
    try:
        with BoundedZip(data, bounds) as archive:
            archive.check_all()
    except ArchiveRefused as exc:
        if exc.status == 413:
            raise
        raise _bad_xlsx(exc) from exc
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # A hostile or damaged workbook fails inside openpyxl in many ways (ParseError, KeyError,
    # ValueError, TypeError, zipfile errors...): each is the same clear refusal, never a 500.
    except Exception as exc:
        raise _bad_xlsx(exc) from exc
    try:
        sheet = workbook.worksheets[0]
        # One column past the bound is read, so a wider row is refused rather than cut; a
        # sheet's declared dimension pads every row to it, so it must not decide the width.
        yield from enumerate(
            sheet.iter_rows(max_col=limits.table_columns + 1, values_only=True), start=1
        )
    except CongressError:
        raise
    except Exception as exc:
        raise _bad_xlsx(exc) from exc
    finally:
        workbook.close()


def _bad_xlsx(exc: Exception) -> CongressError:
    return CongressError(
        "bad_xlsx", "The XLSX file cannot be opened: %(why)s", status=422, why=str(exc)[:200]
    )


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return nfc(str(value))


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    raise ValueError(text)


def read_columns(
    data: bytes,
    headers: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
    report: ImportReport,
    display: dict[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[list[tuple[int, list[Any]]], dict[int, str], dict[str, str]] | None:
    """Read a CSV/XLSX table and map its header to fields by their folded spellings.

    Returns the non-empty rows (header first), column index -> field, and field -> the header
    as written; None, with the problems in the report, when the header cannot be used. Unknown
    columns are listed in the report.
    """
    table = read_table(data, limits)
    if not table:
        report.problems.append(RowProblem(1, "", "", "The file has no rows"))
        return None
    header_line, header = table[0]
    columns: dict[int, str] = {}
    for index, title in enumerate(header):
        folded = fold_header(cell_text(title))
        if not folded:
            continue
        name = next((f for f, spellings in headers.items() if folded in spellings), None)
        if name is None:
            if folded not in IGNORED_HEADERS:
                report.unknown_columns.append(cell_text(title))
            continue
        if name in columns.values():
            report.problems.append(
                RowProblem(header_line, cell_text(title), "", "The column appears twice")
            )
        columns[index] = name
    for field_name in required:
        if field_name not in columns.values():
            report.problems.append(
                RowProblem(
                    header_line,
                    field_name,
                    "",
                    "Missing column %(column)s",
                    {"column": (display or DISPLAY).get(field_name, field_name)},
                )
            )
    if report.problems:
        return None
    titles = {name: cell_text(header[i]) for i, name in columns.items()}
    return table, columns, titles


def parse_rows(
    data: bytes, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[DelegateRow], ImportReport]:
    """Validate every row of the file; the report lists each problem with line and column."""
    report = ImportReport()
    found = read_columns(data, HEADERS, REQUIRED, report, limits=limits)
    if found is None:
        return [], report
    table, columns, titles = found
    header_line = table[0][0]
    body = table[1:]
    if len(body) > limits.table_rows:
        report.problems.append(
            RowProblem(
                header_line,
                "",
                str(len(body)),
                "Too many rows (at most %(max)s)",
                {"max": limits.table_rows},
            )
        )
        return [], report

    rows: list[DelegateRow] = []
    seen_codes: dict[str, int] = {}
    seen_people: dict[tuple[str, Any], int] = {}
    for line, raw in body:
        values: dict[str, Any] = {}
        problems: list[RowProblem] = []

        def problem(
            name: str,
            value: Any,
            message: str,
            line: int = line,
            sink: list[RowProblem] = problems,
            **params: Any,
        ) -> None:
            sink.append(RowProblem(line, titles.get(name, name), cell_text(value), message, params))

        cells = {name: (raw[i] if i < len(raw) else None) for i, name in columns.items()}
        for name in FIELDS:
            raw_value = cells.get(name)
            text = cell_text(raw_value)
            if name == "full_name":
                if not text:
                    problem(name, raw_value, "The full name is empty")
                elif len(text) > 120:
                    problem(name, raw_value, "The full name is longer than 120 characters")
                elif any(ch.isdigit() for ch in text):
                    problem(name, raw_value, "A name cannot contain digits")
                values[name] = text
            elif name == "delegation":
                if not text:
                    problem(name, raw_value, "The delegation is empty")
                values[name] = text[:200]
            elif name == "code":
                if text and not CODE_RE.match(text):
                    problem(
                        name,
                        raw_value,
                        "A delegate code is 1-32 letters, digits, dots, dashes or underscores",
                    )
                values[name] = text or None
            elif name == "birth_date":
                if not text:
                    values[name] = None
                    continue
                try:
                    born = parse_date(raw_value)
                except ValueError:
                    problem(name, raw_value, "Not a date: write dd/mm/yyyy or yyyy-mm-dd")
                    continue
                if not dt.date(1900, 1, 1) <= born <= dt.date.today():
                    problem(name, raw_value, "The birth date is not plausible")
                values[name] = born
            elif name == "gender":
                folded = fold(text)
                if folded and folded not in GENDER_VALUES:
                    problem(name, raw_value, "Gender must be Nam, Nữ or Khác (male, female, other)")
                values[name] = GENDER_VALUES.get(folded) if folded else None
            elif name == "kind":
                folded = " ".join(fold(text).split())
                if folded not in KIND_VALUES:
                    problem(
                        name,
                        raw_value,
                        "The delegate type must be Chính thức or Dự khuyết (full or alternate)",
                    )
                values[name] = KIND_VALUES.get(folded, "full")
            elif name == "email":
                if text and not EMAIL_RE.match(text):
                    problem(name, raw_value, "Not an e-mail address")
                values[name] = text or None
            elif name == "phone":
                if text and not PHONE_RE.match(text):
                    problem(name, raw_value, "Not a phone number")
                values[name] = text or None
            else:
                values[name] = text[:200]
        if values.get("code"):
            first = seen_codes.setdefault(values["code"].upper(), line)
            if first != line:
                problem(
                    "code",
                    values["code"],
                    "Duplicate delegate code (also on line %(first)s)",
                    first=first,
                )
        else:
            person = (values.get("full_name", ""), values.get("birth_date"))
            first = seen_people.setdefault(person, line)
            if first != line:
                problem(
                    "full_name",
                    values.get("full_name"),
                    "The same person appears twice (also on line %(first)s); give delegate codes",
                    first=first,
                )
        report.problems.extend(problems)
        if not problems:
            rows.append(DelegateRow(line, values))
    report.rows = len(body)
    return rows, report


COMPARED = ("full_name", "birth_date", "gender", "kind", "position", "unit", "phone", "email")


def import_delegates(
    session: Session,
    congress: Congress,
    data: bytes,
    *,
    actor: str,
    update: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportReport:
    """Import the file into `congress`: every row or none. Raises ImportRefused with the report."""
    rows, report = parse_rows(data, limits)
    if not report.ok:
        raise ImportRefused(
            report, "The file has %(n)s problems; nothing was imported", n=len(report.problems)
        )

    existing = session.scalars(select(Delegate).where(Delegate.congress_id == congress.id)).all()
    by_code = {d.code.upper(): d for d in existing}
    by_person: dict[tuple[str, Any], list[Delegate]] = {}
    for d in existing:
        by_person.setdefault((d.full_name, d.birth_date), []).append(d)
    delegations = {
        d.name: d
        for d in session.scalars(select(Delegation).where(Delegation.congress_id == congress.id))
    }

    matches: list[tuple[DelegateRow, Delegate | None]] = []
    for row in rows:
        v = row.values
        match: Delegate | None = None
        if v.get("code"):
            match = by_code.get(v["code"].upper())
        else:
            found = by_person.get((v["full_name"], v.get("birth_date")), [])
            if len(found) > 1:
                report.problems.append(
                    RowProblem(
                        row.line,
                        "full_name",
                        v["full_name"],
                        "Several delegates already have this name and birth date; give delegate codes",
                    )
                )
            match = found[0] if found else None
        matches.append((row, match))
        if match is None:
            report.new += 1
            continue
        diff = {
            k: (getattr(match, k), v.get(k))
            for k in COMPARED
            if k in v and getattr(match, k) != v.get(k)
        }
        if "delegation" in v and match.delegation.name != v["delegation"]:
            diff["delegation"] = (match.delegation.name, v["delegation"])
        if diff:
            report.changes.append(Change(row.line, match.code, match.full_name, diff))
        else:
            report.unchanged += 1
    if report.problems:
        raise ImportRefused(
            report, "The file has %(n)s problems; nothing was imported", n=len(report.problems)
        )
    if report.changes and not update:
        raise ImportRefused(
            report,
            "%(n)s rows differ from delegates already imported; nothing was imported. "
            "Review the differences and import again with update",
            n=len(report.changes),
        )
    if dry_run:
        return report

    next_number = _next_code_number(existing)
    changed_lines = {c.line for c in report.changes}
    for done, (row, match) in enumerate(matches, start=1):
        v = row.values
        delegation = delegations.get(v["delegation"])
        if delegation is None:
            delegation = Delegation(congress_id=congress.id, name=v["delegation"])
            session.add(delegation)
            delegations[v["delegation"]] = delegation
        if match is None:
            code = v.get("code")
            if not code:
                code = f"DB{next_number:04d}"
                next_number += 1
            delegate = Delegate(congress_id=congress.id, code=code, delegation=delegation)
            _assign(delegate, v)
            session.add(delegate)
        elif row.line in changed_lines:
            _assign(match, v)
            match.delegation = delegation
        if progress and done % 250 == 0:
            progress(250)
    session.flush()
    audit.record(
        session,
        actor,
        "delegates.import",
        congress_id=congress.id,
        subject=congress.slug,
        rows=report.rows,
        new=report.new,
        changed=len(report.changes),
        unchanged=report.unchanged,
    )
    report.applied = True
    return report


def _assign(delegate: Delegate, values: dict[str, Any]) -> None:
    for key in COMPARED:
        if key in values:
            setattr(
                delegate,
                key,
                values[key]
                if values[key] is not None or key in ("birth_date", "gender", "phone", "email")
                else "",
            )
    delegate.sort_key = name_sort_string(delegate.full_name)
    delegate.search_text = " ".join(
        fold(x) for x in (delegate.full_name, delegate.code, delegate.unit, delegate.position) if x
    )


def _next_code_number(existing: Iterable[Delegate]) -> int:
    numbers = [int(d.code[2:]) for d in existing if re.fullmatch(r"DB\d+", d.code)]
    return max(numbers, default=0) + 1
