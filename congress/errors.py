"""Errors as data: a stable code, an English message id (translated when shown) and parameters."""

from __future__ import annotations

from typing import Any, Protocol


class CongressError(Exception):
    """A refusal the user can act on. `message` is a msgid of the catalog; `params` fill it."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message
        self.params = params
        if status is not None:
            self.status = status

    def translated(self, gettext: Any) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text


class NotFound(CongressError):
    status = 404


class Forbidden(CongressError):
    status = 403


class Conflict(CongressError):
    status = 409


class Reply(Protocol):
    """An HTTP reply as a client library gives it (httpx.Response is one)."""

    status_code: int

    def json(self) -> Any: ...


def reply_message(reply: Reply) -> str:
    """The message of an API error reply (`{"error": {"code", "message"}}`, as the server's
    error handler writes it), or the HTTP status when the body is not one."""
    try:
        error = reply.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    return str(error.get("message") or f"HTTP {reply.status_code}")
