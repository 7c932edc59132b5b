"""Single sign-on backends (LDAP, OpenID Connect) that link to the roster instead of creating
accounts: whoever the identity platform vouches for is found by phone or employee number
(members.account_services.sso_link). Enabled by environment variables (settings.py); local
login stays available after them.

A refusal (e.g. the identity matches two members) stops the login with a message that says
what to fix: the backend raises PermissionDenied, so no later backend tries the same login,
and the message is left on the request for the login form to show.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django_auth_ldap.backend import LDAPBackend
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from zhibu.accounts.models import User
from zhibu.members.account_services import SSORefused, sso_link

SSO_ERROR_ATTR = "zhibu_sso_error"


def _first(values) -> str:
    if isinstance(values, list | tuple):
        values = values[0] if values else ""
    if isinstance(values, bytes):
        values = values.decode()
    return str(values or "").strip()


def _link(request, **keys) -> User:
    try:
        return sso_link(**keys)
    except SSORefused as refused:
        if request is not None:
            setattr(request, SSO_ERROR_ATTR, str(refused))
        raise PermissionDenied(str(refused)) from None


class LinkingLDAPBackend(LDAPBackend):
    """LDAP bind with the directory's password; the account comes from the roster."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        self._request = request
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_or_build_user(self, username, ldap_user):
        attrs = ldap_user.attrs
        user = _link(
            getattr(self, "_request", None),
            phone=_first(attrs.get(settings.ZHIBU_LDAP_PHONE_ATTR.lower(), [])),
            employee_number=_first(attrs.get(settings.ZHIBU_LDAP_EMPLOYEE_ATTR.lower(), [])),
        )
        return user, False  # never "built": django-auth-ldap must not create or overwrite


class LinkingOIDCBackend(OIDCAuthenticationBackend):
    """OpenID Connect code flow; the account comes from the roster, by the claims."""

    def filter_users_by_claims(self, claims):
        user = _link(
            self.request,
            phone=_first(claims.get(settings.ZHIBU_OIDC_PHONE_CLAIM, "")),
            employee_number=_first(claims.get(settings.ZHIBU_OIDC_EMPLOYEE_CLAIM, "")),
        )
        return User.objects.filter(pk=user.pk)

    def create_user(self, claims):  # filter_users_by_claims always finds one or refuses
        raise PermissionDenied

    def update_user(self, user, claims):
        return user
