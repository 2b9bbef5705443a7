"""PDFs with known text, and documents made through the service, for the portal's tests."""

from __future__ import annotations

import io
from typing import Any

from congress.db import Database
from congress.models import Congress
from congress.settings import Settings
from congress.storage import FileStore
from docs_portal import documents as service


def pdf_with(
    pages: list[str], *, encrypt: str | None = None, size: tuple[float, float] = (595.0, 842.0)
) -> bytes:
    """A PDF whose page i shows pages[i] (Vietnamese text in the embedded font)."""
    from reportlab.pdfgen.canvas import Canvas

    from congress.fonts import register_reportlab_fonts

    register_reportlab_fonts()
    out = io.BytesIO()
    c = Canvas(out, pagesize=size, encrypt=encrypt)
    for text in pages:
        c.setFont("Sans", 14)
        y = size[1] - 72
        for line in text.split("\n"):
            c.drawString(60, y, line)
            y -= 20
        c.showPage()
    c.save()
    return out.getvalue()


def add_document(
    db: Database,
    settings: Settings,
    congress_id: int,
    title: str,
    pages: list[str],
    **fields: Any,
) -> int:
    prepared = service.prepare_upload(settings, pdf_with(pages), f"{title}.pdf")
    with db.write_session() as session:
        congress = session.get(Congress, congress_id)
        document = service.create_document(
            session,
            FileStore(settings.files_dir),
            congress,
            service.DocumentFields(title=title, **fields),
            prepared,
            "test",
        )
        return document.id
