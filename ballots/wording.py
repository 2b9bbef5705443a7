"""A count's codes as a person reads them: candidate names, marks, scores, notes, reasons, sources.

Codes (target ids, reason codes, "web", "station:...") stay in the JSON API and the audit bundle;
every page, image, export and the minutes say them with these words, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from ballots.paper.layout import BallotLayout
from ballots.reasons import NOTE_NAMES, REASON_NAMES, STATUS_NAMES
from congress.i18n import N_, Translator

# What a target's choice is called, and what a vote for it is called in the results.
CHOICE_NAMES: dict[str, str] = {
    "elect": N_("votes"),
    "strike": N_("struck"),
    "agree": N_("agree"),
    "disagree": N_("disagree"),
    "yes": N_("yes"),
    "no": N_("no"),
    "high": N_("high confidence"),
    "normal": N_("confidence"),
    "low": N_("low confidence"),
}
# A mark as the committee reads it, by form: a struck name, or a marked box.
MARK_NAMES: dict[tuple[bool, str], str] = {
    (True, "marked"): N_("struck"),
    (True, "unmarked"): N_("not struck"),
    (True, "ambiguous"): N_("doubtful"),
    (False, "marked"): N_("marked"),
    (False, "unmarked"): N_("not marked"),
    (False, "ambiguous"): N_("doubtful"),
}
WEB_STATION = "web"  # what the upload on the count page records as its station
STATION_ACTOR = "station:"  # a station counting on the server's machine records its name so


class Wording:
    """One count's words in one language: built per page (or export) with the round's layout."""

    def __init__(
        self,
        tr: Translator,
        layout: BallotLayout | None = None,
        dpi: str = "",
        *,
        form: str | None = None,
        candidates: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """`candidates` ({"item", "name", "number"}: a tally's) name the items when there is no
        layout at hand (the minutes of a recorded tally)."""
        self.tr = tr
        self.layout = layout
        self.dpi = dpi
        self.form = layout.form if layout is not None else (form or "strike")
        self.items: dict[str, tuple[int, str]] = {
            str(c["item"]): (int(c["number"]), str(c["name"])) for c in candidates
        }
        if layout is not None:
            self.items.update({i.id: (i.number, i.label) for i in layout.items})

    @property
    def strike(self) -> bool:
        return self.form == "strike"

    def item(self, item_id: str | None) -> str:
        """ "3. Nguyễn Thị An": the printed number and the name (or the question)."""
        item = self.items.get(str(item_id))
        if item is None:
            return self.tr.gettext("a name not on this ballot")
        return f"{item[0]}. {item[1]}"

    def target(self, target_id: str) -> str:
        """The candidate of a target, with the box's choice on box forms ("An — đồng ý")."""
        item, _, choice = str(target_id).partition(".")
        if item not in self.items:
            return self.tr.gettext("a mark not on this ballot")
        name = self.item(item)
        if self.strike:
            return name
        return f"{name} — {self.choice(choice)}"

    def choice(self, code: str) -> str:
        message = CHOICE_NAMES.get(code)
        return self.tr.gettext(message) if message else self.tr.gettext("another choice")

    def mark(self, state: str) -> str:
        message = MARK_NAMES.get((self.strike, state))
        return self.tr.gettext(message) if message else self.tr.gettext("not read")

    def marks(self, marks: Mapping[str, Any]) -> str:
        """{target: marked/unmarked} as "1. An: struck; 3. Châu: not struck"."""
        return "; ".join(
            f"{self.target(t)}: {self.mark(str(v))}"
            for t, v in sorted(marks.items(), key=lambda kv: self._order(kv[0]))
        )

    def _order(self, target_id: str) -> tuple[int, str]:
        item = self.items.get(str(target_id).partition(".")[0])
        return (item[0] if item is not None else 10**6, target_id)

    def share(self, fraction: float | None) -> str:
        """A score (0..1) as a whole percentage in the reader's language: "12%"."""
        if fraction is None:
            return "—"
        return self.tr.number(round(max(0.0, min(1.0, float(fraction))) * 100)) + "%"

    def score(self, score: float | None) -> str:
        """What the reader measured, as a share a person understands."""
        if self.strike:
            return self.tr.gettext("a stroke across %(share)s of the name", share=self.share(score))
        return self.tr.gettext("ink on %(share)s of the box", share=self.share(score))

    def note(self, code: str | None) -> str:
        if not code:
            return ""
        message = NOTE_NAMES.get(code)
        if message is None:
            return self.tr.gettext("a remark of the reader")
        return (
            self.tr.gettext(message, dpi=self.number_text(self.dpi))
            if "%(dpi)" in message
            else (self.tr.gettext(message))
        )

    def number_text(self, value: Any) -> str:
        try:
            return format_decimal(Decimal(str(value)), locale=self.tr.lang)
        except (ArithmeticError, ValueError):
            return str(value)

    def reason(self, code: str) -> str:
        message = REASON_NAMES.get(code)
        return (
            self.tr.gettext(message) if message else self.tr.gettext("a reason of another version")
        )

    def reasons(self, codes: Any) -> str:
        return "; ".join(self.reason(str(c)) for c in codes or [])

    def status(self, code: str) -> str:
        message = STATUS_NAMES.get(code)
        return self.tr.gettext(message) if message else code

    def source(self, station: str | None, received_by: str | None = None) -> str:
        """Where a scan came from: "uploaded on the page" or "scanner station 1"."""
        station = (station or "").strip()
        by = (received_by or "").strip()
        if station == WEB_STATION:
            return self.tr.gettext("uploaded on the page")
        if not station and by.startswith(STATION_ACTOR):
            station = by[len(STATION_ACTOR) :]
        if station:
            return self.tr.gettext("scanner station %(name)s", name=station)
        return self.tr.gettext("sent by %(who)s", who=self.tr.actor(by)) if by else "—"

    def who(self, account: str | None) -> str:
        """An account as a person reads it (a station's account says it is a station)."""
        account = (account or "").strip()
        if account.startswith(STATION_ACTOR):
            return self.tr.gettext("scanner station %(name)s", name=account[len(STATION_ACTOR) :])
        return self.tr.actor(account)

    def number(self, value: int | None) -> str:
        return "—" if value is None else self.tr.number(value)

    def percent(self, value: str | None) -> str:
        """A recorded percentage ("96.23") as the reader writes it ("96,23 %")."""
        if value is None:
            return "—"
        # Babel formats the Decimal itself: no float ever touches a percentage.
        return format_decimal(Decimal(value), format="#,##0.00", locale=self.tr.lang) + " %"
