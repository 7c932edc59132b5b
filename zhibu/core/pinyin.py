"""Chinese names in the order people expect: by pinyin, not by code point.

Sorting by code point scatters a roster (张 U+5F20 before 李 U+674E); a roster read aloud or
scanned for one's own name follows pinyin (李 li, 王 wang, 张 zhang). A surname whose common
reading differs from its surname reading is read as a surname (单 shan, 曾 zeng).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

from pypinyin import Style, lazy_pinyin

T = TypeVar("T")

# Surnames read differently from the character's usual reading (《百家姓》 readings).
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "召": "shao",
    "牟": "mu",
    "种": "chong",
    "员": "yun",
    "长": "chang",
    "沈": "shen",
    "尉": "yu",
}


@lru_cache(maxsize=65536)
def _syllables(name: str) -> tuple[str, ...]:
    if not name:
        return ()
    first = SURNAME_READINGS.get(name[0]) or lazy_pinyin(name[0], style=Style.NORMAL)[0]
    rest = lazy_pinyin(name[1:], style=Style.NORMAL)
    return tuple(s.strip().lower() for s in [first, *rest] if s.strip())


def name_reading(name: str) -> str:
    """The toneless pinyin of a name, syllables separated by spaces ("zhang bo hao"): what a
    database column can sort by so that a paginated roster is in pinyin order."""
    return " ".join(_syllables(name))


def name_initials(name: str) -> str:
    """The first letter of each syllable ("zbh" for 张博昊): what people type to find a name
    on a phone without switching to a Chinese input method."""
    return "".join(s[0] for s in _syllables(name) if s[0].isascii() and s[0].isalnum())


def pinyin_key(name: str) -> tuple[str, str]:
    """The sort key of a name: its toneless pinyin, surname read as a surname, then the name
    itself so that equal readings keep a stable order."""
    return (name_reading(name), name)


def by_pinyin(rows: Iterable[T], name: Callable[[T], str]) -> list[T]:
    """`rows` sorted by the pinyin of `name(row)`."""
    return sorted(rows, key=lambda row: pinyin_key(name(row)))
