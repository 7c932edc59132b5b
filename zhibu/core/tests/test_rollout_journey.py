"""Rolling zhibu out to a 机关工委 in a real browser on a phone, pages only (issue 13).

From an empty database with only the superuser `zhibu createadmin` makes: the administrator
imports the structure (a 机关工委 with two branches) and the roster from Excel workbooks filled
in from the templates the pages hand out, appoints a 书记, creates the branch's login accounts
and downloads the slips; the secretary logs in with the one-time password from the slip, is
made to change it, and schedules a meeting; members log in through LDAP (a real slapd) and
land on their existing account, or on the one account made for them. No API call, no shell.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from openpyxl import load_workbook

from zhibu.accounts.models import User
from zhibu.members.models import CommitteePosition, Member
from zhibu.members.tests.factories import make_id_number

# The throwaway OpenLDAP server of the SSO tests and the settings that point zhibu at it.
from zhibu.members.tests.test_sso import ldap_settings, slapd  # noqa: F401
from zhibu.orglife.models import Meeting
from zhibu.orgs.models import Organization, OrgKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 14, 10, 0, tzinfo=SH)  # a Monday; the branch's party day is the 15th
PHONE_WIDTH = 390
ADMIN_PASSWORD = "Gongwei-2026-kaiban"
NEW_PASSWORD = "Zhibu-Shuji-2026"

COMMITTEE = "县直机关工委"
FINANCE = "县财政局党支部"
EDUCATION = "县教育局党支部"
STRUCTURE = [
    {
        "组织名称": COMMITTEE,
        "组织类型": "机关工委",
        "单位类别": "机关",
        "成立日期": date(2001, 7, 1),
    },
    {"上级组织": COMMITTEE, "组织名称": FINANCE, "组织类型": "党支部", "固定党日": 15},
    {"上级组织": COMMITTEE, "组织名称": EDUCATION, "组织类型": "党支部"},
]
# (name, n for the ID number: odd is a man, phone, 工号, branch). 李党员's phone and 王党员's
# 工号 are the ones the slapd fixture gives its users li and wang.
PEOPLE = [
    ("张明", 1, "13900000001", "", FINANCE),
    ("李党员", 3, "13800000002", "", FINANCE),
    ("刘芳", 4, "13900000003", "", FINANCE),
    ("王党员", 5, "", "E-1003", EDUCATION),
    ("陈静", 6, "13900000005", "", EDUCATION),
]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 2


def open_menu(page, item: str) -> None:
    """On a phone the menu is a drawer behind one button."""
    page.click("[data-testid=menu-button]")
    page.locator(".site-menu").get_by_role("link", name=item, exact=True).click()


def fill_template(page, tmp_path: Path, name: str, rows: list[dict]) -> Path:
    """Download the page's template and fill rows under its own header (a * marks required)."""
    with page.expect_download() as download:
        page.click("[data-testid=download-template]")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    columns = {cell.value.rstrip("*"): cell.column for cell in sheet[1] if cell.value}
    for index, row in enumerate(rows, start=2):
        for header, value in row.items():
            sheet.cell(row=index, column=columns[header], value=value)
    path = tmp_path / name
    book.save(path)
    return path


def roster_row(name: str, n: int, phone: str, employee: str, branch: str) -> dict:
    birth = date(1980 + n, 3, n)
    return {
        "姓名": name,
        "性别": "男" if n % 2 else "女",
        "身份证号": make_id_number(n, birth),
        "手机号": phone,
        "工号": employee,
        "入党日期": date(2005 + n, 7, 1),
        "党员类别": "正式党员",
        "转正日期": date(2006 + n, 7, 1),
        "所在支部": branch,
    }


def log_in(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.usefixtures("ldap_settings")
def test_a_committee_rolls_out_through_pages(page_for, live_server, tmp_path):
    url = live_server.url
    call_command("createadmin", username="admin", password=ADMIN_PASSWORD)
    assert Organization.objects.count() == 0 and Member.objects.count() == 0

    with time_machine.travel(NOW, tick=True):
        # ---- the administrator imports the structure from the template
        admin = page_for(None, phone=True)
        log_in(admin, url, "admin", ADMIN_PASSWORD)
        assert admin.locator("h1").inner_text().startswith("您好")
        admin.screenshot(path="/tmp/rollout-empty-home-phone.png", full_page=True)
        open_menu(admin, "导入组织架构")
        assert admin.locator("h1").inner_text() == "导入组织架构"
        structure = fill_template(admin, tmp_path, "组织架构.xlsx", STRUCTURE)
        admin.set_input_files("input[name=file]", str(structure))
        admin.click("[data-testid=import-form] button[type=submit]")
        admin.wait_for_selector("[data-testid=import-success]")
        assert "新设 3 个组织" in admin.locator("[data-testid=import-success]").inner_text()
        committee = Organization.objects.get(name=COMMITTEE)
        assert committee.kind == OrgKind.ORGANS_WORK_COMMITTEE and committee.parent is None
        finance = Organization.objects.get(name=FINANCE, parent=committee)
        assert finance.kind == OrgKind.BRANCH and finance.fixed_party_day == 15
        assert Organization.objects.filter(name=EDUCATION, parent=committee).exists()

        # ---- the roster of both branches, from the roster template (which lists them)
        open_menu(admin, "导入花名册")
        assert admin.locator("h1").inner_text() == "导入党员名册"
        assert no_sideways_scroll(admin)
        roster = fill_template(admin, tmp_path, "名册.xlsx", [roster_row(*p) for p in PEOPLE])
        admin.set_input_files("input[name=file]", str(roster))
        admin.click("[data-testid=roster-form] button[type=submit]")
        admin.wait_for_selector("[data-testid=roster-success]")
        assert "新增 5" in admin.locator("[data-testid=roster-success]").inner_text()
        assert Member.objects.filter(branch=finance).count() == 3

        # ---- 张明 becomes the finance branch's 书记
        open_menu(admin, "组织")
        admin.locator("a.node-name", has_text=FINANCE).click()  # the single root is open
        admin.wait_for_url(f"**/orgs/{finance.pk}/")
        admin.click("[data-testid=link-committee]")
        admin.select_option("[data-testid=assign-form] select[name=member]", label="张明")
        admin.select_option("[data-testid=assign-form] select[name=role]", label="书记")
        admin.fill("[data-testid=assign-form] input[name=start]", "2026-12-01")
        admin.click("[data-testid=assign-form] button[type=submit]")
        admin.wait_for_selector("text=已任命 张明 为书记")
        assert CommitteePosition.objects.filter(
            member__name="张明", org=finance, role="secretary"
        ).exists()
        assert no_sideways_scroll(admin)

        # ---- the branch's accounts, and the slips as a workbook
        open_menu(admin, "党员")
        admin.click("[data-testid=member-accounts]")
        admin.select_option("[data-testid=account-org] select[name=org]", label=FINANCE)
        admin.wait_for_url(f"**/members/accounts/?org={finance.pk}")
        assert "有 3 名党员还没有账号" in admin.locator("[data-testid=account-create]").inner_text()
        admin.click("[data-testid=create-accounts]")
        admin.wait_for_selector("[data-testid=slips]")
        assert admin.locator("[data-testid=slips] .slip").count() == 3
        with admin.expect_download() as download:
            admin.click("[data-testid=slips-xlsx]")
        assert download.value.suggested_filename.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
        header, *slips = sheet.iter_rows(values_only=True)
        assert header[:4] == ("姓名", "所在支部", "登录账号", "初始密码")
        by_name = {row[0]: row for row in slips}
        assert set(by_name) == {"张明", "李党员", "刘芳"}
        assert {row[1] for row in slips} == {FINANCE}
        assert by_name["张明"][2] == "13900000001"
        admin.screenshot(path="/tmp/rollout-slips-phone.png", full_page=True)
        admin.click("[data-testid=slips-clear]")
        assert no_sideways_scroll(admin)

        # ---- the secretary logs in with the slip's password and must change it first
        secretary = page_for(None, phone=True)
        log_in(secretary, url, by_name["张明"][2], by_name["张明"][3])
        secretary.wait_for_selector("[data-testid=must-change]")
        secretary.fill("input[name=old_password]", by_name["张明"][3])
        secretary.fill("input[name=new_password1]", NEW_PASSWORD)
        secretary.fill("input[name=new_password2]", NEW_PASSWORD)
        secretary.click("[data-testid=password-form] button[type=submit]")
        secretary.wait_for_selector("[data-testid=password-changed]")
        secretary.click("[data-testid=password-changed] >> text=返回首页")
        assert FINANCE in secretary.locator("[data-testid=my-roles]").inner_text()
        account = User.objects.get(username="13900000001")
        assert not account.must_change_password and account.check_password(NEW_PASSWORD)

        # ---- and schedules the party day
        open_menu(secretary, "会议")
        secretary.click("[data-testid=schedule]")
        assert secretary.input_value("[name=day]") == "2026-12-15"
        secretary.fill("[name=topic]", "学习党章，重温入党誓词")
        secretary.fill("[name=place]", "财政局三楼会议室")
        secretary.click("[data-testid=save-meeting]")
        secretary.wait_for_selector("[data-testid=meeting-topic]")
        meeting = Meeting.objects.get()
        assert meeting.org == finance and meeting.topic == "学习党章，重温入党誓词"
        assert {a.member.name for a in meeting.attendances.select_related("member")} == {
            "张明",
            "李党员",
            "刘芳",
        }
        assert no_sideways_scroll(secretary)
        secretary.screenshot(path="/tmp/rollout-meeting-phone.png", full_page=True)

        # ---- members log in through the directory: 李党员 lands on the account of the slip
        users = User.objects.count()
        li = page_for(None, phone=True)
        log_in(li, url, "li", "li-ldap-pw")
        assert li.locator("h1").inner_text().startswith("您好")
        assert "/accounts/password" not in li.url  # the directory's password is not one-time
        li.click("[data-testid=my-record]")
        assert li.locator("h1").inner_text() == "李党员"
        assert User.objects.count() == users  # the slip's account, not a second one
        # 王党员 (no account yet, found by 工号) gets exactly one, linked to the roster
        wang = page_for(None, phone=True)
        log_in(wang, url, "wang", "wang-ldap-pw")
        wang.click("[data-testid=my-record]")
        assert wang.locator("h1").inner_text() == "王党员"
        assert User.objects.count() == users + 1
        made = Member.objects.select_related("user").get(name="王党员").user
        assert made.username == "E-1003" and not made.has_usable_password()
