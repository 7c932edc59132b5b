"""Serializers of the roster. ID number and phone leave the server masked unless the viewer
may see them (members.selectors.personal_fields, the same rule as the pages and exports)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from zhibu.core.api import ScopedRelatedField
from zhibu.core.text import mask_id_number, mask_phone, normalize_digits
from zhibu.members.models import CommitteePosition, Member, MembershipEnd
from zhibu.members.selectors import CONTACT_FIELDS, CONTACT_MASK, personal_fields
from zhibu.members.validators import validate_id_number
from zhibu.orgs.models import Organization

PERSONAL_HELP = _("无权查看完整信息时脱敏显示（如 1****************4）")
BIRTH_HELP = _("无权查看完整信息时为空（只给出生年份 birth_year）")
CONTACT_HELP = _("用于发送个人提醒；无权查看完整信息时显示为 ***")


class MemberSerializer(serializers.ModelSerializer):
    branch = ScopedRelatedField(queryset=Organization.objects.all(), label=_("所在支部"))
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    party_group = ScopedRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True, label=_("党小组")
    )
    party_group_name = serializers.CharField(
        source="party_group.name", read_only=True, allow_null=True
    )
    birth_year = serializers.SerializerMethodField(label=_("出生年份"))
    since = serializers.DateField(
        write_only=True,
        required=False,
        label=_("编入本支部日期"),
        help_text=_("仅新建时使用；不填则为入党日期"),
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "birth_year",
            "id_number",
            "phone",
            "employee_number",
            "email",
            "wecom_id",
            "dingtalk_id",
            "education",
            "join_date",
            "status",
            "full_member_date",
            "is_leading_cadre",
            "is_exempt",
            "branch",
            "branch_name",
            "party_group",
            "party_group_name",
            "user",
            "is_active",
            "end_reason",
            "ended_on",
            "since",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["user", "end_reason", "ended_on", "created_at", "updated_at"]
        extra_kwargs = {
            "id_number": {
                "help_text": PERSONAL_HELP,
                "validators": [
                    validate_id_number,
                    UniqueValidator(
                        queryset=Member.objects.all(),
                        message=_("该身份证号已登记在花名册中，请核对是否重复录入"),
                    ),
                ],
            },
            "phone": {"help_text": PERSONAL_HELP},
            "email": {"help_text": CONTACT_HELP},
            "wecom_id": {"help_text": CONTACT_HELP},
            "dingtalk_id": {"help_text": CONTACT_HELP},
            "birth_date": {"help_text": BIRTH_HELP},
        }

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_birth_year(self, instance: Member) -> int | None:
        return instance.birth_date.year if instance.birth_date else None

    def to_internal_value(self, data: Any) -> dict:
        """Normalize what people type; a masked value sent back unchanged means "keep"."""
        if hasattr(data, "copy"):
            data = data.copy()
            for field, mask in (("id_number", mask_id_number), ("phone", mask_phone)):
                value = data.get(field)
                if not isinstance(value, str):
                    continue
                value = normalize_digits(value).upper()
                current = getattr(self.instance, field, None) if self.instance else None
                if current and "*" in value and value == mask(current):
                    del data[field]
                elif field == "id_number" and not value:
                    data[field] = None
                else:
                    data[field] = value
            for field in CONTACT_FIELDS:  # the mask sent back unchanged means "keep"
                if data.get(field) == CONTACT_MASK and self.instance is not None:
                    del data[field]
            # The masked birth date reads null: null sent back by such a viewer means "keep".
            if (
                self.instance is not None
                and self.instance.birth_date
                and "birth_date" in data
                and data["birth_date"] in (None, "")
                and self._masked(self.instance)
            ):
                del data["birth_date"]
        return super().to_internal_value(data)

    def _masked(self, instance: Member) -> bool:
        request = self.context.get("request")
        return request is None or personal_fields(request.user, instance)["masked"]

    def to_representation(self, instance: Member) -> dict:
        ret = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None:
            personal = personal_fields(request.user, instance)
            ret["id_number"], ret["phone"] = personal["id_number"], personal["phone"]
            if personal["masked"]:
                ret["birth_date"] = None
        else:
            ret["id_number"] = mask_id_number(instance.id_number)
            ret["phone"] = mask_phone(instance.phone)
            for field in CONTACT_FIELDS:
                ret[field] = CONTACT_MASK if getattr(instance, field) else ""
            ret["birth_date"] = None
        return ret


class MemberTransferSerializer(serializers.Serializer):
    branch = ScopedRelatedField(queryset=Organization.objects.all(), label=_("转入支部"))
    on = serializers.DateField(label=_("转接日期"), help_text=_("在新支部的第一天"))
    party_group = ScopedRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True, label=_("党小组")
    )
    note = serializers.CharField(max_length=200, required=False, default="", label=_("说明"))


class MemberEndSerializer(serializers.Serializer):
    on = serializers.DateField(label=_("减少日期"), help_text=_("不再在册的第一天"))
    reason = serializers.ChoiceField(choices=MembershipEnd.choices, label=_("减少原因"))
    note = serializers.CharField(max_length=150, required=False, default="", label=_("说明"))


class MemberConvertSerializer(serializers.Serializer):
    on = serializers.DateField(label=_("转正日期"))


class AccountsCreateSerializer(serializers.Serializer):
    org = ScopedRelatedField(queryset=Organization.objects.all(), label=_("组织（含下级）"))


class SlipSerializer(serializers.Serializer):
    """One account slip: shown once, the password is not stored in the clear anywhere."""

    name = serializers.CharField()
    branch = serializers.CharField()
    username = serializers.CharField()
    password = serializers.CharField(help_text=_("初始密码，首次登录须修改"))


class AccountBatchSerializer(serializers.Serializer):
    slips = SlipSerializer(many=True)
    skipped = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("未创建账号的党员及原因"),
    )


class CommitteePositionSerializer(serializers.ModelSerializer):
    member = ScopedRelatedField(queryset=Member.objects.all(), label=_("党员"))
    member_name = serializers.CharField(source="member.name", read_only=True)
    org = ScopedRelatedField(queryset=Organization.objects.all(), label=_("组织"))
    org_name = serializers.CharField(source="org.name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    is_current = serializers.SerializerMethodField(label=_("现任"))

    class Meta:
        model = CommitteePosition
        fields = [
            "id",
            "member",
            "member_name",
            "org",
            "org_name",
            "role",
            "role_display",
            "start",
            "end",
            "is_current",
        ]
        read_only_fields = ["end"]

    @extend_schema_field(serializers.BooleanField())
    def get_is_current(self, position: CommitteePosition) -> bool:
        today = timezone.localdate()
        return position.start <= today and (position.end is None or position.end >= today)


class PositionEndSerializer(serializers.Serializer):
    end = serializers.DateField(label=_("离任日期"))

    def validate_end(self, value):
        position = self.context.get("position")
        if position is not None and value < position.start:
            raise serializers.ValidationError(
                _("离任日期不能早于任职日期 %(start)s") % {"start": position.start}
            )
        return value


class ScopeEntrySerializer(serializers.Serializer):
    org_id = serializers.IntegerField()
    org_name = serializers.CharField()
    role = serializers.CharField()
    role_display = serializers.CharField()
    actions = serializers.ListField(child=serializers.CharField())


@extend_schema_serializer(many=False)
class MeSerializer(serializers.Serializer):
    """The signed-in account, its roster record and where its rights apply."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    is_superuser = serializers.BooleanField(help_text=_("系统管理员：全部组织的全部权限"))
    member = MemberSerializer(allow_null=True, help_text=_("本账号对应的党员（没有则为空）"))
    scope = ScopeEntrySerializer(many=True, help_text=_("权限范围：在哪个组织、以什么身份"))
