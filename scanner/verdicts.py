"""Check-in verdicts at the door: each result's code, message and colour, for every gate.

The server's check-in API, the camera gate and the gate page's script (which gets the table as
JSON in the page, so it works offline) show the same words in the same colours. A badge's own
verdict is the badges capability's (`badges.token.MESSAGES`); `refusal_of` is the one place
where it becomes a door result: a refused badge keeps its code, a valid one goes on to the
door's own checks (doors open, admitted before) and ends `admitted` or `already_admitted`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from badges.token import MESSAGES as BADGE_MESSAGES
from badges.token import RefusalCode, VerdictCode
from congress.i18n import N_, Translator

DoorCode = Literal["admitted", "already_admitted", "no_sitting_open", "sitting_closed"]
ResultCode = Literal[DoorCode, RefusalCode]
Colour = Literal["green", "yellow", "red"]


@dataclass(frozen=True)
class Verdict:
    """One result a gate can show: its code, catalog message id and screen colour."""

    code: ResultCode
    # Catalog id; already_admitted takes %(time)s and %(gate)s, replaced takes %(date)s.
    message: str
    colour: Colour


_DOOR: tuple[Verdict, ...] = (
    Verdict("admitted", N_("Admitted"), "green"),
    Verdict("already_admitted", N_("Already admitted at %(time)s, gate %(gate)s"), "yellow"),
)
_CLOSED = Verdict("no_sitting_open", N_("No sitting is open for check-in"), "red")
# The sitting chosen at the gate is closed while another one is open: a wrong choice at the gate.
_OTHER_OPEN = Verdict(
    "sitting_closed",
    N_("Check-in for this sitting is closed; choose the sitting that is open"),
    "red",
)

# Keyed by plain str: codes arrive as text from the API and the stored answers.
VERDICTS: Mapping[str, Verdict] = {
    v.code: v
    for v in (
        *_DOOR,
        # Every refused badge is red, in the badge's own words.
        *(Verdict(code, BADGE_MESSAGES[code], "red") for code in get_args(RefusalCode)),
        _CLOSED,
        _OTHER_OPEN,
    )
}

# Words of the gate screen beside the verdicts.
OFFLINE_NOTE = N_("Offline: checked on this device, will be sent")
NO_NETWORK = N_("No network: scans are kept and sent later")
QUEUED = N_("waiting to be sent")
# The delegate's kind, in large words on the verdict screen.
KINDS = {"full": N_("Full delegate"), "alternate": N_("Alternate")}
# %(count)s scans made before the gate was named, kept until it is.
GATE_NEEDED = N_("Name the gate to check these in: %(count)s scans are kept")
CAMERA = {
    "missing": N_("No camera found on this device: use the barcode scanner or the name search"),
    "denied": N_("The camera is not allowed: allow it for this site in the browser's settings"),
    "busy": N_("The camera is used by another app: close it and try again"),
    "unsupported": N_("This browser cannot use the camera here: use the barcode scanner"),
    "failed": N_("The camera could not be started: use the barcode scanner or the name search"),
}


def refusal_of(badge: VerdictCode) -> RefusalCode | None:
    """The door's refusal for a badge verdict; None for a valid badge, which the door decides."""
    if badge == "valid":
        return None
    return badge


def colour_of(code: str) -> Colour:
    """The screen colour of a result code; red for a code this gate does not know."""
    verdict = VERDICTS.get(code)
    return verdict.colour if verdict is not None else "red"


def shown_message(
    tr: Translator,
    zone_name: str,
    code: ResultCode,
    *,
    admitted_at: str | None = None,
    admitted_gate: str | None = None,
    replaced_at: str | None = None,
) -> str:
    """The verdict's message in the gate's language, its times and dates filled in as the wall
    time of the congress's zone (`zone_name`), whatever the gate's own clock says.

    The times are ISO strings as the check-in answer carries them (naive ones, stored by older
    versions, are UTC).
    """
    params: dict[str, str] = {}
    if code == "already_admitted":
        params = {"time": tr.time(admitted_at, zone_name), "gate": admitted_gate or ""}
    elif code == "replaced":
        params = {"date": tr.local_date(replaced_at, zone_name) if replaced_at else "?"}
    return tr.gettext(VERDICTS[code].message, **params)


def page_table(tr: Translator) -> dict[str, Any]:
    """What the gate page's script needs to show any verdict offline, in the page's language."""
    return {
        "verdicts": {
            code: {"message": tr.gettext(v.message), "colour": v.colour}
            for code, v in VERDICTS.items()
        },
        "offline": tr.gettext(OFFLINE_NOTE),
        "network": tr.gettext(NO_NETWORK),
        "queued": tr.gettext(QUEUED),
        "kinds": {kind: tr.gettext(label) for kind, label in KINDS.items()},
        "gate_needed": tr.gettext(GATE_NEEDED),
        "camera": {problem: tr.gettext(text) for problem, text in CAMERA.items()},
    }
