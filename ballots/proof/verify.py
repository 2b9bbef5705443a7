"""Verify an audit bundle with no database: every hash, the signature, then a full recount.

The recount re-renders the blank ballots from the spec, re-reads every image, re-applies the
decisions and re-computes the tally.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ballots.audit.entry import ENTRIES_DIR, entry_reading, is_hand_entered
from ballots.audit.record import AUDIT_PART, check_audit_part
from ballots.paper.design import BallotSpec, build_layout
from ballots.paper.layout import BallotLayout
from ballots.proof.format import (
    EXCLUDED,
    FORMAT,
    MANIFEST,
    SIGNATURE,
    BundleFiles,
    bundle_outcome,
    committee_rule,
    encode_b64,
    merkle_root,
    public_bytes,
    read_bundle,
    sha256_hex,
)
from ballots.reading.recorded import RecordedReading
from ballots.reading.settings import ReadingSettings
from ballots.reasons import worst
from ballots.tally import (
    BallotOutcome,
    CandidateInfo,
    CountFigures,
    TallyRules,
    fold_decisions,
    tally,
)
from congress.errors import CongressError
from congress.i18n import N_, Translator
from congress.keys import b64decode_any

if TYPE_CHECKING:
    from ballots.reading.context import ContextDescription
    from ballots.reading.reader import ReadingContext

# Readings re-made on another machine may differ in the last digits of a score or a box.
FLOAT_TOLERANCE = 0.005


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
    excused = data.get("excused")
    if excused is not None and (isinstance(excused, bool) or not isinstance(excused, int)):
        raise CongressError(
            "bad_figure", "election.json: figures.excused is not a whole number: %(value)s",
            value=excused,
        )  # fmt: skip
    return CountFigures(
        int(data["summoned"]),
        int(data["present"]),
        int(data["issued"]),
        int(data["collected"]),
        excused,
    )


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
    out = dict(reading)
    out.pop("reader_version", None)  # reported once for the bundle, not per ballot
    reasons = [r for r in reading.get("reasons") or [] if r != "serial_seen"]
    out["reasons"] = reasons
    out["status"] = worst(reasons)
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
            raw = b64decode_any(str(signature.get("public_key", "")))
            key = Ed25519PublicKey.from_public_bytes(raw)
            key.verify(b64decode_any(str(signature.get("signature", ""))), files[MANIFEST])
            if raw != b64decode_any(str(manifest.get("public_key", ""))):
                raise InvalidSignature
            if public_key is not None and raw != public_bytes(public_key):
                report.differ(
                    "signature_other_key",
                    N_("The bundle is signed with another key than the one given: %(key)s"),
                    key=encode_b64(raw),
                )
            else:
                report.check(
                    "signature_ok", N_("Signature: valid, Ed25519 key %(key)s"), key=encode_b64(raw)
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
    # The hand audit's part is signed on its own (ballots.audit.record), beside the manifest.
    unlisted = {p for p in set(files) - set(listed) if not p.startswith(AUDIT_PART)}
    for path in sorted(unlisted - {MANIFEST, SIGNATURE}):
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
    path: Path,
    public_key: Ed25519PublicKey | None = None,
    workers: int = 1,
    on_read: Callable[[int, int], Any] | None = None,
) -> VerifyReport:
    """Check every hash and the signature, then recount from the images; no database needed.

    `workers` > 1 re-reads the images in that many processes; `on_read(done, total)` is told
    after each image is read again.
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
            on_read,
        )
    except (CongressError, KeyError, TypeError, ValueError) as exc:
        detail = exc.message % exc.params if isinstance(exc, CongressError) else repr(exc)
        report.differ(
            "recount_failed", N_("The recount could not be made: %(reason)s"), reason=detail
        )
    check_audit_part(files, manifest, report)
    return report


# The context a re-reading process works with, built once per process from its description.
_CONTEXT: ReadingContext | None = None


_FILES: BundleFiles | None = None


def _init_worker(described: ContextDescription, bundle: Path) -> None:
    global _CONTEXT, _FILES
    _CONTEXT = described.build()
    _FILES = BundleFiles(bundle)


def _read_image(name: str) -> tuple[str, dict[str, Any] | None]:
    """(SHA-256 of the image, its fresh reading or None when it is not an image) in this process."""
    from ballots.reading.imageio import ImageFileError, load_bytes
    from ballots.reading.reader import read_ballot

    assert _FILES is not None and _CONTEXT is not None
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
    names: list[str],
    described: ContextDescription,
    bundle: Path,
    workers: int,
    on_read: Callable[[int, int], Any] | None = None,
) -> list[tuple[str, dict[str, Any] | None]]:
    """Re-read every image, in a pool of processes when there are several workers."""
    read: list[tuple[str, dict[str, Any] | None]] = []

    def told(found: Iterable[tuple[str, dict[str, Any] | None]]) -> None:
        for one in found:
            read.append(one)
            if on_read is not None:
                on_read(len(read), len(names))

    if workers <= 1 or len(names) < 2:
        _init_worker(described, bundle)
        told(_read_image(name) for name in names)
        return read
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(
        max_workers=min(workers, len(names)), initializer=_init_worker, initargs=(described, bundle)
    ) as pool:
        told(pool.map(_read_image, names, chunksize=4))
    return read


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


def _compare_reading(
    report: VerifyReport,
    record: Mapping[str, Any],
    found: tuple[str, dict[str, Any] | None] | None,
    short: str,
) -> tuple[dict[str, Any], list[tuple[str, Any, Any]]]:
    """A scanned ballot's fresh reading against the recorded one: (the reading the recount goes
    on with, the differences)."""
    recorded = record.get("reading") or {}
    digest = str(record.get("image_sha256"))
    found_digest, reread = found or ("", None)
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
        return dict(recorded), [("image", None, None)]
    from ballots.reading.reader import READER_VERSION

    fresh_reading = _comparable(reread)
    if _reader_version(record) != READER_VERSION:
        # Keys an older reader did not write are not differences (reported once above).
        fresh_reading = _known_keys(recorded, fresh_reading)
    changes = diff(_comparable(recorded), fresh_reading, tolerance=FLOAT_TOLERANCE)
    for where, old, new in changes:
        report.differ(
            "reading_differs",
            N_("Ballot %(ballot)s: reading %(field)s: recorded %(recorded)s, re-read %(computed)s"),
            ballot=short,
            field=where,
            recorded=_short(old),
            computed=_short(new),
        )
    return reread, changes


def _reapply_entries(
    files: Mapping[str, bytes],
    record: Mapping[str, Any],
    layout: BallotLayout,
    election: Mapping[str, Any],
    report: VerifyReport,
    short: str,
) -> dict[str, Any] | None:
    """A hand-entered ballot's reading made again from its entry document (None: unusable)."""
    digest = str(record.get("image_sha256"))
    path = str(record.get("image"))
    recorded = record.get("reading") or {}
    if path != f"{ENTRIES_DIR}{digest}.json" or path not in files:
        report.differ(
            "ballot_image", N_("Ballot %(ballot)s: its entries are missing"), ballot=short
        )
        return None
    document = files[path]
    if sha256_hex(document) != digest:
        report.differ(
            "ballot_image",
            N_("Ballot %(ballot)s: the entries are not the ones recorded"),
            ballot=short,
        )
        return None
    try:
        # Whether the serial was issued is the server's verdict (the bundle holds no list of
        # the serials printed): it is taken from the record, everything else made again.
        fresh = entry_reading(
            document,
            digest,
            layout,
            int(election["seats"]),
            bool(election.get("nobody_elected_invalid", True)),
            "serial_forged" in (recorded.get("reasons") or []),
        )
    except CongressError as exc:
        report.differ(
            "decision_unusable",
            N_("Ballot %(ballot)s: the decisions cannot be applied: %(reason)s"),
            ballot=short,
            reason=exc.message % exc.params if exc.params else exc.message,
        )
        return None
    for where, old, new in diff(recorded, fresh):
        report.differ(
            "reading_differs",
            N_("Ballot %(ballot)s: reading %(field)s: recorded %(recorded)s, re-read %(computed)s"),
            ballot=short,
            field=where,
            recorded=_short(old),
            computed=_short(new),
        )
    return fresh


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
    on_read: Callable[[int, int], Any] | None = None,
) -> None:
    # The reader brings OpenCV: loaded for a recount, not for the commands that never make one.
    from ballots.reading.context import ContextDescription
    from ballots.reading.reader import READER_VERSION, ElectionRules

    election = meta["election"]
    layout = BallotLayout.from_dict(layout_data)
    spec = BallotSpec.from_dict(spec_data)
    if build_layout(spec).to_dict() != layout_data:
        report.differ("layout_mismatch", N_("The layout is not the layout of the ballot spec"))
    if (layout.election_id, layout.round) != (election["id"], election["round"]):
        report.differ("layout_other_election", N_("The layout is of another election or round"))
    signature = json.loads(files[SIGNATURE]) if SIGNATURE in files else {}
    raw_key = b64decode_any(str(signature.get("public_key") or meta["congress"]["public_key"]))
    rules = ElectionRules(
        int(election["seats"]),
        bool(election.get("nobody_elected_invalid", True)),
        bool(election.get("seal_required", True)),
    )
    Ed25519PublicKey.from_public_bytes(raw_key)  # a bad key stops here, before any process
    two_person = bool(meta["count"].get("two_person_rule"))
    committee = committee_rule(meta["count"])
    records = sorted(p for p in files if p.startswith("ballots/") and p.endswith(".json"))
    images = {p for p in files if p.startswith("images/")}
    outcomes: list[BallotOutcome] = []
    counted_serials: dict[str, str] = {}
    duplicates: list[tuple[str, str | None]] = []
    reread_ok = 0
    hand_entered = 0
    changes: list[tuple[str, Any, Any]]
    parsed = [json.loads(files[name]) for name in records]
    wanted = sorted({str(r.get("image")) for r in parsed} & set(images))
    versions = {_reader_version(r) for r in parsed if not is_hand_entered(r.get("reading") or {})}
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
    described = ContextDescription(
        spec, layout, raw_key, rules, ReadingSettings.from_dict(settings_data)
    )
    fresh = dict(zip(wanted, _read_all(wanted, described, bundle, workers, on_read), strict=True))
    for name, record in zip(records, parsed, strict=True):
        digest = str(record.get("image_sha256"))
        short = digest[:12]
        image_path = str(record.get("image"))
        images.discard(image_path)
        recorded = record.get("reading") or {}
        named = (
            image_path == f"{ENTRIES_DIR}{digest}.json"
            if is_hand_entered(recorded)
            else image_path.startswith(f"images/{digest}.")
        )
        if name != f"ballots/{digest}.json" or not named:
            report.differ(
                "ballot_misnamed", N_("Ballot %(ballot)s: its files are misnamed"), ballot=short
            )
        reread: dict[str, Any] | None
        if is_hand_entered(recorded):
            # No image: the members' agreed entries are applied again by the same rules.
            reread = _reapply_entries(files, record, layout, election, report, short) or recorded
            hand_entered += 1
            changes = []
        else:
            reread, changes = _compare_reading(report, record, fresh.get(image_path), short)
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
            reading = RecordedReading.from_dict(reread)
            outcome = bundle_outcome(layout, election, reading, rows, two_person, committee)
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
    entry_files = {p for p in files if p.startswith(ENTRIES_DIR)}
    entry_files -= {str(r.get("image")) for r in parsed}
    for path in sorted(images | entry_files):
        report.differ("image_without_record", N_("%(file)s has no ballot record"), file=path)
    report.check(
        "reread",
        N_("Re-read %(count)s ballot images from scratch: %(same)s readings as recorded"),
        count=len(records) - hand_entered,
        same=reread_ok - hand_entered,
    )
    if hand_entered:
        report.check(
            "hand_entered",
            N_(
                "Ballots entered by hand: %(count)s; there is no image to re-read, the members' "
                "agreed entries were applied again by the validity rules"
            ),
            count=hand_entered,
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
