"""The audit bundle of a count: write it (hashed, Merkle root, signed) and verify it with no database.

A bundle holds every ballot image, the ballot spec and layout, the reading settings, one record
per ballot (machine reading, the committee's decisions, final outcome), the rules and figures,
and the tally. `verify_bundle` checks every hash and the signature, then recounts from scratch:
re-renders the blank ballots from the spec, re-reads every image, re-applies the decisions and
re-computes the tally. docs/audit-bundle.md describes the format.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ballots.paper.layout import BallotLayout
from ballots.tally import (
    BallotOutcome,
    CandidateInfo,
    CountFigures,
    TallyRules,
    ballot_outcome,
    fold_decisions,
    tally,
)
from congress.errors import CongressError
from congress.i18n import N_, Translator

__all__ = [
    "BundleBallot",
    "BundleInput",
    "Finding",
    "VerifyReport",
    "bundle_files",
    "canonical_json",
    "merkle_root",
    "read_bundle",
    "verify_bundle",
    "write_bundle",
]

FORMAT = "congress-audit-bundle"
VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
# Decision rows keep what the rules need and who decided; no time, no ids: the order of
# decisions must not tell when a ballot was scanned.
DECISION_KEYS = ("kind", "status", "reason", "marks", "note", "actor")
# Readings re-made on another machine may differ in the last digits of a score or a box.
FLOAT_TOLERANCE = 0.005
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# The final outcome recorded for a second copy of a serial: set aside, not counted.
EXCLUDED: dict[str, Any] = {"status": "excluded", "reasons": ["serial_seen"], "choices": {}}


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
    count: dict[str, Any]  # {"members", "opened_at", "closed_at", "explanation", "two_person_rule"}
    ballots: list[BundleBallot]
    tally: dict[str, Any]  # TallyResult.to_dict() as recorded by the server


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


def _image_extension(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tif"
    if data.startswith(b"%PDF"):
        return "pdf"
    return "bin"


def _scrub(reading: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The reading with the received file name replaced by the bundle's (a hash)."""
    out = json.loads(json.dumps(reading))
    out["file"] = name
    for page in out.get("pages") or []:
        page["file"] = name
    return out


def _rules(election: Mapping[str, Any]) -> TallyRules:
    return TallyRules(
        form=str(election["form"]),
        seats=int(election["seats"]),
        threshold_base=str(election["threshold_base"]),
        percentage_base=str(election["percentage_base"]),
        tie_rule=str(election["tie_rule"]),
    )


def _candidates(rows: Sequence[Mapping[str, Any]]) -> list[CandidateInfo]:
    import datetime as dt

    return [
        CandidateInfo(
            str(c["item"]),
            str(c["name"]),
            dt.date.fromisoformat(c["birth_date"]) if c.get("birth_date") else None,
        )
        for c in rows
    ]


def _figures(data: Mapping[str, Any]) -> CountFigures:
    return CountFigures(
        int(data["summoned"]), int(data["present"]), int(data["issued"]), int(data["collected"])
    )


def _outcome(
    layout: BallotLayout,
    election: Mapping[str, Any],
    reading: Mapping[str, Any],
    decisions: Sequence[Mapping[str, Any]],
    two_person_rule: bool,
) -> BallotOutcome:
    return ballot_outcome(
        layout,
        reading,
        decisions,
        two_person_rule,
        int(election["seats"]),
        bool(election.get("nobody_elected_invalid", True)),
    )


def bundle_files(data: BundleInput) -> dict[str, bytes]:
    """Every file of the bundle but the manifest and signature, by path."""
    layout = BallotLayout.from_dict(data.layout)
    two_person = bool(data.count.get("two_person_rule"))
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
        image = f"images/{digest}.{_image_extension(ballot.image)}"
        if image in files:
            raise CongressError(
                "bundle_duplicate_image",
                "The same image is in the count twice: %(ballot)s",
                ballot=digest[:12],
            )
        reading = _scrub(ballot.reading, image.split("/", 1)[1])
        decisions = [{k: row.get(k) for k in DECISION_KEYS} for row in ballot.decisions]
        final: dict[str, Any]
        if ballot.duplicate_of_serial:
            final = dict(EXCLUDED)
        else:
            final = _outcome(layout, data.election, reading, decisions, two_person).to_dict()
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


def _b64decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(
        text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4)
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    from congress.keys import public_key_bytes

    return public_key_bytes(key)


def seal(
    files: Mapping[str, bytes], private_key: Ed25519PrivateKey, header: Mapping[str, Any]
) -> dict[str, bytes]:
    """`files` with their manifest (hashes and Merkle root) and its Ed25519 signature added."""
    digests = [(path, sha256_hex(body)) for path, body in sorted(files.items())]
    entries = [
        {"path": path, "sha256": digest, "size": len(files[path])} for path, digest in digests
    ]
    root = merkle_root(digests)
    public = _b64(_public_bytes(private_key))
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
            "signature": _b64(private_key.sign(manifest)),
        }
    )
    return {**files, MANIFEST: manifest, SIGNATURE: signature}


def write_bundle(data: BundleInput, private_key: Ed25519PrivateKey, out: Path) -> str:
    """Write the bundle to `out` (a .zip file, else a new directory); returns the Merkle root."""
    registered = data.congress.get("public_key")
    if registered and _b64decode(str(registered)) != _public_bytes(private_key):
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


# ---------------------------------------------------------------- verification


@dataclass(frozen=True)
class Finding:
    """One line of a verification: a catalog message and its parameters."""

    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, tr: Translator) -> str:
        return tr.gettext(self.message, **self.params) if self.params else tr.gettext(self.message)


@dataclass
class VerifyReport:
    root: str | None = None
    checks: list[Finding] = field(default_factory=list)
    differences: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def check(self, code: str, message: str, **params: Any) -> None:
        self.checks.append(Finding(code, message, params))

    def differ(self, code: str, message: str, **params: Any) -> None:
        self.differences.append(Finding(code, message, params))


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."


def diff(
    recorded: Any, computed: Any, path: str = "", tolerance: float = 0.0
) -> list[tuple[str, Any, Any]]:
    """Every place where two JSON values differ: (path, recorded, computed)."""
    if isinstance(recorded, dict) and isinstance(computed, dict):
        out = []
        for key in sorted(set(recorded) | set(computed), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in recorded or key not in computed:
                out.append((sub, recorded.get(key), computed.get(key)))
            else:
                out += diff(recorded[key], computed[key], sub, tolerance)
        return out
    if isinstance(recorded, list) and isinstance(computed, list):
        if len(recorded) != len(computed):
            return [(path, recorded, computed)]
        out = []
        for i, (a, b) in enumerate(zip(recorded, computed, strict=True)):
            out += diff(a, b, f"{path}[{i}]", tolerance)
        return out
    numbers = (int, float)
    if (
        tolerance
        and isinstance(recorded, numbers)
        and isinstance(computed, numbers)
        and not isinstance(recorded, bool)
        and not isinstance(computed, bool)
        and (isinstance(recorded, float) or isinstance(computed, float))
    ):
        return [] if abs(recorded - computed) <= tolerance else [(path, recorded, computed)]
    if recorded != computed or type(recorded) is not type(computed):
        return [(path, recorded, computed)]
    return []


def _comparable(reading: Mapping[str, Any]) -> dict[str, Any]:
    """A reading without the duplicate-serial verdict (it depends on the order of scanning)."""
    from ballots.reading.reader import _STATUS_RANK, REASONS

    out = dict(reading)
    out.pop("reader_version", None)  # reported once for the bundle, not per ballot
    reasons = [r for r in reading.get("reasons") or [] if r != "serial_seen"]
    status = "valid"
    for reason in reasons:
        level = REASONS.get(reason, "invalid")
        if _STATUS_RANK[level] > _STATUS_RANK[status]:  # type: ignore[index]
            status = level
    out["reasons"] = reasons
    out["status"] = status
    return out


def _reader_version(record: Any) -> int:
    """The reader version a ballot record's reading names (1 when it names none); 0 when the
    record or its version is malformed (reported as a version of its own)."""
    reading = record.get("reading") if isinstance(record, Mapping) else None
    if not isinstance(reading, Mapping):
        return 0
    version = reading.get("reader_version", 1)
    return version if isinstance(version, int) and not isinstance(version, bool) else 0


def _known_keys(recorded: Any, fresh: Any) -> Any:
    """`fresh` without the mapping keys that `recorded` lacks, at every depth."""
    if isinstance(recorded, Mapping) and isinstance(fresh, Mapping):
        return {k: _known_keys(recorded[k], v) for k, v in fresh.items() if k in recorded}
    if isinstance(recorded, list) and isinstance(fresh, list) and len(recorded) == len(fresh):
        return [_known_keys(r, f) for r, f in zip(recorded, fresh, strict=True)]
    return fresh


def _load_json(files: Mapping[str, bytes], name: str, report: VerifyReport) -> Any:
    if name not in files:
        report.differ("file_missing", N_("%(file)s is missing"), file=name)
        return None
    try:
        return json.loads(files[name])
    except ValueError:
        report.differ("file_unreadable", N_("%(file)s is not valid JSON"), file=name)
        return None


def _check_manifest(
    files: Mapping[str, bytes], report: VerifyReport, public_key: Ed25519PublicKey | None
) -> dict[str, Any] | None:
    manifest = _load_json(files, MANIFEST, report)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        report.differ("not_a_bundle", N_("This is not an audit bundle (no valid manifest)"))
        return None
    report.root = str(manifest.get("merkle_root"))
    signature = _load_json(files, SIGNATURE, report)
    if isinstance(signature, dict):
        try:
            raw = _b64decode(str(signature.get("public_key", "")))
            key = Ed25519PublicKey.from_public_bytes(raw)
            key.verify(_b64decode(str(signature.get("signature", ""))), files[MANIFEST])
            if raw != _b64decode(str(manifest.get("public_key", ""))):
                raise InvalidSignature
            if public_key is not None and raw != _public_bytes(public_key):
                report.differ(
                    "signature_other_key",
                    N_("The bundle is signed with another key than the one given: %(key)s"),
                    key=_b64(raw),
                )
            else:
                report.check(
                    "signature_ok", N_("Signature: valid, Ed25519 key %(key)s"), key=_b64(raw)
                )
        except (InvalidSignature, ValueError, binascii.Error):
            report.differ(
                "signature_invalid", N_("Signature: the manifest's signature does not verify")
            )
    listed: dict[str, dict[str, Any]] = {}
    for entry in manifest.get("files") or []:
        listed[str(entry.get("path"))] = entry
    bad = 0
    for path, entry in sorted(listed.items()):
        body = files.get(path)
        if body is None:
            report.differ("file_missing", N_("%(file)s is missing"), file=path)
            bad += 1
        elif sha256_hex(body) != entry.get("sha256") or len(body) != entry.get("size"):
            report.differ(
                "hash_mismatch", N_("%(file)s: its SHA-256 differs from the manifest"), file=path
            )
            bad += 1
    for path in sorted(set(files) - set(listed) - {MANIFEST, SIGNATURE}):
        report.differ("file_unlisted", N_("%(file)s is not in the manifest"), file=path)
        bad += 1
    root = merkle_root([(p, str(e.get("sha256"))) for p, e in listed.items()])
    if root != manifest.get("merkle_root"):
        report.differ(
            "root_mismatch",
            N_("Merkle root: the manifest says %(recorded)s, its hashes give %(computed)s"),
            recorded=manifest.get("merkle_root"),
            computed=root,
        )
    elif not bad:
        report.check(
            "hashes_ok",
            N_("Hashes: %(count)s files match the manifest; Merkle root %(root)s"),
            count=len(listed),
            root=root,
        )
    return manifest


def verify_bundle(
    path: Path, public_key: Ed25519PublicKey | None = None, workers: int = 1
) -> VerifyReport:
    """Check every hash and the signature, then recount from the images; no database needed.

    `workers` > 1 re-reads the images in that many processes.
    """
    report = VerifyReport()
    files = read_bundle(path)
    manifest = _check_manifest(files, report, public_key)
    if manifest is None:
        return report
    meta = _load_json(files, "election.json", report)
    spec_data = _load_json(files, "spec.json", report)
    layout_data = _load_json(files, "layout.json", report)
    settings_data = _load_json(files, "settings.json", report)
    recorded_tally = _load_json(files, "tally.json", report)
    if None in (meta, spec_data, layout_data, settings_data, recorded_tally):
        return report
    try:
        _recount(
            files,
            report,
            meta,
            spec_data,
            layout_data,
            settings_data,
            recorded_tally,
            Path(path),
            workers,
        )
    except (CongressError, KeyError, TypeError, ValueError) as exc:
        detail = exc.message % exc.params if isinstance(exc, CongressError) else repr(exc)
        report.differ(
            "recount_failed", N_("The recount could not be made: %(reason)s"), reason=detail
        )
    return report


# The context a re-reading process works with, built once per process from plain data.
_CONTEXT: Any = None


def _make_context(args: tuple[Any, ...]) -> Any:
    from ballots.paper.design import BallotSpec
    from ballots.reading.reader import (
        ElectionRules,
        ReadingContext,
        ReadingSettings,
        reference_pages,
    )

    spec_data, layout_data, settings_data, raw_key, rules = args
    layout = BallotLayout.from_dict(layout_data)
    spec = BallotSpec(**{**spec_data, "items": tuple(spec_data["items"])})
    settings = ReadingSettings.from_dict(settings_data)
    return ReadingContext(
        layout,
        reference_pages(spec, layout, settings),
        Ed25519PublicKey.from_public_bytes(raw_key),
        ElectionRules(*rules),
        settings,
    )


_FILES: BundleFiles | None = None


def _init_worker(args: tuple[Any, ...], bundle: Path) -> None:
    global _CONTEXT, _FILES
    _CONTEXT = _make_context(args)
    _FILES = BundleFiles(bundle)


def _read_image(name: str) -> tuple[str, dict[str, Any] | None]:
    """(SHA-256 of the image, its fresh reading or None when it is not an image) in this process."""
    from ballots.reading.imageio import ImageFileError, load_bytes
    from ballots.reading.reader import read_ballot

    assert _FILES is not None
    body = _FILES[name]
    digest = sha256_hex(body)
    try:
        scanned = load_bytes(body, name.split("/", 1)[-1])
    except (ImageFileError, ValueError, OSError):
        return digest, None
    if not scanned.pages:
        return digest, None
    reading = read_ballot(list(scanned.pages), _CONTEXT, file=scanned.name, sha256=digest)
    return digest, reading.to_dict()


def _read_all(
    names: list[str], args: tuple[Any, ...], bundle: Path, workers: int
) -> list[tuple[str, dict[str, Any] | None]]:
    """Re-read every image, in a pool of processes when there are several workers."""
    if workers <= 1 or len(names) < 2:
        _init_worker(args, bundle)
        return [_read_image(name) for name in names]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(
        max_workers=min(workers, len(names)), initializer=_init_worker, initargs=(args, bundle)
    ) as pool:
        return list(pool.map(_read_image, names, chunksize=4))


def _compare_final(report: VerifyReport, short: str, recorded: Any, computed: Any) -> None:
    for where, old, new in diff(recorded, computed):
        report.differ(
            "outcome_differs",
            N_(
                "Ballot %(ballot)s: final %(field)s: recorded %(recorded)s, recomputed %(computed)s"
            ),
            ballot=short,
            field=where,
            recorded=_short(old),
            computed=_short(new),
        )


def _recount(
    files: Mapping[str, bytes],
    report: VerifyReport,
    meta: dict[str, Any],
    spec_data: dict[str, Any],
    layout_data: dict[str, Any],
    settings_data: dict[str, Any],
    recorded_tally: dict[str, Any],
    bundle: Path,
    workers: int,
) -> None:
    from ballots.paper.design import BallotSpec, build_layout

    election = meta["election"]
    layout = BallotLayout.from_dict(layout_data)
    spec = BallotSpec(**{**spec_data, "items": tuple(spec_data["items"])})
    if build_layout(spec).to_dict() != layout_data:
        report.differ("layout_mismatch", N_("The layout is not the layout of the ballot spec"))
    if (layout.election_id, layout.round) != (election["id"], election["round"]):
        report.differ("layout_other_election", N_("The layout is of another election or round"))
    signature = json.loads(files[SIGNATURE]) if SIGNATURE in files else {}
    raw_key = _b64decode(str(signature.get("public_key") or meta["congress"]["public_key"]))
    rules = (
        int(election["seats"]),
        bool(election.get("nobody_elected_invalid", True)),
        bool(election.get("seal_required", True)),
    )
    Ed25519PublicKey.from_public_bytes(raw_key)  # a bad key stops here, before any process
    two_person = bool(meta["count"].get("two_person_rule"))
    records = sorted(p for p in files if p.startswith("ballots/") and p.endswith(".json"))
    images = {p for p in files if p.startswith("images/")}
    outcomes: list[BallotOutcome] = []
    counted_serials: dict[str, str] = {}
    duplicates: list[tuple[str, str | None]] = []
    reread_ok = 0
    parsed = [json.loads(files[name]) for name in records]
    wanted = sorted({str(r.get("image")) for r in parsed} & set(images))
    from ballots.reading.reader import READER_VERSION

    versions = {_reader_version(r) for r in parsed}
    if versions - {READER_VERSION}:
        report.differ(
            "reader_version",
            N_(
                "The ballots were read by reader version %(recorded)s and this program reads "
                "with version %(current)s: differences below may come from the reader, not the "
                "ballots; verify with the congress release that made the bundle"
            ),
            recorded=", ".join(str(v) for v in sorted(versions)),
            current=READER_VERSION,
        )
    args = (spec_data, layout_data, settings_data, raw_key, rules)
    fresh = dict(zip(wanted, _read_all(wanted, args, bundle, workers), strict=True))
    for name, record in zip(records, parsed, strict=True):
        digest = str(record.get("image_sha256"))
        short = digest[:12]
        image_path = str(record.get("image"))
        images.discard(image_path)
        if name != f"ballots/{digest}.json" or not image_path.startswith(f"images/{digest}."):
            report.differ(
                "ballot_misnamed", N_("Ballot %(ballot)s: its files are misnamed"), ballot=short
            )
        recorded = record.get("reading") or {}
        found_digest, reread = fresh.get(image_path, ("", None))
        if found_digest != digest:
            reread = None
            report.differ(
                "ballot_image",
                N_("Ballot %(ballot)s: the image is not the one recorded"),
                ballot=short,
            )
        elif reread is None:
            report.differ(
                "ballot_image", N_("Ballot %(ballot)s: the image cannot be read"), ballot=short
            )
        if reread is None:
            # The recount goes on with the recorded reading, so this ballot is reported once
            # rather than as a cascade of tally differences.
            reread = recorded
            changes: list[tuple[str, Any, Any]] = [("image", None, None)]
        else:
            fresh_reading = _comparable(reread)
            if _reader_version(record) != READER_VERSION:
                # Keys an older reader did not write are not differences (reported once above).
                fresh_reading = _known_keys(recorded, fresh_reading)
            changes = diff(_comparable(recorded), fresh_reading, tolerance=FLOAT_TOLERANCE)
            for where, old, new in changes:
                report.differ(
                    "reading_differs",
                    N_(
                        "Ballot %(ballot)s: reading %(field)s: recorded %(recorded)s, "
                        "re-read %(computed)s"
                    ),
                    ballot=short,
                    field=where,
                    recorded=_short(old),
                    computed=_short(new),
                )
        if not changes:
            reread_ok += 1
        if record.get("duplicate_of_serial"):
            duplicates.append((short, reread.get("serial")))
            _compare_final(report, short, record.get("final"), EXCLUDED)
            continue
        serial = reread.get("serial")
        if serial and reread.get("election_id") == layout.election_id:
            if serial in counted_serials:
                report.differ(
                    "serial_counted_twice",
                    N_("Serial %(serial)s is counted twice: ballots %(first)s and %(second)s"),
                    serial=serial,
                    first=counted_serials[serial],
                    second=short,
                )
            counted_serials[serial] = short
        rows = record.get("decisions") or []
        try:
            if two_person and fold_decisions(rows, True).same_person_confirmed:
                report.differ(
                    "same_person_confirmed",
                    N_("Ballot %(ballot)s: a decision was confirmed by the member who made it"),
                    ballot=short,
                )
            outcome = _outcome(layout, election, reread, rows, two_person)
        except CongressError as exc:
            report.differ(
                "decision_unusable",
                N_("Ballot %(ballot)s: the decisions cannot be applied: %(reason)s"),
                ballot=short,
                reason=exc.message % exc.params if exc.params else exc.message,
            )
            continue
        _compare_final(report, short, record.get("final"), outcome.to_dict())
        outcomes.append(outcome)
    for short, serial in duplicates:
        if not serial or serial not in counted_serials:
            report.differ(
                "duplicate_without_original",
                N_(
                    "Ballot %(ballot)s is set aside as a copy, but no counted ballot has its serial"
                ),
                ballot=short,
            )
    for path in sorted(images):
        report.differ("image_without_record", N_("%(file)s has no ballot record"), file=path)
    report.check(
        "reread",
        N_("Re-read %(count)s ballot images from scratch: %(same)s readings as recorded"),
        count=len(records),
        same=reread_ok,
    )
    result = tally(
        _rules(election), _candidates(meta["candidates"]), _figures(meta["figures"]), outcomes
    ).to_dict()
    changes = diff(recorded_tally, result)
    for where, old, new in changes:
        report.differ(
            "tally_differs",
            N_("Tally %(field)s: recorded %(recorded)s, recomputed %(computed)s"),
            field=where,
            recorded=_short(old),
            computed=_short(new),
        )
    if not changes:
        report.check(
            "tally_ok",
            N_("Tally: recomputed from %(count)s counted ballots, it matches the recorded one"),
            count=len(outcomes),
        )


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
