"""Where the worker may send webhooks: an allowlist of hosts, and no internal addresses.

A branch secretary types the robot's address; without limits the worker would POST wherever it
says — the database, a router's admin page, the cloud metadata service — and the stored error
would tell open ports from closed ones. So:

1. the host must match ZHIBU_WEBHOOK_HOSTS (exact names, or "*.example.com" for subdomains;
   by default the documented hosts of WeCom, DingTalk and Feishu/Lark robots);
2. every address the host resolves to must be public: loopback, link-local, private, shared,
   multicast and reserved ranges are refused unless the host (name or address) is listed
   exactly — a wildcard never opens them;
3. redirects are not followed (a listed host cannot bounce the request elsewhere);
4. what is stored and shown after a failure is a category ("HTTP 500", "连接失败或超时"), never
   what an arbitrary host answered.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError


def _host_listed(host: str, *, exact: bool) -> bool:
    host = host.lower().rstrip(".")
    for entry in settings.ZHIBU_WEBHOOK_HOSTS:
        entry = entry.lower().strip().rstrip(".")
        if host == entry:
            return True
        if not exact and entry.startswith("*.") and host.endswith(entry[1:]):
            return True
    return False


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def allowed_hosts_text() -> str:
    return "、".join(settings.ZHIBU_WEBHOOK_HOSTS) or "（无）"


def check_url(url: str) -> urllib.parse.SplitResult:
    """The parsed URL if its form and host are allowed; ValidationError (field "url") if not."""
    parts = urllib.parse.urlsplit(url or "")
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError({"url": "Webhook 地址应以 https:// 开头"}, code="scheme")
    if parts.username or parts.password:
        raise ValidationError({"url": "Webhook 地址中不能含用户名或密码"}, code="userinfo")
    if not _host_listed(host, exact=False):
        raise ValidationError(
            {
                "url": (
                    f"不支持向 {host} 推送：只能填写企业微信、钉钉或飞书机器人的地址"
                    f"（允许的主机：{allowed_hosts_text()}；其他主机需系统管理员加入 "
                    "ZHIBU_WEBHOOK_HOSTS）"
                )
            },
            code="host",
        )
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and _internal(host) and not _host_listed(host, exact=True):
        raise ValidationError({"url": "不能向内部网络地址推送"}, code="internal")
    return parts


def check_destination(url: str) -> None:
    """At send time: the host is allowed and resolves only to permitted addresses."""
    parts = check_url(url)
    host = parts.hostname or ""
    exact_listed = _host_listed(host, exact=True)
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        raise OutboundRefused("无法解析主机名") from None
    if not exact_listed and any(_internal(info[4][0]) for info in infos):
        raise OutboundRefused("主机解析到内部网络地址，已拒绝")


class OutboundRefused(Exception):
    """The destination is not allowed; the message is safe to store and show."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx then surfaces as an HTTPError with its status


OPENER = urllib.request.build_opener(_NoRedirect)
