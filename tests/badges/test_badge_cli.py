"""`congress badges`: verify prints the verdict and the delegate; pdf, reissue, revoke, links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import zxingcpp
from sqlalchemy import select

from badges.service import issue_token
from congress.db import Database
from congress.models import Delegate
from congress.settings import Settings
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
