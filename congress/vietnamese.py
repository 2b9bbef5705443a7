"""Vietnamese text: NFC normalisation, alphabetical order of names, diacritic-free folding."""

from __future__ import annotations

import unicodedata

# The Vietnamese alphabet; letters with tone marks sort after the base letter by tone.
ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_LETTER_RANK = {ch: i for i, ch in enumerate(ALPHABET)}
# Tone order used in dictionaries: none, huyền (grave), sắc (acute), hỏi (hook), ngã (tilde), nặng (dot).
_TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
# Combining marks that form letters of the alphabet (not tones).
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn


def nfc(text: str) -> str:
    """Normalise to NFC and collapse runs of white space; names are otherwise kept as written."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _letter_key(ch: str) -> tuple[int, int, int]:
    decomposed = unicodedata.normalize("NFD", ch.lower())
    base = decomposed[0]
    tone = 0
    letter_marks = ""
    for mark in decomposed[1:]:
        if mark in _TONES:
            tone = _TONES[mark]
        elif mark in _LETTER_MARKS:
            letter_marks += mark
    letter = unicodedata.normalize("NFC", base + letter_marks)
    if letter == "d" and "đ" in ch.lower():
        letter = "đ"
    rank = _LETTER_RANK.get(letter)
    if rank is None:
        # Letters outside the Vietnamese alphabet (f, j, w, z, digits) sort after it, by code point.
        return (len(ALPHABET) + 1, ord(letter[0]), tone)
    return (0, rank, tone)


def word_key(word: str) -> tuple[tuple[int, int, int], ...]:
    """Sort key of one word: letters by the Vietnamese alphabet, tone marks as a tie-breaker."""
    letters = [_letter_key(ch) for ch in unicodedata.normalize("NFC", word)]
    # Compare letters first, tones only when the toneless words are equal (dictionary order).
    return (
        tuple((k[0], k[1], 0) for k in letters)
        + ((-1, 0, 0),)
        + tuple((0, 0, k[2]) for k in letters)
    )


def name_sort_key(full_name: str) -> tuple:
    """Order of Vietnamese full names: the given name (last word) first, then the rest in order."""
    words = nfc(full_name).split(" ")
    if not words or words == [""]:
        return ()
    given, rest = words[-1], words[:-1]
    return (word_key(given), tuple(word_key(w) for w in rest))


def fold(text: str) -> str:
    """Lower-case text without diacritics, for search ("Nghị quyết" -> "nghi quyet")."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    stripped = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def name_sort_string(full_name: str) -> str:
    """`name_sort_key` as a digit string, so a database orders names the Vietnamese way.

    Only digits, so that every collation (SQLite binary, PostgreSQL locales) compares it alike.
    Each word is its letters (two digits each), "00", then one tone digit per letter.
    """

    def encode(word: str) -> str:
        keys = [_letter_key(ch) for ch in unicodedata.normalize("NFC", word)]
        letters = "".join(
            f"{rank + 10:02d}"
            if group == 0
            else ("5" + chr(rank)[0] if chr(rank).isdigit() else "99")
            for group, rank, _ in keys
        )
        return letters + "00" + "".join(str(tone) for _, _, tone in keys)

    words = nfc(full_name).split(" ")
    if not words or words == [""]:
        return ""
    return "".join(encode(w) for w in [words[-1], *words[:-1]])
