"""What the committee and the stations write is recorded as written, or refused: never cut."""

from __future__ import annotations

import pytest

from ballots.counting.counts import MAX_NOTE, committee_text
from congress.errors import CongressError


def test_a_committee_text_is_folded_and_kept_whole() -> None:
    assert committee_text("  Đối chiếu\n phiếu   giấy ") == "Đối chiếu phiếu giấy"
    assert committee_text(None) == ""
    assert committee_text("x" * MAX_NOTE) == "x" * MAX_NOTE


@pytest.mark.parametrize("limit", [MAX_NOTE, 2000])
def test_a_text_longer_than_its_limit_is_refused(limit: int) -> None:
    with pytest.raises(CongressError) as refused:
        committee_text("x" * (limit + 1), limit)
    assert refused.value.code == "note_too_long"
    assert refused.value.params == {"max": limit}
