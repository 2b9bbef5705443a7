"""What the reader recorded for one ballot, typed: validated on the way in, given back unchanged."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ballots.reading.settings import ReadingSettings
from ballots.reasons import STATUSES, Status
from congress.errors import CongressError

__all__ = ["RecordedReading", "RecordedTarget"]

# Keys every recorded reading has, whatever the reader version that wrote it.
_KEYS = {"file", "image_sha256", "serial", "status", "reasons", "pages", "targets"}
MAX_SERIAL = 32


def _not_a_reading() -> CongressError:
    return CongressError(
        "bad_reading", "The reading is not a ballot reading (JSON of the reader)", status=422
    )


@dataclass(frozen=True)
class RecordedTarget:
    target: str  # layout target id, e.g. "c003.strike"
    item: str | None
    page: int | None
    state: str  # marked | unmarked | ambiguous
    score: float | None
    note: str | None  # why the reader doubted it (reasons.NOTE_NAMES), or None


@dataclass(frozen=True)
class RecordedReading:
    """A ballot's machine reading as stored with the count and written into the audit bundle.

    Build it with `from_dict`. `to_dict` gives back exactly the JSON recorded (the bundle
    hashes it), so readings of every reader version, with keys this version does not know or
    lacking ones it added since, go through unchanged.
    """

    file: str
    image_sha256: str
    serial: str | None
    election_id: int | None
    round: int | None
    status: Status
    reasons: tuple[str, ...]
    targets: tuple[RecordedTarget, ...]
    pages: tuple[Mapping[str, Any], ...]
    flagged_ink: tuple[Mapping[str, Any], ...]
    settings: Mapping[str, Any]  # ReadingSettings.to_dict() of its time (older ones are shorter)
    reader_version: int  # 1 for readings recorded before the reader named its version
    recorded: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Any, image_sha256: str | None = None) -> RecordedReading:
        """The reading in `data` (the reader's JSON), refused unless it is one; with
        `image_sha256`, refused unless it is the reading of that image."""
        if not isinstance(data, dict) or not set(data) >= _KEYS:
            raise _not_a_reading()
        if image_sha256 is not None and data["image_sha256"] != image_sha256:
            raise CongressError(
                "reading_mismatch",
                "The reading is of another image (its SHA-256 differs from the upload's)",
                status=422,
            )
        serial, reasons, targets = data["serial"], data["reasons"], data["targets"]
        if (
            data["status"] not in STATUSES
            or not isinstance(reasons, list)
            or not all(isinstance(r, str) for r in reasons)
            or not (serial is None or (isinstance(serial, str) and len(serial) <= MAX_SERIAL))
            or not isinstance(targets, list)
            or not all(_is_target(t) for t in targets)
            or not _list_of_dicts(data["pages"])
            or not _list_of_dicts(data.get("flagged_ink") or [])
            or not all(_int_or_none(data.get(key)) for key in ("election_id", "round"))
            or not _settings(data.get("settings") or {})
        ):
            raise _not_a_reading()
        version = data.get("reader_version", 1)
        return cls(
            file=str(data["file"]),
            image_sha256=str(data["image_sha256"]),
            serial=serial,
            election_id=data.get("election_id"),
            round=data.get("round"),
            status=data["status"],
            reasons=tuple(reasons),
            targets=tuple(
                RecordedTarget(
                    target=t["target"],
                    item=t.get("item"),
                    page=t.get("page"),
                    state=t["state"],
                    score=t.get("score"),
                    note=t.get("note"),
                )
                for t in targets
            ),
            pages=tuple(data["pages"]),
            flagged_ink=tuple(data.get("flagged_ink") or ()),
            settings=data.get("settings") or {},
            reader_version=version if isinstance(version, int) else 0,
            recorded=data,
        )

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.recorded))

    @property
    def states(self) -> dict[str, str]:
        """Target id -> the state the reader gave it."""
        return {t.target: t.state for t in self.targets}


def _is_target(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("target"), str)
        and isinstance(value.get("state"), str)
        and all(isinstance(value.get(key), str | None) for key in ("item", "note"))
        and _int_or_none(value.get("page"))
        and (value.get("score") is None or _number(value.get("score")))
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _list_of_dicts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _settings(value: Any) -> bool:
    """The reader's settings of its time: each value of the kind its field holds (the pages
    that explain a reading format them as numbers)."""
    if not isinstance(value, dict):
        return False
    try:
        settings = ReadingSettings.from_dict(value)
    except TypeError:
        return False
    defaults = ReadingSettings()
    for name in value:
        if not hasattr(defaults, name):
            continue
        given, default = getattr(settings, name), getattr(defaults, name)
        if _number(default) and not _number(given):
            return False
        if not _number(default) and not isinstance(given, type(default)):
            return False
    return True
