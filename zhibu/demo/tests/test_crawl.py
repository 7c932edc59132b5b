"""A crawl of the demo as every role: no page or download shows an internal marker.

Users must never read our team's codes: DOMAIN.md's confidence markers ([P]/[Q]/[S]/[U]), its
section signs and file names, the words 客户规则, a rule id from the profiles, or any other
snake_case code (a step, a pattern, a status). The crawl logs
in as each demo account, follows every internal link reachable from the home page and the menus
(GET only, bounded per role) and checks the visible text of each page (tags and attribute values
stripped) and the cell text of each xlsx download.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from io import BytesIO, StringIO
from urllib.parse import urldefrag, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from zhibu.accounts.models import User
from zhibu.compliance.rules import all_rules
from zhibu.demo.management.commands.demo import mark_demo_database, unmark_demo_database, wipe_data
from zhibu.orglife.meeting_types import MEETING_TYPES
from zhibu.orglife.services import AMENDABLE_FIELDS

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ACCOUNTS = ("admin", "gongwei", "shuji", "dangyuan", "shuji2", "lingdao")
MAX_PAGES = 300  # per role
# URLs of one page type (path with ids as N: /orglife/meetings/N/) per role, query strings
# (periods, filters, pages) included: a sample of each type rather than every member's page.
MAX_PER_TYPE = 8
# Not pages a user browses: the machine API, Django's admin, static files, switches and exits.
SKIP = ("/api/", "/admin/", "/static/", "/media/", "/i18n/", "/accounts/logout")
MARKERS = ("DOMAIN.md", "STYLE.md", "客户规则", "[P]", "[Q]", "[S]", "[U]", "§")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_HTML_BYTES = 250 * 1024  # a page a phone loads over a county network
MAX_QUERIES = 40  # the most queries any one page may take (the slowest page stays bounded)


class _Page(HTMLParser):
    """The visible text and the links of one page (scripts, styles and attributes ignored)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        a = dict(attrs)
        href = a.get("href") if tag == "a" else None
        for link in (href, a.get("hx-get")):  # links and the partials htmx loads
            if link:
                self.links.append(link)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


# An internal code: snake_case (time_squeezed, follow_up), not part of a path, file or address.
CODE = re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./@-])")


@functools.cache
def _known_codes() -> frozenset[str]:
    """Every one-word code of our enums, procedure steps and amendable fields (present, theme,
    qualified, minutes): a snake_case pattern does not catch them, this list does."""
    codes: set[str] = set(AMENDABLE_FIELDS)
    codes.update(s.code for t in MEETING_TYPES.values() for s in t.steps)
    for model in apps.get_models():
        if not model.__module__.startswith("zhibu."):
            continue
        for f in model._meta.get_fields():
            for value, _label in getattr(f, "choices", None) or ():
                if isinstance(value, str):
                    codes.add(value)
    return frozenset(c for c in codes if re.fullmatch(r"[a-z]+", c))


WORD = re.compile(r"(?<![\w./@:?=&-])[a-z]+(?![\w./@-])")


def internal_markers(text: str) -> list[str]:
    """Every internal marker, rule id or other code (snake_case or one of ours) in a user's text."""
    found = [m for m in MARKERS if m in text]
    rule_ids = [rid for rid in all_rules() if re.search(rf"(?<![\w/-]){rid}(?![\w/-])", text)]
    codes = set(CODE.findall(text)) - set(rule_ids)
    codes |= set(WORD.findall(text)) & _known_codes()
    return found + rule_ids + sorted(codes)


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(BytesIO(content), read_only=True)
    return "\n".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


def _follow(href: str, here: str) -> str | None:
    """The internal path (with query) a link leads to, or None for one the crawl skips."""
    href = urldefrag(href)[0]
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not href or href.startswith(("mailto:", "tel:")):
        return None
    if not href.startswith("/"):
        base = urlsplit(here).path
        href = base[: base.rfind("/") + 1] + href
    if href.startswith(SKIP):
        return None
    return href


@dataclass
class Crawl:
    fetched: list[str] = field(default_factory=list)
    found: dict[str, list[str]] = field(default_factory=dict)  # url -> markers shown
    errors: list[str] = field(default_factory=list)  # urls answering 5xx
    big: dict[str, int] = field(default_factory=dict)  # html pages over MAX_HTML_BYTES
    queries: dict[str, int] = field(default_factory=dict)  # url -> queries to answer it

    def __iter__(self):  # fetched, found, errors (the older three-value form)
        return iter((self.fetched, self.found, self.errors))


def crawl(client, start: str | tuple[str, ...] = "/") -> Crawl:
    """Follow internal links from `start` (one or more pages): what was fetched, the markers
    found, the server errors, the oversized pages and every page's query count."""
    starts = (start,) if isinstance(start, str) else start
    seen = set(starts)
    per_type: dict[str, int] = {}
    queue = deque(starts)
    result = Crawl()
    found, errors, fetched = result.found, result.errors, result.fetched
    while queue and len(fetched) < MAX_PAGES:
        url = queue.popleft()
        with CaptureQueriesContext(connection) as queries:
            res = client.get(url)
        fetched.append(url)
        result.queries[url] = len(queries)
        if res.status_code >= 500:
            errors.append(url)
            continue
        if res.status_code != 200:
            continue
        kind = res.get("Content-Type", "")
        if kind.startswith("text/html") and len(res.content) > MAX_HTML_BYTES:
            result.big[url] = len(res.content)
        if kind.startswith(XLSX):
            text, links = _xlsx_text(res.content), []
        elif kind.startswith("text/html"):
            page = _Page()
            page.feed(res.content.decode())
            text, links = "\n".join(page.text), page.links
        elif kind.startswith(("text/", "application/json")):
            text, links = res.content.decode(), []
        else:  # pdf, docx, images: not checked here
            continue
        if markers := internal_markers(text):
            found[url] = markers
        for href in links:
            target = _follow(href, url)
            if target is None or target in seen:
                continue
            kind_of_page = re.sub(r"\d+", "N", urlsplit(target).path)
            per_type[kind_of_page] = per_type.get(kind_of_page, 0) + 1
            if per_type[kind_of_page] > MAX_PER_TYPE:
                continue
            seen.add(target)
            queue.append(target)
    return result


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The county demo built once for this module (time pinned), wiped again afterwards."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False):
        mark_demo_database(connection)  # the migrated test database is the demo's to fill
        call_command("demo", "--no-serve", stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        wipe_data(connection)
        unmark_demo_database(connection)


@pytest.fixture
def demo(built, db):
    with time_machine.travel(NOW, tick=False):
        yield


def test_marker_check_sees_markers_and_rule_ids():
    assert internal_markers("出处：机关党支部组织生活规定（客户规则，DOMAIN.md §0）[U]") == [
        "DOMAIN.md",
        "客户规则",
        "[U]",
        "§",
    ]
    assert internal_markers("规则 organ_party_day_monthly 未达标") == ["organ_party_day_monthly"]
    assert internal_markers("本单位规定《机关党支部组织生活规定》") == []
    assert internal_markers("10月27日 follow_up 会后落实情况已跟进") == ["follow_up"]
    # one-word codes of our enums, steps and fields, which the snake_case pattern misses
    assert internal_markers("present：36 late：1 · theme 已完成 · qualified:3") == [
        "late",
        "present",
        "qualified",
        "theme",
    ]
    assert internal_markers("原值 minutes 新值") == ["minutes"]
    assert internal_markers("导出 Excel · PDF 文件 · ?state=open") == []
    # a code inside a path, a file name or an address is not shown as a code
    assert internal_markers("/compliance/rule/organ_makeup/ roster_template.xlsx a_b@x.cn") == []


def test_page_text_ignores_tags_and_attribute_values():
    page = _Page()
    page.feed(
        '<a href="/compliance/rule/organ_makeup/">漏课补课</a><script>var x="[P]";</script>'
        '<input name="organ_makeup" value="§">'
    )
    assert page.text == ["漏课补课"]
    assert page.links == ["/compliance/rule/organ_makeup/"]


def _seeds(user) -> tuple[str, ...]:
    """Where the crawl starts: the home page, plus the pages of the annual cycle that only
    links from a member or meeting reach (the crawl samples few of those)."""
    from zhibu.orglife.models import Meeting
    from zhibu.orgs.permissions import Action, user_scope, visible_to
    from zhibu.reports.models import DemocraticReview

    seeds = ["/", "/reports/review/"]
    scope = user_scope(user)
    if scope.member_id:
        seeds.append(f"/reports/member/{scope.member_id}/")
    olm = visible_to(user, Action.VIEW, Meeting.objects.filter(meeting_type="org_life_meeting"))
    seeds += [f"/reports/olm/{pk}/" for pk in olm.values_list("pk", flat=True)[:2]]
    reviews = visible_to(user, Action.VIEW, DemocraticReview.objects.all())
    seeds += [f"/reports/review/{pk}/" for pk in reviews.values_list("pk", flat=True)[:2]]
    amended = visible_to(user, Action.VIEW, Meeting.objects.filter(amendments__isnull=False))
    seeds += [f"/orglife/meetings/{pk}/" for pk in amended.values_list("pk", flat=True)[:2]]
    return tuple(dict.fromkeys(seeds))


@pytest.mark.parametrize("username", ACCOUNTS)
def test_no_internal_marker_on_any_page(demo, client, username):
    """Every role, every page type: no 5xx, no code in the zh-hans text, no page over
    250 KB of HTML, and no page beyond the query budget."""
    user = User.objects.get(username=username)
    client.force_login(user)
    result = crawl(client, _seeds(user))
    assert len(result.fetched) > 20, f"{username} reached only {result.fetched}"
    assert result.errors == []
    assert result.found == {}
    assert result.big == {}
    slowest = max(result.queries, key=result.queries.get)
    assert result.queries[slowest] <= MAX_QUERIES, (slowest, result.queries[slowest])
