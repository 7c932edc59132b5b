"""Text clean-up for what people really type (full-width digits, stray spaces)."""

_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＸｘＡＢＣＤＥＦ－／．"}
_FULLWIDTH[0x3000] = ord(" ")


def normalize_digits(text: str) -> str:
    """Full-width digits, letters and separators to ASCII; strip surrounding spaces."""
    return text.translate(_FULLWIDTH).strip()


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
