"""The superuser cannot read API tokens in the admin (they would let him act as a secretary)."""

import pytest
from rest_framework.authtoken.models import Token

from zhibu.orgs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_tokens_are_not_listed_in_the_admin(client):
    secretary = UserFactory(username="sec-token")
    token = Token.objects.create(user=secretary)
    root = UserFactory(username="root-token", is_superuser=True, is_staff=True)
    client.force_login(root)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "tokenproxy" not in index.content.decode() and token.key not in index.content.decode()
    for url in ("/admin/authtoken/tokenproxy/", f"/admin/authtoken/tokenproxy/{secretary.pk}/"):
        response = client.get(url)
        assert response.status_code in (302, 404) and token.key not in response.content.decode()
