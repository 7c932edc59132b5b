"""`zhibu create-token USERNAME|PHONE [--reset]`: print the account's REST API token.

DRF's own `zhibu drf-create-token USERNAME` works too; this one also finds accounts by phone
and refuses disabled accounts.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from rest_framework.authtoken.models import Token

from zhibu.accounts.models import User


class Command(BaseCommand):
    help = "打印账号的 API 令牌（没有则新建）；--reset 作废旧令牌并重新生成"

    def add_arguments(self, parser) -> None:
        parser.add_argument("account", help="用户名或手机号")
        parser.add_argument("--reset", action="store_true", help="作废旧令牌，重新生成")

    def handle(self, *args, account: str, reset: bool, **options) -> None:
        user = User.objects.filter(Q(username=account) | Q(phone=account)).first()
        if user is None:
            raise CommandError(f"没有用户名或手机号为“{account}”的账号")
        if not user.is_active:
            raise CommandError(f"账号“{user.username}”已停用，不能发放令牌")
        if reset:
            Token.objects.filter(user=user).delete()
        token, _created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
