"""A crawl of the demo as every role: no page or download shows an internal marker.

Users must never read our team's codes: DOMAIN.md's confidence markers ([P]/[Q]/[S]/[U]), its
section signs and file names, the words 客户规则, a rule id from the profiles, or any other
snake_case code (a step, a pattern, a status). The crawl logs
in as each demo account, follows every internal link reachable from the home page and the menus
(GET only, bounded per role) and checks the visible text of each page (tags and attribute values
stripped) and the cell text of each xlsx download.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import datetime
from html.parser import HTMLParser
from io import BytesIO, StringIO
from urllib.parse import urldefrag, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook

from zhibu.accounts.models import User
from zhibu.compliance.rules import all_rules
from zhibu.demo.management.commands.demo import mark_demo_database, unmark_demo_database, wipe_data

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


def internal_markers(text: str) -> list[str]:
    """Every internal marker, rule id or other snake_case code in a text a user reads."""
    found = [m for m in MARKERS if m in text]
    rule_ids = [rid for rid in all_rules() if re.search(rf"(?<![\w/-]){rid}(?![\w/-])", text)]
    codes = sorted(set(CODE.findall(text)) - set(rule_ids))
    return found + rule_ids + codes


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


def crawl(client, start: str = "/") -> tuple[list[str], dict[str, list[str]], list[str]]:
    """URLs fetched, {url: markers found}, and URLs that answered with a server error."""
    seen = {start}
    per_type: dict[str, int] = {}
    queue = deque([start])
    found: dict[str, list[str]] = {}
    errors: list[str] = []
    fetched: list[str] = []
    while queue and len(fetched) < MAX_PAGES:
        url = queue.popleft()
        res = client.get(url)
        fetched.append(url)
        if res.status_code >= 500:
            errors.append(url)
            continue
        if res.status_code != 200:
            continue
        kind = res.get("Content-Type", "")
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
    return fetched, found, errors


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


@pytest.mark.parametrize("username", ACCOUNTS)
def test_no_internal_marker_on_any_page(demo, client, username):
    client.force_login(User.objects.get(username=username))
    fetched, found, errors = crawl(client)
    assert len(fetched) > 20, f"{username} reached only {fetched}"
    assert errors == []
    assert found == {}
