"""Screenshots the browser tests keep for people to look at: tests/_artifacts/ (not in git)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).parent / "_artifacts"


def screenshot(page: Any, name: str, full_page: bool = False) -> Path:
    """The page as a PNG under its name; written whole (two test processes may race)."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    partial = ARTIFACTS / f".{name}.{uuid.uuid4().hex}.png"
    page.screenshot(path=str(partial), full_page=full_page)
    assert partial.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    os.replace(partial, target)
    return target
