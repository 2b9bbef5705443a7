"""The comments export of hostile comments and names: XLSX cells stay text, the PDF shows the text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from congress.db import Database
from congress.models import Congress, Delegate
from congress.settings import Settings
from docs_portal import comments
from docs_portal.models import Document
from tests.conftest import login
from tests.congress.hostile_exports import (
    FORMULAS,
    HOSTILE_CONGRESS,
    MARKUP,
    assert_xlsx_text,
    make_hostile_register,
    pdf_images,
    pdf_text,
    xlsx_cells,
)
from tests.docs_portal.portal_helpers import add_document

# What a signed-in delegate sent in the audit, each opening of OWASP's rule, markup, and a control
# character XML cannot hold (openpyxl refused the whole workbook for it).
BODIES = [
    '=HYPERLINK("http://evil.example/","Xem")',
    "+84 912 345 678",
    "-1+2",
    "@SUM(A1:A9)",
    *MARKUP,
    "Đề nghị sửa\x01 Điều 2",
]


def test_comments_export_writes_text(
    client: TestClient, db: Database, settings: Settings, make_user: Any
) -> None:
    register = make_hostile_register(db)
    document_id = add_document(
        db,
        settings,
        register["congress_id"],
        MARKUP[0],  # the title heads the XLSX and the PDF
        ["Nghị quyết"],
        visibility="delegates",
        comments_open=True,
    )
    with db.write_session() as session:
        document = session.get(Document, document_id)
        delegates = {d.code: d for d in session.scalars(select(Delegate))}
        for n, body in enumerate(BODIES):
            comments.add_comment(session, document, delegates[f"DB{n % 5 + 1:04d}"], body, 1)
        assert session.get(Congress, register["congress_id"]).name == HOSTILE_CONGRESS
    login(client, "btc", make_user("btc", "organizer"))
    base = f"/c/{register['slug']}/documents/{document_id}/comments"

    xlsx = client.get(base + ".xlsx")
    assert xlsx.status_code == 200
    for value in [HOSTILE_CONGRESS, *BODIES[:4], FORMULAS[3], register["delegates"]["DB0001"][0]]:
        assert_xlsx_text(xlsx.content, value)
    values = [cell.value for cell in xlsx_cells(xlsx.content)]
    assert "Đề nghị sửa\ufffd Điều 2" in values and MARKUP[0] in values and MARKUP[1] in values

    pdf = client.get(base + ".pdf")
    assert pdf.status_code == 200
    text = "".join(pdf_text(pdf.content).split())
    for value in [HOSTILE_CONGRESS, *MARKUP, *BODIES[:4]]:
        assert "".join(value.split()) in text, value
    assert pdf_images(pdf.content) == 0
