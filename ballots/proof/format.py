"""The audit bundle's format, for writing and verifying: names, canonical JSON, hashes, keys.

A bundle is read lazily from a directory or a .zip (BundleFiles). docs/audit-bundle.md
describes the format.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ballots.paper.layout import BallotLayout
from ballots.reading.recorded import RecordedReading
from ballots.tally import BallotOutcome, ballot_outcome
from congress.errors import CongressError

FORMAT = "congress-audit-bundle"


VERSION = 1


MANIFEST = "manifest.json"


SIGNATURE = "signature.json"


# Decision rows keep what the rules need and who decided; no time, no ids: the order of
# decisions must not tell when a ballot was scanned. "member" (the committee member named on
# the decision) is written only when the row names one, so older counts keep their bytes.
DECISION_KEYS = ("kind", "status", "reason", "marks", "note", "actor")
OPTIONAL_DECISION_KEYS = ("member",)


# The final outcome recorded for a second copy of a serial: set aside, not counted.
EXCLUDED: dict[str, Any] = {"status": "excluded", "reasons": ["serial_seen"], "choices": {}}


def canonical_json(data: Any) -> bytes:
    """The one JSON encoding of the bundle: sorted keys, compact, UTF-8."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def merkle_root(entries: Sequence[tuple[str, str]]) -> str:
    """Root over (path, sha256 hex) pairs sorted by path.

    leaf = SHA-256(0x00 || path UTF-8 || 0x00 || file digest), node = SHA-256(0x01 || left ||
    right); an odd node at the end of a level goes up unchanged. No entries: SHA-256 of nothing.
    """
    level = [
        hashlib.sha256(b"\x00" + path.encode() + b"\x00" + bytes.fromhex(digest)).digest()
        for path, digest in sorted(entries)
    ]
    if not level:
        return sha256_hex(b"")
    while len(level) > 1:
        nxt = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0].hex()


def bundle_outcome(
    layout: BallotLayout,
    election: Mapping[str, Any],
    reading: RecordedReading,
    decisions: Sequence[Mapping[str, Any]],
    two_person_rule: bool,
    committee_decides_invalid: bool = False,
) -> BallotOutcome:
    return ballot_outcome(
        layout,
        reading,
        decisions,
        two_person_rule,
        int(election["seats"]),
        bool(election.get("nobody_elected_invalid", True)),
        committee_decides_invalid,
    )


def committee_rule(count: Mapping[str, Any]) -> bool:
    """The count's `committee_decides_invalid` (absent: off, as in bundles made before it);
    anything but true or false is refused, never guessed."""
    value = count.get("committee_decides_invalid", False)
    if not isinstance(value, bool):
        raise CongressError(
            "bad_committee_rule",
            "election.json: count.committee_decides_invalid is not true or false: %(value)s",
            value=value,
        )
    return value


def decision_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A decision row as the bundle keeps it."""
    out = {k: row.get(k) for k in DECISION_KEYS}
    for key in OPTIONAL_DECISION_KEYS:
        if row.get(key):
            out[key] = row[key]
    return out


def encode_b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    from congress.keys import public_key_bytes

    return public_key_bytes(key)


class BundleFiles(Mapping[str, bytes]):
    """The files of a bundle directory or .zip by path, read from disk only when asked for.

    A national count holds gigabytes of images: verification never holds them all in memory.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise CongressError(
                "bundle_missing", "There is no bundle at %(path)s", path=str(self.path)
            )
        self._archive: zipfile.ZipFile | None = None
        if self.path.is_dir():
            self._names = sorted(
                f.relative_to(self.path).as_posix() for f in self.path.rglob("*") if f.is_file()
            )
            self._known = set(self._names)
            return
        try:
            self._archive = zipfile.ZipFile(self.path)
            names = [i.filename for i in self._archive.infolist() if not i.is_dir()]
        except (zipfile.BadZipFile, OSError) as exc:
            raise CongressError(
                "bundle_unreadable",
                "%(path)s is not an audit bundle: %(reason)s",
                path=str(self.path),
                reason=str(exc),
            ) from exc
        for name in names:
            if name.startswith("/") or ".." in name.split("/"):
                raise CongressError(
                    "bundle_bad_path", "The bundle holds an unsafe path: %(name)s", name=name
                )
        self._names = sorted(names)
        self._known = set(self._names)

    def __getitem__(self, name: str) -> bytes:
        if name not in self._known:
            raise KeyError(name)
        if self._archive is not None:
            return self._archive.read(name)
        return (self.path / name).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._known


def read_bundle(path: Path) -> BundleFiles:
    """Every file of a bundle directory or .zip, by its path inside the bundle (read lazily)."""
    return BundleFiles(path)
