"""Gives the audit log the client's address and writes the request's personal-data views once."""

from __future__ import annotations

from zhibu.audit import services


class AuditMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        tokens = services.begin_request(request.META.get("REMOTE_ADDR", ""))
        try:
            response = self.get_response(request)
        finally:
            services.end_request(getattr(request, "user", None), tokens)
        return response
