"""One delegate of the register: read within least data, edited with every field checked as the
import checks it, each change written to the audit log, and that log read back as words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from congress import audit
from congress.congresses import PERSONAL_FIELDS
from congress.delegate_import import EMAIL_RE, PHONE_RE
from congress.errors import CongressError, NotFound
from congress.i18n import N_
from congress.models import DELEGATE_KINDS, GENDERS, AuditEvent, Congress, Delegate, Delegation
from congress.vietnamese import fold, name_sort_string, nfc

# The register's fields as a person reads them (msgids), in the order the pages show them.
FIELD_LABELS: dict[str, str] = {
    "code": N_("Code"),
    "full_name": N_("Full name"),
    "delegation": N_("Delegation"),
    "kind": N_("Kind"),
    "gender": N_("Gender"),
    "birth_date": N_("Birth date"),
    "position": N_("Position"),
    "unit": N_("Unit"),
    "phone": N_("Phone"),
    "email": N_("Email"),
}
GENDER_LABELS = {"male": N_("Male"), "female": N_("Female"), "other": N_("Other")}
KIND_LABELS = {"full": N_("Full delegate"), "alternate": N_("Alternate delegate")}
VALUE_LABELS = {"gender": GENDER_LABELS, "kind": KIND_LABELS}
# The widths of the columns: an edit never sends the database a longer value.
MAX_LENGTH = {"full_name": 120, "position": 200, "unit": 200, "phone": 40, "email": 200}
EDITABLE = ("full_name", "delegation", "kind", "gender", "birth_date", "position", "unit")
EDITABLE_PERSONAL = ("phone", "email")
# What the audit log says of a delegate, as words; an action not named here shows its code.
ACTION_LABELS = {
    "delegate.edit": N_("Details changed"),
    "badge.reissued": N_("New badge issued"),
    "badge.revoked": N_("Badge revoked"),
}
HISTORY_ROWS = 200


def get_delegate(session: Session, congress: Congress, delegate_id: int) -> Delegate:
    delegate = session.scalar(
        select(Delegate)
        .where(Delegate.id == delegate_id, Delegate.congress_id == congress.id)
        .options(joinedload(Delegate.delegation))
    )
    if delegate is None:
        raise NotFound("unknown_delegate", "There is no such delegate")
    return delegate


@dataclass
class DelegateForm:
    """The edit form's values as posted (strings, bounded before anything reads them)."""

    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, form: Mapping[str, Any]) -> DelegateForm:
        names = (*EDITABLE, *EDITABLE_PERSONAL)
        # Twice the widest column: enough to say "too long", never a megabyte held.
        return cls({n: str(form.get(n, ""))[:400] for n in names if isinstance(form.get(n), str)})

    @classmethod
    def from_delegate(cls, delegate: Delegate) -> DelegateForm:
        return cls(
            {
                "full_name": delegate.full_name,
                "delegation": str(delegate.delegation_id),
                "kind": delegate.kind,
                "gender": delegate.gender or "",
                "birth_date": delegate.birth_date.isoformat() if delegate.birth_date else "",
                "position": delegate.position or "",
                "unit": delegate.unit or "",
                "phone": delegate.phone or "",
                "email": delegate.email or "",
            }
        )


class FieldRefused(CongressError):
    """One field of the edit form refused; `field` names it."""

    def __init__(self, field_name: str, message: str, **params: Any) -> None:
        super().__init__("bad_delegate_field", message, **params)
        self.field = field_name


def checked_values(
    session: Session, congress: Congress, form: DelegateForm, personal: bool
) -> dict[str, Any]:
    """The form's values as the register stores them, each checked; the first wrong one refused.

    `personal` says whether the editor may touch birth date, phone and email (least data):
    without it they are neither read from the form nor changed."""
    v = form.values
    out: dict[str, Any] = {}
    name = " ".join(nfc(v.get("full_name", "")).split())
    if not name:
        raise FieldRefused("full_name", "The full name is empty")
    if len(name) > MAX_LENGTH["full_name"]:
        raise FieldRefused("full_name", "The full name is longer than 120 characters")
    if any(ch.isdigit() for ch in name):
        raise FieldRefused("full_name", "A name cannot contain digits")
    out["full_name"] = name
    try:
        delegation_id = int(v.get("delegation", ""))
    except ValueError:
        delegation_id = 0
    delegation = session.get(Delegation, delegation_id) if 0 < delegation_id < 2**31 else None
    if delegation is None or delegation.congress_id != congress.id:
        raise FieldRefused("delegation", "Choose one of the congress's delegations")
    out["delegation"] = delegation
    if v.get("kind") not in DELEGATE_KINDS:
        raise FieldRefused(
            "kind", "The delegate type must be Chính thức or Dự khuyết (full or alternate)"
        )
    out["kind"] = v["kind"]
    gender = v.get("gender", "")
    if gender and gender not in GENDERS:
        raise FieldRefused("gender", "Gender must be Nam, Nữ or Khác (male, female, other)")
    out["gender"] = gender or None
    for text_field in ("position", "unit"):
        text = " ".join(nfc(v.get(text_field, "")).split())
        if len(text) > MAX_LENGTH[text_field]:
            raise FieldRefused(text_field, "At most %(max)s characters", max=MAX_LENGTH[text_field])
        out[text_field] = text
    if not personal:
        return out
    born = v.get("birth_date", "").strip()
    if born:
        try:
            birth_date = dt.date.fromisoformat(born)
        except ValueError as exc:
            raise FieldRefused("birth_date", "Not a date: write dd/mm/yyyy or yyyy-mm-dd") from exc
        if not dt.date(1900, 1, 1) <= birth_date <= dt.date.today():
            raise FieldRefused("birth_date", "The birth date is not plausible")
        out["birth_date"] = birth_date
    else:
        out["birth_date"] = None
    phone = v.get("phone", "").strip()
    if phone and (len(phone) > MAX_LENGTH["phone"] or not PHONE_RE.match(phone)):
        raise FieldRefused("phone", "Not a phone number")
    out["phone"] = phone or None
    email = v.get("email", "").strip()
    if email and (len(email) > MAX_LENGTH["email"] or not EMAIL_RE.match(email)):
        raise FieldRefused("email", "Not an e-mail address")
    out["email"] = email or None
    return out


def _shown(value: Any) -> Any:
    if isinstance(value, Delegation):
        return value.name
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def edit_delegate(
    session: Session,
    congress: Congress,
    delegate: Delegate,
    form: DelegateForm,
    *,
    personal: bool,
    actor: str,
) -> list[str]:
    """Apply the form to the delegate; returns the fields changed (none: nothing recorded).

    The audit event names every changed field; it keeps the old and new values of the
    register's ordinary fields but never those of the personal ones, which the log's other
    readers may not see."""
    values = checked_values(session, congress, form, personal)
    changed: dict[str, list[Any]] = {}
    personal_changed: list[str] = []
    for name, new in values.items():
        old = delegate.delegation if name == "delegation" else getattr(delegate, name)
        if old == new or (name == "delegation" and old.id == new.id):
            continue
        if name in PERSONAL_FIELDS:
            personal_changed.append(name)
        else:
            changed[name] = [_shown(old), _shown(new)]
        setattr(delegate, name, new)
    if not changed and not personal_changed:
        return []
    delegate.sort_key = name_sort_string(delegate.full_name)
    delegate.search_text = " ".join(
        fold(x) for x in (delegate.full_name, delegate.code, delegate.unit, delegate.position) if x
    )
    session.flush()
    audit.record(
        session,
        actor,
        "delegate.edit",
        congress_id=congress.id,
        subject=delegate.code,
        changed=changed,
        personal=personal_changed,
    )
    return [*changed, *personal_changed]


@dataclass(frozen=True)
class Change:
    label: str  # the field's msgid
    old: Any  # None for a personal field: the log does not keep its values
    new: Any
    words: bool  # old and new are msgids (a kind, a gender), translated where shown


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    actor: str
    action: str  # msgid when known, else the action's code
    changes: list[Change]
    reason: str


def history(session: Session, congress: Congress, delegate: Delegate) -> list[HistoryLine]:
    """What the audit log holds of this delegate (edits, badges), newest first."""
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.congress_id == congress.id, AuditEvent.subject == delegate.code)
        .where(AuditEvent.action.in_(tuple(ACTION_LABELS)))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(HISTORY_ROWS)
    )
    lines = []
    for event in events:
        details = event.details or {}
        changes: list[Change] = []
        for name, pair in (details.get("changed") or {}).items():
            old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, None)
            words: dict[Any, str] = dict(VALUE_LABELS.get(name, {}))
            changes.append(
                Change(FIELD_LABELS.get(name, name), words.get(old, old), words.get(new, new),
                       bool(words))
            )  # fmt: skip
        for name in details.get("personal") or []:
            changes.append(Change(FIELD_LABELS.get(name, name), None, None, False))
        lines.append(
            HistoryLine(
                at=event.at,
                actor=event.actor,
                action=ACTION_LABELS.get(event.action, event.action),
                changes=changes,
                reason=str(details.get("reason") or ""),
            )
        )
    return lines
