"""One way to cut a list into pages, so every list page pages the same way (core/_pager.html)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PER_PAGE = 30


def page_of(request: HttpRequest, rows, per_page: int = PER_PAGE, param: str = "page") -> Page:
    """The requested page of `rows` (a queryset or list); a bad or too-large number gives the
    nearest real page rather than an error."""
    return Paginator(rows, per_page).get_page(request.GET.get(param))
