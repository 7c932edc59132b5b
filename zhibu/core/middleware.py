"""htmx done once for every view: full pages for history restores, and Vary: HX-Request.

A view answers an htmx request with a partial and a page load with the whole page, at the same
address. Two things go wrong without this: a browser or proxy cache hands the partial back for
a page load (Back after a search shows an unstyled fragment), and htmx's history restore (Back
when its own snapshot is gone) asks with HX-Request set and gets the partial too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

# The headers htmx sends that make a view answer with a partial.
PARTIAL_HEADERS = ("HTTP_HX_REQUEST", "HTTP_HX_TARGET", "HTTP_HX_TRIGGER", "HTTP_HX_TRIGGER_NAME")


class HtmxHistoryMiddleware:
    """Before django-htmx's middleware: a history-restore request is served as a page load."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("HTTP_HX_HISTORY_RESTORE_REQUEST") == "true":
            for key in PARTIAL_HEADERS:
                request.META.pop(key, None)
            request.__dict__.pop("headers", None)  # request.headers is cached from META
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response
