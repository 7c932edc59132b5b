"""Masking that cannot be undone: a plain member reads a branch-mate's masked ID number, birth
date and gender through the page, the API and the export, then tries to rebuild the full number
with the check digit and the county's region codes (what the probe did to 31 of 31 numbers)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from zhibu.demo.pools import AREA_CODES
from zhibu.members.models import Member
from zhibu.members.services import member_update
from zhibu.members.validators import id_check_digit
from zhibu.orgs.tests.factories import GrantFactory, UserFactory

pytestmark = pytest.mark.django_db

# A number from the demo county: region 411421, born 1987-03-14, a man (odd 17th digit).
_FIRST17 = "411421" + "19870314" + "035"
FULL_ID = _FIRST17 + id_check_digit(_FIRST17)
BIRTH = date(1987, 3, 14)


def rebuild(masked: str, birth: date | int | None, gender: str, *, enough: int = 50) -> list[str]:
    """Every 身份证号 consistent with what a viewer saw, stopping once `enough` are found.

    `birth` is the shown date, or only its year, or nothing. One candidate means rebuilt.
    """
    assert len(masked) == 18
    known = {i: c for i, c in enumerate(masked) if c != "*"}
    if isinstance(birth, date):
        days = [birth]
    else:
        years = [birth] if isinstance(birth, int) else range(1940, 2006)
        days = [
            date(y, 1, 1) + timedelta(days=n)
            for y in years
            for n in range((date(y + 1, 1, 1) - date(y, 1, 1)).days)
        ]
    found: list[str] = []
    for area in dict.fromkeys(AREA_CODES):
        for day in days:
            head = f"{area}{day:%Y%m%d}"
            if any(head[i] != c for i, c in known.items() if i < 14):
                continue
            for seq in range(1000):
                if (seq % 2 == 1) != (gender == "male"):
                    continue
                first17 = f"{head}{seq:03d}"
                if any(first17[i] != c for i, c in known.items() if 14 <= i < 17):
                    continue
                candidate = first17 + id_check_digit(first17)
                if 17 in known and candidate[17] != known[17]:
                    continue
                found.append(candidate)
                if len(found) >= enough:
                    return found
    return found


def test_the_attack_rebuilds_a_number_from_the_old_mask():
    """The attacker works: with the old 3 + 4 mask and the birth date it finds the one number."""
    old_mask = FULL_ID[:3] + "*" * 11 + FULL_ID[-4:]
    assert rebuild(old_mask, BIRTH, "male") == [FULL_ID]


@pytest.fixture
def victim(world) -> Member:
    member = world.other_member
    member_update(member=member, id_number=FULL_ID, birth_date=BIRTH, gender="male")
    return member


def _api_view(user, member: Member) -> dict:
    client = APIClient()
    client.force_login(user)
    response = client.get(f"/api/members/{member.pk}/")
    assert response.status_code == 200
    return response.json()


def test_api_masked_view_cannot_be_rebuilt(world, victim):
    body = _api_view(world.member_user, victim)
    assert body["id_number"] == "4****************" + FULL_ID[-1]
    assert body["birth_date"] is None
    assert body["birth_year"] == 1987
    assert FULL_ID not in str(body) and "03-14" not in str(body)
    candidates = rebuild(body["id_number"], body["birth_year"], body["gender"])
    assert len(candidates) >= 50  # dozens of equally plausible numbers: not rebuilt


def test_page_masked_view_cannot_be_rebuilt(world, victim, client):
    client.force_login(world.member_user)
    html = client.get(f"/members/{victim.pk}/").content.decode()
    masked = re.search(r'data-testid="id-number">([^<]*)<', html).group(1)
    shown_birth = re.search(r'data-testid="birth-date">([^<]*)<', html).group(1)
    assert "1987-03-14" not in html and FULL_ID[6:14] not in html
    assert shown_birth.strip() == "1987 年"
    assert len(rebuild(masked, 1987, "male")) >= 50


def test_export_masked_rows_cannot_be_rebuilt(world, victim, client):
    client.force_login(world.member_user)
    response = client.get("/members/roster/export.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    row = next(r for r in ws.iter_rows(values_only=True) if r[0] == victim.name)
    birth, masked = row[3], row[4]
    assert birth == "1987（已打码）"
    assert len(rebuild(masked, int(birth[:4]), "male")) >= 50


def test_viewer_with_personal_rights_still_sees_everything(world, victim):
    body = _api_view(world.secretary, victim)
    assert body["id_number"] == FULL_ID
    assert body["birth_date"] == "1987-03-14"
    own = _api_view(world.member_user, world.member)
    assert "*" not in own["id_number"] and own["birth_date"] is not None


def test_masked_viewer_put_keeps_the_birth_date(world, victim):
    """A viewer without personal rights sends back the null it read: the date is kept."""
    user = UserFactory(username="no-personal-birth")
    GrantFactory(user=user, org=world.committee, role="org_admin", personal_data=False)
    client = APIClient()
    client.force_login(user)
    url = f"/api/members/{victim.pk}/"
    body = client.get(url).json()
    assert body["birth_date"] is None
    body["name"] = "王改名"
    assert client.put(url, body, format="json").status_code == 200
    victim.refresh_from_db()
    assert victim.name == "王改名" and victim.birth_date == BIRTH and victim.id_number == FULL_ID


def test_edit_form_hides_the_birth_date_without_personal_rights(world, victim, client):
    user = UserFactory(username="no-personal-form")
    GrantFactory(user=user, org=world.committee, role="org_admin", personal_data=False)
    client.force_login(user)
    html = client.get(f"/members/{victim.pk}/edit/").content.decode()
    assert 'name="birth_date"' not in html and "1987-03-14" not in html
