"""Staff accounts, sessions and station tokens: passwords, roles, sign-in limits, CSRF tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from congress import audit
from congress.errors import Conflict, CongressError
from congress.models import ROLES, ApiToken, StaffUser, WebSession, utcnow

MAX_TOKEN_NAME = 80  # the column's size

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not a real password")


@dataclass(frozen=True)
class Principal:
    """Who is acting: a staff user (session) or a station token (bearer)."""

    name: str
    roles: frozenset[str]
    kind: str  # "user" | "token"
    id: int

    def has(self, *roles: str) -> bool:
        return "admin" in self.roles or any(r in self.roles for r in roles)


def parse_roles(text: str) -> list[str]:
    roles = [r.strip() for r in text.split(",") if r.strip()]
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise CongressError(
            "unknown_role",
            "Unknown role %(role)s; the roles are: %(roles)s",
            role=", ".join(unknown) or "(none)",
            roles=", ".join(ROLES),
        )
    return roles


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def add_user(
    session: Session,
    username: str,
    roles: list[str],
    password: str,
    actor: str,
    full_name: str = "",
) -> StaffUser:
    username = username.strip()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        raise CongressError("bad_username", "A user name is one word of at most 80 characters")
    if len(password) < 8:
        raise CongressError("weak_password", "A password needs at least 8 characters")
    if session.scalar(select(StaffUser).where(StaffUser.username == username)):
        raise Conflict("user_exists", "The user %(name)s already exists", name=username)
    user = StaffUser(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        roles=",".join(parse_roles(",".join(roles))),
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.add", subject=username, roles=user.roles)
    return user


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    ok = check_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(session: Session, user: StaffUser, password: str, actor: str) -> None:
    """A new password ends every session of the user: whoever knew the old one is signed out."""
    if len(password) < 8:
        raise CongressError("weak_password", "A password needs at least 8 characters")
    user.password_hash = hash_password(password)
    ended = end_user_sessions(session, user)
    audit.record(session, actor, "user.password", subject=user.username, sessions_ended=ended)


def start_session(
    session: Session,
    *,
    staff_user_id: int | None = None,
    delegate_id: int | None = None,
    forget_idle_seconds: int | None = None,
) -> str:
    """A new server-side session; the returned secret goes in the signed cookie, never stored.

    Sessions idle longer than `forget_idle_seconds` (no kind of session lives that long) are
    deleted on the way, so the table holds the live ones, not every sign-in ever made.
    """
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    if forget_idle_seconds is not None:
        stale = now - dt.timedelta(seconds=forget_idle_seconds)
        session.execute(delete(WebSession).where(WebSession.last_seen_at < stale))
    session.add(
        WebSession(
            secret_sha256=token_digest(secret),
            staff_user_id=staff_user_id,
            delegate_id=delegate_id,
            created_at=now,
            last_seen_at=now,
        )
    )
    return secret


def live_session(
    session: Session,
    secret: object,
    idle_seconds: int,
    *,
    staff_user_id: int | None = None,
    delegate_id: int | None = None,
) -> WebSession | None:
    """The session of the cookie's secret if it still stands for this user or delegate."""
    if not isinstance(secret, str) or not secret:
        return None
    row = session.get(WebSession, token_digest(secret))
    if row is None or row.staff_user_id != staff_user_id or row.delegate_id != delegate_id:
        return None
    if row.last_seen_at < utcnow() - dt.timedelta(seconds=idle_seconds):
        return None
    return row


def touch_sessions(session: Session, digests: list[str]) -> None:
    """Record that these sessions were used now: what their idle time is counted from."""
    session.execute(
        update(WebSession)
        .where(WebSession.secret_sha256.in_(digests))
        .values(last_seen_at=utcnow())
    )


def end_session(session: Session, secret: object) -> None:
    if isinstance(secret, str) and secret:
        session.execute(delete(WebSession).where(WebSession.secret_sha256 == token_digest(secret)))


def end_user_sessions(session: Session, user: StaffUser) -> int:
    """End every session of a staff user (all their browsers); returns how many there were."""
    result = session.execute(delete(WebSession).where(WebSession.staff_user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


def end_sessions_of(session: Session, username: str, actor: str) -> int:
    """An admin's "end all sessions" of one user, recorded in the audit log."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise CongressError("unknown_user", "No such user: %(name)s", name=username, status=404)
    ended = end_user_sessions(session, user)
    audit.record(session, actor, "user.end_sessions", subject=user.username, ended=ended)
    return ended


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, roles: list[str], actor: str) -> tuple[ApiToken, str]:
    """A new bearer token; the secret is returned once and only its digest is kept."""
    # The name becomes the actor ("token:NAME") recorded on what the token does: bounded here,
    # so no record has to cut it.
    if len(name) > MAX_TOKEN_NAME:
        raise CongressError(
            "bad_token_name",
            "A token name has at most %(max)s characters",
            max=MAX_TOKEN_NAME,
        )
    secret = "cgt_" + secrets.token_urlsafe(32)
    record = ApiToken(
        name=name,
        token_sha256=token_digest(secret),
        roles=",".join(parse_roles(",".join(roles))),
        created_by=actor,
    )
    session.add(record)
    session.flush()
    audit.record(session, actor, "token.create", subject=name, roles=record.roles)
    return record, secret


def principal_for_token(session: Session, secret: str) -> Principal | None:
    record = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_digest(secret)))
    if record is None or record.revoked_at is not None:
        return None
    return Principal(name=f"token:{record.name}", roles=record.role_set, kind="token", id=record.id)


def principal_for_user(user: StaffUser) -> Principal:
    return Principal(name=user.username, roles=user.role_set, kind="user", id=user.id)


def revoke_token(session: Session, token_id: int, actor: str) -> None:
    record = session.get(ApiToken, token_id)
    if record is None:
        raise CongressError("unknown_token", "No such token", status=404)
    record.revoked_at = utcnow()
    audit.record(session, actor, "token.revoke", subject=record.name)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


class LoginLimiter:
    """Failed attempts in a sliding window, refused once over a limit.

    Counted per (address, user name), and, when given, per address whatever the name (spraying
    names from one place) and per name whatever the address (one account from many places).
    """

    def __init__(
        self,
        attempts: int,
        window_seconds: float,
        *,
        per_address: int | None = None,
        per_account: int | None = None,
        max_keys: int = 100_000,
    ) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self.per_address = per_address
        self.per_account = per_account
        self.max_keys = max_keys
        self._failures: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def _limits(self, address: str, username: str) -> list[tuple[tuple[str, ...], int]]:
        name = username.lower()
        limits: list[tuple[tuple[str, ...], int]] = [(("pair", address, name), self.attempts)]
        if self.per_address is not None:
            limits.append((("address", address), self.per_address))
        if self.per_account is not None:
            limits.append((("account", name), self.per_account))
        return limits

    def retry_after(self, address: str, username: str) -> int:
        """Seconds until another attempt is allowed; 0 when it is allowed now."""
        now = time.monotonic()
        wait = 0
        with self._lock:
            for key, limit in self._limits(address, username):
                failures = self._recent(key, now)
                if len(failures) >= limit:
                    wait = max(wait, int(failures[-limit] + self.window - now) + 1)
        return wait

    def failed(self, address: str, username: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= self.max_keys:
                self._forget_expired(now)
            for key, _ in self._limits(address, username):
                self._recent(key, now).append(now)

    def succeeded(self, address: str, username: str) -> None:
        # Only the pair is forgiven: one good password must not reset what an address or an
        # account has spent on guesses at other names or from other places.
        with self._lock:
            self._failures.pop(("pair", address, username.lower()), None)

    def _forget_expired(self, now: float) -> None:
        for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window]:
            del self._failures[key]
