"""The check-in verdict table and the check-in answer: one vocabulary, the JSON as it was."""

from __future__ import annotations

import json
from typing import Any, get_args

from badges.token import MESSAGES as BADGE_MESSAGES
from badges.token import RefusalCode
from congress.errors import reply_message
from congress.i18n import Translator
from scanner.checkin import CheckinAnswer
from scanner.verdicts import VERDICTS, colour_of, page_table, refusal_of, shown_message


def test_every_door_result_has_its_words_and_colour() -> None:
    colours = {code: v.colour for code, v in VERDICTS.items()}
    assert colours == {
        "admitted": "green",
        "already_admitted": "yellow",
        "replaced": "red",
        "revoked": "red",
        "unknown": "red",
        "forged": "red",
        "other_congress": "red",
        "malformed": "red",
        "no_sitting_open": "red",
        "sitting_closed": "red",
    }
    # A refused badge is shown in the badge's own words, never a copy of them.
    for code in get_args(RefusalCode):
        assert VERDICTS[code].message is BADGE_MESSAGES[code]
        assert refusal_of(code) == code
    assert refusal_of("valid") is None
    assert colour_of("a code from a newer server") == "red"


def test_messages_are_filled_in_the_gate_language_and_the_congress_time() -> None:
    """The gate's language, the congress's wall clock: an answer stored by older code (naive
    UTC) and one sent now (with the congress's offset) read the same."""
    tr = Translator("en")
    for admitted_at in ("2026-11-20T07:05:00", "2026-11-20T14:05:00+07:00"):
        text = shown_message(
            tr,
            "Asia/Ho_Chi_Minh",
            "already_admitted",
            admitted_at=admitted_at,
            admitted_gate="Gate B",
        )
        assert text == "Already admitted at 14:05, gate Gate B"
    vi = shown_message(
        Translator("vi"),
        "Asia/Ho_Chi_Minh",
        "already_admitted",
        admitted_at="2026-11-20T14:05:00+07:00",
        admitted_gate="Cổng B",
    )
    assert vi == "Đã vào lúc 14:05, cổng Cổng B"
    paris = shown_message(
        tr, "Europe/Paris", "already_admitted", admitted_at="2026-11-20T07:05:00+00:00"
    )
    assert "at 08:05," in paris
    # Replaced late in the evening in Hà Nội: the Hà Nội date, not the UTC one.
    assert shown_message(
        tr, "Asia/Ho_Chi_Minh", "replaced", replaced_at="2026-11-20T18:30:00+00:00"
    ) == ("Badge replaced on Nov 21, 2026: this is an old badge")
    assert (
        shown_message(tr, "Asia/Ho_Chi_Minh", "replaced")
        == "Badge replaced on ?: this is an old badge"
    )
    table = page_table(Translator("vi"))
    assert set(table["verdicts"]) == set(VERDICTS)
    assert table["verdicts"]["admitted"]["colour"] == "green"
    assert {"offline", "network", "queued", "kinds", "gate_needed", "camera"} <= set(table)
    assert table["kinds"] == {"full": "Đại biểu chính thức", "alternate": "Dự khuyết"}
    assert "%(count)s" in table["gate_needed"]


def test_a_stored_answer_reads_back_as_it_was_written() -> None:
    """Answers stored by the dict-based code read back, and write the same JSON, key order too."""
    stored = [
        {
            "scan_id": "a1",
            "sitting": 1,
            "result": "admitted",
            "delegate": {"id": 3, "code": "DB0003"},
            "admitted_at": "2026-11-20T07:05:00",
            "admitted_gate": "A",
        },
        {
            "scan_id": "a2",
            "sitting": 1,
            "result": "replaced",
            "delegate": {"id": 4},
            "replaced_at": "2026-11-19T10:00:00",
        },
        {"scan_id": "a3", "sitting": 2, "result": "malformed", "delegate": None},
    ]
    for data in stored:
        answer = CheckinAnswer.from_dict(json.loads(json.dumps(data)))
        assert json.dumps(answer.to_dict()) == json.dumps(data)
    replayed = CheckinAnswer.from_dict({**stored[2], "replayed": True})
    assert replayed.replayed and replayed.to_dict()["replayed"] is True


class _Reply:
    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self._body = body

    def json(self) -> Any:
        if isinstance(self._body, Exception):
            raise self._body
        return self._body


def test_the_message_of_an_error_reply() -> None:
    refused = _Reply(409, {"error": {"code": "scan_id_reused", "message": "Used"}})
    assert reply_message(refused) == "Used"
    assert reply_message(_Reply(502, ValueError("not JSON"))) == "HTTP 502"
    assert reply_message(_Reply(500, ["not", "an", "object"])) == "HTTP 500"
    assert reply_message(_Reply(404, {"detail": "x"})) == "HTTP 404"
