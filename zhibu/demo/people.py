"""Plausible people: names, valid 身份证号 consistent with birth date and gender, phones."""

from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import accumulate

from zhibu.demo import pools
from zhibu.members.validators import id_check_digit

# Surnames are drawn with weights falling off along the list, like real frequencies.
_SURNAME_CUM = list(accumulate(1.0 / (1 + i * 0.08) for i in range(len(pools.SURNAMES))))


def person_name(rng: random.Random, gender: str) -> str:
    surname = rng.choices(pools.SURNAMES, cum_weights=_SURNAME_CUM)[0]
    chars = pools.MALE_CHARS if gender == "male" else pools.FEMALE_CHARS
    given = rng.choice(chars)
    if rng.random() < 0.7:
        given += rng.choice(chars)
    return surname + given


def id_number(area: str, birth: date, seq: int, gender: str) -> str:
    """An 18-digit number whose 17th digit is odd for men and even for women."""
    seq = seq % 1000
    if (seq % 2 == 1) != (gender == "male"):
        seq = seq + 1 if seq < 999 else seq - 1
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


class IdNumbers:
    """Unique valid 身份证号 for a run (the column is unique)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, birth: date, gender: str) -> str:
        while True:
            area = self.rng.choice(pools.AREA_CODES)
            value = id_number(area, birth, self.rng.randrange(1000), gender)
            if value not in self.used:
                self.used.add(value)
                return value


class Phones:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self) -> str:
        while True:
            value = self.rng.choice(pools.PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if value not in self.used:
                self.used.add(value)
                return value


def random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def education(rng: random.Random, category: str) -> str:
    weights = (8, 45, 30, 12, 5) if category == "enterprise" else (18, 60, 17, 4, 1)
    return rng.choices(
        ("postgraduate", "bachelor", "junior_college", "secondary", "junior"), weights=weights
    )[0]
