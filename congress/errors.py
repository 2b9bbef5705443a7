"""Errors as data: a stable code, an English message id (translated when shown) and parameters."""

from __future__ import annotations

from typing import Any


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
