"""English UI: the language switch works, and the English catalogue is complete.

Source strings are Chinese; zhibu/locale/en/LC_MESSAGES/django.po holds the English.
See docs/translating.md for how to update it.
"""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from zhibu.orgs.tests.factories import UserFactory

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


# --- the language switch ------------------------------------------------------------------


def _login(client):
    user = UserFactory()
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": "pass-1234"}
    )
    assert response.status_code == 302
    return user


def _switch_to_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_chinese_by_default(client):
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert "手机号或用户名" in login_page
    assert "Mobile number or username" not in login_page

    _login(client)
    home = client.get(reverse("core:home")).content.decode()
    assert '<html lang="zh-hans"' in home
    assert "退出登录" in home
    assert "首页" in home
    assert "Log out" not in home


@pytest.mark.django_db
def test_switching_to_english_translates_home_and_login(client):
    _login(client)
    _switch_to_english(client)

    home = client.get(reverse("core:home")).content.decode()
    assert '<html lang="en"' in home
    assert "Log out" in home
    assert "Home" in home
    assert "Member roster" in home
    assert "退出登录" not in home
    # the switch offers the way back
    assert 'value="zh-hans"' in home

    login_page = client.get(reverse("accounts:login")).content.decode()
    assert "Log in" in login_page
    assert "Mobile number or username" in login_page
    assert "手机号或用户名" not in login_page


@pytest.mark.django_db
def test_anonymous_visitor_can_switch_the_login_page(client):
    _switch_to_english(client)
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert "Log in" in login_page
    assert "登录" not in login_page


@pytest.mark.django_db
def test_switching_back_to_chinese(client):
    _login(client)
    _switch_to_english(client)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    home = client.get(reverse("core:home")).content.decode()
    assert "退出登录" in home
    assert "Log out" not in home


# --- the catalogue ------------------------------------------------------------------------


def _unquote(line: str) -> str:
    """The content of one "..." line of a .po file."""
    body = line[line.index('"') + 1 : line.rindex('"')]
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), body)


def _po_entries(path: Path) -> list[dict]:
    """Parse a .po file: one dict per entry with msgid, msgid_plural, msgstr list, flags."""
    entries: list[dict] = []
    entry: dict = {}
    field = None

    def flush():
        nonlocal entry
        if "msgid" in entry:
            entries.append(entry)
        entry = {}

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):  # blank line or obsolete entry
            if "msgid" in entry:
                flush()
            continue
        if line.startswith("#"):
            if "msgid" in entry:
                flush()
            if line.startswith("#,"):
                entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#:"):
                entry.setdefault("refs", []).extend(line[2:].split())
            continue
        keyword = line.split(" ", 1)[0]
        if keyword in ("msgctxt", "msgid") and "msgid" in entry:
            flush()
        if keyword.startswith("msgstr"):
            entry.setdefault("msgstr", []).append(_unquote(line))
            field = ("msgstr", len(entry["msgstr"]) - 1)
        elif keyword in ("msgctxt", "msgid", "msgid_plural"):
            entry[keyword] = _unquote(line)
            field = (keyword, None)
        elif line.startswith('"'):
            name, index = field
            if index is None:
                entry[name] += _unquote(line)
            else:
                entry[name][index] += _unquote(line)
        else:
            raise AssertionError(f"unexpected line in {path}: {raw!r}")
    flush()
    return [e for e in entries if e["msgid"]]  # drop the header


@pytest.fixture(scope="module")
def po_entries():
    assert PO_FILE.exists(), "run: uv run zhibu makemessages -l en (see docs/translating.md)"
    return _po_entries(PO_FILE)


def _where(entry: dict) -> str:
    return f"{entry['msgid']!r} ({' '.join(entry.get('refs', [])[:2])})"


def test_catalogue_is_not_empty(po_entries):
    assert len(po_entries) > 100


def test_every_msgid_has_an_english_msgstr(po_entries):
    untranslated = [_where(e) for e in po_entries if not all(s.strip() for s in e["msgstr"])]
    assert not untranslated, (
        f"{len(untranslated)} string(s) without English in {PO_FILE}:\n" + "\n".join(untranslated)
    )


def test_no_fuzzy_translations(po_entries):
    # msgmerge guesses a translation for a new string from a similar old one and marks it fuzzy;
    # fuzzy entries are left out of django.mo, so they show up in Chinese.
    fuzzy = [_where(e) for e in po_entries if "fuzzy" in e.get("flags", set())]
    assert not fuzzy, "check these guesses and remove '#, fuzzy':\n" + "\n".join(fuzzy)


def test_translations_keep_placeholders(po_entries):
    wrong = []
    for e in po_entries:
        expected = sorted(PLACEHOLDER.findall(e["msgid"]))
        for msgstr in e["msgstr"]:
            if msgstr and sorted(PLACEHOLDER.findall(msgstr)) != expected:
                wrong.append(f"{_where(e)} -> {msgstr!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_msgstr_is_not_chinese(po_entries):
    # A msgstr may quote Chinese only where users must type exactly those characters
    # (roster values such as “男” or “正式党员”); a mostly Chinese msgstr was not translated.
    han = re.compile(r"[\u4e00-\u9fff]")
    latin = re.compile(r"[A-Za-z]")
    copied = [
        f"{_where(e)} -> {s!r}"
        for e in po_entries
        for s in e["msgstr"]
        if len(han.findall(s)) > len(latin.findall(s))
    ]
    assert not copied, "msgstr is still Chinese:\n" + "\n".join(copied)


def test_compiled_catalogue_matches_po(po_entries):
    assert MO_FILE.exists(), "run: uv run zhibu compilemessages -l en --ignore=.venv"
    with MO_FILE.open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    stale = []
    for e in po_entries:
        if "msgctxt" in e:
            got = catalogue.pgettext(e["msgctxt"], e["msgid"])
        elif "msgid_plural" in e:
            got = catalogue.ngettext(e["msgid"], e["msgid_plural"], 1)
        else:
            got = catalogue.gettext(e["msgid"])
        if got != e["msgstr"][0]:
            stale.append(_where(e))
    assert not stale, (
        "django.mo is out of date; run: uv run zhibu compilemessages -l en --ignore=.venv\n"
        + "\n".join(stale[:20])
    )
