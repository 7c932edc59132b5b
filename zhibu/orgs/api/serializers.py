"""Serializers of the organization tree, grants and the current account."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from zhibu.accounts.models import User
from zhibu.core.api import ScopedRelatedField
from zhibu.orgs.models import Grant, Organization, OrgCategory, OrgKind
from zhibu.orgs.permissions import Action


class OrganizationSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "category",
            "category_display",
            "parent",
            "depth",
            "founded_on",
            "fixed_party_day",
            "is_active",
            "dissolved_on",
        ]
        read_only_fields = fields


class OrganizationChildSerializer(OrganizationSerializer):
    child_count = serializers.IntegerField(read_only=True, label=_("下级组织数"))
    member_count = serializers.IntegerField(read_only=True, label=_("在册党员数"))

    class Meta(OrganizationSerializer.Meta):
        fields = [*OrganizationSerializer.Meta.fields, "child_count", "member_count"]
        read_only_fields = fields


class OrganizationCreateSerializer(serializers.Serializer):
    """Input of org_create; the parent must be one the account may see (else 404)."""

    name = serializers.CharField(max_length=100, label=_("名称"))
    kind = serializers.ChoiceField(choices=OrgKind.choices, label=_("类型"))
    parent = ScopedRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        label=_("上级组织"),
        help_text=_("不填则为顶级组织（仅系统管理员）"),
    )
    category = serializers.ChoiceField(
        choices=OrgCategory.choices,
        required=False,
        label=_("单位类别"),
        help_text=_("不填则沿用上级组织的类别"),
    )
    founded_on = serializers.DateField(required=False, allow_null=True, label=_("成立日期"))
    fixed_party_day = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=28, label=_("每月固定党日")
    )


class OrganizationMoveSerializer(serializers.Serializer):
    parent = ScopedRelatedField(queryset=Organization.objects.all(), label=_("新的上级组织"))
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, label=_("变更说明")
    )


class OrganizationUpdateSerializer(serializers.Serializer):
    """Input of org_update: only the fields given are changed (rename, category, party day)."""

    name = serializers.CharField(max_length=100, required=False, label=_("名称"))
    category = serializers.ChoiceField(
        choices=OrgCategory.choices, required=False, label=_("单位类别")
    )
    founded_on = serializers.DateField(required=False, allow_null=True, label=_("成立日期"))
    fixed_party_day = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=28, label=_("每月固定党日")
    )
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, label=_("变更说明")
    )


class OrganizationDissolveSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, label=_("撤销日期"), help_text=_("不填则为今天"))
    transfer_to = ScopedRelatedField(
        queryset=Organization.objects.all(),
        scope_action=Action.CHANGE,
        required=False,
        allow_null=True,
        label=_("党员转入的支部"),
        help_text=_("党支部还有在册党员时必填：党员整体转入该支部"),
    )
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, label=_("撤销说明")
    )


class OrgEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    changes = serializers.JSONField(read_only=True)
    note = serializers.CharField(read_only=True)
    actor = serializers.CharField(source="actor.__str__", read_only=True, default=None)
    created_at = serializers.DateTimeField(read_only=True)


class GrantSerializer(serializers.ModelSerializer):
    """A grant; on create the account is named by its username."""

    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        label=_("账号（用户名）"),
        error_messages={"does_not_exist": _("没有用户名为“{value}”的有效账号")},
        style={"base_template": "input.html"},  # never list every account in the HTML form
    )
    user_id = serializers.IntegerField(read_only=True)
    user_display = serializers.CharField(source="user.__str__", read_only=True)
    org = ScopedRelatedField(
        queryset=Organization.objects.all(),
        scope_action=Action.MANAGE_GRANTS,
        label=_("组织"),
    )
    org_name = serializers.CharField(source="org.name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    granted_by = serializers.CharField(
        source="granted_by.username", read_only=True, allow_null=True, label=_("授权人")
    )

    class Meta:
        model = Grant
        fields = [
            "id",
            "user",
            "user_id",
            "user_display",
            "org",
            "org_name",
            "role",
            "role_display",
            "personal_data",
            "granted_by",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators = []  # uniqueness is checked by grant_create, with a clear message
