"""Ed25519 signing keys of a congress, generated once and kept in the data directory."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from congress.files import write_once


class KeyFileError(Exception):
    """A key file is missing or unreadable."""


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_bytes(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return base64.b64encode(public_key_bytes(key)).decode("ascii")


def b64decode_any(text: str) -> bytes:
    """Base64 in either alphabet, padded or not: the database and audit bundles hold the
    standard one, the station API sends the URL-safe one unpadded. binascii.Error if not."""
    text = text.strip()
    return base64.urlsafe_b64decode(
        text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4)
    )


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """A public key written in base64 (either alphabet); ValueError or binascii.Error if not."""
    return public_key_from_bytes(b64decode_any(text))


def verify(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """The private key stored at `path` (raw 32 bytes, mode 0600), created on first use."""
    if path.exists():
        raw = path.read_bytes()
        if len(raw) != 32:
            raise KeyFileError(f"{path} is not an Ed25519 private key")
        return Ed25519PrivateKey.from_private_bytes(raw)
    # Never replace a key that another process created meanwhile: read back whichever won.
    write_once(path, private_key_bytes(generate_private_key()), mode=0o600)
    return load_or_create(path)
