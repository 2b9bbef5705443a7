"""What a hostile or clumsy client sends: values from a JSON Schema pushed past its edges, the
hostile files of the other suites, and strings that break naive code."""

from __future__ import annotations

import functools
import json
from typing import Any

from hypothesis import strategies as st

from tests.ballots import hostile_files
from tests.congress.hostile_exports import FORMULAS, MARKUP

NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "\u202e\u0041\u0042",  # right-to-left override
    "Nguyễn Thị Ánh Tuyết",
    "a" * 70,
    "x" * 5000,
    "../../etc/passwd",
    "%2e%2e%2f",
    "' OR 1=1 --",
    "1e309",
    "NaN",
    "-0",
    "２０",  # full-width digits
    "١٢",  # Arabic-Indic digits
    "\ud7ff\ue000",
    *FORMULAS[:3],
    *MARKUP,
]

NUMBERS = [-(2**63), -1, 0, 1, 2, 3, 999, 1000, 2**31 - 1, 2**31, 2**53 + 1, 10**20]


def text_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_TEXT),
        st.text(max_size=40),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    )


def number_text() -> st.SearchStrategy[str]:
    """What a person or a script may type into a number field."""
    return st.one_of(
        st.sampled_from([str(n) for n in NUMBERS]),
        st.integers(min_value=-10, max_value=40).map(str),
        st.sampled_from(["", "abc", "1.5", "1e3", " 7 ", "0x10", "+3", "٣", "9" * 40]),
    )


def wild_json() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(NUMBERS),
        st.floats(allow_nan=False, allow_infinity=False),
        text_values(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=12,
    )


def from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """A value that usually fits `schema` and often does not: each field may be missing, of
    another type or past the schema's bounds; unknown fields are added."""
    kind = schema.get("type")
    off_type = wild_json() if depth < 2 else st.none()
    if "enum" in schema:
        fitting: st.SearchStrategy[Any] = st.sampled_from(schema["enum"])
    elif kind == "object":
        properties = schema.get("properties", {})
        fitting = st.fixed_dictionaries(
            {},
            optional={name: from_schema(sub, depth + 1) for name, sub in properties.items()}
            | {"extra": wild_json()},
        )
    elif kind == "array":
        most = int(schema.get("maxItems", 5))
        item = from_schema(schema.get("items", {}), depth + 1)
        fitting = st.one_of(
            st.lists(item, max_size=3),
            st.lists(item, min_size=most + 1, max_size=most + 1) if most <= 600 else st.just([]),
        )
    elif kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        edges = [n for n in (low, high) if n is not None]
        fitting = st.one_of(
            st.sampled_from(NUMBERS + edges + [e - 1 for e in edges] + [e + 1 for e in edges]),
            st.integers(min_value=-5, max_value=50),
        )
    elif kind == "string" and schema.get("format") == "date":
        fitting = st.one_of(
            st.dates().map(lambda d: d.isoformat()),
            st.sampled_from(["2027-02-30", "0000-01-01", "9999-12-31", "02/06/2027", ""]),
        )
    elif kind == "string" and schema.get("format") == "date-time":
        fitting = st.one_of(
            st.datetimes().map(lambda d: d.isoformat()),
            st.sampled_from(["2027-06-02T08:00:00+07:00", "2027-06-02T25:00", "now", ""]),
        )
    elif kind == "string":
        most = int(schema.get("maxLength", 100))
        fitting = st.one_of(
            text_values(),
            st.text(alphabet="abc-_09", min_size=most, max_size=most + 2),
        )
    else:
        fitting = wild_json()
    return st.one_of(fitting, fitting, fitting, off_type)


@functools.cache
def _made_files() -> list[bytes]:
    return [
        b"",
        b"\x00",
        b"%PDF-1.7\n",
        b"PK\x03\x04",
        b"\x89PNG\r\n\x1a\n",
        hostile_files.huge_png_header(),
        hostile_files.huge_jpeg_header(),
        hostile_files.huge_user_unit_pdf(),
        hostile_files.truncated(hostile_files.scanner_pdf(1)),
        hostile_files.random_pdf(2048),
        'STT;Họ và tên\n1;=HYPERLINK("x")\n'.encode(),
    ]


def upload_bytes() -> st.SearchStrategy[bytes]:
    """Files no server should choke on: hostile ones, broken ones, random ones."""
    return st.one_of(st.sampled_from(_made_files()), st.binary(max_size=2048))


def as_json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
