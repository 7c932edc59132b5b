"""Member list, detail and edit pages against the permission matrix, and query counts."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhibu.core.text import mask_id_number, mask_phone
from zhibu.members.models import Member
from zhibu.members.services import member_transfer
from zhibu.members.tests.factories import MemberFactory
from zhibu.orgs.models import OrgKind
from zhibu.orgs.tests.factories import GrantFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "member-results"}


def listed(client, **params) -> list[str]:
    response = client.get(reverse("members:list"), params)
    assert response.status_code == 200
    return sorted(m.name for m, _pf in response.context["rows"])


def detail(client, member):
    return client.get(reverse("members:detail", args=[member.pk]))


def edit_url(member) -> str:
    return reverse("members:edit", args=[member.pk])


# ---- anonymous and outsider ----


@pytest.mark.parametrize("name", ["members:list", "members:detail", "members:edit"])
def test_anonymous_redirected_to_login(client, world, name):
    args = [] if name == "members:list" else [world.member.pk]
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_outsider_sees_empty_list_and_404s(client, world):
    client.force_login(world.outsider)
    assert listed(client) == []
    assert "没有符合条件的党员" in client.get(reverse("members:list")).content.decode()
    for m in (world.member, world.sibling_member, world.outside_member):
        assert detail(client, m).status_code == 404
        assert client.get(edit_url(m)).status_code == 404


# ---- plain member ----


def test_member_lists_own_branch_with_others_masked(client, world):
    client.force_login(world.member_user)
    response = client.get(reverse("members:list"))
    assert sorted(m.name for m, _ in response.context["rows"]) == ["张书记", "李党员", "王党员"]
    html = response.content.decode()
    assert world.other_member.id_number not in html
    assert world.other_member.phone not in html
    assert mask_phone(world.other_member.phone) in html
    assert mask_id_number(world.other_member.id_number) in html
    assert world.member.id_number in html  # own row unmasked
    assert world.member.phone in html


def test_member_detail_masks_others_and_shows_self(client, world):
    client.force_login(world.member_user)
    other = detail(client, world.other_member)
    assert other.status_code == 200
    html = other.content.decode()
    assert world.other_member.id_number not in html
    assert mask_id_number(world.other_member.id_number) in html
    assert "已部分隐藏" in html
    assert 'data-testid="edit-member"' not in html
    own = detail(client, world.member).content.decode()
    assert world.member.id_number in own and world.member.phone in own


def test_member_gets_404_outside_branch_and_on_edit(client, world):
    client.force_login(world.member_user)
    assert detail(client, world.sibling_member).status_code == 404
    assert detail(client, world.outside_member).status_code == 404
    assert client.get(edit_url(world.member)).status_code == 404
    assert client.post(edit_url(world.other_member), {"name": "改名"}).status_code == 404
    world.other_member.refresh_from_db()
    assert world.other_member.name == "王党员"


def test_phone_search_cannot_probe_masked_numbers(client, world):
    client.force_login(world.member_user)
    assert listed(client, q=world.other_member.phone) == []
    assert listed(client, q=world.member.phone) == ["李党员"]
    assert listed(client, q="王") == ["王党员"]


# ---- secretary of the branch / of the sibling ----


def test_secretary_sees_unmasked(client, world):
    client.force_login(world.secretary)
    response = client.get(reverse("members:list"))
    html = response.content.decode()
    assert world.other_member.id_number in html and world.other_member.phone in html
    d = detail(client, world.other_member).content.decode()
    assert world.other_member.id_number in d
    assert "已部分隐藏" not in d
    assert 'data-testid="edit-member"' in d
    assert listed(client, q=world.other_member.phone) == ["王党员"]


def test_sibling_secretary_gets_404(client, world):
    client.force_login(world.sibling_secretary)
    assert listed(client) == ["赵书记", "钱党员"]
    for m in (world.member, world.other_member, world.secretary_member):
        assert detail(client, m).status_code == 404
        assert client.get(edit_url(m)).status_code == 404


# ---- subtree admin ----


def test_admin_sees_subtree_only(client, world):
    client.force_login(world.admin)
    assert listed(client) == sorted(["张书记", "李党员", "王党员", "赵书记", "钱党员"])
    assert listed(client, org=world.sibling.pk) == ["赵书记", "钱党员"]
    assert listed(client, branch=world.branch.pk) == ["张书记", "李党员", "王党员"]
    assert listed(client, org=world.outside.pk) == []
    assert detail(client, world.sibling_member).status_code == 200
    assert detail(client, world.outside_member).status_code == 404


def test_filters_htmx_partial_and_active_default(client, world):
    client.force_login(world.admin)
    Member.objects.filter(pk=world.other_member.pk).update(is_active=False)
    assert "王党员" not in listed(client)
    assert "王党员" in listed(client, is_active="unknown")
    assert listed(client, is_active="false") == ["王党员"]
    response = client.get(reverse("members:list"), {"q": "李"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html and "李党员" in html
    assert "共 1 名党员" in html


def test_invalid_filter_value_says_what_to_fix(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("members:list"), {"status": "nonsense"})
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "筛选条件有误" in response.content.decode()


def test_tenures_and_positions_on_detail(client, world):
    client.force_login(world.admin)
    member_transfer(member=world.other_member, branch=world.sibling, on=date(2024, 3, 1))
    response = detail(client, world.other_member)
    tenures = [(t.branch.name, t.end) for t in response.context["tenures"]]
    assert tenures == [("第二党支部", None), ("第一党支部", date(2024, 2, 29))]
    html = response.content.decode()
    assert "支部变动记录" in html and "至今" in html
    positions = detail(client, world.secretary_member).context["positions"]
    assert [(p.org.name, p.role) for p in positions] == [("第一党支部", "secretary")]


# ---- edit ----


def form_data(member, **changes):
    data = {
        "name": member.name,
        "gender": member.gender,
        "ethnicity": member.ethnicity,
        "birth_date": member.birth_date.isoformat() if member.birth_date else "",
        "id_number": member.id_number or "",
        "phone": member.phone,
        "education": member.education,
        "status": member.status,
        "join_date": member.join_date.isoformat(),
        "full_member_date": member.full_member_date.isoformat() if member.full_member_date else "",
        "party_group": member.party_group_id or "",
    }
    data.update(changes)
    return data


def test_secretary_edits_member(client, world):
    client.force_login(world.secretary)
    page = client.get(edit_url(world.other_member))
    assert page.status_code == 200
    assert list(page.context["form"].fields["party_group"].queryset) == [world.group]
    response = client.post(
        edit_url(world.other_member),
        form_data(
            world.other_member,
            name="王小明",
            party_group=world.group.pk,
            phone="１３９００００００００",
        ),
    )
    assert response.status_code == 302
    world.other_member.refresh_from_db()
    assert world.other_member.name == "王小明"
    assert world.other_member.party_group == world.group
    assert world.other_member.phone == "13900000000"  # full-width digits normalized
    assert world.other_member.tenures.get(end__isnull=True).party_group == world.group


def test_bad_id_number_is_rejected_with_chinese_message(client, world):
    client.force_login(world.secretary)
    response = client.post(
        edit_url(world.other_member),
        form_data(world.other_member, name="不该保存", id_number="110101198001010000"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "校验位" in errors["id_number"][0]
    assert 'aria-invalid="true"' in response.content.decode()
    world.other_member.refresh_from_db()
    assert world.other_member.name == "王党员"


def test_party_group_of_another_branch_is_not_offered(client, world):
    client.force_login(world.admin)
    other_group = OrganizationFactory(name="二组", kind=OrgKind.PARTY_GROUP, parent=world.sibling)
    response = client.post(
        edit_url(world.other_member), form_data(world.other_member, party_group=other_group.pk)
    )
    assert response.status_code == 200
    assert "party_group" in response.context["form"].errors
    world.other_member.refresh_from_db()
    assert world.other_member.party_group is None


def test_admin_without_personal_data_cannot_see_id_in_form(client, world):
    viewer = UserFactory()
    GrantFactory(user=viewer, org=world.committee, role="org_admin", personal_data=False)
    client.force_login(viewer)
    page = client.get(edit_url(world.other_member))
    assert "id_number" not in page.context["form"].fields
    assert world.other_member.id_number not in page.content.decode()
    data = form_data(world.other_member, name="王二")
    del data["id_number"], data["phone"]
    assert client.post(edit_url(world.other_member), data).status_code == 302
    world.other_member.refresh_from_db()
    assert world.other_member.name == "王二"
    assert world.other_member.id_number  # untouched


# ---- query counts ----


def _branch_with(n: int):
    branch = OrganizationFactory(name="支部")
    group = OrganizationFactory(name="小组", kind=OrgKind.PARTY_GROUP, parent=branch)
    for i in range(n):
        MemberFactory(branch=branch, party_group=group if i % 2 else None)
    admin = UserFactory()
    GrantFactory(user=admin, org=branch, role="org_admin")
    return branch, admin


@pytest.mark.parametrize("htmx", [False, True])
def test_list_query_count_does_not_grow(client, django_assert_num_queries, htmx):
    _b, admin5 = _branch_with(5)
    _b, admin40 = _branch_with(40)
    headers = HTMX if htmx else {}
    client.force_login(admin5)
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("members:list"), **headers)
    expected = len(ctx.captured_queries)
    # + 4: the audit log's one write of the page's unmasked views (audit.middleware).
    assert expected <= 12 + 4
    client.force_login(admin40)
    with django_assert_num_queries(expected):
        response = client.get(reverse("members:list"), **headers)
    assert len(response.context["rows"]) == 30  # first page
    assert response.context["page"].paginator.count == 40
