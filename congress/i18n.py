"""Interface languages: Babel catalogs (Vietnamese default, English) and per-locale formatting."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date, format_datetime, format_time, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
# Where a congress meets unless its organizers say otherwise (Congress.time_zone).
DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"


@cache
def time_zones() -> frozenset[str]:
    """Every IANA zone name this machine knows."""
    return frozenset(available_timezones())


def known_time_zone(name: str) -> str | None:
    """`name` as a zone a congress may have (an IANA name such as Asia/Ho_Chi_Minh), or None."""
    name = name.strip()
    return name if name in time_zones() else None


@cache
def zone(name: str) -> ZoneInfo:
    """The zone of that name; the default zone for a name this machine does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def local_time(instant: dt.datetime | str, zone_name: str) -> dt.datetime:
    """An instant as the wall time of the zone, aware. The instant is aware, or ISO 8601 text as
    the JSON of a page or an answer carries it; naive is taken as UTC, as older records and
    stored answers hold it."""
    if isinstance(instant, str):
        instant = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(zone(zone_name))


def iso_local(instant: dt.datetime | str | None, zone_name: str) -> str | None:
    """ISO 8601 with the zone's offset, to the second (`2026-12-02T11:17:03+07:00`): the API's."""
    if instant is None:
        return None
    return local_time(instant, zone_name).isoformat(timespec="seconds")


def utc_from_local(wall: dt.datetime, zone_name: str) -> dt.datetime:
    """A wall time typed in the congress's zone (naive) as the aware UTC instant it names; an
    aware value keeps its own offset. ValueError for one at the edge of the calendar (years 1
    and 9999): it may have no UTC instant, or no wall time in another zone to be shown in."""
    if wall.tzinfo is None:
        wall = wall.replace(tzinfo=zone(zone_name))
    try:
        instant = wall.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError(f"{wall!r} has no UTC instant") from exc
    if not dt.MINYEAR < instant.year < dt.MAXYEAR:
        raise ValueError(f"{wall!r} is too far from today to be shown in every zone")
    return instant


def N_(message: str) -> str:
    """Mark a message for the catalog where it is defined; it is translated where shown."""
    return message


@cache
def translations(lang: str) -> NullTranslations:
    """The catalog of `lang`, compiled from its .po file in memory (no build step to forget)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def normalize_language(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def negotiate(query: str | None, cookie: str | None, accept: str | None, default: str) -> str:
    """Explicit choice first (query, then cookie); Accept-Language only names a supported one."""
    for candidate in (query, cookie):
        lang = normalize_language(candidate)
        if lang:
            return lang
    if accept:
        for part in accept.split(","):
            lang = normalize_language(part.split(";")[0])
            if lang:
                return lang
    return default


class Translator:
    """Translation and formatting for one language, handed to templates and error messages."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._t = translations(lang)

    def gettext(self, message: str, **params: Any) -> str:
        text = self._t.gettext(message)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        text = self._t.ngettext(singular, plural, n)
        params.setdefault("num", n)
        return text % params

    def date(self, value: dt.date | None, fmt: str = "medium") -> str:
        if value is None:
            return ""
        if self.lang == "vi" and fmt == "medium":
            return value.strftime("%d/%m/%Y")
        return format_date(value, format=fmt, locale=self.lang)

    def datetime(
        self, value: dt.datetime | str | None, zone_name: str, fmt: str = "minutes"
    ) -> str:
        """An instant as the wall time of the congress's zone, in this language: 02/12/2026 11:17
        in Vietnamese (`fmt="seconds"`: 11:17:03), 2 Dec 2026, 11:17 in English."""
        if value is None:
            return ""
        local = local_time(value, zone_name)
        seconds = fmt == "seconds"
        if self.lang == "vi":
            return local.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")
        pattern = "d MMM y, HH:mm:ss" if seconds else "d MMM y, HH:mm"
        return format_datetime(local, format=pattern, locale=self.lang)

    def time(self, value: dt.datetime | str | None, zone_name: str, fmt: str = "minutes") -> str:
        """The wall time of an instant in the congress's zone: 11:17 (`fmt="seconds"`: 11:17:03)."""
        if value is None:
            return ""
        local = local_time(value, zone_name)
        return format_time(
            local, format="HH:mm:ss" if fmt == "seconds" else "HH:mm", locale=self.lang
        )

    def zone_label(self, zone_name: str) -> str:
        """A zone in words with its offset now: "Giờ Việt Nam (UTC+07:00)"."""
        place = get_timezone_location(zone(zone_name), locale=self.lang)
        offset = dt.datetime.now(zone(zone_name)).strftime("%z")
        return f"{place} (UTC{offset[:3]}:{offset[3:]})"

    def local_date(self, value: dt.datetime | str | None, zone_name: str) -> str:
        """The date in the congress's zone of an instant."""
        if value is None:
            return ""
        return self.date(local_time(value, zone_name).date())

    def number(self, value: float | int, digits: int | None = None) -> str:
        if digits is None:
            return format_decimal(value, locale=self.lang)
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(value, format=pattern, locale=self.lang)

    def actor(self, name: str | None) -> str:
        """Who did something, as recorded: a station's or gate's token ("token:NAME") named as
        the device it is, not by the code of the record."""
        if not name:
            return ""
        if name.startswith("token:"):
            return self.gettext("%(name)s (device)", name=name[6:])
        return name

    def template_globals(self, zone_name: str = DEFAULT_TIME_ZONE) -> dict[str, Callable[..., str]]:
        """The page's functions; instants are shown in `zone_name`, the page's congress's zone."""

        def fmt_datetime(value: dt.datetime | str | None, fmt: str = "minutes") -> str:
            return self.datetime(value, zone_name, fmt)

        def fmt_time(value: dt.datetime | str | None, fmt: str = "minutes") -> str:
            return self.time(value, zone_name, fmt)

        def fmt_local_date(value: dt.datetime | str | None) -> str:
            return self.local_date(value, zone_name)

        def fmt_iso(value: dt.datetime | str | None) -> str:
            return iso_local(value, zone_name) or ""

        def fmt_input(value: dt.datetime | str | None) -> str:
            # The value of an <input type="datetime-local">: the wall time, as organizers type it.
            if value is None:
                return ""
            return local_time(value, zone_name).strftime("%Y-%m-%dT%H:%M")

        return {
            "fmt_actor": self.actor,
            "_": self.gettext,
            "gettext": self.gettext,
            "ngettext": self.ngettext,
            "fmt_date": self.date,
            "fmt_datetime": fmt_datetime,
            "fmt_time": fmt_time,
            "fmt_local_date": fmt_local_date,
            "fmt_iso": fmt_iso,
            "fmt_input": fmt_input,
            "fmt_number": self.number,
            "fmt_zone": self.zone_label,
        }


@cache
def translator(lang: str) -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
