"""Check-in at the door: one scan in, one verdict out, every scan recorded, nobody admitted twice.

The rules of a badge live in badges.service.check_badge; this module adds the sitting (is it
open?), the admission (a unique row per sitting and delegate, so concurrent gates cannot admit
one delegate twice) and the scan log (a gate-made scan id, so a retry never counts twice).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from badges.service import check_badge
from badges.token import VerdictCode
from congress import audit
from congress.db import insert_ignore
from congress.errors import CongressError
from congress.i18n import iso_local, utc_from_local
from congress.models import Congress, Delegate, Sitting, utcnow
from scanner.models import Admission, CheckinWindow, Scan
from scanner.verdicts import ResultCode, refusal_of

METHODS = ("camera", "wedge", "manual")
MAX_TEXT = 400  # a badge token is 121 characters; a soft-badge link a little more


@dataclass(frozen=True)
class ScanInput:
    scan_id: str
    sitting: int  # the sitting's number in the congress
    gate: str
    method: str
    text: str = ""  # what the camera or wedge read
    delegate_code: str = ""  # manual check-in of a delegate without a badge
    scanned_at: dt.datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> ScanInput:
        """Validate a gate's JSON; anything wrong is a clear refusal, never a crash."""
        if not isinstance(data, dict):
            raise CongressError("bad_scan", "A scan must be a JSON object")
        scan_id = data.get("scan_id")
        if (
            not isinstance(scan_id, str)
            or not 8 <= len(scan_id) <= 64
            or not all(c.isalnum() or c in "-_" for c in scan_id)
        ):
            raise CongressError(
                "bad_scan_id", "The scan id must be 8-64 letters, digits, dashes or underscores"
            )
        method = data.get("method")
        if method not in METHODS:
            raise CongressError("bad_method", "The scan method must be camera, wedge or manual")
        sitting = data.get("sitting")
        if not isinstance(sitting, int) or isinstance(sitting, bool) or not 0 < sitting < 1000:
            raise CongressError("bad_sitting", "Choose the sitting by its number")
        gate = data.get("gate")
        if not isinstance(gate, str) or not gate.strip() or len(gate) > 60:
            raise CongressError("bad_gate", "Name the gate (up to 60 characters)")
        text = data.get("text", "")
        code = data.get("delegate_code", "")
        if not isinstance(text, str) or not isinstance(code, str):
            raise CongressError("bad_scan", "A scan must be a JSON object")
        if len(text) > MAX_TEXT or len(code) > 32:
            raise CongressError("scan_too_long", "What was scanned is too long to be a badge")
        if method == "manual" and not code.strip():
            raise CongressError("bad_manual", "A manual check-in names the delegate's code")
        if method != "manual" and not text.strip():
            raise CongressError("empty_scan", "Nothing was scanned")
        scanned_at = None
        if data.get("scanned_at") is not None:
            try:
                scanned_at = dt.datetime.fromisoformat(
                    str(data["scanned_at"]).replace("Z", "+00:00")
                )
                # A gate sends its clock as ISO 8601 with an offset; one without is taken as
                # UTC. A time at the calendar's edge (years 1 and 9999) is refused, not a 500.
                scanned_at = utc_from_local(scanned_at, "UTC")
            except ValueError as exc:
                raise CongressError("bad_time", "The scan time is not a date and time") from exc
        return cls(scan_id, sitting, gate.strip(), method, text.strip(), code.strip(), scanned_at)

    def fingerprint(self) -> str:
        content = json.dumps(
            [self.sitting, self.gate, self.method, self.text, self.delegate_code],
            ensure_ascii=False,
        )
        return hashlib.sha256(content.encode()).hexdigest()


@dataclass(frozen=True)
class CheckinAnswer:
    """The door's answer to one scan, as stored with the scan and sent to the gate."""

    scan_id: str
    sitting: int  # the sitting's number in the congress
    result: ResultCode
    delegate: dict[str, Any] | None = None  # who the badge or code names, when one of ours
    # ISO 8601 with the offset of the congress's zone (answers stored by older versions: naive
    # UTC), as the JSON API carries them.
    replaced_at: str | None = None
    admitted_at: str | None = None
    admitted_gate: str | None = None
    replayed: bool = False  # the same scan id again: the first answer, given back

    def to_dict(self) -> dict[str, Any]:
        """The JSON of the check-in API; optional keys appear only when they have a value."""
        data: dict[str, Any] = {
            "scan_id": self.scan_id,
            "sitting": self.sitting,
            "result": self.result,
            "delegate": self.delegate,
        }
        for key in ("replaced_at", "admitted_at", "admitted_gate"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.replayed:
            data["replayed"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckinAnswer:
        """An answer stored by `to_dict` (also by earlier versions: the same keys)."""
        return cls(
            scan_id=data["scan_id"],
            sitting=data["sitting"],
            result=cast(ResultCode, data["result"]),
            delegate=data.get("delegate"),
            replaced_at=data.get("replaced_at"),
            admitted_at=data.get("admitted_at"),
            admitted_gate=data.get("admitted_gate"),
            replayed=bool(data.get("replayed", False)),
        )


def open_sittings(session: Session, congress: Congress) -> list[Sitting]:
    return list(
        session.scalars(
            select(Sitting)
            .join(CheckinWindow, CheckinWindow.sitting_id == Sitting.id)
            .where(
                Sitting.congress_id == congress.id,
                CheckinWindow.opened_at.is_not(None),
                CheckinWindow.closed_at.is_(None),
            )
            .order_by(Sitting.number)
        )
    )


def get_sitting(session: Session, congress: Congress, number: int) -> Sitting:
    sitting = session.scalar(
        select(Sitting).where(Sitting.congress_id == congress.id, Sitting.number == number)
    )
    if sitting is None:
        raise CongressError(
            "unknown_sitting",
            "This congress has no sitting number %(number)s",
            number=number,
            status=404,
        )
    return sitting


def set_doors(session: Session, sitting: Sitting, open_: bool, actor: str) -> None:
    """Open or close a sitting's check-in (reopening keeps every admission made)."""
    window = session.get(CheckinWindow, sitting.id)
    if window is None:
        window = CheckinWindow(sitting_id=sitting.id)
        session.add(window)
    now = utcnow()
    if open_:
        window.opened_at = window.opened_at or now
        window.closed_at = None
    else:
        window.closed_at = now
    window.changed_by = actor
    audit.record(
        session,
        actor,
        "checkin.opened" if open_ else "checkin.closed",
        congress_id=sitting.congress_id,
        subject=f"sitting {sitting.number}",
    )


def is_open(session: Session, sitting: Sitting) -> bool:
    window = session.get(CheckinWindow, sitting.id)
    return bool(window and window.opened_at and window.closed_at is None)


def _delegate_json(delegate: Delegate) -> dict[str, Any]:
    return {
        "id": delegate.id,
        "code": delegate.code,
        "full_name": delegate.full_name,
        "delegation": delegate.delegation.name,
        "kind": delegate.kind,
        "has_photo": bool(delegate.photo_sha256),
    }


def record_scan(
    session: Session, congress: Congress, scan: ScanInput, operator: str
) -> CheckinAnswer:
    """The gate's answer to one scan; the same scan id again gets the first answer back."""
    fingerprint = scan.fingerprint()
    earlier = session.scalar(select(Scan).where(Scan.scan_id == scan.scan_id))
    if earlier is not None:
        return _replay(earlier, fingerprint)
    sitting, answer = _decide(session, congress, scan)
    stored = session.execute(
        insert_ignore(session, Scan)
        .values(
            scan_id=scan.scan_id,
            congress_id=congress.id,
            sitting_id=sitting.id,
            gate=scan.gate,
            operator=operator[:120],
            method=scan.method,
            result=answer.result,
            delegate_id=(answer.delegate or {}).get("id"),
            raw=(scan.text or scan.delegate_code)[:200],
            fingerprint=fingerprint,
            scanned_at=scan.scanned_at,
            received_at=utcnow(),
            answer=json.dumps(answer.to_dict(), ensure_ascii=False, default=str),
        )
        .returning(Scan.id)
    ).scalar()
    if stored is None:
        # Another request with the same scan id won the race: answer as it was answered. (An
        # admission made above is that same delegate's, so the unique constraint kept it single.)
        earlier = session.scalar(select(Scan).where(Scan.scan_id == scan.scan_id))
        assert earlier is not None
        return _replay(earlier, fingerprint)
    return answer


def _replay(earlier: Scan, fingerprint: str) -> CheckinAnswer:
    if earlier.fingerprint != fingerprint:
        raise CongressError(
            "scan_id_reused",
            "This scan id was already used for a different scan; the gate must make a new one",
            status=409,
        )
    return replace(CheckinAnswer.from_dict(json.loads(earlier.answer)), replayed=True)


def _decide(session: Session, congress: Congress, scan: ScanInput) -> tuple[Sitting, CheckinAnswer]:
    sitting = get_sitting(session, congress, scan.sitting)
    delegate: Delegate | None
    replaced_at: str | None = None
    if scan.method == "manual":
        delegate = session.scalar(
            select(Delegate).where(
                Delegate.congress_id == congress.id, Delegate.code == scan.delegate_code
            )
        )
        badge: VerdictCode = "valid"
        if delegate is None:
            badge = "unknown"
        elif delegate.revoked_at is not None:
            badge = "revoked"
    else:
        checked = check_badge(session, congress, scan.text)
        delegate = checked.delegate
        badge = checked.verdict.code
        if checked.verdict.replaced_at is not None:
            replaced_at = iso_local(checked.verdict.replaced_at, congress.time_zone)
    person = _delegate_json(delegate) if delegate is not None else None

    def answer(result: ResultCode, at: str | None = None, gate: str | None = None) -> CheckinAnswer:
        return CheckinAnswer(scan.scan_id, sitting.number, result, person, replaced_at, at, gate)

    refused = refusal_of(badge)
    if refused is not None:
        return sitting, answer(refused)
    assert delegate is not None
    if not is_open(session, sitting):
        others_open = any(s.id != sitting.id for s in open_sittings(session, congress))
        return sitting, answer("sitting_closed" if others_open else "no_sitting_open")
    admitted_at = utcnow()
    # One statement that either admits or finds the delegate already admitted: the unique
    # (sitting, delegate) constraint decides, also between gates writing at the same moment.
    inserted = session.execute(
        insert_ignore(session, Admission)
        .values(
            congress_id=congress.id,
            sitting_id=sitting.id,
            delegate_id=delegate.id,
            scan_id=scan.scan_id,
            gate=scan.gate,
            method=scan.method,
            admitted_at=admitted_at,
        )
        .returning(Admission.id)
    ).scalar()
    if inserted is None:
        first = session.scalar(
            select(Admission).where(
                Admission.sitting_id == sitting.id, Admission.delegate_id == delegate.id
            )
        )
        assert first is not None
        at = iso_local(first.admitted_at, congress.time_zone)
        return sitting, answer("already_admitted", at, first.gate)
    return sitting, answer("admitted", iso_local(admitted_at, congress.time_zone), scan.gate)
