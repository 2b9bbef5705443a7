"""Extract the catalog messages and merge them into the .po files: `python scripts/i18n.py`."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from congress.i18n import LANGUAGES, LOCALE_DIR  # noqa: E402
from congress.i18n_keywords import babel_keywords  # noqa: E402

PACKAGES = ("congress", "badges", "docs_portal", "ballots", "scanner")
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extract() -> Catalog:
    template = Catalog(project="congress")
    for package in PACKAGES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / package,
            METHODS,
            keywords=babel_keywords(),
            options_map=OPTIONS,
            comment_tags=("TRANSLATORS:",),
        ):
            template.add(
                message,
                locations=[(f"{package}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def main() -> None:
    template = extract()
    for lang in LANGUAGES:
        path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
        else:
            catalog = Catalog(locale=lang, project="congress")
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as fh:
            write_po(
                fh,
                catalog,
                width=100,
                omit_header=False,
                sort_output=False,
                include_previous=False,
                ignore_obsolete=True,
            )
        missing = [m.id for m in catalog if m.id and not m.string]
        print(f"{lang}: {len(catalog)} messages, {len(missing)} untranslated")


if __name__ == "__main__":
    main()
