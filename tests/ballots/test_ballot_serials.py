"""Serials and signed page tokens: distinct, compact, and refused when forged or garbled."""

from __future__ import annotations

import pytest

from ballots.paper.serials import (
    SERIAL_ALPHABET,
    SERIAL_LENGTH,
    TOKEN_LENGTH,
    PageToken,
    PageTokenError,
    ballot_page_tokens,
    decode_page_token,
    encode_page_token,
    is_serial,
    new_serials,
    parse_page_token,
)
from congress.keys import generate_private_key

KEY = generate_private_key()
PUBLIC = KEY.public_key()


def test_serials_are_distinct_uppercase_base32() -> None:
    serials = new_serials(5000)
    assert len(serials) == 5000
    assert len(set(serials)) == 5000
    for serial in serials:
        assert len(serial) == SERIAL_LENGTH == 10
        assert set(serial) <= set(SERIAL_ALPHABET)
        assert is_serial(serial)
    # Every symbol of the alphabet is in use: the serials are not from a narrower source.
    assert set("".join(serials)) == set(SERIAL_ALPHABET)


def test_new_serials_avoids_serials_already_issued() -> None:
    issued = new_serials(100)
    more = new_serials(100, exclude=issued)
    assert not set(issued) & set(more)
    assert new_serials(0) == []


def test_token_round_trips_every_field() -> None:
    for token in (
        PageToken(1, 1, 1, 1, "AAAAAAAAAA"),
        PageToken(2**32 - 1, 65535, 255, 255, "7777777777"),
        PageToken(42, 2, 3, 6, new_serials(1)[0]),
    ):
        text = encode_page_token(KEY, token)
        assert len(text) == TOKEN_LENGTH
        assert text.startswith("B1")
        assert set(text) <= set(SERIAL_ALPHABET) | {"1"}
        assert "=" not in text
        assert decode_page_token(PUBLIC, text) == token
        assert parse_page_token(text) == token


def test_encode_refuses_impossible_fields() -> None:
    for bad in (
        PageToken(1, 1, 0, 1, "AAAAAAAAAA"),
        PageToken(1, 1, 3, 2, "AAAAAAAAAA"),
        PageToken(1, 1, 1, 1, "AAAAAAAAA1"),
        PageToken(1, 1, 1, 1, "aaaaaaaaaa"),
        PageToken(-1, 1, 1, 1, "AAAAAAAAAA"),
    ):
        with pytest.raises(ValueError):
            encode_page_token(KEY, bad)


def test_tampered_token_is_forged() -> None:
    text = encode_page_token(KEY, PageToken(9, 1, 1, 2, "ABCDEFGHIJ"))
    for position in (3, 10, 20, 60, 100):
        replacement = "A" if text[position] != "A" else "B"
        tampered = text[:position] + replacement + text[position + 1 :]
        with pytest.raises(PageTokenError) as caught:
            decode_page_token(PUBLIC, tampered)
        assert caught.value.code == "forged"


def test_token_of_another_key_is_forged() -> None:
    other = generate_private_key()
    text = encode_page_token(other, PageToken(9, 1, 1, 2, "ABCDEFGHIJ"))
    with pytest.raises(PageTokenError) as caught:
        decode_page_token(PUBLIC, text)
    assert caught.value.code == "forged"
    assert decode_page_token(other.public_key(), text).serial == "ABCDEFGHIJ"


def test_garbage_is_unreadable() -> None:
    good = encode_page_token(KEY, PageToken(9, 1, 1, 2, "ABCDEFGHIJ"))
    for garbage in (
        "",
        "hello",
        "https://example.org/ballot",
        "B2" + good[2:],
        good[:-1],
        good + "A",
        good[:50] + "!" + good[51:],
        good[:50] + "8" + good[51:],
        "B1" + "A" * (TOKEN_LENGTH - 2),  # decodes to page 0 of 0: not a token of any ballot
    ):
        with pytest.raises(PageTokenError) as caught:
            decode_page_token(PUBLIC, garbage)
        assert caught.value.code == "unreadable", garbage


def test_ballot_page_tokens_are_whole_ballots_in_page_order() -> None:
    serials = new_serials(3)
    tokens = ballot_page_tokens(KEY, 5, 2, 3, serials)
    decoded = [decode_page_token(PUBLIC, t) for t in tokens]
    assert [(t.serial, t.page, t.pages) for t in decoded] == [
        (serial, page, 3) for serial in serials for page in (1, 2, 3)
    ]
    assert {(t.election_id, t.round) for t in decoded} == {(5, 2)}
