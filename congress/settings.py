"""Settings of one congress installation, read from the environment (CONGRESS_*)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from congress.errors import CongressError
from congress.limits import Limits


def is_loopback_url(url: str) -> bool:
    """Whether the host of `url` is a loopback (or unspecified) address or a name of one."""
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


class SettingsError(CongressError):
    """The data directory or the configuration cannot be used."""

    status = 500


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    secret_key: str
    default_language: str = "vi"
    languages: tuple[str, ...] = ("vi", "en")
    https: bool = False
    public_url: str = "http://127.0.0.1:8000"
    # Addresses of reverse proxies whose X-Forwarded-For is believed (CONGRESS_TRUSTED_PROXIES,
    # comma-separated); none by default, so no client can pick the address its sign-in
    # failures are counted against.
    trusted_proxies: tuple[str, ...] = ()
    max_upload_bytes: int = 50 * 1024 * 1024
    max_document_pages: int = 500  # a congress document longer than this is refused
    render_workers: int = 2  # processes that render document pages to images
    # The hand audit's default risk limit, and how many members enter each ballot typed by hand
    # (2; 3 where the provincial practice asks for three entries).
    audit_risk_limit: str = "0.05"
    hand_entries: int = 2
    limits: Limits = field(default_factory=Limits)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def files_dir(self) -> Path:
        return self.home / "files"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def public_url_is_loopback(self) -> bool:
        """Whether `public_url` names this computer only (127.0.0.1, localhost, ::1): links and
        QR codes made with it open nowhere else, not on a delegate's phone."""
        return is_loopback_url(self.public_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        home = Path(env.get("CONGRESS_HOME", "congress-data")).expanduser().resolve()
        database_url = env.get("CONGRESS_DATABASE_URL") or f"sqlite:///{home / 'congress.db'}"
        if database_url.startswith("postgresql://"):
            # psycopg 3 is the driver; accept the plain URL people copy from their server.
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
        values: dict[str, object] = {
            "home": home,
            "database_url": database_url,
            "secret_key": env.get("CONGRESS_SECRET_KEY") or "",
            "https": env.get("CONGRESS_HTTPS", "").lower() in ("1", "true", "yes"),
            "public_url": env.get("CONGRESS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            "default_language": env.get("CONGRESS_LANGUAGE", "vi"),
            "render_workers": _positive_int(env, "CONGRESS_RENDER_WORKERS", 2),
            "audit_risk_limit": env.get("CONGRESS_AUDIT_RISK_LIMIT", "0.05").strip() or "0.05",
            "hand_entries": min(3, max(2, _positive_int(env, "CONGRESS_HAND_ENTRIES", 2))),
            "trusted_proxies": tuple(
                p.strip() for p in env.get("CONGRESS_TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
        }
        values.update(overrides)
        settings = cls(**values)  # type: ignore[arg-type]
        if not settings.secret_key:
            settings = _with_stored_secret(settings)
        return settings


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(
            "bad_setting", "%(name)s must be a whole number of at least 1", name=name
        )
    return int(text)


def ensure_home(home: Path) -> None:
    """Create the data directory, or say clearly why it cannot be used."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".write-test-{secrets.token_hex(4)}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise SettingsError(
            "home_not_writable",
            "The data directory %(path)s cannot be written: %(reason)s",
            path=str(home),
            reason=exc.strerror or str(exc),
        ) from exc


def _with_stored_secret(settings: Settings) -> Settings:
    """The session-signing secret lives in the data directory so restarts keep people logged in."""
    from dataclasses import replace

    path = settings.home / "secret.key"
    if path.exists():
        return replace(settings, secret_key=path.read_text().strip())
    try:
        ensure_home(settings.home)
    except SettingsError:
        # A read-only home is reported by the command that needs to write; sessions still work.
        return replace(settings, secret_key=secrets.token_urlsafe(32))
    secret = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secret
        return replace(settings, secret_key=path.read_text().strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    return replace(settings, secret_key=secret)
