"""Interface languages: Babel catalogs (Vietnamese default, English) and per-locale formatting."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


# Stored instants are naive UTC; people read the congress's wall-clock time (Vietnam's, as the
# counting minutes do).
LOCAL_ZONE = "Asia/Ho_Chi_Minh"


def local_time(value: dt.datetime) -> dt.datetime:
    """A stored instant (naive UTC) as the congress's local wall-clock time (naive)."""
    try:
        from zoneinfo import ZoneInfo

        zone: dt.tzinfo = ZoneInfo(LOCAL_ZONE)
    except (ImportError, KeyError, ValueError, OSError):
        zone = dt.timezone(dt.timedelta(hours=7))
    return value.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)


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

    def datetime(self, value: dt.datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return ""
        if self.lang == "vi" and fmt == "medium":
            return value.strftime("%H:%M %d/%m/%Y")
        return format_datetime(value, format=fmt, locale=self.lang)

    def time(self, value: dt.datetime | dt.time | None) -> str:
        if value is None:
            return ""
        return format_time(value, format="short", locale=self.lang)

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

    def template_globals(self) -> dict[str, Callable[..., str]]:
        return {
            "fmt_actor": self.actor,
            "_": self.gettext,
            "gettext": self.gettext,
            "ngettext": self.ngettext,
            "fmt_date": self.date,
            "fmt_datetime": self.datetime,
            "fmt_time": self.time,
            "fmt_number": self.number,
        }


@cache
def translator(lang: str) -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
