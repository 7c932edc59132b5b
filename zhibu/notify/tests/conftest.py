"""Real servers on loopback for the notify tests: SMTP (aiosmtpd) and a webhook receiver."""

from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.db import connection


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    """Deliveries are due at once, whatever the hour the suite runs at (by default 22:00–07:00
    Shanghai time holds them until morning); the quiet-hours tests set their own."""
    settings.ZHIBU_QUIET_START = settings.ZHIBU_QUIET_END = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server received, with each message's Message-ID."""

    def __init__(self, delay: float = 0.0):
        self.messages = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    @property
    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for m in self.messages]


@pytest.fixture
def smtp(settings):
    """A real SMTP server; Django's email settings point at it."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    handler.port = port
    yield handler
    controller.stop()


class Hooks:
    """What the webhook server received; `mode` makes it answer ok, error, slow or down."""

    def __init__(self):
        self.requests: list[dict] = []
        self.mode = "ok"
        self.redirect_to = ""  # mode "redirect": the Location answered
        self.body = b""  # mode "body": the raw answer
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"


@pytest.fixture
def hooks(settings):
    """A robot on loopback; loopback is listed exactly, as an operator would list a relay."""
    state = Hooks()
    settings.ZHIBU_WEBHOOK_HOSTS = [*settings.ZHIBU_WEBHOOK_HOSTS, "127.0.0.1"]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append({"path": self.path, "body": body})
            if state.mode == "slow":
                time.sleep(3)
            if state.mode == "error":
                self.send_response(500)
                self.end_headers()
                return
            if state.mode == "redirect":
                self.send_response(302)
                self.send_header("Location", state.redirect_to)
                self.end_headers()
                return
            if state.mode == "body":
                self.send_response(200)
                self.end_headers()
                self.wfile.write(state.body)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode": 0, "code": 0}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def database_url() -> str:
    """The URL of the current (test) database, for a worker subprocess."""
    s = connection.settings_dict
    vendor = connection.vendor
    if vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    scheme = {"postgresql": "postgres", "mysql": "mysql"}[vendor]
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"{scheme}://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
