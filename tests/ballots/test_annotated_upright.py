"""The committee's images: turned to the reading orientation, with words (not codes) burned in."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ballots.reading.annotated import annotated_images, caption_band, upright
from ballots.reading.reader import ElectionRules, ReadingContext, read_ballot, reference_pages
from ballots.reading.settings import ReadingSettings
from ballots.reading.synth import draw_marks, make_election, print_pages
from congress.limits import Limits

SETTINGS = ReadingSettings()
TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


@pytest.fixture(scope="module")
def ballot():
    election = make_election("strike", 6, seats=4, seed=7)
    refs = reference_pages(election.spec, election.layout, SETTINGS)
    rules = ElectionRules(4, True, False)
    context = ReadingContext(
        election.layout, refs, election.private_key.public_key(), rules, SETTINGS
    )
    gray = print_pages(election, ["BBBBBBBBBB"], 150)[0]
    page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    layout_page = election.layout.pages[0]
    choose = {t.id: "none" for t in layout_page.targets} | {"c002.strike": "circle"}
    draw_marks(page, layout_page, "strike", 150, np.random.default_rng(1), choose)
    return context, page


def _png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def _decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_turned_sheet_is_shown_upright_and_its_crop_too(ballot, turn):
    context, page = ballot
    turned = cv2.rotate(page, TURNS[turn])
    first = read_ballot([turned], context)
    rotation = first.pages[0].geometry.rotation
    assert rotation != 0
    # The reader's orientation is 0 once the image is turned.
    again = read_ballot([upright(turned, rotation)], context)
    assert again.pages[0].geometry.rotation == 0
    assert again.reasons == first.reasons
    # The doubtful mark's crop is the same picture as the crop of the sheet fed straight.
    _, straight = annotated_images(context, _png(page), "a.png", Limits())
    image, crops = annotated_images(context, _png(turned), "b.png", Limits())
    a = cv2.cvtColor(_decode(straight["c002.strike"]), cv2.COLOR_BGR2GRAY).astype(np.float32)
    b = cv2.cvtColor(_decode(crops["c002.strike"]), cv2.COLOR_BGR2GRAY).astype(np.float32)
    assert a.shape == b.shape
    assert a.shape[1] > a.shape[0]  # a name is wider than high: upright, not on its side
    assert float(cv2.matchTemplate(a, b, cv2.TM_CCOEFF_NORMED).max()) > 0.8
    flipped = cv2.rotate(b, cv2.ROTATE_180)
    assert float(cv2.matchTemplate(a, flipped, cv2.TM_CCOEFF_NORMED).max()) < 0.8
    shown = _decode(image)
    assert shown.shape[0] > shown.shape[1]  # the portrait sheet stands upright


def test_the_caption_is_written_in_vietnamese_glyphs():
    band = caption_band("Máy đọc: cần xem xét — vết mực đáng ngờ", 600)
    assert band.shape[1] == 600 and band.shape[0] > 34
    assert (band < 128).any()  # text was drawn
    # Diacritics need their own pixels: a line with them differs from one without.
    plain = caption_band("May doc: can xem xet — vet muc dang ngo", 600)
    assert not np.array_equal(band, plain)
