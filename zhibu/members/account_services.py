"""Login accounts for members: created in bulk from the roster, reset, and stopped on leaving.

Writes only (the pages are in account_views). The username is the member's phone number, so a
member logs in with the number the branch already has; the initial password is random, shown
once on a printable slip, and must be changed at the first login (User.must_change_password).
Everything here checks CHANGE scope over the member: a secretary acts in the branch, an
organization administrator in the subtree, and anything else is 404.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy

from zhibu.accounts.models import User
from zhibu.members.models import Member
from zhibu.orgs.models import Organization, subtree_q
from zhibu.orgs.permissions import Action, require, visible_to

# No 0/o, 1/l/i: the slip is read off paper and typed on a phone.
PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
PASSWORD_LENGTH = 8

PHONE_TAKEN = gettext_lazy(
    "{name}的手机号 {phone} 已被其他账号使用，请先核对该党员的手机号（可能录错或与他人重复），"
    "未创建任何账号"
)
PHONE_TWICE = gettext_lazy(
    "{first}和{second}的手机号都是 {phone}，请先改正其中一人的手机号，未创建任何账号"
)
NO_ACCOUNT = gettext_lazy("{name}还没有登录账号，请先为其创建账号")
NOT_ON_ROSTER = gettext_lazy("{name}已不在册，不能重置密码")
NO_PHONE = gettext_lazy("没有手机号")


@dataclass(frozen=True)
class Slip:
    """What goes on one printed account slip (账号条)."""

    name: str
    branch: str
    username: str
    password: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class AccountBatch:
    slips: list[Slip]
    skipped: list[tuple[str, str]]  # (member name, why no account was created)


def initial_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def accounts_create(*, actor, org: Organization) -> AccountBatch:
    """Create an account for every member on the roster of `org`'s subtree who has none.

    1. Select the active members without an account, within the actor's CHANGE scope.
    2. Members without a phone are skipped and listed (the secretary adds the phone first).
    3. A phone already used by any account, or by two of these members, refuses the whole
       batch with what to fix: nothing is written.
    4. Accounts are written in bulk and linked to the members; a fixed number of queries.
    """
    with transaction.atomic():
        require(actor, Action.CHANGE, org)
        queryset = (
            visible_to(
                actor, Action.CHANGE, Member.objects.filter(subtree_q(org.path, "branch__path"))
            )
            .filter(is_active=True, user__isnull=True)
            .select_related("branch")
            .order_by("branch__path", "name", "pk")
        )
        of = ("self",) if connection.features.has_select_for_update_of else ()
        members = list(queryset.select_for_update(of=of))
        skipped = [(m.name, str(NO_PHONE)) for m in members if not m.phone]
        members = [m for m in members if m.phone]
        problems: list[str] = []
        seen: dict[str, Member] = {}
        for m in members:
            if m.phone in seen:
                problems.append(
                    str(PHONE_TWICE.format(first=seen[m.phone].name, second=m.name, phone=m.phone))
                )
            seen.setdefault(m.phone, m)
        phones = list(seen)
        taken = set()
        for username, phone in User.objects.filter(
            Q(username__in=phones) | Q(phone__in=phones)
        ).values_list("username", "phone"):
            taken.update({username, phone})
        problems += [
            str(PHONE_TAKEN.format(name=m.name, phone=m.phone)) for m in members if m.phone in taken
        ]
        if problems:
            raise ValidationError({"org": problems})
        slips: list[Slip] = []
        users: list[User] = []
        for m in members:
            password = initial_password()
            user = User(
                username=m.phone, phone=m.phone, first_name=m.name, must_change_password=True
            )
            user.set_password(password)
            users.append(user)
            slips.append(Slip(m.name, m.branch.name, m.phone, password))
        User.objects.bulk_create(users)
        ids = dict(User.objects.filter(username__in=phones).values_list("username", "pk"))
        for m in members:
            m.user_id = ids[m.phone]
        Member.objects.bulk_update(members, ["user"])
    return AccountBatch(slips=slips, skipped=skipped)


def account_password_reset(*, actor, member: Member) -> Slip:
    """A new one-time password for the member's account (forgotten password, first login lost)."""
    with transaction.atomic():
        member = Member.objects.select_related("branch", "user").get(pk=member.pk)
        require(actor, Action.CHANGE, member)
        if not member.is_active:
            raise ValidationError({"member": NOT_ON_ROSTER.format(name=member.name)})
        if member.user is None:
            raise ValidationError({"member": NO_ACCOUNT.format(name=member.name)})
        password = initial_password()
        user = member.user
        user.set_password(password)
        user.must_change_password = True
        user.is_active = True
        user.save(update_fields=["password", "must_change_password", "is_active"])
    return Slip(member.name, member.branch.name, user.username, password)


# --- single sign-on ---------------------------------------------------------------------------

SSO_NO_KEY = gettext_lazy(
    "统一身份认证没有提供手机号或工号，无法确定是哪位党员，请联系管理员在统一身份平台补充"
)
SSO_TWO_MEMBERS = gettext_lazy(
    "统一身份认证提供的手机号或工号同时对应{names}等多名党员，无法确定是谁，未登录。"
    "请联系支部书记核对他们的手机号和工号"
)
SSO_UNKNOWN = gettext_lazy(
    "统一身份认证中的手机号或工号在本系统中找不到对应的党员或账号，请联系支部书记先把您录入名册"
)
SSO_TAKEN = gettext_lazy(
    "手机号 {phone} 已被另一个账号使用，不能为{name}建立账号，请联系管理员核对"
)


class SSORefused(Exception):
    """The identity platform vouched for someone zhibu cannot place; the message says why."""


def sso_link(*, phone: str = "", employee_number: str = "", name: str = "") -> User:
    """The one account of whoever the identity platform vouched for, found by phone number or
    employee number (工号); never a second account for the same member.

    1. Find the active members with that phone or employee number: two or more is refused.
    2. One member: their account, or a new one linked to them (username = phone).
    3. No member: an existing account with that phone (an administrator without a roster
       record); otherwise refused. Unknown people get no account.
    """
    phone = (phone or "").strip()
    employee_number = (employee_number or "").strip()
    if not phone and not employee_number:
        raise SSORefused(str(SSO_NO_KEY))
    match = Q(pk__in=[])
    if phone:
        match |= Q(phone=phone)
    if employee_number:
        match |= Q(employee_number=employee_number)
    with transaction.atomic():
        members = list(Member.objects.filter(match, is_active=True).select_related("user")[:3])
        if len(members) > 1:
            raise SSORefused(str(SSO_TWO_MEMBERS.format(names="、".join(m.name for m in members))))
        if members:
            member = members[0]
            if member.user is not None:
                return member.user
            login = member.phone or member.employee_number
            if User.objects.filter(Q(username=login) | Q(phone=login)).exists():
                raise SSORefused(str(SSO_TAKEN.format(phone=login, name=member.name)))
            user = User(username=login, phone=member.phone or None, first_name=member.name)
            user.set_unusable_password()  # the identity platform checks the password
            user.save()
            member.user = user
            member.save(update_fields=["user", "updated_at"])
            return user
        user = User.objects.filter(phone=phone, is_active=True).first() if phone else None
        if user is None:
            raise SSORefused(str(SSO_UNKNOWN))
        return user
