"""Every route of the documents capability: the organizers' desk and the delegates' portal."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from docs_portal import desk, portal

HERE = Path(__file__).parent


def routes() -> list[BaseRoute]:
    doc = "/c/{slug}/documents/{document_id:id}"
    page = "/p/{slug}/d/{document_id:id}"
    return [
        Route("/c/{slug}/documents", desk.desk),
        Route("/c/{slug}/documents", desk.upload_document, methods=["POST"]),
        Route("/c/{slug}/documents/poster.pdf", desk.poster),
        Route(doc, desk.document_page),
        Route(doc, desk.update_document, methods=["POST"]),
        Route(doc + "/versions", desk.new_version, methods=["POST"]),
        Route(doc + "/comments.{fmt:str}", desk.export_comments),
        Route(doc + "/comments/{comment_id:id}", desk.mark_handled, methods=["POST"]),
        Route("/p/sw.js", portal.service_worker),
        Route("/p/{slug}", portal.portal_home),
        Route("/p/{slug}/search", portal.portal_search),
        Route("/p/{slug}/offline", portal.offline_page),
        Route("/p/{slug}/manifest.webmanifest", portal.manifest),
        Route("/p/{slug}/enter/{token}", portal.enter, methods=["GET", "POST"]),
        Route("/p/{slug}/signin", portal.signin_page, methods=["GET", "POST"]),
        Route("/p/{slug}/signout", portal.sign_out, methods=["POST"]),
        Route(page, portal.reader),
        Route(page + "/v/{version:id}", portal.reader),
        Route(page + "/v/{version:id}/page/{page:id}.webp", portal.page_image),
        Route(page + "/v/{version:id}/document.pdf", portal.download_pdf),
        Route(page + "/comments", portal.post_comment, methods=["POST"]),
        Mount("/static/docs_portal", StaticFiles(directory=HERE / "static"), name="docs-static"),
    ]
