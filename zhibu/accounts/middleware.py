"""Until a one-time password is replaced, the account can only change it or log out."""

from __future__ import annotations

from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

# Logged in through the identity platform: the local one-time password does not matter.
SSO_BACKENDS = ("zhibu.members.sso.LinkingLDAPBackend", "zhibu.members.sso.LinkingOIDCBackend")
# Paths that stay open: the change itself, logging out, the language switch, static files.
_OPEN_NAMES = ("accounts:password_change", "accounts:logout", "set_language")


class ForcePasswordChangeMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and request.session.get(BACKEND_SESSION_KEY, "") not in SSO_BACKENDS
        ):
            open_paths = {reverse(name) for name in _OPEN_NAMES}
            path = request.path
            if path not in open_paths and not path.startswith("/static/"):
                if path.startswith("/api/"):
                    return JsonResponse({"detail": _("请先修改初始密码")}, status=403)
                if request.headers.get("HX-Request") == "true":
                    # A partial (the menu's unread badge) must not swap the change page into
                    # itself; the page around it already is the change page.
                    return HttpResponse(status=204)
                return redirect(reverse("accounts:password_change"))
        return self.get_response(request)
