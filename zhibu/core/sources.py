"""Citations a user reads: the document (and confirmed article) a rule or parameter comes from.

Shared by the rule profiles (compliance) and the parameter registry (orgs), so both cite the
same way and the deployment's own rules are titled in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

# The citation of a rule of the organization's own rule set: shown as 本单位规定 plus the title
# and number the deployment configures (ZHIBU_ORGAN_RULES_TITLE, ZHIBU_ORGAN_RULES_NUMBER).
OWN_RULES = "本单位规定"


@dataclass(frozen=True)
class Source:
    """One cited document: its full title without 《》 (or OWN_RULES) and confirmed articles."""

    doc: str
    article: str = ""


def source_text(sources: Iterable[Source]) -> str:
    """The one readable citation, e.g. 《中国共产党支部工作条例（试行）》第十一条.

    Built when shown, so the configured title of the organization's own rules applies.
    """
    parts = []
    for s in sources:
        if s.doc == OWN_RULES:
            number = settings.ZHIBU_ORGAN_RULES_NUMBER
            parts.append(
                f"{OWN_RULES}《{settings.ZHIBU_ORGAN_RULES_TITLE}》"
                + (f"（{number}）" if number else "")
            )
        else:
            parts.append(f"《{s.doc}》{s.article}")
    return "；".join(parts)
