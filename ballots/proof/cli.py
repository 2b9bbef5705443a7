"""`congress ballots export` (write a count's audit bundle) and `congress ballots verify` (recount it)."""

from __future__ import annotations

import binascii
import json
import os
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from congress.cli import CLI_ACTOR, CliState, fail, handle_errors, pass_state
from congress.errors import CongressError
from congress.i18n import normalize_language, translator
from congress.keys import public_key_from_text


def register(group: click.Group) -> None:
    """Add the proof commands to the `congress ballots` group."""
    group.add_command(export_command)
    group.add_command(verify_command)


@click.command("export")
@click.option("--election", "election_id", type=int, required=True)
@click.option(
    "--round",
    "round_number",
    type=int,
    default=None,
    help="The ballot round (default: the election's current round).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="A new directory, or a file ending in .zip.",
)
@pass_state
@handle_errors
def export_command(state: CliState, election_id: int, round_number: int | None, out: Path) -> None:
    """Write the audit bundle of a count: images, layout, settings, records, tally, signed."""
    from ballots.counting.closing import bundle_input
    from ballots.elections import get_election
    from ballots.proof.bundle import write_bundle
    from congress import audit
    from congress.models import Congress
    from congress.signing import signing_key

    with state.database().session() as session:
        election = get_election(session, election_id)
        congress = session.get(Congress, election.congress_id)
        assert congress is not None
        key = signing_key(state.settings, session, congress)
        data = bundle_input(session, election_id, round_number, files_dir=state.settings.files_dir)
        root = write_bundle(data, key, out)
        audit.record(
            session,
            CLI_ACTOR,
            "ballots.bundle_exported",
            congress_id=congress.id,
            subject=root,
            election=election_id,
            round=data.election.get("round"),
            ballots=len(data.ballots),
        )
    tr = translator(state.settings.default_language)
    click.echo(
        tr.gettext(
            "Audit bundle of %(count)s ballots written to %(path)s; Merkle root %(root)s",
            count=len(data.ballots),
            path=str(out),
            root=root,
        )
    )


@click.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--public-key",
    default=None,
    help="The congress's public key (base64); without it the key in the bundle is reported.",
)
@click.option("--lang", type=click.Choice(["vi", "en"]), default=None, help="Output language.")
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

    Exit code 0 when everything matches, 1 on any difference or when the bundle cannot be read.
    """
    from ballots.proof.verify import verify_bundle

    tr = translator(lang or normalize_language(os.environ.get("CONGRESS_LANGUAGE")) or "vi")
    try:
        key = _public_key(public_key) if public_key else None
        report = verify_bundle(path, key, workers or os.cpu_count() or 1)
    except CongressError as exc:
        fail(exc.translated(tr.gettext))
        return
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
