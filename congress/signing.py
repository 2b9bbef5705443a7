"""The congress key: one Ed25519 key pair per congress signs its badges and its ballot serials.

The private key lives in the data directory of the machine that prints
(`keys/congress-<id>-<created>.ed25519`, mode 0600); the public key is recorded on the congress
row, so that gates and tally stations sharing the database verify offline without ever holding
the private key.
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from congress import audit
from congress.errors import CongressError
from congress.keys import load_or_create, public_key_b64, public_key_from_bytes
from congress.models import Congress
from congress.settings import Settings


def key_path(settings: Settings, congress: Congress) -> Path:
    # The creation time is in the name because SQLite may give a deleted congress's id to a new
    # one: the new congress must never inherit the old key (old badges would verify).
    stamp = congress.created_at.strftime("%Y%m%dT%H%M%S%f")
    return settings.home / "keys" / f"congress-{congress.id}-{stamp}.ed25519"


def signing_key(settings: Settings, session: Session, congress: Congress) -> Ed25519PrivateKey:
    """This congress's private key, created and registered on first use.

    Refuses, rather than silently signing with a second key, when the database already names
    a public key that the key file here does not match (the key is on another machine).
    """
    path = key_path(settings, congress)
    if congress.public_key is not None and not path.exists():
        raise CongressError(
            "signing_key_elsewhere",
            "The signing key of this congress is not on this machine (%(path)s); "
            "sign on the machine that holds it or copy the key file here",
            status=409,
            path=str(path),
        )
    key = load_or_create(path)
    mine = public_key_b64(key)
    if congress.public_key is None:
        # Only one machine may register the key: the update applies only while it is unset.
        result = session.execute(
            update(Congress)
            .where(Congress.id == congress.id, Congress.public_key.is_(None))
            .values(public_key=mine)
        )
        session.refresh(congress)
        if getattr(result, "rowcount", 0) == 1:
            audit.record(
                session, "system", "congress.key_created", congress_id=congress.id, subject=mine
            )
    if congress.public_key != mine:
        raise CongressError(
            "signing_key_mismatch",
            "The key file %(path)s does not match the key registered for this congress",
            status=409,
            path=str(path),
        )
    return key


def public_key(congress: Congress) -> Ed25519PublicKey | None:
    """The congress's public key, or None before anything was signed."""
    if not congress.public_key:
        return None
    return public_key_from_bytes(base64.b64decode(congress.public_key))


def public_keys(session: Session) -> dict[int, Ed25519PublicKey]:
    """Every registered congress key by congress id (to recognise other congresses' badges)."""
    rows = session.execute(
        select(Congress.id, Congress.public_key).where(Congress.public_key.is_not(None))
    )
    return {cid: public_key_from_bytes(base64.b64decode(pk)) for cid, pk in rows if pk}
