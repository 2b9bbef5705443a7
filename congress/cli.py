"""The `congress` command, built by `build_cli`: the core's commands, then each capability's."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import click
import uvicorn

from congress import __version__
from congress.capabilities import load
from congress.cli_congresses import congresses_group, delegates, sittings
from congress.cli_frame import CliState, with_state
from congress.cli_staff import tokens, users
from congress.db import upgrade
from congress.demo import DEMO_DELEGATES, FULL_DELEGATES, build_demo
from congress.progress import bars
from congress.settings import Settings, ensure_home


@click.command()
@with_state
def init(state: CliState) -> None:
    """Create the database, or upgrade it to this version (safe to run again)."""
    settings = state.settings
    ensure_home(settings.home)
    upgrade(settings)
    click.echo(f"database ready at {settings.database_url.split('@')[-1]}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@with_state
def serve(state: CliState, host: str, port: int, workers: int) -> None:
    """Serve the web app and API with uvicorn."""
    state.database()  # refuses a missing or old database before binding the port
    os.environ["CONGRESS_HOME"] = str(state.settings.home)
    click.echo(f"serving on http://{host}:{port}/")
    uvicorn.run(
        "congress.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        **proxy_options(state.settings),
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's forwarded-header options: believed only from the proxies the settings name.

    uvicorn's own default believes X-Forwarded-For from loopback, so any client on the server's
    machine (or behind a local tunnel) could pick its address and dodge the sign-in limits.
    """
    proxies = ",".join(settings.trusted_proxies)
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None}


@click.command()
@click.option("--slug", default="demo", show_default=True)
@click.option(
    "--delegates",
    "count",
    default=None,
    type=click.IntRange(1, 5000),
    help=f"Delegates of the congress [default: {DEMO_DELEGATES}; {FULL_DELEGATES} with --full].",
)
@click.option(
    "--full",
    is_flag=True,
    help=f"The city congress at its real size: {FULL_DELEGATES} delegates (a few minutes).",
)
@click.option("--seed", default=2026, show_default=True, type=int)
@with_state
def demo(state: CliState, slug: str, count: int | None, full: bool, seed: int) -> None:
    """Build the demo congress in the data directory (safe to run again: it starts afresh)."""
    started = time.monotonic()
    settings = state.settings
    ensure_home(settings.home)
    upgrade(settings)
    build_demo(
        state.database(),
        slug=slug,
        delegates=count or (FULL_DELEGATES if full else DEMO_DELEGATES),
        seed=seed,
        echo=click.echo,
        workers=os.cpu_count() or 1,
        bars=bars(click.echo),
    )
    click.echo(f"demo built in {time.monotonic() - started:.0f} s in {settings.home}")


CORE_COMMANDS: tuple[click.Command, ...] = (
    init,
    serve,
    users,
    tokens,
    congresses_group,
    sittings,
    delegates,
    demo,
)


def build_cli() -> click.Group:
    """The whole `congress` command, as `create_app` builds the whole app: a new group each call,
    with the core's commands and those of every capability `congress.capabilities.load` finds."""

    @click.group("congress", context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="congress")
    @click.option(
        "--home", envvar="CONGRESS_HOME", help="Data directory (default ./congress-data)."
    )
    @click.pass_context
    def cli(ctx: click.Context, home: str | None) -> None:
        """Congress management: delegates, badges and check-in, documents, ballots and the tally."""
        ctx.obj = CliState(home)

    for command in CORE_COMMANDS:
        cli.add_command(command)
    for capability in load():
        for command in capability.commands():
            cli.add_command(command)
    return cli


def main(args: Sequence[str] | None = None) -> None:
    """Run the `congress` command on `args` (default: the command line); exits when done."""
    build_cli().main(args)


if __name__ == "__main__":
    main()
