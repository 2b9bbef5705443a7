"""The audit's part of the audit bundle: written and signed beside the count's manifest, checked
by `congress ballots verify` from the bundle alone.

`audit/audit.json` holds the seed, the settings, every hand reading in recorded order and the
report (margins, sample, discrepancies, conclusion); `audit/signature.json` is an Ed25519
signature of its exact bytes with the congress key. The audit names the count's Merkle root, so
it belongs to that bundle and no other; the count's manifest and root are left as they were
(the root printed on the minutes stays true).
"""

from __future__ import annotations

import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ballots.audit.comparison import CONCLUSION_NAMES, AuditBallot, AuditCount, run_audit
from ballots.audit.hand import HandReading
from ballots.audit.risk import AuditSettings
from ballots.paper.layout import BallotLayout
from ballots.proof.format import MANIFEST, canonical_json, encode_b64, public_bytes
from ballots.tally import CandidateInfo
from congress.errors import CongressError
from congress.i18n import N_
from congress.keys import b64decode_any

__all__ = [
    "AUDIT_FILE",
    "AUDIT_FORMAT",
    "AUDIT_PART",
    "AUDIT_SIGNATURE",
    "AuditInput",
    "audit_part",
    "audit_count_from_files",
    "audit_files",
    "audit_record",
    "check_audit_part",
]

AUDIT_FORMAT = "congress-hand-audit"
AUDIT_PART = "audit/"
AUDIT_FILE = "audit/audit.json"
AUDIT_SIGNATURE = "audit/signature.json"


@dataclass(frozen=True)
class AuditInput:
    """The audit a bundle carries: the public seed, the settings, every hand reading in order."""

    seed: str
    settings: AuditSettings
    readings: list[HandReading]


def audit_part(
    files: Mapping[str, bytes], audit: AuditInput, key: Ed25519PrivateKey
) -> dict[str, bytes]:
    """The signed audit part of a sealed bundle's `files`: the report is computed from the very
    files of the bundle, as `verify` will compute it."""
    manifest = json.loads(files[MANIFEST])
    report = run_audit(audit_count_from_files(files), audit.seed, audit.settings, audit.readings)
    election = {"id": manifest.get("election"), "round": manifest.get("round")}
    record = audit_record(
        str(manifest["merkle_root"]), election, audit.seed, audit.settings, audit.readings, report
    )
    return audit_files(record, key)


class Findings(Protocol):
    def check(self, code: str, message: str, **params: Any) -> None: ...

    def differ(self, code: str, message: str, **params: Any) -> None: ...


def audit_record(
    root: str,
    election: Mapping[str, Any],
    seed: str,
    settings: AuditSettings,
    readings: list[HandReading],
    report: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "format": AUDIT_FORMAT,
        "version": 1,
        "bundle_root": root,
        "election": election.get("id"),
        "round": election.get("round"),
        "seed": seed,
        "settings": settings.to_dict(),
        "readings": [r.to_dict() for r in readings],
        "report": dict(report),
    }


def audit_files(record: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, bytes]:
    """The audit part: the record and its signature."""
    body = canonical_json(record)
    public = encode_b64(public_bytes(key))
    signature = canonical_json(
        {
            "algorithm": "Ed25519",
            "public_key": public,
            "signed_file": AUDIT_FILE,
            "signature": encode_b64(key.sign(body)),
        }
    )
    return {AUDIT_FILE: body, AUDIT_SIGNATURE: signature}


def audit_count_from_files(files: Mapping[str, bytes]) -> AuditCount:
    """The closed count as the bundle records it: layout, rules, tally, every counted ballot's
    final outcome (copies of a serial set aside are not counted, so not sampled)."""
    meta = json.loads(files["election.json"])
    election = meta["election"]
    ballots = []
    for name in sorted(p for p in files if p.startswith("ballots/") and p.endswith(".json")):
        record = json.loads(files[name])
        final = record.get("final") or {}
        if record.get("duplicate_of_serial") or final.get("status") == "excluded":
            continue
        reading = record.get("reading") or {}
        ballots.append(AuditBallot(str(record.get("image_sha256")), reading.get("serial"), final))
    return AuditCount(
        layout=BallotLayout.from_dict(json.loads(files["layout.json"])),
        seats=int(election["seats"]),
        nobody_elected_invalid=bool(election.get("nobody_elected_invalid", True)),
        result=json.loads(files["tally.json"]),
        candidates=[
            CandidateInfo(
                str(c["item"]),
                str(c["name"]),
                dt.date.fromisoformat(c["birth_date"]) if c.get("birth_date") else None,
            )
            for c in meta["candidates"]
        ],
        ballots=ballots,
    )


def check_audit_part(
    files: Mapping[str, bytes], manifest: Mapping[str, Any], report: Findings
) -> None:
    """Check the audit part, when the bundle has one: its signature by the bundle's key, the
    root it names, the sample re-drawn from the seed, the readings against the recorded
    outcomes, the conclusion recomputed."""
    for path in sorted(p for p in files if p.startswith(AUDIT_PART)):
        if path not in (AUDIT_FILE, AUDIT_SIGNATURE):
            report.differ("file_unlisted", N_("%(file)s is not in the manifest"), file=path)
    if AUDIT_FILE not in files:
        if AUDIT_SIGNATURE in files:
            report.differ("file_missing", N_("%(file)s is missing"), file=AUDIT_FILE)
        return
    try:
        record = json.loads(files[AUDIT_FILE])
        signature = json.loads(files[AUDIT_SIGNATURE]) if AUDIT_SIGNATURE in files else {}
    except ValueError:
        report.differ("audit_unreadable", N_("The hand audit's record is not valid JSON"))
        return
    try:
        raw = b64decode_any(str(signature.get("public_key", "")))
        Ed25519PublicKey.from_public_bytes(raw).verify(
            b64decode_any(str(signature.get("signature", ""))), files[AUDIT_FILE]
        )
        if raw != b64decode_any(str(manifest.get("public_key", ""))):
            raise InvalidSignature
    except (InvalidSignature, ValueError, binascii.Error):
        report.differ(
            "audit_signature",
            N_("Hand audit: its signature does not verify with the bundle's key"),
        )
    if record.get("format") != AUDIT_FORMAT or record.get("bundle_root") != manifest.get(
        "merkle_root"
    ):
        report.differ("audit_other_bundle", N_("Hand audit: it is the audit of another bundle"))
        return
    try:
        count = audit_count_from_files(files)
        readings = [HandReading.from_dict(count.layout, r) for r in record.get("readings") or []]
        settings = AuditSettings(
            str(record["settings"]["risk_limit"]), str(record["settings"]["gamma"])
        )
        fresh = run_audit(count, str(record.get("seed")), settings, readings)
    except (CongressError, KeyError, TypeError, ValueError) as exc:
        detail = exc.message % exc.params if isinstance(exc, CongressError) else repr(exc)
        report.differ(
            "audit_unusable", N_("Hand audit: it cannot be recomputed: %(reason)s"), reason=detail
        )
        return
    for reading in readings:
        other = [r for r in readings if r.ballot == reading.ballot and r.slot != reading.slot]
        if any(r.member == reading.member for r in other):
            report.differ(
                "audit_same_member",
                N_("Hand audit: ballot %(ballot)s was read on both screens by %(member)s"),
                ballot=reading.ballot[:12],
                member=reading.member,
            )
            break
    from ballots.proof.verify import diff

    changes = diff(record.get("report"), fresh)
    for where, old, new in changes[:20]:
        report.differ(
            "audit_differs",
            N_("Hand audit %(field)s: recorded %(recorded)s, recomputed %(computed)s"),
            field=where,
            recorded=_short(old),
            computed=_short(new),
        )
    if not changes:
        report.check(
            "audit_ok",
            N_(
                "Hand audit: the sample of %(size)s ballots re-drawn from seed %(seed)s and "
                "the hand readings compared again give the recorded conclusion"
            ),
            size=fresh["sample_size"],
            seed=fresh["seed"],
        )
        report.check("audit_conclusion", CONCLUSION_NAMES[fresh["conclusion"]])


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."
