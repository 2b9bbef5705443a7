"""Ballot serials and the signed page token each printed page carries in its QR code."""

from __future__ import annotations

import base64
import binascii
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from congress.keys import verify

SERIAL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32
SERIAL_LENGTH = 10  # 50 random bits: collisions are negligible even over many congresses
TOKEN_PREFIX = "B1"  # token format version 1; QR alphanumeric mode holds it as-is
# Signed bytes start with a context string so a congress key signing something else can never
# produce a valid ballot token.
SIGNING_CONTEXT = b"congress/ballot-page/v1\x00"
# election_id u32, round u16, page u8, pages u8, serial as a 50-bit integer in 7 bytes
_FIELDS = struct.Struct(">IHBB7s")
_SIGNATURE_BYTES = 64
_TOKEN_BYTES = _FIELDS.size + _SIGNATURE_BYTES
TOKEN_LENGTH = len(TOKEN_PREFIX) + (_TOKEN_BYTES * 8 + 4) // 5  # 129 characters

PageTokenErrorCode = Literal["unreadable", "forged"]


class PageTokenError(Exception):
    """A QR text that is not a page token of this congress; `code` says why."""

    def __init__(self, code: PageTokenErrorCode, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code: PageTokenErrorCode = code
        self.detail = detail


@dataclass(frozen=True)
class PageToken:
    """What the QR of one printed page says: which election, round and page, and the serial."""

    election_id: int
    round: int
    page: int  # 1-based
    pages: int
    serial: str  # SERIAL_LENGTH base32 characters, random, never linked to a voter


def new_serial() -> str:
    return "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(SERIAL_LENGTH))


def new_serials(count: int, exclude: Sequence[str] = ()) -> list[str]:
    """`count` distinct random serials, none of them in `exclude` (serials already issued)."""
    taken = set(exclude)
    serials: list[str] = []
    while len(serials) < count:
        serial = new_serial()
        if serial not in taken:
            taken.add(serial)
            serials.append(serial)
    return serials


def is_serial(text: str) -> bool:
    return len(text) == SERIAL_LENGTH and all(ch in SERIAL_ALPHABET for ch in text)


def _serial_to_bytes(serial: str) -> bytes:
    value = 0
    for ch in serial:
        value = value * 32 + SERIAL_ALPHABET.index(ch)
    return value.to_bytes(7, "big")


def _serial_from_bytes(raw: bytes) -> str:
    value = int.from_bytes(raw, "big")
    if value >> (5 * SERIAL_LENGTH):
        raise PageTokenError("unreadable", "serial out of range")
    chars = []
    for _ in range(SERIAL_LENGTH):
        value, digit = divmod(value, 32)
        chars.append(SERIAL_ALPHABET[digit])
    return "".join(reversed(chars))


def _check_fields(token: PageToken) -> None:
    if not is_serial(token.serial):
        raise ValueError(f"not a ballot serial: {token.serial!r}")
    if not (0 <= token.election_id < 2**32 and 0 <= token.round < 2**16):
        raise ValueError("election id or round out of range")
    if not (1 <= token.page <= token.pages <= 255):
        raise ValueError(f"bad page {token.page} of {token.pages}")


def _pack(token: PageToken) -> bytes:
    return _FIELDS.pack(
        token.election_id, token.round, token.page, token.pages, _serial_to_bytes(token.serial)
    )


def encode_page_token(private_key: Ed25519PrivateKey, token: PageToken) -> str:
    """The QR text of a page: TOKEN_PREFIX + base32 (upper case, no padding) of fields+signature."""
    _check_fields(token)
    fields = _pack(token)
    signature = private_key.sign(SIGNING_CONTEXT + fields)
    body = base64.b32encode(fields + signature).decode("ascii").rstrip("=")
    return TOKEN_PREFIX + body


def _split(text: str) -> tuple[bytes, bytes]:
    text = text.strip()
    if not text.startswith(TOKEN_PREFIX) or len(text) != TOKEN_LENGTH:
        raise PageTokenError("unreadable", "not a ballot page token")
    body = text[len(TOKEN_PREFIX) :]
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError) as exc:
        raise PageTokenError("unreadable", "bad base32") from exc
    if len(raw) != _TOKEN_BYTES:
        raise PageTokenError("unreadable", "wrong length")
    return raw[: _FIELDS.size], raw[_FIELDS.size :]


def _unpack(fields: bytes) -> PageToken:
    election_id, round_, page, pages, serial_raw = _FIELDS.unpack(fields)
    token = PageToken(election_id, round_, page, pages, _serial_from_bytes(serial_raw))
    try:
        _check_fields(token)
    except ValueError as exc:
        raise PageTokenError("unreadable", str(exc)) from exc
    return token


def parse_page_token(text: str) -> PageToken:
    """The fields of a token WITHOUT checking its signature (for printing captions only)."""
    fields, _ = _split(text)
    return _unpack(fields)


def decode_page_token(public_key: Ed25519PublicKey, text: str) -> PageToken:
    """The verified fields of a scanned token; PageTokenError("unreadable"|"forged") otherwise."""
    fields, signature = _split(text)
    token = _unpack(fields)  # fields no ballot can have are unreadable, whoever signed them
    if not verify(public_key, signature, SIGNING_CONTEXT + fields):
        raise PageTokenError("forged", "signature does not verify")
    return token


def ballot_page_tokens(
    private_key: Ed25519PrivateKey, election_id: int, round: int, pages: int, serials: Sequence[str]
) -> list[str]:
    """The token strings of whole ballots, page after page, in the order render_ballots wants."""
    return [
        encode_page_token(private_key, PageToken(election_id, round, page, pages, serial))
        for serial in serials
        for page in range(1, pages + 1)
    ]
