"""The frame every `congress` command stands in: its state, refusals as one line, shared options."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from congress.db import Database, DatabaseNotReady, check_ready
from congress.errors import CongressError
from congress.i18n import LANGUAGES, Translator, normalize_language, translator
from congress.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
CLI_ACTOR = "cli"


class CliState:
    """Settings and database of one command run, opened on first use."""

    def __init__(self, home: str | None) -> None:
        self._home = home
        self._settings: Settings | None = None
        self._db: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            env = dict(os.environ, CONGRESS_HOME=self._home) if self._home else None
            self._settings = Settings.from_env(env)
        return self._settings

    def database(self, check: bool = True) -> Database:
        if self._db is None:
            settings = self.settings
            if settings.is_sqlite and not Path(settings.database_url.split("///", 1)[1]).exists():
                raise DatabaseNotReady(
                    "db_missing_file",
                    "There is no database in %(home)s; run `congress init` first",
                    home=str(settings.home),
                )
            self._db = Database(settings)
            if check:
                check_ready(self._db.engine)
        return self._db

    def translator(self) -> Translator:
        """The congress's language, for what a command writes (PDFs, CSV, its summary line)."""
        return translator(self.settings.default_language)

    def gettext(self, message: str) -> str:
        # Refusals may come before the settings could be read: Vietnamese then.
        lang = self._settings.default_language if self._settings else "vi"
        return translator(lang).gettext(message)


def fail(message: str) -> NoReturn:
    click.echo(f"congress: {message}", err=True)
    sys.exit(1)


@contextmanager
def refusals(gettext: Callable[[str], str], *told: type[Exception]) -> Iterator[None]:
    """One line on stderr and a non-zero exit for every refusal; never a traceback.

    A `CongressError` is translated (its report's lines first), an `OSError` names its file, and
    the `told` errors (a gate's, a station's) already say what the operator is to read."""
    try:
        yield
    except CongressError as exc:
        report = getattr(exc, "report", None)
        if report is not None:
            print_report(report, gettext)
        fail(exc.translated(gettext))
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": "))
    except told as exc:
        fail(str(exc))


_pass_state = click.make_pass_decorator(CliState)


def with_state(fn: F) -> F:
    """The command gets the run's `CliState` first; its refusals are one line each, in the
    congress's language."""

    @wraps(fn)
    def refusing(state: CliState, *args: Any, **kwargs: Any) -> Any:
        with refusals(state.gettext):
            return fn(state, *args, **kwargs)

    return _pass_state(refusing)  # type: ignore[return-value]


def print_report(report: Any, gettext: Callable[[str], str]) -> None:
    for problem in report.problems:
        message = gettext(problem.message)
        if problem.params:
            message = message % problem.params
        click.echo(
            f"  line {problem.line}, column {problem.column!r}, value {problem.value!r}: {message}",
            err=True,
        )
    for change in report.changes:
        for field, (old, new) in change.fields.items():
            click.echo(
                f"  line {change.line}, {change.code} {change.full_name}: {field}: {old!r} -> {new!r}",
                err=True,
            )
    if report.unknown_columns:
        click.echo(f"  unknown columns (ignored): {', '.join(report.unknown_columns)}", err=True)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class LanguageParam(click.ParamType):
    """vi or en, as a locale may spell it (`en_US`, `EN`); anything else is refused."""

    name = "language"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        lang = normalize_language(str(value))
        if lang is None:
            self.fail(f"{value!r} is not one of {', '.join(LANGUAGES)}", param, ctx)
        return lang


def output_translator(lang: str | None) -> Translator:
    """For the commands that run without the congress's settings (a gate, a station, an auditor):
    the language asked for, else CONGRESS_LANGUAGE, else Vietnamese."""
    return translator(lang or normalize_language(os.environ.get("CONGRESS_LANGUAGE")) or "vi")


# The options many commands share, written once so that they read and behave the same.
congress_option = click.option(
    "--congress", "slug", required=True, help="The congress's short name (slug)."
)
sitting_option = click.option(
    "--sitting", "number", required=True, type=int, help="The sitting's number."
)
election_option = click.option(
    "--election", "election_id", required=True, type=int, help="The election's number."
)
round_option = click.option(
    "--round",
    "round_number",
    type=int,
    default=None,
    help="The ballot round (default: the election's current round).",
)
delegation_option = click.option(
    "--delegation", default=None, help="Only this delegation (its exact name)."
)
out_option = click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The file to write.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="The answer as JSON.")
lang_option = click.option(
    "--lang",
    type=LanguageParam(),
    default=None,
    help="Language of the output: vi or en (default: CONGRESS_LANGUAGE, else vi).",
)
