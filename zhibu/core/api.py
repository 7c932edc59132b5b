"""The base every REST API viewset builds on: the same permission layer as the pages.

- reads start from `visible_to(request.user, scope_action, queryset)`, so an object outside the
  account's scope does not exist for the API either (404, never 403);
- writes go through the app's services, which re-check scope with `require` inside their
  transaction; their `Http404` becomes a 404 and their Django `ValidationError` a 400 with the
  same field keys the pages show;
- token and session authentication (token first, so an anonymous client gets a 401 that names
  the scheme).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.settings import api_settings

from zhibu.orgs.permissions import Action, visible_to

API_AUTHENTICATION = [TokenAuthentication, SessionAuthentication]
NOT_FOUND = _("未找到，或不在您的权限范围内")


def validation_error_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as DRF's error body: field keys kept, `__all__` renamed."""
    if hasattr(exc, "error_dict"):
        errors = {
            (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): [
                str(message) for message in messages
            ]
            for key, messages in exc.message_dict.items()
        }
    else:
        errors = {api_settings.NON_FIELD_ERRORS_KEY: [str(m) for m in exc.messages]}
    return errors


class ScopedViewSetMixin:
    """Mix into a DRF GenericViewSet whose `queryset` is the unscoped base queryset.

    `scope_action` is the action a row must allow to be read through this viewset (VIEW unless
    the endpoint is about something narrower, e.g. grants). Override `scope_filter` to widen it
    (e.g. "and my own rows").
    """

    scope_action: Action = Action.VIEW
    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]

    def scope_filter(self, queryset: QuerySet) -> QuerySet:
        return visible_to(self.request.user, self.scope_action, queryset)

    def get_queryset(self) -> QuerySet:
        return self.scope_filter(super().get_queryset())

    def handle_exception(self, exc: Exception):
        if isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(validation_error_detail(exc))
        elif isinstance(exc, Http404):
            # One wording for "does not exist" and "outside your scope", never the model name.
            exc = exceptions.NotFound(NOT_FOUND)
        return super().handle_exception(exc)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key given by id, looked up only among rows the account may see.

    An id that does not exist and one outside the account's scope both answer 404 with the same
    message, so the API does not tell them apart.
    """

    default_error_messages = {
        "not_found": _("{label}（编号 {pk_value}）不存在或不在您的权限范围内")
    }

    def __init__(self, *, scope_action: Action = Action.VIEW, **kwargs: Any) -> None:
        self.scope_action = scope_action
        # The browsable API shows an id box, not a dropdown of everything in scope.
        kwargs.setdefault("style", {"base_template": "input.html"})
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return visible_to(request.user, self.scope_action, queryset)

    def fail(self, key: str, **kwargs: Any):
        if key == "does_not_exist":
            label = self.label or self.field_name
            raise exceptions.NotFound(
                self.error_messages["not_found"].format(label=label, **kwargs)
            )
        return super().fail(key, **kwargs)
