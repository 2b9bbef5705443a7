"""Badges against the register: issue a delegate's token, check a scanned one, reissue, revoke.

Gates, the documents portal sign-in and the CLI all decide through `check_badge`, so one rule
set answers everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session, joinedload

from badges.token import (
    BadgeToken,
    BadgeTokenError,
    BadgeVerdict,
    DelegateBadgeState,
    decide,
    parse_badge,
    sign_badge,
    verify_badge,
)
from congress import audit
from congress.models import Congress, Delegate, utcnow
from congress.settings import Settings
from congress.signing import public_key, public_keys, signing_key


@dataclass(frozen=True)
class BadgeAnswer:
    verdict: BadgeVerdict
    delegate: Delegate | None  # the register's delegate the token names, when it is one of ours


def issue_token(settings: Settings, session: Session, delegate: Delegate) -> str:
    """The token of the delegate's current badge (signs with the congress key, made on first use)."""
    congress = session.get(Congress, delegate.congress_id)
    assert congress is not None
    key = signing_key(settings, session, congress)
    return sign_badge(key, BadgeToken(congress.id, delegate.id, delegate.badge_version))


def delegate_state(delegate: Delegate | None) -> DelegateBadgeState | None:
    if delegate is None:
        return None
    return DelegateBadgeState(
        current_version=delegate.badge_version,
        revoked=delegate.revoked_at is not None,
        replaced_at=delegate.badge_replaced_at,
    )


def check_badge(session: Session, congress: Congress, text: str) -> BadgeAnswer:
    """The verdict for a scanned text at a gate (or sign-in) of `congress`."""
    own = public_key(congress)
    # Nothing of a congress is signed before its key exists, so without one no badge is genuine.
    keys: dict[int, Ed25519PublicKey] = {congress.id: own or _NO_KEY}
    try:
        named = parse_badge(text)[0].congress_id
    except BadgeTokenError:
        named = congress.id  # malformed: verify_badge says so
    if named != congress.id:
        # Another congress's badge: its key tells a genuine one from a forgery.
        keys.update(public_keys(session))
        keys[congress.id] = own or _NO_KEY
    check = verify_badge(keys, text, congress.id)
    delegate = None
    if check.ok and check.token is not None:
        found = session.get(
            Delegate, check.token.delegate_id, options=[joinedload(Delegate.delegation)]
        )
        if found is not None and found.congress_id == congress.id:
            delegate = found
    return BadgeAnswer(decide(check, delegate_state(delegate)), delegate)


def reissue(session: Session, delegate: Delegate, actor: str, reason: str = "") -> int:
    """A new badge for the delegate: every older version is refused from now on."""
    delegate.badge_version += 1
    delegate.badge_replaced_at = utcnow()
    audit.record(
        session,
        actor,
        "badge.reissued",
        congress_id=delegate.congress_id,
        subject=delegate.code,
        version=delegate.badge_version,
        reason=reason,
    )
    return delegate.badge_version


def revoke(session: Session, delegate: Delegate, actor: str, reason: str = "") -> None:
    """Refuse every version of the delegate's badge (the register keeps the delegate)."""
    if delegate.revoked_at is None:
        delegate.revoked_at = utcnow()
        audit.record(
            session,
            actor,
            "badge.revoked",
            congress_id=delegate.congress_id,
            subject=delegate.code,
            reason=reason,
        )


def _unusable_key() -> Ed25519PublicKey:

    # A key whose private half is discarded at once: nothing verifies against it.
    return Ed25519PrivateKey.generate().public_key()


_NO_KEY = _unusable_key()


def change_badge(
    session: Session, congress: Congress, code: str, action: str, actor: str, reason: str = ""
) -> tuple[Delegate, int | None]:
    """Reissue or revoke the badge of the delegate with `code`; the new version on reissue."""
    from sqlalchemy import select

    from congress.errors import CongressError

    delegate = session.scalar(
        select(Delegate).where(Delegate.congress_id == congress.id, Delegate.code == code)
    )
    if delegate is None:
        raise CongressError(
            "unknown_delegate_codes", "No delegate with the code(s) %(codes)s", codes=code
        )
    if action == "revoke":
        revoke(session, delegate, actor, reason)
        return delegate, None
    if delegate.revoked_at is not None:
        raise CongressError(
            "badge_revoked", "The badge of %(name)s is revoked", name=delegate.full_name
        )
    return delegate, reissue(session, delegate, actor, reason)
