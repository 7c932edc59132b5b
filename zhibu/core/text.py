"""Text clean-up for what people really type (full-width digits, stray spaces), and masking."""

from __future__ import annotations

from datetime import date

_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＸｘＡＢＣＤＥＦ－／．"}
_FULLWIDTH[0x3000] = ord(" ")


def normalize_digits(text: str) -> str:
    """Full-width digits, letters and separators to ASCII; strip surrounding spaces."""
    return text.translate(_FULLWIDTH).strip()


def mask_id_number(value: str | None) -> str:
    """First and last character only: with the region codes and the check digit, any more
    (e.g. the old 3 + 4 with the birth date beside it) lets a branch-mate rebuild the number."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:1] + "*" * (len(value) - 2) + value[-1:]


def mask_birth_date(value: date | None) -> int | None:
    """The year at most: the month and day are digits 11-14 of the 身份证号."""
    return value.year if value else None


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
