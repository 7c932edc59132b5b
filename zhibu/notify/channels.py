"""Sending one delivery over its channel. Only the worker calls these (never a web request).

Each sender raises `DeliveryError` with a readable reason on failure; the worker records it and
retries with backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from zhibu.notify.models import Channel, Delivery, Notice, WebhookEndpoint
from zhibu.notify.outbound import OPENER, OutboundRefused, check_destination


class DeliveryError(Exception):
    pass


def absolute_url(path: str) -> str:
    if not path or path.startswith("http"):
        return path
    return settings.ZHIBU_BASE_URL.rstrip("/") + path


def message_id(delivery: Delivery) -> str:
    """Stable per delivery: a resend after a crash carries the same Message-ID, so mail
    systems and clients can drop the duplicate."""
    return f"<zhibu-delivery-{delivery.pk}@zhibu>"


def send_email(delivery: Delivery) -> None:
    notice = delivery.notice
    context = {"notice": notice, "url": absolute_url(notice.url)}
    message = EmailMultiAlternatives(
        subject=f"【支部】{notice.title}",
        body=render_to_string("notify/email.txt", context),
        to=[delivery.target],
        headers={"Message-ID": message_id(delivery)},
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    message.attach_alternative(render_to_string("notify/email.html", context), "text/html")
    try:
        message.send()
    except Exception as exc:  # smtplib and socket errors alike
        raise DeliveryError(f"SMTP: {exc}") from exc


def _text(notice: Notice) -> str:
    link = absolute_url(notice.url)
    return f"{notice.title}\n{notice.body}" + (f"\n{link}" if link else "")


def wecom_payload(notice: Notice) -> dict:
    """企业微信群机器人: markdown message."""
    link = absolute_url(notice.url)
    content = f"**{notice.title}**\n{notice.body}" + (f"\n[去处理]({link})" if link else "")
    return {"msgtype": "markdown", "markdown": {"content": content}}


def dingtalk_payload(notice: Notice) -> dict:
    """钉钉自定义机器人: markdown message."""
    link = absolute_url(notice.url)
    text = f"#### {notice.title}\n\n{notice.body}" + (f"\n\n[去处理]({link})" if link else "")
    return {"msgtype": "markdown", "markdown": {"title": notice.title, "text": text}}


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """DingTalk 加签: HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret, base64, quoted."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def feishu_payload(notice: Notice, secret: str = "", timestamp: int | None = None) -> dict:
    """飞书自定义机器人: text message; with a secret, timestamp and sign in the body."""
    payload: dict = {"msg_type": "text", "content": {"text": _text(notice)}}
    if secret:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        digest = hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()
        payload.update(timestamp=ts, sign=base64.b64encode(digest).decode())
    return payload


def _post_json(url: str, payload: dict) -> dict:
    """POST to an allowed destination (notify.outbound); errors say what kind, never what the
    host answered."""
    try:
        check_destination(url)
    except (OutboundRefused, ValidationError) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        raise DeliveryError(f"地址不允许：{message}") from None
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with OPENER.open(request, timeout=settings.ZHIBU_WEBHOOK_TIMEOUT) as response:
            body = response.read(64 * 1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError):
        raise DeliveryError("无法连接：连接失败或超时") from None
    try:
        answer = json.loads(body) if body else {}
    except json.JSONDecodeError:
        raise DeliveryError("响应不是 JSON") from None
    if not isinstance(answer, dict):
        raise DeliveryError("响应不是 JSON 对象")
    return answer


def send_webhook(delivery: Delivery) -> None:
    endpoint = WebhookEndpoint.objects.get(pk=int(delivery.target))
    notice = delivery.notice
    if endpoint.channel == Channel.WECOM:
        answer = _post_json(endpoint.url, wecom_payload(notice))
        code = answer.get("errcode", 0)
    elif endpoint.channel == Channel.DINGTALK:
        url = (
            dingtalk_signed_url(endpoint.url, endpoint.secret) if endpoint.secret else endpoint.url
        )
        answer = _post_json(url, dingtalk_payload(notice))
        code = answer.get("errcode", 0)
    else:
        answer = _post_json(endpoint.url, feishu_payload(notice, endpoint.secret))
        code = answer.get("code", answer.get("StatusCode", 0))
    if code not in (0, "0", None):
        shown = code if isinstance(code, int) else "?"
        raise DeliveryError(f"机器人返回错误码 {shown}（请核对地址和加签密钥）")


SENDERS = {
    Channel.EMAIL: send_email,
    Channel.WECOM: send_webhook,
    Channel.DINGTALK: send_webhook,
    Channel.FEISHU: send_webhook,
}
