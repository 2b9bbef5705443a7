"""`congress ballots export` (write a count's audit bundle) and `congress ballots verify` (recount it)."""

from __future__ import annotations

import binascii
import json
import os
from pathlib import Path
from typing import Any

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from congress import audit
from congress.cli_frame import (
    CLI_ACTOR,
    CliState,
    election_option,
    lang_option,
    output_translator,
    refusals,
    round_option,
    with_state,
)
from congress.errors import CongressError
from congress.keys import public_key_from_text
from congress.models import Congress
from congress.signing import signing_key

# The bundle's writer and verifier bring the ballot reader: the commands import them when they
# run, so that `congress --help` and the other commands start fast.


@click.command("export")
@election_option
@round_option
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="A new directory, or a file ending in .zip.",
)
@with_state
def export_command(state: CliState, election_id: int, round_number: int | None, out: Path) -> None:
    """Write the audit bundle of a count: images, layout, settings, records, tally, signed."""
    from ballots.counting.closing import bundle_input
    from ballots.elections import get_election
    from ballots.proof.bundle import write_bundle

    with state.database().session() as session:
        election = get_election(session, election_id)
        congress = session.get(Congress, election.congress_id)
        assert congress is not None
        key = signing_key(state.settings, session, congress)
        sealed = _sealed_copy(session, election, round_number, state, out)
        if sealed is not None:
            root, header = sealed
        else:
            data = bundle_input(
                session, election_id, round_number, files_dir=state.settings.files_dir
            )
            root = write_bundle(data, key, out)
            header = {"round": data.election.get("round"), "ballots": len(data.ballots)}
        audit.record(
            session,
            CLI_ACTOR,
            "ballots.bundle_exported",
            congress_id=congress.id,
            subject=root,
            election=election_id,
            round=header["round"],
            ballots=header["ballots"],
        )
    tr = state.translator()
    click.echo(
        tr.gettext(
            "Audit bundle of %(count)s ballots written to %(path)s; Merkle root %(root)s",
            count=header["ballots"],
            path=str(out),
            root=root,
        )
    )


def _sealed_copy(
    session: Any, election: Any, round_number: int | None, state: CliState, out: Path
) -> tuple[str, dict[str, Any]] | None:
    """A closed count's zip is the bundle sealed when it closed, byte for byte: given as a hard
    link to the stored file where the file system allows (no second copy of every image), else
    copied. Returns its root and its manifest, or None when a bundle must be written (an open
    count, a directory)."""
    import zipfile

    from ballots.counting.counts import find_count
    from ballots.proof.format import MANIFEST
    from congress.files import export_file
    from congress.storage import FileStore

    count = find_count(session, election, round_number)
    if out.suffix.lower() != ".zip" or count.state != "closed" or not count.bundle_sha256:
        return None
    stored = FileStore(state.settings.files_dir).path(count.bundle_sha256)
    if not stored.exists() or count.root_hash is None:
        return None
    if out.exists():
        raise CongressError(
            "bundle_exists", "%(path)s already exists; nothing was written", path=str(out)
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    export_file(stored, out)
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read(MANIFEST))
    return str(manifest["merkle_root"]), manifest


@click.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--public-key",
    default=None,
    help="The congress's public key (base64); without it the key in the bundle is reported.",
)
@lang_option
@click.option("--json", "as_json", is_flag=True, help="The findings as one JSON object.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes re-reading the images (default: one per CPU).",
)
def verify_command(
    path: Path, public_key: str | None, lang: str | None, as_json: bool, workers: int | None
) -> None:
    """Recount an audit bundle with no database: hashes, signature, every image re-read, the tally.

    \b
    Exit codes (a script acts on them; --json prints the same findings either way):
      0  everything matches: the recount is the recorded result
      1  any difference, a folder that is not a bundle included (listed on standard
         output), or no bundle or key to read (one line on standard error)
      2  a wrong option or argument
    """
    from ballots.proof.verify import verify_bundle

    tr = output_translator(lang)
    with refusals(tr.gettext):
        key = _public_key(public_key) if public_key else None
        report = verify_bundle(path, key, workers or os.cpu_count() or 1)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "root": report.root,
                    "checks": [{"code": f.code, "message": f.text(tr)} for f in report.checks],
                    "differences": [
                        {"code": f.code, "message": f.text(tr)} for f in report.differences
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for finding in report.checks:
            click.echo(f"✓ {finding.text(tr)}")
        for finding in report.differences:
            click.echo(f"✗ {finding.text(tr)}")
        if report.ok:
            click.echo(tr.gettext("The bundle verifies: the recount matches the recorded result."))
        else:
            click.echo(
                tr.ngettext(
                    "%(num)s difference: the bundle does NOT verify.",
                    "%(num)s differences: the bundle does NOT verify.",
                    len(report.differences),
                )
            )
    if not report.ok:
        raise SystemExit(1)


def _public_key(text: str) -> Ed25519PublicKey:
    try:
        return public_key_from_text(text)
    except (binascii.Error, ValueError) as exc:
        raise CongressError(
            "bad_public_key", "%(key)s is not an Ed25519 public key in base64", key=text
        ) from exc
