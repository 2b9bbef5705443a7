"""Fill msgstr of a .po file from a Python dict file: `python scripts/fill_po.py LANG DICT.py`."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main(lang: str, source: str) -> None:
    table = runpy.run_path(source)["VI" if lang == "vi" else "TABLE"]
    path = ROOT / "congress" / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    filled = 0
    for message in catalog:
        if message.id and message.id in table:
            message.string = table[message.id]
            filled += 1
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=False, ignore_obsolete=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{lang}: filled {filled}, still untranslated {len(missing)}")
    for m in missing:
        print("  ", repr(m))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
