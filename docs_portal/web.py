"""What the organizers' desk and the delegates' portal share: the file store, the page renderer."""

from __future__ import annotations

from typing import Any, cast

from starlette.requests import Request

from congress.errors import CongressError
from congress.storage import FileStore
from congress.web import settings_of
from docs_portal.render import PageRenderer


def renderer(request: Request) -> PageRenderer:
    return cast(PageRenderer, request.app.state.page_renderer)


def store_of(request: Request) -> FileStore:
    return FileStore(settings_of(request).files_dir)


def int_or_none(value: Any) -> int | None:
    """A whole number typed in a form, None when left empty."""
    text = str(value or "").strip()
    if not text:
        return None
    if not text.lstrip("-").isdigit():
        raise CongressError("not_a_number", "%(value)s is not a whole number", value=text[:20])
    return int(text)
