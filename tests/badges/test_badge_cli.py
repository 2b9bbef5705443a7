"""`congress badges`: verify prints the verdict and the delegate; pdf, reissue, revoke, links."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import zxingcpp
from sqlalchemy import select

from badges.service import issue_token
from badges.token import BadgeToken, sign_badge
from congress import congresses
from congress.db import Database
from congress.keys import generate_private_key
from congress.models import Congress, Delegate
from congress.settings import Settings
from congress.signing import signing_key
from tests.congress.test_cli import run


def test_verify_reissue_revoke(settings: Settings, db: Database, register: dict[str, Any]) -> None:
    with db.session() as session:
        delegate = session.scalar(select(Delegate).where(Delegate.code == "DB0005"))
        token = issue_token(settings, session, delegate)
        name = delegate.full_name
    valid = json.loads(run(settings, "badges", "verify", token, "--json").stdout)
    assert valid["verdict"] == "valid"
    assert valid["delegate"]["code"] == "DB0005" and valid["delegate"]["full_name"] == name
    assert (
        run(settings, "badges", "reissue", "DB0005", "--congress", register["slug"]).exit_code == 0
    )
    replaced = json.loads(run(settings, "badges", "verify", token, "--json").stdout)
    assert replaced["verdict"] == "replaced"
    assert "replaced on" in replaced["message"] and replaced["replaced_at"]
    assert (
        run(settings, "badges", "revoke", "DB0005", "--congress", register["slug"]).exit_code == 0
    )
    revoked = json.loads(run(settings, "badges", "verify", token, "--json").stdout)
    assert revoked["verdict"] == "revoked"
    garbage = json.loads(run(settings, "badges", "verify", "hello", "--json").stdout)
    assert garbage["verdict"] == "malformed" and garbage["delegate"] is None
    unknown = run(settings, "badges", "revoke", "NOPE", "--congress", register["slug"])
    assert unknown.exit_code == 1 and "NOPE" in unknown.stderr


def test_pdf_for_one_delegation_and_refusals(
    settings: Settings, db: Database, register: dict[str, Any], tmp_path: Path
) -> None:
    with db.session() as session:
        delegate = session.scalar(select(Delegate).where(Delegate.code == "DB0001"))
        delegation = delegate.delegation.name
        members = {
            d.code: issue_token(settings, session, d)
            for d in session.scalars(
                select(Delegate).where(Delegate.delegation_id == delegate.delegation_id)
            )
        }
    out = tmp_path / "the.pdf"
    result = run(
        settings,
        "badges",
        "pdf",
        "--congress",
        register["slug"],
        "--layout",
        "cr80",
        "--delegation",
        delegation,
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    found = []
    for page in pdfium.PdfDocument(out.read_bytes()):
        found += [r.text for r in zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil())]
    assert sorted(t for t in found if t.startswith("D1")) == sorted(members.values())
    missing = tmp_path / "missing.pdf"
    refused = run(
        settings,
        "badges",
        "pdf",
        "--congress",
        register["slug"],
        "--delegation",
        "Không có",
        "--out",
        str(missing),
    )
    assert refused.exit_code == 1 and not missing.exists()
    links = tmp_path / "links.csv"
    assert (
        run(
            settings, "badges", "links", "--congress", register["slug"], "--out", str(links)
        ).exit_code
        == 0
    )
    assert len(links.read_text(encoding="utf-8-sig").splitlines()) == 21


def test_verify_exits_non_zero_for_every_verdict_but_valid(
    settings: Settings, db: Database, register: dict[str, Any]
) -> None:
    # A script at a gate acts on the exit code: 0 only for a badge to admit, and the --json
    # verdict stays the same whatever the exit code.
    slug = register["slug"]
    with db.session() as session:
        congress = session.get(Congress, register["congress_id"])
        replaced = issue_token(settings, session, session.get(Delegate, _id(session, "DB0002")))
        revoked = issue_token(settings, session, session.get(Delegate, _id(session, "DB0003")))
        valid = issue_token(settings, session, session.get(Delegate, _id(session, "DB0004")))
        stranger = sign_badge(generate_private_key(), BadgeToken(congress.id, 1, 1))
        ghost = sign_badge(
            signing_key(settings, session, congress), BadgeToken(congress.id, 999_999, 1)
        )
        other = congresses.create_congress(
            session,
            slug="dai-hoi-khac",
            name="Đại hội khác",
            starts_on=dt.date(2027, 1, 1),
            ends_on=dt.date(2027, 1, 1),
            actor="t",
        )
        other_slug = other.slug
    assert run(settings, "badges", "reissue", "DB0002", "--congress", slug).exit_code == 0
    assert run(settings, "badges", "revoke", "DB0003", "--congress", slug).exit_code == 0
    cases = [
        (valid, slug, "valid", 0),
        (replaced, slug, "replaced", 1),
        (revoked, slug, "revoked", 1),
        (ghost, slug, "unknown", 1),
        (stranger, slug, "forged", 1),
        (valid, other_slug, "other_congress", 1),
        ("hello", slug, "malformed", 1),
    ]
    for token, congress_slug, verdict, code in cases:
        for as_json in (True, False):
            args = ["badges", "verify", token, "--congress", congress_slug]
            result = run(settings, *args, *(["--json"] if as_json else []))
            assert result.exit_code == code, (verdict, result.output)
            if as_json:
                assert json.loads(result.stdout)["verdict"] == verdict
            else:
                assert result.stdout.startswith(f"{verdict}: ")
            assert result.stderr == ""
    # The exit codes are part of the command's help.
    assert "Exit codes" in run(settings, "badges", "verify", "--help").stdout


def _id(session: Any, code: str) -> int:
    found = session.scalar(select(Delegate.id).where(Delegate.code == code))
    assert found is not None
    return int(found)
