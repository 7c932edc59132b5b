"""The OpenAPI schema generates cleanly and the docs page loads only our own static files."""

import re
from urllib.parse import urlparse

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.validators import ValidationError
from rest_framework.test import APIClient

from zhibu.core.api import validation_error_detail

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/organizations/",
    "/api/organizations/{id}/",
    "/api/organizations/{id}/children/",
    "/api/organizations/{id}/move/",
    "/api/grants/",
    "/api/grants/{id}/",
    "/api/members/",
    "/api/members/{id}/",
    "/api/members/{id}/transfer/",
    "/api/positions/",
    "/api/positions/{id}/",
    "/api/positions/{id}/end/",
    "/api/me/",
]


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    for endpoint in ENDPOINTS:
        assert endpoint in schema["paths"], endpoint
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    me = schema["paths"]["/api/me/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert me["schema"] == {"$ref": "#/components/schemas/Me"}  # an object, not a list
    members = schema["paths"]["/api/members/"]["get"]
    params = {p["name"] for p in members["parameters"]}
    assert {"q", "org", "branch", "status", "page"} <= params


def test_schema_endpoint_serves_openapi():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_docs_page_uses_only_local_static_files():
    html = APIClient().get("/api/docs/").content.decode()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs, html
    for ref in refs:
        assert ref.startswith("/static/drf_spectacular_sidecar/"), ref
        assert finders.find(ref.removeprefix("/static/")), ref
    # No address of a CDN (a bare "cdn" may occur inside the page's random CSRF token).
    assert not re.search(r"//[^\"'\s]*cdn", html.lower())
    assert '"validatorUrl": null' in html


def test_django_validation_errors_keep_field_keys():
    detail = validation_error_detail(ValidationError({"branch": "不是党支部", "__all__": "总"}))
    assert detail == {"branch": ["不是党支部"], "non_field_errors": ["总"]}
    assert validation_error_detail(ValidationError("整体错误")) == {
        "non_field_errors": ["整体错误"]
    }


@pytest.mark.browser
def test_docs_page_renders_in_browser_without_leaving_our_origin(page_for, live_server):
    page = page_for(None, phone=True)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "zhibu API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag")
    origin = urlparse(live_server.url).netloc
    foreign = [url for url in requested if urlparse(url).scheme in ("http", "https")]
    foreign = [url for url in foreign if urlparse(url).netloc != origin]
    assert foreign == []
    assert any("/static/drf_spectacular_sidecar/" in url for url in requested)
