"""`congress ballots read`: printed ballots, marked and scanned, read against the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ballots.paper.raster import rasterize_pdf
from ballots.reading.synth import draw_marks, draw_seal
from congress.settings import Settings
from tests.ballots.test_elections import CANDIDATES, _create
from tests.congress.test_cli import run

DPI = 200


def test_read_printed_ballots_and_annotate(
    settings: Settings, register: dict[str, Any], tmp_path: Path
) -> None:
    election = json.loads(_create(settings, tmp_path, CANDIDATES, seats=3).stdout)
    eid = str(election["id"])
    not_printed = run(
        settings, "ballots", "read", "--election", eid, str(tmp_path / "ung-vien.csv")
    )
    assert not_printed.exit_code == 1 and "printed" in not_printed.stderr
    pdf = tmp_path / "b.pdf"
    layout_file = tmp_path / "layout.json"
    assert (
        run(
            settings,
            "ballots",
            "print",
            "--election",
            eid,
            "--count",
            "3",
            "--out",
            str(pdf),
            "--layout",
            str(layout_file),
        ).exit_code
        == 0
    )
    layout = json.loads(layout_file.read_text(encoding="utf-8"))
    targets = [t["id"] for t in layout["pages"][0]["targets"]]
    pages = rasterize_pdf(pdf.read_bytes(), DPI)
    assert len(pages) == 3  # one page a ballot
    rng = np.random.default_rng(5)
    from ballots.paper.layout import BallotLayout

    page_layout = BallotLayout.from_json(layout_file.read_text(encoding="utf-8")).pages[0]
    files = []
    # Ballot 1: the first name struck, sealed. Ballot 2: the same, no seal. Ballot 3: a copy
    # of ballot 1 (a photocopy: the same serial twice).
    for index, choose in enumerate([{targets[0]: "strike"}, {targets[0]: "strike"}]):
        page = cv2.cvtColor(pages[index], cv2.COLOR_GRAY2BGR)
        draw_marks(
            page, page_layout, "strike", DPI, rng, choose={**{t: "none" for t in targets}, **choose}
        )
        if index == 0:
            draw_seal(page, page_layout.seal_box, DPI, rng)  # type: ignore[arg-type]
        else:
            # A colour scan of slightly yellowed paper, with no red seal on it.
            page[:, :, 0] = np.clip(page[:, :, 0].astype(int) - 25, 0, 255).astype(np.uint8)
        path = tmp_path / f"scan-{index + 1}.png"
        cv2.imwrite(str(path), page)
        files.append(path)
    copy = tmp_path / "scan-copy.png"
    copy.write_bytes(files[0].read_bytes())
    out_dir = tmp_path / "annotated"
    result = run(
        settings,
        "ballots",
        "read",
        "--election",
        eid,
        *map(str, files),
        str(copy),
        "--json",
        "--annotate",
        str(out_dir),
        "--workers",
        "3",
    )
    assert result.exit_code == 0, result.output
    readings = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in readings] == ["scan-1.png", "scan-2.png", "scan-copy.png"]
    first, second, third = readings
    assert first["status"] == "valid" and first["reasons"] == []
    states = {t["target"]: t["state"] for t in first["targets"]}
    assert states == {t: ("marked" if t == targets[0] else "unmarked") for t in targets}
    assert second["status"] == "invalid" and "seal_missing" in second["reasons"]
    assert third["status"] == "rejected" and third["reasons"] == ["serial_seen"]
    assert third["serial"] == first["serial"]
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "scan-1-p1.png",
        "scan-2-p1.png",
        "scan-copy-p1.png",
    ]
    again = run(
        settings, "ballots", "read", "--election", eid, *map(str, files), str(copy), "--json",
        "--workers", "1",
    )  # fmt: skip
    # The same images always give the same output: three reader processes, in the files'
    # order, print byte for byte what one process prints.
    assert again.stdout == result.stdout
    garbage = tmp_path / "not-an-image.png"
    garbage.write_bytes(b"hello")
    refused = run(settings, "ballots", "read", "--election", eid, str(garbage))
    assert refused.exit_code == 1 and "not-an-image.png" in refused.stderr
