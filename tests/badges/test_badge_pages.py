"""The badge desk, the PDFs and links it hands out, and the soft badge at /b/<token>."""

from __future__ import annotations

import csv
import io
from typing import Any

import pypdfium2 as pdfium
import zxingcpp
from sqlalchemy import select
from starlette.testclient import TestClient

from badges.service import issue_token
from congress.db import Database
from congress.models import AuditEvent, Delegate
from congress.settings import Settings
from tests.conftest import login

# Only QR codes: zxing's other readers can see a 1D code in ordinary print (a spurious "8553").
QR = zxingcpp.BarcodeFormat.QRCode


def _decoded(pdf: bytes, dpi: int = 150) -> list[str]:
    texts = []
    document = pdfium.PdfDocument(pdf)
    for page in document:
        image = page.render(scale=dpi / 72).to_pil()
        texts += [r.text for r in zxingcpp.read_barcodes(image, formats=QR)]
    return texts


def _tokens(db: Database, settings: Settings) -> dict[str, str]:
    with db.session() as session:
        return {
            d.code: issue_token(settings, session, d) for d in session.scalars(select(Delegate))
        }


def test_badge_pdf_from_the_desk_decodes_to_the_register(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    login(client, "btc", make_user("btc", "organizer"))
    desk = client.get(f"/c/{register['slug']}/badges")
    assert desk.status_code == 200
    assert 'value="a4-8up" selected' in desk.text
    response = client.get(f"/c/{register['slug']}/badges/badges.pdf", params={"layout": "a4-4up"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    decoded = _decoded(response.content)
    tokens = _tokens(db, settings)
    portal = f"{settings.public_url}/p/{register['slug']}"
    assert sorted(t for t in decoded if t.startswith("D1")) == sorted(tokens.values())
    assert decoded.count(portal) == len(tokens)


def test_desk_refuses_unknown_delegation_and_layout(
    client: TestClient, make_user: Any, register: dict[str, Any]
) -> None:
    login(client, "btc", make_user("btc", "organizer"))
    base = f"/c/{register['slug']}/badges/badges.pdf"
    unknown = client.get(base, params={"delegation": "Đoàn không có"})
    assert unknown.status_code == 400
    assert "Đoàn không có" in unknown.text
    bad_layout = client.get(base, params={"layout": "a0"})
    assert bad_layout.status_code == 400
    codes = client.get(base, params={"codes": "DB0001, XX999"})
    assert codes.status_code == 400 and "XX999" in codes.text


def test_links_csv_and_link_sheet(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    login(client, "btc", make_user("btc", "organizer"))
    response = client.get(f"/c/{register['slug']}/badges/links.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    tokens = _tokens(db, settings)
    links = {row[0]: row[4] for row in rows[1:]}
    assert links == {code: f"{settings.public_url}/b/{t}" for code, t in tokens.items()}
    sheet = client.get(f"/c/{register['slug']}/badges/link-sheet.pdf")
    assert sheet.status_code == 200
    assert sorted(_decoded(sheet.content, dpi=200)) == sorted(links.values())


def test_reissue_and_revoke_from_the_desk(
    client: TestClient, db: Database, settings: Settings, make_user: Any, register: dict[str, Any]
) -> None:
    csrf = login(client, "btc", make_user("btc", "organizer"))
    old = _tokens(db, settings)["DB0002"]
    # Both refuse a badge someone holds: the first POST is a page naming whose and what follows,
    # and changes nothing; the confirmation's POST does it.
    asked = client.post(
        f"/c/{register['slug']}/badges/reissue",
        data={"csrf_token": csrf, "code": "DB0002", "reason": "mất thẻ"},
    )
    assert asked.status_code == 200 and 'role="alertdialog"' in asked.text
    assert "Cấp thẻ mới cho" in asked.text and "lần cấp 1" in asked.text and "mất thẻ" in asked.text
    assert 'name="confirmed" value="1"' in asked.text and 'class="danger"' in asked.text
    assert client.get(f"/b/{old}").status_code == 200
    page = client.post(
        f"/c/{register['slug']}/badges/reissue",
        data={"csrf_token": csrf, "code": "DB0002", "reason": "mất thẻ", "confirmed": "1"},
    )
    assert page.status_code == 200
    assert client.get(f"/b/{old}").status_code == 410
    new = _tokens(db, settings)["DB0002"]
    assert client.get(f"/b/{new}").status_code == 200
    no_csrf = client.post(f"/c/{register['slug']}/badges/revoke", data={"code": "DB0002"})
    assert no_csrf.status_code == 403
    assert client.get(f"/b/{new}").status_code == 200
    unknown = client.post(
        f"/c/{register['slug']}/badges/revoke", data={"csrf_token": csrf, "code": "ZZ1"}
    )
    assert unknown.status_code == 400
    asked = client.post(
        f"/c/{register['slug']}/badges/revoke", data={"csrf_token": csrf, "code": "DB0002"}
    )
    assert "Thu hồi mọi thẻ của" in asked.text and "Không thể hoàn tác" in asked.text
    assert client.get(f"/b/{new}").status_code == 200
    client.post(
        f"/c/{register['slug']}/badges/revoke",
        data={"csrf_token": csrf, "code": "DB0002", "confirmed": "1"},
    )
    assert client.get(f"/b/{new}").status_code == 410
    with db.session() as session:
        actions = list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.subject == "DB0002"))
        )
    assert actions == ["badge.reissued", "badge.revoked"]


def test_badge_desk_needs_the_organizer_role(
    client: TestClient, make_user: Any, register: dict[str, Any]
) -> None:
    login(client, "gate", make_user("gate", "checkin"))
    assert client.get(f"/c/{register['slug']}/badges").status_code == 403
    assert client.get(f"/c/{register['slug']}/badges/links.csv").status_code == 403


def test_soft_badge_shows_the_card_and_refuses_bad_tokens(
    client: TestClient, db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    token = _tokens(db, settings)["DB0001"]
    with db.session() as session:
        delegate = session.scalar(select(Delegate).where(Delegate.code == "DB0001"))
        name = delegate.full_name
    page = client.get(f"/b/{token}")
    assert page.status_code == 200
    assert name in page.text and "Phiên trù bị" in page.text
    assert f"/p/{register['slug']}/enter/{token}" in page.text
    assert "<svg" in page.text
    manifest = client.get(f"/b/{token}/manifest.webmanifest").json()
    assert manifest["start_url"] == f"/b/{token}"
    assert client.get("/b/sw.js").headers["service-worker-allowed"] == "/b/"
    altered = token[:-3] + "".join("B" if c == "A" else "A" for c in token[-3:])
    for bad in ("garbage", altered, "D1" + "A" * 119, "x" * 400):
        response = client.get(f"/b/{bad}")
        assert response.status_code == 404, bad
        assert name not in response.text
