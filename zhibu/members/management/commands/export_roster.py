"""`zhibu export-roster [--org ID] [-o FILE] [--as USERNAME]`: export the roster workbook."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from zhibu.members.models import Member
from zhibu.members.roster import roster_export, roster_export_filename
from zhibu.orgs.models import Organization, subtree_q
from zhibu.orgs.permissions import Action, visible_to


class Command(BaseCommand):
    help = "导出党员名册（.xlsx），格式与导入模板相同，可修改后重新导入。"

    def add_arguments(self, parser):
        parser.add_argument("--org", type=int, help="只导出该组织（含下级）的党员，填组织 ID")
        parser.add_argument("-o", "--output", help="输出文件（默认 党员名册-日期.xlsx）")
        parser.add_argument("--as", dest="username", help="按该账号的权限导出（默认系统身份）")

    def handle(self, *args, org=None, output=None, username=None, **options):
        user = None
        if username:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"找不到账号：{username}")
        queryset = Member.objects.filter(is_active=True)
        if org is not None:
            organization = Organization.objects.filter(pk=org).only("path").first()
            if organization is None:
                raise CommandError(f"找不到组织：{org}")
            queryset = queryset.filter(subtree_q(organization.path, "branch__path"))
        data = roster_export(user=user, queryset=queryset)
        path = Path(output or roster_export_filename())
        path.write_bytes(data)
        if user is not None:
            queryset = visible_to(user, Action.VIEW, queryset)
        self.stdout.write(f"已导出到 {path}，共 {queryset.count()} 名党员")
