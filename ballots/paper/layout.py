"""The ballot layout: where every target, registration mark and QR sits on each printed page.

Coordinates are PDF points (1/72 inch) with the origin at the TOP LEFT of the page and y growing
downwards; a box is (x0, y0, x1, y1). The printer writes this layout and the reader reads with it;
publishing it lets anyone check a count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

Form = Literal["strike", "agree", "yesno", "confidence"]
FORMS: tuple[Form, ...] = ("strike", "agree", "yesno", "confidence")
CHOICES: dict[str, tuple[str, ...]] = {
    "strike": ("strike",),
    "agree": ("agree", "disagree"),
    "yesno": ("yes", "no"),
    "confidence": ("high", "normal", "low"),
}
SCHEMA_VERSION = 1

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Item:
    """One candidate, or the question of a yes/no ballot."""

    id: str  # "c001", "c002", ... in ballot order; "q1" for a yes/no question
    label: str  # the full name (NFC) or the question text
    number: int  # the printed row number (STT), 1-based


@dataclass(frozen=True)
class Target:
    """One place a voter can mark."""

    id: str  # "<item>.<choice>", e.g. "c007.strike", "c007.agree", "q1.no"
    item: str
    choice: str
    # Strike forms: the printed name a strike must cross; box forms: the inside of the box.
    box: Box


@dataclass(frozen=True)
class RegistrationMark:
    """A corner marker the reader finds to undo the scan's shift, rotation and skew."""

    id: str  # "tl", "tr", "bl", "br"
    box: Box
    aruco_id: int | None  # ArUco DICT_4X4_50 id, or None for a solid square


@dataclass(frozen=True)
class PageLayout:
    """One printed page: its size, targets, marks, QR area (QR and caption) and seal box."""

    number: int  # 1-based
    width: float
    height: float
    targets: tuple[Target, ...]
    qr: Box
    marks: tuple[RegistrationMark, ...]
    seal_box: Box | None  # only on page 1
    # Where voter ink is expected at all; ink elsewhere in the page body is a private mark.
    voter_area: Box


@dataclass(frozen=True)
class BallotLayout:
    """The published layout of one ballot; docs/ballot-layout.md describes every field."""

    schema: int
    election_id: int
    round: int
    form: Form
    seats: int
    items: tuple[Item, ...]
    pages: tuple[PageLayout, ...]

    def page(self, number: int) -> PageLayout:
        for page in self.pages:
            if page.number == number:
                return page
        raise KeyError(f"the layout has no page {number}")

    def targets(self) -> list[Target]:
        """Every target of every page, in ballot order."""
        return [t for page in self.pages for t in page.targets]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "election_id": self.election_id,
            "round": self.round,
            "form": self.form,
            "seats": self.seats,
            "items": [{"id": i.id, "label": i.label, "number": i.number} for i in self.items],
            "pages": [
                {
                    "number": p.number,
                    "width": p.width,
                    "height": p.height,
                    "targets": [
                        {"id": t.id, "item": t.item, "choice": t.choice, "box": list(t.box)}
                        for t in p.targets
                    ],
                    "qr": list(p.qr),
                    "marks": [
                        {"id": m.id, "box": list(m.box), "aruco_id": m.aruco_id} for m in p.marks
                    ],
                    "seal_box": list(p.seal_box) if p.seal_box else None,
                    "voter_area": list(p.voter_area),
                }
                for p in self.pages
            ],
        }

    def to_json(self) -> str:
        """The published layout file: stable key order, indent 2."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BallotLayout:
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unsupported layout schema {data.get('schema')!r}")
        if data["form"] not in FORMS:
            raise ValueError(f"unknown ballot form {data['form']!r}")

        def box(value: Any) -> Box:
            x0, y0, x1, y1 = (float(v) for v in value)
            return (x0, y0, x1, y1)

        return cls(
            schema=int(data["schema"]),
            election_id=int(data["election_id"]),
            round=int(data["round"]),
            form=data["form"],
            seats=int(data["seats"]),
            items=tuple(Item(i["id"], i["label"], int(i["number"])) for i in data["items"]),
            pages=tuple(
                PageLayout(
                    number=int(p["number"]),
                    width=float(p["width"]),
                    height=float(p["height"]),
                    targets=tuple(
                        Target(t["id"], t["item"], t["choice"], box(t["box"])) for t in p["targets"]
                    ),
                    qr=box(p["qr"]),
                    marks=tuple(
                        RegistrationMark(m["id"], box(m["box"]), m["aruco_id"]) for m in p["marks"]
                    ),
                    seal_box=box(p["seal_box"]) if p.get("seal_box") else None,
                    voter_area=box(p["voter_area"]),
                )
                for p in data["pages"]
            ),
        )

    @classmethod
    def from_json(cls, text: str) -> BallotLayout:
        return cls.from_dict(json.loads(text))
