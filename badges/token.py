"""Signed delegate badge tokens: encode, parse, verify offline, and decide a gate verdict."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from congress.i18n import N_
from congress.keys import verify


@dataclass(frozen=True)
class BadgeTokenSettings:
    """Limits of the token format; changing any of them is a new format version."""

    prefix: str = "D1"  # "D" delegate badge, format version 1; QR alphanumeric mode holds it
    # Signed bytes start with a context string so that a congress key signing anything else
    # (ballot pages, exports) can never yield a valid badge.
    signing_context: bytes = b"congress/delegate-badge/v1\x00"
    # Longer input is refused before any decoding: a wedge scanner can type anything.
    max_input_chars: int = 200
    url_marker: str = "/b/"  # the soft badge link is <base>/b/<token>


SETTINGS = BadgeTokenSettings()

# congress_id u32, delegate_id u32, version u16, big-endian
_FIELDS = struct.Struct(">IIH")
_SIGNATURE_BYTES = 64
TOKEN_BYTES = _FIELDS.size + _SIGNATURE_BYTES  # 74
_BODY_CHARS = (TOKEN_BYTES * 8 + 4) // 5  # 119 base32 characters, no padding
TOKEN_LENGTH = len(SETTINGS.prefix) + _BODY_CHARS  # 121: QR version 5 at error correction M
_BASE32 = re.compile(r"[A-Z2-7]+")
_PAD = "=" * ((8 - _BODY_CHARS % 8) % 8)

CheckCode = Literal["valid", "malformed", "other_congress", "forged"]
# Every verdict but "valid" turns the holder away.
RefusalCode = Literal["replaced", "revoked", "unknown", "forged", "other_congress", "malformed"]
VerdictCode = Literal["valid", RefusalCode]

# One message per verdict for the person at the gate (English catalog ids; %(date)s is the
# replacement date, formatted by the caller in the reader's language).
MESSAGES: Mapping[VerdictCode, str] = {
    "valid": N_("Badge valid"),
    "replaced": N_("Badge replaced on %(date)s: this is an old badge"),
    "revoked": N_("Badge revoked"),
    "unknown": N_("Unknown delegate"),
    "forged": N_("Badge signature does not verify: forged or altered badge"),
    "other_congress": N_("Badge of another congress"),
    "malformed": N_("Not a delegate badge"),
}


class BadgeTokenError(Exception):
    """Text that is not a badge token; `code` is always "malformed", `detail` says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"malformed: {detail}")
        self.code: Literal["malformed"] = "malformed"
        self.detail = detail


@dataclass(frozen=True)
class BadgeToken:
    """What a badge QR says: whose badge, for which congress, and which issue of it."""

    congress_id: int
    delegate_id: int
    version: int  # 1 for the first badge; raised by one each time a badge is replaced

    def __post_init__(self) -> None:
        if not 1 <= self.congress_id <= 0xFFFFFFFF:
            raise ValueError(f"congress_id out of range: {self.congress_id}")
        if not 1 <= self.delegate_id <= 0xFFFFFFFF:
            raise ValueError(f"delegate_id out of range: {self.delegate_id}")
        if not 1 <= self.version <= 0xFFFF:
            raise ValueError(f"version out of range: {self.version}")

    def fields(self) -> bytes:
        return _FIELDS.pack(self.congress_id, self.delegate_id, self.version)

    def signed_bytes(self) -> bytes:
        """The exact bytes the Ed25519 signature covers: context string, then the fields."""
        return SETTINGS.signing_context + self.fields()


@dataclass(frozen=True)
class BadgeCheck:
    """What the token alone tells: well formed, for this congress, signed by its key."""

    code: CheckCode
    token: BadgeToken | None  # None when malformed
    detail: str = ""  # for logs, not for the gate

    @property
    def ok(self) -> bool:
        return self.code == "valid"


@dataclass(frozen=True)
class DelegateBadgeState:
    """The register's view of a delegate's badge, looked up by (congress_id, delegate_id)."""

    current_version: int
    revoked: bool
    replaced_at: dt.datetime | None = None


@dataclass(frozen=True)
class BadgeVerdict:
    """The answer shown at the gate: one code of a fixed vocabulary and its message."""

    code: VerdictCode
    token: BadgeToken | None
    message: str  # catalog message id; format with {"date": <replaced_at formatted>}
    replaced_at: dt.datetime | None = None
    detail: str = ""

    @property
    def admitted(self) -> bool:
        return self.code == "valid"


def sign_badge(private_key: Ed25519PrivateKey, token: BadgeToken) -> str:
    """The QR text of `token`: prefix + base32 (upper case, unpadded) of fields + signature."""
    signature = private_key.sign(token.signed_bytes())
    body = base64.b32encode(token.fields() + signature).decode("ascii").rstrip("=")
    return SETTINGS.prefix + body


def badge_url(base_url: str, token_text: str) -> str:
    """The soft badge link `<base>/b/<token>` that `parse_badge` also accepts."""
    return base_url.rstrip("/") + SETTINGS.url_marker + token_text


def _token_text(text: str) -> str:
    """The bare token of scanner or link input: trimmed, URL path stripped, upper-cased."""
    if not isinstance(text, str):
        raise BadgeTokenError("not text")
    if len(text) > SETTINGS.max_input_chars:
        raise BadgeTokenError(f"longer than {SETTINGS.max_input_chars} characters")
    # Wedge scanners with Caps Lock or a lower-casing keyboard layout change the letter case.
    text = text.strip().upper()
    marker = text.rfind(SETTINGS.url_marker.upper())
    if marker >= 0:
        text = text[marker + len(SETTINGS.url_marker) :]
        for end in "?#":
            text = text.split(end, 1)[0]
        text = text.rstrip("/")
    return text


def parse_badge(text: str) -> tuple[BadgeToken, bytes, bytes]:
    """(token, signed bytes, signature) of a scanned text; raises BadgeTokenError if malformed.

    Accepts the bare token, in any letter case with surrounding white space, or the soft badge
    link `<base>/b/<token>`. Does not check the signature: see `verify_badge`.
    """
    token_text = _token_text(text)
    if not token_text.startswith(SETTINGS.prefix):
        raise BadgeTokenError("not a badge token prefix")
    body = token_text[len(SETTINGS.prefix) :]
    if len(body) != _BODY_CHARS:
        raise BadgeTokenError(f"body is {len(body)} characters, not {_BODY_CHARS}")
    if not _BASE32.fullmatch(body):
        raise BadgeTokenError("character outside base32")
    try:
        raw = base64.b32decode(body + _PAD)
    except (binascii.Error, ValueError) as exc:
        raise BadgeTokenError("base32 does not decode") from exc
    # The last character carries unused bits; only the canonical form is accepted so that
    # every accepted text maps to exactly one byte string (no silently equivalent tokens).
    if base64.b32encode(raw).decode("ascii").rstrip("=") != body:
        raise BadgeTokenError("non-canonical base32 (unused bits set)")
    congress_id, delegate_id, version = _FIELDS.unpack(raw[: _FIELDS.size])
    try:
        token = BadgeToken(congress_id, delegate_id, version)
    except ValueError as exc:
        raise BadgeTokenError(str(exc)) from exc
    return token, token.signed_bytes(), raw[_FIELDS.size :]


def verify_badge(
    keys: Mapping[int, Ed25519PublicKey] | tuple[int, Ed25519PublicKey],
    text: str,
    congress_id: int | None = None,
) -> BadgeCheck:
    """Checks a scanned text offline against the congress public key(s).

    `keys` is either (congress_id, public_key) of the congress at this gate, or a mapping of
    congress id to public key; with a mapping of more than one congress, `congress_id` names
    the congress at this gate and the others only serve to recognise genuine badges of other
    congresses. Order of checks: malformed, other_congress, forged, valid.
    """
    key_map: Mapping[int, Ed25519PublicKey] = (
        {keys[0]: keys[1]} if isinstance(keys, tuple) else keys
    )
    if congress_id is None:
        if len(key_map) != 1:
            raise ValueError("name the congress at this gate: congress_id")
        congress_id = next(iter(key_map))
    try:
        token, signed, signature = parse_badge(text)
    except BadgeTokenError as exc:
        return BadgeCheck("malformed", None, exc.detail)
    if token.congress_id != congress_id:
        other_key = key_map.get(token.congress_id)
        if other_key is not None and not verify(other_key, signature, signed):
            return BadgeCheck("forged", token, "signature of the other congress does not verify")
        # Without the other congress's key the badge cannot be proven genuine, but it is
        # refused here either way and "another congress" is what helps the person at the gate.
        return BadgeCheck("other_congress", token, f"badge of congress {token.congress_id}")
    key = key_map.get(congress_id)
    if key is None:
        raise ValueError(f"no public key for congress {congress_id}")
    if not verify(key, signature, signed):
        return BadgeCheck("forged", token, "signature does not verify")
    return BadgeCheck("valid", token)


def decide(check: BadgeCheck, state: DelegateBadgeState | None) -> BadgeVerdict:
    """The gate verdict from the token check and the register's state of that delegate.

    `state` is None when the register has no such delegate in this congress. The rules, in
    order: a failed check stands; no delegate -> unknown; revoked -> revoked; a version older
    than the current one -> replaced. A version newer than the register knows is valid: the
    signature proves the organisers issued it, and an offline gate with a stale copy of the
    register must not turn away the holder of a freshly reissued badge.
    """
    if check.code != "valid" or check.token is None:
        code: VerdictCode = check.code if check.code != "valid" else "malformed"
        return BadgeVerdict(code, check.token, MESSAGES[code], detail=check.detail)
    token = check.token
    if state is None:
        return BadgeVerdict("unknown", token, MESSAGES["unknown"])
    if state.revoked:
        return BadgeVerdict("revoked", token, MESSAGES["revoked"])
    if token.version < state.current_version:
        return BadgeVerdict(
            "replaced",
            token,
            MESSAGES["replaced"],
            replaced_at=state.replaced_at,
            detail=f"version {token.version}, current {state.current_version}",
        )
    detail = "" if token.version == state.current_version else "newer than the register"
    return BadgeVerdict("valid", token, MESSAGES["valid"], detail=detail)
