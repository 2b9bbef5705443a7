"""The demo's documents: generated PDFs with Vietnamese text, in every group and visibility."""

from __future__ import annotations

import io
import random
from typing import Any

from congress.exports import paragraph
from congress.models import Congress
from congress.storage import FileStore

PARAGRAPHS = (
    "Đại hội thảo luận và thông qua báo cáo chính trị, đánh giá kết quả thực hiện nghị quyết "
    "nhiệm kỳ qua và quyết định phương hướng, mục tiêu, nhiệm vụ nhiệm kỳ tới.",
    "Tổ chức Đoàn các cấp tiếp tục đổi mới nội dung, phương thức hoạt động, hướng mạnh về cơ sở, "
    "lấy đoàn viên, thanh niên làm trung tâm.",
    "Phong trào thanh niên tình nguyện, sáng tạo, khởi nghiệp được triển khai sâu rộng, thu hút "
    "đông đảo đoàn viên, thanh niên tham gia.",
    "Công tác giáo dục chính trị, tư tưởng, đạo đức, lối sống cho thanh niên được quan tâm; "
    "chuyển đổi số trong hoạt động của Đoàn được đẩy mạnh.",
    "Đại hội biểu quyết thông qua nghị quyết với sự nhất trí cao của các đại biểu dự đại hội.",
)

DOCUMENTS = (
    ("Chương trình đại hội", "agenda", "public", 2, False),
    ("Báo cáo chính trị trình đại hội", "reports", "delegates", 12, False),
    ("Báo cáo kiểm điểm của Ban Chấp hành", "reports", "delegates", 6, False),
    ("Dự thảo nghị quyết đại hội", "resolutions", "delegates", 4, True),
    ("Quy chế làm việc của đại hội", "regulations", "public", 3, False),
    ("Quy chế bầu cử", "regulations", "public", 3, False),
)


def demo_pdf(title: str, pages: int, rng: random.Random) -> bytes:
    """A document of `pages` A4 pages: a title, numbered sections of Vietnamese text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, SimpleDocTemplate, Spacer

    from congress.fonts import register_reportlab_fonts

    register_reportlab_fonts()
    heading = ParagraphStyle("h", fontName="Sans-Bold", fontSize=16, leading=21, alignment=1)
    section = ParagraphStyle("s", fontName="Sans-Bold", fontSize=12, leading=16)
    body = ParagraphStyle("b", fontName="Sans", fontSize=11, leading=16, firstLineIndent=8 * mm)
    story: list[Any] = [paragraph(title.upper(), heading), Spacer(1, 8 * mm)]
    for page in range(pages):
        story.append(
            paragraph(f"{page + 1}. {rng.choice(('Kết quả', 'Nhiệm vụ', 'Giải pháp'))}", section)
        )
        for _ in range(6):
            story.append(paragraph(rng.choice(PARAGRAPHS), body))
        if page < pages - 1:
            story.append(PageBreak())
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=title, topMargin=20 * mm).build(story)
    return out.getvalue()


def add_demo_documents(db: Any, *, congress_id: int, seed: int, echo: Any, bar: Any = None) -> None:
    from docs_portal.documents import DocumentFields, PreparedFile, create_document, read_pdf

    rng = random.Random(seed)
    store = FileStore(db.settings.files_dir)
    with db.write_session() as session:
        congress = session.get(Congress, congress_id)
        for order, (title, group, visibility, pages, comments) in enumerate(DOCUMENTS):
            pdf = demo_pdf(title, pages, rng)
            prepared = PreparedFile(
                pdf, pdf, f"{title}.pdf", "application/pdf", read_pdf(pdf, pages)
            )
            fields = DocumentFields(
                title=title,
                group=group,
                position=order,
                visibility=visibility,
                comments_open=comments,
            )
            create_document(session, store, congress, fields, prepared, "demo")
            if bar is not None:
                bar.advance()
        if bar is not None:
            bar.done()
        echo(f"documents: {len(DOCUMENTS)} documents at {db.settings.public_url}/p/{congress.slug}")
