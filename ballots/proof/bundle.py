"""Write the audit bundle of a count: every file hashed, a Merkle root, an Ed25519 signature.

A bundle holds every ballot image, the ballot spec and layout, the reading settings, one record
per ballot (machine reading, the committee's decisions, final outcome), the rules and figures,
and the tally. docs/audit-bundle.md describes the format; ballots.proof.verify checks it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ballots.audit.entry import ENTRIES_DIR, is_hand_entered
from ballots.paper.layout import BallotLayout
from ballots.proof.format import (
    EXCLUDED,
    FORMAT,
    MANIFEST,
    SIGNATURE,
    VERSION,
    bundle_outcome,
    canonical_json,
    committee_rule,
    decision_record,
    encode_b64,
    merkle_root,
    public_bytes,
    sha256_hex,
)
from ballots.reading.recorded import RecordedReading
from congress.errors import CongressError
from congress.filetypes import extension
from congress.keys import b64decode_any

__all__ = [
    "BundleBallot",
    "BundleInput",
    "bundle_files",
    "seal",
    "write_bundle",
    "write_files",
]


_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BundleBallot:
    image: bytes  # the scanned file, original bytes
    file_name: str  # as received; NOT written (it may tell the scanning order)
    reading: dict[str, Any]  # the reader's to_dict() of this image
    decisions: list[dict[str, Any]]  # every decision row in recorded order
    duplicate_of_serial: bool = False  # a second copy of a serial: excluded from the tally


@dataclass(frozen=True)
class BundleInput:
    congress: dict[str, Any]  # {"name", "slug", "public_key" (base64 of the raw 32 bytes)}
    election: dict[str, Any]  # {"id", "title", "form", "seats", "threshold_base", ...}
    spec: dict[str, Any]  # design.BallotSpec fields
    layout: dict[str, Any]  # BallotLayout.to_dict()
    settings: dict[str, Any]  # ReadingSettings.to_dict()
    candidates: list[dict[str, Any]]  # {"item", "name", "birth_date" (ISO or None)}
    figures: dict[str, Any]  # {"summoned", "present", "issued", "collected"}
    # {"members", "opened_at", "closed_at", "explanation", "two_person_rule",
    #  "committee_decides_invalid" (only when true)}
    count: dict[str, Any]
    ballots: list[BundleBallot]
    tally: dict[str, Any]  # TallyResult.to_dict() as recorded by the server
    # The hand audit of the sealed count (ballots.audit.record.AuditInput), signed as its own
    # part beside the manifest: the count's files and root are the same with it or without.
    audit: Any = None


def _scrub(reading: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The reading with the received file name replaced by the bundle's (a hash)."""
    out = json.loads(json.dumps(reading))
    out["file"] = name
    for page in out.get("pages") or []:
        page["file"] = name
    return out


def bundle_files(data: BundleInput) -> dict[str, bytes]:
    """Every file of the bundle but the manifest and signature, by path."""
    layout = BallotLayout.from_dict(data.layout)
    two_person = bool(data.count.get("two_person_rule"))
    committee = committee_rule(data.count)
    files: dict[str, bytes] = {
        "election.json": canonical_json(
            {
                "congress": {k: data.congress.get(k) for k in ("name", "slug", "public_key")},
                "election": data.election,
                "candidates": data.candidates,
                "figures": data.figures,
                "count": data.count,
            }
        ),
        "spec.json": canonical_json(data.spec),
        "layout.json": canonical_json(data.layout),
        "settings.json": canonical_json(data.settings),
        "tally.json": canonical_json(data.tally),
    }
    for ballot in data.ballots:
        digest = sha256_hex(ballot.image)
        if ballot.reading.get("image_sha256") != digest:
            raise CongressError(
                "bundle_reading_mismatch",
                "The reading of ballot %(ballot)s is not the reading of its image",
                ballot=digest[:12],
            )
        if is_hand_entered(ballot.reading):
            image = f"{ENTRIES_DIR}{digest}.json"  # typed by members: no scan, its entries
        else:
            image = f"images/{digest}.{extension(ballot.image)}"
        if image in files:
            raise CongressError(
                "bundle_duplicate_image",
                "The same image is in the count twice: %(ballot)s",
                ballot=digest[:12],
            )
        reading = (
            json.loads(json.dumps(ballot.reading))
            if is_hand_entered(ballot.reading)
            else _scrub(ballot.reading, image.split("/", 1)[1])
        )
        decisions = [decision_record(row) for row in ballot.decisions]
        final: dict[str, Any]
        if ballot.duplicate_of_serial:
            final = dict(EXCLUDED)
        else:
            recorded = RecordedReading.from_dict(reading)
            outcome = bundle_outcome(
                layout, data.election, recorded, decisions, two_person, committee
            )
            final = outcome.to_dict()
        files[image] = ballot.image
        files[f"ballots/{digest}.json"] = canonical_json(
            {
                "image": image,
                "image_sha256": digest,
                "reading": reading,
                "decisions": decisions,
                "duplicate_of_serial": ballot.duplicate_of_serial,
                "final": final,
            }
        )
    return files


def seal(
    files: Mapping[str, bytes], private_key: Ed25519PrivateKey, header: Mapping[str, Any]
) -> dict[str, bytes]:
    """`files` with their manifest (hashes and Merkle root) and its Ed25519 signature added."""
    digests = [(path, sha256_hex(body)) for path, body in sorted(files.items())]
    entries = [
        {"path": path, "sha256": digest, "size": len(files[path])} for path, digest in digests
    ]
    root = merkle_root(digests)
    public = encode_b64(public_bytes(private_key))
    manifest = canonical_json(
        {
            **header,
            "format": FORMAT,
            "version": VERSION,
            "hash": "sha256",
            "files": entries,
            "merkle_root": root,
            "public_key": public,
        }
    )
    signature = canonical_json(
        {
            "algorithm": "Ed25519",
            "public_key": public,
            "signed_file": MANIFEST,
            "signature": encode_b64(private_key.sign(manifest)),
        }
    )
    return {**files, MANIFEST: manifest, SIGNATURE: signature}


def write_bundle(data: BundleInput, private_key: Ed25519PrivateKey, out: Path) -> str:
    """Write the bundle to `out` (a .zip file, else a new directory); returns the Merkle root."""
    registered = data.congress.get("public_key")
    if registered and b64decode_any(str(registered)) != public_bytes(private_key):
        raise CongressError(
            "signing_key_mismatch",
            "The signing key does not match the key registered for this congress",
        )
    header = {
        "congress": data.congress.get("slug"),
        "election": data.election.get("id"),
        "round": data.election.get("round"),
        "ballots": len(data.ballots),
    }
    files = seal(bundle_files(data), private_key, header)
    if data.audit is not None:
        from ballots.audit.record import audit_part

        files.update(audit_part(files, data.audit, private_key))
    write_files(files, out)
    return str(json.loads(files[MANIFEST])["merkle_root"])


def write_files(files: Mapping[str, bytes], out: Path) -> None:
    """All files or none: written beside `out`, then renamed into place."""
    out = Path(out)
    if out.exists() and (out.is_file() or any(out.iterdir())):
        raise CongressError(
            "bundle_exists", "%(path)s already exists; nothing was written", path=str(out)
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".bundle-", dir=out.parent))
    try:
        if out.suffix.lower() == ".zip":
            target = tmp / "bundle.zip"
            with target.open("wb") as fh:
                _write_zip(files, fh)
            os.replace(target, out)
        else:
            target = tmp / "bundle"
            for path, body in files.items():
                file = target / path
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_bytes(body)
            if out.exists():
                out.rmdir()
            os.replace(target, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_zip(files: Mapping[str, bytes], fh: Any) -> None:
    """A deterministic ZIP: sorted entries, fixed dates; images stored as they are."""
    with zipfile.ZipFile(fh, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, _ZIP_TIME)
            info.compress_type = (
                zipfile.ZIP_DEFLATED if path.endswith(".json") else zipfile.ZIP_STORED
            )
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[path])
