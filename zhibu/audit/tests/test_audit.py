"""The audit log: the hash chain finds edited and deleted rows, services write their events in
their own transaction, unmasked views are recorded once a day, retention, the page in scope
(404 for others), filters, query counts and the formula-safe export."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from zhibu.audit.models import AuditAction, AuditEvent, AuditHead
from zhibu.audit.services import prune, record, retention_days, verify_chain
from zhibu.members.selectors import personal_fields
from zhibu.members.services import member_create, member_end, member_transfer, member_update
from zhibu.orgs.services import grant_create, grant_delete, org_create, org_dissolve, org_move

pytestmark = pytest.mark.django_db

LIST = reverse("audit:list")
EXPORT = reverse("audit:export")
NOW = datetime(2026, 5, 1, 10, 0)
FULL = {"full_member_date": date(2021, 1, 1), "gender": "male", "birth_date": date(1990, 1, 1)}


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW.astimezone(), tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fresh_log(world):
    """Start each test with an empty log (the world's factories write through the services)."""
    AuditEvent.objects.all().delete()
    AuditHead.objects.all().delete()


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_the_chain_is_intact_and_finds_a_changed_row(world):
    for n in range(4):
        record(world.superuser, AuditAction.LOGIN, org_path="", n=n)
    assert verify_chain() == []
    row = AuditEvent.objects.get(seq=2)
    AuditEvent.objects.filter(pk=row.pk).update(target_label="someone else")
    assert verify_chain() == ["row 2 was changed"]


def test_the_chain_finds_a_deleted_row_in_the_middle_and_at_the_end(world):
    for n in range(4):
        record(world.superuser, AuditAction.LOGIN, org_path="", n=n)
    AuditEvent.objects.filter(seq=2).delete()
    problems = verify_chain()
    assert "rows 2–2 are missing" in problems
    assert "row 3 does not follow the row before" in problems
    AuditEvent.objects.filter(seq=4).delete()
    assert "rows after 3 are missing" in verify_chain()


def test_a_rewritten_row_with_a_fresh_hash_still_breaks_the_next_link(world):
    from zhibu.audit.services import _digest

    for n in range(3):
        record(world.superuser, AuditAction.LOGIN, org_path="", n=n)
    row = AuditEvent.objects.get(seq=2)
    row.details = {"n": 99}
    row.hash = _digest(row)
    row.save()
    assert verify_chain() == ["row 3 does not follow the row before"]


def test_member_changes_are_recorded_by_the_services(world):
    member = member_create(
        actor=world.secretary,
        branch=world.branch,
        name="新同志",
        join_date=date(2020, 1, 1),
        **FULL,
    )
    member_update(actor=world.secretary, member=member, phone="13800000000")
    member_transfer(actor=world.admin, member=member, branch=world.sibling, on=date(2026, 4, 1))
    member_end(actor=world.admin, member=member, on=date(2026, 4, 20), reason="death")
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.action for r in rows] == [
        "member_create",
        "member_edit",
        "member_transfer",
        "member_end",
    ]
    assert rows[0].actor_name == world.secretary.username
    assert rows[0].target_label == "新同志" and rows[0].org_path == world.branch.path
    assert rows[1].details == {"fields": ["phone"]}
    assert rows[2].org_path == world.sibling.path
    assert verify_chain() == []


def test_a_rolled_back_write_leaves_no_audit_row(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        member_create(
            actor=world.secretary,
            branch=world.branch,
            name="撤回",
            join_date=date(2020, 1, 1),
            **FULL,
        )
        raise RuntimeError
    assert actions() == []


def test_grant_and_org_changes_are_recorded(world):
    grant = grant_create(
        actor=world.superuser, user=world.outsider, org=world.branch, role="org_viewer"
    )
    grant_delete(actor=world.superuser, grant=grant)
    org = org_create(actor=world.admin, name="新支部", kind="branch", parent=world.committee)
    org_move(actor=world.superuser, org=org, new_parent=world.outside.parent)
    org_dissolve(actor=world.superuser, org=org, on=date(2026, 4, 30))
    assert actions() == ["grant_create", "grant_revoke", "org_create", "org_move", "org_dissolve"]
    assert AuditEvent.objects.get(action="grant_create").details["user"] == world.outsider.username


def test_logins_and_failed_logins_are_recorded_with_the_address(client, world):
    client.post(
        reverse("accounts:login"),
        {"username": world.member_user.username, "password": "wrong"},
        REMOTE_ADDR="10.1.2.3",
    )
    client.post(
        reverse("accounts:login"),
        {"username": world.member_user.username, "password": "pass-1234"},
        REMOTE_ADDR="10.1.2.3",
    )
    failed, login = AuditEvent.objects.order_by("seq")
    assert (failed.action, failed.address, failed.actor_id) == ("login_failed", "10.1.2.3", None)
    assert failed.details == {"username": world.member_user.username}
    assert (login.action, login.actor_id, login.org_path) == (
        "login",
        world.member_user.pk,
        world.branch.path,
    )


def test_unmasked_views_are_recorded_once_per_viewer_member_and_day(world, pinned):
    personal_fields(world.secretary, world.member)
    personal_fields(world.secretary, world.member)
    personal_fields(world.member_user, world.member)  # their own record
    personal_fields(world.member_user, world.other_member)  # masked: nothing seen
    assert actions() == ["personal_view"]
    pinned.shift(timedelta(days=1))
    personal_fields(world.secretary, world.member)
    assert actions() == ["personal_view", "personal_view"]


def test_the_branch_page_records_each_unmasked_member_in_one_write(client, world):
    client.force_login(world.secretary)
    assert client.get(world.branch.get_absolute_url()).status_code == 200
    viewed = set(
        AuditEvent.objects.filter(action="personal_view").values_list("target_id", flat=True)
    )
    assert str(world.member.pk) in viewed and str(world.other_member.pk) in viewed
    client.get(world.branch.get_absolute_url())
    assert AuditEvent.objects.filter(action="personal_view").count() == len(viewed)


def test_roster_export_and_import_are_recorded(world):
    from zhibu.members.models import Member
    from zhibu.members.roster import roster_export, roster_import

    data = roster_export(user=world.secretary, queryset=Member.objects.all())
    export = AuditEvent.objects.get(action="roster_export")
    assert export.org_path == world.branch.path and export.details["rows"] >= 2
    result = roster_import(actor=world.secretary, file=io.BytesIO(data))
    assert result.ok, result.errors
    assert AuditEvent.objects.get(action="roster_import").details["unchanged"] >= 2


def test_retention_refuses_less_than_six_months_and_prunes_old_rows(world, pinned, settings):
    settings.ZHIBU_AUDIT_RETENTION_DAYS = 182
    with pytest.raises(ImproperlyConfigured):
        retention_days()
    settings.ZHIBU_AUDIT_RETENTION_DAYS = 200
    record(world.superuser, AuditAction.LOGIN, org_path="")
    record(world.superuser, AuditAction.LOGIN, org_path="")
    pinned.shift(timedelta(days=201))
    record(world.superuser, AuditAction.LOGIN, org_path="")
    out = io.StringIO()
    call_command("audit_prune", stdout=out)
    assert "Removed 2" in out.getvalue()
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [3]
    assert verify_chain() == []
    AuditEvent.objects.all().delete()
    record(world.superuser, AuditAction.LOGIN, org_path="")
    # deleting the remaining rows outside the prune is found: the chain no longer starts
    # where the last prune ended
    assert verify_chain() == ["rows 3–3 are missing", "row 4 does not follow the row before"]
    assert prune() == 0


def test_the_page_shows_each_administrator_their_subtree_only(client, world):
    record(world.secretary, AuditAction.MEMBER_EDIT, world.member)
    record(world.sibling_secretary, AuditAction.MEMBER_EDIT, world.sibling_member)
    record(None, AuditAction.MEMBER_EDIT, world.outside_member)
    record(world.superuser, AuditAction.LOGIN, org_path="")
    client.force_login(world.admin)
    page = client.get(LIST)
    assert page.status_code == 200
    labels = [e.target_label for e in page.context["page"].object_list]
    assert sorted(labels) == sorted([world.member.name, world.sibling_member.name])
    client.force_login(world.superuser)  # a login: the fifth and sixth rows
    assert client.get(LIST).context["page"].paginator.count == 6


@pytest.mark.parametrize("who", ["secretary", "member_user", "outsider"])
def test_the_page_and_export_are_404_without_administration(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(LIST).status_code == 404
    assert client.get(EXPORT).status_code == 404


def test_the_page_needs_a_login(client):
    assert client.get(LIST).status_code == 302


def test_filters_and_bad_filters(client, world):
    record(world.secretary, AuditAction.MEMBER_EDIT, world.member)
    record(world.superuser, AuditAction.LOGIN, org_path="")
    client.force_login(world.superuser)
    rows = client.get(LIST, {"action": "member_edit"}).context["page"].object_list
    assert [e.target_label for e in rows] == [world.member.name]
    assert client.get(LIST, {"since": "2026-05-02"}).context["page"].paginator.count == 0
    assert client.get(LIST, {"until": "2026-05-01"}).context["page"].paginator.count == 3
    page = client.get(LIST, {"action": "nonsense", "since": "abc", "page": "999999999999"})
    assert page.status_code == 200


def test_the_list_costs_a_fixed_number_of_queries(client, world):
    client.force_login(world.admin)
    client.get(LIST)
    for _ in range(5):
        record(world.secretary, AuditAction.MEMBER_EDIT, world.member)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(25):
        record(world.secretary, AuditAction.MEMBER_EDIT, world.member)
    with CaptureQueriesContext(connection) as many:
        page = client.get(LIST)
    assert len(many) == len(few) <= 10
    assert "修改党员信息" in page.content.decode()


def test_the_export_is_formula_safe_and_itself_recorded(client, world):
    record(world.secretary, AuditAction.MEMBER_EDIT, org_path=world.branch.path, note="x")
    client.force_login(world.superuser)
    AuditEvent.objects.update(target_label='=HYPERLINK("http://evil","点此")')
    response = client.get(EXPORT)
    ws = load_workbook(io.BytesIO(response.content)).active
    cell = ws.cell(row=2, column=4)
    assert cell.value == '=HYPERLINK("http://evil","点此")' and cell.data_type == "s"
    assert AuditEvent.objects.filter(action="audit_export").exists()


def test_the_admin_cannot_change_or_delete_rows(client, world):
    event = record(world.superuser, AuditAction.LOGIN, org_path="")
    client.force_login(world.superuser)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    assert timezone.now()


def test_a_short_retention_fails_the_system_check(settings):
    from zhibu.audit.apps import check_retention

    settings.ZHIBU_AUDIT_RETENTION_DAYS = 30
    assert [e.id for e in check_retention()] == ["zhibu.audit.E001"]
    settings.ZHIBU_AUDIT_RETENTION_DAYS = 183
    assert check_retention() == []
