"""Badge tokens: signing, parsing in every accepted form, tampering, and the gate verdicts."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from badges.token import (
    MESSAGES,
    SETTINGS,
    TOKEN_BYTES,
    TOKEN_LENGTH,
    BadgeCheck,
    BadgeToken,
    BadgeTokenError,
    DelegateBadgeState,
    badge_url,
    decide,
    parse_badge,
    sign_badge,
    verify_badge,
)
from congress.keys import generate_private_key, public_key_bytes, public_key_from_bytes

KEY = Ed25519PrivateKey.from_private_bytes(
    bytes(range(32))
)  # fixed: same test ids on every xdist worker
PUBLIC = KEY.public_key()
OTHER_KEY = generate_private_key()
TOKEN = BadgeToken(congress_id=7, delegate_id=1234, version=2)
TEXT = sign_badge(KEY, TOKEN)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _check(text: str) -> BadgeCheck:
    return verify_badge((7, PUBLIC), text)


def _body_bytes(text: str) -> bytes:
    body = text[len(SETTINGS.prefix) :]
    return base64.b32decode(body + "=" * ((8 - len(body) % 8) % 8))


def _text_of(raw: bytes) -> str:
    return SETTINGS.prefix + base64.b32encode(raw).decode("ascii").rstrip("=")


def test_round_trip_and_length() -> None:
    assert len(TEXT) == TOKEN_LENGTH == 121
    assert TEXT.startswith("D1")
    token, signed, signature = parse_badge(TEXT)
    assert token == TOKEN
    assert signed == SETTINGS.signing_context + bytes.fromhex("00000007000004d20002")
    assert len(signature) == 64
    assert _check(TEXT) == BadgeCheck("valid", TOKEN)


def test_extreme_field_values_round_trip() -> None:
    for token in (BadgeToken(1, 1, 1), BadgeToken(0xFFFFFFFF, 0xFFFFFFFF, 0xFFFF)):
        text = sign_badge(KEY, token)
        assert len(text) == TOKEN_LENGTH
        assert verify_badge((token.congress_id, PUBLIC), text).code == "valid"
        assert parse_badge(text)[0] == token


@pytest.mark.parametrize(
    "fields", [(0, 1, 1), (1, 0, 1), (1, 1, 0), (2**32, 1, 1), (1, 2**32, 1), (1, 1, 2**16)]
)
def test_token_fields_out_of_range_refused(fields: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        BadgeToken(*fields)


def test_key_round_trip_through_raw_bytes_verifies() -> None:
    public = public_key_from_bytes(public_key_bytes(KEY))
    assert verify_badge({7: public}, TEXT).code == "valid"


def test_qr_version_at_most_6_at_m() -> None:
    qr = segno.make(TEXT, error="m")
    assert qr.mode == "alphanumeric"
    assert qr.error == "M"
    assert isinstance(qr.version, int) and qr.version <= 6
    assert segno.make(TEXT, error="m", mode="alphanumeric", boost_error=False).version == 5


@pytest.mark.parametrize(
    "form",
    [
        TEXT.lower(),
        f"  {TEXT}\n",
        f"\t{TEXT.lower()}\r\n",
        badge_url("https://daihoi.example.vn", TEXT),
        badge_url("https://daihoi.example.vn/", TEXT.lower()) + "?lang=vi#top",
        f"http://10.0.0.5:8000/b/{TEXT}/",
        f" HTTPS://DAIHOI.EXAMPLE.VN/B/{TEXT} ",
    ],
)
def test_accepted_input_forms(form: str) -> None:
    assert parse_badge(form)[0] == TOKEN
    assert _check(form).code == "valid"


def test_every_character_substitution_is_never_valid() -> None:
    seen_forged = seen_malformed = 0
    for position in range(len(TEXT)):
        if position < len(SETTINGS.prefix):
            replacements: tuple[str, ...] = ("X", "8", "-")
        else:
            replacements = (ALPHABET[(ALPHABET.index(TEXT[position]) + 1) % 32], "8", "-")
        for replacement in replacements:
            tampered = TEXT[:position] + replacement + TEXT[position + 1 :]
            assert tampered.upper() != TEXT
            check = _check(tampered)
            # A changed congress id is reported as another congress; never admitted.
            assert check.code in {"forged", "malformed", "other_congress"}, (position, check)
            if check.code == "other_congress":
                assert check.token is not None and check.token.congress_id != 7
                # characters 0-6 of the body carry the 32 bits of the congress id
                assert 2 <= position < 2 + 7
            seen_forged += check.code == "forged"
            seen_malformed += check.code == "malformed"
    assert seen_forged > 100 and seen_malformed > 2 * len(TEXT)


def test_every_bit_of_every_decoded_byte_is_never_valid() -> None:
    raw = _body_bytes(TEXT)
    assert len(raw) == TOKEN_BYTES
    for index in range(len(raw)):
        for bit in range(8):
            tampered = bytearray(raw)
            tampered[index] ^= 1 << bit
            check = _check(_text_of(bytes(tampered)))
            if index < 4:
                assert check.code in {"other_congress", "malformed"}, (index, bit, check)
            else:
                assert check.code in {"forged", "malformed"}, (index, bit, check)
            if 4 <= index < 10 and check.code == "malformed":
                # only an id or version of zero is refused before the signature check
                assert "out of range" in check.detail


def test_unused_bits_of_last_character_must_be_zero() -> None:
    last = TEXT[-1]
    # 74 bytes are 592 bits in 119 characters: the last character's low 3 bits are unused
    variants = [
        c for c in ALPHABET if c != last and ALPHABET.index(c) >> 3 == ALPHABET.index(last) >> 3
    ]
    assert variants
    for variant in variants:
        tampered = TEXT[:-1] + variant
        # decodes to the same bytes, but is not the canonical text: refused
        assert _body_bytes(tampered) == _body_bytes(TEXT)
        check = _check(tampered)
        assert check.code == "malformed" and "non-canonical" in check.detail


def test_signature_from_another_key_is_forged() -> None:
    assert _check(sign_badge(OTHER_KEY, TOKEN)).code == "forged"


def test_ballot_key_context_cannot_make_a_badge() -> None:
    # The same key signing the bare fields (no context string) does not verify as a badge.
    raw = TOKEN.fields() + KEY.sign(TOKEN.fields())
    assert _check(_text_of(raw)).code == "forged"


def test_other_congress() -> None:
    other = sign_badge(OTHER_KEY, BadgeToken(8, 1234, 1))
    check = _check(other)
    assert check.code == "other_congress"
    assert check.token == BadgeToken(8, 1234, 1)
    keys = {7: PUBLIC, 8: OTHER_KEY.public_key()}
    assert verify_badge(keys, other, congress_id=7).code == "other_congress"
    assert verify_badge(keys, other, congress_id=8).code == "valid"
    # A token claiming congress 8 but signed with congress 7's key is forged when 8's key is known.
    assert verify_badge(keys, sign_badge(KEY, BadgeToken(8, 1, 1)), congress_id=7).code == "forged"
    with pytest.raises(ValueError):
        verify_badge(keys, other)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "D1",
        "hello",
        TEXT[:-1],
        TEXT[:60],
        TEXT + "A",
        TEXT + "AAAAAAAA",
        "X1" + TEXT[2:],
        "D2" + TEXT[2:],
        TEXT[2:],
        "D1" + "A" * 119,
        TEXT.replace(TEXT[10], "1", 1),
        TEXT + " " * 100,
        "https://daihoi.example.vn/b/",
        "https://daihoi.example.vn/p/" + TEXT,
        "A" * 10_000,
        "\x00" * 121,
        "Đ1" + TEXT[2:],
        TEXT[:50] + "é" + TEXT[51:],
    ],
)
def test_malformed_inputs(text: str) -> None:
    check = _check(text)
    assert check.code == "malformed", (text[:40], check)
    assert check.token is None
    with pytest.raises(BadgeTokenError) as info:
        parse_badge(text)
    assert info.value.code == "malformed"


def test_huge_payload_refused_before_decoding() -> None:
    check = _check("D1" + "A" * (SETTINGS.max_input_chars + 1))
    assert check.code == "malformed" and "longer than" in check.detail
    assert _check(" " * 90 + TEXT).code == "malformed"  # 211 characters with white space


def test_decide_vocabulary() -> None:
    valid = _check(TEXT)
    when = dt.datetime(2026, 11, 20, 9, 30)
    assert decide(valid, DelegateBadgeState(2, revoked=False)).code == "valid"
    assert decide(valid, None).code == "unknown"
    assert decide(valid, DelegateBadgeState(2, revoked=True)).code == "revoked"
    # revoked wins over replaced: the holder of any badge of a revoked delegate is refused
    assert decide(valid, DelegateBadgeState(3, revoked=True, replaced_at=when)).code == "revoked"
    replaced = decide(valid, DelegateBadgeState(3, revoked=False, replaced_at=when))
    assert replaced.code == "replaced" and replaced.replaced_at == when
    assert replaced.message == MESSAGES["replaced"]
    assert replaced.message % {"date": "20/11/2026"} == (
        "Badge replaced on 20/11/2026: this is an old badge"
    )
    newer = decide(valid, DelegateBadgeState(1, revoked=False))
    assert newer.code == "valid" and newer.admitted and newer.detail == "newer than the register"
    for text, code in [
        ("garbage", "malformed"),
        (sign_badge(OTHER_KEY, TOKEN), "forged"),
        (sign_badge(OTHER_KEY, BadgeToken(9, 1, 1)), "other_congress"),
    ]:
        verdict = decide(_check(text), DelegateBadgeState(1, revoked=False))
        assert verdict.code == code and not verdict.admitted
        assert verdict.message == MESSAGES[code]


def test_every_verdict_has_a_message() -> None:
    assert set(MESSAGES) == {
        "valid",
        "replaced",
        "revoked",
        "unknown",
        "forged",
        "other_congress",
        "malformed",
    }


def test_documented_javascript_verifier_agrees() -> None:
    """The JavaScript in docs/badges.md, run by node, gives the library's verdict on each case."""
    import json
    import re
    import shutil
    import subprocess
    from pathlib import Path

    from congress.keys import public_key_b64

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    docs = Path(__file__).resolve().parents[2] / "docs" / "badges.md"
    script = re.search(r"```js\n(.*?)```", docs.read_text(encoding="utf-8"), re.S)
    assert script is not None
    last = ALPHABET[(ALPHABET.index(TEXT[-1]) ^ 1)]  # flips an unused bit: non-canonical
    cases = [
        TEXT,
        TEXT.lower(),
        f"  {badge_url('https://daihoi.example.vn', TEXT.lower())}?x=1 \n",
        TEXT[:-1] + last,
        TEXT[:40] + ("A" if TEXT[40] != "A" else "B") + TEXT[41:],
        sign_badge(OTHER_KEY, TOKEN),
        sign_badge(OTHER_KEY, BadgeToken(9, 1, 1)),
        TEXT[:-2],
        "D1" + "A" * 119,
        "x" * 201,
    ]
    expected = [_check(case).code for case in cases]
    assert set(expected) == {"valid", "malformed", "forged", "other_congress"}
    harness = script.group(1) + (
        "\n(async () => {\n"
        f"  const raw = Buffer.from({json.dumps(public_key_b64(KEY))}, 'base64');\n"
        "  const key = await crypto.subtle.importKey('raw', raw, {name: 'Ed25519'}, false,"
        " ['verify']);\n"
        f"  const cases = {json.dumps(cases)};\n"
        "  const out = [];\n"
        "  for (const c of cases) out.push((await verifyBadge(c, 7, key)).code);\n"
        "  console.log(JSON.stringify(out));\n"
        "})();\n"
    )
    result = subprocess.run(
        [node, "-e", harness], capture_output=True, text=True, timeout=30, check=False
    )
    if "Unrecognized" in result.stderr or "NotSupportedError" in result.stderr:
        pytest.skip(f"this node has no WebCrypto Ed25519: {result.stderr.splitlines()[-1]}")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
