"""The documents capability: organizer pages, the phone portal, its commands and its demo part."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from congress.capabilities import Capability, DemoStage, DemoStep, DemoStory, NavItem, SetupStep

HERE = Path(__file__).parent


def _routes(settings: Any) -> list[Any]:
    import docs_portal.models  # noqa: F401 - the tables register on the shared metadata
    from docs_portal.views import routes

    return routes()


def _commands() -> list[Any]:
    from docs_portal.cli import docs

    return [docs]


def _startup(app: Any) -> None:
    from congress.auth import LoginLimiter
    from docs_portal.render import PageRenderer

    settings = app.state.settings
    app.state.page_renderer = PageRenderer(settings.cache_dir, settings.render_workers)
    # At most 10 comments per delegate in 10 minutes: enough to comment, too few to flood.
    app.state.comment_limiter = LoginLimiter(10, 600)


def _shutdown(app: Any) -> None:
    app.state.page_renderer.close()


def _demo(story: DemoStory) -> None:
    from docs_portal.demo import DOCUMENTS, add_demo_documents

    add_demo_documents(
        story.db,
        congress_id=story.congress_id,
        seed=story.seed,
        echo=story.echo,
        bar=story.bar("documents", len(DOCUMENTS)),
    )


def _setup(session: Any, congress: Any) -> list[SetupStep]:
    """Done once a document is there for delegates to read (public or for delegates)."""
    from sqlalchemy import exists, select

    from docs_portal.models import Document

    shown = session.scalar(
        select(exists().where(Document.congress_id == congress.id, Document.visibility != "hidden"))
    )
    return [SetupStep(40, "Publish the documents", "/c/{slug}/documents", bool(shown))]


def capability() -> Capability:
    return Capability(
        name="docs_portal",
        routes=_routes,
        commands=_commands,
        templates=HERE / "templates",
        nav=(NavItem("Documents", "/c/{slug}/documents", ("organizer",)),),
        on_startup=_startup,
        on_shutdown=_shutdown,
        demo=lambda: [DemoStep(DemoStage.REGISTER, _demo)],
        setup=_setup,
    )
