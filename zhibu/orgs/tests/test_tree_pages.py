"""Changing the tree through the pages: create, rename, move, dissolve, history.

Permission matrix for every page, the bad inputs of the issue (each refused with a message
that says what to fix, nothing written), and query counts on the history list.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhibu.members.models import BranchTenure, CommitteePosition, Member
from zhibu.orglife import services as orglife_services
from zhibu.orglife.models import Meeting
from zhibu.orgs import services
from zhibu.orgs.models import Organization, OrgEvent, OrgEventKind, OrgKind
from zhibu.orgs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=SH)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def url(name: str, org) -> str:
    return reverse(f"orgs:{name}", args=[org.pk])


def as_user(client, world, name):
    if name != "anonymous":
        client.force_login(getattr(world, name))
    return client


# ---- permission matrix ----

# page -> whose org, and the status each account gets (anonymous is sent to log in).
MATRIX = {
    # create under the branch: CHANGE over it (its secretary, the admin)
    ("create", "branch"): {"outsider": 404, "member_user": 404, "secretary": 200,
                           "sibling_secretary": 404, "admin": 200, "superuser": 200},
    ("edit", "branch"): {"outsider": 404, "member_user": 404, "secretary": 200,
                         "sibling_secretary": 404, "admin": 200, "superuser": 200},
    ("move", "branch"): {"outsider": 404, "member_user": 404, "secretary": 200,
                         "sibling_secretary": 404, "admin": 200, "superuser": 200},
    # dissolving needs CHANGE over the parent: not the branch's own secretary
    ("dissolve", "branch"): {"outsider": 404, "member_user": 404, "secretary": 404,
                             "sibling_secretary": 404, "admin": 200, "superuser": 200},
    ("history", "branch"): {"outsider": 404, "member_user": 200, "secretary": 200,
                            "sibling_secretary": 404, "admin": 200, "superuser": 200},
    ("dissolve", "committee"): {"outsider": 404, "member_user": 404, "secretary": 404,
                                "sibling_secretary": 404, "admin": 404, "superuser": 200},
}  # fmt: skip
CASES = [(page, org, who, code) for (page, org), row in MATRIX.items() for who, code in row.items()]


@pytest.mark.parametrize(("page", "org", "who", "code"), CASES)
def test_permission_matrix(client, world, page, org, who, code):
    as_user(client, world, who)
    assert client.get(url(page, getattr(world, org))).status_code == code


@pytest.mark.parametrize("page", ["create", "edit", "move", "dissolve", "history"])
def test_anonymous_is_sent_to_login(client, world, page):
    response = client.get(url(page, world.branch))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("who", "code"), [("anonymous", 302), ("admin", 404), ("secretary", 404), ("superuser", 200)]
)
def test_top_level_create_is_for_the_superuser(client, world, who, code):
    as_user(client, world, who)
    assert client.get(reverse("orgs:create-top")).status_code == code


def test_out_of_scope_posts_write_nothing(client, world):
    client.force_login(world.sibling_secretary)
    before = Organization.objects.count()
    data = {"name": "新支部", "kind": "party_group", "category": "organ"}
    assert client.post(url("create", world.branch), data).status_code == 404
    assert client.post(url("edit", world.branch), {"name": "改名"}).status_code == 404
    assert client.post(url("dissolve", world.branch), {"on": "2026-03-10"}).status_code == 404
    assert Organization.objects.count() == before
    world.branch.refresh_from_db()
    assert world.branch.name == "第一党支部" and world.branch.is_active


def test_links_on_the_organization_page_follow_the_rights(client, world):
    client.force_login(world.secretary)
    html = client.get(url("detail", world.branch)).content.decode()
    assert url("edit", world.branch) in html
    assert url("history", world.branch) in html
    assert url("dissolve", world.branch) not in html
    assert reverse("members:committee", args=[world.branch.pk]) in html
    assert reverse("orglife:plans", args=[world.branch.pk]) in html
    client.force_login(world.admin)
    html = client.get(url("detail", world.branch)).content.decode()
    assert url("dissolve", world.branch) in html
    client.force_login(world.member_user)
    html = client.get(url("detail", world.branch)).content.decode()
    assert url("edit", world.branch) not in html
    assert url("history", world.branch) in html


# ---- create and rename ----


def test_admin_sets_up_a_branch_and_history_records_it(client, world):
    client.force_login(world.admin)
    data = {"name": "第三党支部", "kind": "branch", "category": "organ", "fixed_party_day": "15"}
    response = client.post(url("create", world.committee), data)
    org = Organization.objects.get(name="第三党支部")
    assert response.status_code == 302 and response["Location"] == url("detail", org)
    assert org.parent == world.committee and org.fixed_party_day == 15
    assert org.path.startswith(world.committee.path)
    event = OrgEvent.objects.get(org=org)
    assert event.kind == OrgEventKind.CREATED and event.actor == world.admin
    assert event.changes["kind"] == ["", "党支部"]
    assert event.changes["parent"] == ["", "县直机关工委"]


def test_duplicate_name_under_one_parent_is_refused(client, world):
    client.force_login(world.admin)
    data = {"name": "第二党支部", "kind": "branch", "category": "organ"}
    response = client.post(url("create", world.committee), data)
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "“县直机关工委”下已有名为“第二党支部”的组织，请换一个名称"
    ]
    assert Organization.objects.filter(name="第二党支部").count() == 1
    # renaming into a sibling's name too
    response = client.post(url("edit", world.branch), {"name": "第二党支部", "category": "organ"})
    assert "已有名为“第二党支部”" in response.context["form"].errors["name"][0]
    world.branch.refresh_from_db()
    assert world.branch.name == "第一党支部"
    assert not OrgEvent.objects.filter(org=world.branch, kind=OrgEventKind.RENAMED).exists()


def test_kind_choices_follow_the_parent(client, world):
    client.force_login(world.admin)
    form = client.get(url("create", world.branch)).context["form"]
    assert [k for k, _l in form.fields["kind"].choices] == ["party_group"]
    form = client.get(url("create", world.committee)).context["form"]
    assert "party_group" not in [k for k, _l in form.fields["kind"].choices]


def test_rename_and_party_day_are_kept_as_history(client, world):
    client.force_login(world.secretary)
    data = {"name": "机关第一党支部", "category": "enterprise", "fixed_party_day": "20",
            "note": "县直工委〔2026〕3号"}  # fmt: skip
    response = client.post(url("edit", world.branch), data)
    assert response.status_code == 302
    world.branch.refresh_from_db()
    assert (world.branch.name, world.branch.category, world.branch.fixed_party_day) == (
        "机关第一党支部",
        "enterprise",
        20,
    )
    events = {e.kind: e for e in OrgEvent.objects.filter(org=world.branch)}
    assert events[OrgEventKind.RENAMED].changes == {"name": ["第一党支部", "机关第一党支部"]}
    assert events[OrgEventKind.CHANGED].changes == {
        "category": ["机关", "企业"],
        "fixed_party_day": ["", 20],
    }
    assert events[OrgEventKind.RENAMED].note == "县直工委〔2026〕3号"
    html = client.get(url("history", world.branch)).content.decode()
    assert "第一党支部 → 机关第一党支部" in html
    assert "机关 → 企业" in html
    # the same values again: nothing new in the history
    client.post(url("edit", world.branch), data)
    assert OrgEvent.objects.filter(org=world.branch).exclude(kind="created").count() == 2


def test_fixed_party_day_out_of_range(client, world):
    client.force_login(world.admin)
    data = {"name": "第一党支部", "category": "organ", "fixed_party_day": "31"}
    response = client.post(url("edit", world.branch), data)
    assert "fixed_party_day" in response.context["form"].errors
    world.branch.refresh_from_db()
    assert world.branch.fixed_party_day is None


# ---- move ----


def test_move_under_own_descendant_is_refused(world):
    sub = OrganizationFactory(
        name="机关党总支", kind=OrgKind.GENERAL_BRANCH, parent=world.committee
    )
    with pytest.raises(Exception) as refused:
        services.org_move(actor=world.superuser, org=world.committee, new_parent=sub)
    assert refused.value.message_dict["parent"] == [
        "不能把组织移动到它自己或它的下级组织之下，请选择其他上级组织"
    ]
    world.committee.refresh_from_db()
    assert world.committee.parent_id is None


def test_move_page_offers_only_valid_parents_and_moves_the_subtree(client, world):
    general = OrganizationFactory(
        name="机关党总支", kind=OrgKind.GENERAL_BRANCH, parent=world.committee
    )
    client.force_login(world.admin)
    form = client.get(url("move", world.branch)).context["form"]
    offered = set(form.fields["parent"].queryset.values_list("name", flat=True))
    assert offered == {"县直机关工委", "机关党总支"}  # not itself, its group, a branch or outside
    response = client.post(url("move", world.branch), {"parent": general.pk, "note": "调整"})
    assert response.status_code == 302, response.context["form"].errors
    world.branch.refresh_from_db()
    world.group.refresh_from_db()
    assert world.branch.parent_id == general.pk
    assert world.group.path.startswith(general.path) and world.group.depth == 3
    event = OrgEvent.objects.get(org=world.branch, kind=OrgEventKind.MOVED)
    assert event.changes == {"parent": ["县直机关工委", "机关党总支"]}
    # posting a parent outside the choices (the branch's own party group) writes nothing
    response = client.post(url("move", world.branch), {"parent": world.group.pk})
    assert response.status_code == 200 and "parent" in response.context["form"].errors
    world.branch.refresh_from_db()
    assert world.branch.parent_id == general.pk


def test_move_with_a_duplicate_name_is_refused(world):
    other = OrganizationFactory(
        name="机关党总支", kind=OrgKind.GENERAL_BRANCH, parent=world.committee
    )
    OrganizationFactory(name="第一党支部", parent=other)
    with pytest.raises(Exception) as refused:
        services.org_move(actor=world.admin, org=world.branch, new_parent=other)
    assert "“机关党总支”下已有名为“第一党支部”的组织" in refused.value.message_dict["name"][0]
    world.branch.refresh_from_db()
    assert world.branch.parent_id == world.committee.pk


# ---- dissolve ----


def test_dissolving_a_branch_with_members_needs_a_destination(client, world):
    client.force_login(world.admin)
    response = client.post(url("dissolve", world.branch), {"on": "2026-03-10"})
    assert response.status_code == 200
    errors = response.context["form"].errors["transfer_to"]
    assert errors == [str(services.NOT_EMPTY_MEMBERS).format(name="第一党支部", n=3)]
    assert "还有 3 名在册党员，请选择“党员转入的支部”" in errors[0]
    world.branch.refresh_from_db()
    assert world.branch.is_active
    assert Member.objects.filter(branch=world.branch, is_active=True).count() == 3


def test_dissolving_an_organization_with_sub_organizations_is_refused(world):
    with pytest.raises(Exception) as refused:
        services.org_dissolve(actor=world.superuser, org=world.committee)
    assert "下还有 2 个下级组织（第一党支部、第二党支部）" in refused.value.messages[0]
    world.committee.refresh_from_db()
    assert world.committee.is_active


def test_dissolve_with_transfer_moves_members_and_keeps_records(client, world):
    start = NOW - timedelta(days=3)
    meeting = orglife_services.meeting_schedule(
        actor=world.secretary,
        org=world.branch,
        meeting_type="party_day",
        topic="学习党章",
        planned_start=start,
        planned_end=start + timedelta(hours=3),
        late_entry_reason="补录",
    )
    client.force_login(world.admin)
    data = {"on": "2026-03-10", "transfer_to": world.sibling.pk, "note": "机构改革"}
    response = client.post(url("dissolve", world.branch), data)
    assert response.status_code == 302
    world.branch.refresh_from_db()
    world.group.refresh_from_db()
    assert not world.branch.is_active and world.branch.dissolved_on == TODAY
    assert not world.group.is_active  # its party group goes with it
    moved = Member.objects.filter(pk__in=[world.member.pk, world.secretary_member.pk])
    assert {m.branch_id for m in moved} == {world.sibling.pk}
    assert {m.party_group_id for m in moved} == {None}
    old = BranchTenure.objects.get(member=world.member, branch=world.branch)
    assert old.end == TODAY - timedelta(days=1)
    assert BranchTenure.objects.get(member=world.member, end__isnull=True).branch == world.sibling
    # the secretary's post ended with the branch: no rights over it any more
    post = CommitteePosition.objects.get(member=world.secretary_member)
    assert post.end == TODAY - timedelta(days=1)
    kinds = set(OrgEvent.objects.filter(org=world.branch).values_list("kind", flat=True))
    assert kinds == {"created", OrgEventKind.MEMBERS_TRANSFERRED, OrgEventKind.DISSOLVED}
    received = OrgEvent.objects.get(org=world.sibling, kind=OrgEventKind.MEMBERS_TRANSFERRED)
    assert received.changes["members"] == ["", 3]
    # never deleted: the meeting stays, readable by the parent's administrator
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    page = client.get(reverse("orglife:meeting", args=[meeting.pk]))
    assert page.status_code == 200
    html = client.get(url("detail", world.branch)).content.decode()
    assert "已于 2026-03-10 撤销" in html
    # a dissolved organization cannot be dissolved, renamed or moved again
    assert client.get(url("dissolve", world.branch)).status_code == 404
    assert client.get(url("edit", world.branch)).status_code == 404


def test_dissolve_an_empty_branch_without_destination(world):
    empty = OrganizationFactory(name="临时党支部", parent=world.committee)
    services.org_dissolve(actor=world.admin, org=empty, on=date(2026, 3, 1))
    empty.refresh_from_db()
    assert not empty.is_active and empty.dissolved_on == date(2026, 3, 1)
    # the name is free again under the parent
    again = services.org_create(actor=world.admin, name="临时党支部", kind="branch",
                                parent=world.committee)  # fmt: skip
    assert again.is_active


def test_transfer_destination_must_be_outside_and_a_branch(world):
    from zhibu.members.services import branch_dissolve

    with pytest.raises(Exception) as refused:
        branch_dissolve(actor=world.admin, org=world.branch, transfer_to=world.committee)
    assert "不是党支部" in refused.value.message_dict["transfer_to"][0]
    world.branch.refresh_from_db()
    assert world.branch.is_active
    assert Member.objects.filter(branch=world.branch).count() == 3


# ---- query counts ----


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_history_query_count_does_not_grow_with_events(client, world):
    client.force_login(world.admin)
    services.org_update(actor=world.admin, org=world.branch, fixed_party_day=5)
    few = _count(client, url("history", world.branch))
    for day in range(6, 26):
        services.org_update(actor=world.admin, org=world.branch, fixed_party_day=day)
    assert _count(client, url("history", world.branch)) == few


def test_move_and_dissolve_forms_query_count_does_not_grow(client, world):
    client.force_login(world.admin)
    move, dissolve = (
        _count(client, url("move", world.branch)),
        _count(client, url("dissolve", world.branch)),
    )
    for i in range(10):
        OrganizationFactory(name=f"新支部{i}", parent=world.committee)
    assert _count(client, url("move", world.branch)) == move
    assert _count(client, url("dissolve", world.branch)) == dissolve


def test_menu_links_the_structure_import_for_administrators(client, world):
    client.force_login(world.admin)
    html = client.get(reverse("orgs:tree")).content
    assert b'data-testid="menu-org-import"' in html
    client.force_login(world.secretary)
    html = client.get(reverse("members:committee", args=[world.branch.pk])).content.decode()
    assert 'data-testid="menu-org-import"' not in html
    # the committee page belongs to the organization menu item, not the roster's
    current = html.split('aria-current="page"')[0].rsplit("<a ", 1)[1]
    assert reverse("orgs:tree") in current
