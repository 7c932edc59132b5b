"""Rule instances as data: profiles (profiles/*.toml) plus ancestors' overrides.

An organization's effective rules are the profiles selected by its category (or the
`compliance_profiles` setting inherited from an ancestor), with central rules that a selected
profile `replaces` dropped, and then the RuleOverride rows of its ancestors applied from the
root down. Stricter overrides always apply; an override that loosens a rule applies only with
`loosens=True`, and the resulting rule says so (`loosened`).
"""

from __future__ import annotations

import functools
import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils.translation import get_language

from zhibu.compliance.kinds import KINDS, loosened_params
from zhibu.compliance.verdicts import SEVERITY_RANK
from zhibu.core.sources import Source as Source  # re-exported: profiles cite with it
from zhibu.core.sources import source_text as source_text  # re-exported
from zhibu.orgs.models import SEGMENT, Organization, subtree_q

log = logging.getLogger(__name__)

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
FAMILIES = (
    "party_day",
    "meetings",
    "attendance",
    "makeup",
    "dual_life",
    "reports",
    "procedure",
    "activity",
)
SUBJECTS = ("branch", "member")
RULE_PERIODS = ("month", "quarter", "half", "year")
REQUIRED = (
    "id",
    "kind",
    "family",
    "subject",
    "period",
    "severity",
    "name_zh",
    "name_en",
    "text_zh",
    "text_en",
    "sources",
)
# Never part of a citation a user reads: DOMAIN.md's confidence markers and internal file names.
_NOT_IN_SOURCES = ("[", "]", "§", ".md", "客户")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    family: str
    subject: str  # branch | member
    period: str  # month | quarter | half | year
    params: dict = field(hash=False, compare=False)
    severity: str
    name_zh: str
    name_en: str
    text_zh: str
    text_en: str
    sources: tuple[Source, ...]
    profile: str
    loosened: bool = False
    enabled: bool = True
    replaces: tuple[str, ...] = ()
    override_org_ids: tuple[int, ...] = ()  # organizations whose overrides shaped this rule
    override_reason: str = ""

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def text(self) -> str:
        return self.text_en if (get_language() or "").startswith("en") else self.text_zh

    @property
    def source(self) -> str:
        """The citation every page, export, message and API shows (see source_text)."""
        return source_text(self.sources)


@dataclass(frozen=True)
class Profile:
    id: str
    name_zh: str
    name_en: str
    categories: tuple[str, ...]
    org_kinds: tuple[str, ...]
    rules: tuple[Rule, ...]

    def applies_to(self, category: str) -> bool:
        return "*" in self.categories or category in self.categories


def _rule_from(entry: dict, profile_id: str, where: str) -> Rule:
    missing = [k for k in REQUIRED if not entry.get(k)]
    if missing:
        raise ImproperlyConfigured(f"{where}: rule {entry.get('id')!r} lacks {', '.join(missing)}")
    checks = [
        ("kind", entry["kind"] in KINDS, sorted(KINDS)),
        ("family", entry["family"] in FAMILIES, FAMILIES),
        ("subject", entry["subject"] in SUBJECTS, SUBJECTS),
        ("period", entry["period"] in RULE_PERIODS, RULE_PERIODS),
        ("severity", entry["severity"] in SEVERITY_RANK, list(SEVERITY_RANK)),
    ]
    for key, ok, allowed in checks:
        if not ok:
            raise ImproperlyConfigured(
                f"{where}: rule {entry['id']!r} has {key}={entry[key]!r}; use one of {allowed}"
            )
    return Rule(
        id=entry["id"],
        kind=entry["kind"],
        family=entry["family"],
        subject=entry["subject"],
        period=entry["period"],
        params=dict(entry.get("params", {})),
        severity=entry["severity"],
        name_zh=entry["name_zh"],
        name_en=entry["name_en"],
        text_zh=entry["text_zh"],
        text_en=entry["text_en"],
        sources=_sources_from(entry["sources"], f"{where}: rule {entry['id']!r}"),
        profile=profile_id,
        replaces=tuple(entry.get("replaces", ())),
    )


def _sources_from(entries: list, where: str) -> tuple[Source, ...]:
    """Checked citations: each names a document; no internal marker can reach a user."""
    out = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("doc") or set(entry) - {"doc", "article"}:
            raise ImproperlyConfigured(f"{where}: each source is {{ doc = ..., article = ... }}")
        text = entry["doc"] + entry.get("article", "")
        if any(m in text for m in _NOT_IN_SOURCES) or "《" in text or "》" in text:
            raise ImproperlyConfigured(
                f"{where}: source {text!r} must be a bare document title and article"
            )
        out.append(Source(doc=entry["doc"], article=entry.get("article", "")))
    return tuple(out)


def parse_profile(path: Path) -> Profile:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    head = data.get("profile", {})
    profile_id = head.get("id") or path.stem
    rules = tuple(_rule_from(e, profile_id, path.name) for e in data.get("rules", []))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ImproperlyConfigured(f"{path.name}: rule id {rule.id!r} appears twice")
        seen.add(rule.id)
    return Profile(
        id=profile_id,
        name_zh=head.get("name_zh", profile_id),
        name_en=head.get("name_en", profile_id),
        categories=tuple(head.get("categories", ["*"])),
        org_kinds=tuple(head.get("org_kinds", ["branch"])),
        rules=rules,
    )


@functools.cache
def load_profiles() -> dict[str, Profile]:
    """Every shipped profile, parsed and checked once per process."""
    profiles = {}
    for path in sorted(PROFILE_DIR.glob("*.toml")):
        profile = parse_profile(path)
        profiles[profile.id] = profile
    ids: dict[str, str] = {}
    for profile in profiles.values():
        for rule in profile.rules:
            if rule.id in ids:
                raise ImproperlyConfigured(
                    f"rule id {rule.id!r} is in both {ids[rule.id]} and {profile.id}"
                )
            ids[rule.id] = profile.id
    return profiles


def all_rules() -> dict[str, Rule]:
    return {r.id: r for p in load_profiles().values() for r in p.rules}


def base_rules(org: Organization, settings: dict | None = None) -> list[Rule]:
    """The profile rules for one organization, before overrides."""
    profiles = load_profiles()
    chosen = (settings or {}).get("compliance_profiles")
    if chosen:
        selected = [profiles[p] for p in chosen if p in profiles]
    else:
        selected = [p for p in profiles.values() if p.applies_to(org.category)]
    selected = [p for p in selected if org.kind in p.org_kinds]
    rules = [r for p in selected for r in p.rules]
    replaced = {rid for r in rules for rid in r.replaces}
    return [r for r in rules if r.id not in replaced]


def override_problems(rule: Rule, params: dict, severity: str, enabled: bool) -> list[str]:
    """What an override would loosen (parameter names, 'severity', 'enabled'); [] if stricter."""
    problems = loosened_params(rule.kind, rule.params, params or {})
    if severity and SEVERITY_RANK[severity] < SEVERITY_RANK[rule.severity]:
        problems.append("severity")
    if not enabled:
        problems.append("enabled")
    return problems


def apply_override(rule: Rule, ov: dict) -> Rule:
    """The rule after one override row; an unflagged loosening is ignored (and logged)."""
    problems = override_problems(rule, ov["params"], ov["severity"], ov["enabled"])
    if problems and not ov["loosens"]:
        log.warning(
            "override of %s at org %s loosens %s without loosens=True; ignored",
            rule.id,
            ov["org_id"],
            problems,
        )
        return rule
    return replace(
        rule,
        params={**rule.params, **(ov["params"] or {})},
        severity=ov["severity"] or rule.severity,
        enabled=rule.enabled and ov["enabled"],
        loosened=rule.loosened or bool(problems),
        override_org_ids=(*rule.override_org_ids, ov["org_id"]),
        override_reason=ov["reason"] or rule.override_reason,
    )


def with_parameters(
    rules_by_org: dict[int, list[Rule]], params_by_org: dict[int, dict]
) -> dict[int, list[Rule]]:
    """Each organization's rules with its resolved parameters of organizational life
    (orgs.parameters.overrides) merged under the rule's own params, so a subtree's make-up
    deadline or half-day length reaches its verdicts. Organizations with the same parameters
    share the merged rules (a big tree mostly has the defaults, and shares the rules as is)."""
    merged: dict[tuple, Rule] = {}
    out: dict[int, list[Rule]] = {}
    for pk, rules in rules_by_org.items():
        params = params_by_org.get(pk)
        if not params:
            out[pk] = rules
            continue
        items = tuple(sorted(params.items()))
        row = []
        for rule in rules:
            key = (id(rule), items)
            found = merged.get(key)
            if found is None:
                found = merged[key] = replace(rule, params={**params, **rule.params})
            row.append(found)
        out[pk] = row
    return out


def common_path(paths: Iterable[str]) -> str:
    """The path of the deepest organization that is an ancestor of (or equal to) all paths."""
    paths = list(paths)
    if not paths:
        return ""
    prefix = paths[0]
    for p in paths[1:]:
        n = 0
        while n < min(len(prefix), len(p)) and prefix[n] == p[n]:
            n += 1
        prefix = prefix[:n]
    return prefix[: len(prefix) // SEGMENT * SEGMENT]


def effective_rules(
    orgs: Iterable[Organization], *, settings: dict[int, dict] | None = None
) -> dict[int, list[Rule]]:
    """Effective rules per organization id: profiles by category + ancestors' overrides.

    One query (the overrides of the organizations' common ancestors and of their subtree),
    whatever the number of organizations. `settings` are the resolved per-organization
    settings (nearest ancestor first); without them each organization's own are used.
    """
    from zhibu.compliance.models import RuleOverride

    orgs = list(orgs)
    if not orgs:
        return {}
    root = common_path(o.path for o in orgs)
    ancestor_ids = [int(root[i : i + SEGMENT]) for i in range(0, len(root), SEGMENT)]
    q = Q(org_id__in=ancestor_ids)
    if root:
        q |= subtree_q(root, "org__path")
    else:  # organizations under different roots
        q = Q()
    rows = list(
        RuleOverride.objects.filter(q)
        .values(
            "org_id", "org__path", "rule_id", "params", "severity", "enabled", "loosens", "reason"
        )
        .order_by("org__path", "rule_id")
    )
    out: dict[int, list[Rule]] = {}
    for org in orgs:
        org_settings = (settings or {}).get(org.pk, org.settings or {})
        rules = {r.id: r for r in base_rules(org, org_settings)}
        for ov in rows:
            if ov["rule_id"] in rules and org.path.startswith(ov["org__path"]):
                rules[ov["rule_id"]] = apply_override(rules[ov["rule_id"]], ov)
        out[org.pk] = list(rules.values())
    return out
