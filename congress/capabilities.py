"""The one place where the core mounts the capability packages: their routes, pages and commands."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from starlette.routing import BaseRoute

from congress.models import Congress
from congress.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from starlette.applications import Starlette

    from congress.attendance import Presence
    from congress.db import Database
    from congress.models import Sitting
    from congress.progress import Bar


@dataclass(frozen=True)
class NavItem:
    label: str  # msgid, translated in the layout
    path: str  # may contain {slug}: shown on a congress's pages
    roles: tuple[str, ...]
    # Staff whose every role is here land on this page of the current congress after signing in
    # (the door staff on their gate), not on the list of congresses.
    lands: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetupStep:
    """One step of a congress's setup, shown on its overview: done or not, read from the data
    each time (never a stored flag), with the page where it is done."""

    order: int  # the steps' order on the overview: 10 sittings ... 60 elections
    label: str  # msgid, translated on the page
    path: str  # may contain {slug}
    done: bool


class DemoStage(IntEnum):
    """Where a part of the demo story falls: parts run in this order across capabilities,
    and in the order of `PACKAGES` within one stage."""

    REGISTER = 10  # badges printed, documents published, from the imported register
    DOORS = 20  # the sittings' doors open and delegates come in
    BALLOTS_FILLED = 30  # ballots printed for those present, filled and put in the tray
    BALLOTS_SCANNED = 40  # the scanner station reads the tray into the count
    COUNTED = 50  # the committee decides, the count is closed, sealed and proven


@dataclass(frozen=True)
class DemoStory:
    """What every part of the demo works on: the database, the congress, one seed; the
    processes a step may use at once, and a progress bar per step."""

    db: Database
    congress_id: int
    seed: int
    echo: Callable[[str], Any]
    workers: int = 1
    bars: Callable[[str, int], Bar] | None = None

    def bar(self, label: str, total: int) -> Bar:
        """The progress bar of one step of the story (plain lines through echo by default)."""
        from congress.progress import Bar

        return self.bars(label, total) if self.bars else Bar(label, total, self.echo)

    def congress(self, session: Session) -> Congress:
        congress = session.get(Congress, self.congress_id)
        assert congress is not None, "the demo's congress is created before its story runs"
        return congress

    @property
    def tray(self) -> Path:
        """The scanner's tray: the folder where filled ballots wait to be scanned."""
        return self.db.settings.home / "demo-scans"


@dataclass(frozen=True)
class DemoStep:
    stage: DemoStage
    run: Callable[[DemoStory], None]


@dataclass(frozen=True)
class Capability:
    """What a capability package contributes; each exposes `capability()` in its `plugin` module."""

    name: str
    routes: Callable[[Settings], list[BaseRoute]] = lambda settings: []
    commands: Callable[[], list[click.Command]] = lambda: []
    templates: Path | None = None
    nav: tuple[NavItem, ...] = ()
    on_startup: Callable[[Starlette], None] | None = None  # called with the app once it is built
    on_shutdown: Callable[[Starlette], None] | None = None  # called with the app when it stops
    # The capability's parts of the demo story, made afresh for each run (so the parts of
    # one run can share what they made).
    demo: Callable[[], Sequence[DemoStep]] = lambda: ()
    # Who was admitted to a sitting, by delegate id: told by the capability at the doors and
    # read by every other one through congress.attendance.
    presence: Callable[[Session, Sitting], Mapping[int, Presence]] | None = None
    # The capability's steps of a congress's setup (badges printed, documents published...).
    setup: Callable[[Session, Congress], Sequence[SetupStep]] = lambda session, congress: ()


# The declared one-way order of the project's packages: each may import only those named
# here. The core imports none of them but through `load()` below (tests/test_architecture.py).
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "congress": (),
    "badges": ("congress",),
    "docs_portal": ("congress", "badges"),  # a delegate signs in to the portal by badge
    "ballots": ("congress",),
    "scanner": ("congress", "badges", "ballots"),  # the door and the tally table
}

# The capability packages, in the order their pages appear in the menu and their demo parts
# run: the doors open before the ballots are counted, which take the sitting's attendance.
PACKAGES = ("badges", "docs_portal", "scanner", "ballots")


def migration_locations() -> list[Path]:
    """Each capability's Alembic branch, found without importing the capability's code."""
    from importlib.util import find_spec

    found = []
    for package in PACKAGES:
        spec = find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for root in spec.submodule_search_locations:
            versions = Path(root) / "migrations"
            if versions.is_dir():
                found.append(versions)
    return found


def load() -> list[Capability]:
    found = []
    for package in PACKAGES:
        try:
            module = import_module(f"{package}.plugin")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.plugin":
                raise
            continue  # the package contributes nothing to the app (yet)
        found.append(module.capability())
    return found
