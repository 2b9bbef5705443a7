"""The one place where the core mounts the capability packages: their routes, pages and commands."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from starlette.routing import BaseRoute

from congress.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from congress.attendance import Presence
    from congress.models import Sitting


@dataclass(frozen=True)
class NavItem:
    label: str  # msgid, translated in the layout
    path: str  # may contain {slug}: shown on a congress's pages
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Capability:
    """What a capability package contributes; each exposes `capability()` in its `plugin` module."""

    name: str
    routes: Callable[[Settings], list[BaseRoute]] = lambda settings: []
    commands: Callable[[], list[click.Command]] = lambda: []
    templates: Path | None = None
    nav: tuple[NavItem, ...] = ()
    on_startup: Callable[[Any], None] | None = None  # called with the app once it is built
    on_shutdown: Callable[[Any], None] | None = None  # called with the app when it stops
    demo: Callable[..., None] | None = field(default=None)
    # Who was admitted to a sitting, by delegate id: told by the capability at the doors and
    # read by every other one through congress.attendance.
    presence: Callable[[Session, Sitting], Mapping[int, Presence]] | None = None


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
